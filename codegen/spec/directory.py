"""PS3.3 Annex F: the Basic Directory IOD's record types (what a DICOMDIR's records may be).

Table F.4-1 "Relationship Between Directory Records" says, for each Directory Record Type
(0004,1430), which record types its lower-level Directory Entity may hold (the "(Root Directory
Entity)" row: what the root may hold). Each type's section of F.5 ("It is identified by a
Directory Record Type (0004,1430) of Value "STUDY". Table F.5-2 lists the set of Keys …")
names its Keys table, an attribute table with a Key column, which the spec extracts like any
other ("Study Keys").

The Directory Information Module (Table F.3-3) ends its record items with "Include Record
Selection Keys … defined for each type of Directory Record (0004,1430) defined in Section F.5",
a row that links no table. :func:`link_record_keys` writes it out as what it says: one include
of each type's Keys table, under the condition that the record is of that type — so the keys
are checked by the same rules (types, conditions, value lists) as any included table, and
``spec diff`` shows them. The validator checks the record hierarchy against Table F.4-1 and the
offsets that chain the records (:mod:`iodkit.validation.directory`).
"""

from __future__ import annotations

import re

from ..sources.model import Document
from .model import AttributeRule, AttributeTable, DirectoryRecordType, IncludeRule, Rule

ROOT = "(Root Directory Entity)"
ANY = "*"  # a lower-level entity that may hold records of any type
DIRECTORY_INFORMATION = "table_F.3-3"
DIRECTORY_RECORD_SEQUENCE = "(0004,1220)"
_TYPE_OF_VALUE = re.compile(r'Directory Record Type \(0004,1430\) of Value\s*["“]([^"”]+)["”]')
_RECORD_KEYS = re.compile(r"(?i)record selection keys")


def extract_directory(
    doc: Document, tables: dict[str, AttributeTable]
) -> tuple[list[DirectoryRecordType], list[str]]:
    """The record types of Table F.4-1 with their Keys tables; problems where they are not
    found."""
    problems: list[str] = []
    t = doc.tables.get("table_F.4-1")
    if t is None:
        if DIRECTORY_INFORMATION not in tables:
            return [], []  # no Annex F at all (an excerpt of the standard)
        return [], ["PS3.3: Table F.4-1 (Relationship Between Directory Records) not found"]
    keys_by_section = {kt.section: kt.id for kt in tables.values() if kt.name.endswith(" Keys")}
    out: list[DirectoryRecordType] = []
    for row in t.grid():
        cells = [c.text.strip() for c in row]
        if len(cells) < 3 or not cells[0]:
            continue
        name, section_label, children = cells[0], cells[1], cells[2]
        kids = [c.strip() for c in re.split(r",\s*", children) if c.strip()]
        if any(k.startswith("(any of the above") for k in kids):
            kids.append(ANY)  # PRIVATE: "(any of the above as privately defined)"
        kids = [k for k in kids if not k.startswith("(")]
        section = f"sect_{section_label}" if section_label else ""
        keys = keys_by_section.get(section, "")
        if name != ROOT and name != "PRIVATE" and not keys:
            problems.append(f"PS3.3: Table F.4-1 {name}: no Keys table in {section or '?'}")
        declared = _declared_type(doc, section)
        if declared and declared != name and name != ROOT:
            problems.append(f"PS3.3: Table F.4-1 names {name!r}, {section} says {declared!r}")
        out.append(DirectoryRecordType(name, section, keys, kids, "table_F.4-1"))
    return out, problems


def link_record_keys(
    tables: dict[str, AttributeTable], types: list[DirectoryRecordType]
) -> list[str]:
    """Replace the "Include Record Selection Keys" row of the Directory Record Sequence items
    (Table F.3-3) by one include of each record type's Keys table, under the condition that the
    record is of that type. Returns the tables changed (empty when there is nothing to link)."""
    t = tables.get(DIRECTORY_INFORMATION)
    keyed = [r for r in types if r.keys and r.keys in tables]
    if t is None or not keyed:
        return []
    for rule in t.rules:
        if isinstance(rule, AttributeRule) and rule.tag == DIRECTORY_RECORD_SEQUENCE:
            rule.items = _linked(rule.items, keyed, tables)
            return [t.id]
    return []


def _linked(
    items: list[Rule], keyed: list[DirectoryRecordType], tables: dict[str, AttributeTable]
) -> list[Rule]:
    out: list[Rule] = []
    for r in items:
        if isinstance(r, IncludeRule) and r.placeholder and _RECORD_KEYS.search(r.text):
            for rt in keyed:
                label = rt.keys.removeprefix("table_")
                words = f"Required if the Directory Record Type (0004,1430) is {rt.name}."
                out.append(
                    IncludeRule(
                        table=rt.keys,
                        text=f"Include Table {label} “{tables[rt.keys].name}”",
                        qualifier=r.qualifier,
                        # the words of the type's section (F.5.x: "identified by a Directory
                        # Record Type (0004,1430) of Value …"), as a condition
                        condition=words,
                        source=f"table_F.4-1, {rt.section}",
                    )
                )
        else:
            out.append(r)
    return out


def _declared_type(doc: Document, section: str) -> str:
    s = doc.sections.get(section)
    if s is None:
        return ""
    for block in s.blocks:
        m = _TYPE_OF_VALUE.search(getattr(block, "text", "") or "")
        if m:
            return m.group(1)
    return ""

"""PS3.16 → context groups (CIDs), Annex L's body parts (:func:`extract_anatomy`) and Table
8-1's coding schemes (:func:`extract_coding_schemes`); templates (TIDs) are read by
:mod:`iodkit.codegen.spec.ps3_16_templates`.

A context group is a section ``sect_CID_<n>`` with a variable list of properties (Keyword, Type:
Extensible / Non-extensible, Version, UID) and a table whose columns include Coding Scheme
Designator, Code Value and Code Meaning; rows "Include CID n" include another group.
"""

from __future__ import annotations

import re

from ..sources.model import Document, Table, TableRef, VariableList
from .model import BodyPart, Code, CodingScheme, ContextGroup

_CID_SECTION = re.compile(r"^sect_CID_(\d+)$")
_INCLUDE_CID = re.compile(r"^Include\s+CID\s+(\d+)", re.I)


def extract_context_groups(doc: Document) -> tuple[dict[int, ContextGroup], list[str]]:
    out: dict[int, ContextGroup] = {}
    problems: list[str] = []
    for sec in doc.sections.values():
        m = _CID_SECTION.match(sec.id)
        if not m:
            continue
        cid = int(m.group(1))
        name = re.sub(r"^CID\s+\d+\s*", "", sec.title)
        group = ContextGroup(cid=cid, name=name, section=sec.id, retired="(Retired)" in name)
        for b in sec.blocks:
            if isinstance(b, VariableList) and not b.title:
                for e in b.entries:
                    key = e.term.rstrip(":").strip().lower()
                    val = e.definition_text
                    if key == "keyword":
                        group.keyword = val
                    elif key == "type":
                        group.extensible = not val.lower().startswith("non")
                    elif key == "version":
                        group.version = val
                    elif key == "uid":
                        group.uid = val.replace(" ", "")
        tables = [
            doc.tables[b.table_id]
            for b in sec.blocks
            if isinstance(b, TableRef) and b.table_id in doc.tables
        ]
        found = False
        for t in tables:
            h = [x.lower() for x in t.header_texts]
            try:
                ci = next(i for i, x in enumerate(h) if x.startswith("coding scheme designator"))
                vi = next(i for i, x in enumerate(h) if x.startswith("code value"))
                mi = next(i for i, x in enumerate(h) if x.startswith("code meaning"))
            except StopIteration:
                continue
            found = True
            for row in t.grid():
                first = row[0].text
                inc = _INCLUDE_CID.match(first)
                if inc:
                    group.includes.append(int(inc.group(1)))
                    continue
                if len(row) <= max(ci, vi, mi):
                    problems.append(
                        f"PS3.16 {doc.edition}: {t.source}: {t.id}: short row {first!r}"
                    )
                    continue
                group.codes.append(Code(row[ci].text, row[vi].text, row[mi].text))
        if not found and not group.retired:
            problems.append(
                f"PS3.16 {doc.edition}: {sec.source}: {sec.id}: "
                "no code table (codes not enumerated here)"
            )
        out[cid] = group
    return out, problems


def _columns(header: tuple[str, ...]) -> dict[str, int]:
    return {" ".join(h.split()).lower(): i for i, h in enumerate(header)}


def extract_anatomy(doc: Document) -> tuple[list[BodyPart], list[str]]:
    """PS3.16 Annex L: Body Part Examined Defined Terms with their codes (Tables L-1 to L-3,
    recognised by their columns Coding Scheme Designator / Code Value / Code Meaning / Body Part
    Examined) joined with Table L-5's pairedness (columns SNOMED Code Value / Code Meaning /
    Paired Structure).

    Table L-5 is matched by code and meaning, else by code when Table L-5 has one answer for
    it, else by meaning when that is unambiguous (Table L-5 lists some concepts under newer
    SNOMED codes than Table L-1); a concept it does not list stays undecided (``paired``
    None). Concepts of Table L-5 that no other table names are kept too, so a code in
    Anatomic Region Sequence (0008,2218) can be looked up.
    """
    problems: list[str] = []
    terms: list[tuple[str, str, str, str, str]] = []  # scheme, value, meaning, term, table
    pairs: list[tuple[str, str, bool]] = []  # value, meaning, paired
    for t in doc.tables.values():
        cols = _columns(t.header_texts)
        if {"coding scheme designator", "code value", "code meaning", "body part examined"} <= set(
            cols
        ):
            ci, vi, mi, bi = (
                cols[k]
                for k in (
                    "coding scheme designator",
                    "code value",
                    "code meaning",
                    "body part examined",
                )
            )
            for row in t.grid():
                if len(row) <= max(ci, vi, mi, bi):
                    continue
                scheme, value, meaning, term = (row[i].text.strip() for i in (ci, vi, mi, bi))
                if scheme and value:
                    terms.append((scheme, value, meaning, term, t.id))
        elif {"snomed code value", "code meaning", "paired structure"} <= set(cols):
            vi, mi, pi = (
                cols[k] for k in ("snomed code value", "code meaning", "paired structure")
            )
            for row in t.grid():
                if len(row) <= max(vi, mi, pi):
                    continue
                flag = row[pi].text.strip().upper()
                if flag not in ("Y", "N"):
                    problems.append(
                        f"PS3.16 {doc.edition}: {t.source}: {t.id}: paired structure "
                        f"{row[pi].text!r} for {row[vi].text!r} is neither Y nor N"
                    )
                    continue
                pairs.append((row[vi].text.strip(), row[mi].text.strip(), flag == "Y"))
    by_code_meaning = {(v, m.lower()): p for v, m, p in pairs}
    by_code: dict[str, set[bool]] = {}
    by_meaning: dict[str, set[bool]] = {}
    for v, m, p in pairs:
        by_code.setdefault(v, set()).add(p)
        by_meaning.setdefault(m.lower(), set()).add(p)
    out: list[BodyPart] = []
    matched: set[tuple[str, str]] = set()
    for scheme, value, meaning, term, source in terms:
        paired: bool | None = None
        how = ""
        if scheme in ("SCT", "SRT"):
            if (value, meaning.lower()) in by_code_meaning:
                paired, how = by_code_meaning[(value, meaning.lower())], "code and meaning"
                matched.add((value, meaning.lower()))
            elif len(by_code.get(value, ())) == 1:
                paired, how = next(iter(by_code[value])), "code"
            elif len(by_meaning.get(meaning.lower(), ())) == 1:
                paired, how = next(iter(by_meaning[meaning.lower()])), "meaning"
        out.append(BodyPart(scheme, value, meaning, term, paired, how, source))
    for value, meaning, paired in pairs:
        if (value, meaning.lower()) not in matched:
            out.append(BodyPart("SCT", value, meaning, "", paired, "code", "table_L-5"))
    return out, problems


CODING_SCHEMES_TABLE = "table_8-1"
HL7_CODING_SCHEMES_TABLE = "table_8-2"
# "Coding Scheme Version (0008,0103) is required" (BI-RADS, in the Description column)
# "This coding scheme is deprecated." (SRT, SNM3), "… (retired)" (99SDM), "(not used)"
# (ISO5218_1)
_DEPRECATED = re.compile(r"\bis deprecated\b|\bretired\b|\(not used\)", re.I)
_VERSION_REQUIRED = re.compile(
    r"coding scheme version(?:\s*\(0008,0103\))?\s+(?:is|shall be)\s+(?:required|present)", re.I
)


def extract_coding_schemes(doc: Document) -> tuple[list[CodingScheme], list[str]]:
    """PS3.16 Table 8-1 "Coding Schemes", then Table 8-2 "HL7v3 Coding Schemes": the Coding
    Scheme Designators the standard defines, in the tables' order, with UID, name,
    responsible organization and description (Table 8-2 has designator, UID and description).

    Columns are found by their names (Coding Scheme Designator / UID / Name / Responsible
    Organization, Description), so a reordering does not shift them; UIDs lose the blanks the
    rendering breaks them with. A missing Table 8-1 or column is a problem, not an error;
    Table 8-2 is read when the edition has it.
    """
    where = f"PS3.16 {doc.edition}"
    t = doc.tables.get(CODING_SCHEMES_TABLE) or next(
        (x for x in doc.tables.values() if x.caption.strip().lower() == "coding schemes"), None
    )
    if t is None:
        return [], [f"{where}: Table 8-1 (Coding Schemes) not found"]
    problems: list[str] = []
    out: list[CodingScheme] = []
    seen: set[str] = set()
    _read_coding_schemes(t, where, out, seen, problems)
    if not out:
        problems.append(f"{where}: {t.source}: {t.id}: no coding schemes in the table")
    hl7 = doc.tables.get(HL7_CODING_SCHEMES_TABLE)
    if hl7 is not None:
        _read_coding_schemes(hl7, where, out, seen, problems)
    return out, problems


def _read_coding_schemes(
    t: Table, where: str, out: list[CodingScheme], seen: set[str], problems: list[str]
) -> None:
    cols = _columns(t.header_texts)

    def column(name: str) -> int | None:
        return next((i for k, i in cols.items() if k.startswith(name)), None)

    di, ui, ni, oi, xi = (
        column(k)
        for k in (
            "coding scheme designator",
            "coding scheme uid",
            "coding scheme name",
            "coding scheme responsible organization",
            "description",
        )
    )
    if di is None or ui is None:
        problems.append(
            f"{where}: {t.source}: {t.id}: no Coding Scheme Designator / Coding Scheme UID "
            f"columns in {list(t.header_texts)!r}"
        )
        return
    for row in t.grid():
        texts = [c.text.strip() for c in row]
        designator, uid, name, organization, description = (
            texts[i] if i is not None and i < len(texts) else "" for i in (di, ui, ni, oi, xi)
        )
        if not designator:
            continue
        if designator in seen:
            problems.append(f"{where}: {t.source}: {t.id}: designator {designator!r} listed twice")
        seen.add(designator)
        out.append(
            CodingScheme(
                designator=designator,
                uid="".join(uid.split()),
                name=name,
                organization=organization,
                description=description,
                version_required=bool(_VERSION_REQUIRED.search(description)),
                deprecated=bool(_DEPRECATED.search(f"{name} {description}")),
                source=t.id,
            )
        )

"""PS3.16 → context groups (CIDs); templates (TIDs) are listed by number and name for now.

A context group is a section ``sect_CID_<n>`` with a variable list of properties (Keyword, Type:
Extensible / Non-extensible, Version, UID) and a table whose columns include Coding Scheme
Designator, Code Value and Code Meaning; rows "Include CID n" include another group.
"""

from __future__ import annotations

import re

from ..sources.model import Document, TableRef, VariableList
from .model import Code, ContextGroup, Template

_CID_SECTION = re.compile(r"^sect_CID_(\d+)$")
_TID_SECTION = re.compile(r"^sect_TID_(\d+)$")
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


def extract_templates(doc: Document) -> dict[int, Template]:
    out: dict[int, Template] = {}
    for sec in doc.sections.values():
        m = _TID_SECTION.match(sec.id)
        if m:
            tid = int(m.group(1))
            out[tid] = Template(tid, re.sub(r"^TID\s+\d+\s*", "", sec.title), sec.id)
    return out

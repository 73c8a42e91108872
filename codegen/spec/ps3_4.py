"""PS3.4 → SOP classes and the IOD each one stores.

Read from every table whose columns start SOP Class Name / SOP Class UID / IOD Specification
(Table B.5-1 "Standard SOP Classes" and the other storage tables: GG.3-1, I.4-1, KK.1-2, …).
The IOD cell links into PS3.3 ("PS3.3:sect_A.51"); the link is resolved to the IOD's module
table by :func:`link_sop_classes` once PS3.3 is read.
"""

from __future__ import annotations

import re

from ..sources.model import Document
from .model import Iod, SopClass

_UID = re.compile(r"^[0-9]+(?:\.[0-9]+)+$")


def extract_sop_classes(doc: Document) -> tuple[dict[str, SopClass], list[str]]:
    out: dict[str, SopClass] = {}
    problems: list[str] = []
    for t in doc.tables.values():
        h = tuple(x.lower() for x in t.header_texts)
        if len(h) < 3 or h[0] != "sop class name" or h[1] != "sop class uid":
            continue
        if not h[2].startswith("iod specification"):
            continue
        for row in t.grid():
            name, uid, iod_cell = row[0].text, row[1].text.replace(" ", ""), row[2]
            if not _UID.match(uid):
                problems.append(
                    f"PS3.4 {doc.edition}: {t.source}: {t.id}: {name!r} has no UID ({uid!r})"
                )
                continue
            ref = next(
                (lk.split(":", 1)[1] for lk in iod_cell.links if lk.startswith("PS3.3:")), ""
            )
            if uid in out:
                continue  # listed twice (e.g. in B.5-1 and a specialised table): first wins
            out[uid] = SopClass(
                uid=uid, name=name, iod_reference=ref, iod="", source=t.id, iod_name=iod_cell.text
            )
    return out, problems


def link_sop_classes(
    sop_classes: dict[str, SopClass], iods: dict[str, Iod], sections_parent: dict[str, str | None]
) -> list[str]:
    """Point each SOP class at the IOD whose section is (or lies under) the one PS3.4 names."""
    by_section: dict[str, Iod] = {}
    for each in iods.values():
        by_section.setdefault(each.section, each)
    problems: list[str] = []
    for sc in sop_classes.values():
        iod: Iod | None = by_section.get(sc.iod_reference)
        if iod is None:
            # the reference may name a parent section ("A.35" for a family): search below it
            candidates = [
                i for i in iods.values() if _is_under(i.section, sc.iod_reference, sections_parent)
            ]
            if len(candidates) == 1:
                iod = candidates[0]
        if iod is None and sc.iod_name:
            # some rows name the IOD without linking it ("Content Assessment Results IOD")
            wanted = re.sub(r"\s+IOD$", "", sc.iod_name.strip()).lower()
            named = [i for i in iods.values() if i.name.lower() == wanted]
            if len(named) == 1:
                iod = named[0]
        if iod is None:
            problems.append(
                f"PS3.4: SOP class {sc.name} ({sc.uid}) names {sc.iod_reference or 'no IOD'}, "
                "which is no IOD module table"
            )
            continue
        sc.iod = iod.id
        if sc.uid not in iod.sop_classes:
            iod.sop_classes.append(sc.uid)
    for iod in iods.values():
        iod.sop_classes.sort()
    return problems


def _is_under(section: str, ancestor: str, parents: dict[str, str | None]) -> bool:
    seen = 0
    cur: str | None = section
    while cur and seen < 50:
        if cur == ancestor:
            return True
        cur = parents.get(cur)
        seen += 1
    return False

"""PS3.6 → UIDs (Annex A) and the data element registry (chapters 6–8).

The registry is read from any table whose columns start Tag / Name / Keyword / VR / VM, which is
how PS3.6 writes Table 6-1 (data elements), 7-1 (file meta elements) and 8-1 (directory
structuring elements). When an edition's rendering lacks the registry (the 2024c XHTML here has
no chapter 6), :func:`fill_from_pydicom` supplies VR, VM and keyword from the installed pydicom
dictionary for the tags PS3.3 uses, and records that provenance on each entry.
"""

from __future__ import annotations

import re

from ..sources.model import Document
from .model import DictionaryEntry, Uid
from .text import parse_tag

_UID = re.compile(r"^[0-9]+(?:\.[0-9]+)+$")


def extract_uids(doc: Document) -> tuple[dict[str, Uid], list[str]]:
    out: dict[str, Uid] = {}
    problems: list[str] = []
    for t in doc.tables.values():
        h = tuple(x.lower() for x in t.header_texts)
        if len(h) < 4 or h[0] != "uid value" or h[1] != "uid name":
            continue
        has_keyword = h[2] == "uid keyword"
        type_col = 3 if has_keyword else 2
        if len(h) <= type_col or h[type_col] != "uid type":
            continue  # e.g. Table A-2 "Well-known Frames of Reference" has no type column
        for row in t.grid():
            value = row[0].text.replace(" ", "")
            if not _UID.match(value):
                problems.append(f"PS3.6 {doc.edition}: {t.source}: {t.id}: not a UID: {value!r}")
                continue
            name = row[1].text
            part = row[type_col + 1].text if len(row) > type_col + 1 else ""
            out[value] = Uid(
                value=value,
                name=name,
                keyword=row[2].text.replace(" ", "") if has_keyword else "",
                type=row[type_col].text,
                part=part,
                retired="(Retired)" in name,
            )
    return out, problems


def extract_dictionary(doc: Document) -> dict[str, DictionaryEntry]:
    out: dict[str, DictionaryEntry] = {}
    for t in doc.tables.values():
        h = tuple(x.lower() for x in t.header_texts)
        if h[:5] != ("tag", "name", "keyword", "vr", "vm"):
            continue
        for row in t.grid():
            tag = parse_tag(row[0].text)
            if tag is None:
                continue
            note = row[5].text if len(row) > 5 else ""
            out[tag] = DictionaryEntry(
                tag=tag,
                name=row[1].text,
                keyword=row[2].text.replace(" ", ""),
                vr=row[3].text,
                vm=row[4].text,
                retired="RET" in note.upper(),
                source=f"PS3.6 {doc.edition} {t.id}",
            )
    return out


def fill_from_pydicom(
    dictionary: dict[str, DictionaryEntry], tags: set[str]
) -> tuple[dict[str, DictionaryEntry], list[str]]:
    """Dictionary entries for ``tags`` that ``dictionary`` lacks, from pydicom; and the tags
    neither knows (listed, never dropped)."""
    import pydicom
    from pydicom.datadict import DicomDictionary, RepeatersDictionary

    source = f"pydicom {pydicom.__version__} (PS3.6 registry not in this rendering)"
    added: dict[str, DictionaryEntry] = {}
    unknown: list[str] = []
    repeaters = {k.upper(): v for k, v in RepeatersDictionary.items()}
    for tag in sorted(tags):
        if tag in dictionary:
            continue
        g, e = tag[1:5], tag[6:10]
        entry = None
        if "x" not in tag:
            entry = DicomDictionary.get(int(g + e, 16))
        else:
            entry = repeaters.get((g + e).upper().replace("X", "X"))
            if entry is None:
                entry = repeaters.get((g + e).replace("x", "X"))
        if entry is None:
            unknown.append(tag)
            continue
        vr, vm, name, retired, keyword = entry
        added[tag] = DictionaryEntry(
            tag=tag,
            name=name,
            keyword=keyword,
            vr=vr,
            vm=vm,
            retired=retired == "Retired",
            source=source,
        )
    return added, unknown

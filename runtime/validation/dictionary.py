"""VR and VM of data elements, for reading implicit-VR files and for the VR/VM checks.

pydicom's dictionary, completed by the generated PS3.6 additions of the edition the rules come
from (:mod:`iodkit.generated.dictionary`). Looked up very often (every element of every file),
so results are cached per tag.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple


class Entry(NamedTuple):
    vr: str  # "US", "US or SS", "OB or OW", … ("" when unknown)
    vm: str  # "1", "1-n", "2-2n", … ("" when unknown)
    name: str
    keyword: str
    retired: bool


UNKNOWN = Entry("", "", "", "", False)
_PRIVATE_CREATOR = Entry("LO", "1", "Private Creator", "PrivateCreator", False)
_GROUP_LENGTH = Entry("UL", "1", "Group Length", "GroupLength", False)


@lru_cache(maxsize=1)
def _additions() -> dict[int, tuple[str, str, str, str, str]]:
    try:
        from iodkit.generated.dictionary import ENTRIES
    except ImportError:  # pragma: no cover - generated code missing
        return {}
    return dict(ENTRIES)


@lru_cache(maxsize=8192)
def entry(tag: int) -> Entry:
    """The dictionary entry of ``tag`` (:data:`UNKNOWN` for unknown and private tags)."""
    from pydicom.datadict import DicomDictionary, get_entry

    group, elem = tag >> 16, tag & 0xFFFF
    if elem == 0 and group != 0xFFFE:
        return _GROUP_LENGTH
    if group & 1:
        if 0x0010 <= elem <= 0x00FF:
            return _PRIVATE_CREATOR
        return UNKNOWN
    found = DicomDictionary.get(tag) or _additions().get(tag)
    if found is None:
        try:
            found = get_entry(tag)  # repeating groups (60xx, 50xx, …)
        except (KeyError, ValueError):
            return UNKNOWN
    vr, vm, name, retired, keyword = found[:5]
    return Entry(vr, vm, name, keyword, retired == "Retired")


def keyword_of(tag: int) -> str:
    """The keyword, or ``(gggg,eeee)`` for tags without one."""
    kw = entry(tag).keyword
    return kw or f"({tag >> 16:04X},{tag & 0xFFFF:04X})"


def tag_text(tag: int) -> str:
    return f"({tag >> 16:04X},{tag & 0xFFFF:04X})"

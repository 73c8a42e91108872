"""VR and VM of data elements, for reading implicit-VR files and for the VR/VM checks.

pydicom's dictionary, completed by the generated PS3.6 additions of the edition the rules come
from (:mod:`iodkit.generated.dictionary`). Looked up very often (every element of every file),
so results are cached per tag.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, NamedTuple

from iodkit.pydicomdata import data_module


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


@lru_cache(maxsize=1)
def _pydicom_tables() -> tuple[dict[int, Any], tuple[tuple[int, int, Any], ...]]:
    """pydicom's data dictionary (``pydicom/_dicom_dict.py``: ``DicomDictionary`` and the
    repeating-group ``RepeatersDictionary``) as plain data.

    Loaded without importing the ``pydicom`` package (:mod:`iodkit.pydicomdata`): the
    validator needs nothing else from pydicom for a file in the default character set.
    """
    mod: Any = data_module("pydicom._dicom_dict")
    masks: list[tuple[int, int, Any]] = []
    for key, value in mod.RepeatersDictionary.items():  # "60xx0010" → mask and value
        keep = int("".join("0" if c in "xX" else "F" for c in key), 16)
        masks.append((keep, int(key.replace("x", "0").replace("X", "0"), 16), value))
    return mod.DicomDictionary, tuple(masks)


@lru_cache(maxsize=8192)
def entry(tag: int) -> Entry:
    """The dictionary entry of ``tag`` (:data:`UNKNOWN` for unknown and private tags)."""
    group, elem = tag >> 16, tag & 0xFFFF
    if elem == 0 and group != 0xFFFE:
        return _GROUP_LENGTH
    if group & 1:
        if 0x0010 <= elem <= 0x00FF:
            return _PRIVATE_CREATOR
        return UNKNOWN
    dictionary, repeaters = _pydicom_tables()
    found = dictionary.get(tag) or _additions().get(tag)
    if found is None:
        # repeating groups (60xx, 50xx, …)
        found = next((v for keep, value, v in repeaters if tag & keep == value), None)
        if found is None:
            return UNKNOWN
    vr, vm, name, retired, keyword = found[:5]
    return Entry(vr, vm, name, keyword, retired == "Retired")


@lru_cache(maxsize=1)
def _keywords() -> dict[str, int]:
    dictionary, _ = _pydicom_tables()
    out: dict[str, int] = {}
    for tag, value in dictionary.items():
        if value[4]:
            out.setdefault(value[4], tag)
    for tag, value in _additions().items():
        if value[4]:
            out.setdefault(value[4], tag)
    return out


def tag_for_keyword(keyword: str) -> int | None:
    """The tag of a keyword ("PatientName" → 0x00100010), None when unknown."""
    return _keywords().get(keyword)


@lru_cache(maxsize=16384)
def keyword_of(tag: int) -> str:
    """The keyword, or ``(gggg,eeee)`` for tags without one (remembered: every path of every
    finding, and of every sequence walked, is made of them)."""
    return entry(tag).keyword or tag_text(tag)


def join(path: str, tag: int) -> str:
    """An attribute path: ``Seq[0].Keyword`` (``(gggg,eeee)`` for tags without a keyword)."""
    kw = keyword_of(tag)
    return f"{path}.{kw}" if path else kw


def tag_text(tag: int) -> str:
    """``0x00280009`` → ``(0028,0009)``."""
    return f"({tag >> 16:04X},{tag & 0xFFFF:04X})"

"""Which attributes of the classic images are shared and which vary (PS3.3 C.7.6.16.2.25).

A Legacy Converted Enhanced image keeps every attribute of the classic images it converts:
in its own modules, in functional groups, or — for what neither holds — in the Unassigned
Shared Converted Attributes (identical in every image) or Unassigned Per-Frame Converted
Attributes (present in only some images, or with different values) items. The standard's
comparison rules apply: an attribute absent from an image equals one present with no value,
sequences match item by item, and private data elements go with their Private Creator.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pydicom.dataelem import DataElement, RawDataElement, convert_raw_data_element
from pydicom.dataset import Dataset
from pydicom.tag import BaseTag


@dataclass
class Split:
    """Tags of the classic images: the shared ones (with the first image's element) and
    the varying ones."""

    shared: dict[BaseTag, DataElement]
    varying: set[BaseTag]


def _empty(elem: Any) -> bool:
    if elem is None:
        return True
    value = elem.value
    return value is None or len(value) == 0 if hasattr(value, "__len__") else value is None


def by_tag(ds: Dataset) -> dict[int, Any]:
    """``ds``'s top-level elements by plain ``int`` tag, as they are (raw elements stay raw).
    Looking a tag up in a Dataset compares pydicom ``BaseTag`` keys in Python; in this dict the
    comparisons are the interpreter's own — what matters when hundreds of images are compared
    attribute by attribute."""
    return dict(zip(map(int, ds.keys()), ds.values(), strict=True))


def split(images: list[Dataset], skip: Iterable[int]) -> Split:
    """Compare every top-level attribute of ``images`` but those in ``skip`` (and File Meta
    Information, group lengths, pixel data). Elements read from files are compared as their
    raw bytes, not converted (converting them costs more than the rest of the conversion)."""
    skipped = {int(t) for t in skip}
    indexed = [by_tag(ds) for ds in images]
    tags: dict[int, None] = {}
    for elements_by_tag in indexed:
        tags.update(dict.fromkeys(elements_by_tag))
    shared: dict[BaseTag, DataElement] = {}
    varying: set[BaseTag] = set()
    for tag in tags:
        if tag in skipped or tag >> 16 == 0x0002 or tag & 0xFFFF == 0:
            continue
        elements: list[Any] = [e.get(tag) for e in indexed]  # None where absent
        first = next((e for e in elements if e is not None), None)
        if first is None:
            continue
        if all(_empty(e) for e in elements):
            shared[BaseTag(tag)] = images[elements.index(first)][tag]
            continue
        kinds = {type(e) for e in elements}
        value = first.value  # a raw element's bytes as read (no conversion)
        if (
            any(e is None for e in elements)
            or len(kinds) > 1
            or any(e.value != value for e in elements)
        ):
            varying.add(BaseTag(tag))
        else:
            shared[BaseTag(tag)] = images[0][tag]
    return Split(shared, varying)


def private_creator(tag: BaseTag) -> BaseTag | None:
    """The Private Creator element of a private data element (gggg,xxyy → gggg,00xx)."""
    if tag.group % 2 == 0 or tag.element < 0x1000:
        return None
    return BaseTag((tag.group << 16) | (tag.element >> 8))


def item_of(tags: Iterable[BaseTag], source: Dataset) -> Dataset:
    """An item holding ``source``'s elements at ``tags`` (raw, as read), with the Private
    Creator of each private one so the item is complete on its own. Text read as non-ASCII
    bytes is decoded under ``source``'s character set: the converted image may declare
    another one (its own text may need it, :mod:`iodkit.derived.charset`)."""
    item = Dataset()
    for tag in tags:
        item[tag] = _portable(source, tag)
        creator = private_creator(tag)
        if creator is not None and creator not in item and creator in source:
            item[creator] = _portable(source, creator)
    return item


def _portable(source: Dataset, tag: BaseTag) -> Any:
    """``source``'s element at ``tag``: raw when its bytes mean the same in every character
    set (ASCII, or not text), else decoded (``source`` itself is left as it is)."""
    elem = source.get_item(tag)
    if not isinstance(elem, RawDataElement) or not isinstance(elem.value, bytes):
        return elem
    if elem.value.isascii() or elem.VR not in _TEXT_OR_UNKNOWN:
        return elem
    return convert_raw_data_element(elem, encoding=source._character_set, ds=source)


#: VRs whose bytes may hold text (None and UN: the VR is looked up on conversion).
_TEXT_OR_UNKNOWN = frozenset(("SH", "LO", "ST", "LT", "UT", "PN", "UC", "SQ", "UN", None))

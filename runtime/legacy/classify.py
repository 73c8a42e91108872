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

from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from pydicom.tag import BaseTag


@dataclass
class Split:
    """Tags of the classic images: the shared ones (with the first image's element) and
    the varying ones."""

    shared: dict[BaseTag, DataElement]
    varying: set[BaseTag]


def _empty(elem: DataElement | None) -> bool:
    return elem is None or elem.is_empty


def split(images: list[Dataset], skip: Iterable[int]) -> Split:
    """Compare every top-level attribute of ``images`` but those in ``skip`` (and File Meta
    Information, group lengths, pixel data)."""
    skipped = set(skip)
    tags: dict[BaseTag, None] = {}
    for ds in images:
        for tag in ds.keys():
            if tag not in skipped and tag.group != 0x0002 and tag.element != 0:
                tags.setdefault(tag, None)
    shared: dict[BaseTag, DataElement] = {}
    varying: set[BaseTag] = set()
    for tag in tags:
        elements = [ds.get(tag) for ds in images]
        first = next((e for e in elements if e is not None), None)
        if first is None:
            continue
        if all(_empty(e) for e in elements):
            shared[tag] = first
            continue
        if any(e is None for e in elements) or any(e.value != first.value for e in elements):  # type: ignore[union-attr]
            varying.add(tag)
        else:
            shared[tag] = first
    return Split(shared, varying)


def private_creator(tag: BaseTag) -> BaseTag | None:
    """The Private Creator element of a private data element (gggg,xxyy → gggg,00xx)."""
    if tag.group % 2 == 0 or tag.element < 0x1000:
        return None
    return BaseTag((tag.group << 16) | (tag.element >> 8))


def item_of(elements: Iterable[DataElement], source: Dataset) -> Dataset:
    """An item holding ``elements``, with the Private Creator of each private one (taken from
    ``source``) so the item is complete on its own."""
    item = Dataset()
    for elem in elements:
        item.add(elem)
        creator = private_creator(elem.tag)
        if creator is not None and creator not in item and creator in source:
            item.add(source[creator])
    return item

"""The validation reader's tree (:mod:`.tree`) built from element values instead of bytes.

:func:`from_dataset` takes a pydicom ``Dataset`` (in-memory validation; metadata a pydicom
reader made); :func:`from_elements` takes ``(tag, VR, value)`` triples, so that a reader of
another encoding — DICOM JSON (:func:`iodkit.web.dicomjson.tree_from_json`) — need not build a
pydicom ``Dataset`` first. Both make each element the same way (:func:`_leaf`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from iodkit.rulemodel.datasets import SPECIFIC_CHARACTER_SET

from .findings import shown
from .reader import MAX_DEPTH
from .tree import NUMBER_FORMATS, Element, Encoding, Node, ParsedFile

if TYPE_CHECKING:
    from pydicom.dataset import Dataset


class _ByReference:
    """The value of a bulk data element given by reference (a BulkDataURI of DICOM JSON or
    XML metadata, PS3.18 F.2.6): present, its length unknown."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<bulk data by reference>"


BULK_BY_REFERENCE = _ByReference()
_BULK_VRS = frozenset(("OB", "OD", "OF", "OL", "OV", "OW", "UN"))


def from_dataset(ds: Dataset, *, bulk_by_reference: bool = False) -> ParsedFile:
    """The same tree for a pydicom ``Dataset`` (values already decoded by pydicom).

    ``bulk_by_reference``: the dataset is metadata (DICOM JSON or XML) whose bulk data
    elements may carry no value here (pydicom gives None for a BulkDataURI it did not
    fetch): such an element of a bulk VR is present with an unknown length
    (``length`` -1, value :data:`BULK_BY_REFERENCE`), not empty."""
    from pydicom.dataset import Dataset

    meta_ds = getattr(ds, "file_meta", None)
    meta = _node_from(meta_ds, None, 0) if isinstance(meta_ds, Dataset) else Node()
    root = _node_from(ds, None, 0, bulk_by_reference)
    root.file_meta = meta
    ts_el = meta.elems.get(0x00020010)
    ts = ts_el.strings()[0] if ts_el is not None and ts_el.strings() else ""
    return ParsedFile(root, meta, ts, [], True, in_memory=True)


def from_elements(
    elements: Iterable[tuple[int, str, Any]], *, bulk_by_reference: bool = False
) -> ParsedFile:
    """The same tree for a dataset given as ``(tag, VR, value)`` in order, each value as a
    pydicom ``DataElement`` holds it, a sequence's value a list of items given alike — for a
    reader of another encoding (DICOM JSON: :func:`iodkit.web.dicomjson.tree_from_json`) that
    need not build a pydicom ``Dataset`` first. ``bulk_by_reference`` as for
    :func:`from_dataset`; there is no File Meta Information."""
    root = _node_from_elements(elements, None, 0, bulk_by_reference)
    meta = Node()
    root.file_meta = meta
    return ParsedFile(root, meta, "", [], True, in_memory=True)


def _node_from_elements(
    elements: Iterable[tuple[int, str, Any]], parent: Node | None, depth: int, bulk: bool
) -> Node:
    node = Node(Encoding(False, parent.enc if parent is not None else None))
    for tag, vr, value in elements:
        if vr == "SQ" and depth < MAX_DEPTH:
            el = _element(node, tag, vr)
            el.items = [_node_from_elements(it, node, depth + 1, bulk) for it in value or []]
        else:
            el = _leaf(node, tag, vr, value, bulk)
        node.elems[tag] = el
    return node


def _node_from(ds: Dataset, parent: Node | None, depth: int, bulk: bool = False) -> Node:
    from pydicom.dataset import Dataset

    node = Node(Encoding(False, parent.enc if parent is not None else None))
    for tag in list(ds.keys()):
        try:
            de = ds[tag]
            value = de.value
            vr = str(de.VR or "UN")
        except Exception as exc:  # pydicom could not convert the raw value: a finding
            raw = ds.get_item(tag)
            el = _element(node, int(tag), str(getattr(raw, "VR", None) or "UN"))
            el._value = None
            el.decode_error = f"cannot read the value: {exc}"
            node.elems[int(tag)] = el
            continue
        if vr == "SQ" and depth < MAX_DEPTH:
            el = _element(node, int(tag), vr)
            items = value if isinstance(value, (list, tuple)) or value is not None else []
            el.items = [
                _node_from(it, node, depth + 1, bulk) for it in items if isinstance(it, Dataset)
            ]
        else:
            el = _leaf(node, int(tag), vr, value, bulk)
        node.elems[int(tag)] = el
    return node


def _element(node: Node, tag: int, vr: str) -> Element:
    el = Element(tag, vr, 0, None, 0, None)
    el.enc = node.enc
    return el


def _leaf(node: Node, tag: int, vr: str, value: Any, bulk: bool) -> Element:
    """An element of a dataset given by values (pydicom's, or DICOM JSON's made alike)."""
    el = _element(node, tag, vr)
    if bulk and value is None and vr in _BULK_VRS:
        el.length = -1
        el._value = BULK_BY_REFERENCE
        return el
    if isinstance(value, (bytes, bytearray)):
        el.length = len(value)
    elif value is None or value == "":
        el.length = 0
    else:
        el.length = 2
    el._value = _plain(value)
    if vr in NUMBER_FORMATS and vr not in ("OB", "OW", "OF", "OD", "OL", "OV"):
        bad = [v for v in el.numbers() if not isinstance(v, (int, float))]
        if bad:
            el.decode_error = f"{type(bad[0]).__name__} value {shown(bad[0])} for VR {vr}"
    if tag == SPECIFIC_CHARACTER_SET:
        node.enc.terms = list(el.strings()) or [""]
    return el


def _plain(value: Any) -> Any:
    if isinstance(value, (str, bytes, bytearray, int, float)) or value is None:
        return value
    if isinstance(value, (list, tuple)) or type(value).__name__ == "MultiValue":
        return [_plain(v) for v in value]
    return str(value)

"""Encode many sequence items of one shape fast: one template item, values stamped per item.

A Segmentation has one Per-Frame Functional Groups Sequence item per frame (PS3.3 C.7.6.16,
Table A.51-2), hundreds to tens of thousands of them, all with the same structure: only a few
leaves change from frame to frame (Dimension Index Values, Image Position (Patient), the
referenced source instance and frame, the segment number). Building and writing each item as
a pydicom Dataset costs about 1 ms per item, more than everything else the writer does.

So the writer builds *one* item with the generated builders (which check every value against
the standard and give each element its VR) and :class:`ItemTemplate` compiles its Dataset
into byte chunks once (PS3.5 7.1 data elements, 7.5 nested data sets): constant elements are
encoded by pydicom itself; the path down to each changing leaf (a *slot*) is written with
undefined-length sequences and items (PS3.5 7.5.1–7.5.2, delimitation items) so no length has
to be recomputed; per item only the slot elements are encoded and the chunks joined.
:func:`raw_sequence_element` wraps the bytes as a pydicom ``RawDataElement``, which pydicom
writes verbatim and parses back on first access like any sequence read from a file.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_data_element
from pydicom.tag import Tag

ITEM = b"\xfe\xff\x00\xe0\xff\xff\xff\xff"  # (FFFE,E000), undefined length
ITEM_END = b"\xfe\xff\x0d\xe0\x00\x00\x00\x00"  # (FFFE,E00D)
SEQUENCE_END = b"\xfe\xff\xdd\xe0\x00\x00\x00\x00"  # (FFFE,E0DD)
UNDEFINED = b"\xff\xff\xff\xff"
_LONG_VRS = frozenset("OB OD OF OL OV OW SQ UC UN UR UT SV UV".split())
_BINARY = {"US": "<u2", "SS": "<i2", "UL": "<u4", "SL": "<i4", "FL": "<f4", "FD": "<f8"}

Path = tuple[int, ...]


@dataclass(frozen=True)
class _Slot:
    index: int
    prefix: bytes  # tag (+ VR) before the length
    long_length: bool  # 4-byte length (implicit VR, or explicit VR with a long VR)


def _tag_bytes(tag: int) -> bytes:
    return struct.pack("<HH", tag >> 16, tag & 0xFFFF)


class ItemTemplate:
    """Items shaped like ``template`` whose elements at ``slots`` vary.

    ``slots`` are tag paths from the item to a leaf element, through sequences of one item
    (functional group macros hold exactly one item, PS3.3 C.7.6.16). The template's value at a
    slot fixes the element's VR; values are given to :meth:`encode` as encoded bytes (see
    :func:`text_values`, :func:`binary_values`).
    """

    def __init__(
        self,
        template: Dataset,
        slots: Sequence[Path],
        *,
        implicit_vr: bool = False,
        encodings: str | list[str] | None = None,
    ) -> None:
        self.implicit_vr = implicit_vr
        self.encodings = encodings or "iso8859"
        self.slots = [tuple(s) for s in slots]
        self.vrs: list[str] = [""] * len(self.slots)
        self._chunks: list[bytes | _Slot] = []
        self._compile(template, ())
        missing = [s for s, vr in zip(self.slots, self.vrs, strict=True) if not vr]
        if missing:
            raise KeyError(f"template item has no element at slot path(s) {missing}")

    # -- compiling ------------------------------------------------------------------------
    def _emit(self, chunk: bytes | _Slot) -> None:
        if isinstance(chunk, bytes) and self._chunks and isinstance(self._chunks[-1], bytes):
            self._chunks[-1] += chunk
        else:
            self._chunks.append(chunk)

    def _compile(self, ds: Dataset, path: Path) -> None:
        for elem in (ds[tag] for tag in sorted(ds.keys())):
            here = (*path, int(elem.tag))
            if here in self.slots:
                index = self.slots.index(here)
                self.vrs[index] = elem.VR
                self._emit(self._slot(index, elem))
            elif elem.VR == "SQ" and any(s[: len(here)] == here for s in self.slots):
                if len(elem.value) != 1:
                    raise ValueError(
                        f"slot path through {elem.keyword} needs exactly one item, "
                        f"it has {len(elem.value)}"
                    )
                header = _tag_bytes(elem.tag) + (b"" if self.implicit_vr else b"SQ\x00\x00")
                self._emit(header + UNDEFINED + ITEM)
                self._compile(elem.value[0], here)
                self._emit(ITEM_END + SEQUENCE_END)
            else:
                self._emit(self._encode_constant(elem))

    def _slot(self, index: int, elem: DataElement) -> _Slot:
        tag = _tag_bytes(elem.tag)
        if self.implicit_vr:
            return _Slot(index, tag, True)
        long_length = elem.VR in _LONG_VRS
        prefix = tag + elem.VR.encode() + (b"\x00\x00" if long_length else b"")
        return _Slot(index, prefix, long_length)

    def _encode_constant(self, elem: DataElement) -> bytes:
        fp = DicomBytesIO()
        fp.is_little_endian = True
        fp.is_implicit_VR = self.implicit_vr
        write_data_element(fp, elem, self.encodings)  # type: ignore[arg-type]
        return fp.getvalue()

    # -- stamping -------------------------------------------------------------------------
    def encode(self, values: Sequence[Sequence[bytes]], count: int | None = None) -> bytes:
        """The items (each with its item and item delimitation headers) for ``values``: one
        list per slot, of the encoded value of each item (even length, see PS3.5 7.1.1).
        ``count`` items of the template as it is when there are no slots."""
        if len(values) != len(self.slots):
            raise ValueError(f"{len(values)} value lists for {len(self.slots)} slots")
        if count is None:
            count = len(values[0]) if values else 0
        if any(len(v) != count for v in values):
            raise ValueError("every slot needs one value per item")
        columns: list[Sequence[bytes]] = []
        for chunk in self._chunks:
            if isinstance(chunk, bytes):
                columns.append((chunk,) * count)
            else:
                pack = struct.Struct("<I" if chunk.long_length else "<H").pack
                prefix = chunk.prefix
                columns.append([prefix + pack(len(v)) + v for v in values[chunk.index]])
        items = [b"".join(parts) for parts in zip(*columns, strict=True)]
        return b"".join(ITEM + item + ITEM_END for item in items)


def text_values(values: Sequence[str | Sequence[str]], *, vr: str = "CS") -> list[bytes]:
    """Encode string values (multi-valued ones joined with a backslash) padded to even length:
    with NUL for UI, with a space otherwise (PS3.5 6.2)."""
    pad = b"\x00" if vr == "UI" else b" "
    out = []
    for value in values:
        text = value if isinstance(value, str) else "\\".join(value)
        raw = text.encode("ascii")
        out.append(raw + pad if len(raw) & 1 else raw)
    return out


def binary_values(values: np.ndarray, vr: str) -> list[bytes]:
    """Encode rows of a (items, values) array (or a 1-D array, one value per item) as the
    little-endian binary VR ``vr`` (US, SS, UL, SL, FL, FD)."""
    array = np.asarray(values)
    if array.ndim == 1:
        array = array[:, None]
    data = np.ascontiguousarray(array, dtype=_BINARY[vr]).tobytes()
    step = array.shape[1] * np.dtype(_BINARY[vr]).itemsize
    return [data[i : i + step] for i in range(0, len(data), step)]


def raw_sequence_element(tag: int, items: bytes, *, implicit_vr: bool = False) -> RawDataElement:
    """A defined-length SQ element holding already encoded ``items``; pydicom writes it as it
    is and decodes it when first accessed."""
    return RawDataElement(Tag(tag), "SQ", len(items), items, 0, implicit_vr, True)


def element_value(elem: DataElement, *, implicit_vr: bool, encodings: Any) -> bytes:
    """The encoded value of one element (pydicom's encoding, its header cut off), for a slot
    whose VR is only known at run time."""
    fp = DicomBytesIO()
    fp.is_little_endian = True
    fp.is_implicit_VR = implicit_vr
    write_data_element(fp, elem, encodings or "iso8859")
    data = fp.getvalue()
    header = 8 if implicit_vr or elem.VR not in _LONG_VRS else 12
    return data[header:]


def leaves(ds: Dataset, path: Path = ()) -> dict[Path, DataElement] | None:
    """Every leaf element of ``ds`` by tag path, through sequences of one item; None when a
    sequence has several items (those items cannot be stamped)."""
    out: dict[Path, DataElement] = {}
    for elem in ds:
        here = (*path, int(elem.tag))
        if elem.VR == "SQ":
            if len(elem.value) == 0:
                out[here] = elem
                continue
            if len(elem.value) != 1:
                return None
            inner = leaves(elem.value[0], here)
            if inner is None:
                return None
            out.update(inner)
        else:
            out[here] = elem
    return out

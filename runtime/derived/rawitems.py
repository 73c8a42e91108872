"""Parse the Per-Frame Functional Groups Sequence straight from its encoded bytes.

Opening a segmentation of thousands of frames with pydicom builds a Dataset per item and per
nested sequence — most of the time spent reading it. The frame table needs a few leaves per
frame, so :func:`parse_items` walks the encoded items (PS3.5 7.1 data elements, 7.5 nested
data sets with defined or undefined lengths, little endian, explicit or implicit VR) into
plain dicts: tag → raw value bytes, or tag → list of item dicts for sequences. Leaves are
decoded only when asked for (:func:`text`, :func:`integers`). Anything unexpected in the
encoding — a tag where an item should start, a length past the end of its item or of the
value — raises :class:`EncodingError` (a ``ValueError``) and the caller falls back to pydicom
or reports the file damaged; a leaf or sequence of
the wrong kind where the caller looks (a damaged file) raises
:class:`~iodkit.datavalues.DamagedValueError` naming the tag.
"""

from __future__ import annotations

import struct
from typing import Any, NoReturn

from iodkit.datavalues import DamagedValueError, describe

_ITEM = 0xFFFEE000
_ITEM_END = 0xFFFEE00D
_SEQUENCE_END = 0xFFFEE0DD
_UNDEFINED = 0xFFFFFFFF
_LONG_VRS = frozenset(
    {b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"UC", b"UN", b"UR", b"UT", b"SV", b"UV"}
)
_HEADER = struct.Struct("<HHI")
_SHORT = struct.Struct("<HH2sH")
_LONG_LENGTH = struct.Struct("<I")

Item = dict[int, Any]


class EncodingError(ValueError):
    """The encoded items break PS3.5's rules (7.1 data elements, 7.5 nested data sets): the
    value is damaged."""


def _is_sequence_implicit(tag: int) -> bool:
    from pydicom.datadict import dictionary_VR

    try:
        return dictionary_VR(tag) == "SQ"
    except KeyError:
        return False


def parse_items(data: bytes, implicit_vr: bool = False) -> list[Item]:
    """The items of an encoded sequence value (without the sequence's own header)."""
    items, _ = _items(memoryview(data), 0, len(data), implicit_vr, stop_at_delimiter=False)
    return items


def _items(
    buf: memoryview, pos: int, end: int, implicit: bool, stop_at_delimiter: bool
) -> tuple[list[Item], int]:
    items: list[Item] = []
    while pos < end:
        if pos + 8 > end:
            _overrun(pos, 8, end, "an item header")
        group, element, length = _HEADER.unpack_from(buf, pos)
        tag = group << 16 | element
        pos += 8
        if tag == _SEQUENCE_END:
            if not stop_at_delimiter:
                raise EncodingError("sequence delimiter in a defined-length sequence")
            return items, pos
        if tag != _ITEM:
            raise EncodingError(f"expected an item tag, found {tag:08X}")
        if length == _UNDEFINED:
            item, pos = _dataset(buf, pos, end, implicit, until_delimiter=True)
        else:
            if pos + length > end:
                _overrun(pos, length, end, "an item")
            item, _ = _dataset(buf, pos, pos + length, implicit, until_delimiter=False)
            pos += length
        items.append(item)
    if stop_at_delimiter:
        raise EncodingError("undefined-length sequence without a delimiter")
    return items, pos


def _overrun(pos: int, length: int, end: int, what: str) -> NoReturn:
    """Raise for ``length`` bytes at ``pos`` that run past ``end`` (the checks are inline:
    a call per element costs a fifth of parsing a segmentation's functional groups)."""
    raise EncodingError(
        f"{what} of {length} bytes at offset {pos} runs past the end of its value ({end})"
    )


def _dataset(
    buf: memoryview, pos: int, end: int, implicit: bool, until_delimiter: bool
) -> tuple[Item, int]:
    out: Item = {}
    while pos < end:
        if pos + 8 > end:
            _overrun(pos, 8, end, "an element header")
        if implicit:
            group, element, length = _HEADER.unpack_from(buf, pos)
            tag = group << 16 | element
            pos += 8
            if tag == _ITEM_END:
                return out, pos
            is_sequence = length == _UNDEFINED or _is_sequence_implicit(tag)
        else:
            group, element, vr, length = _SHORT.unpack_from(buf, pos)
            tag = group << 16 | element
            if tag == _ITEM_END:
                return out, pos + 8
            pos += 8
            if vr in _LONG_VRS:
                if pos + 4 > end:
                    _overrun(pos, 4, end, "an element's length")
                (length,) = _LONG_LENGTH.unpack_from(buf, pos)
                pos += 4
            is_sequence = vr == b"SQ" or (vr == b"UN" and length == _UNDEFINED)
        if is_sequence:
            if length == _UNDEFINED:
                out[tag], pos = _items(buf, pos, end, implicit, stop_at_delimiter=True)
            else:
                if pos + length > end:
                    _overrun(pos, length, end, f"sequence {tag:08X}")
                out[tag], _ = _items(buf, pos, pos + length, implicit, stop_at_delimiter=False)
                pos += length
        else:
            if length == _UNDEFINED:
                raise EncodingError(f"undefined length for non-sequence element {tag:08X}")
            if pos + length > end:
                _overrun(pos, length, end, f"element {tag:08X}")
            out[tag] = bytes(buf[pos : pos + length])
            pos += length
    if until_delimiter:
        raise EncodingError("undefined-length item without a delimiter")
    return out, pos


def items(item: Item | None, tag: int) -> list[Item]:
    """The items of sequence ``tag`` in ``item`` (none when absent)."""
    if item is None:
        return []
    value = item.get(tag)
    if value is None or value == b"":
        return []
    if not isinstance(value, list):
        raise DamagedValueError(f"{describe(tag)} is not a sequence")
    return value


def first(item: Item | None, tag: int) -> Item | None:
    """The first item of sequence ``tag`` in ``item``, if any."""
    found = items(item, tag)
    return found[0] if found else None


def text(value: bytes | list[Item] | None, tag: int = 0) -> list[str]:
    """A string value's parts (backslash-separated), padding stripped; ``tag`` names the
    element in the error for a value that is a sequence."""
    if value is None:
        return []
    if not isinstance(value, bytes):
        raise DamagedValueError(f"{describe(tag)} is a sequence where a value was expected")
    decoded = value.decode("latin-1").rstrip("\x00 ")
    return [part.strip(" \x00") for part in decoded.split("\\")] if decoded else []


def integers(value: bytes | list[Item] | None, vr: str, tag: int = 0) -> list[int]:
    """Binary integer values (US, SS, UL, SL) as ints."""
    if value is None:
        return []
    code = {"US": "H", "SS": "h", "UL": "I", "SL": "i"}[vr]
    size = struct.calcsize(code)
    if not isinstance(value, bytes) or len(value) % size:
        shown = "a sequence" if not isinstance(value, bytes) else f"{len(value)} bytes"
        raise DamagedValueError(f"{describe(tag)} is {shown}, not {vr} values of {size} bytes")
    return list(struct.unpack(f"<{len(value) // size}{code}", value))


def integer(value: bytes | list[Item] | None, vr: str, tag: int) -> int:
    """The one binary integer of ``value``."""
    values = integers(value, vr, tag)
    if len(values) != 1:
        raise DamagedValueError(f"{describe(tag)} holds {len(values)} values where it has one")
    return values[0]

"""Encapsulated Pixel Data: items, Basic and Extended Offset Tables (PS3.5 A.4).

Writing: one fragment per frame (every transfer syntax allows it, RLE requires it, and the
Extended Offset Table needs it — PS3.3 C.7.6.3.1.9), each fragment padded to even length, then

* a Basic Offset Table: one 32-bit offset per frame, measured from the first byte of the first
  item tag after the table, when all offsets fit in 32 bits (PS3.5 A.4, Table A.4-1); or
* an empty Basic Offset Table plus *Extended Offset Table* (7FE0,0001) and *Extended Offset
  Table Lengths* (7FE0,0002), 64-bit each (PS3.3 C.7.6.3.1.8), when they do not, or on request.

Reading: :func:`scan_items` walks the item headers of a file without reading fragment values,
and :func:`frame_extents` turns the offsets tables (or, without them, the scan) into the byte
extents of each frame's fragments.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import BinaryIO, Literal

import numpy as np
from iodkit.pixels.errors import FrameReadError, PixelDecodingError

ITEM_TAG = b"\xfe\xff\x00\xe0"
SEQUENCE_DELIMITER = b"\xfe\xff\xdd\xe0"
UNDEFINED_LENGTH = 0xFFFFFFFF
MAX_BOT_OFFSET = 0xFFFFFFFF

OffsetTable = Literal["basic", "extended", "empty", "auto"]


def item_header(length: int) -> bytes:
    return ITEM_TAG + struct.pack("<I", length)


@dataclass(frozen=True)
class EncapsulatedValue:
    """The value of an encapsulated *Pixel Data* element and, if used, its extended tables."""

    value: bytes
    extended_offset_table: bytes | None = None
    extended_offset_table_lengths: bytes | None = None


def choose_offset_table(fragments: Sequence[bytes], requested: OffsetTable) -> OffsetTable:
    """``auto`` → basic when the last frame's offset fits 32 bits, else extended."""
    if requested != "auto":
        if requested == "basic" and _last_offset(fragments) > MAX_BOT_OFFSET:
            raise PixelDecodingError(
                "frame offsets exceed 2^32-1: the Basic Offset Table cannot hold them; use the "
                "Extended Offset Table (PS3.5 A.4)"
            )
        return requested
    return "basic" if _last_offset(fragments) <= MAX_BOT_OFFSET else "extended"


def _last_offset(fragments: Sequence[bytes]) -> int:
    return sum(8 + len(f) for f in fragments[:-1])


def encapsulate(
    fragments: Sequence[bytes], offset_table: OffsetTable = "auto"
) -> EncapsulatedValue:
    """Encapsulate one fragment per frame (each already of even length).

    The value is joined in one allocation: memory is the fragments plus the value.
    """
    if not fragments:
        raise PixelDecodingError("no frames given; at least one frame shall be present")
    table = choose_offset_table(fragments, offset_table)
    lengths = np.fromiter((len(f) for f in fragments), dtype=np.uint64, count=len(fragments))
    if (lengths % 2).any():
        raise PixelDecodingError("fragments must have even length (PS3.5 A.4)")
    offsets = np.zeros(len(fragments), dtype=np.uint64)
    np.cumsum(lengths[:-1] + 8, out=offsets[1:])
    bot = offsets.astype("<u4").tobytes() if table == "basic" else b""
    parts: list[bytes] = [item_header(len(bot)), bot]
    for fragment in fragments:
        parts.append(item_header(len(fragment)))
        parts.append(fragment)
    value = b"".join(parts)  # one allocation of the final size
    if table == "extended":
        return EncapsulatedValue(
            value, offsets.astype("<u8").tobytes(), lengths.astype("<u8").tobytes()
        )
    return EncapsulatedValue(value)


# -- reading --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """One fragment item: where its value starts in the file and how long it is."""

    position: int  # file position of the value (just after the 8-byte header)
    length: int


def _read_exact(fp: BinaryIO, n: int, what: str) -> bytes:
    data = fp.read(n)
    if len(data) != n:
        raise FrameReadError(
            f"Pixel Data is truncated: {what} needs {n} bytes at file offset "
            f"{fp.tell() - len(data)}, only {len(data)} remain"
        )
    return data


def read_item_header(fp: BinaryIO) -> tuple[bytes, int]:
    header = _read_exact(fp, 8, "an item header")
    return header[:4], struct.unpack("<I", header[4:])[0]


def read_basic_offset_table(fp: BinaryIO) -> tuple[list[int], int]:
    """Read the Basic Offset Table item at ``fp``; return offsets and the first item's position."""
    tag, length = read_item_header(fp)
    if tag != ITEM_TAG:
        raise FrameReadError(
            f"encapsulated Pixel Data must start with the Basic Offset Table item (FFFE,E000), "
            f"found tag {tag.hex()} (PS3.5 A.4)"
        )
    if length % 4:
        raise FrameReadError(f"Basic Offset Table length {length} is not a multiple of 4")
    table = _read_exact(fp, length, "the Basic Offset Table")
    return list(struct.unpack(f"<{length // 4}I", table)), fp.tell()


def scan_items(fp: BinaryIO, start: int, file_size: int | None = None) -> list[Item]:
    """Headers of all fragment items from ``start`` to the Sequence Delimiter, values skipped."""
    items: list[Item] = []
    fp.seek(start)
    while True:
        tag, length = read_item_header(fp)
        if tag == SEQUENCE_DELIMITER:
            return items
        if tag != ITEM_TAG:
            raise FrameReadError(
                f"expected an item (FFFE,E000) or sequence delimiter (FFFE,E0DD) at file offset "
                f"{fp.tell() - 8}, found tag {tag.hex()}: Pixel Data is malformed or truncated"
            )
        position = fp.tell()
        if file_size is not None and position + length > file_size:
            raise FrameReadError(
                f"Pixel Data is truncated: fragment {len(items)} declares {length} bytes at file "
                f"offset {position}, only {file_size - position} remain"
            )
        items.append(Item(position, length))
        fp.seek(position + length)


#: Byte signatures that begin a frame's codestream (JPEG SOI, JPEG 2000 SOC+SIZ).
_FRAME_STARTS = (b"\xff\xd8", b"\xff\x4f\xff\x51")


def group_items(fp: BinaryIO, items: list[Item], number_of_frames: int) -> list[list[Item]]:
    """Group fragments into frames when no offset table says where frames start.

    One fragment per frame is the common case; one frame takes all fragments; otherwise a
    fragment that begins with a codestream start marker starts a new frame (this reads a few
    bytes per fragment, never whole fragments).
    """
    if len(items) == number_of_frames:
        return [[item] for item in items]
    if number_of_frames == 1:
        return [items]
    frames: list[list[Item]] = []
    for item in items:
        fp.seek(item.position)
        head = fp.read(4)
        if not frames or any(head.startswith(s) for s in _FRAME_STARTS):
            frames.append([item])
        else:
            frames[-1].append(item)
    if len(frames) != number_of_frames:
        raise FrameReadError(
            f"{len(items)} fragments form {len(frames)} frames, but Number of Frames is "
            f"{number_of_frames}, and there is no offset table to say where frames start"
        )
    return frames


def frames_from_offsets(
    items: list[Item], first_item: int, offsets: Sequence[int], number_of_frames: int
) -> list[list[Item]]:
    """Group fragment items by frame using Basic Offset Table offsets (PS3.5 A.4)."""
    if len(offsets) != number_of_frames:
        raise FrameReadError(
            f"Basic Offset Table has {len(offsets)} entries, Number of Frames is {number_of_frames}"
        )
    by_start = {item.position - 8 - first_item: index for index, item in enumerate(items)}
    starts = []
    for frame, offset in enumerate(offsets):
        if offset not in by_start:
            raise FrameReadError(
                f"Basic Offset Table entry {frame} ({offset}) does not point at an item tag"
            )
        starts.append(by_start[offset])
    if starts != sorted(starts) or (starts and starts[0] != 0):
        raise FrameReadError("Basic Offset Table offsets are not increasing from 0")
    bounds = [*starts, len(items)]
    return [items[bounds[i] : bounds[i + 1]] for i in range(number_of_frames)]


def parse_extended_offsets(
    offsets: bytes, lengths: bytes | None, number_of_frames: int, first_item: int, file_size: int
) -> list[tuple[int, int]]:
    """(value position, length) of each frame from the Extended Offset Table (PS3.3 C.7.6.3.1.8).

    Offsets point at item tags (relative to the first item after the empty Basic Offset Table);
    lengths are those of the frame's single fragment, without the item header.
    """
    table = np.frombuffer(offsets, dtype="<u8")
    if table.size != number_of_frames:
        raise FrameReadError(
            f"Extended Offset Table has {table.size} entries, "
            f"Number of Frames is {number_of_frames}"
        )
    if lengths is None:
        raise FrameReadError(
            "Extended Offset Table is present without Extended Offset Table Lengths"
        )
    sizes = np.frombuffer(lengths, dtype="<u8")
    if sizes.size != number_of_frames:
        raise FrameReadError(
            f"Extended Offset Table Lengths has {sizes.size} entries, Number of Frames is "
            f"{number_of_frames}"
        )
    extents = []
    for frame, (offset, size) in enumerate(zip(table.tolist(), sizes.tolist(), strict=True)):
        position = first_item + offset + 8
        if position + size > file_size:
            raise FrameReadError(
                f"Pixel Data is truncated: frame {frame} needs bytes up to file offset "
                f"{position + size}, the file has {file_size}"
            )
        extents.append((position, size))
    return extents

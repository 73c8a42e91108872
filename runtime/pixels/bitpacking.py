"""1-bit pixel data: pack and unpack frames, little-endian bit order, no per-frame padding.

PS3.5 8.1.1 and Annex D: with *Bits Allocated* 1 the first pixel sits in the least significant
bit of the first byte; in a multi-frame native encoding "the individual frames are not padded",
so frame *i* starts at bit ``i × Rows × Columns`` and may begin in the middle of a byte; only the
whole value field is padded to an even length. BINARY Segmentations (PS3.3 C.8.20.2) use this.

``numpy.packbits(..., bitorder="little")`` over the flattened frames is the practical speed limit;
this module adds what a DICOM writer needs around it:

* memory stays proportional to the *output*: frames are packed in groups whose bit count is a
  multiple of 8 (any 8 frames are), so a group never straddles a byte and no bool→uint8 copy
  of the whole volume is ever made;
* frames may come from an iterator (one frame in memory at a time, plus one group);
* values other than 0/1 are refused with the frame that holds them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator

import numpy as np
from iodkit.pixels.errors import PixelEncodingError

#: Samples packed per NumPy call: large enough to amortise call overhead, small enough that
#: the per-group temporaries (at most one uint8 copy of a group) stay a few MiB.
GROUP_SAMPLES = 1 << 23


def frames_per_group(samples_per_frame: int, target_samples: int = GROUP_SAMPLES) -> int:
    """Frames per packing group: a multiple of the smallest count whose bits fill whole bytes."""
    unit = 8 // math.gcd(samples_per_frame, 8)
    return max(1, target_samples // (samples_per_frame * unit)) * unit


def packed_length(number_of_frames: int, samples_per_frame: int, *, pad: bool = True) -> int:
    """Bytes of packed 1-bit pixel data; ``pad`` rounds up to even length (PS3.5 7.1)."""
    n = (number_of_frames * samples_per_frame + 7) // 8
    return n + (n & 1) if pad else n


def frame_span(index: int, samples_per_frame: int) -> tuple[int, int, int]:
    """Where frame ``index`` lies in packed data: ``(first_byte, stop_byte, bit_offset)``."""
    first_bit = index * samples_per_frame
    stop_bit = first_bit + samples_per_frame
    return first_bit // 8, (stop_bit + 7) // 8, first_bit % 8


def _check_binary(group: np.ndarray, first_frame: int) -> None:
    """Refuse samples other than 0 and 1, naming the first frame that holds one."""
    if group.dtype == np.bool_:
        return
    if group.dtype.kind not in "ui":
        if group.dtype.kind == "f" and np.isnan(group).any():
            raise PixelEncodingError(
                f"frame {first_frame + _first_bad(np.isnan(group))} contains NaN; "
                "Bits Allocated 1 needs 0 or 1"
            )
        raise PixelEncodingError(
            f"dtype {group.dtype} cannot be packed as Bits Allocated 1; give bool or an integer "
            "dtype holding 0 and 1"
        )
    if group.size and (group.max() > 1 or (group.dtype.kind == "i" and group.min() < 0)):
        bad = (group > 1) | (group < 0)
        frame = first_frame + _first_bad(bad)
        value = group.reshape(-1)[np.flatnonzero(bad.reshape(-1))[0]]
        raise PixelEncodingError(
            f"frame {frame} has value {value}; Bits Allocated 1 allows only 0 and 1"
        )


def _first_bad(mask: np.ndarray) -> int:
    if mask.ndim <= 2:
        return 0
    return int(np.flatnonzero(mask.reshape(mask.shape[0], -1).any(axis=1))[0])


def _as_frame_stack(frames: np.ndarray) -> np.ndarray:
    if frames.ndim < 2:
        raise PixelEncodingError(
            f"expected frames shaped (frames, rows, columns) or (rows, columns), got {frames.shape}"
        )
    return frames if frames.ndim >= 3 else frames[np.newaxis]


def pack_bits(
    frames: np.ndarray | Iterable[np.ndarray],
    *,
    pad: bool = True,
    frame_shape: tuple[int, ...] | None = None,
) -> bytes:
    """Pack binary frames into 1-bit native Pixel Data (PS3.5 8.1.1, little-endian bits).

    ``frames`` is an array shaped (frames, rows, columns) — a 2-D array is one frame — or an
    iterable of (rows, columns) arrays. bool input is packed without conversion; integer input
    must hold only 0 and 1. The result is padded to even length unless ``pad`` is False.
    ``frame_shape`` makes an iterable's frames be checked against a known shape.
    """
    if isinstance(frames, np.ndarray):
        stack = _as_frame_stack(frames)
        if frame_shape is not None and stack.shape[1:] != tuple(frame_shape):
            raise PixelEncodingError(
                f"frame 0 has shape {stack.shape[1:]}, expected {tuple(frame_shape)}"
            )
        return _pack_stack(stack, pad)
    return _pack_iterable(iter(frames), pad, frame_shape)


def _pack_stack(stack: np.ndarray, pad: bool) -> bytes:
    n = stack.shape[0]
    per_frame = math.prod(stack.shape[1:])
    total = packed_length(n, per_frame, pad=pad)
    out = np.zeros(total, dtype=np.uint8)
    group = frames_per_group(per_frame)
    at = 0
    for start in range(0, n, group):
        chunk = stack[start : start + group]
        _check_binary(chunk, start)
        packed = np.packbits(chunk.reshape(-1), bitorder="little")
        out[at : at + packed.size] = packed
        at += packed.size
    return out.tobytes()


def _pack_iterable(
    frames: Iterator[np.ndarray], pad: bool, frame_shape: tuple[int, ...] | None
) -> bytes:
    out = bytearray()
    staging: np.ndarray | None = None
    filled = 0
    index = 0
    for index, frame in enumerate(frames):
        frame = np.asarray(frame)
        if frame_shape is None:
            frame_shape = frame.shape
        if frame.shape != tuple(frame_shape):
            raise PixelEncodingError(
                f"frame {index} has shape {frame.shape}, expected {tuple(frame_shape)}"
            )
        if staging is None:
            per_frame = math.prod(frame_shape)
            group = frames_per_group(per_frame, target_samples=GROUP_SAMPLES // 4)
            dtype = np.bool_ if frame.dtype == np.bool_ else np.uint8
            staging = np.empty((group, *frame_shape), dtype=dtype)
        _check_binary(frame[np.newaxis], index)
        staging[filled] = frame
        filled += 1
        if filled == staging.shape[0]:
            out += np.packbits(staging.reshape(-1), bitorder="little").tobytes()
            filled = 0
    if staging is None:
        raise PixelEncodingError(
            "no frames given; at least one frame shall be present (PS3.5 8.1.1)"
        )
    if filled:
        out += np.packbits(staging[:filled].reshape(-1), bitorder="little").tobytes()
    if pad and len(out) & 1:
        out.append(0)
    return bytes(out)


def unpack_bits(
    buffer: bytes | bytearray | memoryview | np.ndarray,
    number_of_frames: int,
    rows: int,
    columns: int,
    *,
    first_frame: int = 0,
    dtype: type | np.dtype = np.uint8,
) -> np.ndarray:
    """Unpack frames ``first_frame … first_frame + number_of_frames - 1`` of 1-bit Pixel Data.

    ``buffer`` holds the whole packed value (or at least the bytes those frames touch, with
    ``first_frame`` counted from its start). Returns (frames, rows, columns) of 0/1 as ``dtype``
    (``uint8`` as pydicom returns, or ``bool``).
    """
    per_frame = rows * columns
    first_byte, stop_byte, bit_offset = frame_span(first_frame, per_frame)
    stop_byte = (first_frame * per_frame + number_of_frames * per_frame + 7) // 8
    raw = np.frombuffer(buffer, dtype=np.uint8) if not isinstance(buffer, np.ndarray) else buffer
    if raw.size < stop_byte:
        raise PixelEncodingError(
            f"1-bit pixel data holds {raw.size} bytes; frames {first_frame}…"
            f"{first_frame + number_of_frames - 1} of {rows}×{columns} need {stop_byte}"
        )
    count = number_of_frames * per_frame
    bits = np.unpackbits(raw[first_byte:stop_byte], bitorder="little", count=bit_offset + count)[
        bit_offset:
    ]
    if bit_offset:
        bits = np.ascontiguousarray(bits)
    out = bits.reshape(number_of_frames, rows, columns)
    return out.view(np.bool_) if np.dtype(dtype) == np.bool_ else out.astype(dtype, copy=False)


def unpack_frame(
    buffer: bytes | bytearray | memoryview | np.ndarray,
    rows: int,
    columns: int,
    bit_offset: int = 0,
) -> np.ndarray:
    """Unpack one (rows, columns) frame that starts ``bit_offset`` bits into ``buffer``."""
    raw = np.frombuffer(buffer, dtype=np.uint8) if not isinstance(buffer, np.ndarray) else buffer
    count = rows * columns
    bits = np.unpackbits(raw, bitorder="little", count=bit_offset + count)[bit_offset:]
    return np.ascontiguousarray(bits).reshape(rows, columns)

"""Native (uncompressed) layout of integer and float frames, and the checks every frame passes.

PS3.5 8.1.1: each sample occupies *Bits Allocated* bits, little-endian (PS3.5 7.3); *Bits Stored*
of them carry the value, two's complement when *Pixel Representation* is 1. Multi-frame native
pixel data is the frames concatenated with no per-frame padding; only the whole value is padded
to even length. Colour frames are colour-by-pixel (*Planar Configuration* 0) or colour-by-plane
(1), PS3.3 C.7.6.3.1.3. *Float Pixel Data* / *Double Float Pixel Data* hold IEEE 754 binary32 /
binary64 samples (PS3.5 6.2, VR OF / OD).

The same checks guard every transfer syntax (encapsulated encoders receive the checked frame):
a frame must have the expected shape, a dtype that converts without loss, no NaN when the
target is integer, and values inside the range *Bits Stored* and *Pixel Representation* allow.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np
from iodkit.pixels.bitpacking import pack_bits, unpack_frame
from iodkit.pixels.description import PixelDescription
from iodkit.pixels.errors import PixelEncodingError

#: Frames checked and copied per NumPy call when the input is one array.
GROUP_BYTES = 1 << 24


def _target_name(desc: PixelDescription) -> str:
    if desc.is_float:
        return f"{desc.pixel_keyword} (Bits Allocated {desc.bits_allocated})"
    sign = "signed" if desc.pixel_representation else "unsigned"
    return (
        f"{sign} integer Pixel Data "
        f"(Bits Allocated {desc.bits_allocated}, Bits Stored {desc.bits_stored})"
    )


def check_frames(frames: np.ndarray, desc: PixelDescription, first_index: int = 0) -> None:
    """Check a stack of frames (frames, *frame_shape) against ``desc``; raise naming the frame.

    Checks shape, dtype convertibility, NaN in integer targets and the value range of Bits
    Stored. It does not copy the frames (apart from NumPy's reductions).
    """
    shape = frames.shape[1:]
    if shape != desc.frame_shape:
        raise PixelEncodingError(
            f"frame {first_index} has shape {shape}, expected {desc.frame_shape}"
        )
    kind = frames.dtype.kind
    target = desc.dtype
    if desc.bits_allocated == 1:
        return  # bitpacking checks 0/1 itself, group by group
    if desc.is_float:
        if kind == "b" or not np.can_cast(frames.dtype, target, "safe"):
            raise PixelEncodingError(
                f"frame {first_index} has dtype {frames.dtype}, which {_target_name(desc)} "
                f"cannot hold without loss; cast explicitly to {target.name}"
            )
        return
    if kind == "f" or kind == "c":
        nan = np.isnan(frames)
        if nan.any():
            index = first_index + int(np.flatnonzero(nan.reshape(len(frames), -1).any(axis=1))[0])
            raise PixelEncodingError(
                f"frame {index} contains NaN; {_target_name(desc)} cannot hold NaN"
            )
        raise PixelEncodingError(
            f"frame {first_index} has dtype {frames.dtype}; {_target_name(desc)} needs an "
            "integer or bool dtype (round and cast explicitly)"
        )
    if kind not in "uib":
        raise PixelEncodingError(
            f"frame {first_index} has dtype {frames.dtype}; {_target_name(desc)} needs an "
            "integer or bool dtype"
        )
    if kind == "b" or frames.size == 0:
        return
    low, high = desc.value_range
    info = np.iinfo(frames.dtype)
    if info.min >= low and info.max <= high:
        return  # the dtype cannot hold anything out of range: no pass over the data
    found_low, found_high = frames.min(), frames.max()
    if found_low < low or found_high > high:
        bad = (frames < low) | (frames > high)
        per_frame = bad.reshape(len(frames), -1)
        index = int(np.flatnonzero(per_frame.any(axis=1))[0])
        value = frames[index].reshape(-1)[np.flatnonzero(per_frame[index])[0]]
        raise PixelEncodingError(
            f"frame {first_index + index} has value {value} outside [{low}, {high}] allowed by "
            f"{_target_name(desc)}"
        )


def as_stored_frame(frame: np.ndarray, desc: PixelDescription) -> np.ndarray:
    """A checked frame in the stored dtype (little-endian), colour-by-pixel; no copy if it is."""
    return np.ascontiguousarray(frame.astype(desc.dtype, copy=False))


def _stored_view(out: np.ndarray, count: int, desc: PixelDescription) -> np.ndarray:
    """Typed view over ``count`` frames at the start of a uint8 buffer, in stored sample order."""
    typed = out[: count * desc.frame_length].view(desc.dtype)
    if desc.samples_per_pixel > 1 and desc.planar_configuration == 1:
        return typed.reshape(count, desc.samples_per_pixel, desc.rows, desc.columns).transpose(
            0, 2, 3, 1
        )
    return typed.reshape(count, *desc.frame_shape)


def encode_native(frames: np.ndarray | Iterable[np.ndarray], desc: PixelDescription) -> bytes:
    """Native value field for ``frames`` described by ``desc`` (PS3.5 8.1.1), padded to even.

    ``frames`` is a stack (frames, *frame_shape) or an iterable of frames. Memory: the output
    plus one group of frames (one frame for iterables); the output is copied once into ``bytes``.
    ``desc.number_of_frames`` must match a stack; for an iterable it is only a size hint.
    """
    if desc.bits_allocated == 1:
        return pack_bits(frames, frame_shape=desc.frame_shape)
    if isinstance(frames, np.ndarray):
        return _encode_stack(frames, desc)
    return _encode_iterable(iter(frames), desc)


def _encode_stack(stack: np.ndarray, desc: PixelDescription) -> bytes:
    n = stack.shape[0]
    length = n * desc.frame_length
    frame_bytes = max(1, desc.frame_length)
    group = max(1, GROUP_BYTES // frame_bytes)
    for start in range(0, n, group):
        check_frames(stack[start : start + group], desc, start)
    simple = desc.samples_per_pixel == 1 or desc.planar_configuration == 0
    if simple and stack.dtype == desc.dtype and stack.flags.c_contiguous and length % 2 == 0:
        return stack.tobytes()  # already the stored layout: one copy, into bytes
    out = np.zeros(length + (length & 1), dtype=np.uint8)
    view = _stored_view(out, n, desc)
    for start in range(0, n, group):
        view[start : start + group] = stack[start : start + group]
    return out.tobytes()


def _encode_iterable(frames: Iterator[np.ndarray], desc: PixelDescription) -> bytes:
    out = bytearray()
    count = 0
    scratch = np.empty(desc.frame_length, dtype=np.uint8)
    view = _stored_view(scratch, 1, desc)
    for count, frame in enumerate(frames, start=1):
        frame = np.asarray(frame)
        check_frames(frame[np.newaxis], desc, count - 1)
        view[0] = frame
        out += scratch.data
    if count == 0:
        raise PixelEncodingError(
            "no frames given; at least one frame shall be present (PS3.5 8.1.1)"
        )
    if len(out) & 1:
        out.append(0)
    return bytes(out)


def iter_checked_frames(
    frames: np.ndarray | Iterable[np.ndarray], desc: PixelDescription
) -> Iterator[np.ndarray]:
    """Yield each frame checked and converted to the stored dtype (for encapsulated encoders)."""
    for index, frame in enumerate(frames):
        frame = np.asarray(frame)
        check_frames(frame[np.newaxis], desc, index)
        if desc.bits_allocated == 1:
            if frame.dtype != np.bool_:
                from iodkit.pixels.bitpacking import _check_binary

                _check_binary(frame[np.newaxis], index)
            yield np.ascontiguousarray(frame.astype(np.uint8, copy=False))
        else:
            yield as_stored_frame(frame, desc)


def decode_native_frame(
    buffer: bytes | bytearray | memoryview | np.ndarray,
    desc: PixelDescription,
    bit_offset: int = 0,
) -> np.ndarray:
    """Decode one native frame from the bytes it occupies (``bit_offset`` only for 1-bit).

    Output matches pydicom's ``pixel_array`` for the same frame: colour-by-pixel, unused high
    bits cleared (unsigned) or sign-extended (signed) when Bits Stored < Bits Allocated.
    YBR photometric interpretations are left to pydicom (see :mod:`iodkit.pixels.codecs`).
    """
    if desc.bits_allocated == 1:
        return unpack_frame(buffer, desc.rows, desc.columns, bit_offset)
    raw = buffer if isinstance(buffer, np.ndarray) else np.frombuffer(buffer, dtype=np.uint8)
    if raw.size < desc.frame_length:
        raise PixelEncodingError(f"native frame needs {desc.frame_length} bytes, got {raw.size}")
    arr = _stored_view(raw, 1, desc)[0]
    if not desc.is_float and desc.bits_stored < desc.bits_allocated:
        arr = _correct_unused_bits(arr, desc)
    return arr


def _correct_unused_bits(arr: np.ndarray, desc: PixelDescription) -> np.ndarray:
    """Clear (or sign-extend into) the bits above High Bit: PS3.5 8.1.1 says receivers may not
    assume anything about their content."""
    shift = desc.bits_allocated - desc.bits_stored
    if desc.pixel_representation:
        return (arr << shift) >> shift
    return arr & np.array((1 << desc.bits_stored) - 1, dtype=arr.dtype)

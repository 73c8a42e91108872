"""Place a Segmentation's frames into the arrays its reader returns (highdicom's conventions).

The reader (:mod:`iodkit.seg.reader`) decides which frame goes where — an *instruction* per
frame: the frame, the part of it to take, where it goes, and its channel (the segment's
position, or the label it is written as when segments are combined). These functions read the
frames through ``read`` and fill the output:

* :func:`channels` — one channel per requested segment, 0/1, or stored / Maximum Fractional
  Value for FRACTIONAL (rescaled, C.8.20.2.1);
* :func:`combined` — one label map of the requested segments, refusing overlaps;
* :func:`labelmap` — a LABELMAP's stored segment numbers, per segment or combined, relabelled;
* :func:`palette_colors` — a PALETTE COLOR label map as RGB.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from iodkit.derived.reader import hashable
from iodkit.seg.errors import SegmentationReadError

# One instruction: (frame index, input rows/columns slices, output spatial index, channel)
Instruction = tuple[int, tuple[slice, slice], tuple[Any, ...], int | None]
Read = Callable[[int], np.ndarray]


def unsigned_dtype(max_value: int) -> np.dtype:
    for dtype in (np.uint8, np.uint16, np.uint32, np.uint64):
        if max_value <= np.iinfo(dtype).max:
            return np.dtype(dtype)
    raise SegmentationReadError(f"no unsigned integer type holds {max_value}")


def combined(
    spatial_shape: tuple[int, ...],
    instructions: list[Instruction],
    out_dtype: np.dtype,
    read: Read,
    fractional_maximum: int | None,
    skip_overlap_checks: bool,
) -> np.ndarray:
    """The requested segments as one label map (labels are the instructions' channels); a
    FRACTIONAL segmentation combines only where its pixels are 0 or the maximum."""
    out = np.zeros(spatial_shape, dtype=out_dtype)
    shared: dict[tuple[Any, ...], int] = {}
    for _, _, target, _ in instructions:
        key = hashable(target)
        shared[key] = shared.get(key, 0) + 1
    for k, source, target, label in instructions:
        assert label is not None
        pixels = read(k)[source]
        if fractional_maximum is not None:
            if not np.isin(pixels, (0, fractional_maximum)).all():
                raise SegmentationReadError(
                    "segments of a FRACTIONAL segmentation combine only when every "
                    f"pixel is 0 or the Maximum Fractional Value ({fractional_maximum})"
                )
            pixels = (pixels // fractional_maximum).astype(np.uint8)
        region = out[target]
        if shared[hashable(target)] == 1 and not region.any():  # nothing to overlap
            np.multiply(pixels, label, out=region, dtype=out_dtype, casting="unsafe")
            continue
        # pixels are 0/1: label them; an overlap is a pixel set in both, i.e. fewer
        # labelled pixels after the update than before plus added
        before = 0 if skip_overlap_checks else np.count_nonzero(region)
        added = 0 if skip_overlap_checks else np.count_nonzero(pixels)
        np.maximum(region, np.multiply(pixels, label, dtype=out_dtype), out=region)
        if not skip_overlap_checks and np.count_nonzero(region) != before + added:
            raise SegmentationReadError("cannot combine segments: they overlap")
    return out


def channels(
    spatial_shape: tuple[int, ...],
    instructions: list[Instruction],
    count: int,
    out_dtype: np.dtype,
    read: Read,
    rescale_maximum: int | None,
) -> np.ndarray:
    """One channel per requested segment; with ``rescale_maximum`` the stored fractions
    divided by it."""
    out = np.zeros((*spatial_shape, count), dtype=out_dtype)
    scale = None if rescale_maximum is None else out_dtype.type(rescale_maximum)
    for k, source, target, channel in instructions:
        frame = read(k)[source]
        if scale is None:
            out[(*target, channel)] = frame
            continue
        if frame.size and frame.max() > scale:
            raise SegmentationReadError("pixel values exceed the Maximum Fractional Value")
        # stored / maximum in the output type, frame by frame, straight into the output:
        # the same values as converting and dividing the whole array at the end
        np.divide(frame, scale, out=out[(*target, channel)], dtype=out_dtype)
    return out


def labelmap(
    spatial_shape: tuple[int, ...],
    instructions: list[Instruction],
    segments: list[int],
    combine: bool,
    relabel: bool,
    out_dtype: np.dtype,
    read: Read,
    *,
    bits: int,
    background: int,
    all_segments: Sequence[int],
) -> np.ndarray:
    """A LABELMAP's frames: one 0/1 channel per requested segment, or (``combine``) the
    stored numbers with the other segments set to background, or ``relabel``-led 1…N."""
    if not combine:  # one channel per requested segment, frame by frame, segment by segment
        out = np.zeros((*spatial_shape, len(segments)), dtype=out_dtype)
        for j, number in enumerate(segments):
            if number == 0:  # where no frame is stored the value is 0: segment 0, if any
                out[..., j] = 1
        flags = out.view(np.bool_) if out_dtype.itemsize == 1 else None
        for k, source, target, _ in instructions:
            frame = read(k)[source]
            for j, number in enumerate(segments):
                if flags is not None:
                    np.equal(frame, number, out=flags[(*target, j)])
                else:
                    out[(*target, j)] = frame == number
        return out
    stored = np.zeros(spatial_shape, dtype=unsigned_dtype((1 << bits) - 1))
    for k, source, target, _ in instructions:
        stored[target] = read(k)[source]
    if not relabel and set(segments) == set(all_segments):
        return stored.astype(out_dtype, copy=False)  # every segment: values as stored
    size = max(max(all_segments, default=0), background) + 2
    size = max(size, int(stored.max()) + 1 if stored.size else 1)
    if not relabel:
        remap = np.full(size, background, dtype=out_dtype)
        for s in segments:
            remap[s] = s
        remap[background] = background
        return remap[stored]
    remap = np.zeros(size, dtype=out_dtype)
    for j, s in enumerate(segments):
        remap[s] = j + 1
    return remap[stored]


def palette_colors(labels: np.ndarray, ds: Any) -> np.ndarray:
    """A PALETTE COLOR label map's labels as RGB through its lookup tables (C.7.6.3.1.5)."""
    from pydicom.pixels import apply_color_lut

    return apply_color_lut(labels, ds)  # type: ignore[no-any-return]

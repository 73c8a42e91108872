"""From the user's mask to the frames of a Segmentation: checks, empty frames, frame values.

The mask is ``(planes, rows, columns)`` of labels (0 = background, n = segment n; bool means
segment 1) or ``(planes, rows, columns, segments)`` with one channel per described segment, in
the order of the descriptions; a 2-D mask is one plane. Channels hold 0/1 (bool, int or float)
or, for FRACTIONAL, fractions in [0, 1]. For a tiled source the single plane is the total
pixel matrix, cut into tiles here.

A *cell* is the region one frame covers: a whole plane, or one tile of the total pixel matrix.
:func:`scan` reads the mask once, cell by cell, to check its values and find which segments
each cell holds (so empty frames can be left out, PS3.3 C.8.20.2 allows any subset of frames);
:func:`frames` then yields each frame's stored values in the segmentation's encoding
(C.8.20.2.1: BINARY 1 bit, FRACTIONAL 0…Maximum Fractional Value, LABELMAP segment numbers),
one frame in memory at a time.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from iodkit.derived.frames import Cell, padded_region
from iodkit.derived.frames import region as cell_region
from iodkit.seg.errors import SegmentationError

SegmentationType = str  # "BINARY" | "FRACTIONAL" | "LABELMAP"


@dataclass
class ScannedMask:
    """The checked mask and what :func:`scan` found in it."""

    mask: np.ndarray  # (planes, rows, columns) or (planes, rows, columns, segments)
    channels: bool  # True: one channel per segment; False: labels
    segment_numbers: list[int]
    cells: list[Cell]
    present: np.ndarray  # (cells, segments) bool
    overlap: bool | None  # None: unknown (fractions)
    frame_shape: tuple[int, int]

    @property
    def empty(self) -> bool:
        return not bool(self.present.any())


def normalize(
    mask: object,
    planes: int,
    plane_shape: tuple[int, int],
    segment_numbers: Sequence[int],
    segmentation_type: str,
) -> tuple[np.ndarray, bool]:
    """Check the mask's shape and dtype; return it as (planes, rows, columns[, segments]) and
    whether it has segment channels."""
    if not isinstance(mask, np.ndarray):
        mask = np.asarray(mask)
    if mask.size == 0:
        raise SegmentationError(f"the mask is empty (shape {mask.shape}): it has no pixels")
    if mask.dtype.kind not in "buif":
        raise SegmentationError(f"mask dtype {mask.dtype} is not bool, integer or float")
    if mask.ndim == 2:
        mask = mask[np.newaxis]
    if mask.ndim not in (3, 4):
        raise SegmentationError(
            f"mask shape {mask.shape}: give (planes, rows, columns) labels or (planes, rows, "
            "columns, segments) channels"
        )
    channels = mask.ndim == 4
    if not channels and mask.dtype.kind == "f" and segmentation_type != "FRACTIONAL":
        mask = _float_labels(mask, segmentation_type)
    if not channels and mask.dtype.kind == "f":
        if len(segment_numbers) != 1:
            raise SegmentationError(
                f"a 3-D float mask holds the fractions of one segment, but "
                f"{len(segment_numbers)} segments are described; give (planes, rows, columns, "
                "segments) for several"
            )
        mask = mask[..., np.newaxis]
        channels = True
    if mask.shape[0] != planes:
        raise SegmentationError(
            f"mask has {mask.shape[0]} planes but the source images call for {planes} "
            "(one per single-frame image or source frame; one total pixel matrix for a tiled "
            "image)"
        )
    if tuple(mask.shape[1:3]) != tuple(plane_shape):
        raise SegmentationError(
            f"mask planes are {mask.shape[1]}×{mask.shape[2]} but the source images are "
            f"{plane_shape[0]}×{plane_shape[1]} (rows×columns)"
        )
    if channels and mask.shape[3] != len(segment_numbers):
        raise SegmentationError(
            f"mask has {mask.shape[3]} segment channels but {len(segment_numbers)} segment "
            "descriptions; give one description per channel, in channel order"
        )
    return mask, channels


def _float_labels(mask: np.ndarray, segmentation_type: str) -> np.ndarray:
    """A float label mask (what a model's thresholded output often is: exactly 0.0 and 1.0)
    as the unsigned integers it holds; fractions, NaN or infinities are refused, naming the
    first plane that holds one."""
    with np.errstate(invalid="ignore"):
        whole = bool(np.isfinite(mask).all()) and bool(np.equal(np.mod(mask, 1), 0).all())
    for k, plane in enumerate([] if whole else mask):
        with np.errstate(invalid="ignore"):
            bad = ~np.isfinite(plane) | (np.mod(plane, 1) != 0)
        if bad.any():
            value = float(plane[bad][0])
            raise SegmentationError(
                f"a float mask holds {value!r} in plane {k}, not a label: {segmentation_type} "
                "masks hold labels (0 background, n segment n; a float mask of exactly 0.0 "
                "and 1.0 is segment 1). Use segmentation_type FRACTIONAL for probabilities, "
                "or threshold the mask first"
            )
    low = float(mask.min())
    high = float(mask.max())
    if low < 0:
        raise SegmentationError(
            f"mask holds negative label {low:g}; labels are 0 (background) or segment numbers"
        )
    if high > 0xFFFF:
        raise SegmentationError(
            f"mask holds label {high:g}; Segment Numbers are at most 65535 (VR US)"
        )
    return mask.astype(np.uint8 if high <= 0xFF else np.uint16)


def scan(
    mask: np.ndarray,
    channels: bool,
    cells: list[Cell],
    segment_numbers: Sequence[int],
    segmentation_type: str,
    frame_shape: tuple[int, int],
) -> ScannedMask:
    """Read the mask cell by cell: check its values, record which segments each cell holds."""
    numbers = list(segment_numbers)
    present = np.zeros((len(cells), len(numbers)), dtype=bool)
    overlap: bool | None = False
    if channels:
        fractional = segmentation_type == "FRACTIONAL" and mask.dtype.kind == "f"
        if fractional:
            overlap = None
        for i, cell in enumerate(cells):
            region = cell_region(mask, cell)
            # whole-region reductions are fast; per-channel ones run on strided views
            if mask.dtype.kind == "b":
                if region.any():
                    present[i] = [bool(region[..., j].any()) for j in range(len(numbers))]
            else:
                low, high = region.min(), region.max()
                if fractional and not (low >= 0.0 and high <= 1.0):  # NaN fails both
                    flat = region.reshape(-1, region.shape[-1])
                    _check_fractions(flat.min(axis=0), flat.max(axis=0), cell, numbers)
                elif not fractional and (
                    low < 0
                    or high > 1
                    or (mask.dtype.kind == "f" and not np.isin(region, (0, 1)).all())
                ):
                    flat = region.reshape(-1, region.shape[-1])
                    _check_binary_channels(flat, flat.min(axis=0), flat.max(axis=0), cell, numbers)
                if high > 0:
                    present[i] = [bool(region[..., j].max() > 0) for j in range(len(numbers))]
            if overlap is False and np.count_nonzero(present[i]) > 1:
                overlap = _channels_overlap(region, present[i])
    else:
        described = np.zeros(max(numbers) + 1 if numbers else 1, dtype=bool)
        described[numbers] = True
        if mask.dtype.kind == "b":
            if 1 not in numbers:
                raise SegmentationError(
                    "a bool mask marks segment 1, but no segment description has Segment "
                    f"Number 1 (described: {_listing(numbers)})"
                )
        index = {n: j for j, n in enumerate(numbers)}
        # Segments numbered 1…N (always so for BINARY and FRACTIONAL): the maximum checks the
        # labels and a comparison per segment finds them — much faster than a histogram.
        contiguous = numbers == list(range(1, len(numbers) + 1)) and len(numbers) <= 16
        for i, cell in enumerate(cells):
            region = cell_region(mask, cell)
            if mask.dtype.kind == "b":
                if region.any():
                    present[i, index[1]] = True
                continue
            if contiguous and mask.dtype.kind in "ui":
                high = int(region.max())
                if mask.dtype.kind == "i" and int(region.min()) < 0:
                    _label_counts(region, cell)  # raises, naming the negative label
                if high == 0:
                    continue
                if high > len(numbers):
                    raise SegmentationError(
                        f"mask holds label {high} (in {_where(cell)}), which no segment "
                        f"description has; described segments: {_listing(numbers)}"
                    )
                for j in range(len(numbers)):
                    present[i, j] = bool((region == j + 1).any())
                continue
            counts = _label_counts(region, cell)
            found = np.flatnonzero(counts)
            found = found[found > 0]
            if len(found) == 0:
                continue
            undescribed = [int(v) for v in found if v >= len(described) or not described[v]]
            if undescribed:
                raise SegmentationError(
                    f"mask holds label {undescribed[0]} (in {_where(cell)}), which no segment "
                    f"description has; described segments: {_listing(numbers)}"
                )
            present[i, [index[int(v)] for v in found]] = True
    return ScannedMask(mask, channels, numbers, cells, present, overlap, frame_shape)


def _label_counts(region: np.ndarray, cell: Cell) -> np.ndarray:
    if region.dtype.kind == "f":
        if np.isnan(region).any() or not np.array_equal(region, np.floor(region)):
            raise SegmentationError(
                f"mask holds non-integer labels in {_where(cell)}; labels are segment numbers"
            )
        region = region.astype(np.int64)
    if region.dtype.kind == "i" and region.size and region.min() < 0:
        raise SegmentationError(
            f"mask holds negative label {int(region.min())} in {_where(cell)}; labels are 0 "
            "(background) or segment numbers"
        )
    if region.dtype.itemsize > 2 and region.size and region.max() > 0xFFFF:
        raise SegmentationError(
            f"mask holds label {int(region.max())} in {_where(cell)}; Segment Numbers are at "
            "most 65535 (VR US)"
        )
    return np.bincount(region.reshape(-1))


def _check_fractions(low: np.ndarray, high: np.ndarray, cell: Cell, numbers: list[int]) -> None:
    bad_low = ~(low >= 0.0)  # NaN compares false
    bad_high = ~(high <= 1.0)
    if bad_low.any() or bad_high.any():
        j = int(np.flatnonzero(bad_low | bad_high)[0])
        value = low[j] if bad_low[j] else high[j]
        raise SegmentationError(
            f"fractional value {float(value)!r} outside [0, 1] for segment {numbers[j]} in "
            f"{_where(cell)}"
        )


def _check_binary_channels(
    flat: np.ndarray, low: np.ndarray, high: np.ndarray, cell: Cell, numbers: list[int]
) -> None:
    bad: np.ndarray = np.asarray((low < 0) | (high > 1))
    if not bad.any() and flat.dtype.kind == "f":
        bad = np.asarray(~np.isin(flat, (0, 1)).all(axis=0))
    if bad.any():
        j = int(np.flatnonzero(bad)[0])
        raise SegmentationError(
            f"channel of segment {numbers[j]} holds values other than 0 and 1 in "
            f"{_where(cell)}; BINARY and LABELMAP channels are 0/1 (use FRACTIONAL for "
            "fractions)"
        )


def _channels_overlap(region: np.ndarray, present: np.ndarray) -> bool:
    total = np.zeros(region.shape[:2], dtype=np.uint16)
    for j in np.flatnonzero(present):
        total += region[..., j] != 0
    return bool(total.max() > 1)


def _where(cell: Cell) -> str:
    return cell.where()


def _listing(numbers: Sequence[int]) -> str:
    return ", ".join(str(n) for n in numbers) or "none"


# -- frame values ---------------------------------------------------------------------------


def frame_region(scanned: ScannedMask, cell: Cell) -> np.ndarray:
    """The cell's region padded with zeros to the frame shape (edge tiles)."""
    return padded_region(scanned.mask, cell, scanned.frame_shape)


def frames(
    scanned: ScannedMask,
    plan: Sequence[tuple[int, int | None]],
    segmentation_type: str,
    *,
    max_fractional_value: int = 255,
    dtype: np.dtype | None = None,
) -> Iterator[np.ndarray]:
    """Each planned frame's stored values, in plan order; ``plan`` lists (cell index, segment
    position or None for a label-map frame)."""
    for cell_index, segment in plan:
        yield cell_frames(
            scanned,
            cell_index,
            [segment],
            segmentation_type,
            max_fractional_value=max_fractional_value,
            dtype=dtype,
        )[0]


def cell_frames(
    scanned: ScannedMask,
    cell_index: int,
    segments: Sequence[int | None],
    segmentation_type: str,
    *,
    max_fractional_value: int = 255,
    dtype: np.dtype | None = None,
) -> list[np.ndarray]:
    """The frames of one cell for the given segment positions (None: the label-map frame),
    sharing the work between them: fractions are quantised once for all channels."""
    numbers = scanned.segment_numbers
    cell = scanned.cells[cell_index]
    region = frame_region(scanned, cell)
    if segmentation_type == "LABELMAP":
        frame = _labelmap_frame(
            region, scanned.channels, numbers, dtype or np.dtype(np.uint8), cell
        )
        return [frame for _ in segments]
    out: list[np.ndarray] = []
    quantised: np.ndarray | None = None
    for segment in segments:
        assert segment is not None
        if scanned.channels:
            values = region[..., segment]
            if segmentation_type == "BINARY":
                out.append(values if values.dtype == np.bool_ else values != 0)
            elif values.dtype.kind == "f":
                if len(segments) > 1:  # one contiguous pass over all channels
                    if quantised is None:
                        scaled = np.multiply(region, region.dtype.type(max_fractional_value))
                        np.rint(scaled, out=scaled)  # round half to even, then exact in uint8
                        quantised = scaled.astype(np.uint8)
                    out.append(quantised[..., segment])
                else:
                    scaled = np.multiply(values, values.dtype.type(max_fractional_value))
                    np.rint(scaled, out=scaled)
                    out.append(scaled.astype(np.uint8))
            else:
                out.append((values != 0).astype(np.uint8) * np.uint8(max_fractional_value))
        else:
            hit = region if region.dtype == np.bool_ else region == numbers[segment]
            if segmentation_type == "BINARY":
                out.append(hit)
            else:
                out.append(hit.astype(np.uint8) * np.uint8(max_fractional_value))
    return out


def _labelmap_frame(
    region: np.ndarray, channels: bool, numbers: list[int], dtype: np.dtype, cell: Cell
) -> np.ndarray:
    if not channels:
        return region.astype(dtype, copy=False)
    out = np.zeros(region.shape[:2], dtype=dtype)
    for j, number in enumerate(numbers):
        hit = region[..., j] != 0
        if not hit.any():
            continue
        if np.any(out[hit]):
            other = int(out[hit][out[hit] != 0][0])
            raise SegmentationError(
                f"segments {other} and {number} overlap in {_where(cell)}; a LABELMAP stores "
                "one segment per pixel (use BINARY for overlapping segments)"
            )
        out[hit] = number
    return out

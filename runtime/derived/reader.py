"""The reader side of derived multi-frame images: find frames, then place them.

:class:`FrameIndex` opens any :mod:`frame source <iodkit.derived.framesource>` (a file read
lazily, frame by frame; an in-memory Dataset; a server), builds the
:class:`~iodkit.derived.frametable.FrameTable` once, and answers *which frame goes where* for
the queries every derived image supports — highdicom's semantics, so the two can be swapped:

* by source instance (single-frame sources, through the Derivation Image functional group),
  by source frame (a multi-frame source), by Dimension Index Values (C.7.6.17.1);
* as a volume: frames stacked along the plane normal ``column × row``, regularly spaced, with
  the 4×4 affine from (slice, row, column) to the frame of reference (highdicom's ``Volume``);
* a region of a tiled image's total pixel matrix.

Each answer is a *stack* ``{frame: [output planes]}`` or a list of placements (frame, region of
the frame, region of the output); the object's reader reads and places the frames its own way
(a Segmentation as segment channels, a Parametric Map as values). Errors are raised as the
object's read error class, given to :class:`FrameIndex`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from iodkit.datavalues import describe, float_of, floats_of, int_of, items
from iodkit.derived import geometry
from iodkit.derived.framesource import FrameSource, open_frame_source, prefetch
from iodkit.derived.frametable import ChannelLeaf, FrameTable, build_frame_table
from iodkit.derived.readguard import ArgumentError, NotReferencedError
from pydicom.dataset import Dataset

#: (frame index, region of the frame, region of the output)
Placement = tuple[int, tuple[slice, slice], tuple[Any, ...]]


@dataclass
class Volume:
    """A regularly spaced volume: ``array`` indexed (slice, row, column[, channel]) and the
    4×4 ``affine`` from those indices to the frame of reference (LPS, mm; slide coordinates
    for a tiled image)."""

    array: np.ndarray
    affine: np.ndarray
    frame_of_reference_uid: str | None

    @property
    def spatial_shape(self) -> tuple[int, int, int]:
        return self.array.shape[:3]  # type: ignore[return-value]


class DerivedReadError(ValueError):
    """A derived image cannot answer the request: missing frames, ambiguous dimensions, a
    query that does not fit how the instance is organised."""


class FrameIndex:
    """An opened multi-frame instance: its frame source, dataset and frame table.

    ``what`` names the object in messages ("segmentation"); ``sop_classes`` refuses instances
    of other SOP classes, named ``title`` ("Segmentation"); ``channel`` / ``channel_numbers`` as
    for
    :func:`~iodkit.derived.frametable.build_frame_table`.
    """

    def __init__(
        self,
        source: Any,
        *,
        what: str,
        title: str = "",
        sop_classes: Sequence[str] = (),
        error: type[Exception] = DerivedReadError,
        channel: ChannelLeaf | None = None,
        channel_numbers: Any = None,
    ) -> None:
        from iodkit.pixels.errors import PixelError

        self.error = error
        self.what = what
        try:
            self.source: FrameSource = open_frame_source(source)
        except PixelError as exc:
            raise error(f"cannot read the {what}'s frames: {exc}") from exc
        self.dataset: Dataset = self.source.dataset
        if sop_classes and str(self.dataset.get("SOPClassUID", "")) not in sop_classes:
            self.close()
            raise error(
                f"SOP Class {self.dataset.get('SOPClassUID', '(none)')} is not a "
                f"{title or what} Storage SOP Class"
            )
        try:
            numbers = (
                channel_numbers(self.dataset) if callable(channel_numbers) else channel_numbers
            )
            self.table: FrameTable = build_frame_table(self.dataset, channel, numbers)
        except BaseException:  # a damaged file: the reader is not made, nothing stays open
            self.close()
            raise

    # -- frames ---------------------------------------------------------------------------

    def frame(self, index: int) -> np.ndarray:
        return self.source.read_frame(index)

    @property
    def maps_native(self) -> bool:
        """Whether the source offers :meth:`native_frames` (a native file, see
        :attr:`iodkit.pixels.FrameReader.maps_native`)."""
        return bool(getattr(self.source, "maps_native", False))

    def native_frames(self, start: int, stop: int) -> np.ndarray | None:
        """Frames ``start`` … ``stop − 1`` as one read-only array of stored values mapping the
        source's bytes (:meth:`iodkit.pixels.FrameReader.native_frames`), or None when the
        source has no such thing and frames are read one by one with :meth:`frame`. For bulk
        reads that put every frame somewhere else anyway: the bytes are converted once,
        straight from the file's pages into the output."""
        native = getattr(self.source, "native_frames", None)
        return native(start, stop) if callable(native) and self.maps_native else None

    def prefetch(self, indices: Sequence[int]) -> None:
        prefetch(self.source, indices)

    @property
    def is_tiled(self) -> bool:
        return "TotalPixelMatrixRows" in self.dataset

    @property
    def total_shape(self) -> tuple[int, int]:
        """(rows, columns) of the total pixel matrix (tiled) or of a frame."""
        ds = self.dataset
        if self.is_tiled:
            return int_of(ds, "TotalPixelMatrixRows"), int_of(ds, "TotalPixelMatrixColumns")
        return self.table.rows, self.table.columns

    # -- by source ------------------------------------------------------------------------

    def max_referenced_frame(self, uid: str) -> int | None:
        numbers = [
            r.frame_number
            for r in self.table.references
            if r.sop_instance_uid == uid and r.frame_number is not None
        ]
        return max(numbers) if numbers else None

    def check_source_indexing(
        self,
        uids: Sequence[str],
        frame_numbers: Sequence[int] | None,
        ignore_spatial_locations: bool,
        assert_missing_frames_are_empty: bool,
    ) -> None:
        """Refuse queries by source the instance cannot answer (highdicom's rules)."""
        table = self.table
        error = self.error
        if table.tiled_full:
            raise error(
                f"a TILED_FULL {self.what} has no per-frame source references; use "
                "get_total_pixel_matrix"
            )
        if not table.references:
            raise error(
                f"the {self.what}'s frames do not reference source frames (no Derivation Image "
                "functional group)"
            )
        if not assert_missing_frames_are_empty:
            known = {uid for _, _, uid in table.referenced_instances}
            missing = [u for u in uids if u not in known]
            if missing:
                raise NotReferencedError(
                    f"SOP Instance UID(s) {missing} are not referenced by the {self.what} "
                    "(pass assert_missing_frames_are_empty=True for empty planes there)"
                )
            if frame_numbers is not None:
                highest = self.max_referenced_frame(uids[0])
                if highest is None:
                    raise error(
                        f"the {self.what} records no referenced frame numbers for that instance"
                    )
                beyond = [f for f in frame_numbers if int(f) > highest]
                if beyond:
                    raise error(
                        f"source frame {beyond[0]} is beyond the highest referenced frame "
                        f"({highest}); pass assert_missing_frames_are_empty=True for empty "
                        "planes there"
                    )
        if not ignore_spatial_locations:
            wanted = set(uids)
            numbers = None if frame_numbers is None else {int(f) for f in frame_numbers}
            for ref in table.references:
                if ref.sop_instance_uid not in wanted:
                    continue
                if numbers is not None and ref.frame_number not in numbers:
                    continue
                if ref.spatial_locations_preserved != "YES":
                    raise error(
                        "a requested frame does not record that spatial locations are preserved "
                        f"(Spatial Locations Preserved is {ref.spatial_locations_preserved!r}); "
                        "pass ignore_spatial_locations=True if you know they are"
                    )

    def by_source_instance(
        self,
        uids: Sequence[str],
        ignore_spatial_locations: bool,
        assert_missing_frames_are_empty: bool,
    ) -> dict[int, list[int]]:
        """``{frame: [output planes]}``: plane *i* derives from ``uids[i]``."""
        if isinstance(uids, str):
            raise ArgumentError("source_sop_instance_uids is a sequence of UIDs, not one UID")
        uids = [str(u) for u in uids]
        if not uids:
            raise self.error("no source SOP Instance UIDs given")
        self.check_source_indexing(
            uids, None, ignore_spatial_locations, assert_missing_frames_are_empty
        )
        position = {uid: i for i, uid in enumerate(uids)}
        stack: dict[int, list[int]] = {}
        for ref in self.table.references:  # spatial locations checked above
            if ref.sop_instance_uid in position:
                stack.setdefault(ref.frame, []).append(position[ref.sop_instance_uid])
        return stack

    def by_source_frame(
        self,
        uid: str,
        frame_numbers: Sequence[int] | None,
        ignore_spatial_locations: bool,
        assert_missing_frames_are_empty: bool,
    ) -> tuple[int, dict[int, list[int]]]:
        """(planes, stack): plane *i* derives from frame ``frame_numbers[i]`` (1-based;
        default 1 … the highest referenced) of the multi-frame source ``uid``."""
        uid = str(uid)
        if frame_numbers is not None:
            if len(frame_numbers) == 0:
                raise self.error("no source frame numbers given")
            if not all(int(f) > 0 for f in frame_numbers):
                raise self.error("frame numbers are 1-based and must be > 0")
        self.check_source_indexing(
            [uid], frame_numbers, ignore_spatial_locations, assert_missing_frames_are_empty
        )
        if frame_numbers is None:
            highest = self.max_referenced_frame(uid)
            if highest is None:
                raise self.error(
                    f"the {self.what} records no referenced frame numbers for that instance "
                    "(single-frame sources: use get_pixels_by_source_instance)"
                )
            frame_numbers = range(1, highest + 1)
        position = {int(f): i for i, f in enumerate(frame_numbers)}
        stack: dict[int, list[int]] = {}
        for ref in self.table.references:
            if ref.sop_instance_uid == uid and ref.frame_number in position:
                stack.setdefault(ref.frame, []).append(position[ref.frame_number])
        return len(frame_numbers), stack

    # -- by dimension index values --------------------------------------------------------

    def by_dimension_index_values(
        self,
        values: Sequence[Sequence[int]],
        pointers: Sequence[int] | None,
        assert_missing_frames_are_empty: bool,
        *,
        excluded: int | None = None,
        excluded_hint: str = "",
    ) -> dict[int, list[int]]:
        """Stack of the frames with each row of Dimension Index Values (in the order of
        ``pointers``, default all but ``excluded``: the channel, chosen otherwise)."""
        table = self.table
        error = self.error
        if pointers is None:
            chosen = [p for p in table.dimension_pointers if p != excluded]
        else:
            chosen = [int(p) for p in pointers]
            if not chosen:
                raise error("dimension_index_pointers is empty")
            for p in chosen:
                if p == excluded:
                    raise error(excluded_hint)
                if p not in table.dimension_pointers:
                    raise NotReferencedError(
                        f"tag ({p >> 16:04X},{p & 0xFFFF:04X}) is not a dimension index of this "
                        f"{self.what}"
                    )
        if len(values) == 0:
            raise error("dimension_index_values is empty")
        wanted = [tuple(int(v) for v in row) for row in values]
        if any(len(row) != len(chosen) for row in wanted):
            raise error(
                "each row of dimension_index_values needs one value per dimension index pointer"
            )
        columns = [table.dimension_pointers.index(p) for p in chosen]
        keys = [tuple(int(v) for v in row) for row in table.dimension_indices[:, columns]]
        if not assert_missing_frames_are_empty:
            missing = set(wanted) - set(keys)
            if missing:
                raise error(
                    f"dimension index values {sorted(missing)} match no frame (pass "
                    "assert_missing_frames_are_empty=True for empty planes there)"
                )
        position: dict[tuple[int, ...], list[int]] = {}
        for i, row in enumerate(wanted):
            position.setdefault(row, []).append(i)
        return {k: position[key] for k, key in enumerate(keys) if key in position}

    # -- volumes --------------------------------------------------------------------------

    def volume(
        self,
        slice_start: int | None,
        slice_end: int | None,
        as_indices: bool,
        allow_missing_positions: bool = True,
        rtol: float | None = None,
        atol: float | None = None,
        perpendicular_tol: float | None = None,
    ) -> tuple[int, dict[int, list[int]], np.ndarray]:
        """(slices, stack, affine of slice ``slice_start``) of the frames as a regularly
        spaced volume, slices along the normal ``column × row``."""
        table = self.table
        if table.positions is None or table.orientation is None or table.pixel_spacing is None:
            raise self.error(
                "frames have no Image Position/Orientation (Patient) and Pixel Spacing: this "
                f"{self.what} is not a volume"
            )
        found = geometry.volume_positions(
            table.positions,
            table.orientation,
            allow_missing=allow_missing_positions,
            spacing_hint=table.spacing_between_slices,
            rtol=rtol,
            atol=atol,
            perpendicular_tol=perpendicular_tol,
        )
        if found is None:
            raise self.error("frame positions do not form a regularly spaced volume")
        spacing, volume_index = found
        count = int(volume_index.max()) + 1
        s0, s1 = slice_indices(slice_start, slice_end, count, as_indices, self.error)
        stack: dict[int, list[int]] = {}
        for k, v in enumerate(volume_index):
            if s0 <= v < s1:
                stack[k] = [int(v) - s0]
        origin_frame = int(np.flatnonzero(volume_index == 0)[0])
        affine = geometry.volume_affine(
            table.positions[origin_frame], table.orientation, table.pixel_spacing, spacing
        )
        return s1 - s0, stack, shift(affine, s0, 0, 0)

    def slide_affine(self) -> np.ndarray:
        """Affine of a tiled image's total pixel matrix in the slide coordinate system."""
        ds = self.dataset
        origins = items(ds.get("TotalPixelMatrixOriginSequence"), describe(0x00480008))
        if not origins:
            raise self.error(f"the {self.what} has no {describe(0x00480008)}")
        position = [
            float_of(origins[0], "XOffsetInSlideCoordinateSystem"),
            float_of(origins[0], "YOffsetInSlideCoordinateSystem"),
            float_of(origins[0], "ZOffsetInSlideCoordinateSystem", 0.0),
        ]
        orientation = floats_of(ds, "ImageOrientationSlide", 6)
        spacing = self.table.pixel_spacing or [1.0, 1.0]
        return geometry.volume_affine(
            position, orientation, spacing, self.table.spacing_between_slices or 1.0
        )

    # -- tiles ----------------------------------------------------------------------------

    def tile_placement(self, r0: int, r1: int, c0: int, c1: int) -> list[Placement]:
        """The tiles overlapping rows ``r0:r1`` and columns ``c0:c1`` (0-based) of the total
        pixel matrix, with the part of each tile and where it goes in the region."""
        if not self.is_tiled:
            raise self.error(f"the {self.what} is not tiled (no total pixel matrix)")
        table = self.table
        if table.tile_rows is None or table.tile_columns is None:
            raise self.error("frames have no Row/Column Position In Total Image Pixel Matrix")
        th, tw = table.rows, table.columns
        rows = table.tile_rows - 1  # 0-based
        columns = table.tile_columns - 1
        hit = (rows < r1) & (rows + th > r0) & (columns < c1) & (columns + tw > c0)
        placement: list[Placement] = []
        for k in np.flatnonzero(hit):
            rp, cp = int(rows[k]), int(columns[k])
            source = (
                slice(max(r0 - rp, 0), min(r1 - rp, th)),
                slice(max(c0 - cp, 0), min(c1 - cp, tw)),
            )
            target = (
                slice(max(rp - r0, 0), min(rp + th - r0, r1 - r0)),
                slice(max(cp - c0, 0), min(cp + tw - c0, c1 - c0)),
            )
            placement.append((int(k), source, target))
        return placement

    def region(
        self,
        row_start: int | None,
        row_end: int | None,
        column_start: int | None,
        column_end: int | None,
        as_indices: bool,
    ) -> tuple[int, int, int, int]:
        """0-based, end-exclusive bounds of a region of the total pixel matrix (or frame)."""
        rows, columns = self.total_shape
        return row_column_indices(
            row_start, row_end, column_start, column_end, rows, columns, as_indices, self.error
        )

    # -- lifetime -------------------------------------------------------------------------

    def close(self) -> None:
        self.source.close()


def stack_placement(stack: dict[int, list[int]]) -> list[Placement]:
    """Whole-frame placements of a stack (a frame may go to several output planes; the same
    plane twice — one frame referencing one source twice — is placed once)."""
    whole = (slice(None), slice(None))
    return [
        (k, whole, (o, slice(None), slice(None)))
        for k, outputs in stack.items()
        for o in dict.fromkeys(outputs)
    ]


def hashable(target: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple((t.start, t.stop) if isinstance(t, slice) else t for t in target)


def shift(affine: np.ndarray, slices: int, rows: int, columns: int) -> np.ndarray:
    """The affine of a sub-volume starting at (slices, rows, columns)."""
    shifted = affine.copy()
    shifted[:3, 3] = affine[:3, :3] @ np.array([slices, rows, columns], dtype=float) + affine[:3, 3]
    return shifted


def slice_indices(
    start: int | None,
    end: int | None,
    count: int,
    as_indices: bool,
    error: type[Exception] = DerivedReadError,
) -> tuple[int, int]:
    """0-based, end-exclusive slice bounds from 1-based (or 0-based) ones; negatives count
    from the end."""
    original = end
    if not as_indices:
        if start is not None:
            if start == 0:
                raise error("slice_start is 1-based (or pass as_indices=True)")
            if start > 0:
                start -= 1
        if end is not None and end > 0:
            end -= 1
    start = 0 if start is None else (count + start if start < 0 else start)
    if end is None:
        end = count
    elif end > count or end < -count:
        raise error(f"slice_end {original} is out of range for {count} slices")
    elif end < 0:
        end = count + end
    if end - start < 1:
        raise error("slice_start and slice_end give an empty volume")
    return start, end


def row_column_indices(
    row_start: int | None,
    row_end: int | None,
    column_start: int | None,
    column_end: int | None,
    rows: int,
    columns: int,
    as_indices: bool,
    error: type[Exception] = DerivedReadError,
) -> tuple[int, int, int, int]:
    """Normalise 1-based (or 0-based) region bounds, negatives counting from the end, to
    0-based indices with exclusive ends."""

    def one(value: int | None, default: int, size: int, name: str, is_end: bool) -> int:
        if value is None:
            return default
        if as_indices:
            value = value + 1 if value >= 0 else value
        elif value == 0:
            raise error(f"{name} is 1-based (or pass as_indices=True)")
        limit = size + 1 if is_end else size
        if value > limit:
            raise error(f"{name} {value} is out of range for {size}")
        if value < 0:
            value = size + value + 1
        return value

    r0 = one(row_start, 1, rows, "row_start", False)
    r1 = one(row_end, rows + 1, rows, "row_end", True)
    c0 = one(column_start, 1, columns, "column_start", False)
    c1 = one(column_end, columns + 1, columns, "column_end", True)
    if r1 <= r0 or c1 <= c0:
        raise error("the region is empty")
    return r0 - 1, r1 - 1, c0 - 1, c1 - 1

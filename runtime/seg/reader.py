"""Read any Segmentation (PS3.3 A.51) back into arrays, lazily, frame by frame.

:func:`read_segmentation` opens a file with :class:`iodkit.pixels.FrameReader` (only the
frames a query needs are read and decoded) and :mod:`iodkit.seg.frametable` indexes the
frames. The query methods follow highdicom's ``Segmentation`` semantics so the two can be
swapped and compared:

* :meth:`~SegmentationReader.get_pixels_by_source_instance` — one output plane per source
  instance (single-frame sources), matched through the Derivation Image functional group;
* :meth:`~SegmentationReader.get_pixels_by_source_frame` — per frame of a multi-frame source;
* :meth:`~SegmentationReader.get_pixels_by_dimension_index_values` — by Dimension Index Values
  (C.7.6.17.1);
* :meth:`~SegmentationReader.get_volume` — a regularly spaced stack with its affine;
* :meth:`~SegmentationReader.get_total_pixel_matrix` — a tiled segmentation's total pixel
  matrix, or a region of it.

Output: ``(planes, rows, columns, segments)`` with one channel per requested segment (0/1; a
FRACTIONAL segmentation rescaled to float32 in [0, 1] unless ``rescale_fractional=False``), or
with ``combine_segments`` a ``(planes, rows, columns)`` label map (segment numbers, or
1…len(segment_numbers) with ``relabel``). Pixel values of LABELMAP segmentations are segment
numbers already; requested segments are selected and, for channel output, one-hot encoded.

Where highdicom 0.28 differs — combining a subset of a LABELMAP's segments without relabelling
keeps the other segments in highdicom when exactly one segment is left out — this reader sets
every segment not requested to background, as documented.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO

import numpy as np
import pydicom
from iodkit.derived import geometry
from iodkit.seg.errors import SegmentationReadError
from iodkit.seg.frametable import REFERENCED_SEGMENT_NUMBER, FrameTable, build_frame_table
from pydicom.dataset import Dataset

SEGMENTATION_SOP_CLASSES = ("1.2.840.10008.5.1.4.1.1.66.4", "1.2.840.10008.5.1.4.1.1.66.7")

# One instruction: (frame index, input rows/columns slices, output spatial index, channel)
Instruction = tuple[int, tuple[slice, slice], tuple[Any, ...], int | None]


@dataclass
class SegmentationVolume:
    """A regularly spaced volume: ``array`` indexed (slice, row, column[, segment]) and the
    4×4 ``affine`` from those indices to the frame of reference (LPS, mm; slide coordinates
    for a tiled segmentation)."""

    array: np.ndarray
    affine: np.ndarray
    frame_of_reference_uid: str | None
    segment_numbers: list[int] | None = None

    @property
    def spatial_shape(self) -> tuple[int, int, int]:
        return self.array.shape[:3]  # type: ignore[return-value]


def read_segmentation(source: str | os.PathLike[str] | BinaryIO | Dataset) -> SegmentationReader:
    """Open a Segmentation from a path, a binary file or an in-memory pydicom Dataset."""
    return SegmentationReader(source)


def _unsigned_dtype(max_value: int) -> np.dtype:
    for dtype in (np.uint8, np.uint16, np.uint32, np.uint64):
        if max_value <= np.iinfo(dtype).max:
            return np.dtype(dtype)
    raise SegmentationReadError(f"no unsigned integer type holds {max_value}")


class SegmentationReader:
    """A Segmentation opened for reading; use as a context manager or call :meth:`close`."""

    def __init__(self, source: str | os.PathLike[str] | BinaryIO | Dataset) -> None:
        from iodkit.pixels import FrameReader
        from iodkit.pixels.errors import PixelError

        if isinstance(source, Dataset):
            buffer = io.BytesIO()
            pydicom.dcmwrite(buffer, source, enforce_file_format=True)
            buffer.seek(0)
            source = buffer
        try:
            self._frames = FrameReader(source)
        except PixelError as exc:
            raise SegmentationReadError(f"cannot read the Segmentation's frames: {exc}") from exc
        self.dataset: Dataset = self._frames.dataset
        if str(self.dataset.get("SOPClassUID", "")) not in SEGMENTATION_SOP_CLASSES:
            self.close()
            raise SegmentationReadError(
                f"SOP Class {self.dataset.get('SOPClassUID', '(none)')} is not a Segmentation "
                "Storage SOP Class"
            )
        self.table: FrameTable = build_frame_table(self.dataset)

    # -- facts ----------------------------------------------------------------------------

    @property
    def segmentation_type(self) -> str:
        return str(self.dataset.SegmentationType)

    @property
    def is_labelmap(self) -> bool:
        return self.segmentation_type == "LABELMAP"

    @property
    def is_tiled(self) -> bool:
        return "TotalPixelMatrixRows" in self.dataset

    @property
    def max_fractional_value(self) -> int | None:
        value = self.dataset.get("MaximumFractionalValue")
        return None if value is None else int(value)

    @property
    def number_of_frames(self) -> int:
        return self.table.number_of_frames

    @property
    def segment_numbers(self) -> list[int]:
        """Segment Numbers of the Segment Sequence, the background of a label map (its Pixel
        Padding Value) left out."""
        numbers = [int(item.SegmentNumber) for item in self.dataset.SegmentSequence]
        padding = self.dataset.get("PixelPaddingValue")
        if padding is not None:
            numbers = [n for n in numbers if n != int(padding)]
        return numbers

    @property
    def segment_descriptions(self) -> list[Dataset]:
        """Items of the Segment Sequence (the label map background included)."""
        return list(self.dataset.SegmentSequence)

    def get_segment_numbers(
        self,
        segment_label: str | None = None,
        segmented_property_category: Any | None = None,
        segmented_property_type: Any | None = None,
        algorithm_type: str | None = None,
        tracking_uid: str | None = None,
        tracking_id: str | None = None,
    ) -> list[int]:
        """Segment numbers of the segments matching every criterion given (codes as
        :class:`iodkit.codes.Code` or anything with ``value`` and ``scheme``)."""
        from iodkit.codes import Code

        def code_matches(sequence: Any, wanted: Any) -> bool:
            if not sequence:
                return False
            code = Code.from_dataset(sequence[0])
            value = getattr(wanted, "value", None)
            scheme = getattr(wanted, "scheme", getattr(wanted, "scheme_designator", None))
            return (code.value, code.scheme) == (str(value), str(scheme))

        numbers = set(self.segment_numbers)
        out = []
        for item in self.dataset.SegmentSequence:
            if int(item.SegmentNumber) not in numbers:
                continue
            if segment_label is not None and item.get("SegmentLabel") != segment_label:
                continue
            if segmented_property_category is not None and not code_matches(
                item.get("SegmentedPropertyCategoryCodeSequence"), segmented_property_category
            ):
                continue
            if segmented_property_type is not None and not code_matches(
                item.get("SegmentedPropertyTypeCodeSequence"), segmented_property_type
            ):
                continue
            if algorithm_type is not None and item.get("SegmentAlgorithmType") != algorithm_type:
                continue
            if tracking_uid is not None and item.get("TrackingUID") != tracking_uid:
                continue
            if tracking_id is not None and item.get("TrackingID") != tracking_id:
                continue
            out.append(int(item.SegmentNumber))
        return out

    def get_source_image_uids(self) -> list[tuple[str, str, str]]:
        """(study, series, SOP instance) UIDs of the referenced instances."""
        return list(self.table.referenced_instances)

    @property
    def dimension_index_pointers(self) -> list[int]:
        return list(self.table.dimension_pointers)

    # -- queries --------------------------------------------------------------------------

    def get_pixels_by_source_instance(
        self,
        source_sop_instance_uids: Sequence[str],
        segment_numbers: Sequence[int] | None = None,
        combine_segments: bool = False,
        relabel: bool = False,
        ignore_spatial_locations: bool = False,
        assert_missing_frames_are_empty: bool = False,
        rescale_fractional: bool = True,
        skip_overlap_checks: bool = False,
        dtype: Any = None,
        apply_palette_color_lut: bool = False,
    ) -> np.ndarray:
        """Pixels per source instance: ``out[i]`` segments ``source_sop_instance_uids[i]``."""
        segments = self._requested(segment_numbers)
        if isinstance(source_sop_instance_uids, str):
            raise TypeError("source_sop_instance_uids is a sequence of UIDs, not one UID")
        uids = [str(u) for u in source_sop_instance_uids]
        if not uids:
            raise SegmentationReadError("no source SOP Instance UIDs given")
        self._check_source_indexing(
            uids, None, ignore_spatial_locations, assert_missing_frames_are_empty
        )
        position = {uid: i for i, uid in enumerate(uids)}
        stack: dict[int, list[int]] = {}
        # _check_source_indexing has refused requested frames whose spatial locations are
        # not preserved (unless ignored): no need to look at that again here
        for ref in self.table.references:
            if ref.sop_instance_uid in position:
                stack.setdefault(ref.frame, []).append(position[ref.sop_instance_uid])
        return self._stacked(
            len(uids),
            stack,
            segments,
            combine_segments,
            relabel,
            rescale_fractional,
            skip_overlap_checks,
            dtype,
            apply_palette_color_lut,
        )

    def get_pixels_by_source_frame(
        self,
        source_sop_instance_uid: str,
        source_frame_numbers: Sequence[int] | None = None,
        segment_numbers: Sequence[int] | None = None,
        combine_segments: bool = False,
        relabel: bool = False,
        ignore_spatial_locations: bool = False,
        assert_missing_frames_are_empty: bool = False,
        rescale_fractional: bool = True,
        skip_overlap_checks: bool = False,
        dtype: Any = None,
        apply_palette_color_lut: bool = False,
    ) -> np.ndarray:
        """Pixels per frame of one multi-frame source: ``out[i]`` segments its frame
        ``source_frame_numbers[i]`` (1-based; default: 1 … the highest frame referenced)."""
        segments = self._requested(segment_numbers)
        uid = str(source_sop_instance_uid)
        if source_frame_numbers is not None:
            if len(source_frame_numbers) == 0:
                raise SegmentationReadError("no source frame numbers given")
            if not all(int(f) > 0 for f in source_frame_numbers):
                raise SegmentationReadError("frame numbers are 1-based and must be > 0")
        self._check_source_indexing(
            [uid], source_frame_numbers, ignore_spatial_locations, assert_missing_frames_are_empty
        )
        if source_frame_numbers is None:
            highest = self._max_referenced_frame(uid)
            if highest is None:
                raise SegmentationReadError(
                    "the segmentation records no referenced frame numbers for that instance "
                    "(single-frame sources: use get_pixels_by_source_instance)"
                )
            source_frame_numbers = range(1, highest + 1)
        position = {int(f): i for i, f in enumerate(source_frame_numbers)}
        stack: dict[int, list[int]] = {}
        for ref in self.table.references:  # spatial locations checked as above
            if ref.sop_instance_uid == uid and ref.frame_number in position:
                stack.setdefault(ref.frame, []).append(position[ref.frame_number])
        return self._stacked(
            len(source_frame_numbers),
            stack,
            segments,
            combine_segments,
            relabel,
            rescale_fractional,
            skip_overlap_checks,
            dtype,
            apply_palette_color_lut,
        )

    def get_pixels_by_dimension_index_values(
        self,
        dimension_index_values: Sequence[Sequence[int]],
        dimension_index_pointers: Sequence[int] | None = None,
        segment_numbers: Sequence[int] | None = None,
        combine_segments: bool = False,
        relabel: bool = False,
        assert_missing_frames_are_empty: bool = False,
        rescale_fractional: bool = True,
        skip_overlap_checks: bool = False,
        dtype: Any = None,
        apply_palette_color_lut: bool = False,
    ) -> np.ndarray:
        """Pixels per combination of Dimension Index Values (Referenced Segment Number is not
        one of the pointers: segments are chosen with ``segment_numbers``)."""
        segments = self._requested(segment_numbers)
        table = self.table
        if dimension_index_pointers is None:
            pointers = [p for p in table.dimension_pointers if p != REFERENCED_SEGMENT_NUMBER]
        else:
            pointers = [int(p) for p in dimension_index_pointers]
            if not pointers:
                raise SegmentationReadError("dimension_index_pointers is empty")
            for p in pointers:
                if p == REFERENCED_SEGMENT_NUMBER:
                    raise SegmentationReadError(
                        "Referenced Segment Number is not a dimension index pointer here; "
                        "choose segments with segment_numbers"
                    )
                if p not in table.dimension_pointers:
                    raise KeyError(
                        f"tag ({p >> 16:04X},{p & 0xFFFF:04X}) is not a dimension index of this "
                        "segmentation"
                    )
        if len(dimension_index_values) == 0:
            raise SegmentationReadError("dimension_index_values is empty")
        wanted = [tuple(int(v) for v in row) for row in dimension_index_values]
        if any(len(row) != len(pointers) for row in wanted):
            raise SegmentationReadError(
                "each row of dimension_index_values needs one value per dimension index pointer"
            )
        columns = [table.dimension_pointers.index(p) for p in pointers]
        keys = [tuple(int(v) for v in row) for row in table.dimension_indices[:, columns]]
        if not assert_missing_frames_are_empty:
            missing = set(wanted) - set(keys)
            if missing:
                raise SegmentationReadError(
                    f"dimension index values {sorted(missing)} match no frame (pass "
                    "assert_missing_frames_are_empty=True for empty planes there)"
                )
        position: dict[tuple[int, ...], list[int]] = {}
        for i, row in enumerate(wanted):
            position.setdefault(row, []).append(i)
        stack = {k: position[key] for k, key in enumerate(keys) if key in position}
        return self._stacked(
            len(wanted),
            stack,
            segments,
            combine_segments,
            relabel,
            rescale_fractional,
            skip_overlap_checks,
            dtype,
            apply_palette_color_lut,
        )

    def get_volume(
        self,
        *,
        slice_start: int | None = None,
        slice_end: int | None = None,
        row_start: int | None = None,
        row_end: int | None = None,
        column_start: int | None = None,
        column_end: int | None = None,
        as_indices: bool = False,
        segment_numbers: Sequence[int] | None = None,
        combine_segments: bool = False,
        relabel: bool = False,
        rescale_fractional: bool = True,
        skip_overlap_checks: bool = False,
        dtype: Any = None,
        allow_missing_positions: bool = True,
        rtol: float | None = None,
        atol: float | None = None,
        perpendicular_tol: float | None = None,
    ) -> SegmentationVolume:
        """The segmentation as a regularly spaced volume with its affine (slices ordered along
        the plane normal ``column × row``, as highdicom's ``Volume``)."""
        segments = self._requested(segment_numbers)
        ds = self.dataset
        total_rows = int(ds.TotalPixelMatrixRows) if self.is_tiled else self.table.rows
        total_columns = int(ds.TotalPixelMatrixColumns) if self.is_tiled else self.table.columns
        r0, r1, c0, c1 = _row_column_indices(
            row_start,
            row_end,
            column_start,
            column_end,
            total_rows,
            total_columns,
            as_indices,
        )
        frame_of_reference = ds.get("FrameOfReferenceUID")
        if self.is_tiled:
            s0, s1 = _slice_indices(slice_start, slice_end, 1, as_indices)
            array = self.get_total_pixel_matrix(
                r0,
                r1,
                c0,
                c1,
                segment_numbers=segments,
                combine_segments=combine_segments,
                relabel=relabel,
                rescale_fractional=rescale_fractional,
                skip_overlap_checks=skip_overlap_checks,
                dtype=dtype,
                as_indices=True,
            )[None]
            origin = ds.TotalPixelMatrixOriginSequence[0]
            position = [
                float(origin.XOffsetInSlideCoordinateSystem),
                float(origin.YOffsetInSlideCoordinateSystem),
                float(origin.get("ZOffsetInSlideCoordinateSystem", 0.0) or 0.0),
            ]
            orientation = [float(v) for v in ds.ImageOrientationSlide]
            spacing = self.table.pixel_spacing or [1.0, 1.0]
            affine = geometry.volume_affine(
                position, orientation, spacing, self.table.spacing_between_slices or 1.0
            )
            return SegmentationVolume(
                array,
                _shift(affine, 0, r0, c0),
                frame_of_reference,
                None if combine_segments else list(segments),
            )
        table = self.table
        if table.positions is None or table.orientation is None or table.pixel_spacing is None:
            raise SegmentationReadError(
                "frames have no Image Position/Orientation (Patient) and Pixel Spacing: this "
                "segmentation is not a volume"
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
            raise SegmentationReadError("frame positions do not form a regularly spaced volume")
        spacing, volume_index = found
        count = int(volume_index.max()) + 1
        s0, s1 = _slice_indices(slice_start, slice_end, count, as_indices)
        stack: dict[int, list[int]] = {}
        for k, v in enumerate(volume_index):
            if s0 <= v < s1:
                stack[k] = [int(v) - s0]
        array = self._stacked(
            s1 - s0,
            stack,
            segments,
            combine_segments,
            relabel,
            rescale_fractional,
            skip_overlap_checks,
            dtype,
            False,
        )
        array = array[:, r0:r1, c0:c1]
        origin_frame = int(np.flatnonzero(volume_index == 0)[0])
        affine = geometry.volume_affine(
            table.positions[origin_frame], table.orientation, table.pixel_spacing, spacing
        )
        return SegmentationVolume(
            array,
            _shift(affine, s0, r0, c0),
            frame_of_reference,
            None if combine_segments else list(segments),
        )

    def get_total_pixel_matrix(
        self,
        row_start: int | None = None,
        row_end: int | None = None,
        column_start: int | None = None,
        column_end: int | None = None,
        segment_numbers: Sequence[int] | None = None,
        combine_segments: bool = False,
        relabel: bool = False,
        rescale_fractional: bool = True,
        skip_overlap_checks: bool = False,
        dtype: Any = None,
        apply_palette_color_lut: bool = False,
        as_indices: bool = False,
    ) -> np.ndarray:
        """The total pixel matrix of a tiled segmentation, or the region of it given by
        1-based ``row_start``/``column_start`` and exclusive ends (0-based with
        ``as_indices``); negative values count from the end."""
        if not self.is_tiled:
            raise SegmentationReadError("the segmentation is not tiled (no total pixel matrix)")
        table = self.table
        if table.tile_rows is None or table.tile_columns is None:
            raise SegmentationReadError(
                "frames have no Row/Column Position In Total Image Pixel Matrix"
            )
        segments = self._requested(segment_numbers)
        ds = self.dataset
        r0, r1, c0, c1 = _row_column_indices(
            row_start,
            row_end,
            column_start,
            column_end,
            int(ds.TotalPixelMatrixRows),
            int(ds.TotalPixelMatrixColumns),
            as_indices,
        )
        th, tw = table.rows, table.columns
        rows = table.tile_rows - 1  # 0-based
        columns = table.tile_columns - 1
        hit = (rows < r1) & (rows + th > r0) & (columns < c1) & (columns + tw > c0)
        placement: list[tuple[int, tuple[slice, slice], tuple[Any, ...]]] = []
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
        instructions = self._instructions(placement, segments, combine_segments, relabel)
        return self._assemble(
            (r1 - r0, c1 - c0),
            instructions,
            segments,
            combine_segments,
            relabel,
            rescale_fractional,
            skip_overlap_checks,
            dtype,
            apply_palette_color_lut,
        )

    # -- machinery ------------------------------------------------------------------------

    def _requested(self, segment_numbers: Sequence[int] | None) -> list[int]:
        available = self.segment_numbers
        if segment_numbers is None:
            return available
        wanted = [int(s) for s in np.asarray(segment_numbers).ravel()]
        if not wanted:
            raise SegmentationReadError("segment_numbers is empty")
        unknown = [s for s in wanted if s not in available]
        if unknown:
            raise SegmentationReadError(
                f"segment number(s) {unknown} not in this segmentation ({available})"
            )
        return wanted

    def _max_referenced_frame(self, uid: str) -> int | None:
        numbers = [
            r.frame_number
            for r in self.table.references
            if r.sop_instance_uid == uid and r.frame_number is not None
        ]
        return max(numbers) if numbers else None

    def _check_source_indexing(
        self,
        uids: Sequence[str],
        frame_numbers: Sequence[int] | None,
        ignore_spatial_locations: bool,
        assert_missing_frames_are_empty: bool,
    ) -> None:
        table = self.table
        if table.tiled_full:
            raise SegmentationReadError(
                "a TILED_FULL segmentation has no per-frame source references; use "
                "get_total_pixel_matrix"
            )
        if not table.references:
            raise SegmentationReadError(
                "the segmentation's frames do not reference source frames (no Derivation Image "
                "functional group)"
            )
        if not assert_missing_frames_are_empty:
            known = {uid for _, _, uid in table.referenced_instances}
            missing = [u for u in uids if u not in known]
            if missing:
                raise KeyError(
                    f"SOP Instance UID(s) {missing} are not referenced by the segmentation "
                    "(pass assert_missing_frames_are_empty=True for empty planes there)"
                )
            if frame_numbers is not None:
                highest = self._max_referenced_frame(uids[0])
                if highest is None:
                    raise SegmentationReadError(
                        "the segmentation records no referenced frame numbers for that instance"
                    )
                beyond = [f for f in frame_numbers if int(f) > highest]
                if beyond:
                    raise SegmentationReadError(
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
                    raise SegmentationReadError(
                        "a requested frame does not record that spatial locations are preserved "
                        f"(Spatial Locations Preserved is {ref.spatial_locations_preserved!r}); "
                        "pass ignore_spatial_locations=True if you know they are"
                    )

    def _instructions(
        self,
        placement: list[tuple[int, tuple[slice, slice], tuple[Any, ...]]],
        segments: list[int],
        combine: bool,
        relabel: bool,
    ) -> list[Instruction]:
        """Frames to read and where to put them, from (frame, source region, target) entries
        (a frame may have several targets); channel = segment position (or the label written
        with ``combine``); None for a label-map frame."""
        table = self.table
        out: list[Instruction] = []
        seen: set[tuple[Any, ...]] = set()
        placement = sorted(placement, key=lambda entry: entry[0])
        if self.is_labelmap:
            for k, source, target in placement:
                key = (_hashable(target),)
                if key in seen:
                    raise SegmentationReadError(
                        "the chosen dimensions do not identify frames uniquely"
                    )
                seen.add(key)
                out.append((k, source, target, None))
            return out
        assert table.segments is not None
        position = {s: j for j, s in enumerate(segments)}
        for k, source, target in placement:
            segment = int(table.segments[k])
            if segment not in position:
                continue
            j = position[segment]
            where = (_hashable(target), j)
            if where in seen:
                raise SegmentationReadError("the chosen dimensions do not identify frames uniquely")
            seen.add(where)
            channel = (j + 1 if relabel else segment) if combine else j
            out.append((k, source, target, channel))
        return out

    def _stacked(
        self,
        count: int,
        stack: dict[int, list[int]],
        segments: list[int],
        combine: bool,
        relabel: bool,
        rescale: bool,
        skip_overlap_checks: bool,
        dtype: Any,
        palette: bool,
    ) -> np.ndarray:
        whole = (slice(None), slice(None))
        # a frame may go to several outputs (e.g. a repeated row of dimension index values);
        # the same output twice (one frame referencing one source twice) is placed once
        placement = [
            (k, whole, (o, slice(None), slice(None)))
            for k, outputs in stack.items()
            for o in dict.fromkeys(outputs)
        ]
        instructions = self._instructions(placement, segments, combine, relabel)
        shape = (count, self.table.rows, self.table.columns)
        return self._assemble(
            shape,
            instructions,
            segments,
            combine,
            relabel,
            rescale,
            skip_overlap_checks,
            dtype,
            palette,
        )

    def _assemble(
        self,
        spatial_shape: tuple[int, ...],
        instructions: list[Instruction],
        segments: list[int],
        combine: bool,
        relabel: bool,
        rescale: bool,
        skip_overlap_checks: bool,
        dtype: Any,
        palette: bool,
    ) -> np.ndarray:
        """Read the frames and place them (highdicom's output conventions)."""
        fractional = self.segmentation_type == "FRACTIONAL"
        if combine:
            max_output = len(segments) if relabel else max(segments)
        else:
            max_output = 1
        rescaled = rescale and fractional and not combine
        if dtype is None:
            out_dtype = np.dtype(np.float32) if rescaled else _unsigned_dtype(max_output)
        else:
            out_dtype = np.dtype(dtype)
        if out_dtype.kind not in "uifb":
            raise SegmentationReadError(f"dtype {out_dtype} cannot hold segmentation pixels")
        if out_dtype.kind in "ui" and max_output > np.iinfo(out_dtype.type).max:  # type: ignore[type-var]
            raise SegmentationReadError(f"dtype {out_dtype} cannot hold the value {max_output}")
        if palette:
            return self._palette_pixels(spatial_shape, instructions, segments, combine, relabel)
        if self.is_labelmap:
            return self._labelmap_pixels(
                spatial_shape, instructions, segments, combine, relabel, out_dtype
            )
        if combine:
            if fractional and not rescale:
                raise SegmentationReadError(
                    "combining the segments of a FRACTIONAL segmentation needs "
                    "rescale_fractional=True"
                )
            out = np.zeros(spatial_shape, dtype=out_dtype)
            maximum = self.max_fractional_value or 1
            shared: dict[tuple[Any, ...], int] = {}
            for _, _, target, _ in instructions:
                key = _hashable(target)
                shared[key] = shared.get(key, 0) + 1
            for k, source, target, label in instructions:
                assert label is not None
                pixels = self._frame(k)[source]
                if fractional:
                    if not np.isin(pixels, (0, maximum)).all():
                        raise SegmentationReadError(
                            "segments of a FRACTIONAL segmentation combine only when every "
                            f"pixel is 0 or the Maximum Fractional Value ({maximum})"
                        )
                    pixels = (pixels // maximum).astype(np.uint8)
                region = out[target]
                if shared[_hashable(target)] == 1 and not region.any():  # nothing to overlap
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
        if rescaled and out_dtype.kind != "f":
            raise SegmentationReadError("rescaled fractional pixels need a floating point dtype")
        out = np.zeros((*spatial_shape, len(segments)), dtype=out_dtype)
        maximum = self.max_fractional_value or 1
        scale = out_dtype.type(maximum) if rescaled else None
        for k, source, target, channel in instructions:
            frame = self._frame(k)[source]
            if scale is None:
                out[(*target, channel)] = frame
                continue
            if frame.size and frame.max() > maximum:
                raise SegmentationReadError("pixel values exceed the Maximum Fractional Value")
            # stored / maximum in the output type, frame by frame, straight into the output:
            # the same values as converting and dividing the whole array at the end
            np.divide(frame, scale, out=out[(*target, channel)], dtype=out_dtype)
        return out

    def _labelmap_pixels(
        self,
        spatial_shape: tuple[int, ...],
        instructions: list[Instruction],
        segments: list[int],
        combine: bool,
        relabel: bool,
        out_dtype: np.dtype,
    ) -> np.ndarray:
        bits = int(self.dataset.BitsStored)
        background = int(self.dataset.get("PixelPaddingValue", 0) or 0)
        if not combine:  # one channel per requested segment, frame by frame, segment by segment
            out = np.zeros((*spatial_shape, len(segments)), dtype=out_dtype)
            for j, number in enumerate(segments):
                if number == 0:  # where no frame is stored the value is 0: segment 0, if any
                    out[..., j] = 1
            flags = out.view(np.bool_) if out_dtype.itemsize == 1 else None
            for k, source, target, _ in instructions:
                frame = self._frame(k)[source]
                for j, number in enumerate(segments):
                    if flags is not None:
                        np.equal(frame, number, out=flags[(*target, j)])
                    else:
                        out[(*target, j)] = frame == number
            return out
        stored = np.zeros(spatial_shape, dtype=_unsigned_dtype((1 << bits) - 1))
        for k, source, target, _ in instructions:
            stored[target] = self._frame(k)[source]
        if not relabel and set(segments) == set(self.segment_numbers):
            return stored.astype(out_dtype, copy=False)  # every segment: values as stored
        size = max(max(self.segment_numbers, default=0), background) + 2
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

    def _palette_pixels(
        self,
        spatial_shape: tuple[int, ...],
        instructions: list[Instruction],
        segments: list[int],
        combine: bool,
        relabel: bool,
    ) -> np.ndarray:
        if not self.is_labelmap or not combine or relabel:
            raise SegmentationReadError(
                "apply_palette_color_lut needs a LABELMAP segmentation, combine_segments=True "
                "and relabel=False"
            )
        from pydicom.pixels import apply_color_lut

        labels = self._labelmap_pixels(
            spatial_shape, instructions, segments, True, False, np.dtype(np.uint16)
        )
        return apply_color_lut(labels, self.dataset)  # type: ignore[no-any-return]

    def _frame(self, index: int) -> np.ndarray:
        return self._frames.read_frame(index)

    # -- lifetime -------------------------------------------------------------------------

    def close(self) -> None:
        self._frames.close()

    def __enter__(self) -> SegmentationReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"SegmentationReader({self.segmentation_type}, {self.number_of_frames} frames, "
            f"segments {self.segment_numbers})"
        )


def _hashable(target: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple((t.start, t.stop) if isinstance(t, slice) else t for t in target)


def _shift(affine: np.ndarray, slices: int, rows: int, columns: int) -> np.ndarray:
    """The affine of a sub-volume starting at (slices, rows, columns)."""
    shifted = affine.copy()
    shifted[:3, 3] = affine[:3, :3] @ np.array([slices, rows, columns], dtype=float) + affine[:3, 3]
    return shifted


def _slice_indices(
    start: int | None, end: int | None, count: int, as_indices: bool
) -> tuple[int, int]:
    original = end
    if not as_indices:
        if start is not None:
            if start == 0:
                raise SegmentationReadError("slice_start is 1-based (or pass as_indices=True)")
            if start > 0:
                start -= 1
        if end is not None and end > 0:
            end -= 1
    start = 0 if start is None else (count + start if start < 0 else start)
    if end is None:
        end = count
    elif end > count or end < -count:
        raise SegmentationReadError(f"slice_end {original} is out of range for {count} slices")
    elif end < 0:
        end = count + end
    if end - start < 1:
        raise SegmentationReadError("slice_start and slice_end give an empty volume")
    return start, end


def _row_column_indices(
    row_start: int | None,
    row_end: int | None,
    column_start: int | None,
    column_end: int | None,
    rows: int,
    columns: int,
    as_indices: bool,
) -> tuple[int, int, int, int]:
    """Normalise 1-based (or 0-based) region bounds, negatives counting from the end, to
    0-based indices with exclusive ends."""

    def one(value: int | None, default: int, size: int, name: str, is_end: bool) -> int:
        if value is None:
            return default
        if as_indices:
            value = value + 1 if value >= 0 else value
        elif value == 0:
            raise SegmentationReadError(f"{name} is 1-based (or pass as_indices=True)")
        limit = size + 1 if is_end else size
        if value > limit:
            raise SegmentationReadError(f"{name} {value} is out of range for {size}")
        if value < 0:
            value = size + value + 1
        return value

    r0 = one(row_start, 1, rows, "row_start", False)
    r1 = one(row_end, rows + 1, rows, "row_end", True)
    c0 = one(column_start, 1, columns, "column_start", False)
    c1 = one(column_end, columns + 1, columns, "column_end", True)
    if r1 <= r0 or c1 <= c0:
        raise SegmentationReadError("the region is empty")
    return r0 - 1, r1 - 1, c0 - 1, c1 - 1

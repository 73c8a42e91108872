"""Read any Segmentation (PS3.3 A.51) back into arrays, lazily, frame by frame.

:func:`read_segmentation` opens a file, an in-memory Dataset or any
:class:`~iodkit.derived.framesource.FrameSource` (a server's frames, say) through the core's
:class:`~iodkit.derived.reader.FrameIndex`: only the frames a query needs are read and
decoded. The query methods follow highdicom's ``Segmentation`` semantics so the two can be
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

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from iodkit.datavalues import int_of, items_of
from iodkit.derived.framesource import Openable
from iodkit.derived.frametable import ChannelLeaf, FrameTable
from iodkit.derived.reader import (
    FrameIndex,
    Placement,
    Volume,
    hashable,
    shift,
    slice_indices,
    stack_placement,
)
from iodkit.derived.readguard import guarded
from iodkit.seg import assembly
from iodkit.seg.errors import SegmentationReadError
from pydicom.dataset import Dataset

SEGMENTATION_SOP_CLASSES = ("1.2.840.10008.5.1.4.1.1.66.4", "1.2.840.10008.5.1.4.1.1.66.7")
REFERENCED_SEGMENT_NUMBER = 0x0062000B
#: Each frame's segment: Segment Identification Sequence → Referenced Segment Number (C.8.20.3.1).
SEGMENT_LEAF = ChannelLeaf(0x0062000A, REFERENCED_SEGMENT_NUMBER, "US", "ReferencedSegmentNumber")

Instruction = assembly.Instruction


@dataclass
class SegmentationVolume(Volume):
    """A :class:`~iodkit.derived.reader.Volume` whose last axis (without
    ``combine_segments``) holds the ``segment_numbers`` channels."""

    segment_numbers: list[int] | None = None


def read_segmentation(source: Openable) -> SegmentationReader:
    """Open a Segmentation from a path, a binary file, an in-memory pydicom Dataset or a
    :class:`~iodkit.derived.framesource.FrameSource`."""
    return SegmentationReader(source)


def _segment_numbers(ds: Dataset) -> list[int] | None:
    """Segment Numbers in TILED_FULL frame order; none for a label map (no segment frames)."""
    if str(ds.get("SegmentationType", "")) == "LABELMAP":
        return None
    return [int_of(item, "SegmentNumber") for item in items_of(ds, "SegmentSequence")]


@guarded(SegmentationReadError, "segmentation")
class SegmentationReader:
    """A Segmentation opened for reading; use as a context manager or call :meth:`close`."""

    def __init__(self, source: Openable) -> None:
        self._index = FrameIndex(
            source,
            what="segmentation",
            title="Segmentation",
            sop_classes=SEGMENTATION_SOP_CLASSES,
            error=SegmentationReadError,
            channel=SEGMENT_LEAF,
            channel_numbers=_segment_numbers,
        )
        self.dataset: Dataset = self._index.dataset
        if self.is_labelmap:
            self._index.table.channels = None  # a label map's frames hold every segment
        self.table: FrameTable = self._index.table

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
        return int_of(self.dataset, "MaximumFractionalValue", None)  # type: ignore[no-any-return]

    @property
    def number_of_frames(self) -> int:
        return self.table.number_of_frames

    @property
    def segment_numbers(self) -> list[int]:
        """Segment Numbers of the Segment Sequence, the background of a label map (its Pixel
        Padding Value) left out."""
        numbers = [
            int_of(item, "SegmentNumber") for item in items_of(self.dataset, "SegmentSequence")
        ]
        padding = int_of(self.dataset, "PixelPaddingValue", None)
        if padding is not None:
            numbers = [n for n in numbers if n != padding]
        return numbers

    @property
    def segment_descriptions(self) -> list[Dataset]:
        """Items of the Segment Sequence (the label map background included)."""
        return items_of(self.dataset, "SegmentSequence")

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
        for item in items_of(self.dataset, "SegmentSequence"):
            if int_of(item, "SegmentNumber") not in numbers:
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
            out.append(int_of(item, "SegmentNumber"))
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
        stack = self._index.by_source_instance(
            source_sop_instance_uids, ignore_spatial_locations, assert_missing_frames_are_empty
        )
        return self._stacked(
            len(source_sop_instance_uids),
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
        count, stack = self._index.by_source_frame(
            source_sop_instance_uid,
            source_frame_numbers,
            ignore_spatial_locations,
            assert_missing_frames_are_empty,
        )
        return self._stacked(
            count,
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
        stack = self._index.by_dimension_index_values(
            dimension_index_values,
            dimension_index_pointers,
            assert_missing_frames_are_empty,
            excluded=REFERENCED_SEGMENT_NUMBER,
            excluded_hint=(
                "Referenced Segment Number is not a dimension index pointer here; choose "
                "segments with segment_numbers"
            ),
        )
        return self._stacked(
            len(dimension_index_values),
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
        index = self._index
        r0, r1, c0, c1 = index.region(row_start, row_end, column_start, column_end, as_indices)
        frame_of_reference = self.dataset.get("FrameOfReferenceUID")
        channels = None if combine_segments else list(segments)
        if self.is_tiled:
            slice_indices(slice_start, slice_end, 1, as_indices, SegmentationReadError)
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
            affine = shift(index.slide_affine(), 0, r0, c0)
            return SegmentationVolume(array, affine, frame_of_reference, channels)
        count, stack, affine = index.volume(
            slice_start,
            slice_end,
            as_indices,
            allow_missing_positions,
            rtol,
            atol,
            perpendicular_tol,
        )
        array = self._stacked(
            count,
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
        return SegmentationVolume(array, shift(affine, 0, r0, c0), frame_of_reference, channels)

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
        index = self._index
        if not self.is_tiled:
            raise SegmentationReadError("the segmentation is not tiled (no total pixel matrix)")
        segments = self._requested(segment_numbers)
        r0, r1, c0, c1 = index.region(row_start, row_end, column_start, column_end, as_indices)
        placement = index.tile_placement(r0, r1, c0, c1)
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

    def _instructions(
        self,
        placement: list[Placement],
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
                key = (hashable(target),)
                if key in seen:
                    raise SegmentationReadError(
                        "the chosen dimensions do not identify frames uniquely"
                    )
                seen.add(key)
                out.append((k, source, target, None))
            return out
        assert table.channels is not None
        position = {s: j for j, s in enumerate(segments)}
        for k, source, target in placement:
            segment = int(table.channels[k])
            if segment not in position:
                continue
            j = position[segment]
            where = (hashable(target), j)
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
        instructions = self._instructions(stack_placement(stack), segments, combine, relabel)
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
            out_dtype = np.dtype(np.float32) if rescaled else assembly.unsigned_dtype(max_output)
        else:
            out_dtype = np.dtype(dtype)
        if out_dtype.kind not in "uifb":
            raise SegmentationReadError(f"dtype {out_dtype} cannot hold segmentation pixels")
        if out_dtype.kind in "ui" and max_output > np.iinfo(out_dtype.type).max:  # type: ignore[type-var]
            raise SegmentationReadError(f"dtype {out_dtype} cannot hold the value {max_output}")
        self._index.prefetch([k for k, _, _, _ in instructions])
        if palette:
            if not self.is_labelmap or not combine or relabel:
                raise SegmentationReadError(
                    "apply_palette_color_lut needs a LABELMAP segmentation, "
                    "combine_segments=True and relabel=False"
                )
            labels = self._labelmap_pixels(
                spatial_shape, instructions, segments, True, False, np.dtype(np.uint16)
            )
            return assembly.palette_colors(labels, self.dataset)
        if self.is_labelmap:
            return self._labelmap_pixels(
                spatial_shape, instructions, segments, combine, relabel, out_dtype
            )
        maximum = self.max_fractional_value or 1
        if combine:
            if fractional and not rescale:
                raise SegmentationReadError(
                    "combining the segments of a FRACTIONAL segmentation needs "
                    "rescale_fractional=True"
                )
            return assembly.combined(
                spatial_shape,
                instructions,
                out_dtype,
                self._frame,
                maximum if fractional else None,
                skip_overlap_checks,
            )
        if rescaled and out_dtype.kind != "f":
            raise SegmentationReadError("rescaled fractional pixels need a floating point dtype")
        return assembly.channels(
            spatial_shape,
            instructions,
            len(segments),
            out_dtype,
            self._frame,
            maximum if rescaled else None,
        )

    def _labelmap_pixels(
        self,
        spatial_shape: tuple[int, ...],
        instructions: list[Instruction],
        segments: list[int],
        combine: bool,
        relabel: bool,
        out_dtype: np.dtype,
    ) -> np.ndarray:
        return assembly.labelmap(
            spatial_shape,
            instructions,
            segments,
            combine,
            relabel,
            out_dtype,
            self._frame,
            bits=int_of(self.dataset, "BitsStored"),
            background=int_of(self.dataset, "PixelPaddingValue", 0),
            all_segments=self.segment_numbers,
        )

    def _frame(self, index: int) -> np.ndarray:
        return self._index.frame(index)

    # -- lifetime -------------------------------------------------------------------------

    def close(self) -> None:
        self._index.close()

    def __enter__(self) -> SegmentationReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"SegmentationReader({self.segmentation_type}, {self.number_of_frames} frames, "
            f"segments {self.segment_numbers})"
        )

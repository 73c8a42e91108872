"""Read any Parametric Map (PS3.3 A.75) back into arrays of stored or real-world values.

:func:`read_parametric_map` opens a file, an in-memory Dataset or any
:class:`~iodkit.derived.framesource.FrameSource` through the core's
:class:`~iodkit.derived.reader.FrameIndex`; frames are read lazily, only those a query needs.
The queries follow highdicom's image API (``pmread``), so the two can be swapped and compared:

* :meth:`~ParametricMapReader.get_pixels_by_source_instance` / ``…_by_source_frame`` /
  ``…_by_dimension_index_values`` — planes chosen by what they were derived from or indexed by;
* :meth:`~ParametricMapReader.get_volume` — a regularly spaced volume with its affine;
* :meth:`~ParametricMapReader.get_total_pixel_matrix` — a tiled map's total pixel matrix.

By default values come back as real-world values in float64 through the first Real World
Value Mapping item (``real_world_value_map_selector`` chooses another by index, LUT Label or
units code); ``apply_real_world_transform=False`` gives the stored values. Stored values
outside a lookup table's First…Last Value Mapped have no real-world value
(C.7.6.16.2.11.1.2) and come back NaN, as does the Float Pixel Padding Value; a linear
mapping applies to every value (highdicom raises for values outside the range, which makes
dcmqi's float maps — whose range is rounded to integers — unreadable there). Planes no frame
covers (``assert_missing_frames_are_empty``) are 0.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
from iodkit.derived.framesource import Openable
from iodkit.derived.reader import (
    FrameIndex,
    Placement,
    Volume,
    shift,
    slice_indices,
    stack_placement,
)
from iodkit.derived.readguard import guarded
from iodkit.pm.errors import ParametricMapReadError
from iodkit.pm.mapping import RealWorldValueMapping
from pydicom.dataset import Dataset

PARAMETRIC_MAP_SOP_CLASSES = ("1.2.840.10008.5.1.4.1.1.30",)
#: Bytes of a file's frames mapped at a time per reading thread (see ``_frames``).
WINDOW_BYTES = 16 << 20
Selector = int | str | Any


def read_parametric_map(source: Openable) -> ParametricMapReader:
    """Open a Parametric Map from a path, a binary file, a Dataset or a FrameSource."""
    return ParametricMapReader(source)


@guarded(ParametricMapReadError, "parametric map")
class ParametricMapReader:
    """A Parametric Map opened for reading; use as a context manager or call :meth:`close`."""

    def __init__(self, source: Openable) -> None:
        self._index = FrameIndex(
            source,
            what="parametric map",
            title="Parametric Map",
            sop_classes=PARAMETRIC_MAP_SOP_CLASSES,
            error=ParametricMapReadError,
        )
        self.dataset: Dataset = self._index.dataset
        self.table = self._index.table
        shared = self.dataset.get("SharedFunctionalGroupsSequence")
        items = shared[0].get("RealWorldValueMappingSequence") if shared else None
        self._shared: list[RealWorldValueMapping] | None = (
            [RealWorldValueMapping.from_item(i) for i in items] if items else None
        )
        self._per_frame: list[list[RealWorldValueMapping]] | None = None
        #: Threads that read and convert frames (at most 2 — where reads are memory copies,
        #: more only contend for memory bandwidth; 1 to read on the calling thread only).
        self.threads = min(2, os.cpu_count() or 1)

    # -- facts ----------------------------------------------------------------------------

    @property
    def number_of_frames(self) -> int:
        return self.table.number_of_frames

    @property
    def is_tiled(self) -> bool:
        return self._index.is_tiled

    @property
    def padding_value(self) -> float | None:
        for keyword in ("FloatPixelPaddingValue", "DoubleFloatPixelPaddingValue"):
            if keyword in self.dataset:
                return float(self.dataset[keyword].value)
        return None

    @property
    def mappings(self) -> list[RealWorldValueMapping]:
        """The Real World Value Mapping items (shared; else the first frame's)."""
        return list(self._shared if self._shared is not None else self._frame_mappings(0))

    def get_source_image_uids(self) -> list[tuple[str, str, str]]:
        """(study, series, SOP instance) UIDs of the instances the map references (Common
        Instance Reference Module, C.12.2)."""
        return list(self.table.referenced_instances)

    def _frame_mappings(self, frame: int) -> list[RealWorldValueMapping]:
        if self._shared is not None:
            return self._shared
        if self._per_frame is None:
            self._per_frame = [
                [RealWorldValueMapping.from_item(i) for i in item.RealWorldValueMappingSequence]
                if "RealWorldValueMappingSequence" in item
                else []
                for item in self.dataset.get("PerFrameFunctionalGroupsSequence") or []
            ]
        return self._per_frame[frame] if frame < len(self._per_frame) else []

    def _mapping(self, frame: int, selector: Selector) -> RealWorldValueMapping | None:
        mappings = self._frame_mappings(frame)
        for i, mapping in enumerate(mappings):
            if mapping.matches(selector, i):
                return mapping
        if not mappings:
            return None
        raise ParametricMapReadError(
            f"no Real World Value Mapping item matches {selector!r} in frame {frame + 1} "
            f"(labels: {', '.join(m.label for m in mappings)})"
        )

    # -- queries --------------------------------------------------------------------------

    def get_frame(
        self,
        index: int,
        *,
        dtype: Any = np.float64,
        apply_real_world_transform: bool | None = None,
        real_world_value_map_selector: Selector = 0,
    ) -> np.ndarray:
        """Frame ``index`` (0-based) in stored or real-world values."""
        out = np.empty((self.table.rows, self.table.columns), dtype=dtype)
        whole = (slice(None), slice(None))
        self._place(
            out[None],
            [(index, whole, (0, slice(None), slice(None)))],
            apply_real_world_transform,
            real_world_value_map_selector,
        )
        return out

    def get_pixels_by_source_instance(
        self,
        source_sop_instance_uids: Sequence[str],
        ignore_spatial_locations: bool = False,
        assert_missing_frames_are_empty: bool = False,
        dtype: Any = np.float64,
        apply_real_world_transform: bool | None = None,
        real_world_value_map_selector: Selector = 0,
    ) -> np.ndarray:
        """Planes per source instance: ``out[i]`` derives from ``source_sop_instance_uids[i]``."""
        stack = self._index.by_source_instance(
            source_sop_instance_uids, ignore_spatial_locations, assert_missing_frames_are_empty
        )
        return self._stacked(
            len(source_sop_instance_uids),
            stack,
            dtype,
            apply_real_world_transform,
            real_world_value_map_selector,
        )

    def get_pixels_by_source_frame(
        self,
        source_sop_instance_uid: str,
        source_frame_numbers: Sequence[int] | None = None,
        ignore_spatial_locations: bool = False,
        assert_missing_frames_are_empty: bool = False,
        dtype: Any = np.float64,
        apply_real_world_transform: bool | None = None,
        real_world_value_map_selector: Selector = 0,
    ) -> np.ndarray:
        """Planes per frame of a multi-frame source (1-based frame numbers)."""
        count, stack = self._index.by_source_frame(
            source_sop_instance_uid,
            source_frame_numbers,
            ignore_spatial_locations,
            assert_missing_frames_are_empty,
        )
        return self._stacked(
            count, stack, dtype, apply_real_world_transform, real_world_value_map_selector
        )

    def get_pixels_by_dimension_index_values(
        self,
        dimension_index_values: Sequence[Sequence[int]],
        dimension_index_pointers: Sequence[int] | None = None,
        assert_missing_frames_are_empty: bool = False,
        dtype: Any = np.float64,
        apply_real_world_transform: bool | None = None,
        real_world_value_map_selector: Selector = 0,
    ) -> np.ndarray:
        """Planes per row of Dimension Index Values (C.7.6.17.1)."""
        stack = self._index.by_dimension_index_values(
            dimension_index_values, dimension_index_pointers, assert_missing_frames_are_empty
        )
        return self._stacked(
            len(dimension_index_values),
            stack,
            dtype,
            apply_real_world_transform,
            real_world_value_map_selector,
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
        dtype: Any = np.float64,
        apply_real_world_transform: bool | None = None,
        real_world_value_map_selector: Selector = 0,
        allow_missing_positions: bool = False,
        rtol: float | None = None,
        atol: float | None = None,
        perpendicular_tol: float | None = None,
    ) -> Volume:
        """The map as a regularly spaced volume with its affine (slices along the normal
        ``column × row``, as highdicom's ``Volume``); a tiled map as one slice."""
        index = self._index
        r0, r1, c0, c1 = index.region(row_start, row_end, column_start, column_end, as_indices)
        frame_of_reference = self.dataset.get("FrameOfReferenceUID")
        if self.is_tiled:
            slice_indices(slice_start, slice_end, 1, as_indices, ParametricMapReadError)
            array = self.get_total_pixel_matrix(
                r0,
                r1,
                c0,
                c1,
                dtype=dtype,
                apply_real_world_transform=apply_real_world_transform,
                real_world_value_map_selector=real_world_value_map_selector,
                as_indices=True,
            )[None]
            return Volume(array, shift(index.slide_affine(), 0, r0, c0), frame_of_reference)
        count, stack, affine = index.volume(
            slice_start,
            slice_end,
            as_indices,
            allow_missing_positions,
            rtol,
            atol,
            perpendicular_tol,
        )
        out = np.zeros((count, r1 - r0, c1 - c0), dtype=dtype)
        crop = (slice(r0, r1), slice(c0, c1))
        placement = [
            (k, crop, (o, slice(None), slice(None))) for k, outs in stack.items() for o in outs
        ]
        self._place(out, placement, apply_real_world_transform, real_world_value_map_selector)
        return Volume(out, shift(affine, 0, r0, c0), frame_of_reference)

    def get_total_pixel_matrix(
        self,
        row_start: int | None = None,
        row_end: int | None = None,
        column_start: int | None = None,
        column_end: int | None = None,
        dtype: Any = np.float64,
        apply_real_world_transform: bool | None = None,
        real_world_value_map_selector: Selector = 0,
        as_indices: bool = False,
    ) -> np.ndarray:
        """A tiled map's total pixel matrix, or a region of it (1-based starts, exclusive
        ends; 0-based with ``as_indices``)."""
        index = self._index
        if not self.is_tiled:
            raise ParametricMapReadError("the parametric map is not tiled (no total pixel matrix)")
        r0, r1, c0, c1 = index.region(row_start, row_end, column_start, column_end, as_indices)
        out = np.zeros((1, r1 - r0, c1 - c0), dtype=dtype)
        placement = [
            (k, source, (0, *target)) for k, source, target in index.tile_placement(r0, r1, c0, c1)
        ]
        self._place(out, placement, apply_real_world_transform, real_world_value_map_selector)
        return out[0]

    # -- machinery ------------------------------------------------------------------------

    def _stacked(
        self,
        count: int,
        stack: dict[int, list[int]],
        dtype: Any,
        apply: bool | None,
        selector: Selector,
    ) -> np.ndarray:
        out = np.zeros((count, self.table.rows, self.table.columns), dtype=dtype)
        self._place(out, stack_placement(stack), apply, selector)
        return out

    def _place(
        self, out: np.ndarray, placement: list[Placement], apply: bool | None, selector: Selector
    ) -> None:
        """Read each frame once and put its values (real-world unless ``apply`` is False)
        where the placements say, converting straight into the output (one pass)."""
        mapped = self._index.maps_native  # a native file: converted from its pages
        if not mapped:
            self._index.prefetch([k for k, _, _ in placement])
        ordered = sorted(placement, key=lambda p: p[0])
        workers = min(self.threads, len(ordered) // 16)  # reads and copies release the GIL
        if workers < 2:
            self._place_some(out, ordered, apply, selector, mapped)
            return
        from concurrent.futures import ThreadPoolExecutor

        share = -(-len(ordered) // workers)
        with ThreadPoolExecutor(workers) as pool:
            done = [
                pool.submit(self._place_some, out, ordered[i : i + share], apply, selector, mapped)
                for i in range(0, len(ordered), share)
            ]
            for future in done:
                future.result()

    def _frames(self, placement: list[Placement], mapped: bool) -> Iterator[np.ndarray]:
        """The stored values of each placement's frame (in order of frame): views of the file's
        pages a window of about :data:`WINDOW_BYTES` at a time (each window unmapped once
        passed, so the mapped pages never add up to the file), else frames read one by one
        (also where a window cannot be mapped: a file system without memory maps)."""
        if not mapped:
            for k, _, _ in placement:
                yield self._index.frame(k)
            return
        bits = int(self.dataset.get("BitsAllocated", 32) or 32)
        frame_bytes = max(1, self.table.rows * self.table.columns * bits // 8)
        per_window = max(1, WINDOW_BYTES // frame_bytes)
        n = self.number_of_frames
        window: np.ndarray | None = None
        start = stop = 0
        for k, _, _ in placement:
            if not start <= k < stop:
                window = None  # the previous window's pages are let go first
                start, stop = k, min(k + per_window, n)
                window = self._index.native_frames(start, stop)
            yield self._index.frame(k) if window is None else window[k - start]

    def _place_some(
        self,
        out: np.ndarray,
        placement: list[Placement],
        apply: bool | None,
        selector: Selector,
        mapped: bool,
    ) -> None:
        padding = self.padding_value
        frames = self._frames(placement, mapped)
        for (k, source, target), frame in zip(placement, frames, strict=True):
            stored = frame[source]
            mapping = None if apply is False else self._mapping(k, selector)
            if mapping is None and apply:
                raise ParametricMapReadError(f"frame {k + 1} has no Real World Value Mapping")
            dst = out[target]
            if mapping is None:
                np.copyto(dst, stored, casting="unsafe")
            elif mapping.is_linear and out.dtype.kind == "f":
                np.copyto(dst, stored, casting="unsafe")
                mapping.apply_linear_in_place(dst)
            elif out.dtype.kind == "f":
                dst[...] = mapping.apply(stored, out.dtype)
            else:
                real = mapping.apply(stored, np.float64)
                if not np.array_equal(real, np.round(real)):
                    raise ParametricMapReadError(
                        f"real-world values of frame {k + 1} are not whole numbers: ask for "
                        f"a float dtype, not {out.dtype}"
                    )
                np.copyto(dst, real, casting="unsafe")
            if mapping is not None and padding is not None and out.dtype.kind == "f":
                dst[np.isnan(stored) if math.isnan(padding) else stored == padding] = np.nan

    # -- lifetime -------------------------------------------------------------------------

    def close(self) -> None:
        self._index.close()

    def __enter__(self) -> ParametricMapReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        labels = ", ".join(m.label for m in self.mappings)
        return f"ParametricMapReader({self.number_of_frames} frames, mappings {labels})"

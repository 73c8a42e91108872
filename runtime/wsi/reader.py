"""Read regions of any tiled image: a whole slide level (ours, highdicom's, a scanner's) or a
tiled Segmentation or Parametric Map's stored values.

:func:`read_slide` opens a file, Dataset or :class:`~iodkit.derived.framesource.FrameSource`
through the core's :class:`~iodkit.derived.reader.FrameIndex`, whose frame table gives every
tile's place in the total pixel matrix (explicit for TILED_SPARSE, implied for TILED_FULL,
C.7.6.17.3); :meth:`SlideReader.get_region` decodes only the tiles a region touches.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from iodkit.derived.framesource import Openable
from iodkit.derived.reader import DerivedReadError, FrameIndex, shift
from iodkit.derived.readguard import guarded
from pydicom.dataset import Dataset


class SlideReadError(DerivedReadError):
    """A tiled image cannot answer the request (not tiled, a region outside the matrix…)."""


def read_slide(source: Openable) -> SlideReader:
    """Open a tiled image from a path, a binary file, a Dataset or a FrameSource."""
    return SlideReader(source)


@guarded(SlideReadError, "tiled image")
class SlideReader:
    """A tiled image opened for region reads; a context manager."""

    def __init__(self, source: Openable) -> None:
        self._index = FrameIndex(source, what="tiled image", error=SlideReadError)
        self.dataset: Dataset = self._index.dataset
        if not self._index.is_tiled:
            self.close()
            raise SlideReadError(
                "the image has no Total Pixel Matrix Rows/Columns: it is not a tiled image"
            )

    @property
    def shape(self) -> tuple[int, ...]:
        """(rows, columns[, samples]) of the total pixel matrix."""
        samples = int(self.dataset.get("SamplesPerPixel", 1) or 1)
        return self._index.total_shape + ((samples,) if samples > 1 else ())

    @property
    def pixel_spacing(self) -> list[float] | None:
        return self._index.table.pixel_spacing

    @property
    def affine(self) -> np.ndarray:
        """4×4 affine from (slice, row, column) indices to slide coordinates (mm)."""
        return self._index.slide_affine()

    def get_region(
        self,
        row_start: int | None = None,
        row_end: int | None = None,
        column_start: int | None = None,
        column_end: int | None = None,
        *,
        as_indices: bool = False,
        fill: Any = 0,
    ) -> np.ndarray:
        """The region rows ``row_start``…``row_end`` (1-based, end exclusive; 0-based with
        ``as_indices``; negative values count from the end) and the same for columns, in the
        stored dtype; pixels no tile covers (a TILED_SPARSE gap) are ``fill``."""
        index = self._index
        r0, r1, c0, c1 = index.region(row_start, row_end, column_start, column_end, as_indices)
        placement = index.tile_placement(r0, r1, c0, c1)
        index.prefetch([k for k, _, _ in placement])
        out: np.ndarray | None = None
        for k, source, target in sorted(placement, key=lambda p: p[0]):
            tile = index.frame(k)
            if out is None:
                out = np.full((r1 - r0, c1 - c0, *tile.shape[2:]), fill, dtype=tile.dtype)
            out[target] = tile[source]
        if out is None:
            dtype = np.uint8 if int(self.dataset.get("BitsAllocated", 8)) <= 8 else np.uint16
            out = np.full((r1 - r0, c1 - c0, *self.shape[2:]), fill, dtype=dtype)
        return out

    def region_affine(self, row_start: int = 0, column_start: int = 0) -> np.ndarray:
        """The affine of a region starting at 0-based (row_start, column_start)."""
        return shift(self.affine, 0, row_start, column_start)

    def close(self) -> None:
        self._index.close()

    def __enter__(self) -> SlideReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

"""Plane geometry in a frame of reference: ordering, spacing, volume affines, slide tiles.

Patient coordinates (PS3.3 C.7.6.2.1.1): *Image Orientation (Patient)* holds the row direction
cosines (along a row, increasing column) then the column direction cosines (down a column,
increasing row); *Image Position (Patient)* is the centre of the first pixel; *Pixel Spacing*
is (between rows, between columns).

A volume array is indexed (slice, row, column). Its slice axis is the plane normal
``column × row`` so that the three axes form a right-handed system — the convention of
highdicom's ``Volume`` ("DR", slices first), so the affines agree.

Slide coordinates (C.8.12.2.1, C.7.6.16.2.3.1 Plane Position (Slide)): tiles of a total pixel
matrix sit at 1-based *Row/Column Position In Total Image Pixel Matrix*; their X/Y/Z offsets
follow from the matrix origin, *Image Orientation (Slide)* and the pixel spacing.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pydicom.valuerep import format_number_as_ds

RELATIVE_SPACING_TOLERANCE = 1e-2
PERPENDICULAR_TOLERANCE = 1e-3
EQUALITY_TOLERANCE = 1e-5


def slice_normal(orientation: Sequence[float] | np.ndarray) -> np.ndarray:
    """Unit normal of the planes, pointing the way slices of a volume are stacked."""
    iop = np.asarray(orientation, dtype=np.float64)
    return np.cross(iop[3:], iop[:3])


def plane_order(positions: np.ndarray, orientation: Sequence[float]) -> np.ndarray:
    """Indices that sort planes along :func:`slice_normal` (stable for equal distances)."""
    distances = np.asarray(positions, dtype=np.float64) @ slice_normal(orientation)
    return np.argsort(distances, kind="stable")


def volume_positions(
    positions: np.ndarray,
    orientation: Sequence[float],
    *,
    allow_missing: bool = True,
    spacing_hint: float | None = None,
    rtol: float | None = None,
    atol: float | None = None,
    perpendicular_tol: float | None = None,
) -> tuple[float, np.ndarray] | None:
    """Slice spacing and 0-based volume index of each position, or ``None`` when the planes
    are not parallel, regularly spaced planes stacked along their normal.

    Duplicated positions share an index. With ``allow_missing`` gaps are allowed: the spacing
    is the smallest gap (or ``spacing_hint``) and every position must fall on a multiple of it.
    """
    points = np.asarray(positions, dtype=np.float64)
    if atol is not None and rtol is not None:
        raise ValueError("give rtol or atol, not both")
    if atol is None and rtol is None:
        rtol, atol = RELATIVE_SPACING_TOLERANCE, 0.0
    rtol = rtol or 0.0
    atol = atol or 0.0
    perpendicular_tol = PERPENDICULAR_TOLERANCE if perpendicular_tol is None else perpendicular_tol
    n = len(points)
    if n == 1:
        return (1.0 if spacing_hint is None else abs(spacing_hint)), np.zeros(1, dtype=np.int64)
    unique, inverse = np.unique(points, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    if len(unique) == 1:
        return (1.0 if spacing_hint is None else abs(spacing_hint)), np.zeros(n, dtype=np.int64)
    normal = slice_normal(orientation)
    distances = unique @ normal
    order = np.argsort(distances)
    ordered = distances[order]
    if allow_missing:
        if spacing_hint is not None:
            spacing = abs(spacing_hint)
        else:
            spacing = float(np.diff(ordered).min())
            if np.isclose(spacing, 0.0, atol=EQUALITY_TOLERANCE):
                return None
        multiples = (distances - distances.min()) / spacing
        expected = multiples.round() * spacing + distances.min()
        if not bool((np.abs(distances - expected) <= atol + rtol * abs(spacing)).all()):
            return None
        unique_index = multiples.round().astype(np.int64)
    else:
        gaps = np.diff(ordered)
        spacing = float((ordered[-1] - ordered[0]) / (len(ordered) - 1))
        if spacing_hint is not None and not np.isclose(
            abs(spacing), spacing_hint, rtol=rtol, atol=atol
        ):
            return None
        if not np.isclose(gaps, spacing, rtol=rtol, atol=atol).all():
            return None
        unique_index = np.argsort(order)
    spans = unique[order[1:]] - unique[order[0]]
    spans /= np.linalg.norm(spans, axis=1)[:, None]
    dots = spans @ normal
    if not np.all(
        (np.abs(dots - 1.0) < perpendicular_tol) | (np.abs(dots + 1.0) < perpendicular_tol)
    ):
        return None
    return abs(spacing), unique_index[inverse]


def volume_affine(
    position: Sequence[float],
    orientation: Sequence[float],
    pixel_spacing: Sequence[float],
    slice_spacing: float,
) -> np.ndarray:
    """4×4 affine from (slice, row, column, 1) indices to frame-of-reference coordinates."""
    iop = np.asarray(orientation, dtype=np.float64)
    affine = np.eye(4)
    affine[:3, 0] = slice_normal(iop) * float(slice_spacing)
    affine[:3, 1] = iop[3:] * float(pixel_spacing[0])
    affine[:3, 2] = iop[:3] * float(pixel_spacing[1])
    affine[:3, 3] = np.asarray(position, dtype=np.float64)
    return affine


def tile_grid(
    total_rows: int, total_columns: int, tile_rows: int, tile_columns: int
) -> tuple[np.ndarray, np.ndarray]:
    """1-based (row, column) positions of the tiles of a total pixel matrix, row by row
    (the TILED_FULL order, PS3.3 C.7.6.17.3)."""
    rows = np.arange(0, total_rows, tile_rows) + 1
    columns = np.arange(0, total_columns, tile_columns) + 1
    grid_rows, grid_columns = np.meshgrid(rows, columns, indexing="ij")
    return grid_rows.reshape(-1), grid_columns.reshape(-1)


def slide_offsets(
    origin: Sequence[float],
    orientation: Sequence[float],
    pixel_spacing: Sequence[float],
    row_positions: np.ndarray,
    column_positions: np.ndarray,
) -> np.ndarray:
    """(N, 3) X/Y/Z offsets in the slide coordinate system of tiles at the given 1-based
    positions (the centre of each tile's first pixel)."""
    iop = np.asarray(orientation, dtype=np.float64)
    rows = (np.asarray(row_positions, dtype=np.float64) - 1) * float(pixel_spacing[0])
    columns = (np.asarray(column_positions, dtype=np.float64) - 1) * float(pixel_spacing[1])
    return (
        np.asarray(origin, dtype=np.float64)[None, :]
        + columns[:, None] * iop[None, :3]
        + rows[:, None] * iop[None, 3:]
    )


def format_ds(values: Sequence[float] | np.ndarray) -> list[str]:
    """Decimal String values (at most 16 characters each, PS3.5 6.2)."""
    return [format_number_as_ds(float(v)) for v in np.asarray(values, dtype=np.float64).ravel()]

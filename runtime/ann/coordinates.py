"""Annotation coordinates as NumPy arrays: checked, packed and unpacked (PS3.3 C.37.1.2.1.1).

A group's annotations are one ``(points, dimensions)`` array of every vertex, annotation after
annotation, and ``offsets``: ``n + 1`` indices into it (annotation *i* is
``points[offsets[i]:offsets[i + 1]]``, the layout of CSR matrices and GeoArrow). POINT,
ELLIPSE and RECTANGLE have a fixed number of points per annotation (1, 4, 4), so their offsets
may be left out. Everything is checked for the whole group at once, with NumPy; an error names
the first annotation at fault (0-based) and how many more there are.

Encoding (C.37.1.2.1.1): the points are stored one after another in Point Coordinates Data
(float32, OF) or Double Point Coordinates Data (float64, OD) — the array's own precision, so
nothing is rounded that was not already; POLYLINE and POLYGON add Long Primitive Point Index
List, the 1-based index of each annotation's first *value* (not point). 3D points that share
one Z are stored as (X, Y) with Common Z Coordinate Value, as the standard requires.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from iodkit.ann.errors import AnnotationError

GRAPHIC_TYPES = ("POINT", "POLYLINE", "POLYGON", "ELLIPSE", "RECTANGLE")
#: points per annotation where the graphic type fixes it
FIXED_POINTS = {"POINT": 1, "ELLIPSE": 4, "RECTANGLE": 4}
#: the fewest points of an annotation where it varies
MINIMUM_POINTS = {"POLYLINE": 2, "POLYGON": 3}
_SECTION = "PS3.3 C.37.1.2.1.1"


@dataclass(frozen=True)
class Packed:
    """Checked coordinates of one group: ``points`` (N, 2 or 3) float32/float64 and
    ``offsets`` (n + 1,) int64 starting at 0 and ending at N."""

    points: np.ndarray
    offsets: np.ndarray

    @property
    def number_of_annotations(self) -> int:
        return len(self.offsets) - 1

    def annotation_of_point(self, index: int) -> int:
        return int(np.searchsorted(self.offsets, index, side="right") - 1)


def _first(bad: np.ndarray) -> tuple[int, str]:
    """The first flagged index and ", and k more" for the others."""
    where = np.flatnonzero(bad)
    more = f" (and {len(where) - 1} more)" if len(where) > 1 else ""
    return int(where[0]), more


def pack(points: Any, offsets: Any, graphic_type: str, where: str) -> Packed:
    """Check one group's points and offsets; ``where`` names the group in errors."""
    if graphic_type not in GRAPHIC_TYPES:
        raise AnnotationError(
            f"{where}: graphic type {graphic_type!r} is not one of {', '.join(GRAPHIC_TYPES)} "
            f"({_SECTION})"
        )
    array = np.asarray(points)
    if array.ndim != 2 or array.shape[1] not in (2, 3):
        raise AnnotationError(
            f"{where}: points must be an (N, 2) array of (column, row) image coordinates or an "
            f"(N, 3) array of (X, Y, Z) slide coordinates in mm, got shape {array.shape}"
        )
    if array.dtype.kind in "iu":
        exact = array.size == 0 or int(np.max(np.abs(array))) < 2**24
        array = array.astype(np.float32 if exact else np.float64)
    elif array.dtype not in (np.float32, np.float64):
        raise AnnotationError(
            f"{where}: points must be float32 or float64 (or integers), got {array.dtype}"
        )
    array = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("="))
    if len(array) == 0:
        raise AnnotationError(f"{where}: no points given; a group holds at least one annotation")
    fixed = FIXED_POINTS.get(graphic_type)
    if offsets is None:
        if fixed is None:
            raise AnnotationError(
                f"{where}: {graphic_type} annotations have any number of points: give offsets "
                "(n + 1 indices into points: annotation i is points[offsets[i]:offsets[i+1]])"
            )
        if len(array) % fixed:
            raise AnnotationError(
                f"{where}: {len(array)} points are not a whole number of {graphic_type}s of "
                f"{fixed} points each ({_SECTION})"
            )
        index = np.arange(0, len(array) + 1, fixed, dtype=np.int64)
    else:
        index = _offsets(offsets, len(array), where)
    packed = Packed(array, index)
    _check_counts(packed, graphic_type, where)
    _check_finite(packed, where)
    if graphic_type == "POLYGON":
        _check_open(packed, where)
    return packed


def _offsets(offsets: Any, total: int, where: str) -> np.ndarray:
    index = np.asarray(offsets)
    if index.ndim != 1 or index.dtype.kind not in "iu" or len(index) < 2:
        raise AnnotationError(
            f"{where}: offsets must be a 1-D integer array of n + 1 indices into points "
            f"(0, end of annotation 0, …, {total}), got "
            f"{index.dtype} of shape {index.shape}"
        )
    index = index.astype(np.int64)
    if index[0] != 0 or index[-1] != total:
        raise AnnotationError(
            f"{where}: offsets must start at 0 and end at the number of points ({total}), "
            f"got {int(index[0])} … {int(index[-1])}"
        )
    steps = np.diff(index)
    if (steps <= 0).any():
        first, more = _first(steps <= 0)
        raise AnnotationError(
            f"{where}: annotation {first} has {int(steps[first])} points: offsets must "
            f"increase strictly{more}"
        )
    return index


def _check_counts(packed: Packed, graphic_type: str, where: str) -> None:
    counts = np.diff(packed.offsets)
    fixed = FIXED_POINTS.get(graphic_type)
    if fixed is not None:
        bad = counts != fixed
        need = f"exactly {fixed}"
    else:
        bad = counts < MINIMUM_POINTS[graphic_type]
        need = f"at least {MINIMUM_POINTS[graphic_type]}"
    if bad.any():
        first, more = _first(bad)
        raise AnnotationError(
            f"{where}: annotation {first} is a {graphic_type} of {int(counts[first])} points; "
            f"a {graphic_type} needs {need} ({_SECTION}){more}"
        )


def _check_finite(packed: Packed, where: str) -> None:
    if np.isfinite(packed.points).all():  # the common case, in one contiguous pass
        return
    finite = np.isfinite(packed.points).all(axis=1)
    if not finite.all():
        point, _ = _first(~finite)
        bad_annotations = np.unique(
            np.searchsorted(packed.offsets, np.flatnonzero(~finite), side="right") - 1
        )
        more = f" (and {len(bad_annotations) - 1} more)" if len(bad_annotations) > 1 else ""
        raise AnnotationError(
            f"{where}: annotation {packed.annotation_of_point(point)} has a coordinate that is "
            f"NaN or infinite (point {point}: {packed.points[point].tolist()}){more}"
        )


def _check_open(packed: Packed, where: str) -> None:
    first_points = packed.points[packed.offsets[:-1]]
    last_points = packed.points[packed.offsets[1:] - 1]
    closed = first_points[:, 0] == last_points[:, 0]
    for axis in range(1, packed.points.shape[1]):
        closed &= first_points[:, axis] == last_points[:, axis]
    if closed.any():
        first, more = _first(closed)
        raise AnnotationError(
            f"{where}: annotation {first} repeats its first point as its last; a POLYGON is "
            f"closed implicitly and its first and last points shall differ ({_SECTION}; unlike "
            f"presentation states and SR){more}"
        )


def check_inside(packed: Packed, columns: int, rows: int, where: str, what: str) -> None:
    """2D image coordinates must lie on the image: 0 ≤ column ≤ Columns, 0 ≤ row ≤ Rows
    (the top left corner of the top left pixel is (0, 0), the bottom right corner of the
    bottom right pixel (Columns, Rows); PS3.3 C.10.5.1.2)."""
    x, y = packed.points[:, 0], packed.points[:, 1]
    # the common case in four reductions over column views (min(axis=0) is ~20× slower)
    if x.min() >= 0 and y.min() >= 0 and x.max() <= columns and y.max() <= rows:
        return
    outside = (x < 0) | (x > columns) | (y < 0) | (y > rows)
    if outside.any():
        point, _ = _first(outside)
        annotations = np.unique(
            np.searchsorted(packed.offsets, np.flatnonzero(outside), side="right") - 1
        )
        more = f" (and {len(annotations) - 1} more)" if len(annotations) > 1 else ""
        raise AnnotationError(
            f"{where}: annotation {packed.annotation_of_point(point)} has point "
            f"{packed.points[point].tolist()} outside {what} (columns 0…{columns}, rows "
            f"0…{rows}){more}"
        )


@dataclass(frozen=True)
class Encoded:
    """What goes into the Annotation Group Sequence item for a group's coordinates."""

    values: bytes
    double: bool
    point_index_list: bytes | None
    common_z: list[float] | None


def encode(packed: Packed, graphic_type: str, common_z: Any = None) -> Encoded:
    """The stored form: values in the points' own precision, Z factored out when common."""
    points = packed.points
    z: list[float] | None = None
    if points.shape[1] == 3:
        if common_z is not None:
            raise AnnotationError(
                "common_z is for (N, 2) points of a 3D group; (N, 3) points carry their Z"
            )
        zs = points[:, 2]
        if (zs == zs[0]).all():
            z = [float(zs[0])]
            points = points[:, :2]
    elif common_z is not None:
        z = [float(v) for v in np.atleast_1d(np.asarray(common_z, dtype=np.float64))]
    dims = points.shape[1]
    little = points.astype(points.dtype.newbyteorder("<"), copy=False)
    index = None
    if graphic_type in MINIMUM_POINTS:
        index = (packed.offsets[:-1] * dims + 1).astype("<u4").tobytes()
    return Encoded(little.tobytes(), points.dtype == np.float64, index, z)


def decode_offsets(
    graphic_type: str,
    number: int,
    total_points: int,
    point_index_list: np.ndarray | None,
    dims: int,
) -> np.ndarray:
    """``n + 1`` offsets from what a group item stores (C.37.1.2.1.1)."""
    fixed = FIXED_POINTS.get(graphic_type)
    if fixed is not None:
        if total_points != number * fixed:
            raise ValueError(
                f"{total_points} points stored for {number} {graphic_type} annotations of "
                f"{fixed} points"
            )
        return np.arange(0, total_points + 1, fixed, dtype=np.int64)
    if point_index_list is None:
        raise ValueError(f"a {graphic_type} group has no Long Primitive Point Index List")
    if len(point_index_list) != number:
        raise ValueError(
            f"Long Primitive Point Index List has {len(point_index_list)} entries for "
            f"{number} annotations"
        )
    starts = point_index_list.astype(np.int64) - 1
    if len(starts) and (starts[0] != 0 or (starts % dims).any() or (np.diff(starts) <= 0).any()):
        raise ValueError(
            "Long Primitive Point Index List does not start at 1 and increase by whole points"
        )
    offsets = np.empty(number + 1, dtype=np.int64)
    offsets[:-1] = starts // dims
    offsets[-1] = total_points
    if number and offsets[-2] >= total_points:
        raise ValueError("Long Primitive Point Index List points past the coordinates")
    return offsets

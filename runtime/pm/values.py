"""The values of a Parametric Map: shape, type, the range they span and what may not be in them.

PS3.3 A.75 stores integer maps as 16-bit Pixel Data (Bits Allocated 16, C.8.32.2), and float
maps as Float Pixel Data (32-bit) or Double Float Pixel Data (64-bit) (C.7.6.24, C.7.6.25).
Smaller integer types are widened to 16 bits (lossless); wider ones are accepted when their
values fit 16 bits, else refused. float16 is widened to float32.

NaN and infinity: the standard gives them a place only as the Float Pixel Padding Value (or
Double Float Pixel Padding Value) and its Range Limit — "may specify any valid IEEE 754
value, including NaN … and infinity values" (C.7.6.24.1) — i.e. as the marker of pixels
that carry no value. So a map may hold NaN or ±inf only where the writer is told they are
padding (``padding_value=float("nan")``, say); anywhere else they are refused, naming the
first plane, row and column that holds one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from iodkit.pm.errors import ParametricMapError


@dataclass
class MapValues:
    """Checked values: (planes, rows, columns) in the stored dtype, and their range."""

    array: np.ndarray
    floating: bool
    low: float
    high: float

    @property
    def bits_allocated(self) -> int:
        return self.array.dtype.itemsize * 8

    @property
    def signed(self) -> bool:
        return self.array.dtype.kind in "if"


def check_values(
    values: object,
    planes: int,
    plane_shape: tuple[int, int],
    padding_value: float | None,
) -> MapValues:
    """Check shape, type and values (see the module docstring)."""
    array = values if isinstance(values, np.ndarray) else np.asarray(values)
    if array.size == 0:
        raise ParametricMapError(f"the map is empty (shape {array.shape})")
    if array.ndim == 2:
        array = array[np.newaxis]
    if array.ndim != 3:
        raise ParametricMapError(
            f"map shape {array.shape}: give (planes, rows, columns) values, one plane per "
            "source image or frame (one total pixel matrix for a tiled source)"
        )
    if array.shape[0] != planes:
        raise ParametricMapError(
            f"the map has {array.shape[0]} planes but the source images call for {planes} "
            "(one per single-frame image or source frame; one total pixel matrix for a tiled "
            "image)"
        )
    if tuple(array.shape[1:]) != tuple(plane_shape):
        raise ParametricMapError(
            f"map planes are {array.shape[1]}×{array.shape[2]} but the source images are "
            f"{plane_shape[0]}×{plane_shape[1]} (rows×columns)"
        )
    kind = array.dtype.kind
    if kind == "f":
        if array.dtype.itemsize < 4:
            array = array.astype(np.float32)
        array = array.astype(array.dtype.newbyteorder("<"), copy=False)
        low, high = _float_range(array, padding_value)
        return MapValues(array, True, low, high)
    if kind not in "biu":
        raise ParametricMapError(
            f"map dtype {array.dtype}: give float32/float64 or 16-bit integer values"
        )
    if padding_value is not None:
        raise ParametricMapError(
            "padding_value is the Float Pixel Padding Value of float maps (C.7.6.24.1); an "
            "integer map has none"
        )
    low, high = (int(v) for v in min_max(array))
    if kind == "b" or array.dtype.itemsize < 2 or array.dtype in (np.int16, np.uint16):
        target = np.dtype("<i2") if kind == "i" else np.dtype("<u2")
    elif low >= -(1 << 15) and high < (1 << 15):
        target = np.dtype("<i2")
    elif low >= 0 and high < (1 << 16):
        target = np.dtype("<u2")
    else:
        raise ParametricMapError(
            f"integer map values {low}…{high} do not fit 16 bits; Parametric Map Pixel Data "
            "has Bits Allocated 16 (C.8.32.2): scale them with a real world value mapping, or "
            "give float values"
        )
    return MapValues(array.astype(target, copy=False), False, float(low), float(high))


#: Elements reduced per step by :func:`min_max`: about a megabyte, so the second reduction
#: finds the chunk in the cache.
CHUNK_ELEMENTS = 1 << 18


def min_max(array: np.ndarray) -> tuple[Any, Any]:
    """The minimum and maximum of ``array`` (NaN if it holds NaN) with one pass over memory
    instead of two: chunk by chunk, each reduced twice while it is in the cache — a map of
    hundreds of megabytes is read once."""
    if not array.flags.c_contiguous:
        return array.min(), array.max()
    flat = array.reshape(-1)
    lows, highs = [], []
    for start in range(0, flat.size, CHUNK_ELEMENTS):
        chunk = flat[start : start + CHUNK_ELEMENTS]
        lows.append(chunk.min())
        highs.append(chunk.max())
    return np.min(lows), np.max(highs)


def _float_range(array: np.ndarray, padding_value: float | None) -> tuple[float, float]:
    low, high = (float(v) for v in min_max(array))
    if math.isfinite(low) and math.isfinite(high):
        if padding_value is not None and math.isfinite(padding_value):
            inside = array[array != padding_value]
            if inside.size:
                return float(inside.min()), float(inside.max())
        return low, high
    bad = ~np.isfinite(array)
    if padding_value is not None:
        if math.isnan(padding_value):
            bad &= ~np.isnan(array)
        elif math.isinf(padding_value):
            bad &= array != padding_value
    if bad.any():
        plane, row, column = (int(i[0]) for i in np.nonzero(bad))
        value = float(array[plane, row, column])
        raise ParametricMapError(
            f"the map holds {value!r} at plane {plane}, row {row}, column {column}; NaN and "
            "infinity may appear only as the Float Pixel Padding Value (PS3.3 C.7.6.24.1): "
            f"pass padding_value=float({str(value)!r}) if they mark pixels without a value"
        )
    finite = array[np.isfinite(array)]
    if padding_value is not None and math.isfinite(padding_value):
        finite = finite[finite != padding_value]
    if finite.size == 0:
        raise ParametricMapError("every value of the map is padding: it has no value to store")
    return float(finite.min()), float(finite.max())

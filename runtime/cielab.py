"""Recommended Display CIELab Values (0062,000D), (0070,0401): three unsigned 16-bit PCS
values (PS3.3 C.10.7.1.1: L* 0…100 scaled to 0…0xFFFF, a* and b* −128…127 scaled to 0…0xFFFF,
so 0x8080 is 0; D50 white, as the ICC profile connection space).

Segments, annotation groups and graphic layers take them; people think in RGB. Three numbers
that fit 0…255 read as CIELab are all but black with the strongest green-blue there is — never
a colour anyone meant — and floats are truncated to 0 or 1: :func:`cielab_value` refuses both,
pointing at :func:`cielab_from_rgb`, which converts an sRGB colour (0…255, or 0…1 floats).
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral, Real
from typing import Any

# sRGB (D65) → CIE XYZ, then Bradford-adapted to D50, the PCS white (IEC 61966-2-1; ICC.1)
_RGB_TO_XYZ = (
    (0.4124564, 0.3575761, 0.1804375),
    (0.2126729, 0.7151522, 0.0721750),
    (0.0193339, 0.1191920, 0.9503041),
)
_D65_TO_D50 = (
    (1.0478112, 0.0228866, -0.0501270),
    (0.0295424, 0.9904844, -0.0170491),
    (-0.0092345, 0.0150436, 0.7521316),
)
_D50_WHITE = (0.96422, 1.0, 0.82521)


def _times(matrix: Sequence[Sequence[float]], v: Sequence[float]) -> list[float]:
    return [sum(m * x for m, x in zip(row, v, strict=True)) for row in matrix]


def cielab_from_rgb(rgb: Sequence[Any]) -> tuple[int, int, int]:
    """The Recommended Display CIELab Value of an sRGB colour: three ints 0…255, or three
    floats 0…1 (matplotlib's colours)."""
    if len(rgb) != 3:
        raise ValueError(f"an RGB colour has three components, got {list(rgb)}")
    scale = 1.0 if all(isinstance(c, float) for c in rgb) else 255.0
    channels = [float(c) / scale for c in rgb]
    if not all(0.0 <= c <= 1.0 for c in channels):
        raise ValueError(f"RGB components are 0…255 (or floats 0…1), got {list(rgb)}")
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    xyz = _times(_D65_TO_D50, _times(_RGB_TO_XYZ, linear))

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 216 / 24389 else (24389 / 27 * t + 16) / 116

    fx, fy, fz = (f(v / w) for v, w in zip(xyz, _D50_WHITE, strict=True))
    lab = (116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz))
    pcs = (lab[0] * 65535 / 100, (lab[1] + 128) * 65535 / 255, (lab[2] + 128) * 65535 / 255)
    return tuple(min(65535, max(0, round(v))) for v in pcs)  # type: ignore[return-value]


def cielab_value(value: Any, what: str) -> tuple[int, int, int]:
    """``value`` as a Recommended Display CIELab Value, or a ValueError naming ``what``: three
    integers 0…65535, not all of them ≤ 255 (an RGB colour by mistake)."""
    hint = "; for an RGB colour give iodkit.cielab.cielab_from_rgb((r, g, b))"
    if isinstance(value, str) or not isinstance(value, Sequence) or len(value) != 3:
        raise ValueError(f"{what}: three CIELab PCS values 0…65535 (PS3.3 C.10.7.1.1){hint}")
    if not all(isinstance(v, Integral) and not isinstance(v, bool) for v in value):
        kind = "floats" if all(isinstance(v, Real) for v in value) else "not integers"
        raise ValueError(
            f"{what}: {list(value)} are {kind}; CIELab PCS values are integers 0…65535 "
            f"(PS3.3 C.10.7.1.1){hint}"
        )
    ints = tuple(int(v) for v in value)
    if not all(0 <= v <= 65535 for v in ints):
        raise ValueError(f"{what}: {list(ints)}: CIELab PCS values are 0…65535{hint}")
    if all(v <= 255 for v in ints):
        raise ValueError(
            f"{what}: {list(ints)} reads as CIELab L* ≤ 0.4 with a*, b* ≈ -128 (black with the "
            f"strongest blue-green), which looks like RGB 0…255{hint}"
        )
    return ints  # type: ignore[return-value]


__all__ = ["cielab_from_rgb", "cielab_value"]

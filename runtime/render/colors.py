"""Colours for pictures: DICOM's CIELab display values turned into sRGB, and a default palette.

Segments (Table C.8.20-4), annotation groups (Table C.37.1-2) and graphic layers (Table C.10-7)
may carry a Recommended Display CIELab Value (0062,000D): three unsigned 16-bit PCS values
(PS3.3 C.10.7.1.1: L* 0…100 scaled to 0…0xFFFF, a* and b* −128…127 scaled to 0…0xFFFF, so
0x8080 is 0). 8-bit Lab is the same scale over 0…255, which is what LittleCMS (through Pillow's
:mod:`PIL.ImageCms`) converts to sRGB — the conversion is Pillow's, not ours.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

#: Distinct colours for things that recommend none (Tableau 10, readable on grey images).
PALETTE: tuple[tuple[int, int, int], ...] = (
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (188, 189, 34),
    (23, 190, 207),
    (127, 127, 127),
)


@lru_cache(maxsize=1)
def _lab_to_srgb() -> Any:
    from PIL import ImageCms

    return ImageCms.buildTransform(
        ImageCms.createProfile("LAB"), ImageCms.createProfile("sRGB"), "LAB", "RGB"
    )


def cielab_to_rgb(pcs: Sequence[int]) -> tuple[int, int, int]:
    """sRGB of a Recommended Display CIELab Value (three 16-bit PCS values)."""
    from PIL import Image, ImageCms

    if len(pcs) != 3:
        raise ValueError(f"a CIELab value has three components, got {list(pcs)}")
    lab = Image.new("LAB", (1, 1), tuple(int(round(int(v) / 257)) for v in pcs))
    rgb = ImageCms.applyTransform(lab, _lab_to_srgb())
    assert rgb is not None
    r, g, b = rgb.getpixel((0, 0))  # type: ignore[misc]
    return int(r), int(g), int(b)


def color_of(item: Any, index: int) -> tuple[int, int, int]:
    """The recommended colour of a segment, group or layer item (a Dataset or anything with
    ``get``), else entry ``index`` of :data:`PALETTE`."""
    value = item.get("RecommendedDisplayCIELabValue") if item is not None else None
    if value is not None and len(value) == 3:
        return cielab_to_rgb([int(v) for v in value])
    return PALETTE[index % len(PALETTE)]


def grey_to_rgb(level: int) -> tuple[int, int, int]:
    """A Recommended Display Grayscale Value (0…0xFFFF P-value) as an sRGB grey."""
    v = int(round(int(level) * 255 / 0xFFFF))
    return v, v, v

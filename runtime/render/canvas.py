"""Drawing on pictures with Pillow: filled and outlined masks, captions, a legend, mosaics.

Everything that draws is Pillow's (:mod:`PIL.Image`, :mod:`PIL.ImageDraw`,
:mod:`PIL.ImageFilter`); this module only decides what goes where. Masks are blended into
the picture inside the mask and outlined by the mask's own border pixels (the mask minus its
3×3 erosion), so a segment's colour never lands outside the segment.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

Colour = tuple[int, int, int]

MARGIN = 6


def require_pillow() -> Any:
    """Pillow, or an error that says how to get it."""
    try:
        import PIL.Image
    except ImportError as exc:  # pragma: no cover - Pillow is in the test extra
        raise ImportError(
            "pictures need Pillow: pip install 'iodkit[render]' (or pip install Pillow)"
        ) from exc
    return PIL.Image


@lru_cache(maxsize=8)
def font(size: int = 14) -> Any:
    """Pillow's built-in scalable font (Pillow ≥ 10.1 with FreeType), else its bitmap font."""
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):  # pragma: no cover - Pillow without FreeType
        return ImageFont.load_default()


def picture(rgb: np.ndarray) -> Any:
    """An (rows, columns, 3) uint8 array as a Pillow RGB image."""
    image_module = require_pillow()
    return image_module.fromarray(np.ascontiguousarray(rgb, dtype=np.uint8), "RGB")


def overlay_mask(base: Any, mask: np.ndarray, colour: Colour, alpha: float = 0.4) -> Any:
    """``base`` with ``colour`` blended in where ``mask`` is set (``alpha`` of the colour) and
    the mask's border pixels drawn in the full colour."""
    from PIL import Image, ImageChops, ImageFilter

    inside = Image.fromarray(np.where(mask, 255, 0).astype(np.uint8), "L")
    flat = Image.new("RGB", base.size, colour)
    blended = Image.blend(base, flat, alpha)
    out = Image.composite(blended, base, inside)
    border = ImageChops.subtract(inside, inside.filter(ImageFilter.MinFilter(3)))
    out.paste(flat, (0, 0), border)
    return out


def enlarge(image: Any, scale: int) -> Any:
    """Each pixel as a ``scale`` × ``scale`` block (nearest neighbour: no invented values)."""
    from PIL import Image

    if scale <= 1:
        return image
    return image.resize((image.width * scale, image.height * scale), Image.Resampling.NEAREST)


def auto_scale(rows: int, columns: int, target: int = 512) -> int:
    """The integer enlargement that brings the longer side near ``target`` pixels."""
    return max(1, target // max(rows, columns, 1))


def captioned(image: Any, caption: str) -> Any:
    """``image`` with a line of text above it."""
    from PIL import Image, ImageDraw

    face = font(13)
    height = _line_height(face) + 2 * MARGIN // 2
    out = Image.new("RGB", (image.width, image.height + height), (0, 0, 0))
    out.paste(image, (0, height))
    ImageDraw.Draw(out).text((MARGIN // 2, MARGIN // 2), caption, fill=(255, 255, 255), font=face)
    return out


def with_legend(image: Any, entries: Sequence[tuple[str, Colour]], title: str = "") -> Any:
    """``image`` above a strip with ``title`` and one colour swatch and label per entry."""
    from PIL import Image, ImageDraw

    face = font(14)
    line = _line_height(face) + 4
    lines: list[list[tuple[str, Colour]]] = [[]]
    width_used = MARGIN
    draw_probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    for label, colour in entries:
        item_width = line + 4 + int(draw_probe.textlength(label, font=face)) + 2 * MARGIN
        if lines[-1] and width_used + item_width > max(image.width, 200):
            lines.append([])
            width_used = MARGIN
        lines[-1].append((label, colour))
        width_used += item_width
    rows = (1 if title else 0) + (len(lines) if entries else 0)
    height = rows * line + 2 * MARGIN
    out = Image.new("RGB", (max(image.width, 200), image.height + height), (24, 24, 24))
    out.paste(image, (0, 0))
    draw = ImageDraw.Draw(out)
    y = image.height + MARGIN
    if title:
        draw.text((MARGIN, y), title, fill=(255, 255, 255), font=face)
        y += line
    for row in lines if entries else []:
        x = MARGIN
        for label, colour in row:
            draw.rectangle((x, y + 2, x + line - 4, y + line - 2), fill=colour)
            x += line + 2
            draw.text((x, y), label, fill=(230, 230, 230), font=face)
            x += int(draw.textlength(label, font=face)) + 2 * MARGIN
        y += line
    return out


def mosaic(tiles: Sequence[Any], columns: int | None = None, gap: int = 2) -> Any:
    """Tiles of one size in a grid (rows filled left to right), ``gap`` pixels apart."""
    from PIL import Image

    if not tiles:
        raise ValueError("a mosaic needs at least one tile")
    columns = columns or math.ceil(math.sqrt(len(tiles)))
    rows = math.ceil(len(tiles) / columns)
    width, height = tiles[0].size
    out = Image.new(
        "RGB", (columns * width + (columns - 1) * gap, rows * height + (rows - 1) * gap)
    )
    for k, tile in enumerate(tiles):
        out.paste(tile, ((k % columns) * (width + gap), (k // columns) * (height + gap)))
    return out


def ellipse_points(
    points: list[tuple[float, float]], samples: int = 72
) -> list[tuple[float, float]]:
    """Points on the ellipse whose major axis ends at points 0, 1 and minor axis at 2, 3."""
    (x1, y1), (x2, y2), (x3, y3), (x4, y4) = points
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    ax, ay = (x2 - x1) / 2, (y2 - y1) / 2
    bx, by = (x4 - x3) / 2, (y4 - y3) / 2
    return [
        (cx + ax * math.cos(t) + bx * math.sin(t), cy + ay * math.cos(t) + by * math.sin(t))
        for t in np.linspace(0, 2 * math.pi, samples, endpoint=False)
    ]


def _line_height(face: Any) -> int:
    box = face.getbbox("Ag")
    return int(box[3] - box[1]) + 4

"""Bulk annotations over a region of their slide (PS3.3 A.87, C.37).

The region is read with :func:`iodkit.wsi.read_slide` (only the tiles it touches); the groups'
shapes are drawn over it with Pillow, each group in its Recommended Display CIELab colour (else
a palette colour): points as small crosses, polylines as lines, polygons, rectangles and
ellipses as outlines. 2D coordinates are pixels of the total pixel matrix (or of the referenced
frame, placed where that frame lies); 3D coordinates (mm) are mapped to pixels through the
slide's affine (Total Pixel Matrix Origin, Image Orientation (Slide), Pixel Spacing;
C.8.12.4.1.4). Only annotations whose bounding box meets the region are drawn.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
from iodkit.render import canvas
from iodkit.render.colors import PALETTE, cielab_to_rgb
from iodkit.render.images import RenderError, not_among
from pydicom.dataset import Dataset

MAX_SIDE = 2048  # pixels of the picture's longer side, at most


def render_annotations(
    annotations: str | os.PathLike[str] | Dataset,
    images: Sequence[Dataset],
    *,
    region: tuple[int, int, int, int] | None = None,
    groups: Sequence[int | str] | None = None,
    scale: float | None = None,
    legend: bool = True,
) -> Any:
    """A Pillow image of annotation groups (all, or those named by number or label) over
    ``region`` = (column, row, width, height) of the slide's total pixel matrix (0-based;
    default: the drawn annotations' bounding box with a margin)."""
    from iodkit.ann import read_annotations

    with read_annotations(annotations) as ann:
        slide = _slide(ann, images)
        chosen = _groups(ann, groups)
        shapes = [(g, _pixel_coordinates(ann, g, slide), g.offsets) for g in chosen]
        label = ann.content_label or "ANN"
    total = _matrix_size(slide)
    box = _region(region, shapes, total)
    column, row, width, height = box
    factor = scale or min(max(1.0, 512 / max(width, height)), MAX_SIDE / max(width, height))
    picture = canvas.picture(slide_region(slide, box))
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    from PIL import Image, ImageDraw

    resample = Image.Resampling.NEAREST if factor >= 1 else Image.Resampling.BOX
    picture = picture.resize(size, resample)
    draw = ImageDraw.Draw(picture)
    entries = []
    for k, (group, points, offsets) in enumerate(shapes):
        colour = cielab_to_rgb(group.display_color) if group.display_color else PALETTE[k % 10]
        entries.append((f"{group.number} {group.label} ({group.graphic_type})", colour))
        xy = (points[:, :2] - (column, row)) * factor
        line = max(1, round(factor))
        for i in _visible(points, offsets, box):
            _draw(draw, group.graphic_type, xy[offsets[i] : offsets[i + 1]], colour, line)
    if legend:
        title = f"{label}: region {column},{row} {width}x{height} of {total[0]}x{total[1]}"
        picture = canvas.with_legend(picture, entries, title)
    return picture


def _slide(ann: Any, images: Sequence[Dataset]) -> Dataset:
    wanted = {r.sop_instance_uid for r in ann.referenced_images}
    for ds in images:
        if str(ds.get("SOPInstanceUID", "")) in wanted:
            return ds
    if ann.coordinate_type == "3D":
        for ds in images:
            if (
                ann.frame_of_reference_uid
                and ds.get("FrameOfReferenceUID") == ann.frame_of_reference_uid
            ):
                return ds
    raise not_among(images, "is the slide the annotations are on", "the slide")


def _groups(ann: Any, keys: Sequence[int | str] | None) -> list[Any]:
    if keys is None:
        return list(ann.groups)
    out = []
    for key in keys:
        found = [g for g in ann.groups if g.number == key or g.label == key]
        if not found:
            names = ", ".join(f"{g.number} {g.label!r}" for g in ann.groups)
            raise RenderError(f"no annotation group {key!r} (groups: {names})")
        out.extend(found)
    return out


def _matrix_size(slide: Dataset) -> tuple[int, int]:
    if "TotalPixelMatrixColumns" in slide:
        return int(slide.TotalPixelMatrixColumns), int(slide.TotalPixelMatrixRows)
    return int(slide.Columns), int(slide.Rows)


def _pixel_coordinates(ann: Any, group: Any, slide: Dataset) -> np.ndarray:
    """The group's points as (column, row) of the total pixel matrix (continuous, 0 at the
    top left corner of the top left pixel)."""
    points = group.coordinates.astype(np.float64)
    if ann.coordinate_type == "2D":
        if ann.pixel_origin_interpretation == "FRAME" and ann.referenced_images:
            from iodkit.derived.frametable import build_frame_table

            frame = (ann.referenced_images[0].frame_numbers or (1,))[0] - 1
            table = build_frame_table(slide)
            if table.tile_rows is not None and table.tile_columns is not None:
                points = points + (table.tile_columns[frame] - 1, table.tile_rows[frame] - 1)
        return points
    from iodkit.wsi import read_slide

    try:
        with read_slide(slide) as reader:
            affine = reader.affine  # (slice, row, column) indices → slide X, Y, Z in mm
    except ValueError as exc:
        raise RenderError(f"the slide cannot place 3D coordinates: {exc}") from None
    row_column = np.linalg.solve(affine[:2, 1:3], (points[:, :2] - affine[:2, 3]).T).T
    return row_column[:, ::-1] + 0.5  # pixel centres are at .5


def _region(
    region: tuple[int, int, int, int] | None,
    shapes: list[tuple[Any, np.ndarray, np.ndarray]],
    total: tuple[int, int],
) -> tuple[int, int, int, int]:
    if region is not None:
        column, row, width, height = (int(v) for v in region)
        if width <= 0 or height <= 0 or column < 0 or row < 0:
            raise RenderError(f"region {region} is not (column, row, width, height) on the slide")
        return column, row, width, height
    every = [p for _, p, _ in shapes if len(p)]
    if not every:
        return 0, 0, total[0], total[1]
    points = np.concatenate(every)[:, :2]
    low, high = points.min(axis=0), points.max(axis=0)
    margin = max(4.0, 0.05 * float(max(high - low)))
    left, top = (max(0, math.floor(v - margin)) for v in low)
    right, bottom = (min(t, math.ceil(v + margin)) for v, t in zip(high, total, strict=True))
    return int(left), int(top), max(1, int(right - left)), max(1, int(bottom - top))


def _visible(points: np.ndarray, offsets: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    starts = offsets[:-1]
    x, y = points[:, 0], points[:, 1]
    left, right = np.minimum.reduceat(x, starts), np.maximum.reduceat(x, starts)
    top, bottom = np.minimum.reduceat(y, starts), np.maximum.reduceat(y, starts)
    column, row, width, height = box
    meets = (right >= column) & (left <= column + width) & (bottom >= row) & (top <= row + height)
    return np.flatnonzero(meets)


def _draw(draw: Any, kind: str, xy: np.ndarray, colour: tuple[int, int, int], width: int) -> None:
    points = [(float(x), float(y)) for x, y in xy]
    if kind == "POINT":
        x, y = points[0]
        arm = 2 + width
        draw.line((x - arm, y, x + arm, y), fill=colour, width=width)
        draw.line((x, y - arm, x, y + arm), fill=colour, width=width)
    elif kind == "POLYLINE":
        draw.line(points, fill=colour, width=width)
    elif kind == "ELLIPSE":
        draw.polygon(canvas.ellipse_points(points), outline=colour, width=width)
    else:  # POLYGON, RECTANGLE: closed implicitly
        draw.polygon(points, outline=colour, width=width)


def slide_region(slide: Dataset, box: tuple[int, int, int, int]) -> np.ndarray:
    """(height, width, 3) uint8 of ``box`` = (column, row, width, height) of a slide's total
    pixel matrix, read by :func:`iodkit.wsi.read_slide` (only the tiles the box touches);
    black outside the matrix. An image that is not tiled is shown whole, through its window."""
    column, row, width, height = box
    out = np.zeros((height, width, 3), dtype=np.uint8)
    total_columns, total_rows = _matrix_size(slide)
    right, bottom = min(column + width, total_columns), min(row + height, total_rows)
    if right <= column or bottom <= row:
        return out
    if "TotalPixelMatrixColumns" not in slide:
        from iodkit.render.images import display_rgb

        out[: bottom - row, : right - column] = display_rgb(slide)[row:bottom, column:right]
        return out
    from iodkit.wsi import read_slide

    with read_slide(slide) as reader:
        pixels = reader.get_region(row, bottom, column, right, as_indices=True)
    if pixels.ndim == 2:
        pixels = pixels[..., None]
    if pixels.dtype != np.uint8:  # deeper grey: its own range onto 0…255
        top = float(pixels.max()) or 1.0
        pixels = np.rint(pixels.astype(np.float64) / top * 255).astype(np.uint8)
    out[: bottom - row, : right - column] = pixels[..., :3] if pixels.shape[2] >= 3 else pixels
    return out

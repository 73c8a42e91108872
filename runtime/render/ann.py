"""Bulk annotations over a region of their slide (PS3.3 A.87, C.37).

The region is read from the slide's frames (tiles) that cover it; the groups' shapes are drawn
over it with Pillow, each group in its Recommended Display CIELab colour (else a palette
colour): points as small crosses, polylines as lines, polygons, rectangles and ellipses as
outlines. 2D coordinates are pixels of the total pixel matrix (or of the referenced frame,
placed where that frame lies); 3D coordinates (mm) are mapped to pixels through the slide's
Total Pixel Matrix Origin, Image Orientation (Slide) and Pixel Spacing (C.8.12.4.1.4). Only
annotations whose bounding box meets the region are drawn.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
from iodkit.render import canvas
from iodkit.render.colors import PALETTE, cielab_to_rgb
from iodkit.render.images import RenderError, stored_pixels
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
        for i in _visible(points, offsets, box):
            _draw(draw, group.graphic_type, xy[offsets[i] : offsets[i + 1]], colour)
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
    raise RenderError(
        f"none of the {len(images)} images given is the slide the annotations are on; pass it"
    )


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
            frames = ann.referenced_images[0].frame_numbers or (1,)
            top, left = frame_positions(slide)[frames[0] - 1]
            points = points + (left - 1, top - 1)
        return points
    origin, spacing, orientation = _slide_geometry(slide)
    # X, Y = origin + (c - ½)·Δc·row cosines + (r - ½)·Δr·column cosines  (pixel centres)
    matrix = np.column_stack([orientation[:2] * spacing[1], orientation[3:5] * spacing[0]])
    pixel = np.linalg.solve(matrix, (points[:, :2] - origin[:2]).T).T + 0.5
    return pixel


def _slide_geometry(slide: Dataset) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    try:
        item = slide.TotalPixelMatrixOriginSequence[0]
        origin = np.array(
            [float(item.XOffsetInSlideCoordinateSystem), float(item.YOffsetInSlideCoordinateSystem)]
        )
        shared = slide.SharedFunctionalGroupsSequence[0]
        spacing = np.asarray(shared.PixelMeasuresSequence[0].PixelSpacing, dtype=np.float64)
        orientation = np.asarray(slide.ImageOrientationSlide, dtype=np.float64)
    except (AttributeError, IndexError, KeyError) as exc:
        raise RenderError(f"the slide lacks the geometry to place 3D coordinates ({exc})") from None
    return origin, spacing, orientation


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


def _draw(draw: Any, kind: str, xy: np.ndarray, colour: tuple[int, int, int]) -> None:
    points = [(float(x), float(y)) for x, y in xy]
    if kind == "POINT":
        x, y = points[0]
        draw.line((x - 3, y, x + 3, y), fill=colour, width=1)
        draw.line((x, y - 3, x, y + 3), fill=colour, width=1)
    elif kind == "POLYLINE":
        draw.line(points, fill=colour, width=1)
    elif kind == "ELLIPSE":
        draw.polygon(canvas.ellipse_points(points), outline=colour)
    else:  # POLYGON, RECTANGLE: closed implicitly
        draw.polygon(points, outline=colour)


def frame_positions(slide: Dataset) -> list[tuple[int, int]]:
    """1-based (row, column) of each frame's top left pixel in the total pixel matrix: from
    Plane Position (Slide) per frame, or the TILED_FULL order (C.7.6.17.3)."""
    frames = int(slide.get("NumberOfFrames") or 1)
    per_frame = slide.get("PerFrameFunctionalGroupsSequence")
    if per_frame:
        out = []
        for item in per_frame:
            position = item.PlanePositionSlideSequence[0]
            out.append(
                (
                    int(position.RowPositionInTotalImagePixelMatrix),
                    int(position.ColumnPositionInTotalImagePixelMatrix),
                )
            )
        return out
    if "TotalPixelMatrixColumns" not in slide:
        return [(1, 1)] * frames
    from iodkit.derived.geometry import tile_grid

    rows, columns = tile_grid(
        int(slide.TotalPixelMatrixRows),
        int(slide.TotalPixelMatrixColumns),
        int(slide.Rows),
        int(slide.Columns),
    )
    tiles = len(rows)  # further focal planes / optical paths repeat the grid: the first is shown
    return [(int(rows[i % tiles]), int(columns[i % tiles])) for i in range(frames)]


def slide_region(slide: Dataset, box: tuple[int, int, int, int]) -> np.ndarray:
    """(height, width, 3) uint8 of ``box`` = (column, row, width, height) of a slide's total
    pixel matrix, from the frames that cover it (black where none does)."""
    from iodkit.render.images import display_rgb

    column, row, width, height = box
    out = np.zeros((height, width, 3), dtype=np.uint8)
    if "TotalPixelMatrixColumns" not in slide:
        image = display_rgb(slide)
        part = image[row : row + height, column : column + width]
        out[: part.shape[0], : part.shape[1]] = part
        return out
    tile_rows, tile_columns = int(slide.Rows), int(slide.Columns)
    done: set[tuple[int, int]] = set()
    for index, (top, left) in enumerate(frame_positions(slide)):
        top, left = top - 1, left - 1
        if (top, left) in done:
            continue
        if (
            top >= row + height
            or left >= column + width
            or top + tile_rows <= row
            or left + tile_columns <= column
        ):
            continue
        done.add((top, left))
        tile = (
            display_rgb(slide, index)
            if slide.get("PhotometricInterpretation", "").startswith("MONO")
            else _colour_frame(slide, index)
        )
        y0, x0 = max(row, top), max(column, left)
        y1, x1 = min(row + height, top + tile_rows), min(column + width, left + tile_columns)
        out[y0 - row : y1 - row, x0 - column : x1 - column] = tile[
            y0 - top : y1 - top, x0 - left : x1 - left
        ]
    return out


def _colour_frame(slide: Dataset, index: int) -> np.ndarray:
    arr = stored_pixels(slide, index)
    if arr.ndim == 2:
        arr = np.repeat(arr[..., None], 3, axis=-1)
    return np.asarray(arr[..., :3], dtype=np.uint8)

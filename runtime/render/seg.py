"""A Segmentation's segments over the images it segments (PS3.3 A.51, C.8.20).

The source images are matched to the Segmentation through its references (Derivation Image
functional groups, as :class:`iodkit.seg.SegmentationReader` reads them): a single-frame series
is ordered along its normal, a multi-frame image by frame. One plane — by default the one with
the most segmented pixels — or a mosaic of the planes that hold any segment. Each segment is
blended in its Recommended Display CIELab colour (else a palette colour) and outlined; a
FRACTIONAL segment is drawn where its value is at least one half.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from iodkit.render import canvas
from iodkit.render.colors import color_of
from iodkit.render.images import (
    RenderError,
    as_datasets,
    display_rgb,
    not_among,
    sort_planes,
)
from pydicom.dataset import Dataset


def render_segmentation(
    segmentation: str | os.PathLike[str] | Dataset,
    images: Iterable[Any],
    *,
    plane: int | None = None,
    mosaic: bool = False,
    segment_numbers: Sequence[int] | None = None,
    alpha: float = 0.4,
    scale: int | None = None,
    max_planes: int = 25,
    legend: bool = True,
    region: tuple[int, int, int, int] | None = None,
) -> Any:
    """A Pillow image of the segments over their source images.

    ``images``: Datasets, files or folders holding the source images (others are ignored).
    ``plane``: 0-based index of the plane in spatial order (single-frame series) or frame
    order (a multi-frame source); default the plane with the most segmented pixels.
    ``mosaic``: instead, up to ``max_planes`` planes that hold a segment, evenly chosen.
    ``scale``: integer enlargement (default: the longer side near 512 pixels, 256 per tile
    in a mosaic). A Segmentation of a slide is drawn over ``region`` = (column, row, width,
    height) of the total pixel matrix (0-based; default the whole matrix, read every
    ``n``-th pixel when it is larger than 2048 pixels).
    """
    from iodkit.seg import read_segmentation

    with read_segmentation(segmentation) as seg:
        numbers = list(segment_numbers) if segment_numbers is not None else seg.segment_numbers
        descriptions = {int(d.SegmentNumber): d for d in seg.segment_descriptions}
        missing = [n for n in numbers if n not in descriptions]
        if missing:
            raise RenderError(f"segment numbers {missing} are not in the Segment Sequence")
        label = str(seg.dataset.get("ContentLabel", "")) or "SEG"
        if seg.is_tiled:
            planes, masks, names = _slide_region(seg, as_datasets(images), numbers, region)
            mosaic, plane = False, 0
        else:
            planes, masks, names = _planes_and_masks(seg, as_datasets(images), numbers)
    colours = [color_of(descriptions[n], k) for k, n in enumerate(numbers)]
    binary = masks >= 0.5 if masks.dtype.kind == "f" else masks > 0
    counts = binary.reshape(len(planes), -1).sum(axis=1)
    if mosaic:
        chosen = [int(i) for i in np.flatnonzero(counts)] or [int(np.argmax(counts))]
        if len(chosen) > max_planes:
            picks = np.linspace(0, len(chosen) - 1, max_planes).round().astype(int)
            chosen = [chosen[i] for i in picks]
    else:
        index = int(np.argmax(counts)) if plane is None else int(plane)
        if not 0 <= index < len(planes):
            raise RenderError(f"plane {index} is outside the {len(planes)} planes (0-based)")
        chosen = [index]
    rows, columns = binary.shape[1:3]
    target = 256 if mosaic and len(chosen) > 1 else 512
    factor = scale or canvas.auto_scale(rows, columns, target)
    tiles = []
    for i in chosen:
        tile = canvas.picture(planes[i]())
        for k in range(len(numbers)):
            tile = canvas.overlay_mask(tile, binary[i, :, :, k], colours[k], alpha)
        tile = canvas.enlarge(tile, factor)
        tiles.append(canvas.captioned(tile, names[i]) if mosaic else tile)
    out = canvas.mosaic(tiles) if mosaic else tiles[0]
    if legend:
        title = f"{label}: " + (f"{len(chosen)} planes" if mosaic else names[chosen[0]])
        entries = [
            (f"{n} {descriptions[n].get('SegmentLabel', '')}".strip(), colours[k])
            for k, n in enumerate(numbers)
        ]
        out = canvas.with_legend(out, entries, title)
    return out


def _planes_and_masks(
    seg: Any, images: list[Dataset], numbers: list[int]
) -> tuple[list[Any], np.ndarray, list[str]]:
    """Per plane a function giving its picture, the (planes, rows, columns, segments) masks
    and a name for each plane."""
    referenced = {uid for _, _, uid in seg.get_source_image_uids()}
    sources = [ds for ds in images if str(ds.get("SOPInstanceUID", "")) in referenced]
    if not sources:
        raise not_among(
            images, "is a source of the Segmentation", "its source images", len(referenced)
        )
    multiframe = [ds for ds in sources if int(ds.get("NumberOfFrames") or 1) > 1]
    if multiframe:
        source = multiframe[0]
        frames = int(source.NumberOfFrames)
        masks = seg.get_pixels_by_source_frame(
            source.SOPInstanceUID, list(range(1, frames + 1)), segment_numbers=numbers
        )
        pictures = [(lambda f=f: display_rgb(source, f)) for f in range(frames)]
        names = [f"frame {f + 1}/{frames}" for f in range(frames)]
        return pictures, masks, names
    ordered = sort_planes(sources)
    masks = seg.get_pixels_by_source_instance(
        [ds.SOPInstanceUID for ds in ordered], segment_numbers=numbers
    )
    pictures = [(lambda ds=ds: display_rgb(ds)) for ds in ordered]
    names = [f"plane {k + 1}/{len(ordered)}" + _where(ds) for k, ds in enumerate(ordered)]
    return pictures, masks, names


def _slide_region(
    seg: Any, images: list[Dataset], numbers: list[int], region: tuple[int, int, int, int] | None
) -> tuple[list[Any], np.ndarray, list[str]]:
    """The slide's region as one plane and the segments' masks over it."""
    from iodkit.render.ann import slide_region

    referenced = {uid for _, _, uid in seg.get_source_image_uids()}
    slides = [ds for ds in images if str(ds.get("SOPInstanceUID", "")) in referenced]
    if not slides:
        raise not_among(images, "is the slide the Segmentation was made on", "the slide")
    rows = int(seg.dataset.TotalPixelMatrixRows)
    columns = int(seg.dataset.TotalPixelMatrixColumns)
    column, row, width, height = region or (0, 0, columns, rows)
    right, bottom = min(columns, column + width), min(rows, row + height)
    if column < 0 or row < 0 or right <= column or bottom <= row:
        raise RenderError(f"region {region} is not on the {columns}x{rows} total pixel matrix")
    step = max(1, -(-max(right - column, bottom - row) // 2048))
    masks = seg.get_total_pixel_matrix(
        row, bottom, column, right, segment_numbers=numbers, as_indices=True
    )[::step, ::step]
    picture = slide_region(slides[0], (column, row, right - column, bottom - row))[::step, ::step]
    name = f"region {column},{row} {right - column}x{bottom - row}" + (
        f", every {step}th pixel" if step > 1 else ""
    )
    return [lambda: picture], masks[None], [name]


def _where(ds: Dataset) -> str:
    position = ds.get("ImagePositionPatient")
    if position is None or len(position) != 3:
        return ""
    return f" (z {float(position[2]):.1f} mm)"

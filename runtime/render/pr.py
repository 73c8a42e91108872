"""A presentation state applied to its image (PS3.4 N.2; PS3.3 C.10.4–C.10.7, C.11).

The picture is what a conforming display would show: the grey steps of the state (its
Modality LUT or rescale, the VOI window or LUT for this image, its presentation LUT; absent
steps are identities, N.2.1) or, for a Color state, the image through the state's ICC profile
to sRGB (Pillow's LittleCMS through pydicom), or for a Pseudo-Color state the VOI output through
its palette; then the displayed area (pixels outside the image are black), rotation and flip;
then the graphic annotations that apply to this image, layer by layer in layer order, in the
layer's recommended colour (CIELab, else its grey value, else a palette colour). PIXEL and
MATRIX coordinates follow the image through crop, scale, rotation and flip; DISPLAY
coordinates are fractions of the displayed area after them (C.10.6). INTERPOLATED graphics are
drawn through their points with straight segments (the standard leaves the curve to the
implementation).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from iodkit.render import canvas
from iodkit.render.colors import PALETTE, cielab_to_rgb, grey_to_rgb
from iodkit.render.images import (
    GreySteps,
    RenderError,
    grey_pipeline,
    not_among,
    stored_pixels,
)
from pydicom.dataset import Dataset


def render_presentation_state(
    state: Dataset,
    images: Sequence[Dataset],
    *,
    image: str | None = None,
    frame: int | None = None,
    scale: int | None = None,
    legend: bool = True,
) -> Any:
    """A Pillow image of ``state`` applied to one of its images (``image``: a SOP Instance
    UID; default the first image given that the state annotates, else the first it
    references; ``frame`` 0-based)."""
    from iodkit.pr.reader import read_presentation_state

    reader = read_presentation_state(state)
    referenced = {r.sop_instance_uid for r in reader.references}
    candidates = [ds for ds in images if str(ds.get("SOPInstanceUID", "")) in referenced]
    if image is not None:
        candidates = [ds for ds in candidates if str(ds.SOPInstanceUID) == image]
    if not candidates:
        raise not_among(
            images, "is referenced by the presentation state", "its images", len(referenced)
        )
    annotated = [c for c in candidates if reader.annotations_for(str(c.SOPInstanceUID))]
    ds = (annotated or candidates)[0]  # by default an image the state draws on
    uid = str(ds.SOPInstanceUID)
    frames = int(ds.get("NumberOfFrames") or 1)
    index = int(frame or 0)
    number = index + 1 if frames > 1 else None
    rgb = _pixels(reader, ds, index, number)
    area = reader.displayed_area_for(uid, number)
    first_column, first_row, last_column, last_row = (
        area.box if area is not None else (1, 1, int(ds.Columns), int(ds.Rows))
    )
    box = (first_column - 1, first_row - 1, last_column, last_row)  # pixel corners, 0-based
    picture = canvas.picture(rgb).crop(box)
    ratio = area.aspect_ratio if area is not None and area.aspect_ratio else (1, 1)
    if area is not None and area.pixel_spacing:
        ratio = (area.pixel_spacing[0], area.pixel_spacing[1])  # type: ignore[assignment]
    factor = scale or canvas.auto_scale(picture.height, picture.width)
    stretch = float(ratio[0]) / float(ratio[1])  # vertical / horizontal pixel size
    size = (picture.width * factor, max(1, round(picture.height * factor * stretch)))
    from PIL import Image, ImageDraw

    picture = picture.resize(size, Image.Resampling.NEAREST)
    geometry = _Geometry(
        box, factor, factor * stretch, reader.rotation, reader.horizontal_flip, size
    )
    picture = geometry.transpose(picture)
    draw = ImageDraw.Draw(picture)
    layers = {layer.name: k for k, layer in enumerate(reader.layers)}
    entries: dict[str, tuple[int, int, int]] = {}
    width = max(1, factor // 2)
    for annotation in reader.annotations_for(uid, number):
        layer = reader.layer(annotation.layer)
        colour = _layer_colour(layer, layers.get(annotation.layer, 0))
        entries[annotation.layer] = colour
        for graphic in annotation.graphic_objects:
            points = [geometry.map(p, graphic.units, picture.size) for p in graphic.points]
            _draw_graphic(draw, graphic.graphic_type, points, colour, width, bool(graphic.filled))
        for text in annotation.text_objects:
            _draw_text(draw, text, geometry, picture.size, colour, width)
    if legend:
        title = f"{reader.kind} presentation state {reader.content_label!r} on {_which(ds, number)}"
        picture = canvas.with_legend(picture, list(entries.items()), title)
    return picture


def _pixels(reader: Any, ds: Dataset, index: int, number: int | None) -> np.ndarray:
    arr = stored_pixels(ds, index)
    state = reader.dataset
    if reader.kind == "color":
        from pydicom.pixels.processing import apply_icc_profile

        if arr.ndim != 3:
            raise RenderError("a Color Softcopy Presentation State applies to colour images")
        rgb = (
            arr
            if arr.dtype == np.uint8
            else (arr >> max(0, int(ds.BitsStored) - 8)).astype(np.uint8)
        )
        if reader.icc_profile:
            rgb = apply_icc_profile(np.ascontiguousarray(rgb), state)
        return np.asarray(rgb, dtype=np.uint8)
    voi = reader.voi_for(str(ds.SOPInstanceUID), number)
    voi_item = None
    if voi is not None:
        voi_item = state.SoftcopyVOILUTSequence[reader.voi.index(voi)]
    pseudo = reader.kind == "pseudo-color"
    steps = GreySteps(state, voi_item, None if pseudo else state, own_range=False)
    grey = grey_pipeline(arr, ds, steps)
    if not pseudo:
        return np.repeat(grey[..., None], 3, axis=-1)
    palette = reader.palette
    assert palette is not None
    index_map = np.rint(grey.astype(np.float64) / 255 * (len(palette) - 1)).astype(np.int64)
    colours = palette[index_map]
    if colours.dtype != np.uint8:
        colours = (colours >> 8).astype(np.uint8)
    return np.asarray(colours, dtype=np.uint8)


def _layer_colour(layer: Any, index: int) -> tuple[int, int, int]:
    if layer is not None and layer.cielab is not None:
        return cielab_to_rgb(layer.cielab)
    if layer is not None and layer.grayscale is not None:
        return grey_to_rgb(layer.grayscale)
    return PALETTE[(index + 1) % len(PALETTE)]


class _Geometry:
    """Image pixel coordinates → picture coordinates: crop, scale, rotate, flip (C.10.4/6)."""

    def __init__(
        self,
        box: tuple[int, int, int, int],
        sx: float,
        sy: float,
        rotation: int,
        flip: bool,
        size: tuple[int, int],
    ) -> None:
        self.box, self.sx, self.sy = box, sx, sy
        self.rotation, self.flip = rotation, flip
        self.width, self.height = size  # before rotation

    def transpose(self, picture: Any) -> Any:
        from PIL import Image

        turn = {
            90: Image.Transpose.ROTATE_270,  # Pillow turns counterclockwise
            180: Image.Transpose.ROTATE_180,
            270: Image.Transpose.ROTATE_90,
        }.get(self.rotation)
        if turn is not None:
            picture = picture.transpose(turn)
        if self.flip:
            picture = picture.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        return picture

    def map(self, point: Sequence[float], units: str, size: tuple[int, int]) -> tuple[float, float]:
        if units == "DISPLAY":  # fractions of the displayed area, after the transformation
            return point[0] * size[0], point[1] * size[1]
        x = (point[0] - self.box[0]) * self.sx
        y = (point[1] - self.box[1]) * self.sy
        w, h = self.width, self.height
        if self.rotation == 90:
            x, y = h - y, x
        elif self.rotation == 180:
            x, y = w - x, h - y
        elif self.rotation == 270:
            x, y = y, w - x
        if self.flip:
            x = size[0] - x
        return x, y


def _draw_graphic(
    draw: Any,
    kind: str,
    points: list[tuple[float, float]],
    colour: tuple[int, int, int],
    width: int,
    filled: bool,
) -> None:
    if kind == "POINT":
        x, y = points[0]
        arm = width + 2
        draw.line((x - arm, y, x + arm, y), fill=colour, width=width)
        draw.line((x, y - arm, x, y + arm), fill=colour, width=width)
    elif kind == "CIRCLE":
        (cx, cy), (px, py) = points
        r = math.hypot(px - cx, py - cy)
        draw.ellipse(
            (cx - r, cy - r, cx + r, cy + r),
            outline=colour,
            width=width,
            fill=colour if filled else None,
        )
    elif kind == "ELLIPSE":
        outline = canvas.ellipse_points(points)
        draw.polygon(outline, outline=colour, width=width, fill=colour if filled else None)
    elif filled and points[0] == points[-1]:
        draw.polygon(points, outline=colour, width=width, fill=colour)
    else:  # POLYLINE, INTERPOLATED
        draw.line(points, fill=colour, width=width, joint="curve")


def _draw_text(
    draw: Any,
    text: Any,
    geometry: _Geometry,
    size: tuple[int, int],
    colour: tuple[int, int, int],
    width: int,
) -> None:
    face = canvas.font(14)
    if text.bounding_box is not None:
        (x1, y1), (x2, y2) = (geometry.map(p, text.units, size) for p in text.bounding_box)
        left, top, right = min(x1, x2), min(y1, y2), max(x1, x2)
        position, anchor = {
            "LEFT": ((left, top), "la"),
            "CENTER": (((left + right) / 2, top), "ma"),
            "RIGHT": ((right, top), "ra"),
        }[text.justification]
        draw.text(position, text.text, fill=colour, font=face, anchor=anchor)
        return
    assert text.anchor is not None
    x, y = geometry.map(text.anchor, text.anchor_units or text.units, size)
    if text.anchor_visible:  # the text beside its anchor, a line between them
        draw.line((x, y, x + 12, y - 12), fill=colour, width=width)
        draw.text((x + 14, y - 14), text.text, fill=colour, font=face, anchor="ld")
    else:
        draw.text((x, y), text.text, fill=colour, font=face, anchor="la")


def _which(image: Any, frame_number: int | None) -> str:
    """The image a picture shows, as a person finds it in a viewer: its modality and
    Instance Number (and frame), the end of its SOP Instance UID only when it has none."""
    number = image.get("InstanceNumber")
    what = (
        f"{image.get('Modality') or 'image'} image {number}"
        if number not in (None, "")
        else (f"image …{str(image.SOPInstanceUID)[-12:]}")
    )
    return what + (f", frame {frame_number}" if frame_number is not None else "")

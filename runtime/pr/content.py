"""What a presentation state draws and where: references, layers, text and graphics.

The same frozen dataclasses are the writer's input and the reader's output, so a written
presentation state read back compares equal to what was given (coordinates are FL, float32:
they are held as float32 values from the start):

* :class:`ImageReference` — an image, and optionally some of its frames (Image SOP Instance
  Reference Macro, Table 10-3);
* :class:`GraphicLayer` — Graphic Layer Sequence item (C.10.7): name, order, recommended grey
  value (a P-value) and CIELab colour, description;
* :class:`TextObject` and :class:`GraphicObject` — Text/Graphic Object Sequence items
  (C.10.5): PIXEL (image), DISPLAY (fraction of the displayed area) or MATRIX (total pixel
  matrix) units; graphics POINT, POLYLINE, INTERPOLATED, CIRCLE, ELLIPSE;
* :class:`GraphicAnnotation` — one Graphic Annotation Sequence item: a layer, its objects and
  the images they apply to (all referenced images when ``images`` is ``None``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from iodkit.cielab import cielab_value
from iodkit.datavalues import (
    DamagedValueError,
    describe,
    float_of,
    floats_of,
    int_of,
    ints_of,
    items_of,
)
from iodkit.pr.errors import PresentationStateError
from pydicom.dataset import Dataset

Units = Literal["PIXEL", "DISPLAY", "MATRIX"]
GraphicType = Literal["POINT", "POLYLINE", "INTERPOLATED", "CIRCLE", "ELLIPSE"]
Justification = Literal["LEFT", "RIGHT", "CENTER"]
Point = tuple[float, float]

UNITS = ("PIXEL", "DISPLAY", "MATRIX")
GRAPHIC_TYPES = ("POINT", "POLYLINE", "INTERPOLATED", "CIRCLE", "ELLIPSE")
#: points a graphic type needs: exactly (POINT, CIRCLE, ELLIPSE) or at least (C.10.5.1.2)
_EXACT_POINTS = {"POINT": 1, "CIRCLE": 2, "ELLIPSE": 4}
_LEAST_POINTS = {"POLYLINE": 2, "INTERPOLATED": 2}


def _fl(value: float) -> float:
    """A value as FL (float32) stores it."""
    return float(np.float32(value))


def _point(value: Any, what: str) -> Point:
    try:
        x, y = (float(v) for v in value)
    except (TypeError, ValueError):
        raise PresentationStateError(
            f"{what} must be a (column, row) pair, got {value!r}"
        ) from None
    if not (np.isfinite(x) and np.isfinite(y)):
        raise PresentationStateError(f"{what} is not finite: {value!r}")
    return _fl(x), _fl(y)


def _stored_text(value: str, what: str) -> str:
    """Text as DICOM keeps it: trailing spaces are padding (PS3.5 6.2), so they are dropped
    here rather than lost on the way; nothing may be left for a Type 1 value."""
    text = str(value).rstrip(" ")
    if not text:
        raise PresentationStateError(f"the {what} is empty (or only spaces)")
    if len(text) > 1024:  # Unformatted Text Value (0070,0006) is ST (PS3.5 Table 6.2-1)
        raise PresentationStateError(
            f"the {what} {text[:20]!r}… is {len(text)} characters; a text object holds at most "
            "1024 (Unformatted Text Value is ST, C.10.5): split it into several text objects"
        )
    return text


def optional_text(value: str | None) -> str | None:
    """An optional text value as stored: trailing spaces dropped, nothing left is no value."""
    if value is None:
        return None
    return str(value).rstrip(" ") or None


@dataclass(frozen=True)
class ImageReference:
    """An image (and optionally frames, 1-based) a presentation state applies to."""

    sop_class_uid: str
    sop_instance_uid: str
    frames: tuple[int, ...] = ()

    @classmethod
    def of(cls, image: Dataset | ImageReference, frames: Sequence[int] = ()) -> ImageReference:
        if isinstance(image, ImageReference):
            return (
                image
                if not frames
                else cls(image.sop_class_uid, image.sop_instance_uid, tuple(frames))
            )
        return cls(str(image.SOPClassUID), str(image.SOPInstanceUID), tuple(int(f) for f in frames))

    def item(self) -> Any:
        """An Image SOP Instance Reference Macro item (Table 10-3)."""
        from iodkit.generated.modules.image_sop_instance_reference_macro import (
            ImageSOPInstanceReferenceMacro,
        )

        return ImageSOPInstanceReferenceMacro(
            referenced_sop_class_uid=self.sop_class_uid,
            referenced_sop_instance_uid=self.sop_instance_uid,
            referenced_frame_number=list(self.frames) or None,
        )

    @classmethod
    def from_item(cls, item: Dataset) -> ImageReference:
        numbers = tuple(ints_of(item, "ReferencedFrameNumber", default=()))
        return cls(str(item.ReferencedSOPClassUID), str(item.ReferencedSOPInstanceUID), numbers)

    def applies_to(self, sop_instance_uid: str, frame: int | None) -> bool:
        """Whether this reference covers ``frame`` (1-based; None: a single-frame image)."""
        if self.sop_instance_uid != sop_instance_uid:
            return False
        return not self.frames or frame is None or frame in self.frames


def references(
    images: Sequence[Dataset | ImageReference] | None,
) -> tuple[ImageReference, ...] | None:
    if images is None:
        return None
    return tuple(ImageReference.of(i) for i in images)


def applies(refs: Sequence[Any] | None, sop_instance_uid: str, frame: int | None) -> bool:
    return refs is None or any(r.applies_to(sop_instance_uid, frame) for r in refs)


@dataclass(frozen=True)
class GraphicLayer:
    """A Graphic Layer Sequence item (C.10.7). ``name`` is a CS (upper case, ≤ 16
    characters); ``order`` its drawing order (lower first; numbered in the order given when
    ``None``); ``grayscale`` a P-value 0…0xFFFF; ``cielab`` three 16-bit PCS values
    (:func:`iodkit.cielab.cielab_from_rgb` converts an RGB colour)."""

    name: str
    order: int | None = None
    description: str | None = None
    grayscale: int | None = None
    cielab: tuple[int, int, int] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "description", optional_text(self.description))
        if self.cielab is not None:
            try:
                cielab = cielab_value(self.cielab, f"layer {self.name!r}: cielab")
            except ValueError as exc:
                raise PresentationStateError(str(exc)) from None
            object.__setattr__(self, "cielab", cielab)

    def item(self, order: int) -> Any:
        from iodkit.generated.modules.graphic_layer_module import GraphicLayerSequenceItem

        values: dict[str, Any] = {"graphic_layer": self.name, "graphic_layer_order": order}
        if self.grayscale is not None:
            values["graphic_layer_recommended_display_grayscale_value"] = int(self.grayscale)
        if self.cielab is not None:
            values["graphic_layer_recommended_display_cie_lab_value"] = [
                int(v) for v in self.cielab
            ]
        if self.description is not None:
            values["graphic_layer_description"] = self.description
        return GraphicLayerSequenceItem(**values)

    @classmethod
    def from_item(cls, item: Dataset) -> GraphicLayer:
        cielab = ints_of(item, "GraphicLayerRecommendedDisplayCIELabValue", 3, None)
        return cls(
            str(item.GraphicLayer),
            int_of(item, "GraphicLayerOrder"),
            item.get("GraphicLayerDescription") or None,
            int_of(item, "GraphicLayerRecommendedDisplayGrayscaleValue", None),
            None if cielab is None else (cielab[0], cielab[1], cielab[2]),
        )


@dataclass(frozen=True)
class TextObject:
    """A Text Object Sequence item (C.10.5): text at an ``anchor`` point, in a
    ``bounding_box`` ((TLHC), (BRHC)), or both. ``units`` are the bounding box's and (unless
    ``anchor_units`` says otherwise) the anchor's."""

    text: str
    anchor: Point | None = None
    bounding_box: tuple[Point, Point] | None = None
    units: Units = "PIXEL"
    anchor_units: Units | None = None
    anchor_visible: bool = False
    justification: Justification = "LEFT"

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", _stored_text(self.text, "text"))
        if self.anchor is None and self.bounding_box is None:
            raise PresentationStateError(
                f"text {self.text!r}: give an anchor point, a bounding box or both (C.10.5)"
            )
        if self.anchor is not None:
            object.__setattr__(self, "anchor", _point(self.anchor, f"text {self.text!r} anchor"))
        if self.bounding_box is not None:
            tlhc, brhc = self.bounding_box
            box = (
                _point(tlhc, f"text {self.text!r} bounding box"),
                _point(brhc, f"text {self.text!r} bounding box"),
            )
            object.__setattr__(self, "bounding_box", box)
        for units in (self.units, self.anchor_units):
            if units is not None and units not in UNITS:
                raise PresentationStateError(f"text {self.text!r}: units {units!r} not in {UNITS}")
        if self.justification not in ("LEFT", "RIGHT", "CENTER"):
            raise PresentationStateError(
                f"text {self.text!r}: justification {self.justification!r} is not LEFT, RIGHT or "
                "CENTER"
            )

    @property
    def points(self) -> list[tuple[Point, Units]]:
        out: list[tuple[Point, Units]] = []
        if self.bounding_box is not None:
            out.extend((p, self.units) for p in self.bounding_box)
        if self.anchor is not None:
            out.append((self.anchor, self.anchor_units or self.units))
        return out

    def item(self) -> Any:
        from iodkit.generated.modules.graphic_annotation_module import TextObjectSequenceItem

        values: dict[str, Any] = {"unformatted_text_value": self.text}
        if self.bounding_box is not None:
            values["bounding_box_annotation_units"] = self.units
            values["bounding_box_top_left_hand_corner"] = list(self.bounding_box[0])
            values["bounding_box_bottom_right_hand_corner"] = list(self.bounding_box[1])
            values["bounding_box_text_horizontal_justification"] = self.justification
        if self.anchor is not None:
            values["anchor_point_annotation_units"] = self.anchor_units or self.units
            values["anchor_point"] = list(self.anchor)
            values["anchor_point_visibility"] = "Y" if self.anchor_visible else "N"
        return TextObjectSequenceItem(**values)

    @classmethod
    def from_item(cls, item: Dataset) -> TextObject:
        box = None
        if "BoundingBoxTopLeftHandCorner" in item:
            box = (
                tuple(floats_of(item, "BoundingBoxTopLeftHandCorner", 2)),
                tuple(floats_of(item, "BoundingBoxBottomRightHandCorner", 2)),
            )
        anchor = tuple(floats_of(item, "AnchorPoint", 2)) if "AnchorPoint" in item else None
        units = str(
            item.get("BoundingBoxAnnotationUnits") or item.get("AnchorPointAnnotationUnits")
        )
        anchor_units = item.get("AnchorPointAnnotationUnits")
        return cls(
            str(item.UnformattedTextValue),
            anchor,  # type: ignore[arg-type]
            box,  # type: ignore[arg-type]
            units,  # type: ignore[arg-type]
            None if anchor_units is None or anchor_units == units else str(anchor_units),  # type: ignore[arg-type]
            item.get("AnchorPointVisibility") == "Y",
            str(item.get("BoundingBoxTextHorizontalJustification") or "LEFT"),  # type: ignore[arg-type]
        )


@dataclass(frozen=True)
class GraphicObject:
    """A Graphic Object Sequence item (C.10.5.1.2): ``points`` as (column, row) pairs.
    POINT has one point, CIRCLE two (centre, a point on the circle), ELLIPSE four (major
    axis ends, minor axis ends), POLYLINE and INTERPOLATED two or more (closed when the last
    repeats the first). ``filled`` applies to closed graphics (Graphic Filled, 1C)."""

    graphic_type: GraphicType
    points: Sequence[Sequence[float]]  # held as a tuple of (float32-exact) pairs
    units: Units = "PIXEL"
    filled: bool | None = None

    def __post_init__(self) -> None:
        if self.graphic_type not in GRAPHIC_TYPES:
            raise PresentationStateError(
                f"graphic type {self.graphic_type!r} is not one of {', '.join(GRAPHIC_TYPES)}"
            )
        if self.units not in UNITS:
            raise PresentationStateError(f"graphic units {self.units!r} not in {UNITS}")
        array = np.asarray(self.points, dtype=np.float64)
        if array.ndim != 2 or array.shape[1] != 2:
            raise PresentationStateError(
                f"{self.graphic_type} points must be (column, row) pairs, got shape {array.shape}"
            )
        if not np.isfinite(array).all():
            raise PresentationStateError(f"{self.graphic_type} has a NaN or infinite coordinate")
        n = len(array)
        exact, least = _EXACT_POINTS.get(self.graphic_type), _LEAST_POINTS.get(self.graphic_type)
        if (exact is not None and n != exact) or (least is not None and n < least):
            need = f"exactly {exact}" if exact is not None else f"at least {least}"
            raise PresentationStateError(
                f"a {self.graphic_type} needs {need} points, got {n} (C.10.5.1.2)"
            )
        stored = array.astype(np.float32)
        object.__setattr__(self, "points", tuple((float(x), float(y)) for x, y in stored))
        if self.filled is not None and not self.closed:
            raise PresentationStateError(
                f"{self.graphic_type} is open: Graphic Filled applies to closed graphics "
                "(CIRCLE, ELLIPSE, or a polyline whose last point repeats its first)"
            )
        if self.closed and self.filled is None:
            object.__setattr__(self, "filled", False)  # Graphic Filled is Type 1C: N

    @property
    def closed(self) -> bool:
        return self.graphic_type in ("CIRCLE", "ELLIPSE") or (
            self.graphic_type in ("POLYLINE", "INTERPOLATED") and self.points[0] == self.points[-1]
        )

    def item(self) -> Any:
        from iodkit.generated.modules.graphic_annotation_module import GraphicObjectSequenceItem

        values: dict[str, Any] = {
            "graphic_annotation_units": self.units,
            "graphic_dimensions": 2,
            "number_of_graphic_points": len(self.points),
            "graphic_data": [v for p in self.points for v in p],
            "graphic_type": self.graphic_type,
        }
        if self.closed:
            values["graphic_filled"] = "Y" if self.filled else "N"
        return GraphicObjectSequenceItem(**values)

    @classmethod
    def from_item(cls, item: Dataset) -> GraphicObject:
        data = floats_of(item, "GraphicData")
        if len(data) % 2:
            raise DamagedValueError(
                f"{describe('GraphicData')} holds {len(data)} values, not (column, row) pairs"
            )
        points = tuple(zip(data[0::2], data[1::2], strict=True))
        graphic_type = str(item.GraphicType)
        filled = item.get("GraphicFilled")
        closed = graphic_type in ("CIRCLE", "ELLIPSE") or (
            len(points) > 1 and points[0] == points[-1]
        )
        return cls(
            graphic_type,  # type: ignore[arg-type]
            points,
            str(item.GraphicAnnotationUnits),  # type: ignore[arg-type]
            (filled == "Y") if closed else None,
        )


@dataclass(frozen=True)
class GraphicAnnotation:
    """A Graphic Annotation Sequence item (C.10.5): objects drawn on ``layer`` over
    ``images`` (None: every image the presentation state references)."""

    layer: str
    graphic_objects: Sequence[GraphicObject] = ()  # held as tuples
    text_objects: Sequence[TextObject] = ()
    images: Sequence[ImageReference | Dataset] | None = None  # held as ImageReferences

    def __post_init__(self) -> None:
        object.__setattr__(self, "graphic_objects", tuple(self.graphic_objects))
        object.__setattr__(self, "text_objects", tuple(self.text_objects))
        object.__setattr__(self, "images", references(self.images))  # type: ignore[arg-type]
        if not self.graphic_objects and not self.text_objects:
            raise PresentationStateError(
                f"graphic annotation on layer {self.layer!r} has neither graphic nor text "
                "objects (one is required, C.10.5)"
            )

    def item(self) -> Any:
        from iodkit.generated.modules.graphic_annotation_module import (
            GraphicAnnotationSequenceItem,
        )

        values: dict[str, Any] = {"graphic_layer": self.layer}
        if self.images is not None:
            values["referenced_image_sequence"] = [r.item() for r in self.images]
        if self.text_objects:
            values["text_object_sequence"] = [t.item() for t in self.text_objects]
        if self.graphic_objects:
            values["graphic_object_sequence"] = [g.item() for g in self.graphic_objects]
        return GraphicAnnotationSequenceItem(**values)

    @classmethod
    def from_item(cls, item: Dataset) -> GraphicAnnotation:
        images = items_of(item, "ReferencedImageSequence")
        return cls(
            str(item.GraphicLayer),
            tuple(GraphicObject.from_item(g) for g in items_of(item, "GraphicObjectSequence")),
            tuple(TextObject.from_item(t) for t in items_of(item, "TextObjectSequence")),
            None if not images else tuple(ImageReference.from_item(r) for r in images),
        )


@dataclass(frozen=True)
class DisplayedArea:
    """A Displayed Area Selection Sequence item (C.10.4): the area from ``tlhc`` to ``brhc``
    (1-based (column, row) pixels of the image before rotation, naming the pixels that end up
    top left and bottom right after it), and how to size it: SCALE TO FIT (default), TRUE
    SIZE (needs ``pixel_spacing``, row then column spacing in mm) or MAGNIFY (needs
    ``magnification``). ``aspect_ratio`` (vertical, horizontal) applies when no spacing is
    given (1:1 by default)."""

    tlhc: tuple[int, int]
    brhc: tuple[int, int]
    size_mode: Literal["SCALE TO FIT", "TRUE SIZE", "MAGNIFY"] = "SCALE TO FIT"
    pixel_spacing: tuple[float, float] | None = None
    aspect_ratio: tuple[int, int] | None = None
    magnification: float | None = None
    pixel_origin_interpretation: Literal["FRAME", "VOLUME"] | None = None
    images: Sequence[ImageReference | Dataset] | None = field(default=None)

    def __post_init__(self) -> None:
        object.__setattr__(self, "tlhc", tuple(int(v) for v in self.tlhc))
        object.__setattr__(self, "brhc", tuple(int(v) for v in self.brhc))
        object.__setattr__(self, "images", references(self.images))  # type: ignore[arg-type]
        if self.size_mode not in ("SCALE TO FIT", "TRUE SIZE", "MAGNIFY"):
            raise PresentationStateError(
                f"presentation size mode {self.size_mode!r} is not SCALE TO FIT, TRUE SIZE or "
                "MAGNIFY"
            )
        if self.size_mode == "TRUE SIZE" and self.pixel_spacing is None:
            raise PresentationStateError("TRUE SIZE needs pixel_spacing (C.10.4)")
        if self.size_mode == "MAGNIFY" and self.magnification is None:
            raise PresentationStateError("MAGNIFY needs a magnification ratio (C.10.4)")
        if self.pixel_spacing is None and self.aspect_ratio is None:
            object.__setattr__(self, "aspect_ratio", (1, 1))
        if self.tlhc == self.brhc:
            raise PresentationStateError(f"displayed area {self.tlhc}…{self.brhc} is empty")

    @property
    def box(self) -> tuple[int, int, int, int]:
        """(first column, first row, last column, last row), 1-based and inclusive."""
        (c1, r1), (c2, r2) = self.tlhc, self.brhc
        return min(c1, c2), min(r1, r2), max(c1, c2), max(r1, r2)

    def item(self) -> Any:
        from iodkit.generated.modules.displayed_area_module import (
            DisplayedAreaSelectionSequenceItem,
        )

        values: dict[str, Any] = {
            "displayed_area_top_left_hand_corner": list(self.tlhc),
            "displayed_area_bottom_right_hand_corner": list(self.brhc),
            "presentation_size_mode": self.size_mode,
        }
        if self.images is not None:
            values["referenced_image_sequence"] = [r.item() for r in self.images]
        if self.pixel_origin_interpretation is not None:
            values["pixel_origin_interpretation"] = self.pixel_origin_interpretation
        if self.pixel_spacing is not None:
            values["presentation_pixel_spacing"] = [float(v) for v in self.pixel_spacing]
        else:
            values["presentation_pixel_aspect_ratio"] = [
                int(v) for v in self.aspect_ratio or (1, 1)
            ]
        if self.magnification is not None:
            values["presentation_pixel_magnification_ratio"] = float(self.magnification)
        return DisplayedAreaSelectionSequenceItem(**values)

    @classmethod
    def from_item(cls, item: Dataset) -> DisplayedArea:
        images = items_of(item, "ReferencedImageSequence")
        spacing = floats_of(item, "PresentationPixelSpacing", 2, None)
        ratio = ints_of(item, "PresentationPixelAspectRatio", 2, None)
        return cls(
            tuple(ints_of(item, "DisplayedAreaTopLeftHandCorner", 2)),
            tuple(ints_of(item, "DisplayedAreaBottomRightHandCorner", 2)),
            str(item.PresentationSizeMode),  # type: ignore[arg-type]
            None if not spacing else (spacing[0], spacing[1]),
            None if not ratio else (ratio[0], ratio[1]),
            float_of(item, "PresentationPixelMagnificationRatio", None),
            item.get("PixelOriginInterpretation") or None,
            None if not images else tuple(ImageReference.from_item(r) for r in images),
        )

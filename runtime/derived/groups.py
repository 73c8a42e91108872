"""Per-Frame Functional Groups of a derived image, built once and stamped per frame.

A derived multi-frame image has one Per-Frame Functional Groups item per frame (PS3.3
C.7.6.16), all of one shape: Frame Content (Dimension Index Values, C.7.6.16.2.2), Plane
Position (Patient) or (Slide) (C.7.6.16.2.3), Derivation Image (C.7.6.16.2.6) and whatever the
object adds (a Segmentation's Segment Identification, …). :class:`PerFrameItems` collects the
first frame's values for the IOD's generated ``FunctionalGroups`` builder (which checks them)
and, per changing leaf, the encoded values of every frame; :meth:`PerFrameItems.encode` then
stamps the items with :class:`~iodkit.derived.itemcodec.ItemTemplate` (see there for why).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from iodkit.codes import Code
from iodkit.derived import geometry
from iodkit.derived.charset import cover_text
from iodkit.derived.frames import (
    COLUMN_POSITION,
    DIMENSION_INDEX_VALUES,
    FRAME_CONTENT,
    IMAGE_POSITION,
    PLANE_POSITION,
    PLANE_POSITION_SLIDE,
    ROW_POSITION,
    X_OFFSET,
    Y_OFFSET,
    Z_OFFSET,
    FramePlan,
)
from iodkit.derived.images import SourceImages
from iodkit.derived.itemcodec import (
    _BINARY,
    ItemTemplate,
    binary_values,
    element_value,
    leaves,
    raw_sequence_element,
    text_values,
)
from pydicom.dataelem import DataElement, RawDataElement, convert_raw_data_element
from pydicom.dataset import Dataset

DERIVATION_IMAGE = 0x00089124
SOURCE_IMAGE = 0x00082112
REFERENCED_SOP_CLASS = 0x00081150
REFERENCED_SOP_INSTANCE = 0x00081155
REFERENCED_FRAME_NUMBER = 0x00081160
PER_FRAME_FUNCTIONAL_GROUPS = 0x52009230
REFERENCED_INSTANCE_SEQUENCE = 0x0008114A

#: DCM 121322 "Source image for image processing operation" (CID 7202).
PURPOSE_SOURCE_IMAGE = Code("121322", "DCM", "Source image for image processing operation")


class PerFrameItems:
    """The Per-Frame Functional Groups items of the frames of ``plan``."""

    def __init__(self, plan: FramePlan) -> None:
        self.plan = plan
        #: The first frame's values, keyword arguments of the IOD's FunctionalGroups builder.
        self.first: dict[str, Any] = {}
        self.slots: list[tuple[int, ...]] = []
        self.columns: list[list[bytes]] = []

    def add(self, slot: tuple[int, ...], values: list[bytes]) -> None:
        """A leaf that changes from frame to frame: its tag path and each frame's value."""
        if len(values) != self.plan.number_of_frames:
            raise ValueError(f"{len(values)} values for {self.plan.number_of_frames} frames")
        self.slots.append(slot)
        self.columns.append(values)

    def frame_content(self, *, indexed: bool = True) -> None:
        """Frame Content: Dimension Index Values (and the Frame Label when it is indexed);
        without ``indexed`` (TILED_FULL: no Dimension Index, C.7.6.17.3) an empty item, for
        IODs whose Frame Content group is mandatory per frame anyway (Parametric Map)."""
        if not indexed:
            self.first["frame_content_sequence"] = [{}]
            return
        values = self.plan.index_values
        content: dict[str, Any] = {"dimension_index_values": [int(v) for v in values[0]]}
        if self.plan.frame_label is not None:
            content["frame_label"] = self.plan.frame_label
        self.first["frame_content_sequence"] = [content]
        self.add((FRAME_CONTENT, DIMENSION_INDEX_VALUES), binary_values(values, "UL"))

    def plane_positions(self, sources: SourceImages) -> None:
        """Plane Position (Patient) of plane cells, Plane Position (Slide) of tiles; nothing
        for an image without a frame of reference."""
        plan = self.plan
        cells = plan.cells
        if sources.kind in ("series", "multiframe"):
            strings = [sources.position_strings[cells[c].plane] for c in plan.frame_cells]
            self.first["plane_position_sequence"] = [{"image_position_patient": strings[0]}]
            self.add((PLANE_POSITION, IMAGE_POSITION), text_values(strings, vr="DS"))
        elif sources.kind == "tiled":
            assert sources.origin is not None and sources.orientation is not None
            assert sources.pixel_spacing is not None
            row_positions = np.array([cells[c].row + 1 for c in plan.frame_cells])
            column_positions = np.array([cells[c].column + 1 for c in plan.frame_cells])
            offsets = geometry.slide_offsets(
                [float(v) for v in sources.origin],
                [float(v) for v in sources.orientation],
                [float(v) for v in sources.pixel_spacing],
                row_positions,
                column_positions,
            )
            texts = [geometry.format_ds(offsets[:, axis]) for axis in range(3)]
            self.first["plane_position_slide_sequence"] = [
                {
                    "x_offset_in_slide_coordinate_system": texts[0][0],
                    "y_offset_in_slide_coordinate_system": texts[1][0],
                    "z_offset_in_slide_coordinate_system": texts[2][0],
                    "column_position_in_total_image_pixel_matrix": int(column_positions[0]),
                    "row_position_in_total_image_pixel_matrix": int(row_positions[0]),
                }
            ]
            for tag, values in ((X_OFFSET, texts[0]), (Y_OFFSET, texts[1]), (Z_OFFSET, texts[2])):
                self.add((PLANE_POSITION_SLIDE, tag), text_values(values, vr="DS"))
            self.add((PLANE_POSITION_SLIDE, COLUMN_POSITION), binary_values(column_positions, "SL"))
            self.add((PLANE_POSITION_SLIDE, ROW_POSITION), binary_values(row_positions, "SL"))

    def derivation(
        self,
        references: tuple[list[str], list[str], list[int] | None],
        derivation_code: Code,
        *,
        purpose: Code = PURPOSE_SOURCE_IMAGE,
        spatial_locations_preserved: str = "YES",
    ) -> None:
        """Derivation Image: how the frame was derived and its source frame (C.7.6.16.2.6),
        from :func:`~iodkit.derived.frames.frame_references`."""
        classes, instances, numbers = references
        source_item: dict[str, Any] = {
            "referenced_sop_class_uid": classes[0],
            "referenced_sop_instance_uid": instances[0],
            "spatial_locations_preserved": spatial_locations_preserved,
            "purpose_of_reference_code_sequence": [purpose],
        }
        self.add(
            (DERIVATION_IMAGE, SOURCE_IMAGE, REFERENCED_SOP_CLASS), text_values(classes, vr="UI")
        )
        self.add(
            (DERIVATION_IMAGE, SOURCE_IMAGE, REFERENCED_SOP_INSTANCE),
            text_values(instances, vr="UI"),
        )
        if numbers is not None:
            source_item["referenced_frame_number"] = [numbers[0]]
            self.add(
                (DERIVATION_IMAGE, SOURCE_IMAGE, REFERENCED_FRAME_NUMBER),
                text_values([str(v) for v in numbers], vr="IS"),
            )
        self.first["derivation_image_sequence"] = [
            {"derivation_code_sequence": [derivation_code], "source_image_sequence": [source_item]}
        ]

    def encode(self, item_class: type, ds: Dataset, *, implicit_vr: bool) -> RawDataElement:
        """The Per-Frame Functional Groups Sequence of instance ``ds`` as a raw element: the
        first item built with ``item_class`` (the IOD's ``FunctionalGroups``), every item
        stamped from it under ``ds``'s character set (made to cover the item's text first)."""
        template = item_class(**self.first).to_dataset(fill_type2=False)
        cover_text(ds, template)
        stamp = ItemTemplate(
            template, self.slots, implicit_vr=implicit_vr, encodings=ds.get("SpecificCharacterSet")
        )
        items = stamp.encode(self.columns, count=self.plan.number_of_frames)
        return raw_sequence_element(PER_FRAME_FUNCTIONAL_GROUPS, items, implicit_vr=implicit_vr)


def shared_derivation(
    sources: SourceImages,
    derivation_code: Code,
    *,
    purpose: Code = PURPOSE_SOURCE_IMAGE,
    spatial_locations_preserved: str = "YES",
) -> dict[str, Any]:
    """Derivation Image as a *Shared* Functional Group (C.7.6.16.2.6): every source instance,
    without frame numbers — for a derived image whose frames have no per-frame source frame
    to name. A TILED_FULL image has no Per-Frame Functional Groups at all (C.7.6.17.3), and
    tiles of another size than the source's match no source frame; yet the image must still
    say which image it was made from: A.51.5.1 ("The Derivation Image Functional Group may
    also be present, to specify on which images the segmentation was actually performed"),
    and a Parametric Map requires it "if the image or frame has been derived from another SOP
    Instance" (Table A.75-2). Slides of one specimen share a Frame of Reference, so nothing
    else identifies the source. Spatial Locations Preserved "YES": the derived image's total
    pixel matrix is its source's. Returned as keyword values for the shared item."""
    assert sources.instances is not None
    items = [
        {
            "referenced_sop_class_uid": r.sop_class_uid,
            "referenced_sop_instance_uid": r.sop_instance_uid,
            "spatial_locations_preserved": spatial_locations_preserved,
            "purpose_of_reference_code_sequence": [purpose],
        }
        for r in sources.instances.references
    ]
    return {
        "derivation_image_sequence": [
            {"derivation_code_sequence": [derivation_code], "source_image_sequence": items}
        ]
    }


def shared_item(item_class: type, values: dict[str, Any]) -> Dataset:
    """The Shared Functional Groups item. A functional group macro not used in the item must
    not appear at all, but the generated item class fills the Type 2 Derivation Image Sequence
    of its macro: keep the unused macros out (``fill_type2=False``) and hand the module a
    Dataset."""
    return item_class(**values).to_dataset(fill_type2=False)  # type: ignore[no-any-return]


def stamped_references(
    tag: int, first: Dataset, references: Sequence[Any], implicit: bool, charset: Any
) -> RawDataElement:
    """A sequence of SOP instance references, one per reference (anything with
    ``sop_class_uid`` and ``sop_instance_uid``, e.g. an
    :class:`~iodkit.derived.references.InstanceReference`), stamped from ``first`` (the
    builder-made item)."""
    template = ItemTemplate(
        first,
        [(REFERENCED_SOP_CLASS,), (REFERENCED_SOP_INSTANCE,)],
        implicit_vr=implicit,
        encodings=charset,
    )
    items = template.encode(
        [
            text_values([str(r.sop_class_uid) for r in references], vr="UI"),
            text_values([str(r.sop_instance_uid) for r in references], vr="UI"),
        ]
    )
    return raw_sequence_element(tag, items, implicit_vr=implicit)


def _flatten(
    cls: type, values: dict[str, Any], path: tuple[int, ...] = ()
) -> dict[tuple[int, ...], Any] | None:
    """Leaves of builder keyword ``values`` by tag path, through single-item sequences: plain
    values, or the elements of Dataset items; None for what cannot be stamped (several items)."""
    out: dict[tuple[int, ...], Any] = {}
    for name, value in values.items():
        attr = getattr(cls, name)
        here = (*path, attr.tag)
        if attr.vr != "SQ":
            out[here] = value
            continue
        items = list(value or [])
        if len(items) != 1:
            if items:
                return None
            out[here] = ()
            continue
        item = items[0]
        if isinstance(item, Dataset):
            for elem in item.elements():  # raw elements stay raw: their bytes are stamped
                if elem.VR in ("SQ", None) or (elem.VR == "UN" and elem.value is None):
                    return None
                out[(*here, int(elem.tag))] = elem
            continue
        if not isinstance(item, dict):  # a Code or a built item: constant, compared as is
            out[here] = item
            continue
        inner = _flatten(attr.item, item, here)
        if inner is None:
            return None
        out.update(inner)
    return out


def _encode(value: Any, vr: str, implicit: bool, encodings: Any) -> bytes:
    if isinstance(value, RawDataElement):  # a namedtuple: before the tuple case below
        if (
            value.is_little_endian
            and bool(value.is_implicit_VR) == implicit
            and isinstance(value.value, bytes)
        ):
            return value.value  # as read: already this encoding, even length
        value = convert_raw_data_element(value, encoding=encodings)
    if isinstance(value, DataElement):
        return element_value(value, implicit_vr=implicit, encodings=encodings)
    if vr in _BINARY:
        return binary_values(np.atleast_1d(np.asarray(value)), vr)[0]
    if isinstance(value, list | tuple):
        return text_values([[str(v) for v in value]], vr=vr)[0]
    return text_values([str(value)], vr=vr)[0]


def _encode_column(values: list[Any], vr: str, implicit: bool, encodings: Any) -> list[bytes]:
    """Every frame's value of one leaf encoded: plain strings (or lists of them) in one
    :func:`text_values` call, anything else value by value (:func:`_encode`)."""
    if vr not in _BINARY and all(
        type(v) is str or (type(v) is list and all(type(x) is str for x in v)) for v in values
    ):
        return text_values(values, vr=vr)
    return [_encode(v, vr, implicit, encodings) for v in values]


def stamp_values(
    item_class: type, frames: list[dict[str, Any]], ds: Dataset, *, implicit_vr: bool
) -> RawDataElement | None:
    """The Per-Frame Functional Groups Sequence of ``frames`` (each frame's keyword values for
    ``item_class``): the first item built and checked by the builder, the others stamped from
    it with the leaves that differ — plain text and binary values, or the elements of Dataset
    items (Unassigned Per-Frame Converted Attributes) — without building a Dataset per frame,
    under the character set of instance ``ds`` (made to cover the frames' text first). None
    when the frames are not of one shape (different leaves, several items)."""
    flat = [_flatten(item_class, values) for values in frames]
    first = flat[0]
    if first is None or any(f is None or f.keys() != first.keys() for f in flat):
        return None
    template = item_class(**frames[0]).to_dataset(fill_type2=False)
    elements = leaves(template)
    if elements is None:
        return None

    def same(a: Any, b: Any) -> bool:
        if hasattr(a, "value") and hasattr(b, "value"):
            return bool(a.VR == b.VR and a.value == b.value)
        return bool(a == b)

    varying = [p for p in first if any(not same(f[p], first[p]) for f in flat[1:])]  # type: ignore[index]
    if any(p not in elements or elements[p].VR == "SQ" for p in varying):
        return None
    texts = [str(f[p].value if hasattr(f[p], "value") else f[p]) for f in flat for p in varying]  # type: ignore[index]
    cover_text(ds, template, *(t for t in texts if not t.isascii()))
    encodings = ds.get("SpecificCharacterSet")
    stamp = ItemTemplate(template, varying, implicit_vr=implicit_vr, encodings=encodings)
    columns = [
        _encode_column([f[p] for f in flat], elements[p].VR, implicit_vr, encodings)  # type: ignore[index]
        for p in varying
    ]
    items = stamp.encode(columns, count=len(frames))
    return raw_sequence_element(PER_FRAME_FUNCTIONAL_GROUPS, items, implicit_vr=implicit_vr)

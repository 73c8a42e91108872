"""Read Grayscale, Color and Pseudo-Color Softcopy Presentation States (PS3.3 A.33).

:func:`read_presentation_state` gives a :class:`PresentationStateReader` holding what the state
says, as the same objects the writer takes (:mod:`iodkit.pr.content`, :mod:`iodkit.pr.luts`):
referenced images, layers, graphic annotations, displayed areas, rotation and flip, the
modality/VOI/presentation steps, the ICC profile and the palette. Its ``…_for`` methods answer
"what applies to this image (and frame)", which is what a viewer — or
:func:`iodkit.render.render` — needs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import BinaryIO

import numpy as np
from iodkit.datavalues import float_of, int_of, ints_of, items_of
from iodkit.derived.readguard import opening
from iodkit.pixels.files import read_dataset
from iodkit.pr.content import (
    DisplayedArea,
    GraphicAnnotation,
    GraphicLayer,
    ImageReference,
    applies,
)
from iodkit.pr.errors import PresentationStateReadError
from iodkit.pr.luts import LUT, VOI, Rescale
from iodkit.pr.writer import (
    COLOR_SOFTCOPY_PRESENTATION_STATE,
    GRAYSCALE_SOFTCOPY_PRESENTATION_STATE,
    PSEUDO_COLOR_SOFTCOPY_PRESENTATION_STATE,
)
from pydicom.dataset import Dataset

KINDS = {
    GRAYSCALE_SOFTCOPY_PRESENTATION_STATE: "grayscale",
    COLOR_SOFTCOPY_PRESENTATION_STATE: "color",
    PSEUDO_COLOR_SOFTCOPY_PRESENTATION_STATE: "pseudo-color",
}


@dataclass
class PresentationStateReader:
    """What a Softcopy Presentation State says. ``kind`` is "grayscale", "color" or
    "pseudo-color"; ``images`` maps Series Instance UID to the images referenced."""

    dataset: Dataset
    kind: str
    images: dict[str, list[ImageReference]]
    layers: list[GraphicLayer]
    annotations: list[GraphicAnnotation]
    displayed_areas: list[DisplayedArea]
    rotation: int = 0
    horizontal_flip: bool = False
    modality: Rescale | LUT | None = None
    voi: list[VOI] = field(default_factory=list)
    presentation_lut: str | LUT | None = None
    icc_profile: bytes | None = None
    palette: np.ndarray | None = None

    @property
    def content_label(self) -> str:
        return str(self.dataset.get("ContentLabel", ""))

    @property
    def references(self) -> list[ImageReference]:
        return [r for refs in self.images.values() for r in refs]

    def layer(self, name: str) -> GraphicLayer | None:
        return next((layer for layer in self.layers if layer.name == name), None)

    def annotations_for(
        self, sop_instance_uid: str, frame: int | None = None
    ) -> list[GraphicAnnotation]:
        """The graphic annotations that apply to an image (and frame, 1-based), in layer order."""
        order = {layer.name: (layer.order or 0) for layer in self.layers}
        found = [a for a in self.annotations if applies(a.images, sop_instance_uid, frame)]
        return sorted(found, key=lambda a: order.get(a.layer, 0))

    def voi_for(self, sop_instance_uid: str, frame: int | None = None) -> VOI | None:
        return next((v for v in self.voi if applies(v.images, sop_instance_uid, frame)), None)

    def displayed_area_for(
        self, sop_instance_uid: str, frame: int | None = None
    ) -> DisplayedArea | None:
        return next(
            (a for a in self.displayed_areas if applies(a.images, sop_instance_uid, frame)), None
        )


def read_presentation_state(
    source: str | os.PathLike[str] | BinaryIO | Dataset,
) -> PresentationStateReader:
    """Read a Grayscale, Color or Pseudo-Color Softcopy Presentation State; a
    :class:`PresentationStateReadError` naming the source when it cannot be read (the state is
    read whole here, so nothing fails later)."""
    with opening(PresentationStateReadError, "presentation state", source):
        ds = source if isinstance(source, Dataset) else read_dataset(source)
        kind = KINDS.get(str(ds.get("SOPClassUID", "")))
        if kind is None:
            raise PresentationStateReadError(
                f"SOP Class {ds.get('SOPClassUID', '(none)')} is not a Grayscale, Color or "
                "Pseudo-Color Softcopy Presentation State"
            )
        return _read(ds, kind)


def _read(ds: Dataset, kind: str) -> PresentationStateReader:
    images: dict[str, list[ImageReference]] = {}
    for series in items_of(ds, "ReferencedSeriesSequence"):
        images[str(series.get("SeriesInstanceUID", ""))] = [
            ImageReference.from_item(r) for r in items_of(series, "ReferencedImageSequence")
        ]
    modality: Rescale | LUT | None = None
    # every value through iodkit.datavalues: a damaged file's value of the wrong kind is a
    # DamagedValueError naming the attribute, never a bare float() or iteration error
    if modality_luts := items_of(ds, "ModalityLUTSequence"):
        modality = LUT.from_item(modality_luts[0])
    elif "RescaleSlope" in ds:
        modality = Rescale(
            float_of(ds, "RescaleSlope"),
            float_of(ds, "RescaleIntercept"),
            str(ds.get("RescaleType") or "US"),
        )
    presentation: str | LUT | None = None
    if presentation_luts := items_of(ds, "PresentationLUTSequence"):
        presentation = LUT.from_item(presentation_luts[0])
    elif ds.get("PresentationLUTShape"):
        presentation = str(ds.PresentationLUTShape)
    palette = None
    if "RedPaletteColorLookupTableDescriptor" in ds:
        palette = _palette(ds)
    icc = ds.get("ICCProfile")
    return PresentationStateReader(
        dataset=ds,
        kind=kind,
        images=images,
        layers=[GraphicLayer.from_item(i) for i in items_of(ds, "GraphicLayerSequence")],
        annotations=[
            GraphicAnnotation.from_item(i) for i in items_of(ds, "GraphicAnnotationSequence")
        ],
        displayed_areas=[
            DisplayedArea.from_item(i) for i in items_of(ds, "DisplayedAreaSelectionSequence")
        ],
        rotation=int_of(ds, "ImageRotation", 0),
        horizontal_flip=ds.get("ImageHorizontalFlip") == "Y",
        modality=modality,
        voi=[VOI.from_item(i) for i in items_of(ds, "SoftcopyVOILUTSequence")],
        presentation_lut=presentation,
        icc_profile=None if icc is None else bytes(icc),
        palette=palette,
    )


def _palette(ds: Dataset) -> np.ndarray:
    """The (entries, 3) RGB palette of a Palette Color Lookup Table Module, as stored
    (uint8 for 8-bit entries, uint16 for 16-bit)."""
    from pydicom.pixels.processing import apply_color_lut

    entries, first, bits = ints_of(ds, "RedPaletteColorLookupTableDescriptor", 3)
    entries = entries or 65536
    index = np.arange(
        first, first + entries, dtype=np.uint16 if first + entries > 256 else np.uint8
    )
    table = apply_color_lut(index, ds)
    return table.astype(np.uint8 if bits == 8 else np.uint16)

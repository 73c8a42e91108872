"""Write Softcopy Presentation States: Grayscale (A.33.1), Color (A.33.2), Pseudo-Color (A.33.3).

A presentation state says how to show images: which area (Displayed Area, C.10.4), turned and
flipped how (Spatial Transformation, C.10.6), through which grey-scale steps (Modality LUT,
Softcopy VOI LUT, Softcopy Presentation LUT — or an ICC profile for colour images, a palette
for pseudo-colour), with which text and graphics on which layers (Graphic Annotation, Graphic
Layer, C.10.5/C.10.7). Everything is checked when the object is constructed, against the
images given: every reference names one of them (and a frame it has), every PIXEL coordinate
lies on the image (0…Columns, 0…Rows, C.10.5), every layer used is defined.

The modules are built by the generated builders (``GrayscaleSoftcopyPresentationStateIOD``
and its siblings). Shutters, overlays, masks and graphic groups are not written (their modules
are written empty where the IOD makes them mandatory).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any, BinaryIO, Literal

import numpy as np
from iodkit.derived.charset import cover_text
from iodkit.pr.content import (
    DisplayedArea,
    GraphicAnnotation,
    GraphicLayer,
    ImageReference,
)
from iodkit.pr.errors import PresentationStateError
from iodkit.pr.luts import (
    LUT,
    VOI,
    Rescale,
    Window,
    frame_count,
    has_functional_groups,
    image_windows,
    modality_of,
    palette_values,
)
from pydicom.dataset import Dataset

GRAYSCALE_SOFTCOPY_PRESENTATION_STATE = "1.2.840.10008.5.1.4.1.1.11.1"
COLOR_SOFTCOPY_PRESENTATION_STATE = "1.2.840.10008.5.1.4.1.1.11.2"
PSEUDO_COLOR_SOFTCOPY_PRESENTATION_STATE = "1.2.840.10008.5.1.4.1.1.11.3"
_MONOCHROME = ("MONOCHROME1", "MONOCHROME2")


class _Images:
    """The images a presentation state applies to, indexed for the reference checks."""

    def __init__(self, images: Sequence[Dataset], kind: str) -> None:
        from iodkit.derived import SourceInstances, errors_as

        with errors_as(PresentationStateError):
            self.sources = SourceInstances(images, what="image")
        self.datasets = self.sources.datasets
        for k, ds in enumerate(self.datasets):
            if "Rows" not in ds or "Columns" not in ds:
                raise PresentationStateError(f"image {k} lacks Rows or Columns")
        self.by_uid: dict[str, Dataset] = {str(ds.SOPInstanceUID): ds for ds in self.datasets}
        for ds in self.datasets:
            photometric = str(ds.get("PhotometricInterpretation", ""))
            grey = photometric in _MONOCHROME
            if kind == "color" and grey:
                raise PresentationStateError(
                    f"image {ds.SOPInstanceUID} is {photometric}: a Color Softcopy Presentation "
                    "State is for colour images (use the grayscale or pseudo-color one)"
                )
            if kind != "color" and not grey:
                raise PresentationStateError(
                    f"image {ds.SOPInstanceUID} is {photometric or 'not grey-scale'}: grayscale "
                    "and pseudo-color presentation states are for MONOCHROME1/2 images"
                )

    @property
    def first(self) -> Dataset:
        return self.datasets[0]

    def check(self, refs: Sequence[Any] | None, what: str) -> list[Dataset]:
        """The images ``refs`` name (all for None); an error for a reference to an image not
        given or a frame it does not have."""
        if refs is None:
            return self.datasets
        out = []
        for ref in refs:
            ds = self.by_uid.get(ref.sop_instance_uid)
            if ds is None:
                raise PresentationStateError(
                    f"{what} refers to image {ref.sop_instance_uid}, which is not among the "
                    f"{len(self.datasets)} images given"
                )
            if ref.sop_class_uid != str(ds.SOPClassUID):
                raise PresentationStateError(
                    f"{what} refers to image {ref.sop_instance_uid} as SOP Class "
                    f"{ref.sop_class_uid}, but it is {ds.SOPClassUID}"
                )
            frames = int(ds.get("NumberOfFrames") or 1)
            bad = [f for f in ref.frames if not 1 <= f <= frames]
            if bad:
                raise PresentationStateError(
                    f"{what} refers to frame(s) {bad} of image {ref.sop_instance_uid}, which has "
                    f"{frames} frame(s)"
                )
            out.append(ds)
        return out


class PresentationState:
    """What the three presentation states share; use one of the subclasses.

    ``images``: the images (pydicom Datasets; metadata suffices) the state applies to, all of
    one study. ``annotations``: :class:`~iodkit.pr.GraphicAnnotation` items; ``layers``:
    :class:`~iodkit.pr.GraphicLayer` s (default: one per layer name used, in order of first
    use). ``displayed_areas``: :class:`~iodkit.pr.DisplayedArea` s covering every image
    (default: each whole image, scaled to fit). ``rotation`` 0/90/180/270 clockwise, then
    ``horizontal_flip``.
    """

    sop_class_uid = ""
    _kind = "grayscale"

    def __init__(
        self,
        images: Sequence[Dataset],
        *,
        annotations: Sequence[GraphicAnnotation] = (),
        layers: Sequence[GraphicLayer] | None = None,
        displayed_areas: Sequence[DisplayedArea] | None = None,
        rotation: Literal[0, 90, 180, 270] = 0,
        horizontal_flip: bool = False,
        content_label: str = "PRESENTATION",
        content_description: str | None = None,
        content_creator_name: str | None = None,
        series_instance_uid: str | None = None,
        series_number: int = 400,
        series_description: str | None = None,
        sop_instance_uid: str | None = None,
        instance_number: int = 1,
        manufacturer: str = "iodkit",
        manufacturer_model_name: str = "iodkit",
        device_serial_number: str = "0",
        software_versions: str | Sequence[str] | None = None,
    ) -> None:
        self.images = _Images(images, self._kind)
        if rotation not in (0, 90, 180, 270):
            raise PresentationStateError(f"rotation {rotation} is not 0, 90, 180 or 270 (C.10.6)")
        self.rotation = int(rotation)
        self.horizontal_flip = bool(horizontal_flip)
        self.annotations = list(annotations)
        for k, annotation in enumerate(self.annotations):
            if not isinstance(annotation, GraphicAnnotation):
                raise PresentationStateError(
                    f"annotation {k} is a {type(annotation).__name__}, not a GraphicAnnotation"
                )
            self._check_annotation(k, annotation)
        self.layers = self._layers(layers)
        self.displayed_areas = self._displayed_areas(displayed_areas)
        from iodkit.derived import ContentIdentification, Equipment, Identification

        self.content = ContentIdentification(
            content_label, content_description, content_creator_name
        )
        self.identification = Identification.of(
            series_number=series_number,
            instance_number=instance_number,
            series_instance_uid=series_instance_uid,
            sop_instance_uid=sop_instance_uid,
            series_description=series_description,
        )
        self.equipment = Equipment.of(
            manufacturer, manufacturer_model_name, device_serial_number, software_versions
        )

    @property
    def sop_instance_uid(self) -> str:
        return self.identification.sop_instance_uid

    @property
    def series_instance_uid(self) -> str:
        return self.identification.series_instance_uid

    # -- checks -----------------------------------------------------------------------------

    def _check_annotation(self, k: int, annotation: GraphicAnnotation) -> None:
        what = f"annotation {k} (layer {annotation.layer!r})"
        targets = self.images.check(annotation.images, what)
        objects: list[tuple[str, Sequence[tuple[Sequence[float], str]]]] = [
            (f"{what}, graphic {j} ({g.graphic_type})", [(p, g.units) for p in g.points])
            for j, g in enumerate(annotation.graphic_objects)
        ]
        objects += [
            (f"{what}, text {j} ({t.text[:20]!r})", t.points)
            for j, t in enumerate(annotation.text_objects)
        ]
        for label, points in objects:
            for (x, y), units in points:
                for ds in targets:
                    _check_point(label, x, y, units, ds)

    def _layers(self, layers: Sequence[GraphicLayer] | None) -> list[tuple[GraphicLayer, int]]:
        used = list(dict.fromkeys(a.layer for a in self.annotations))
        given = list(layers) if layers is not None else [GraphicLayer(name) for name in used]
        names = [layer.name for layer in given]
        if len(set(names)) != len(names):
            raise PresentationStateError(f"graphic layer names repeat: {names}")
        undefined = [name for name in used if name not in names]
        if undefined:
            raise PresentationStateError(
                f"annotations use layer(s) {undefined} that are not among the layers given "
                f"({names})"
            )
        ordered = []
        for k, layer in enumerate(given, start=1):
            ordered.append((layer, layer.order if layer.order is not None else k))
        return ordered

    def _displayed_areas(self, areas: Sequence[DisplayedArea] | None) -> list[DisplayedArea]:
        if areas is None:
            groups: dict[tuple[int, int], list[Dataset]] = {}
            for ds in self.images.datasets:
                groups.setdefault((int(ds.Columns), int(ds.Rows)), []).append(ds)
            out = []
            for (columns, rows), members in groups.items():
                tlhc, brhc = corners(columns, rows, self.rotation, self.horizontal_flip)
                refs = None if len(groups) == 1 else tuple(ImageReference.of(d) for d in members)
                out.append(DisplayedArea(tlhc, brhc, images=refs))
            return out
        out = list(areas)
        covered: set[str] = set()
        for k, area in enumerate(out):
            targets = self.images.check(area.images, f"displayed area {k}")
            covered.update(str(ds.SOPInstanceUID) for ds in targets)
        uncovered = [u for u in self.images.by_uid if u not in covered]
        if uncovered:
            raise PresentationStateError(
                f"no displayed area covers image(s) {uncovered[:3]}: every image needs one (C.10.4)"
            )
        return out

    # -- building ---------------------------------------------------------------------------

    def _common(self) -> dict[str, Any]:
        from iodkit.derived import common_modules, general_series, series_items
        from iodkit.derived.modules import series_laterality
        from iodkit.generated import modules as m
        from iodkit.generated.modules.presentation_state_relationship_macro import (
            ReferencedSeriesSequenceItem,
        )

        ident = self.identification
        modules = common_modules(
            self._iod(), self.images.sources.first, identification=ident, equipment=self.equipment
        )
        modules.update(
            general_series=general_series(
                "PR", ident, self.images.datasets, **series_laterality(self.images.datasets)
            ),
            presentation_series=m.PresentationSeriesModule(modality="PR"),
            presentation_state_identification=m.PresentationStateIdentificationModule(
                instance_number=ident.instance_number,
                **self.content.values(),
                presentation_creation_date=ident.date,
                presentation_creation_time=ident.time,
            ),
            presentation_state_relationship=m.PresentationStateRelationshipModule(
                referenced_series_sequence=[
                    ReferencedSeriesSequenceItem(**item)
                    for item in series_items(
                        self.images.sources.references, "referenced_image_sequence"
                    )
                ]
            ),
            presentation_state_shutter=m.PresentationStateShutterModule(),
            displayed_area=m.DisplayedAreaModule(
                displayed_area_selection_sequence=[a.item() for a in self.displayed_areas]
            ),
        )
        if self.annotations:
            modules["graphic_annotation"] = m.GraphicAnnotationModule(
                graphic_annotation_sequence=[a.item() for a in self.annotations]
            )
        if self.layers:
            modules["graphic_layer"] = m.GraphicLayerModule(
                graphic_layer_sequence=[layer.item(order) for layer, order in self.layers]
            )
        if self.rotation or self.horizontal_flip:
            modules["spatial_transformation"] = m.SpatialTransformationModule(
                image_rotation=self.rotation,
                image_horizontal_flip="Y" if self.horizontal_flip else "N",
            )
        return modules

    def _specific(self) -> dict[str, Any]:
        return {}

    def _iod(self) -> Any:
        raise NotImplementedError

    def to_dataset(self) -> Dataset:
        """The presentation state as a pydicom Dataset (with File Meta Information)."""
        iod = self._iod()(**self._common(), **self._specific())
        ds: Dataset = iod.to_dataset(file_meta=True)
        _signed_descriptors(ds)
        cover_text(ds)
        return ds

    def save(self, path: str | os.PathLike[str] | BinaryIO) -> None:
        """Write the presentation state atomically (nothing is left behind on error)."""
        from iodkit.derived import write_dataset

        write_dataset(self.to_dataset(), path)


def _signed_descriptors(ds: Dataset) -> None:
    """LUT Descriptor is US or SS (C.11.1.1.1, C.11.2.1.1): SS when the first value mapped is
    negative (a VOI LUT over signed modality output), so that it reads back as written."""
    items = list(ds.get("ModalityLUTSequence", []))
    for voi in ds.get("SoftcopyVOILUTSequence", []):
        items.extend(voi.get("VOILUTSequence", []))
    for item in items:
        descriptor = item["LUTDescriptor"]
        if int(descriptor.value[1]) < 0:
            descriptor.VR = "SS"
            descriptor.value = [
                int(v) - 65536 if int(v) > 32767 else int(v) for v in descriptor.value
            ]


def _check_point(label: str, x: float, y: float, units: str, ds: Dataset) -> None:
    """C.10.5: PIXEL values within 0\\0…Columns\\Rows, DISPLAY within 0…1, MATRIX within the
    Total Pixel Matrix (and only for tiled images)."""
    if units == "DISPLAY":
        limit = (1.0, 1.0)
    elif units == "MATRIX":
        if "TotalPixelMatrixColumns" not in ds:
            raise PresentationStateError(
                f"{label}: MATRIX units are for tiled images; image {ds.SOPInstanceUID} is not"
            )
        limit = (float(ds.TotalPixelMatrixColumns), float(ds.TotalPixelMatrixRows))
    else:
        limit = (float(ds.Columns), float(ds.Rows))
    if not (0 <= x <= limit[0] and 0 <= y <= limit[1]):
        raise PresentationStateError(
            f"{label}: point ({x:g}, {y:g}) in {units} units is outside image "
            f"{ds.SOPInstanceUID} (0…{limit[0]:g}, 0…{limit[1]:g}, C.10.5)"
        )


def corners(
    columns: int, rows: int, rotation: int, flip: bool
) -> tuple[tuple[int, int], tuple[int, int]]:
    """The (column, row) pixels (1-based, before the transformation) that end up top left and
    bottom right after rotating ``rotation`` degrees clockwise and then flipping (C.10.4)."""
    after_to_before = {
        0: ((1, 1), (columns, rows)),
        90: ((1, rows), (columns, 1)),
        180: ((columns, rows), (1, 1)),
        270: ((columns, 1), (1, rows)),
    }
    tlhc, brhc = after_to_before[rotation]
    if flip:  # the top right before the flip becomes the top left
        top_right = {0: (columns, 1), 90: (1, 1), 180: (1, rows), 270: (columns, rows)}[rotation]
        bottom_left = (tlhc[0] + brhc[0] - top_right[0], tlhc[1] + brhc[1] - top_right[1])
        tlhc, brhc = top_right, bottom_left
    return tlhc, brhc


class GrayscaleSoftcopyPresentationState(PresentationState):
    """Grayscale Softcopy Presentation State (PS3.3 A.33.1) for MONOCHROME1/2 images.

    ``modality``: ``"image"`` (default: the images' Rescale Slope/Intercept or Modality LUT,
    which must agree), a :class:`~iodkit.pr.Rescale` or :class:`~iodkit.pr.LUT`, or ``None``
    (identity). ``voi``: ``"image"`` (default: each image's first window or VOI LUT, grouped),
    a :class:`~iodkit.pr.Window` or :class:`~iodkit.pr.LUT` for all images, a list of
    :class:`~iodkit.pr.VOI` items, or ``None`` (identity). ``presentation_lut``: "IDENTITY",
    "INVERSE" or a :class:`~iodkit.pr.LUT` (default: INVERSE for MONOCHROME1 images, IDENTITY
    for MONOCHROME2; PS3.4 N.2 ignores the images' polarity). See
    :class:`PresentationState` for the rest.
    """

    sop_class_uid = GRAYSCALE_SOFTCOPY_PRESENTATION_STATE

    def __init__(
        self,
        images: Sequence[Dataset],
        *,
        modality: Literal["image"] | Rescale | LUT | None = "image",
        voi: Literal["image"] | Window | LUT | Sequence[VOI] | None = "image",
        presentation_lut: Literal["IDENTITY", "INVERSE"] | LUT | None = None,
        **options: Any,
    ) -> None:
        super().__init__(images, **options)
        self.modality = self._modality(modality)
        self.voi = self._voi(voi)
        self.presentation_lut = self._presentation(presentation_lut)

    def _modality(self, modality: Any) -> Rescale | LUT | None:
        if modality != "image":
            if modality is not None and not isinstance(modality, (Rescale, LUT)):
                raise PresentationStateError(
                    f"modality must be 'image', a Rescale, a LUT or None, got {modality!r}"
                )
            if isinstance(modality, LUT) and modality.bits not in (8, 16):
                raise PresentationStateError(
                    f"a Modality LUT has 8 or 16 bits per entry, not {modality.bits} (C.11.1.1.1)"
                )
            return modality  # type: ignore[no-any-return]
        found: dict[Any, list[str]] = {}
        for ds in self.images.datasets:
            # an image with functional groups has one per frame (Pixel Value Transformation)
            frames = range(frame_count(ds)) if has_functional_groups(ds) else [None]
            for frame in frames:
                found.setdefault(modality_of(ds, frame), []).append(str(ds.SOPInstanceUID))
        if len(found) > 1:
            raise PresentationStateError(
                f"the images (or their frames) have {len(found)} different modality "
                "transformations; one "
                "presentation state has one Modality LUT (C.11.1): pass modality= explicitly "
                "or one presentation state per group of images"
            )
        return next(iter(found))

    def _voi(self, voi: Any) -> list[VOI]:
        if voi is None:
            return []
        if isinstance(voi, (Window, LUT)):
            return [VOI(voi)]
        if voi == "image":
            return image_windows(self.images.datasets)
        items = list(voi)
        for k, item in enumerate(items):
            if not isinstance(item, VOI):
                raise PresentationStateError(f"voi item {k} is a {type(item).__name__}, not a VOI")
            self.images.check(item.images, f"VOI item {k}")
        return items

    def _presentation(self, shape: Any) -> Literal["IDENTITY", "INVERSE"] | LUT:
        if shape is None:
            polarities = {str(ds.PhotometricInterpretation) for ds in self.images.datasets}
            if len(polarities) > 1:
                raise PresentationStateError(
                    "the images mix MONOCHROME1 and MONOCHROME2: pass presentation_lut "
                    "(IDENTITY or INVERSE) to say how to show them"
                )
            return "INVERSE" if polarities == {"MONOCHROME1"} else "IDENTITY"
        if shape not in ("IDENTITY", "INVERSE") and not isinstance(shape, LUT):
            raise PresentationStateError(
                f"presentation_lut must be IDENTITY, INVERSE or a LUT, got {shape!r}"
            )
        return shape  # type: ignore[no-any-return]

    def _grey_modules(self) -> dict[str, Any]:
        from iodkit.generated import modules as m

        out: dict[str, Any] = {}
        if isinstance(self.modality, Rescale):
            out["modality_lut"] = m.ModalityLUTModule(**self.modality.values())
        elif isinstance(self.modality, LUT):
            from iodkit.generated.modules.modality_lut_macro import ModalityLUTSequenceItem

            item = ModalityLUTSequenceItem(**self.modality.values(), modality_lut_type="US")
            out["modality_lut"] = m.ModalityLUTModule(modality_lut_sequence=[item])
        if self.voi:
            out["softcopy_voi_lut"] = m.SoftcopyVOILUTModule(
                softcopy_voilut_sequence=[v.item() for v in self.voi]
            )
        out["presentation_state_mask"] = m.PresentationStateMaskModule()
        return out

    def _specific(self) -> dict[str, Any]:
        from iodkit.generated import modules as m
        from iodkit.generated.modules.softcopy_presentation_lut_module import (
            PresentationLUTSequenceItem,
        )

        out = self._grey_modules()
        lut = self.presentation_lut
        out["softcopy_presentation_lut"] = (
            m.SoftcopyPresentationLUTModule(
                presentation_lut_sequence=[PresentationLUTSequenceItem(**lut.values())]
            )
            if isinstance(lut, LUT)
            else m.SoftcopyPresentationLUTModule(presentation_lut_shape=lut)
        )
        return out

    def _iod(self) -> Any:
        from iodkit.generated.iods import GrayscaleSoftcopyPresentationStateIOD

        return GrayscaleSoftcopyPresentationStateIOD


def _icc(images: _Images, profile: bytes | None) -> bytes:
    """The ICC profile: the one given, else the images' own when they agree, else sRGB."""
    if profile is not None:
        return bytes(profile)
    found: set[bytes | None] = set()
    for ds in images.datasets:
        own = ds.get("ICCProfile")
        if own is None and ds.get("OpticalPathSequence"):
            own = ds.OpticalPathSequence[0].get("ICCProfile")
        found.add(None if own is None else bytes(own))
    only = found.pop() if len(found) == 1 else None
    if only is not None:
        return only
    from iodkit.derived.icc import srgb_profile

    return srgb_profile()


class ColorSoftcopyPresentationState(PresentationState):
    """Color Softcopy Presentation State (PS3.3 A.33.2) for colour images: the ICC profile
    (``icc_profile`` bytes; default the images' own when they agree, else sRGB) defines the
    colours (C.11.15); no grey-scale steps. See :class:`PresentationState` for the rest."""

    sop_class_uid = COLOR_SOFTCOPY_PRESENTATION_STATE
    _kind = "color"

    def __init__(
        self, images: Sequence[Dataset], *, icc_profile: bytes | None = None, **options: Any
    ) -> None:
        super().__init__(images, **options)
        self.icc_profile = _icc(self.images, icc_profile)

    def _specific(self) -> dict[str, Any]:
        from iodkit.generated import modules as m

        return {"icc_profile": m.ICCProfileModule(icc_profile=self.icc_profile)}

    def _iod(self) -> Any:
        from iodkit.generated.iods import ColorSoftcopyPresentationStateIOD

        return ColorSoftcopyPresentationStateIOD


class PseudoColorSoftcopyPresentationState(GrayscaleSoftcopyPresentationState):
    """Pseudo-Color Softcopy Presentation State (PS3.3 A.33.3): grey images through modality
    and VOI steps, then ``palette`` ((entries, 3) uint8 or uint16 RGB; Palette Color Lookup
    Table Module, C.7.9) in the colour space of ``icc_profile`` (default sRGB)."""

    sop_class_uid = PSEUDO_COLOR_SOFTCOPY_PRESENTATION_STATE

    def __init__(
        self,
        images: Sequence[Dataset],
        palette: Any,
        *,
        icc_profile: bytes | None = None,
        **options: Any,
    ) -> None:
        if "presentation_lut" in options:
            raise PresentationStateError(
                "a pseudo-color presentation state has no presentation LUT"
            )
        super().__init__(images, **options)
        self.palette = np.asarray(palette)
        self._palette_values = palette_values(self.palette)
        if icc_profile is None:
            from iodkit.derived.icc import srgb_profile

            icc_profile = srgb_profile()
        self.icc_profile = bytes(icc_profile)

    def _specific(self) -> dict[str, Any]:
        from iodkit.generated import modules as m

        out = self._grey_modules()
        out["palette_color_lookup_table"] = m.PaletteColorLookupTableModule(**self._palette_values)
        out["icc_profile"] = m.ICCProfileModule(icc_profile=self.icc_profile)
        return out

    def _iod(self) -> Any:
        from iodkit.generated.iods import PseudoColorSoftcopyPresentationStateIOD

        return PseudoColorSoftcopyPresentationStateIOD

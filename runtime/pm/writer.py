"""Write a Parametric Map (PS3.3 A.75) from a NumPy array and the images it was derived from.

A model's per-voxel output — a probability, an ADC, a perfusion parameter — stored as a
multi-frame image whose Real World Value Mapping (:mod:`iodkit.pm.mapping`) says what the
values mean. :class:`ParametricMap` checks everything when it is constructed (sources, values,
mappings, window) and composes the derived-object core (:mod:`iodkit.derived`) for the rest:
source images and their geometry, patient/study/equipment modules, frame plan and dimensions,
per-frame functional groups stamped from one builder-made item, reference modules, and the
pixel encoding — float maps are written straight from the caller's array, frame by frame.

What goes where (PS3.3 2024c):

* Parametric Map Image Module (C.8.32.2): Image Type DERIVED\\PRIMARY\\flavor\\contrast,
  content identification, Presentation LUT Shape IDENTITY, Burned In Annotation NO,
  Recognizable Visual Features, Content Qualification, Pixel Presentation (COLOR_RANGE with a
  palette, its ICC Profile and the Palette Color Lookup Table Module, C.7.9);
* Image Pixel (16-bit integers), Floating Point Image Pixel (32-bit) or Double Floating Point
  Image Pixel (64-bit) Module — exactly one (A.75.4), with the Float Pixel Padding Value;
* Shared functional groups (Table A.75-2): Pixel Measures, Plane Orientation (Patient),
  Identity Pixel Value Transformation (C.7.6.16.2.9b), Frame VOI LUT With LUT (the window),
  Real World Value Mapping, Parametric Map Frame Type, Stored Value Color Range (with a
  palette); per frame: Frame Content, Plane Position (Patient) or (Slide), Derivation Image
  (purpose from CID 7222);
* Parametric Map Series (C.8.32.1): Modality of the sources (OT when they differ);
  Acquisition Context (empty), Frame of Reference (required: a map needs a frame of
  reference), Common Instance Reference and General Reference.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from iodkit.codes import Code, CodeLike
from iodkit.derived import encoding, frames, imagemodules
from iodkit.derived import modules as core
from iodkit.derived.errors import errors_as
from iodkit.derived.geometry import format_ds
from iodkit.derived.groups import PerFrameItems, shared_derivation, shared_item
from iodkit.derived.images import SourceImages, describe_sources
from iodkit.derived.references import value_of
from iodkit.pm.errors import ParametricMapError
from iodkit.pm.mapping import RealWorldValueMapping
from iodkit.pm.values import MapValues, check_values
from pydicom.dataset import Dataset
from pydicom.tag import BaseTag
from pydicom.uid import UID, ExplicitVRLittleEndian, ImplicitVRLittleEndian

PARAMETRIC_MAP_STORAGE = "1.2.840.10008.5.1.4.1.1.30"
_MODALITY = BaseTag(0x00080060)

ContentQualification = Literal["PRODUCT", "RESEARCH", "SERVICE"]


class ParametricMap(encoding.Writes):
    """A Parametric Map to be written: checked inputs, ready to encode.

    ``values``: ``(planes, rows, columns)`` (2-D: one plane) — one plane per source image of a
    series, per frame of an enhanced multi-frame source, or the total pixel matrix of a tiled
    source; float32/float64 (Float / Double Float Pixel Data) or integers that fit 16 bits.
    ``source_images``: pydicom Datasets, metadata suffices (as for a Segmentation; an image
    without a frame of reference cannot be mapped). ``mappings``: one or more
    :class:`~iodkit.pm.RealWorldValueMapping` (the first is the one readers apply by default).

    Options: ``window`` (center, width) — default: the values' range; ``padding_value`` (float
    maps: the value, possibly NaN, that marks pixels without a value); ``palette`` an (entries,
    3) uint8/uint16 RGB table (Pixel Presentation COLOR_RANGE) with ``icc_profile`` (default
    sRGB); ``transfer_syntax_uid`` (float maps: native only; integer maps: any lossless);
    ``tile_size``/``dimension_organization_type`` for slides; content label/description/
    creator; ``image_flavor``, ``derived_pixel_contrast``, ``content_qualification``,
    ``recognizable_visual_features``; ``modality``; series/instance
    ``identification`` and ``equipment`` (:class:`~iodkit.derived.Identification`, default
    series 400; :class:`~iodkit.derived.Equipment`); ``threads`` for the encoder.

    ``derivation`` (required): how the values were derived from the sources, a code of CID 7203
    Image Derivation (e.g. ``cid7203.SEGMENTATION`` for a model's per-voxel probability,
    ``cid7203.DIFFUSION_IMAGE_ANALYSIS`` for an ADC map) — see :func:`_derivation`.
    """

    def __init__(
        self,
        values: np.ndarray,
        source_images: Sequence[Dataset] | Dataset,
        mappings: RealWorldValueMapping | Sequence[RealWorldValueMapping],
        *,
        window: tuple[float, float] | None = None,
        padding_value: float | None = None,
        palette: np.ndarray | None = None,
        icc_profile: bytes | None = None,
        transfer_syntax_uid: str = ExplicitVRLittleEndian,
        tile_size: int | tuple[int, int] | None = None,
        dimension_organization_type: Literal["TILED_FULL", "TILED_SPARSE"] | None = None,
        use_extended_offset_table: bool = False,
        content_label: str = "MAP",
        content_description: str | None = None,
        content_creator_name: str | None = None,
        image_flavor: str = "VOLUME",
        derived_pixel_contrast: str = "QUANTITY",
        content_qualification: ContentQualification = "RESEARCH",
        recognizable_visual_features: bool = False,
        derivation: CodeLike | None = None,
        modality: str | None = None,
        identification: core.Identification | None = None,
        equipment: core.Equipment | None = None,
        threads: int | None = None,
    ) -> None:
        with errors_as(ParametricMapError):
            self.sources: SourceImages = describe_sources(
                [source_images] if isinstance(source_images, Dataset) else source_images
            )
            if self.sources.frame_of_reference_uid is None:
                raise ParametricMapError(
                    "the source image has no Frame of Reference; a Parametric Map's Frame of "
                    "Reference Module is mandatory (Table A.75-1)"
                )
            self.tiling = frames.tiling(
                self.sources,
                tile_size,
                dimension_organization_type,
                None,
                omit_by_default=False,
            )
            encoding.codec_for(transfer_syntax_uid, what="parametric maps")
        self.mappings = (
            [mappings] if isinstance(mappings, RealWorldValueMapping) else list(mappings)
        )
        if not self.mappings or not all(
            isinstance(m, RealWorldValueMapping) for m in self.mappings
        ):
            raise ParametricMapError(
                "give one or more RealWorldValueMapping objects: a Parametric Map says what "
                "its values mean (the Real World Value Mapping functional group is mandatory)"
            )
        sources = self.sources
        self.values: MapValues = check_values(
            values, sources.planes, sources.plane_shape, padding_value
        )
        self.padding_value = padding_value
        cells = frames.make_cells(
            sources.planes,
            sources.plane_shape,
            self.tiling.tile_shape if sources.kind == "tiled" else None,
        )
        self.value_range = self._stored_range(cells)
        for mapping in self.mappings:
            mapping.check(self.values.floating, self.value_range)
        self.window = self._check_window(window)
        self.transfer_syntax_uid = UID(transfer_syntax_uid)
        self.use_extended_offset_table = use_extended_offset_table
        self.threads = threads
        self.palette = None if palette is None else self._check_palette(palette)
        if icc_profile is not None and palette is None:
            raise ParametricMapError("an ICC profile is for a COLOR_RANGE map: give a palette")
        self.icc_profile = icc_profile
        self.content = core.ContentIdentification(
            content_label, content_description, content_creator_name
        )
        self.image_type = ["DERIVED", "PRIMARY", image_flavor, derived_pixel_contrast]
        self.content_qualification = content_qualification
        self.recognizable_visual_features = recognizable_visual_features
        self.derivation = _derivation(derivation)
        modalities = {str(value_of(ds, _MODALITY) or "") for ds in sources.datasets}
        self.modality = modality or (modalities.pop() if len(modalities) == 1 else "OT") or "OT"
        self.identification = identification or core.Identification.of(series_number=400)
        self.equipment = equipment or core.Equipment.of()
        self.frames = frames.plan_frames(sources, cells)
        with errors_as(ParametricMapError):
            encoding.check_encoding(
                self._pixel_description(), self.transfer_syntax_uid, what="the map's frames"
            )
        self.identification.created = datetime.datetime.now()

    # -- checks ---------------------------------------------------------------------------

    def _stored_range(self, cells: list[frames.Cell]) -> tuple[float, float]:
        """The stored values the frames hold: the map's, and the fill of edge tiles (the
        padding value, else 0) when a tile reaches past the total pixel matrix."""
        low, high = self.values.low, self.values.high
        partial = any((c.rows, c.columns) != self.tiling.tile_shape for c in cells)
        fill = 0.0 if self.padding_value is None else float(self.padding_value)
        if self.sources.kind == "tiled" and partial and np.isfinite(fill):
            low, high = min(low, fill), max(high, fill)
        return low, high

    def _check_window(self, window: tuple[float, float] | None) -> tuple[float, float]:
        """Window Center/Width for grayscale display (the Frame VOI LUT is mandatory)."""
        if window is None:
            low, high = self.values.low, self.values.high
            width = high - low if high > low else 1.0
            return ((low + high) / 2, width)
        try:
            center, width = (float(v) for v in window)
        except (TypeError, ValueError) as exc:
            raise ParametricMapError(f"window must be (center, width), got {window!r}") from exc
        if not (np.isfinite(center) and np.isfinite(width)) or width <= 0:
            raise ParametricMapError(
                f"window width must be a positive number (C.11.2.1.2), got {width!r}"
            )
        return center, width

    @staticmethod
    def _check_palette(palette: np.ndarray) -> np.ndarray:
        lut = np.asarray(palette)
        if lut.ndim != 2 or lut.shape[1] != 3 or lut.dtype not in (np.uint8, np.uint16):
            raise ParametricMapError(
                f"palette must be an (entries, 3) uint8 or uint16 RGB array, got shape "
                f"{lut.shape} dtype {lut.dtype}"
            )
        if not 2 <= len(lut) <= 65536:
            raise ParametricMapError(f"a palette has 2…65536 entries, got {len(lut)}")
        return lut

    # -- facts ----------------------------------------------------------------------------

    @property
    def number_of_frames(self) -> int:
        return self.frames.number_of_frames

    @property
    def tile_shape(self) -> tuple[int, int]:
        return self.tiling.tile_shape

    def _pixel_description(self) -> Any:
        from iodkit.pixels import PixelDescription

        rows, columns = self.tile_shape
        n = self.number_of_frames
        if self.values.floating:
            return PixelDescription.for_float(rows, columns, self.values.bits_allocated, n)
        return PixelDescription(
            rows=rows,
            columns=columns,
            bits_allocated=16,
            bits_stored=16,
            pixel_representation=1 if self.values.signed else 0,
            number_of_frames=n,
        ).checked()

    def _frame_arrays(self) -> list[np.ndarray]:
        """Each frame in order: a view of a plane, or a tile padded at the edges (with the
        padding value, or 0)."""
        plan = self.frames
        array = self.values.array
        if self.sources.kind != "tiled":
            return [array[plan.cells[c].plane] for c in plan.frame_cells]
        fill = self.padding_value if self.padding_value is not None else 0
        out = []
        for c in plan.frame_cells:
            cell = plan.cells[c]
            tile = frames.region(array, cell)
            if tile.shape != self.tile_shape:
                padded = np.full(self.tile_shape, fill, dtype=array.dtype)
                padded[: tile.shape[0], : tile.shape[1]] = tile
                tile = padded
            out.append(tile)
        return out

    def encode_pixels(self) -> encoding.Pixels:
        from iodkit.pixels.errors import PixelError

        try:
            return encoding.encode(
                [np.ascontiguousarray(f) for f in self._frame_arrays()],
                self._pixel_description(),
                self.transfer_syntax_uid,
                threads=self.threads,
                extended_offset_table=self.use_extended_offset_table,
            )
        except PixelError as exc:
            raise ParametricMapError(f"the map's frames: {exc}") from exc

    # -- the data set -----------------------------------------------------------------------

    def _dataset_and_pixels(self) -> tuple[Dataset, encoding.Pixels]:
        pixels = self.encode_pixels()
        implicit = self.transfer_syntax_uid == ImplicitVRLittleEndian
        ds = self._metadata(implicit)
        if self.palette is not None:
            from iodkit.derived.icc import srgb_profile
            from iodkit.pixels import set_palette_color_lut

            set_palette_color_lut(ds, self.palette, first_mapped=0, photometric=False)
            ds.ICCProfile = self.icc_profile if self.icc_profile is not None else srgb_profile()
            if self.icc_profile is None:
                ds.ColorSpace = "SRGB"
        ds[0x52009230] = self._per_frame_items(ds, implicit)
        pixels.finish(ds)
        return ds, pixels

    def _metadata(self, implicit: bool) -> Dataset:
        from iodkit.generated import modules as m
        from iodkit.generated.iods import ParametricMapIOD

        sources = self.sources
        src = sources.first
        ident = self.identification
        rows, columns = self.tile_shape
        values = self.values
        bits = values.bits_allocated
        image = m.ParametricMapImageModule(
            image_type=self.image_type,
            instance_number=ident.instance_number,
            **self.content.values(),
            pixel_presentation="COLOR_RANGE" if self.palette is not None else "MONOCHROME",
            samples_per_pixel=1,
            photometric_interpretation="MONOCHROME2",
            bits_allocated=bits,
            presentation_lut_shape="IDENTITY",
            burned_in_annotation="NO",
            recognizable_visual_features="YES" if self.recognizable_visual_features else "NO",
            content_qualification=self.content_qualification,
            **imagemodules.lossy_compression(src),
        )
        if not values.floating:
            image.bits_stored = 16
            image.high_bit = 15
        pixel_modules: dict[str, Any] = {}
        if not values.floating:
            pixel_modules["image_pixel"] = m.ImagePixelModule(
                samples_per_pixel=1,
                photometric_interpretation="MONOCHROME2",
                rows=rows,
                columns=columns,
                bits_allocated=16,
                bits_stored=16,
                high_bit=15,
                pixel_representation=1 if values.signed else 0,
            )
        else:
            module_cls = (
                m.FloatingPointImagePixelModule
                if bits == 32
                else m.DoubleFloatingPointImagePixelModule
            )
            module = module_cls(
                samples_per_pixel=1,
                photometric_interpretation="MONOCHROME2",
                rows=rows,
                columns=columns,
                bits_allocated=bits,
            )
            if self.padding_value is not None:
                prefix = "float" if bits == 32 else "double_float"
                setattr(module, f"{prefix}_pixel_padding_value", float(self.padding_value))
                setattr(module, f"{prefix}_pixel_padding_range_limit", float(self.padding_value))
            name = (
                "floating_point_image_pixel" if bits == 32 else "double_floating_point_image_pixel"
            )
            pixel_modules[name] = module
        # a patient-positioned map of an unknown body part: Laterality unknown (empty); slides
        # have none (dciodvfy refuses it there)
        laterality = core.series_laterality(sources.datasets) if sources.kind != "tiled" else {}
        iod = ParametricMapIOD(
            **core.common_modules(
                ParametricMapIOD,
                src,
                identification=ident,
                equipment=self.equipment,
                frame_of_reference_uid=sources.frame_of_reference_uid,
            ),
            general_series=core.general_series(
                self.modality, ident, sources.datasets, **laterality
            ),
            parametric_map_series=m.ParametricMapSeriesModule(
                modality=self.modality, series_number=ident.series_number
            ),
            general_image=m.GeneralImageModule(
                instance_number=ident.instance_number,
                content_date=ident.date,
                content_time=ident.time,
            ),
            general_reference=imagemodules.general_reference(sources),
            parametric_map_image=image,
            multi_frame_functional_groups=m.MultiFrameFunctionalGroupsModule(
                shared_functional_groups_sequence=[
                    shared_item(ParametricMapIOD.FunctionalGroups, self._shared_groups())
                ],
                number_of_frames=self.number_of_frames,
                content_date=ident.date,
                content_time=ident.time,
                instance_number=ident.instance_number,
            ),
            multi_frame_dimension=frames.dimension_module(
                sources, self.frames, self.tiling.organization_type
            ),
            acquisition_context=m.AcquisitionContextModule(),
            **pixel_modules,
            **imagemodules.slide_modules(sources),
        )
        # the map names its sources in a per-frame or a shared Derivation Image group, so
        # the Common Instance Reference Module is required (Table A.75-1)
        iod.common_instance_reference = imagemodules.common_instance_reference(sources)
        ds = iod.to_dataset(file_meta=True)
        imagemodules.stamp_source_references(ds, sources, implicit)
        return ds

    def _references(self) -> tuple[list[str], list[str], list[int] | None] | None:
        """Each frame's source frame for a per-frame Derivation Image group; None in
        TILED_FULL (no per-frame source references, C.7.6.17.3) and for tiles that match no
        source frame — the group is then shared, naming the source instance. Table A.75-2
        requires it whenever the map is derived from another SOP Instance, which it always
        is."""
        if self.tiling.organization_type == "TILED_FULL":
            return None
        return frames.frame_references(self.sources, self.frames, self.tile_shape)

    def _shared_groups(self) -> dict[str, Any]:
        values = frames.shared_geometry(self.sources)
        center, width = self.window
        voi: dict[str, Any] = {
            "window_center": format_ds([center]),
            "window_width": format_ds([width]),
        }
        if width < 1:  # LINEAR needs a width ≥ 1; LINEAR_EXACT any width > 0 (C.11.2.1.3)
            voi["voilut_function"] = "LINEAR_EXACT"
        value_range = self.value_range
        values.update(
            pixel_value_transformation_sequence=[
                {"rescale_intercept": 0.0, "rescale_slope": 1.0, "rescale_type": "US"}
            ],
            frame_voilut_sequence=[voi],
            real_world_value_mapping_sequence=[
                m.item(self.values.floating, value_range) for m in self.mappings
            ],
            parametric_map_frame_type_sequence=[{"frame_type": self.image_type}],
        )
        if self._references() is None:
            values.update(shared_derivation(self.sources, self.derivation))
        if self.palette is not None:
            values["stored_value_color_range_sequence"] = [
                {
                    "minimum_stored_value_mapped": self.value_range[0],
                    "maximum_stored_value_mapped": self.value_range[1],
                }
            ]
        return values

    def _per_frame_items(self, ds: Dataset, implicit: bool) -> Any:
        from iodkit.generated.iods import ParametricMapIOD

        items = PerFrameItems(self.frames)
        if self.tiling.organization_type == "TILED_FULL":
            # Frame Content is mandatory per frame in a Parametric Map (Table A.75-2), but a
            # TILED_FULL image has no Dimension Index nor explicit positions (C.7.6.17.3)
            items.frame_content(indexed=False)
            return items.encode(ParametricMapIOD.FunctionalGroups, ds, implicit_vr=implicit)
        items.frame_content()
        items.plane_positions(self.sources)
        references = self._references()
        if references is not None:
            items.derivation(references, self.derivation)
        return items.encode(ParametricMapIOD.FunctionalGroups, ds, implicit_vr=implicit)


def _derivation(derivation: Any) -> Code:
    """The Derivation Code of the Derivation Image functional group (Type 1, DCID 7203), which
    a Parametric Map has (Table A.75-2: required when derived from other instances, as every
    map iodkit writes is). CID 7203 has no code for "calculated somehow", and the one others
    default to (DCM 112187 "Unspecified method of calculation", highdicom's) is not in it,
    so a validator warns on every such map: the user, who knows, says it."""
    from iodkit.codes import CodeError, as_code

    if derivation is None:
        raise ParametricMapError(
            "say how the map was derived from its sources: derivation= a code of CID 7203 "
            "Image Derivation (the Derivation Image functional group, Table A.75-2), e.g. "
            "iodkit.codes.cid7203.SEGMENTATION for a model's per-voxel probability, "
            ".DIFFUSION_IMAGE_ANALYSIS (an ADC map), .PERFUSION_IMAGE_ANALYSIS, "
            ".PIXEL_BY_PIXEL_SUBTRACTION; a code of your own is allowed (the group is "
            "extensible), validators then warn"
        )
    try:
        return as_code(derivation, "derivation")
    except CodeError as exc:
        raise ParametricMapError(str(exc)) from exc

"""Write a Segmentation (PS3.3 A.51) from a NumPy mask and the images it was derived from.

:class:`Segmentation` checks everything when it is constructed — source images, segment
descriptions, the mask's shape and values — and scans the mask once to find the frames worth
storing; :meth:`Segmentation.to_dataset` then builds the instance with the generated builders
(``SegmentationIOD`` and its modules, ``SegmentationIOD.FunctionalGroups`` items) and encodes
the frames with :mod:`iodkit.pixels`; :meth:`Segmentation.save` writes it atomically.

What goes where (PS3.3 2024c):

* Segmentation Image Module (C.8.20.2): type, fractional type and maximum, Segment Sequence,
  content identification, 1-bit (BINARY) or 8-bit pixels (C.8.20.2.1);
* Multi-frame Functional Groups (C.7.6.16, Table A.51-2): shared Pixel Measures and Plane
  Orientation (Patient); per frame Frame Content (Dimension Index Values), Plane Position
  (Patient) or Plane Position (Slide), Derivation Image (the source instance and frame, Spatial
  Locations Preserved YES, C.7.6.16.2.6) and Segmentation (Referenced Segment Number);
* Multi-frame Dimension (C.7.6.17): segment number, then image position (patient), tile
  row/column (slide) or frame label (no frame of reference); TILED_FULL has no per-frame
  groups and no index (C.7.6.17.3);
* Frame of Reference, Common Instance Reference (C.12.2), General Reference's Source Image
  Sequence, patient and study copied from the sources.

LABELMAP (Supplement 243, Label Map Segmentation Storage 1.2.840.10008.5.1.4.1.1.66.7) is newer
than the 2024c edition the builders are generated from, whose Segmentation Type has only the
Enumerated Values BINARY and FRACTIONAL and whose Photometric Interpretation is MONOCHROME2.
For a label map the builders build everything else and this module then sets, *explicitly on
the Dataset*: SOP Class UID 1.2.840.10008.5.1.4.1.1.66.7, Segmentation Type LABELMAP, Bits
Allocated 8 or 16, Pixel Padding Value 0 (the background, as Sup 243 specifies) and, with a
palette, PALETTE COLOR with its lookup tables. A 2024c validator does not know that SOP class.

Everything a Segmentation shares with other derived images comes from :mod:`iodkit.derived`:
source images and their geometry, patient/study/equipment modules, the frame plan and its
dimensions, the per-frame functional groups (built once with the builders and stamped per
frame), the reference modules and the pixel encoding. This module adds what is a
Segmentation's own: segments, the mask's frames, the segment dimension and LABELMAP.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from iodkit.codes import Code
from iodkit.derived import encoding, frames, imagemodules
from iodkit.derived import modules as core
from iodkit.derived.errors import errors_as
from iodkit.derived.frames import Dimension, FramePlan
from iodkit.derived.groups import PerFrameItems, shared_derivation, shared_item
from iodkit.derived.images import SourceImages, describe_sources
from iodkit.derived.itemcodec import binary_values
from iodkit.seg.description import SegmentDescription, background_item
from iodkit.seg.errors import SegmentationError
from iodkit.seg.masks import ScannedMask, cell_frames, normalize, scan
from iodkit.seg.masks import frames as mask_frames
from pydicom.dataset import Dataset
from pydicom.uid import UID, ExplicitVRLittleEndian, ImplicitVRLittleEndian

SEGMENTATION_STORAGE = "1.2.840.10008.5.1.4.1.1.66.4"
#: Label Map Segmentation Storage (Sup 243; not in the 2024c edition).
LABEL_MAP_SEGMENTATION_STORAGE = "1.2.840.10008.5.1.4.1.1.66.7"
#: DCM 113076 "Segmentation" (CID 7203 Image Derivation).
DERIVATION_SEGMENTATION = Code("113076", "DCM", "Segmentation")

SegmentationType = Literal["BINARY", "FRACTIONAL", "LABELMAP"]
DimensionOrganizationType = Literal["TILED_FULL", "TILED_SPARSE"]

_SEGMENT_IDENTIFICATION = 0x0062000A
_REFERENCED_SEGMENT_NUMBER = 0x0062000B
#: The segment dimension of BINARY and FRACTIONAL segmentations (C.8.20.3.1).
SEGMENT_DIMENSION = Dimension(_REFERENCED_SEGMENT_NUMBER, _SEGMENT_IDENTIFICATION, "Segment Number")


class Segmentation(encoding.Writes):
    """A Segmentation instance to be written: checked inputs, ready to encode.

    ``mask``: ``(planes, rows, columns)`` labels (0 background, *n* segment *n*; bool = segment
    1) or ``(planes, rows, columns, segments)`` channels in the order of ``segments``; a 2-D
    array is one plane. One plane per source image of a series, per frame of a multi-frame
    source, or the total pixel matrix of a tiled source. FRACTIONAL takes fractions in [0, 1].

    ``source_images``: pydicom Datasets (metadata suffices): a single-frame series, one
    enhanced multi-frame image, one tiled slide level, or one image without a frame of
    reference. Patient, study and frame of reference are copied from them.

    ``segments``: one :class:`~iodkit.seg.SegmentDescription` per segment; BINARY and
    FRACTIONAL number them 1, 2, … in order (C.8.20.2), LABELMAP any distinct 1…65535.

    Options: ``segmentation_type`` BINARY / FRACTIONAL / LABELMAP; ``fractional_type``
    PROBABILITY or OCCUPANCY and ``max_fractional_value`` (1–255) for FRACTIONAL; ``palette``
    an (entries, 3) uint8/uint16 RGB table making a LABELMAP PALETTE COLOR, with
    ``icc_profile`` bytes (default: a built-in sRGB profile, :mod:`iodkit.derived.icc`);
    ``omit_empty_frames`` (default True, except TILED_FULL which stores every tile);
    ``transfer_syntax_uid`` native or a lossless codec of :mod:`iodkit.pixels` (BINARY: native
    or JPEG 2000 Lossless); ``tile_size`` and ``dimension_organization_type`` (TILED_SPARSE
    default, or TILED_FULL) for slides; ``use_extended_offset_table``; content
    label/description/creator; series and instance identification; equipment; ``threads``
    for the encoder.
    """

    def __init__(
        self,
        mask: np.ndarray,
        source_images: Sequence[Dataset] | Dataset,
        segments: Sequence[SegmentDescription],
        *,
        segmentation_type: SegmentationType = "BINARY",
        fractional_type: Literal["PROBABILITY", "OCCUPANCY"] = "PROBABILITY",
        max_fractional_value: int = 255,
        palette: np.ndarray | None = None,
        icc_profile: bytes | None = None,
        omit_empty_frames: bool | None = None,
        transfer_syntax_uid: str = ExplicitVRLittleEndian,
        tile_size: int | tuple[int, int] | None = None,
        dimension_organization_type: DimensionOrganizationType | None = None,
        use_extended_offset_table: bool = False,
        content_label: str = "SEGMENTATION",
        content_description: str | None = None,
        content_creator_name: str | None = None,
        series_instance_uid: str | None = None,
        series_number: int = 300,
        series_description: str | None = None,
        sop_instance_uid: str | None = None,
        instance_number: int = 1,
        manufacturer: str = "iodkit",
        manufacturer_model_name: str = "iodkit",
        device_serial_number: str = "0",
        software_versions: str | Sequence[str] | None = None,
        threads: int | None = None,
    ) -> None:
        with errors_as(SegmentationError):
            self.sources: SourceImages = describe_sources(
                [source_images] if isinstance(source_images, Dataset) else source_images
            )
        if segmentation_type not in ("BINARY", "FRACTIONAL", "LABELMAP"):
            raise SegmentationError(
                f"segmentation_type {segmentation_type!r} is not BINARY, FRACTIONAL or LABELMAP"
            )
        self.segmentation_type: SegmentationType = segmentation_type
        self.fractional_type = fractional_type
        self.max_fractional_value = int(max_fractional_value)
        self.segments = list(segments)
        self._check_options(fractional_type, palette)
        with errors_as(SegmentationError):
            self.tiling = frames.tiling(
                self.sources, tile_size, dimension_organization_type, omit_empty_frames
            )
            encoding.codec_for(transfer_syntax_uid, what="segmentations")
        self.palette = None if palette is None else np.asarray(palette)
        if icc_profile is not None and palette is None:
            raise SegmentationError(
                "an ICC profile is for a PALETTE COLOR label map: give a palette too"
            )
        self.icc_profile = icc_profile
        self.transfer_syntax_uid = UID(transfer_syntax_uid)
        self.use_extended_offset_table = use_extended_offset_table
        self.threads = threads
        self.content = core.ContentIdentification(
            content_label, content_description, content_creator_name
        )
        self.identification = core.Identification.of(
            series_number=series_number,
            instance_number=instance_number,
            series_instance_uid=series_instance_uid,
            sop_instance_uid=sop_instance_uid,
            series_description=series_description,
        )
        self.equipment = core.Equipment.of(
            manufacturer, manufacturer_model_name, device_serial_number, software_versions
        )
        self.segment_numbers = self._check_segments()

        # the mask: shape, values, which cells hold which segments
        sources = self.sources
        array, channels = normalize(
            mask, sources.planes, sources.plane_shape, self.segment_numbers, segmentation_type
        )
        cells = frames.make_cells(
            sources.planes,
            sources.plane_shape,
            self.tile_shape if sources.kind == "tiled" else None,
        )
        self.scanned: ScannedMask = scan(
            array, channels, cells, self.segment_numbers, segmentation_type, self.tile_shape
        )
        if self.scanned.empty and self.omit_empty_frames:
            raise SegmentationError(
                "the mask is empty: no pixel belongs to any described segment "
                f"({', '.join(str(n) for n in self.segment_numbers)}); a Segmentation with no "
                "segmented pixel is almost always a mistake (pass omit_empty_frames=False to "
                "store its empty frames anyway)"
            )
        if segmentation_type == "LABELMAP" and self.scanned.overlap:
            raise SegmentationError(
                "segments overlap in the mask's channels; a LABELMAP stores one segment per "
                "pixel (use BINARY for overlapping segments)"
            )
        self.frames = self._plan_frames()
        with errors_as(SegmentationError):
            encoding.check_encoding(
                self._pixel_description(),
                self.transfer_syntax_uid,
                what=f"{segmentation_type} frames",
            )
        self.identification.created = datetime.datetime.now()

    @property
    def tile_shape(self) -> tuple[int, int]:
        """(rows, columns) of a frame: a tile of a slide, else a source frame."""
        return self.tiling.tile_shape

    @property
    def dimension_organization_type(self) -> str | None:
        return self.tiling.organization_type

    @property
    def omit_empty_frames(self) -> bool:
        return self.tiling.omit_empty_frames

    # -- checks ---------------------------------------------------------------------------

    def _check_options(self, fractional_type: str, palette: np.ndarray | None) -> None:
        kind = self.segmentation_type
        if kind == "FRACTIONAL":
            if fractional_type not in ("PROBABILITY", "OCCUPANCY"):
                raise SegmentationError(
                    f"fractional_type {fractional_type!r} is not PROBABILITY or OCCUPANCY "
                    "(PS3.3 C.8.20.2)"
                )
            if not 1 <= int(self.max_fractional_value) <= 255:
                raise SegmentationError(
                    f"max_fractional_value {self.max_fractional_value} is not within 1…255 "
                    "(FRACTIONAL pixels are 8-bit, C.8.20.2.1)"
                )
        if palette is not None:
            if kind != "LABELMAP":
                raise SegmentationError(f"a palette is for LABELMAP segmentations, not {kind}")
            lut = np.asarray(palette)
            if lut.ndim != 2 or lut.shape[1] != 3 or lut.dtype not in (np.uint8, np.uint16):
                raise SegmentationError(
                    f"palette must be an (entries, 3) uint8 or uint16 RGB array, got shape "
                    f"{lut.shape} dtype {lut.dtype}"
                )

    def _check_segments(self) -> list[int]:
        if not self.segments:
            raise SegmentationError("no segment descriptions given; describe each segment")
        for segment in self.segments:
            if not isinstance(segment, SegmentDescription):
                raise SegmentationError(
                    f"segments must be SegmentDescription objects, got {type(segment).__name__}"
                )
            segment.check()
        numbers = [s.number for s in self.segments]
        if self.segmentation_type == "LABELMAP":
            if len(set(numbers)) != len(numbers):
                raise SegmentationError(f"segment numbers repeat: {numbers}")
            if min(numbers) < 1:
                raise SegmentationError(
                    "Segment Number 0 is the background of a label map (Pixel Padding Value); "
                    "number segments from 1"
                )
        elif numbers != list(range(1, len(numbers) + 1)):
            raise SegmentationError(
                f"{self.segmentation_type} segments must be numbered 1, 2, … in order "
                f"(PS3.3 C.8.20.2: Segment Number starts at 1 and increments by 1); got {numbers}"
            )
        return numbers

    # -- frames ---------------------------------------------------------------------------

    def _plan_frames(self) -> FramePlan:
        """Segment by segment (C.8.20.3.1), positions along the normal or tiles row by row;
        with ``omit_empty_frames`` only frames holding their segment (any segment, for a
        label map)."""
        present = self.scanned.present
        omit = self.omit_empty_frames
        labelmap = self.segmentation_type == "LABELMAP"

        def keep(cell: int, segment: int | None) -> bool:
            if not omit:
                return True
            return bool(present[cell].any() if segment is None else present[cell, segment])

        return frames.plan_frames(
            self.sources,
            self.scanned.cells,
            channels=None if labelmap else len(self.segment_numbers),
            channel_dimension=None if labelmap else SEGMENT_DIMENSION,
            keep=keep,
        )

    def _frame_references(self) -> tuple[list[str], list[str], list[int] | None] | None:
        """Each frame's source frame for a per-frame Derivation Image functional group
        (C.7.6.16.2.6); None in TILED_FULL (no per-frame groups) and when tiles do not map
        onto source frames — the group is then shared, naming the source instance
        (:func:`~iodkit.derived.groups.shared_derivation`). Either way the Segmentation names
        its sources, so the Common Instance Reference Module is present (Table A.51-1:
        required if the Derivation Image Functional Group is present)."""
        if self.dimension_organization_type == "TILED_FULL":
            return None
        return frames.frame_references(self.sources, self.frames, self.tile_shape)

    @property
    def number_of_frames(self) -> int:
        return self.frames.number_of_frames

    # -- pixel description ----------------------------------------------------------------

    @property
    def bits_allocated(self) -> int:
        if self.segmentation_type == "BINARY":
            return 1
        if self.segmentation_type == "FRACTIONAL":
            return 8
        return 8 if max(self.segment_numbers) <= 0xFF else 16

    @property
    def photometric_interpretation(self) -> str:
        return "PALETTE COLOR" if self.palette is not None else "MONOCHROME2"

    def _pixel_description(self) -> Any:
        from iodkit.pixels import PixelDescription

        rows, columns = self.tile_shape
        bits = self.bits_allocated
        return PixelDescription(
            rows=rows,
            columns=columns,
            bits_allocated=bits,
            bits_stored=bits,
            photometric_interpretation=self.photometric_interpretation,
            number_of_frames=self.number_of_frames,
        ).checked()

    def _frame_iterator(self) -> Any:
        dtype = np.dtype(np.uint8 if self.bits_allocated <= 8 else np.uint16)
        plan = list(zip(self.frames.frame_cells, self.frames.channels, strict=True))
        return mask_frames(
            self.scanned,
            plan,
            self.segmentation_type,
            max_fractional_value=self.max_fractional_value,
            dtype=dtype,
        )

    def _native_by_cell(self, description: Any) -> np.ndarray:
        """8/16-bit native pixel data written cell by cell into one buffer: the frames of one
        plane or tile (one per segment) are made together, whatever their order in the file."""
        out, typed = encoding.native_buffer(description)
        by_cell: dict[int, list[tuple[int, int | None]]] = {}
        for k, (cell, segment) in enumerate(
            zip(self.frames.frame_cells, self.frames.channels, strict=True)
        ):
            by_cell.setdefault(cell, []).append((k, segment))
        dtype = np.dtype(np.uint8 if self.bits_allocated <= 8 else np.uint16)
        for cell, slots in by_cell.items():
            arrays = cell_frames(
                self.scanned,
                cell,
                [segment for _, segment in slots],
                self.segmentation_type,
                max_fractional_value=self.max_fractional_value,
                dtype=dtype,
            )
            for (k, _), array in zip(slots, arrays, strict=True):
                typed[k] = array
        return out

    def encode_pixels(self) -> encoding.Pixels:
        """Encode the frames: a native buffer, or encapsulated pixel data."""
        from iodkit.pixels import encode_frames, get_codec
        from iodkit.pixels.errors import PixelError

        description = self._pixel_description()
        codec = get_codec(self.transfer_syntax_uid)
        pixels = encoding.Pixels(
            description,
            self.transfer_syntax_uid,
            extended_offset_table=self.use_extended_offset_table,
        )
        try:
            codec.check(description)
            if not codec.encapsulated:
                if description.bits_allocated == 1:  # packed in frame order
                    frames_ = self._frame_iterator()
                    pixels.native = encoding.packed_native_value(frames_, description)
                else:
                    pixels.native = self._native_by_cell(description)
                return pixels
            pixels.encoded = encode_frames(
                self._frame_iterator(),
                transfer_syntax_uid=self.transfer_syntax_uid,
                description=description,
                threads=self.threads,
            )
        except PixelError as exc:
            raise SegmentationError(f"{self.segmentation_type} frames: {exc}") from exc
        return pixels

    # -- the data set -----------------------------------------------------------------------

    def _dataset_and_pixels(self) -> tuple[Dataset, encoding.Pixels]:
        pixels = self.encode_pixels()
        implicit = self.transfer_syntax_uid == ImplicitVRLittleEndian
        ds = self._metadata(implicit)
        pixels.description.apply_to(ds)
        if self.segmentation_type == "LABELMAP":
            _set_labelmap(ds, self.palette, self.icc_profile)
        if self.dimension_organization_type != "TILED_FULL":
            ds[0x52009230] = self._per_frame_items(ds, implicit)
        pixels.finish(ds)
        return ds, pixels

    def _metadata(self, implicit: bool) -> Dataset:
        """Every attribute but the per-frame items and the pixel data, from the builders.

        The two sequences with one item per source image (Source Image Sequence, Referenced
        Instance Sequence) are built with their first item and stamped for the rest."""
        from iodkit.generated import modules as m
        from iodkit.generated.iods import SegmentationIOD

        sources = self.sources
        src = sources.first
        kind = self.segmentation_type
        rows, columns = self.tile_shape
        bits = self.bits_allocated
        ident = self.identification

        # Segment Sequence: (a LABELMAP's background first, as segment 0)
        items = [s.to_item() for s in self.segments]
        if kind == "LABELMAP":
            items.insert(0, background_item(self.segments[0]))
        image = m.SegmentationImageModule(
            image_type=["DERIVED", "PRIMARY"],
            instance_number=ident.instance_number,
            **self.content.values(),
            samples_per_pixel=1,
            photometric_interpretation="MONOCHROME2",  # PALETTE COLOR set after (Sup 243)
            pixel_representation=0,
            bits_allocated=bits,
            bits_stored=bits,
            high_bit=bits - 1,
            segment_sequence=items,
            **imagemodules.lossy_compression(src),
        )
        if kind != "LABELMAP":  # LABELMAP is not an Enumerated Value in 2024c: set after
            image.segmentation_type = kind
        if kind == "FRACTIONAL":
            image.segmentation_fractional_type = self.fractional_type  # type: ignore[assignment]
            image.maximum_fractional_value = self.max_fractional_value
        overlap = self.scanned.overlap
        image.segments_overlap = "UNDEFINED" if overlap is None else ("YES" if overlap else "NO")

        iod = SegmentationIOD(
            **core.common_modules(
                SegmentationIOD,
                src,
                identification=ident,
                equipment=self.equipment,
                sop_class_uid=(
                    LABEL_MAP_SEGMENTATION_STORAGE if kind == "LABELMAP" else SEGMENTATION_STORAGE
                ),
                frame_of_reference_uid=sources.frame_of_reference_uid,
            ),
            general_series=core.general_series("SEG", ident, sources.datasets),
            segmentation_series=m.SegmentationSeriesModule(
                modality="SEG", series_number=ident.series_number
            ),
            general_image=m.GeneralImageModule(
                instance_number=ident.instance_number,
                content_date=ident.date,
                content_time=ident.time,
                patient_orientation=imagemodules.patient_orientation(sources),
            ),
            general_reference=imagemodules.general_reference(sources),
            image_pixel=m.ImagePixelModule(
                samples_per_pixel=1,
                photometric_interpretation="MONOCHROME2",
                rows=rows,
                columns=columns,
                bits_allocated=bits,
                bits_stored=bits,
                high_bit=bits - 1,
                pixel_representation=0,
            ),
            segmentation_image=image,
            multi_frame_functional_groups=m.MultiFrameFunctionalGroupsModule(
                shared_functional_groups_sequence=[
                    shared_item(SegmentationIOD.FunctionalGroups, self._shared_groups())
                ],
                number_of_frames=self.number_of_frames,
                content_date=ident.date,
                content_time=ident.time,
                instance_number=ident.instance_number,
            ),
            multi_frame_dimension=frames.dimension_module(
                sources, self.frames, self.dimension_organization_type
            ),
            **imagemodules.slide_modules(sources),
        )
        iod.common_instance_reference = imagemodules.common_instance_reference(sources)
        ds = iod.to_dataset(file_meta=True)
        imagemodules.stamp_source_references(ds, sources, implicit)
        return ds

    def _shared_groups(self) -> dict[str, Any]:
        """Pixel Measures and Plane Orientation, and Derivation Image when no frame has a
        source frame of its own (see :meth:`_frame_references`)."""
        values = frames.shared_geometry(self.sources)
        if self._frame_references() is None:
            values.update(shared_derivation(self.sources, DERIVATION_SEGMENTATION))
        return values

    # -- per-frame functional groups ------------------------------------------------------

    def _per_frame_items(self, ds: Dataset, implicit: bool) -> Any:
        """All Per-Frame Functional Groups items (see :mod:`iodkit.derived.groups`): Frame
        Content, Plane Position, Derivation Image and Segmentation (C.8.20.3.1)."""
        from iodkit.generated.iods import SegmentationIOD

        items = PerFrameItems(self.frames)
        items.frame_content()
        items.plane_positions(self.sources)
        references = self._frame_references()
        if references is not None:
            items.derivation(references, DERIVATION_SEGMENTATION)
        if self.segmentation_type != "LABELMAP":
            numbers = np.array([self.segment_numbers[s] for s in self.frames.channels])  # type: ignore[index]
            items.first["segment_identification_sequence"] = [
                {"referenced_segment_number": int(numbers[0])}
            ]
            items.add(
                (_SEGMENT_IDENTIFICATION, _REFERENCED_SEGMENT_NUMBER), binary_values(numbers, "US")
            )
        return items.encode(SegmentationIOD.FunctionalGroups, ds, implicit_vr=implicit)


def _set_labelmap(ds: Dataset, palette: np.ndarray | None, icc_profile: bytes | None) -> None:
    """The Sup 243 attributes the 2024c builders do not model (see the module docstring):
    Segmentation Type, Pixel Padding Value 0 (the background) and, for PALETTE COLOR, the
    palette (C.7.6.3.1.5) and an ICC Profile (C.11.15; sRGB unless one is given)."""
    from iodkit.derived.icc import srgb_profile
    from iodkit.pixels import set_palette_color_lut

    ds.SegmentationType = "LABELMAP"
    ds.add_new(0x00280120, "US", 0)  # Pixel Padding Value: 0 is the background
    if palette is not None:
        set_palette_color_lut(ds, palette, first_mapped=0)
        ds.add_new(0x00282000, "OB", icc_profile if icc_profile is not None else srgb_profile())
        if icc_profile is None:
            ds.ColorSpace = "SRGB"

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

The per-frame items are built once with the builders and stamped per frame by
:class:`~iodkit.seg.itemcodec.ItemTemplate` (building a pydicom Dataset per frame costs more
than everything else the writer does).
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO, Literal

import numpy as np
from iodkit.builders import EMPTY as EMPTY_
from iodkit.codes import Code
from iodkit.derived import Equipment, Identification, common_modules, general_series
from iodkit.seg import geometry
from iodkit.seg.description import SegmentDescription, background_item
from iodkit.seg.errors import SegmentationError
from iodkit.seg.itemcodec import ItemTemplate, binary_values, raw_sequence_element, text_values
from iodkit.seg.masks import ScannedMask, make_cells, normalize, scan
from iodkit.seg.masks import frames as mask_frames
from iodkit.seg.sources import SourceImages, describe_sources
from pydicom.dataset import Dataset
from pydicom.uid import UID, ExplicitVRLittleEndian, ImplicitVRLittleEndian, generate_uid

SEGMENTATION_STORAGE = "1.2.840.10008.5.1.4.1.1.66.4"
#: Label Map Segmentation Storage (Sup 243; not in the 2024c edition).
LABEL_MAP_SEGMENTATION_STORAGE = "1.2.840.10008.5.1.4.1.1.66.7"
#: DCM 113076 "Segmentation" (CID 7203 Image Derivation).
DERIVATION_SEGMENTATION = Code("113076", "DCM", "Segmentation")
#: DCM 121322 "Source image for image processing operation" (CID 7202).
PURPOSE_SOURCE_IMAGE = Code("121322", "DCM", "Source image for image processing operation")

SegmentationType = Literal["BINARY", "FRACTIONAL", "LABELMAP"]
DimensionOrganizationType = Literal["TILED_FULL", "TILED_SPARSE"]

# tags used in dimension indices and per-frame slots
_FRAME_CONTENT = 0x00209111
_DIMENSION_INDEX_VALUES = 0x00209157
_FRAME_LABEL = 0x00209453
_PLANE_POSITION = 0x00209113
_IMAGE_POSITION = 0x00200032
_PLANE_POSITION_SLIDE = 0x0048021A
_ROW_POSITION = 0x0048021F
_COLUMN_POSITION = 0x0048021E
_X_OFFSET, _Y_OFFSET, _Z_OFFSET = 0x0040072A, 0x0040073A, 0x0040074A
_SEGMENT_IDENTIFICATION = 0x0062000A
_REFERENCED_SEGMENT_NUMBER = 0x0062000B
_DERIVATION_IMAGE = 0x00089124
_SOURCE_IMAGE = 0x00082112
_REFERENCED_SOP_CLASS = 0x00081150
_REFERENCED_SOP_INSTANCE = 0x00081155
_REFERENCED_FRAME_NUMBER = 0x00081160

_NATIVE = (ExplicitVRLittleEndian, ImplicitVRLittleEndian)


@dataclass
class _Frames:
    """The frames to store, in order: the cell and segment position of each, its dimension
    index values, and the dimension index pointers they follow."""

    cells: list[int]
    segments: list[int | None]
    index_values: np.ndarray  # (frames, dimensions)
    dimensions: list[tuple[int, int, str]]  # (index pointer, functional group pointer, label)


class Segmentation:
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
    ``icc_profile`` bytes (default: a built-in sRGB profile, :mod:`iodkit.seg.icc`);
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
        self._check_options(
            fractional_type,
            palette,
            transfer_syntax_uid,
            tile_size,
            dimension_organization_type,
            omit_empty_frames,
        )
        self.palette = None if palette is None else np.asarray(palette)
        if icc_profile is not None and palette is None:
            raise SegmentationError(
                "an ICC profile is for a PALETTE COLOR label map: give a palette too"
            )
        self.icc_profile = icc_profile
        self.transfer_syntax_uid = UID(transfer_syntax_uid)
        self.use_extended_offset_table = use_extended_offset_table
        self.threads = threads
        self.content_label = content_label
        self.content_description = content_description
        self.content_creator_name = content_creator_name
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
        self.segment_numbers = self._check_segments()

        # the mask: shape, values, which cells hold which segments
        tiled = self.sources.kind == "tiled"
        if tiled:
            size = tile_size or (self.sources.rows, self.sources.columns)
            self.tile_shape: tuple[int, int] = (
                (size, size) if isinstance(size, int) else (int(size[0]), int(size[1]))
            )
            self.dimension_organization_type: str | None = (
                dimension_organization_type or "TILED_SPARSE"
            )
        else:
            self.tile_shape = (self.sources.rows, self.sources.columns)
            self.dimension_organization_type = None
        self.omit_empty_frames = (
            self.dimension_organization_type != "TILED_FULL"
            if omit_empty_frames is None
            else omit_empty_frames
        )
        array, channels = normalize(
            mask,
            self.sources.planes,
            self.sources.plane_shape,
            self.segment_numbers,
            segmentation_type,
        )
        cells = make_cells(
            self.sources.planes, self.sources.plane_shape, self.tile_shape if tiled else None
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
        self._check_encoding()
        self.identification.created = datetime.datetime.now()

    @property
    def sop_instance_uid(self) -> str:
        return self.identification.sop_instance_uid

    @property
    def series_instance_uid(self) -> str:
        return self.identification.series_instance_uid

    # -- checks ---------------------------------------------------------------------------

    def _check_options(
        self,
        fractional_type: str,
        palette: np.ndarray | None,
        transfer_syntax_uid: str,
        tile_size: object,
        dimension_organization_type: str | None,
        omit_empty_frames: bool | None,
    ) -> None:
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
        kind_of_source = self.sources.kind
        if kind_of_source != "tiled" and (tile_size is not None or dimension_organization_type):
            raise SegmentationError(
                "tile_size and dimension_organization_type are for tiled (slide) sources; "
                f"these sources are a {kind_of_source}"
            )
        if dimension_organization_type not in (None, "TILED_FULL", "TILED_SPARSE"):
            raise SegmentationError(
                f"dimension_organization_type {dimension_organization_type!r} is not "
                "TILED_FULL or TILED_SPARSE"
            )
        if dimension_organization_type == "TILED_FULL" and omit_empty_frames:
            raise SegmentationError(
                "TILED_FULL stores every tile of the total pixel matrix (PS3.3 C.7.6.17.3); "
                "omit_empty_frames=True needs TILED_SPARSE"
            )
        from iodkit.pixels import get_codec
        from iodkit.pixels.errors import PixelError

        try:
            codec = get_codec(transfer_syntax_uid)
        except PixelError as exc:
            raise SegmentationError(str(exc)) from exc
        if not codec.lossless:
            raise SegmentationError(
                f"{codec.name} is lossy; segmentations are stored losslessly (native or a "
                "lossless codec)"
            )

    def _check_encoding(self) -> None:
        """The transfer syntax must allow these pixels (PS3.5 8.2), checked before encoding."""
        from iodkit.pixels import get_codec
        from iodkit.pixels.errors import PixelError

        try:
            get_codec(self.transfer_syntax_uid).check(self._pixel_description())
        except PixelError as exc:
            raise SegmentationError(f"{self.segmentation_type} frames: {exc}") from exc

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

    def _cell_order(self) -> list[int]:
        sources = self.sources
        if sources.kind in ("series", "multiframe"):
            assert sources.orientation is not None
            return [int(i) for i in geometry.plane_order(sources.positions, sources.orientation)]
        return list(range(len(self.scanned.cells)))

    def _plan_frames(self) -> _Frames:
        scanned = self.scanned
        present = scanned.present
        omit = self.omit_empty_frames
        order = self._cell_order()
        included = [c for c in order if not omit or present[c].any()]
        kind = self.sources.kind
        dimensions: list[tuple[int, int, str]] = []
        labelmap = self.segmentation_type == "LABELMAP"
        if not labelmap:
            dimensions.append(
                (_REFERENCED_SEGMENT_NUMBER, _SEGMENT_IDENTIFICATION, "Segment Number")
            )
        position_values: dict[int, list[int]] = {}
        if kind in ("series", "multiframe"):
            dimensions.append((_IMAGE_POSITION, _PLANE_POSITION, "Image Position Patient"))
            position_values = {c: [rank] for rank, c in enumerate(included, start=1)}
        elif kind == "tiled":
            dimensions.append(
                (_ROW_POSITION, _PLANE_POSITION_SLIDE, "Row Position In Total Image Pixel Matrix")
            )
            dimensions.append(
                (
                    _COLUMN_POSITION,
                    _PLANE_POSITION_SLIDE,
                    "Column Position In Total Image Pixel Matrix",
                )
            )
            cells = scanned.cells
            row_rank = {r: i for i, r in enumerate(sorted({cells[c].row for c in included}), 1)}
            column_rank = {
                v: i for i, v in enumerate(sorted({cells[c].column for c in included}), 1)
            }
            position_values = {
                c: [row_rank[cells[c].row], column_rank[cells[c].column]] for c in included
            }
        elif labelmap:  # no frame of reference and no segment dimension: index the frame label
            dimensions.append((_FRAME_LABEL, _FRAME_CONTENT, "Frame Label"))
            position_values = {c: [1] for c in included}
        else:
            position_values = {c: [] for c in included}
        frame_cells: list[int] = []
        frame_segments: list[int | None] = []
        values: list[list[int]] = []
        if labelmap:
            for c in included:
                frame_cells.append(c)
                frame_segments.append(None)
                values.append(position_values[c])
        else:
            for j in range(len(self.segment_numbers)):
                for c in included:
                    if omit and not present[c, j]:
                        continue
                    frame_cells.append(c)
                    frame_segments.append(j)
                    values.append([j + 1, *position_values[c]])
        return _Frames(
            frame_cells,
            frame_segments,
            np.array(values, dtype=np.int64).reshape(len(values), -1),
            dimensions,
        )

    @property
    def has_derivation_image(self) -> bool:
        """Whether frames carry the Derivation Image functional group (C.7.6.16.2.6): not in
        TILED_FULL (no per-frame groups) nor when tiles do not map onto source frames. The
        Common Instance Reference Module is present exactly then (Table A.51-1)."""
        return self.dimension_organization_type != "TILED_FULL" and (
            self._frame_references() is not None
        )

    @property
    def number_of_frames(self) -> int:
        return len(self.frames.cells)

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
        plan = list(zip(self.frames.cells, self.frames.segments, strict=True))
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
        from iodkit.seg.masks import cell_frames

        length = description.native_length
        out = _padded_buffer(length)
        typed = (
            out[:length].view(description.dtype).reshape(-1, description.rows, description.columns)
        )
        by_cell: dict[int, list[tuple[int, int | None]]] = {}
        for k, (cell, segment) in enumerate(
            zip(self.frames.cells, self.frames.segments, strict=True)
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

    def encode_pixels(self) -> tuple[Any, np.ndarray | None, Any]:
        """Encode the frames: (description, native value as a uint8 array or None, encoded
        pixel data for an encapsulated transfer syntax or None)."""
        from iodkit.pixels import encode_frames, get_codec
        from iodkit.pixels.errors import PixelError

        description = self._pixel_description()
        codec = get_codec(self.transfer_syntax_uid)
        try:
            codec.check(description)
            if not codec.encapsulated:
                if description.bits_allocated == 1:  # packed in frame order
                    frames = self._frame_iterator()
                    return description, _packed_native_value(frames, description), None
                return description, self._native_by_cell(description), None
            encoded = encode_frames(
                self._frame_iterator(),
                transfer_syntax_uid=self.transfer_syntax_uid,
                description=description,
                threads=self.threads,
            )
        except PixelError as exc:
            raise SegmentationError(f"{self.segmentation_type} frames: {exc}") from exc
        return description, None, encoded

    # -- the data set -----------------------------------------------------------------------

    def to_dataset(self) -> Dataset:
        """The complete Segmentation instance as a pydicom Dataset (with File Meta
        Information), pixel data included."""
        ds, pixel = self._dataset_and_pixels()
        if isinstance(pixel, np.ndarray):
            ds.add_new(0x7FE00010, "OB" if self.bits_allocated <= 8 else "OW", pixel.tobytes())
        return ds

    def save(self, destination: str | os.PathLike[str] | BinaryIO) -> None:
        """Write the instance as a DICOM file (PS3.10): atomically to a path (a temporary file
        renamed into place), or to an open binary file. Native pixel data are written straight
        from the encoding buffer, never copied into the Dataset."""
        from iodkit.pixels import write_dataset

        ds, pixel = self._dataset_and_pixels()
        if not isinstance(pixel, np.ndarray):
            write_dataset(ds, destination)
            return
        vr = b"OB" if self.bits_allocated <= 8 else b"OW"
        implicit = self.transfer_syntax_uid == ImplicitVRLittleEndian
        header = b"\xe0\x7f\x10\x00" + (b"" if implicit else vr + b"\x00\x00")
        header += int(pixel.size).to_bytes(4, "little")
        _write_with_tail(ds, destination, header, pixel)

    def _dataset_and_pixels(self) -> tuple[Dataset, np.ndarray | None]:
        description, native, encoded = self.encode_pixels()
        implicit = self.transfer_syntax_uid == ImplicitVRLittleEndian
        ds = self._metadata(implicit)
        description.apply_to(ds)
        if self.segmentation_type == "LABELMAP":
            _set_labelmap(ds, self.palette, self.icc_profile)
        if self.dimension_organization_type != "TILED_FULL":
            ds[0x52009230] = raw_sequence_element(
                0x52009230, self._per_frame_items(ds, implicit), implicit_vr=implicit
            )
        if encoded is not None:
            encoded.apply_to(
                ds, offset_table="extended" if self.use_extended_offset_table else "basic"
            )
        ds.file_meta.TransferSyntaxUID = self.transfer_syntax_uid
        ds.set_original_encoding(
            implicit, True, ds._character_set
        )  # write the raw items as they are
        return ds, native

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
        FG = SegmentationIOD.FunctionalGroups

        # Segment Sequence: (a LABELMAP's background first, as segment 0)
        items = [s.to_item() for s in self.segments]
        if kind == "LABELMAP":
            items.insert(0, background_item(self.segments[0]))

        lossy = str(src.get("LossyImageCompression", "00")) == "01"
        image = m.SegmentationImageModule(
            image_type=["DERIVED", "PRIMARY"],
            instance_number=self.identification.instance_number,
            content_label=self.content_label,
            content_description=self.content_description or EMPTY_,
            content_creator_name=self.content_creator_name or EMPTY_,
            samples_per_pixel=1,
            photometric_interpretation="MONOCHROME2",  # PALETTE COLOR set after (Sup 243)
            pixel_representation=0,
            bits_allocated=bits,
            bits_stored=bits,
            high_bit=bits - 1,
            lossy_image_compression="01" if lossy else "00",
            segment_sequence=items,
        )
        if lossy:
            if "LossyImageCompressionRatio" in src:
                image.lossy_image_compression_ratio = [
                    float(v) for v in _as_list(src.LossyImageCompressionRatio)
                ]
            if "LossyImageCompressionMethod" in src:
                image.lossy_image_compression_method = [
                    str(v) for v in _as_list(src.LossyImageCompressionMethod)
                ]
        if kind != "LABELMAP":  # LABELMAP is not an Enumerated Value in 2024c: set after
            image.segmentation_type = kind
        if kind == "FRACTIONAL":
            image.segmentation_fractional_type = self.fractional_type  # type: ignore[assignment]
            image.maximum_fractional_value = self.max_fractional_value
        overlap = self.scanned.overlap
        image.segments_overlap = "UNDEFINED" if overlap is None else ("YES" if overlap else "NO")

        ident = self.identification
        iod = SegmentationIOD(
            **common_modules(
                SegmentationIOD,
                src,
                identification=ident,
                equipment=self.equipment,
                sop_class_uid=(
                    LABEL_MAP_SEGMENTATION_STORAGE if kind == "LABELMAP" else SEGMENTATION_STORAGE
                ),
                frame_of_reference_uid=sources.frame_of_reference_uid,
            ),
            general_series=general_series("SEG", ident, sources.datasets),
            segmentation_series=m.SegmentationSeriesModule(
                modality="SEG", series_number=ident.series_number
            ),
            general_image=m.GeneralImageModule(
                instance_number=ident.instance_number,
                content_date=ident.date,
                content_time=ident.time,
                patient_orientation=(
                    _patient_orientation(src) if sources.frame_of_reference_uid is None else None
                ),
            ),
            general_reference=m.GeneralReferenceModule(
                source_image_sequence=[_instance_reference(src)]
            ),
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
                shared_functional_groups_sequence=[self._shared_group(FG)],
                number_of_frames=self.number_of_frames,
                content_date=ident.date,
                content_time=ident.time,
                instance_number=ident.instance_number,
            ),
            multi_frame_dimension=self._dimension_module(m),
        )
        by_series = _by_series(sources.datasets)
        if self.has_derivation_image:  # the module's condition (Table A.51-1); else absent
            # one item per series, each listing its own instances (C.12.2: sources from
            # several series of the study are referenced under their own series)
            iod.common_instance_reference = m.CommonInstanceReferenceModule(
                referenced_series_sequence=[
                    {
                        "series_instance_uid": uid,
                        "referenced_instance_sequence": [_instance_reference(members[0])],
                    }
                    for uid, members in by_series.items()
                ]
            )
        if sources.kind == "tiled":
            assert sources.origin is not None and sources.orientation is not None
            iod.microscope_slide_layer_tile_organization = (
                m.MicroscopeSlideLayerTileOrganizationModule(
                    total_pixel_matrix_columns=sources.total_columns,
                    total_pixel_matrix_rows=sources.total_rows,
                    total_pixel_matrix_focal_planes=1,
                    total_pixel_matrix_origin_sequence=[
                        {
                            "x_offset_in_slide_coordinate_system": sources.origin[0],
                            "y_offset_in_slide_coordinate_system": sources.origin[1],
                            "z_offset_in_slide_coordinate_system": sources.origin[2],
                        }
                    ],
                    image_orientation_slide=sources.orientation,
                )
            )
            specimen = m.SpecimenModule.from_dataset(src)
            if any(True for _ in specimen):
                iod.specimen = specimen
        ds = iod.to_dataset(file_meta=True)
        if len(sources.datasets) > 1:
            charset = ds.get("SpecificCharacterSet")
            source_items = ds.SourceImageSequence[0]
            ds[0x00082112] = _stamped_references(
                0x00082112, source_items, sources.datasets, implicit, charset
            )
            for series_item, members in zip(
                ds.get("ReferencedSeriesSequence") or [], by_series.values(), strict=False
            ):
                if len(members) < 2:
                    continue
                series_item[0x0008114A] = _stamped_references(
                    0x0008114A,
                    series_item.ReferencedInstanceSequence[0],
                    members,
                    implicit,
                    charset,
                )
                series_item.set_original_encoding(implicit, True, ds._character_set)
        return ds

    def _shared_group(self, FG: type) -> Any:
        sources = self.sources
        values: dict[str, Any] = {}
        if sources.pixel_spacing:
            measures: dict[str, Any] = {"pixel_spacing": sources.pixel_spacing}
            thickness = sources.slice_thickness
            spacing = sources.spacing_between_slices
            if spacing is None and sources.kind in ("series", "multiframe"):
                found = geometry.volume_positions(
                    sources.positions, sources.orientation or [], allow_missing=False
                )
                if found is not None and len(sources.positions) > 1:
                    spacing = geometry.format_ds([found[0]])[0]
            if thickness is None:
                thickness = spacing
            if thickness is not None:
                measures["slice_thickness"] = thickness
            if spacing is not None and sources.kind != "tiled":
                measures["spacing_between_slices"] = spacing
            values["pixel_measures_sequence"] = [measures]
        if sources.kind in ("series", "multiframe"):
            values["plane_orientation_sequence"] = [
                {"image_orientation_patient": sources.orientation}
            ]
        # A functional group macro not used in this item must not appear at all, but the
        # generated item class fills the Type 2 Derivation Image Sequence of its macro: keep
        # the unused macros out (fill_type2=False) and hand the module a Dataset.
        return FG(**values).to_dataset(fill_type2=False)

    def _dimension_module(self, m: Any) -> Any:
        uid = generate_uid()
        module = m.MultiFrameDimensionModule(
            dimension_organization_sequence=[{"dimension_organization_uid": uid}],
        )
        if self.dimension_organization_type == "TILED_FULL":
            module.dimension_organization_type = "TILED_FULL"
            return module
        module.dimension_index_sequence = [
            {
                "dimension_organization_uid": uid,
                "dimension_index_pointer": pointer,
                "functional_group_pointer": group,
                "dimension_description_label": label,
            }
            for pointer, group, label in self.frames.dimensions
        ]
        if self.dimension_organization_type:
            module.dimension_organization_type = self.dimension_organization_type
        elif self._is_3d():
            module.dimension_organization_type = "3D"
        return module

    def _is_3d(self) -> bool:
        """3D (C.7.6.17.1): frames differ only by position, parallel and regularly spaced."""
        if self.sources.kind not in ("series", "multiframe"):
            return False
        if self.segmentation_type != "LABELMAP" and len(self.segment_numbers) > 1:
            return False
        cells = sorted(set(self.frames.cells))
        if len(cells) < 2 or len(cells) != self.number_of_frames:
            return False
        found = geometry.volume_positions(
            self.sources.positions[cells], self.sources.orientation or [], allow_missing=False
        )
        return found is not None and found[0] > 0

    # -- per-frame functional groups ------------------------------------------------------

    def _per_frame_items(self, ds: Dataset, implicit: bool) -> bytes:
        """All Per-Frame Functional Groups items: the first frame's item built with the
        builders, the rest stamped from it (see :mod:`iodkit.seg.itemcodec`)."""
        from iodkit.generated.iods import SegmentationIOD

        sources = self.sources
        frames = self.frames
        cells = self.scanned.cells
        n = self.number_of_frames
        slots: list[tuple[int, ...]] = [(_FRAME_CONTENT, _DIMENSION_INDEX_VALUES)]
        columns: list[list[bytes]] = [binary_values(frames.index_values, "UL")]
        first: dict[str, Any] = {
            "frame_content_sequence": [
                {"dimension_index_values": [int(v) for v in frames.index_values[0]]}
            ]
        }
        if sources.kind == "image" and self.segmentation_type == "LABELMAP":
            first["frame_content_sequence"][0]["frame_label"] = "Frame"
        if sources.kind in ("series", "multiframe"):
            strings = [sources.position_strings[cells[c].plane] for c in frames.cells]
            first["plane_position_sequence"] = [{"image_position_patient": strings[0]}]
            slots.append((_PLANE_POSITION, _IMAGE_POSITION))
            columns.append(text_values(strings, vr="DS"))
        elif sources.kind == "tiled":
            assert sources.origin is not None and sources.orientation is not None
            assert sources.pixel_spacing is not None
            row_positions = np.array([cells[c].row + 1 for c in frames.cells])
            column_positions = np.array([cells[c].column + 1 for c in frames.cells])
            offsets = geometry.slide_offsets(
                [float(v) for v in sources.origin],
                [float(v) for v in sources.orientation],
                [float(v) for v in sources.pixel_spacing],
                row_positions,
                column_positions,
            )
            texts = [geometry.format_ds(offsets[:, axis]) for axis in range(3)]
            first["plane_position_slide_sequence"] = [
                {
                    "x_offset_in_slide_coordinate_system": texts[0][0],
                    "y_offset_in_slide_coordinate_system": texts[1][0],
                    "z_offset_in_slide_coordinate_system": texts[2][0],
                    "column_position_in_total_image_pixel_matrix": int(column_positions[0]),
                    "row_position_in_total_image_pixel_matrix": int(row_positions[0]),
                }
            ]
            for tag, values in (
                (_X_OFFSET, texts[0]),
                (_Y_OFFSET, texts[1]),
                (_Z_OFFSET, texts[2]),
            ):
                slots.append((_PLANE_POSITION_SLIDE, tag))
                columns.append(text_values(values, vr="DS"))
            slots.append((_PLANE_POSITION_SLIDE, _COLUMN_POSITION))
            columns.append(binary_values(column_positions, "SL"))
            slots.append((_PLANE_POSITION_SLIDE, _ROW_POSITION))
            columns.append(binary_values(row_positions, "SL"))
        references = self._frame_references()
        if references is not None:
            classes, instances, numbers = references
            source_item: dict[str, Any] = {
                "referenced_sop_class_uid": classes[0],
                "referenced_sop_instance_uid": instances[0],
                "spatial_locations_preserved": "YES",
                "purpose_of_reference_code_sequence": [PURPOSE_SOURCE_IMAGE],
            }
            slots.append((_DERIVATION_IMAGE, _SOURCE_IMAGE, _REFERENCED_SOP_CLASS))
            columns.append(text_values(classes, vr="UI"))
            slots.append((_DERIVATION_IMAGE, _SOURCE_IMAGE, _REFERENCED_SOP_INSTANCE))
            columns.append(text_values(instances, vr="UI"))
            if numbers is not None:
                source_item["referenced_frame_number"] = [numbers[0]]
                slots.append((_DERIVATION_IMAGE, _SOURCE_IMAGE, _REFERENCED_FRAME_NUMBER))
                columns.append(text_values([str(v) for v in numbers], vr="IS"))
            first["derivation_image_sequence"] = [
                {
                    "derivation_code_sequence": [DERIVATION_SEGMENTATION],
                    "source_image_sequence": [source_item],
                }
            ]
        if self.segmentation_type != "LABELMAP":
            numbers_ = np.array([self.segment_numbers[s] for s in frames.segments])  # type: ignore[index]
            first["segment_identification_sequence"] = [
                {"referenced_segment_number": int(numbers_[0])}
            ]
            slots.append((_SEGMENT_IDENTIFICATION, _REFERENCED_SEGMENT_NUMBER))
            columns.append(binary_values(numbers_, "US"))
        template = SegmentationIOD.FunctionalGroups(**first).to_dataset(fill_type2=False)
        stamp = ItemTemplate(
            template, slots, implicit_vr=implicit, encodings=ds.get("SpecificCharacterSet")
        )
        assert all(len(c) == n for c in columns)
        return stamp.encode(columns)

    def _frame_references(self) -> tuple[list[str], list[str], list[int] | None] | None:
        """The source frame of each frame (Derivation Image, C.7.6.16.2.6), or None when
        frames do not map one-to-one onto source frames."""
        sources = self.sources
        frames = self.frames
        cells = self.scanned.cells
        if sources.kind == "tiled":
            if self.tile_shape != (sources.rows, sources.columns):
                return None
            ref = sources.references[0]
            numbers = [
                sources.tile_frames.get((cells[c].row + 1, cells[c].column + 1))
                for c in frames.cells
            ]
            if any(v is None for v in numbers):
                return None
            n = len(numbers)
            return [ref.sop_class_uid] * n, [ref.sop_instance_uid] * n, numbers  # type: ignore[return-value]
        refs = [sources.references[cells[c].plane] for c in frames.cells]
        classes = [r.sop_class_uid for r in refs]
        instances = [r.sop_instance_uid for r in refs]
        if sources.kind == "multiframe":
            return classes, instances, [int(r.frame_number or 0) for r in refs]
        return classes, instances, None


# -- helpers -----------------------------------------------------------------------------------


def _instance_reference(ds: Dataset) -> dict[str, str]:
    return {
        "referenced_sop_class_uid": str(ds.SOPClassUID),
        "referenced_sop_instance_uid": str(ds.SOPInstanceUID),
    }


def _stamped_references(
    tag: int, first: Dataset, datasets: Sequence[Dataset], implicit: bool, charset: Any
) -> Any:
    """A sequence of SOP instance references, one per dataset, stamped from ``first`` (the
    builder-made item)."""
    template = ItemTemplate(
        first,
        [(_REFERENCED_SOP_CLASS,), (_REFERENCED_SOP_INSTANCE,)],
        implicit_vr=implicit,
        encodings=charset,
    )
    items = template.encode(
        [
            text_values([str(d.SOPClassUID) for d in datasets], vr="UI"),
            text_values([str(d.SOPInstanceUID) for d in datasets], vr="UI"),
        ]
    )
    return raw_sequence_element(tag, items, implicit_vr=implicit)


def _by_series(images: Sequence[Dataset]) -> dict[str, list[Dataset]]:
    """The source images grouped by Series Instance UID, in the order given."""
    out: dict[str, list[Dataset]] = {}
    for ds in images:
        out.setdefault(str(ds.SeriesInstanceUID), []).append(ds)
    return out


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        return [value]
    return list(value)


def _patient_orientation(src: Dataset) -> Any:
    value = src.get("PatientOrientation")
    if value:
        return [str(v) for v in _as_list(value)]
    return EMPTY_


def _set_labelmap(ds: Dataset, palette: np.ndarray | None, icc_profile: bytes | None) -> None:
    """The Sup 243 attributes the 2024c builders do not model (see the module docstring):
    Segmentation Type, Pixel Padding Value 0 (the background) and, for PALETTE COLOR, the
    palette (C.7.6.3.1.5) and an ICC Profile (C.11.15; sRGB unless one is given)."""
    from iodkit.pixels import set_palette_color_lut
    from iodkit.seg.icc import srgb_profile

    ds.SegmentationType = "LABELMAP"
    ds.add_new(0x00280120, "US", 0)  # Pixel Padding Value: 0 is the background
    if palette is not None:
        set_palette_color_lut(ds, palette, first_mapped=0)
        ds.add_new(0x00282000, "OB", icc_profile if icc_profile is not None else srgb_profile())
        if icc_profile is None:
            ds.ColorSpace = "SRGB"


#: Samples of 1-bit frames packed per call: 1 MiB of staging, large enough for full speed.
_STAGING_SAMPLES = 1 << 20


def _padded_buffer(length: int) -> np.ndarray:
    """A uint8 buffer for a native pixel data value of ``length`` bytes, padded to even
    length (PS3.5 8.1.1) with the padding byte already 0."""
    out = np.empty(length + (length & 1), dtype=np.uint8)
    out[-1] = 0  # the padding byte (and the unused bits of the last 1-bit byte)
    return out


def _packed_native_value(frames: Any, description: Any) -> np.ndarray:
    """The native value of 1-bit frames in one preallocated buffer: packed back to back in
    groups (:func:`iodkit.pixels.pack_bits`) in frame order."""
    from iodkit.pixels import pack_bits
    from iodkit.pixels.bitpacking import frames_per_group

    out = _padded_buffer(description.native_length)
    rows, columns = description.rows, description.columns
    group = frames_per_group(rows * columns, target_samples=_STAGING_SAMPLES)
    staging = np.empty((group, rows, columns), dtype=bool)
    filled = 0
    at = 0
    for frame in frames:
        staging[filled] = frame
        filled += 1
        if filled == group:
            packed = pack_bits(staging, pad=False)
            out[at : at + len(packed)] = np.frombuffer(packed, dtype=np.uint8)
            at += len(packed)
            filled = 0
    if filled:
        packed = pack_bits(staging[:filled], pad=False)
        out[at : at + len(packed)] = np.frombuffer(packed, dtype=np.uint8)
    return out


def _write_with_tail(
    ds: Dataset, destination: str | os.PathLike[str] | BinaryIO, header: bytes, value: np.ndarray
) -> None:
    """Write ``ds`` then one more element (``header`` + ``value``, the last tag in the file),
    atomically when ``destination`` is a path."""
    import pydicom
    from iodkit.pixels.files import write_atomically

    def write(fp: BinaryIO) -> None:
        pydicom.dcmwrite(fp, ds, enforce_file_format=True)
        fp.write(header)
        fp.write(value.data)

    write_atomically(destination, write)

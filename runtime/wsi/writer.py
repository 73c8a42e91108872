"""Write one level of a VL Whole Slide Microscopy Image (PS3.3 A.32.8) from a NumPy array.

:class:`SlideImage` takes the level's total pixel matrix — ``(rows, columns)`` uint8
grayscale (MONOCHROME2) or ``(rows, columns, 3)`` uint8 RGB — cuts it into tiles stored
TILED_FULL (C.7.6.17.3: row by row, edge tiles padded, no per-frame groups and no dimension
index), and places it in the slide coordinate system (C.8.12.2.1) from the pixel spacing, the
origin of the matrix (the centre of its first pixel, in mm from the slide corner) and Image
Orientation (Slide). Patient, study and specimen come from a reference dataset when given (a
slide of the same specimen, a requisition), else a new study of an anonymous patient is made.

What is written (PS3.3 2024c): Whole Slide Microscopy Series (Modality SM), Frame of Reference
(Position Reference Indicator SLIDE_CORNER), Microscope Slide Layer Tile Organization, Whole
Slide Microscopy Image (Image Type ORIGINAL\\PRIMARY\\VOLUME\\NONE, imaged volume, focus),
Optical Path (one brightfield, full-spectrum path; an sRGB ICC Profile for RGB), Specimen
(container and one specimen; ``container_identifier``/``specimen_identifier``), shared
functional groups Pixel Measures, Optical Path Identification and Whole Slide Microscopy Image
Frame Type, and the common modules of :mod:`iodkit.derived`.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from iodkit.codes import Code
from iodkit.derived import encoding
from iodkit.derived import modules as core
from iodkit.derived.errors import DerivedObjectError, errors_as
from iodkit.derived.frames import make_cells, padded_region
from iodkit.derived.geometry import format_ds
from iodkit.derived.groups import shared_item
from iodkit.derived.references import SourceInstances
from pydicom.dataset import Dataset
from pydicom.uid import UID, ExplicitVRLittleEndian, generate_uid

VL_WHOLE_SLIDE_MICROSCOPY_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.77.1.6"
#: DCM 111744 "Brightfield illumination" (CID 8123) and SCT 414298005 "Full Spectrum" (CID 8122).
BRIGHTFIELD = Code("111744", "DCM", "Brightfield illumination")
FULL_SPECTRUM = Code("414298005", "SCT", "Full Spectrum")
IMAGE_TYPE = ["ORIGINAL", "PRIMARY", "VOLUME", "NONE"]


class SlideImageError(DerivedObjectError):
    """The inputs cannot make a valid whole slide image level."""


def _new_study(when: datetime.datetime) -> Dataset:
    """An unidentified patient and a new study dated ``when``, for a slide written without a
    reference. The patient gets a new Patient ID of its own (archives and DICOMDIRs file
    instances by it — dciodvfy warns when it is empty); the other Type 2 attributes stay
    empty: nothing is known."""
    ds = Dataset()
    ds.PatientName = ""
    ds.PatientID = f"IODKIT-{uuid.uuid4().hex[:16].upper()}"
    ds.PatientBirthDate = ""
    ds.PatientSex = ""
    ds.StudyInstanceUID = generate_uid()
    ds.StudyID = "1"
    ds.AccessionNumber = ""
    ds.ReferringPhysicianName = ""
    ds.StudyDate = when.strftime("%Y%m%d")
    ds.StudyTime = when.strftime("%H%M%S")
    return ds


class SlideImage(encoding.Writes):
    """A whole slide image level to be written (see the module docstring).

    ``pixels``: (rows, columns) or (rows, columns, 3) uint8. ``pixel_spacing`` (mm between
    rows, between columns); ``origin`` (x, y) mm of the first pixel's centre in the slide
    coordinate system; ``image_orientation_slide`` (default: rows along −y, columns along −x,
    the usual scanner layout); ``tile_size``; ``reference`` a Dataset whose patient, study and
    specimen are copied (without one: a new study of an unidentified patient with a new
    Patient ID); ``body_part_examined`` the PS3.16 Annex L term of what the slide shows (General
    Series, e.g. "COLON"), with ``laterality`` R or L when Annex L lists it as paired (General
    Series Laterality, Type 2C); ``transfer_syntax_uid`` any of :mod:`iodkit.pixels` (lossy
    ones set Lossy Image Compression); ``identification`` and ``equipment`` as
    :mod:`iodkit.derived` makes them.
    """

    def __init__(
        self,
        pixels: np.ndarray,
        *,
        pixel_spacing: tuple[float, float] = (0.0005, 0.0005),
        origin: tuple[float, float] = (0.0, 0.0),
        image_orientation_slide: Sequence[float] = (0.0, -1.0, 0.0, -1.0, 0.0, 0.0),
        slice_thickness: float = 0.01,
        tile_size: int | tuple[int, int] = 256,
        reference: Dataset | None = None,
        container_identifier: str = "SLIDE-1",
        specimen_identifier: str = "SPECIMEN-1",
        body_part_examined: str | None = None,
        laterality: Literal["R", "L"] | None = None,
        frame_of_reference_uid: str | None = None,
        transfer_syntax_uid: str = ExplicitVRLittleEndian,
        acquisition_datetime: datetime.datetime | None = None,
        identification: core.Identification | None = None,
        equipment: core.Equipment | None = None,
        threads: int | None = None,
    ) -> None:
        array = np.asarray(pixels)
        if array.dtype != np.uint8 or not (
            array.ndim == 2 or (array.ndim == 3 and array.shape[2] == 3)
        ):
            raise SlideImageError(
                f"slide pixels must be (rows, columns) or (rows, columns, 3) uint8, got shape "
                f"{array.shape} dtype {array.dtype}"
            )
        if array.size == 0:
            raise SlideImageError(f"the slide is empty (shape {array.shape})")
        self.pixels = array
        self.color = array.ndim == 3
        size = (tile_size, tile_size) if isinstance(tile_size, int) else tuple(tile_size)
        if len(size) != 2 or min(size) < 1 or max(size) > 0xFFFF:
            raise SlideImageError(f"tile_size {tile_size} is not within 1…65535")
        self.tile_shape: tuple[int, int] = (int(size[0]), int(size[1]))
        spacing = tuple(float(v) for v in pixel_spacing)
        if len(spacing) != 2 or not all(np.isfinite(spacing)) or min(spacing) <= 0:
            raise SlideImageError(
                f"pixel_spacing must be two positive numbers (mm), got {pixel_spacing}"
            )
        self.pixel_spacing = spacing
        orientation = [float(v) for v in image_orientation_slide]
        rows_dir, columns_dir = np.array(orientation[:3]), np.array(orientation[3:])
        if (
            len(orientation) != 6
            or not np.isclose(rows_dir @ columns_dir, 0.0, atol=1e-6)
            or not (
                np.isclose(np.linalg.norm(rows_dir), 1)
                and np.isclose(np.linalg.norm(columns_dir), 1)
            )
        ):
            raise SlideImageError(
                "image_orientation_slide must be two orthogonal unit vectors (C.8.12.4.1.1)"
            )
        self.orientation = orientation
        self.origin = (float(origin[0]), float(origin[1]))
        self.slice_thickness = float(slice_thickness)
        if reference is not None:
            with errors_as(SlideImageError):
                SourceInstances([reference], what="reference")
        self.acquisition_datetime = acquisition_datetime or datetime.datetime.now()
        self.reference = (
            reference if reference is not None else _new_study(self.acquisition_datetime)
        )
        self.series_anatomy = _series_anatomy(body_part_examined, laterality)
        self.container_identifier = container_identifier
        self.specimen_identifier = specimen_identifier
        self.frame_of_reference_uid = frame_of_reference_uid or generate_uid()
        self.transfer_syntax_uid = UID(transfer_syntax_uid)
        with errors_as(SlideImageError):
            self.codec = encoding.codec_for(self.transfer_syntax_uid, what="slides", lossless=False)
        self.threads = threads
        self.identification = identification or core.Identification.of(series_number=1)
        self.equipment = equipment or core.Equipment.of()
        self.cells = make_cells(1, array.shape[:2], self.tile_shape)
        with errors_as(SlideImageError):
            encoding.check_encoding(self._description(), self.transfer_syntax_uid, what="tiles")

    @property
    def number_of_frames(self) -> int:
        return len(self.cells)

    def _description(self) -> Any:
        from iodkit.pixels import PixelDescription

        rows, columns = self.tile_shape
        return PixelDescription(
            rows=rows,
            columns=columns,
            bits_allocated=8,
            bits_stored=8,
            samples_per_pixel=3 if self.color else 1,
            photometric_interpretation="RGB" if self.color else "MONOCHROME2",
            number_of_frames=self.number_of_frames,
        ).checked()

    def _tiles(self) -> Any:
        planes = self.pixels[np.newaxis]
        for cell in self.cells:
            yield padded_region(planes, cell, self.tile_shape)

    def encode_pixels(self) -> encoding.Pixels:
        tiles = [np.ascontiguousarray(t) for t in self._tiles()]
        return encoding.encode(
            tiles, self._description(), self.transfer_syntax_uid, threads=self.threads
        )

    def _dataset_and_pixels(self) -> tuple[Dataset, encoding.Pixels]:
        pixels = self.encode_pixels()
        ds = self._metadata()
        pixels.finish(ds)  # a YBR codec sets its own Photometric Interpretation
        return ds, pixels

    def _metadata(self) -> Dataset:
        from iodkit.derived.icc import srgb_profile
        from iodkit.generated import modules as m
        from iodkit.generated.iods import VLWholeSlideMicroscopyImageIOD as IOD
        from iodkit.generated.modules.microscope_slide_layer_tile_organization_module import (
            TotalPixelMatrixOriginSequenceItem,
        )
        from iodkit.generated.modules.multi_frame_dimension_module import (
            DimensionOrganizationSequenceItem,
        )
        from iodkit.generated.modules.optical_path_module import OpticalPathSequenceItem
        from iodkit.generated.modules.specimen_macro import SpecimenDescriptionSequenceItem

        ident = self.identification
        rows, columns = self.tile_shape
        total_rows, total_columns = self.pixels.shape[:2]
        samples = 3 if self.color else 1
        photometric: Literal["RGB", "MONOCHROME2"] = "RGB" if self.color else "MONOCHROME2"
        lossy = not self.codec.lossless
        modules = core.common_modules(
            IOD,
            self.reference,
            identification=ident,
            equipment=self.equipment,
            frame_of_reference_uid=self.frame_of_reference_uid,
        )
        modules["frame_of_reference"].position_reference_indicator = "SLIDE_CORNER"
        if "specimen" not in modules:
            # Type 2 issuers, container type and preparation are written empty by the builders
            modules["specimen"] = m.SpecimenModule(
                container_identifier=self.container_identifier,
                specimen_description_sequence=[
                    SpecimenDescriptionSequenceItem(
                        specimen_identifier=self.specimen_identifier,
                        specimen_uid=generate_uid(),
                    )
                ],
            )
        path: dict[str, Any] = {
            "optical_path_identifier": "1",
            "illumination_type_code_sequence": [BRIGHTFIELD],
            "illumination_color_code_sequence": [FULL_SPECTRUM],
        }
        if self.color:
            path["icc_profile"] = srgb_profile()
            path["color_space"] = "SRGB"
        date_time = self.acquisition_datetime.strftime("%Y%m%d%H%M%S")
        image = m.WholeSlideMicroscopyImageModule(
            image_type=IMAGE_TYPE,
            imaged_volume_width=total_columns * self.pixel_spacing[1],
            imaged_volume_height=total_rows * self.pixel_spacing[0],
            imaged_volume_depth=self.slice_thickness * 1000.0,  # µm (C.8.12.4.1.2)
            samples_per_pixel=samples,
            photometric_interpretation=photometric,
            number_of_frames=self.number_of_frames,
            bits_allocated=8,
            bits_stored=8,
            high_bit=7,
            pixel_representation=0,
            acquisition_date_time=date_time,
            lossy_image_compression="01" if lossy else "00",
            volumetric_properties="VOLUME",
            specimen_label_in_image="NO",
            burned_in_annotation="NO",
            focus_method="AUTO",
            extended_depth_of_field="NO",
        )
        if self.color:
            image.planar_configuration = 0
        else:  # Type 1C for MONOCHROME2 (C.8.12.4): an identity modality transformation
            image.presentation_lut_shape = "IDENTITY"
            image.rescale_intercept = 0.0
            image.rescale_slope = 1.0
        iod = IOD(
            **modules,
            general_series=core.general_series("SM", ident, **self.series_anatomy),
            whole_slide_microscopy_series=m.WholeSlideMicroscopySeriesModule(modality="SM"),
            general_acquisition=m.GeneralAcquisitionModule(acquisition_date_time=date_time),
            general_image=m.GeneralImageModule(
                instance_number=ident.instance_number,
                content_date=ident.date,
                content_time=ident.time,
            ),
            microscope_slide_layer_tile_organization=m.MicroscopeSlideLayerTileOrganizationModule(
                total_pixel_matrix_columns=total_columns,
                total_pixel_matrix_rows=total_rows,
                total_pixel_matrix_focal_planes=1,
                total_pixel_matrix_origin_sequence=[
                    TotalPixelMatrixOriginSequenceItem(
                        x_offset_in_slide_coordinate_system=self.origin[0],
                        y_offset_in_slide_coordinate_system=self.origin[1],
                    )
                ],
                image_orientation_slide=self.orientation,
            ),
            image_pixel=m.ImagePixelModule(
                samples_per_pixel=samples,
                photometric_interpretation=photometric,
                rows=rows,
                columns=columns,
                bits_allocated=8,
                bits_stored=8,
                high_bit=7,
                pixel_representation=0,
                planar_configuration=0 if self.color else None,
            ),
            acquisition_context=m.AcquisitionContextModule(),
            multi_frame_functional_groups=m.MultiFrameFunctionalGroupsModule(
                shared_functional_groups_sequence=[
                    shared_item(
                        IOD.FunctionalGroups,
                        {
                            "pixel_measures_sequence": [
                                {
                                    "pixel_spacing": format_ds(self.pixel_spacing),
                                    "slice_thickness": format_ds([self.slice_thickness])[0],
                                }
                            ],
                            "optical_path_identification_sequence": [
                                {"optical_path_identifier": "1"}
                            ],
                            "whole_slide_microscopy_image_frame_type_sequence": [
                                {"frame_type": IMAGE_TYPE}
                            ],
                        },
                    )
                ],
                number_of_frames=self.number_of_frames,
                content_date=ident.date,
                content_time=ident.time,
                instance_number=ident.instance_number,
            ),
            multi_frame_dimension=m.MultiFrameDimensionModule(
                dimension_organization_sequence=[
                    DimensionOrganizationSequenceItem(dimension_organization_uid=generate_uid())
                ],
                dimension_organization_type="TILED_FULL",
            ),
            whole_slide_microscopy_image=image,
            optical_path=m.OpticalPathModule(
                number_of_optical_paths=1, optical_path_sequence=[OpticalPathSequenceItem(**path)]
            ),
            common_instance_reference=m.CommonInstanceReferenceModule(),
        )
        return iod.to_dataset(file_meta=True)


def _series_anatomy(body_part: str | None, laterality: str | None) -> dict[str, Any]:
    """General Series Body Part Examined and Laterality of a slide (C.7.3.1): Laterality,
    whose Enumerated Values are R and L, only with a body part, and required (Type 2C) when
    PS3.16 Annex L lists the body part as paired."""
    if laterality is not None and laterality not in core.SERIES_LATERALITY:
        raise SlideImageError(
            f"laterality {laterality!r}: General Series Laterality is R or L (C.7.3.1)"
        )
    if body_part is None:
        if laterality is not None:
            raise SlideImageError("laterality is of a paired body part: give body_part_examined")
        return {}
    values: dict[str, Any] = {"body_part_examined": body_part}
    paired = core.body_part_paired(body_part)
    if laterality is not None:
        if paired is False:
            raise SlideImageError(
                f"{body_part} is not a paired structure (PS3.16 Annex L): no laterality"
            )
        values["laterality"] = laterality
    elif paired:
        raise SlideImageError(
            f"{body_part} is a paired structure (PS3.16 Annex L): give laterality='R' or 'L' "
            "(General Series Laterality, Type 2C, C.7.3.1)"
        )
    return values

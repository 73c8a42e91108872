"""Synthetic source images for demos, tests and benchmarks: no files, no network.

Segmentations are derived from source images (PS3.3 C.8.20, A.51); to show and measure the
writer without real patient data this module builds the source data sets in memory:

* :func:`ct_series` — a single-frame CT series (CT Image IOD, PS3.3 A.3) of a phantom: a body
  ellipse of soft tissue holding a "liver" ellipsoid, a "spleen" ellipsoid and a ring of bone;
* :func:`enhanced_mr` — one Enhanced MR Image (A.36.2) whose frames carry the Plane Position and
  Plane Orientation functional groups (C.7.6.16.2.3–4);
* :func:`slide_image` — a VL Whole Slide Microscopy Image (A.32.8) level stored TILED_FULL
  (C.7.6.17.3), metadata only;
* :func:`photograph` — a single image without a Frame of Reference (Secondary Capture, A.8.1).

Pixel data are added only where asked (``with_pixels``): the segmentation writer needs the
metadata alone.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from iodkit.pixels.description import PixelDescription
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import PYDICOM_IMPLEMENTATION_UID, ExplicitVRLittleEndian, generate_uid

CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2"
ENHANCED_MR_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.4.1"
VL_WHOLE_SLIDE_MICROSCOPY_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.77.1.6"
SECONDARY_CAPTURE_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.7"

#: Hounsfield units of the phantom's materials.
AIR, SOFT_TISSUE, LIVER, SPLEEN, BONE = -1000, 40, 60, 50, 700


def _patient_and_study(ds: Dataset, study_uid: str) -> None:
    ds.PatientName = "Phantom^Synthetic"
    ds.PatientID = "IODKIT-PHANTOM"
    ds.PatientBirthDate = "19700101"
    ds.PatientSex = "O"
    ds.StudyInstanceUID = study_uid
    ds.StudyDate = "20240311"
    ds.StudyTime = "101500"
    ds.StudyID = "1"
    ds.AccessionNumber = "A1"
    ds.ReferringPhysicianName = ""


def _file_meta(ds: Dataset) -> None:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    ds.file_meta = meta


def phantom(slices: int, rows: int, columns: int) -> np.ndarray:
    """A CT phantom in Hounsfield units (int16), shaped (slices, rows, columns).

    Built slice by slice from broadcast coordinates, so memory stays at the output plus two
    slices of temporaries.
    """
    out = np.empty((slices, rows, columns), dtype=np.int16)
    y = (np.arange(rows, dtype=np.float32)[:, None] - rows / 2) / (rows / 2)
    x = (np.arange(columns, dtype=np.float32)[None, :] - columns / 2) / (columns / 2)
    body = (x / 0.85) ** 2 + (y / 0.65) ** 2
    for k in range(slices):
        z = (k - slices / 2) / max(1.0, slices / 2)
        plane = out[k]
        plane.fill(AIR)
        plane[body <= 1.0] = SOFT_TISSUE
        plane[(body > 0.80) & (body <= 0.92)] = BONE
        liver = ((x + 0.30) / 0.35) ** 2 + ((y + 0.05) / 0.30) ** 2 + (z / 0.55) ** 2
        plane[liver <= 1.0] = LIVER
        spleen = ((x - 0.45) / 0.15) ** 2 + ((y - 0.10) / 0.15) ** 2 + ((z - 0.1) / 0.35) ** 2
        plane[spleen <= 1.0] = SPLEEN
    return out


def ct_series(
    slices: int = 40,
    rows: int = 64,
    columns: int = 64,
    *,
    pixel_spacing: tuple[float, float] = (0.75, 0.75),
    slice_spacing: float = 2.5,
    with_pixels: bool = True,
    volume: np.ndarray | None = None,
    study_uid: str | None = None,
    frame_of_reference_uid: str | None = None,
) -> list[Dataset]:
    """A CT series of ``slices`` single-frame images, in slice order (feet to head).

    ``with_pixels`` stores the :func:`phantom` (or ``volume``) as 16-bit signed Pixel Data with
    Rescale Intercept 0; without it the data sets carry the metadata only.
    """
    study_uid = study_uid or generate_uid()
    series_uid = generate_uid()
    frame_of_reference_uid = frame_of_reference_uid or generate_uid()
    if with_pixels and volume is None:
        volume = phantom(slices, rows, columns)
    pixels = PixelDescription(rows, columns, 16, 16, pixel_representation=1).checked()
    images = []
    for k in range(slices):
        ds = Dataset()
        ds.SOPClassUID = CT_IMAGE_STORAGE
        ds.SOPInstanceUID = generate_uid()
        _patient_and_study(ds, study_uid)
        ds.Modality = "CT"
        ds.SeriesInstanceUID = series_uid
        ds.SeriesNumber = 1
        ds.PatientPosition = "HFS"  # Type 2C in General Series: required for CT (C.7.3.1)
        ds.InstanceNumber = k + 1
        ds.AcquisitionNumber = 1  # Type 2 in CT Image (C.8.2.1): one acquisition
        ds.FrameOfReferenceUID = frame_of_reference_uid
        ds.PositionReferenceIndicator = ""
        ds.Manufacturer = "iodkit"
        ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
        ds.BodyPartExamined = "ABDOMEN"  # the phantom's liver and spleen
        ds.ContentDate = "20240311"
        ds.ContentTime = "101500"
        ds.ImagePositionPatient = [
            -pixel_spacing[1] * columns / 2,
            -pixel_spacing[0] * rows / 2,
            k * slice_spacing,
        ]
        ds.ImageOrientationPatient = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]
        ds.PixelSpacing = list(pixel_spacing)
        ds.SliceThickness = slice_spacing
        ds.KVP = 120
        pixels.apply_to(ds)
        ds.RescaleIntercept = 0
        ds.RescaleSlope = 1
        ds.RescaleType = "HU"
        ds.LossyImageCompression = "00"
        if with_pixels and volume is not None:
            ds.PixelData = np.ascontiguousarray(volume[k], dtype="<i2").tobytes()
        _file_meta(ds)
        images.append(ds)
    return images


def enhanced_mr(
    frames: int = 12,
    rows: int = 48,
    columns: int = 40,
    *,
    pixel_spacing: tuple[float, float] = (1.0, 1.0),
    slice_spacing: float = 3.0,
    orientation: Sequence[float] = (1.0, 0.0, 0.0, 0.0, 0.0, -1.0),
) -> Dataset:
    """An Enhanced MR Image (metadata only) of ``frames`` parallel frames, in position order.

    The default orientation is coronal (rows along −z), so geometry code that assumes axial
    slices fails here.
    """
    ds = Dataset()
    ds.SOPClassUID = ENHANCED_MR_IMAGE_STORAGE
    ds.SOPInstanceUID = generate_uid()
    _patient_and_study(ds, generate_uid())
    ds.Modality = "MR"
    ds.SeriesInstanceUID = generate_uid()
    ds.SeriesNumber = 1
    ds.InstanceNumber = 1
    ds.FrameOfReferenceUID = generate_uid()
    ds.PositionReferenceIndicator = ""
    ds.Manufacturer = "iodkit"
    ds.ImageType = ["ORIGINAL", "PRIMARY", "M", "NONE"]
    ds.NumberOfFrames = frames  # present even for one frame (multi-frame IOD)
    PixelDescription(rows, columns, 16, 12, number_of_frames=frames).checked().apply_to(ds)
    measures = Dataset()
    measures.PixelSpacing = list(pixel_spacing)
    measures.SliceThickness = slice_spacing
    plane_orientation = Dataset()
    plane_orientation.ImageOrientationPatient = list(orientation)
    shared = Dataset()
    shared.PixelMeasuresSequence = [measures]
    shared.PlaneOrientationSequence = [plane_orientation]
    ds.SharedFunctionalGroupsSequence = [shared]
    row_cosines = np.array(orientation[:3], dtype=float)
    column_cosines = np.array(orientation[3:], dtype=float)
    normal = np.cross(row_cosines, column_cosines)
    per_frame = []
    for k in range(frames):
        position = Dataset()
        origin = np.array([-20.0, 15.0, 30.0]) + normal * slice_spacing * k
        position.ImagePositionPatient = [round(float(v), 6) for v in origin]
        item = Dataset()
        item.PlanePositionSequence = [position]
        per_frame.append(item)
    ds.PerFrameFunctionalGroupsSequence = per_frame
    _file_meta(ds)
    return ds


def slide_image(
    total_rows: int = 50,
    total_columns: int = 50,
    *,
    tile_size: int = 10,
    pixel_spacing: tuple[float, float] = (0.0005, 0.0005),
    origin: tuple[float, float] = (20.0, 30.0),
) -> Dataset:
    """A VL Whole Slide Microscopy Image level stored TILED_FULL (metadata only)."""
    ds = Dataset()
    ds.SOPClassUID = VL_WHOLE_SLIDE_MICROSCOPY_IMAGE_STORAGE
    ds.SOPInstanceUID = generate_uid()
    _patient_and_study(ds, generate_uid())
    ds.Modality = "SM"
    ds.SeriesInstanceUID = generate_uid()
    ds.SeriesNumber = 1
    ds.InstanceNumber = 1
    ds.FrameOfReferenceUID = generate_uid()
    ds.PositionReferenceIndicator = "SLIDE_CORNER"
    ds.Manufacturer = "iodkit"
    ds.ImageType = ["ORIGINAL", "PRIMARY", "VOLUME", "NONE"]
    ds.TotalPixelMatrixRows = total_rows
    ds.TotalPixelMatrixColumns = total_columns
    ds.TotalPixelMatrixFocalPlanes = 1
    tiles = -(-total_rows // tile_size) * -(-total_columns // tile_size)
    ds.NumberOfFrames = tiles  # present even for one tile (multi-frame IOD)
    ds.DimensionOrganizationType = "TILED_FULL"
    PixelDescription(
        tile_size,
        tile_size,
        8,
        8,
        samples_per_pixel=3,
        photometric_interpretation="RGB",
        number_of_frames=tiles,
    ).checked().apply_to(ds)
    origin_item = Dataset()
    origin_item.XOffsetInSlideCoordinateSystem = origin[0]
    origin_item.YOffsetInSlideCoordinateSystem = origin[1]
    ds.TotalPixelMatrixOriginSequence = [origin_item]
    ds.ImageOrientationSlide = [0.0, -1.0, 0.0, -1.0, 0.0, 0.0]
    measures = Dataset()
    measures.PixelSpacing = list(pixel_spacing)
    measures.SliceThickness = 0.01
    shared = Dataset()
    shared.PixelMeasuresSequence = [measures]
    ds.SharedFunctionalGroupsSequence = [shared]
    ds.ContainerIdentifier = "SLIDE-1"
    ds.IssuerOfTheContainerIdentifierSequence = []
    container_type = Dataset()
    container_type.CodeValue = "433466003"
    container_type.CodingSchemeDesignator = "SCT"
    container_type.CodeMeaning = "Microscope slide"
    ds.ContainerTypeCodeSequence = [container_type]
    specimen = Dataset()
    specimen.SpecimenIdentifier = "SPECIMEN-1"
    specimen.SpecimenUID = generate_uid()
    specimen.IssuerOfTheSpecimenIdentifierSequence = []
    specimen.SpecimenPreparationSequence = []
    ds.SpecimenDescriptionSequence = [specimen]
    _file_meta(ds)
    return ds


def photograph(rows: int = 32, columns: int = 48) -> Dataset:
    """A single Secondary Capture image with no Frame of Reference (metadata only)."""
    ds = Dataset()
    ds.SOPClassUID = SECONDARY_CAPTURE_IMAGE_STORAGE
    ds.SOPInstanceUID = generate_uid()
    _patient_and_study(ds, generate_uid())
    ds.Modality = "OT"
    ds.ConversionType = "WSD"
    ds.SeriesInstanceUID = generate_uid()
    ds.SeriesNumber = 1
    ds.InstanceNumber = 1
    ds.PatientOrientation = ["L", "F"]
    PixelDescription(rows, columns, 8, 8).checked().apply_to(ds)
    _file_meta(ds)
    return ds


def threshold_masks(volume: np.ndarray) -> dict[str, np.ndarray]:
    """The demo's "model": bone, liver and spleen by Hounsfield thresholds (bool volumes)."""
    return {
        "bone": volume >= 300,
        "liver": (volume >= 55) & (volume < 70),
        "spleen": (volume >= 45) & (volume < 55),
    }


__all__ = [
    "CT_IMAGE_STORAGE",
    "ENHANCED_MR_IMAGE_STORAGE",
    "SECONDARY_CAPTURE_IMAGE_STORAGE",
    "VL_WHOLE_SLIDE_MICROSCOPY_IMAGE_STORAGE",
    "ct_series",
    "enhanced_mr",
    "phantom",
    "photograph",
    "slide_image",
    "threshold_masks",
]

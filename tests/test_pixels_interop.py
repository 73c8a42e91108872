"""Interoperability: iodkit reads real files as pydicom and highdicom do, and they read ours.

Real files come from ``../shared/testdata`` (the ``testdata`` fixture; skipped when absent).
The test data has no JPEG 2000 file and no float Parametric Map, so those come from pydicom's
bundled test files and from highdicom's ParametricMap writer (software written by others).
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pydicom
import pytest
from iodkit.pixels import FrameReader, encode_frames, write_dataset
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import (
    DeflatedExplicitVRLittleEndian,
    ExplicitVRLittleEndian,
    HTJ2KLossless,
    JPEG2000Lossless,
    JPEGBaseline8Bit,
    JPEGLSLossless,
    RLELossless,
    generate_uid,
)

hd = pytest.importorskip("highdicom")

REAL_FILES = [
    "highdicom/sm_image_jpegls.dcm",  # JPEG-LS WSI, Basic Offset Table
    "highdicom/sm_image_jpegls_nobot.dcm",  # JPEG-LS WSI, empty Basic Offset Table
    "fodicom/D_CLUNIE_CT1_RLE_FRAGS.dcm",  # RLE, one frame in several fragments
    "highdicom/seg_image_ct_binary.dcm",  # 1-bit SEG, implicit VR
    "highdicom/seg_image_ct_binary_overlap.dcm",
    "highdicom/seg_image_sm_dots_tiled_full.dcm",  # TILED_FULL SEG, 1250 1-bit frames
    "highdicom/seg_image_sm_numbers.dcm",
    "dcmqi/sr-example_seg.dcm",  # 1-bit SEG, 13 frames from dcmqi
    "dcmqi/segmentations_partial_overlaps.dcm",
    "highdicom/seg_image_sm_control_labelmap_palette_color.dcm",  # PALETTE COLOR label map
    "highdicom/sm_image.dcm",  # native RGB WSI
    "highdicom/sm_image_grayscale.dcm",
    "fodicom/MOVEKNEE.dcm",  # Enhanced MR, 19 frames
    "fodicom/DIRW0007.dcm",  # JPEG Baseline US, 65 frames YBR_FULL_422
    "fodicom/HasFragmentSequence.dcm",  # JPEG Baseline XA, 96 frames
    "pynetdicom/RTImageStorage.dcm",
]

PYDICOM_FILES = [
    "MR_small_jp2klossless.dcm",
    "J2K_pixelrep_mismatch.dcm",
    "MR_small_jpeg_ls_lossless.dcm",
    "693_J2KI.dcm",
    "JPEG2000.dcm",
    "MR_small_RLE.dcm",
    "SC_rgb_rle_2frame.dcm",
    "image_dfl.dcm",
]


def _frames(ds: Dataset) -> np.ndarray:
    array = ds.pixel_array
    return array if int(ds.get("NumberOfFrames", 1) or 1) > 1 else array[np.newaxis]


@pytest.mark.parametrize("name", REAL_FILES)
def test_real_files_decode_like_pydicom(testdata: Path, name: str) -> None:
    path = testdata / name
    if not path.exists():
        pytest.skip(f"{name} not in the test data")
    expected = _frames(pydicom.dcmread(path))
    with FrameReader(path) as reader:
        assert reader.number_of_frames == len(expected)
        ours = reader.read_frames()
        np.testing.assert_array_equal(ours, expected)
        last = reader.read_frame(len(expected) - 1)  # random access after sequential reads
        np.testing.assert_array_equal(last, expected[-1])


@pytest.mark.parametrize(
    "name",
    [n for n in REAL_FILES if "RLE_FRAGS" not in n and "RTImage" not in n and "MOVEKNEE" not in n],
)
def test_real_files_decode_like_highdicom(testdata: Path, name: str) -> None:
    path = testdata / name
    if not path.exists():
        pytest.skip(f"{name} not in the test data")
    with hd.io.ImageFileReader(path) as theirs, FrameReader(path) as ours:
        assert ours.number_of_frames == theirs.number_of_frames
        step = max(1, ours.number_of_frames // 40)
        for index in range(0, ours.number_of_frames, step):
            np.testing.assert_array_equal(
                ours.read_frame(index), theirs.read_frame(index, correct_color=False)
            )


@pytest.mark.parametrize("name", PYDICOM_FILES)
def test_pydicom_bundled_files_decode_like_pydicom(name: str) -> None:
    from pydicom.data import get_testdata_file

    path = get_testdata_file(name)
    if path is None:
        pytest.skip(f"{name} not bundled with this pydicom")
    expected = _frames(pydicom.dcmread(path))
    with FrameReader(path) as reader:
        np.testing.assert_array_equal(reader.read_frames(), expected)


def test_frames_inconsistent_with_rows_and_columns_are_a_clear_error(testdata: Path) -> None:
    """fodicom's multiframe.dcm says 240×240 but some JPEG frames are smaller; pydicom fails
    on them too."""
    from iodkit.pixels import PixelDecodingError

    path = testdata / "fodicom/multiframe.dcm"
    if not path.exists():
        pytest.skip("multiframe.dcm not in the test data")
    with FrameReader(path) as reader:
        assert reader.number_of_frames == 140
        with pytest.raises(
            PixelDecodingError, match=r"frame 13: JPEG Baseline.*could not be decoded"
        ):
            reader.read_frame(13)


def test_file_objects_work_like_paths(testdata: Path) -> None:
    path = testdata / "highdicom/seg_image_sm_dots_tiled_full.dcm"
    if not path.exists():
        pytest.skip("TILED_FULL SEG not in the test data")
    data = path.read_bytes()
    with FrameReader(path) as by_path, FrameReader(io.BytesIO(data)) as by_buffer:
        for index in (0, 1, 617, 1249):
            np.testing.assert_array_equal(by_path.read_frame(index), by_buffer.read_frame(index))


# -- our files, read by others --------------------------------------------------------------


def sc_dataset() -> Dataset:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7.3"
    ds.SOPInstanceUID = generate_uid()
    return ds


@pytest.mark.parametrize(
    "transfer_syntax",
    [
        ExplicitVRLittleEndian,
        RLELossless,
        JPEGLSLossless,
        JPEG2000Lossless,
        HTJ2KLossless,
        JPEGBaseline8Bit,
    ],
    ids=lambda u: u.name,
)
@pytest.mark.parametrize("kind", ["mono8", "mono16", "rgb8"])
def test_highdicom_decodes_what_iodkit_encodes(
    tmp_path: Path, transfer_syntax: str, kind: str
) -> None:
    rng = np.random.default_rng(11)
    if kind == "mono16":
        if transfer_syntax == JPEGBaseline8Bit:
            pytest.skip("JPEG Baseline is 8-bit")
        frames = rng.integers(0, 4095, (4, 48, 40), dtype=np.uint16)
        options = {"bits_stored": 12}
    elif kind == "mono8":
        frames = rng.integers(0, 255, (4, 48, 40), dtype=np.uint8)
        options = {}
    else:
        frames = rng.integers(0, 255, (4, 48, 40, 3), dtype=np.uint8)
        options = {}
    ds = sc_dataset()
    encode_frames(frames, transfer_syntax_uid=transfer_syntax, **options).apply_to(ds)
    path = tmp_path / "ours.dcm"
    write_dataset(ds, path)
    theirs_pydicom = pydicom.dcmread(path).pixel_array
    with hd.io.ImageFileReader(path) as theirs, FrameReader(path) as ours:
        for index in range(len(frames)):
            decoded = theirs.read_frame(index, correct_color=False)
            np.testing.assert_array_equal(decoded, theirs_pydicom[index])
            np.testing.assert_array_equal(ours.read_frame(index), decoded)
            if transfer_syntax != JPEGBaseline8Bit:
                np.testing.assert_array_equal(decoded, frames[index])


def test_highdicom_segmentation_reads_our_one_bit_pixel_data(tmp_path: Path) -> None:
    """Re-encode a highdicom-written BINARY SEG's frames with iodkit: highdicom reads it back."""
    rng = np.random.default_rng(12)
    source = hd_ct_series(rng)
    masks = rng.random((3, 13, 11)) < 0.3  # 143 px per frame: frames start mid-byte
    masks[:, 0, 0] = True  # no empty frame, so highdicom keeps all of them
    description = hd.seg.SegmentDescription(
        segment_number=1,
        segment_label="lesion",
        segmented_property_category=hd.sr.CodedConcept("91723000", "SCT", "Anatomical Structure"),
        segmented_property_type=hd.sr.CodedConcept("27440000", "SCT", "Lesion"),
        algorithm_type=hd.seg.SegmentAlgorithmTypeValues.MANUAL,
    )
    seg = hd.seg.Segmentation(
        source_images=source,
        pixel_array=masks,
        segmentation_type=hd.seg.SegmentationTypeValues.BINARY,
        segment_descriptions=[description],
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
    reference = pydicom.dcmread(_write(seg, tmp_path / "hd.dcm")).pixel_array
    ours = encode_frames(reference.astype(bool), transfer_syntax_uid=ExplicitVRLittleEndian)
    assert ours.native == seg.PixelData  # byte for byte what highdicom wrote
    for ts in (ExplicitVRLittleEndian, DeflatedExplicitVRLittleEndian, JPEG2000Lossless):
        encode_frames(reference.astype(bool), transfer_syntax_uid=ts).apply_to(seg)
        path = _write(seg, tmp_path / f"ours-{ts.name}.dcm")
        back = hd.seg.segread(path)
        np.testing.assert_array_equal(pydicom.dcmread(path).pixel_array, reference)
        with FrameReader(path) as reader:
            np.testing.assert_array_equal(reader.read_frames(), reference)
        assert back.number_of_frames == 3


def test_float_parametric_map_from_highdicom(tmp_path: Path) -> None:
    """A float Parametric Map written by highdicom: FrameReader equals pydicom; and ours reads
    back in highdicom."""
    rng = np.random.default_rng(13)
    source = hd_ct_series(rng)
    values = rng.standard_normal((3, 13, 11)).astype(np.float32)
    mapping = hd.pm.RealWorldValueMapping(
        lut_label="x",
        lut_explanation="test",
        unit=hd.sr.CodedConcept("1", "UCUM", "no units"),
        value_range=(float(values.min()), float(values.max())),
        slope=1,
        intercept=0,
    )
    pm = hd.pm.ParametricMap(
        source_images=source,
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
        real_world_value_mappings=[mapping],
        voi_lut_transformations=[hd.VOILUTTransformation(window_center=0, window_width=4)],
    )
    path = _write(pm, tmp_path / "pm.dcm")
    expected = pydicom.dcmread(path).pixel_array
    with FrameReader(path) as reader:
        assert reader.description.pixel_keyword == "FloatPixelData"
        np.testing.assert_array_equal(reader.read_frames(), expected)
    encoded = encode_frames(expected, transfer_syntax_uid=ExplicitVRLittleEndian)
    assert encoded.native == pm.FloatPixelData
    encoded.apply_to(pm)
    path = _write(pm, tmp_path / "ours-pm.dcm")
    with hd.io.ImageFileReader(path) as theirs:
        for index in range(3):  # highdicom sorted the frames by position: compare to its file
            np.testing.assert_array_equal(theirs.read_frame(index), expected[index])


def _write(ds: Dataset, path: Path) -> Path:
    write_dataset(ds, path)
    return path


def hd_ct_series(rng: np.random.Generator) -> list[Dataset]:
    """Three CT slices with geometry, the minimum highdicom needs as source images."""
    study, series, frame_of_reference = generate_uid(), generate_uid(), generate_uid()
    images = []
    for index in range(3):
        ds = Dataset()
        ds.file_meta = FileMetaDataset()
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
        ds.SOPInstanceUID = generate_uid()
        ds.StudyInstanceUID = study
        ds.SeriesInstanceUID = series
        ds.FrameOfReferenceUID = frame_of_reference
        ds.Modality = "CT"
        ds.PatientName = "Test^Pixels"
        ds.PatientID = "P1"
        ds.PatientBirthDate = "19700101"
        ds.PatientSex = "O"
        ds.StudyDate = "20240101"
        ds.StudyTime = "120000"
        ds.StudyID = "1"
        ds.AccessionNumber = "A1"
        ds.ReferringPhysicianName = "Ref"
        ds.SeriesNumber = 1
        ds.InstanceNumber = index + 1
        ds.ImagePositionPatient = [0.0, 0.0, float(index)]
        ds.ImageOrientationPatient = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]
        ds.PixelSpacing = [1.0, 1.0]
        ds.SliceThickness = 1.0
        encode_frames(rng.integers(0, 4095, (13, 11), dtype=np.uint16), bits_stored=12).apply_to(ds)
        images.append(ds)
    return images

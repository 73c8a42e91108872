"""Bad input to a Parametric Map raises ParametricMapError naming the problem, and writes
nothing: NaN/inf where the standard does not allow them, shapes that do not fit the sources,
lookup tables that are not monotonic or do not fit float pixels, sources without a frame of
reference, values that do not fit 16 bits."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from iodkit.codes import Code, cid7203
from iodkit.derived import DerivedObjectError
from iodkit.pm import (
    ParametricMap,
    ParametricMapError,
    ParametricMapReadError,
    RealWorldValueMapping,
    read_parametric_map,
)
from iodkit.seg import synthetic

NO_UNITS = Code("1", "UCUM", "no units")
IDENTITY = RealWorldValueMapping.identity("v", "value", NO_UNITS)


@pytest.fixture(scope="module")
def ct() -> list:
    return synthetic.ct_series(3, 6, 7, with_pixels=False)


def refused(match: str, *args: object, tmp: Path | None = None, **kwargs: object) -> None:
    with pytest.raises(ParametricMapError, match=match) as info:
        kwargs.setdefault("derivation", cid7203.SEGMENTATION)
        ParametricMap(*args, **kwargs).save(tmp / "never.dcm" if tmp else "never.dcm")  # type: ignore[arg-type]
    assert isinstance(info.value, DerivedObjectError)
    if tmp is not None:
        assert list(tmp.iterdir()) == []


def test_derivation_is_said(ct, tmp_path: Path) -> None:
    """How the map was derived from its sources is the user's to say (Derivation Image
    functional group, Table A.75-2; CID 7203 has no generic "calculated" code — highdicom's
    default, DCM 112187 "Unspecified method of calculation", is not in it: QA-9)."""
    refused(
        r"derivation=.*CID 7203 Image Derivation.*cid7203\.SEGMENTATION",
        np.zeros((3, 6, 7), np.float32),
        ct,
        IDENTITY,
        derivation=None,
        tmp=tmp_path,
    )
    refused(
        r"derivation: expected a code",
        np.zeros((3, 6, 7), np.float32),
        ct,
        IDENTITY,
        derivation="segmentation",
        tmp=tmp_path,
    )


def test_a_map_with_a_cid_7203_derivation_draws_no_warning(ct, tmp_path: Path) -> None:
    from iodkit.validation import validate

    path = tmp_path / "pm.dcm"
    ParametricMap(
        np.zeros((3, 6, 7), np.float32), ct, IDENTITY, derivation=cid7203.SEGMENTATION
    ).save(path)
    assert [str(f) for f in validate(path) if f.severity in ("error", "warning")] == []


def test_nan_and_infinity_only_as_padding(ct, tmp_path: Path) -> None:
    values = np.zeros((3, 6, 7), dtype=np.float32)
    values[1, 2, 3] = np.nan
    refused(
        r"holds nan at plane 1, row 2, column 3; NaN and infinity may appear only as the Float "
        r"Pixel Padding Value \(PS3.3 C.7.6.24.1\): pass padding_value=float\('nan'\)",
        values,
        ct,
        IDENTITY,
        tmp=tmp_path,
    )
    values[1, 2, 3] = -np.inf
    refused(r"holds -inf at plane 1", values, ct, IDENTITY, padding_value=np.nan, tmp=tmp_path)
    ParametricMap(
        values, ct, IDENTITY, padding_value=-np.inf, derivation=cid7203.SEGMENTATION
    )  # declared: accepted
    refused(
        r"padding_value is the Float Pixel Padding Value of float maps",
        np.zeros((3, 6, 7), np.int16),
        ct,
        IDENTITY,
        padding_value=0.0,
    )
    refused(
        r"every value of the map is padding",
        np.full((3, 6, 7), np.nan, np.float32),
        ct,
        IDENTITY,
        padding_value=np.nan,
    )


def test_shapes_must_fit_the_sources(ct, tmp_path: Path) -> None:
    refused(
        r"the map has 2 planes but the source images call for 3",
        np.zeros((2, 6, 7), np.float32),
        ct,
        IDENTITY,
        tmp=tmp_path,
    )
    refused(
        r"map planes are 6×8 but the source images are 6×7",
        np.zeros((3, 6, 8), np.float32),
        ct,
        IDENTITY,
    )
    refused(r"map shape \(3, 6, 7, 2\)", np.zeros((3, 6, 7, 2), np.float32), ct, IDENTITY)
    refused(r"the map is empty", np.zeros((0, 6, 7), np.float32), ct, IDENTITY)
    refused(r"map dtype complex128", np.zeros((3, 6, 7), complex), ct, IDENTITY)


def test_sources_without_positions(ct, tmp_path: Path) -> None:
    """A series whose images are not placed (no Image Position (Patient)) or placed twice at
    one position cannot be mapped plane by plane: refused, nothing written."""
    import copy

    unplaced = copy.deepcopy(ct)
    del unplaced[1].ImagePositionPatient
    refused(
        rf"source image 1 \({unplaced[1].SOPInstanceUID}\) has no ImagePositionPatient",
        np.zeros((3, 6, 7), np.float32),
        unplaced,
        IDENTITY,
        tmp=tmp_path,
    )
    doubled = copy.deepcopy(ct)
    doubled[2].ImagePositionPatient = doubled[1].ImagePositionPatient
    refused(
        r"two source images have the same Image Position \(Patient\)",
        np.zeros((3, 6, 7), np.float32),
        doubled,
        IDENTITY,
        tmp=tmp_path,
    )


def test_integers_must_fit_16_bits(ct) -> None:
    values = np.zeros((3, 6, 7), dtype=np.int32)
    values[0, 0, 0] = 70000
    refused(r"integer map values 0…70000 do not fit 16 bits", values, ct, IDENTITY)
    values[0, 0, 0] = 60000  # fits uint16: stored so
    assert ParametricMap(
        values, ct, IDENTITY, derivation=cid7203.SEGMENTATION
    ).values.array.dtype == np.dtype("<u2")


def test_lookup_tables(ct) -> None:
    values = np.arange(3 * 6 * 7, dtype=np.uint16).reshape(3, 6, 7) % 10
    wavy = RealWorldValueMapping("w", "wavy", NO_UNITS, lut=[0, 1, 2, 1.5, 3, 4, 5, 6, 7, 8])
    refused(r"the lut is not monotonic — entry 2 is 2 and entry 3 is 1.5", values, ct, wavy)
    short = RealWorldValueMapping("s", "short", NO_UNITS, lut=[0, 1, 2])
    refused(r"stored values 0…9 lie outside the lut's range 0…2", values, ct, short)
    ok = RealWorldValueMapping("d", "down", NO_UNITS, lut=np.arange(10.0)[::-1])
    ParametricMap(values, ct, ok, derivation=cid7203.SEGMENTATION)  # decreasing is monotonic too
    refused(
        r"Float and Double Float Pixel Data are mapped by slope and intercept only",
        values.astype(np.float32),
        ct,
        ok,
    )
    both = RealWorldValueMapping("b", "both", NO_UNITS, slope=1.0, intercept=0.0, lut=[0, 1])
    refused(r"give slope and intercept, or a lut", values, ct, both)
    refused(
        r"LUT Label must have 1…16 characters",
        values,
        ct,
        RealWorldValueMapping.identity("x" * 17, "e", NO_UNITS),
    )
    refused(r"give one or more RealWorldValueMapping", values, ct, [])


def test_sources_and_options(ct, testdata: Path) -> None:
    photo = synthetic.photograph(6, 7)
    refused(
        r"has no Frame of Reference; a Parametric Map's Frame of Reference Module is "
        r"mandatory",
        np.zeros((6, 7), np.float32),
        photo,
        IDENTITY,
    )
    refused(
        r"window width must be a positive number",
        np.zeros((3, 6, 7), np.float32),
        ct,
        IDENTITY,
        window=(0.0, 0.0),
    )
    refused(
        r"tile_size and dimension_organization_type are for tiled",
        np.zeros((3, 6, 7), np.float32),
        ct,
        IDENTITY,
        tile_size=4,
    )
    refused(
        r"JPEG Baseline .* is lossy",
        np.zeros((3, 6, 7), np.int16),
        ct,
        IDENTITY,
        transfer_syntax_uid="1.2.840.10008.1.2.4.50",
    )
    refused(
        r"the map's frames: .*RLE Lossless",
        np.zeros((3, 6, 7), np.float32),
        ct,
        IDENTITY,
        transfer_syntax_uid="1.2.840.10008.1.2.5",
    )
    refused(
        r"palette must be an \(entries, 3\)",
        np.zeros((3, 6, 7), np.float32),
        ct,
        IDENTITY,
        palette=np.zeros((4, 4), np.uint8),
    )


def test_reader_errors(ct, tmp_path: Path) -> None:
    path = tmp_path / "pm.dcm"
    ParametricMap(
        np.zeros((3, 6, 7), np.float32), ct, IDENTITY, derivation=cid7203.SEGMENTATION
    ).save(path)
    with read_parametric_map(path) as pm:
        with pytest.raises(
            ParametricMapReadError,
            match=r"no Real World Value Mapping item "
            r"matches 'other' in frame \d+ \(labels: v\)",
        ):
            pm.get_pixels_by_source_instance(
                [ct[0].SOPInstanceUID], real_world_value_map_selector="other"
            )
        with pytest.raises(ParametricMapReadError, match="not tiled"):
            pm.get_total_pixel_matrix()
    seg_like = tmp_path / "ct.dcm"
    import pydicom

    ds = synthetic.ct_series(1, 4, 4)[0]
    pydicom.dcmwrite(seg_like, ds, enforce_file_format=True)
    with pytest.raises(ParametricMapReadError, match="is not a Parametric Map Storage SOP Class"):
        read_parametric_map(seg_like)

"""Hypothesis: any valid group — graphic type, annotation sizes, float32/float64 2D or 3D
coordinates, measurements with gaps — comes back exactly from the written bytes."""

from __future__ import annotations

import io
import itertools

import numpy as np
import pydicom
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from iodkit.ann import (
    AnnotationGroup,
    Measurement,
    MicroscopyBulkSimpleAnnotations,
    read_annotations,
)
from iodkit.codes import Code, cid7150, cid8135, cid8136
from iodkit.seg.synthetic import slide_image

from tests.oracles import assert_valid_dataset

CASES = itertools.count()  # every eighth generated case also goes through dciodvfy

SIZES = {
    "POINT": (1, 1),
    "ELLIPSE": (4, 4),
    "RECTANGLE": (4, 4),
    "POLYLINE": (2, 9),
    "POLYGON": (3, 9),
}


@st.composite
def groups(draw: st.DrawFn, dims: int) -> AnnotationGroup:
    kind = draw(st.sampled_from(sorted(SIZES)))
    low, high = SIZES[kind]
    counts = draw(st.lists(st.integers(low, high), min_size=1, max_size=12))
    dtype = draw(st.sampled_from([np.float32, np.float64])) if dims == 2 else np.float64
    total = sum(counts)
    values = draw(
        st.lists(
            st.floats(0, 40, width=32 if dtype == np.float32 else 64),
            min_size=total * dims,
            max_size=total * dims,
        )
    )
    points = np.asarray(values, dtype=dtype).reshape(total, dims)
    offsets = np.concatenate([[0], np.cumsum(counts)])
    if kind == "POLYGON":  # first and last points of a polygon differ (C.37.1.2.1.1)
        points[offsets[1:] - 1, 0] = np.where(
            (points[offsets[:-1]] == points[offsets[1:] - 1]).all(axis=1),
            points[offsets[1:] - 1, 0] + 1,
            points[offsets[1:] - 1, 0],
        )
    measured = draw(
        st.lists(
            st.one_of(st.none(), st.floats(-1e6, 1e6, width=32)),
            min_size=len(counts),
            max_size=len(counts),
        )
    )
    if all(v is None for v in measured):
        measured[0] = 1.0
    area = np.array([np.nan if v is None else v for v in measured], dtype=np.float32)
    return AnnotationGroup(
        "g",
        cid7150.TISSUE,
        cid8135.CELL,
        kind,
        points,
        offsets if draw(st.booleans()) or kind in ("POLYGON", "POLYLINE") else None,
        measurements=[Measurement(cid8136.AREA, Code("um2", "UCUM", "um2"), area)],
        generation_type="MANUAL",
    )


@pytest.fixture(scope="module")
def slide():
    """A 50×50 slide level (metadata only) with a frame of reference."""
    return slide_image(50, 50)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(dims=st.sampled_from([2, 3]), data=st.data())
def test_groups_round_trip(slide, tmp_path, dims: int, data: st.DataObject) -> None:
    written = [data.draw(groups(dims)) for _ in range(data.draw(st.integers(1, 3)))]
    ds = MicroscopyBulkSimpleAnnotations(slide, written).to_dataset()
    assert_valid_dataset(ds, tmp_path, with_dciodvfy=next(CASES) % 8 == 0)
    buffer = io.BytesIO()
    pydicom.dcmwrite(buffer, ds, enforce_file_format=True)
    buffer.seek(0)
    with read_annotations(buffer) as ann:
        assert ann.coordinate_type == ("3D" if dims == 3 else "2D")
        for given_group, read in zip(written, ann.groups, strict=True):
            assert read.graphic_type == given_group.graphic_type
            assert read.coordinates.dtype == given_group.packed.points.dtype
            assert np.array_equal(read.coordinates, given_group.packed.points)
            assert np.array_equal(read.offsets, given_group.packed.offsets)
            expected = np.asarray(given_group.measurements[0].values, dtype=np.float32)
            assert np.array_equal(read.measurements[0].values, expected, equal_nan=True)

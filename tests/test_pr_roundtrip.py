"""Hypothesis: windows, LUTs (modality, VOI, presentation), graphics and text come back
from the written bytes equal to what was given."""

from __future__ import annotations

import io
import itertools

import pydicom
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from iodkit.pr import (
    LUT,
    VOI,
    GraphicAnnotation,
    GraphicObject,
    GrayscaleSoftcopyPresentationState,
    Rescale,
    TextObject,
    Window,
    read_presentation_state,
)
from iodkit.seg import synthetic

from tests.oracles import assert_valid_dataset

# Every eighth generated case also goes through dciodvfy — unless a LUT's entries all stay
# below half its range, which dciodvfy (2026) reports as "LookupTableData bad" although the
# standard allows it (docs/presentation-states.md).
CASES = itertools.count()

COLUMNS, ROWS = 40, 30
coordinate = st.tuples(st.floats(0, COLUMNS), st.floats(0, ROWS))


@st.composite
def luts(draw: st.DrawFn, bits: list[int], signed: bool = False) -> LUT:
    depth = draw(st.sampled_from(bits))
    data = draw(st.lists(st.integers(0, 2**depth - 1), min_size=2, max_size=300))
    first = draw(st.integers(-2000, 2000)) if signed else 0
    return LUT(
        tuple(data), first, depth, draw(st.none() | st.text("abc XYZ", min_size=1, max_size=10))
    )


@st.composite
def graphics(draw: st.DrawFn) -> GraphicObject:
    kind = draw(st.sampled_from(["POINT", "POLYLINE", "INTERPOLATED", "CIRCLE", "ELLIPSE"]))
    n = {"POINT": 1, "CIRCLE": 2, "ELLIPSE": 4}.get(kind) or draw(st.integers(2, 8))
    points = draw(st.lists(coordinate, min_size=n, max_size=n))
    closed = kind in ("CIRCLE", "ELLIPSE") or (
        kind in ("POLYLINE", "INTERPOLATED") and draw(st.booleans())
    )
    if closed and kind in ("POLYLINE", "INTERPOLATED"):
        points[-1] = points[0]
    return GraphicObject(kind, points, filled=draw(st.booleans()) if closed else None)


texts = st.builds(
    TextObject,
    st.text("abcdefgh 123", min_size=1, max_size=20).filter(str.strip),
    anchor=coordinate,
    anchor_visible=st.booleans(),
)

windows = st.builds(
    Window,
    st.floats(-2000, 2000, allow_nan=False),
    st.floats(1, 5000, allow_nan=False),
    st.sampled_from(["LINEAR", "LINEAR_EXACT", "SIGMOID"]),
)


@pytest.fixture(scope="module")
def ct() -> list[pydicom.Dataset]:
    return synthetic.ct_series(2, ROWS, COLUMNS, with_pixels=False)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    voi=windows | luts([8, 16], signed=True),
    modality=st.none()
    | luts([8, 16])
    | st.builds(Rescale, st.floats(0.01, 100), st.floats(-5000, 5000)),
    presentation=st.sampled_from(["IDENTITY", "INVERSE"]) | luts(list(range(8, 17))),
    objects=st.lists(graphics(), min_size=1, max_size=4),
    notes=st.lists(texts, max_size=3),
)
def test_presentation_state_round_trips(
    ct, tmp_path, voi, modality, presentation, objects, notes
) -> None:
    annotation = GraphicAnnotation(
        "LAYER", graphic_objects=objects, text_objects=notes, images=[ct[0]]
    )
    state = GrayscaleSoftcopyPresentationState(
        ct,
        voi=[VOI(voi)],
        modality=modality,
        presentation_lut=presentation,
        annotations=[annotation],
    )
    ds = state.to_dataset()
    dciodvfy_agrees = all(
        max(lut.data) >= 2 ** (lut.bits - 1)
        for lut in (voi, modality, presentation)
        if isinstance(lut, LUT)
    )
    assert_valid_dataset(ds, tmp_path, with_dciodvfy=dciodvfy_agrees and next(CASES) % 8 == 0)
    buffer = io.BytesIO()
    pydicom.dcmwrite(buffer, ds, enforce_file_format=True)
    buffer.seek(0)
    read = read_presentation_state(buffer)
    assert read.voi == [VOI(voi)]
    assert read.modality == modality
    assert read.presentation_lut == presentation
    assert read.annotations == [annotation]

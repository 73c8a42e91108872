"""Broken annotation and presentation state files: the readers either read them or raise their
own read error naming the problem — never another exception (fixed seeds, a few seconds)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pydicom
import pytest
from iodkit.ann import (
    AnnotationGroup,
    AnnotationReadError,
    Measurement,
    MicroscopyBulkSimpleAnnotations,
    read_annotations,
)
from iodkit.codes import Code, cid7150, cid8135, cid8136
from iodkit.datavalues import DamagedValueError
from iodkit.pr import (
    LUT,
    VOI,
    GraphicAnnotation,
    GraphicObject,
    GrayscaleSoftcopyPresentationState,
    PresentationStateReadError,
    TextObject,
    Window,
    read_presentation_state,
)
from iodkit.seg import synthetic

from tools import fuzz

FIXED_TIMES = {"DA": "20260101", "TM": "120000", "DT": "20260101120000"}


def _bytes(ds: pydicom.Dataset) -> bytes:
    """The file's bytes with fixed UIDs, dates and times: the seeded mutants then hit the same
    bytes in every run (fresh UIDs vary in length, and so would where each mutation lands)."""
    names: dict[str, str] = {}

    def fix(_: pydicom.Dataset, elem: pydicom.DataElement) -> None:
        if elem.VR == "UI" and isinstance(elem.value, str) and elem.value:
            if not elem.value.startswith("1.2.840.10008."):  # SOP Classes, transfer syntaxes
                elem.value = names.setdefault(
                    elem.value, f"1.2.826.0.1.3680043.10.99.{len(names) + 1}"
                )
        elif elem.VR in FIXED_TIMES and elem.value:
            elem.value = FIXED_TIMES[elem.VR]

    ds.walk(fix)
    if getattr(ds, "file_meta", None) is not None:
        ds.file_meta.walk(fix)
    buffer = io.BytesIO()
    pydicom.dcmwrite(buffer, ds, enforce_file_format=True)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def ann_bytes() -> bytes:
    slide = synthetic.slide_image(60, 60)
    points = np.array(
        [[1, 1], [9, 1], [9, 9], [1, 9], [20, 20], [30, 20], [25, 28]], dtype=np.float32
    )
    area = Measurement(cid8136.AREA, Code("um2", "UCUM", "um2"), np.array([1.0, np.nan]))
    polygons = AnnotationGroup(
        "p",
        cid7150.TISSUE,
        cid8135.CELL,
        "POLYGON",
        points,
        [0, 4, 7],
        measurements=[area],
        generation_type="MANUAL",
    )
    dots = AnnotationGroup(
        "d",
        cid7150.TISSUE,
        cid8135.CELL,
        "POINT",
        points[:3].astype(np.float64),
        generation_type="MANUAL",
    )
    return _bytes(MicroscopyBulkSimpleAnnotations(slide, [polygons, dots]).to_dataset())


@pytest.fixture(scope="module")
def pr_bytes() -> bytes:
    ct = synthetic.ct_series(2, 16, 16, with_pixels=False)
    note = GraphicAnnotation(
        "L",
        graphic_objects=[GraphicObject("POLYLINE", [(1, 1), (5, 5)])],
        text_objects=[TextObject("t", anchor=(2, 2))],
    )
    voi = [VOI(Window(40, 400), [ct[0]]), VOI(LUT(tuple(range(0, 65536, 4096)), -100, 16), [ct[1]])]
    return _bytes(GrayscaleSoftcopyPresentationState(ct, annotations=[note], voi=voi).to_dataset())


def read_everything_ann(data: bytes) -> None:
    with read_annotations(io.BytesIO(data)) as ann:
        for group in ann.groups:
            assert len(group.coordinates) == group.offsets[-1]
            group.get_measurements()
            if group.number_of_annotations:
                group.annotation(group.number_of_annotations - 1)


def read_everything_pr(data: bytes) -> None:
    state = read_presentation_state(io.BytesIO(data))
    for ref in state.references:
        state.annotations_for(ref.sop_instance_uid)
        state.voi_for(ref.sop_instance_uid)


def variants(data: bytes, seed: int, count: int) -> list[bytes]:
    rng = np.random.default_rng(seed)
    out = [data[: int(n)] for n in np.linspace(0, len(data) - 1, count // 2)]
    for _ in range(count // 2):
        mutated = bytearray(data)
        for where in rng.integers(132, len(data), size=int(rng.integers(1, 6))):
            mutated[where] = int(rng.integers(0, 256))
        out.append(bytes(mutated))
    return out


@pytest.mark.filterwarnings("ignore")  # pydicom warns about the damage it reads past
@pytest.mark.parametrize("kind", ["ann", "pr"])
def test_broken_files_raise_only_read_errors(kind: str, ann_bytes: bytes, pr_bytes: bytes) -> None:
    data, read, error = (
        (ann_bytes, read_everything_ann, AnnotationReadError)
        if kind == "ann"
        else (pr_bytes, read_everything_pr, PresentationStateReadError)
    )
    read(data)  # the intact file reads
    failures = []
    for k, variant in enumerate(variants(data, seed=7, count=400)):
        try:
            read(variant)
        except error:
            pass
        except Exception as exc:  # noqa: BLE001 - the point of the test
            failures.append(f"variant {k}: {type(exc).__name__}: {exc}")
    assert not failures, "\n".join(failures[:10]) + f"\n({len(failures)} in all)"


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("kind", ["ann", "pr"])
def test_mutants_pass_make_fuzz_rules(
    kind: str, ann_bytes: bytes, pr_bytes: bytes, tmp_path: Path
) -> None:
    """``make fuzz``'s own mutations and judgement (tools/fuzz.py): errors name the file, and
    no foreign exception of iodkit's code or MemoryError hides behind them."""
    reader = next(r for r in fuzz.READERS if r.name == kind)
    data = ann_bytes if kind == "ann" else pr_bytes
    path = tmp_path / f"{kind}.dcm"
    failures = fuzz.mutant_failures(reader, data, path, f"read:{kind}", 150)
    assert failures == [], "\n".join(failures[:10])


def _damaged(error: BaseException) -> None:
    """``error`` is the reader's own, with the damaged value named by iodkit.datavalues behind
    it — no int()/float()/iteration error of iodkit's own code (what ``make fuzz`` counts)."""
    assert fuzz.hidden_failure(error) is None, repr(error.__cause__)
    assert isinstance(error.__cause__, DamagedValueError), repr(error.__cause__)


@pytest.mark.parametrize(
    "keyword, vr, value",
    [
        ("RescaleSlope", "LO", "0n0"),  # a flipped byte (make fuzz, seed 41): not a number
        ("GraphicLayerSequence", "LO", "L"),  # text where items belong
        ("ImageRotation", "LO", "ninety"),
    ],
)
def test_pr_damaged_values_are_named(pr_bytes: bytes, keyword: str, vr: str, value: object) -> None:
    ds = pydicom.dcmread(io.BytesIO(pr_bytes))
    ds.add_new(keyword, vr, value)
    if keyword == "RescaleSlope":
        ds.RescaleIntercept = 0
    with pytest.raises(PresentationStateReadError) as raised:
        read_presentation_state(ds)
    _damaged(raised.value)


@pytest.mark.parametrize("value", [b"\x01\x02", "text"])
def test_ann_items_that_are_not_items_are_named(ann_bytes: bytes, value: object) -> None:
    """A sequence read as bytes or text (its VR damaged: make fuzz, seed 41) is named, not
    handed on as items ('bytes' object has no attribute 'get')."""
    ds = pydicom.dcmread(io.BytesIO(ann_bytes))
    group = ds.AnnotationGroupSequence[0]
    measurement = group.MeasurementsSequence[0]
    measurement.add_new(
        "ConceptNameCodeSequence", "OB" if isinstance(value, bytes) else "LO", value
    )
    with read_annotations(ds) as ann, pytest.raises(AnnotationReadError) as raised:
        ann.groups[0].get_measurements()
    _damaged(raised.value)


def test_pr_sequence_without_value_reads_as_no_items(pr_bytes: bytes) -> None:
    """A sequence whose VR was damaged into one with no value reads as no items (it failed on
    'NoneType' object is not iterable: make fuzz, seed 41)."""
    ds = pydicom.dcmread(io.BytesIO(pr_bytes))
    ds.add_new("SoftcopyVOILUTSequence", "US", None)
    assert read_presentation_state(ds).voi == []


@pytest.mark.parametrize(
    "keyword, vr, value",
    [
        ("NumberOfAnnotations", "LO", ",\x01"),  # make fuzz, seed 43: a VR changed to text
        ("CommonZCoordinateValue", "LO", "deep"),
        ("RecommendedDisplayCIELabValue", "LO", "red"),
    ],
)
def test_ann_damaged_numbers_are_named(ann_bytes: bytes, keyword: str, vr: str, value: str) -> None:
    ds = pydicom.dcmread(io.BytesIO(ann_bytes))
    ds.AnnotationGroupSequence[0].add_new(keyword, vr, value)
    with pytest.raises(AnnotationReadError) as raised, read_annotations(ds) as ann:
        ann.groups[0]
    _damaged(raised.value)

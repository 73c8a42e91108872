"""The engine's memory of what absent rows said (iodkit.validation.itemmemo): the same
findings as without it, on real files and on items that differ only in what a condition reads.
"""

from __future__ import annotations

from pathlib import Path

import pydicom
import pytest
from iodkit.rulemodel import Ref
from iodkit.rulemodel.facts import CodeValueForm, IodRequires
from iodkit.rulemodel.predicates import And, Equals, Not, Present
from iodkit.validation import itemmemo, plans, validate_file

FILES = (
    "dcmqi/sr-example_sr.dcm",
    "highdicom/sr_document.dcm",
    "highdicom/seg_image_sm_dots.dcm",
    "highdicom/seg_image_ct_binary.dcm",
    "highdicom/sm_image.dcm",
    "fodicom/GH1146.dcm",
    "pynetdicom/RTImageStorage.dcm",
)


def findings(paths: list[Path]) -> list[list[tuple[str, str, str, str]]]:
    return [[(f.severity, f.code, f.path, f.message) for f in validate_file(p)] for p in paths]


@pytest.mark.pure_python  # replaces a function the compiled modules call natively
def test_the_same_findings_with_and_without_the_memory(
    testdata: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = [testdata / f for f in FILES if (testdata / f).exists()]
    assert len(paths) >= 5
    # twice over: the second pass meets every value combination the first one remembered
    remembered = findings(paths) + findings(paths)
    monkeypatch.setattr(plans.Plan, "memo_for", lambda self, ctx: None)
    plain = findings(paths) + findings(paths)
    assert remembered == plain


def sr_with_text_items_without_value(testdata: Path, tmp_path: Path, n: int) -> tuple[Path, int]:
    """highdicom's SR document with ``n`` copies of a TEXT content item appended to one of its
    groups, each without its Text Value: the file and the index of the first copy in the group
    ``ContentSequence[7].ContentSequence[0].ContentSequence`` (whose item 0 is TEXT with its
    Text Value, item 2 CODE without one)."""
    ds = pydicom.dcmread(testdata / "highdicom" / "sr_document.dcm")
    group = ds.ContentSequence[7].ContentSequence[0].ContentSequence
    assert group[0].ValueType == "TEXT" and group[2].ValueType == "CODE"
    first = len(group)
    for _ in range(n):
        item = pydicom.Dataset()
        item.update(group[0])
        del item.TextValue
        group.append(item)
    path = tmp_path / "sr.dcm"
    ds.save_as(path)
    return path, first


def test_an_item_with_other_values_is_judged_again(testdata: Path, tmp_path: Path) -> None:
    """Two TEXT content items: the first has its Text Value, the second not. A CODE item
    before them, without a Text Value, made the Text Value row silent for Value Type CODE —
    not for TEXT, so the second TEXT item's missing value is still an error."""
    path, second = sr_with_text_items_without_value(testdata, tmp_path, 1)
    where = f"ContentSequence[7].ContentSequence[0].ContentSequence[{second}].TextValue"
    for _ in range(2):  # and again, with everything remembered
        missing = [f for f in validate_file(path) if f.code == "missing" and f.path == where]
        assert len(missing) == 1, where


def test_what_a_predicate_reads() -> None:
    value_type = Ref((0x0040A040,), "item")
    text_value = Ref((0x0040A160,), "item")
    p = And((Equals(value_type, ("TEXT",)), Not(Present(text_value))))
    assert itemmemo.predicate_refs(p) == {value_type, text_value}
    assert itemmemo.predicate_refs(CodeValueForm("short")) == {
        Ref((t,), "item") for t in (0x00080100, 0x00080119, 0x00080120)
    }
    # a fact of the IOD's rules is not a value of the dataset: never remembered
    assert itemmemo.predicate_refs(And((p, IodRequires((0x00280010,))))) is None


@pytest.mark.pure_python  # replaces a function the compiled modules call natively
def test_what_a_row_said_is_said_again_at_each_items_own_path(
    testdata: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three TEXT content items without their Text Value: the first is judged, the next two
    hear what it said, each at its own path — the same findings as judging every one."""
    path, first = sr_with_text_items_without_value(testdata, tmp_path, 3)
    wanted = [
        f"ContentSequence[7].ContentSequence[0].ContentSequence[{i}].TextValue"
        for i in range(first, first + 3)
    ]
    remembered = [validate_file(path) for _ in range(2)]  # the second: all from memory
    for found in remembered:
        assert sorted(f.path for f in found if f.code == "missing") == wanted
    monkeypatch.setattr(plans.Plan, "memo_for", lambda self, ctx: None)
    assert remembered == [validate_file(path) for _ in range(2)]

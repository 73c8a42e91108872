"""The engine's memory of sequence items met before in a file (iodkit.validation.treememo):
the same findings as without it, on real files and at every path where repeated items say
something."""

from __future__ import annotations

from pathlib import Path

import pydicom
import pytest
from iodkit.validation import treememo, validate_file
from iodkit.validation.reader import read

FILES = (
    "dcmqi/sr-example_sr.dcm",
    "highdicom/sr_document.dcm",
    "highdicom/seg_image_sm_dots.dcm",
    "highdicom/seg_image_sm_numbers.dcm",
    "highdicom/seg_image_ct_binary.dcm",
    "highdicom/sm_image.dcm",
    "pynetdicom/RTImageStorage.dcm",
)


def findings(paths: list[Path]) -> list[list[tuple[str, str, str, str, str]]]:
    return [
        [(f.severity, f.code, f.path, f.message, f.module) for f in validate_file(p)]
        for p in paths
    ]


def replays(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the items said again from the memo."""
    said: list[int] = []
    real = treememo.itemmemo.replay

    def counted(check: object, what: tuple[treememo.itemmemo.Said, ...], path: str) -> None:
        said.append(len(what))
        real(check, what, path)

    monkeypatch.setattr(treememo.itemmemo, "replay", counted)
    return said


@pytest.mark.pure_python  # replaces a function the compiled modules call natively
def test_the_same_findings_with_and_without_the_memory(
    testdata: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = [testdata / f for f in FILES if (testdata / f).exists()]
    assert len(paths) >= 5
    said = replays(monkeypatch)
    remembered = findings(paths)
    assert len(said) > 100  # items were said again, not judged
    monkeypatch.setattr(treememo, "memo_for", lambda *a: None)
    assert remembered == findings(paths)


@pytest.mark.pure_python  # replaces a function the compiled modules call natively
def test_repeated_items_say_their_findings_at_their_own_paths(
    testdata: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every segment's category code item without its Code Meaning (Type 1): the same item
    in every segment, each reported at its own path."""
    ds = pydicom.dcmread(testdata / "highdicom" / "seg_image_sm_dots.dcm")
    n = len(ds.SegmentSequence)
    assert n > treememo.TRIAL
    for seg in ds.SegmentSequence:
        del seg.SegmentedPropertyCategoryCodeSequence[0].CodeMeaning
    path = tmp_path / "seg.dcm"
    ds.save_as(path)
    said = replays(monkeypatch)
    got = validate_file(path)
    assert any(said)  # the missing Code Meaning was said again from the memo
    where = {
        f.path
        for f in got
        if f.code == "missing" and f.path.endswith("CodeSequence[0].CodeMeaning")
    }
    assert where == {
        f"SegmentSequence[{i}].SegmentedPropertyCategoryCodeSequence[0].CodeMeaning"
        for i in range(n)
    }
    monkeypatch.setattr(treememo, "memo_for", lambda *a: None)
    plain = validate_file(path)
    assert [(f.code, f.path, f.message) for f in got] == [
        (f.code, f.path, f.message) for f in plain
    ]


def test_signatures(testdata: Path) -> None:
    """The same elements make the same signature; an item holding items, or a long value,
    has none (it is judged in full)."""
    root = read(testdata / "highdicom" / "seg_image_sm_dots.dcm").dataset
    segments = root.elems[0x00620002].items
    assert segments is not None
    memo: dict[object, object] = {}
    assert treememo.signature(segments[0], memo) is None  # holds code items
    codes = [s.elems[0x00620003].items[0] for s in segments]  # type: ignore[index]
    sids = {treememo.signature(c, memo) for c in codes}
    assert len(sids) == 1 and None not in sids
    types = {treememo.signature(s.elems[0x0062000F].items[0], memo) for s in segments}  # type: ignore[index]
    assert len(types) == 1 and sids.isdisjoint(types)  # another code: another signature

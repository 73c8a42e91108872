"""Series findings (``--series``) go through baselines and the text summary like a file's
(QA-28): ``--write-baseline`` records them, ``--baseline`` suppresses them (by Series Instance UID
or a file the finding names) and the summary line counts them."""

from __future__ import annotations

import argparse
import io
import json
import shutil
import sys
from pathlib import Path

import pytest
from iodkit.validation.cli import add_arguments, run


def _cli(*argv: str) -> tuple[int, str]:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    out, saved = io.StringIO(), sys.stderr
    sys.stderr = io.StringIO()
    try:
        code = run(parser.parse_args([*argv, "--no-progress"]), out)
    finally:
        sys.stderr = saved
    return code, out.getvalue()


@pytest.fixture()
def series_folder(tmp_path: Path) -> Path:
    """Six CT slices of one series, one with another Patient's Name, plus a copy of one
    slice under another name (a duplicate SOP Instance UID)."""
    from iodkit.seg.synthetic import ct_series
    from pydicom import dcmwrite

    folder = tmp_path / "ser"
    folder.mkdir()
    for i, ds in enumerate(ct_series(6, 8, 8)):
        if i == 3:
            ds.PatientName = "Other^Patient"
        dcmwrite(folder / f"ct{i}.dcm", ds, enforce_file_format=True)
    shutil.copy(folder / "ct0.dcm", folder / "copy.dcm")
    return folder


def test_series_findings_are_counted_written_and_suppressed(
    series_folder: Path, tmp_path: Path
) -> None:
    code, out = _cli(str(series_folder), "--series", "--json")
    document = json.loads(out)
    errors = document["summary"]["series_errors"]
    warnings = document["summary"]["series_warnings"]
    assert code == 1 and errors >= 2  # Patient's Name disagrees; duplicate SOP Instance UID
    codes = {x["code"] for x in document["series"]}
    assert "duplicate-uid" in codes

    code, out = _cli(str(series_folder), "--series", "-q")
    last = out.splitlines()[-1]
    assert code == 1 and f"series: {errors} errors, {warnings} warning" in last

    base = tmp_path / "base.json"
    code, _ = _cli(str(series_folder), "--series", "--write-baseline", str(base))
    entries = json.loads(base.read_text())["suppress"]
    assert code == 0 and {"duplicate-uid", "series"} <= {e["code"] for e in entries}

    code, out = _cli(str(series_folder), "--series", "--baseline", str(base), "-v")
    last = out.splitlines()[-1]
    assert code == 0, out
    assert "series: 0 errors, 0 warnings" in last
    assert f"{errors + warnings} suppressed by the baseline" in last
    assert out.count("SUPPRESSED") >= errors + warnings

    # a hand-written entry may name a file the finding names instead of the series
    (tmp_path / "hand.json").write_text(
        json.dumps({"suppress": [{"code": "duplicate-uid", "file": "*copy.dcm"}]})
    )
    code, out = _cli(str(series_folder), "--series", "--baseline", str(tmp_path / "hand.json"))
    document_errors = errors - 1
    assert code == (1 if document_errors else 0)
    assert f"series: {document_errors} error" in out.splitlines()[-1]
    assert "1 suppressed by the baseline" in out.splitlines()[-1]

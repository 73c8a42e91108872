"""Shared fixtures: where the standard and the third-party test files live.

Tests that need the DICOM standard read it from ``IODKIT_STANDARD`` (default ``../shared/standard``,
a folder of editions). Where it is absent they skip and say how to get it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from iodkit.codegen.spec.model import Edition

ROOT = Path(__file__).resolve().parent.parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``pure_python`` replace a validator function to watch or switch it (a
    memo); compiled modules call each other natively, past any replacement. Where the compiled
    modules run, those tests are skipped here and run in a pure Python process by
    tests/test_speedups.py."""
    from iodkit import speedups

    if speedups.state()[0] is None:
        return
    skip = pytest.mark.skip(
        reason="replaces a compiled function: run in pure Python by tests/test_speedups.py"
    )
    for item in items:
        if "pure_python" in item.keywords:
            item.add_marker(skip)


def standard_root() -> Path:
    return Path(os.environ.get("IODKIT_STANDARD", ROOT.parent / "shared" / "standard"))


def testdata_root() -> Path:
    return Path(os.environ.get("IODKIT_TESTDATA", ROOT.parent / "shared" / "testdata"))


def need(path: Path, what: str) -> Path:
    if not path.exists():
        pytest.skip(
            f"{what} not found at {path}: set IODKIT_STANDARD to a folder of editions, or run "
            "`make standard EDITION=…` (needs network) and point IODKIT_STANDARD at standard_xml/"
        )
    return path


@pytest.fixture(scope="session")
def standard() -> Path:
    return need(standard_root(), "the DICOM standard")


@pytest.fixture(scope="session")
def chtml_2024c() -> Path:
    return need(standard_root() / "2024c" / "chtml", "the 2024c chunked XHTML")


@pytest.fixture(scope="session")
def testdata() -> Path:
    p = testdata_root()
    if not p.exists():
        pytest.skip(f"third-party DICOM files not found at {p}: set IODKIT_TESTDATA")
    return p


@pytest.fixture(scope="session")
def edition_2024c(chtml_2024c: Path) -> Edition:
    """The 2024c spec, built once per test process (once per xdist worker).

    Under pytest-xdist the build runs in the worker itself (``jobs=1``): each worker is already
    one of the processes the suite runs in, and spawning two more per worker would oversubscribe.
    Tests must treat the edition as read-only; copy what they change.
    """
    from iodkit.codegen.spec.build import build_edition

    jobs = 1 if os.environ.get("PYTEST_XDIST_WORKER") else None
    # the edition as published: supplement overlays are tested on their own (test_supplements)
    return build_edition(chtml_2024c.parent, jobs=jobs, supplements=None)

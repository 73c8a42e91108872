"""Shared fixtures: where the standard and the third-party test files live.

Tests that need the DICOM standard read it from ``IODKIT_STANDARD`` (default ``../shared/standard``,
a folder of editions). Where it is absent they skip and say how to get it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


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

"""PixelMed's ``com.pixelmed.validate.DicomSRValidator`` as a test oracle (never a runtime
dependency).

Debian ships it as ``libpixelmed-java`` (``.ci/run`` installs it with a headless JRE); tests skip
with a message where it is absent. On Java 17 its XSLT needs the JDK's XPath limits lifted
(``-Djdk.xml.xpath…Limit=0``); each file is one JVM of ~1 GB and several seconds, so inputs are
kept few and small, run two at a time.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

JARS = (Path("/usr/share/java/pixelmed.jar"),)
JAVA_OPTIONS = (
    "-Xmx1500m",
    "-Djdk.xml.xpathExprOpLimit=0",
    "-Djdk.xml.xpathExprGrpLimit=0",
    "-Djdk.xml.xpathTotalOpLimit=0",
)
VALIDATOR = "com.pixelmed.validate.DicomSRValidator"
_TEMPLATE_ROW = re.compile(r"Template (\w+) [^/]*/\[Row (\w+)\]")
_LAST_ROW = re.compile(r"\[Row (\w+)\][^\[]*$")


@dataclass
class PixelMedReport:
    """What DicomSRValidator printed for one file."""

    path: str
    lines: list[str] = field(default_factory=list)
    root: str = ""  # "1500" from "Found Root Template TID_1500 (MeasurementReport)"

    @property
    def errors(self) -> list[str]:
        return [x for x in self.lines if x.startswith("Error:")]

    @property
    def warnings(self) -> list[str]:
        return [x for x in self.lines if x.startswith("Warning:")]


def available() -> bool:
    return shutil.which("java") is not None and any(j.is_file() for j in JARS)


def need_pixelmed() -> None:
    if not available():
        pytest.skip(
            "PixelMed's DicomSRValidator is not installed: `apt-get install "
            "default-jre-headless libpixelmed-java` (Debian; .ci/run does it)"
        )


def validate(path: str | Path, timeout: float = 300) -> PixelMedReport:
    jar = next(j for j in JARS if j.is_file())
    done = subprocess.run(
        [
            "java",
            *JAVA_OPTIONS,
            "-cp",
            str(jar),
            "com.pixelmed.validate.DicomSRValidator",
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    report = PixelMedReport(str(path))
    for line in (done.stdout + done.stderr).splitlines():
        line = line.strip()
        if not line:
            continue
        report.lines.append(line)
        m = re.match(r"Found Root Template TID_(\w+)", line)
        if m:
            report.root = m.group(1)
    return report


def validate_all(paths: list[str | Path]) -> dict[str, PixelMedReport]:
    """Each file in its own JVM, two at a time (the machines here have two cores)."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        return {r.path: r for r in pool.map(validate, paths)}


def rows_named(line: str) -> tuple[str, str] | None:
    """(TID, row) of the deepest template row a PixelMed message names."""
    m = _TEMPLATE_ROW.search(line)
    if not m:
        return None
    last = _LAST_ROW.search(line.split(":", 2)[1] if ":" in line else line)
    return m.group(1), (last.group(1) if last else m.group(2))

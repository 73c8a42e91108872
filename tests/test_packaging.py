"""A clean install is quiet and ships every data file (issue 13: ~260 lines of setuptools
warnings at the first ``make demo``: the license as a TOML table, data folders taken for
packages).

Both checks run the build backend pyproject.toml names, in a subprocess, as pip does: warnings
are recorded the way pip's hook runner records them (every ``UserWarning``), which is what pip
prints.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

setuptools = pytest.importorskip("setuptools", reason="pip install -e '.[test]'")

EDITABLE = """
import json, sys, warnings
from setuptools import build_meta
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    build_meta.build_editable(sys.argv[1])
print(json.dumps([[w.category.__name__, str(w.message).splitlines()[0]] for w in caught
                  if issubclass(w.category, UserWarning)]))
"""

DATA_FILES = """
import json, runpy, warnings
import setuptools
from setuptools.dist import Distribution

captured = {}
setuptools.setup = lambda **kw: captured.update(kw)  # setup.py finds the packages
runpy.run_path("setup.py")
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    dist = Distribution(captured)
    dist.parse_config_files()
    build_py = dist.get_command_obj("build_py")
    build_py.ensure_finalized()
    data = [f"{package}:{name}" for package, _src, _build, names in build_py.data_files
            for name in names]
print(json.dumps({"data": data, "warnings": [str(w.message).splitlines()[0] for w in caught]}))
"""


def _last_json(code: str, *args: str) -> object:
    out = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=ROOT, timeout=300
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_setuptools_is_the_version_pyproject_asks_for() -> None:
    major = int(setuptools.__version__.split(".")[0])
    assert major >= 77, "a license string (SPDX) needs setuptools >= 77"


def test_editable_build_warns_of_nothing(tmp_path: Path) -> None:
    """Only setuptools' note that an editable install of a package-dir mapping uses an import
    hook remains (category InformationOnly; the Makefile filters it by its words)."""
    caught = _last_json(EDITABLE, str(tmp_path))
    assert caught == [["InformationOnly", "Editable installation."]], caught
    assert [p.suffix for p in tmp_path.iterdir() if p.is_file()] == [".whl"]


def test_every_data_file_is_packaged() -> None:
    """The spec's YAML and the Jinja templates are in the package (non-editable installs read
    them from there), and listing them warns of nothing."""
    result = _last_json(DATA_FILES)
    assert isinstance(result, dict)
    assert result["warnings"] == []
    packaged = set(result["data"])
    expected = {
        f"iodkit.generated:{p.relative_to(ROOT / 'generated').as_posix()}"
        for p in (ROOT / "generated" / "spec").rglob("*.yaml")
    } | {
        f"iodkit.codegen:{p.relative_to(ROOT / 'codegen').as_posix()}"
        for p in (ROOT / "codegen" / "templates").glob("*.j2")
    }
    assert len(expected) > 2000
    assert packaged == expected, sorted(packaged ^ expected)[:10]

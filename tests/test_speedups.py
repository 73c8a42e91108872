"""The validator's compiled modules (iodkit.speedups): used where built, never when stale, and
saying exactly what the pure Python modules say."""

from __future__ import annotations

import importlib
import importlib.machinery
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from iodkit import speedups

ROOT = Path(__file__).resolve().parent.parent
IODKIT = str(Path(sys.executable).with_name("iodkit"))


def _compiled() -> Path:
    root, how = speedups.state()
    if root is None:
        pytest.skip(f"the validator runs as {how}")
    return root


def _pure_env() -> dict[str, str]:
    return {**os.environ, speedups.PURE_PYTHON: "1"}


def test_the_compiled_modules_are_the_ones_imported() -> None:
    _compiled()
    for name in speedups.MODULES:
        module = importlib.import_module(name)
        assert module.__file__ is not None
        assert module.__file__.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES)), name
    pure = subprocess.run(
        [sys.executable, "-c", "import iodkit.validation.engine as e; print(e.__file__)"],
        env=_pure_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    assert pure.stdout.strip() == str(ROOT / "runtime" / "validation" / "engine.py")


@pytest.mark.parametrize("series", [False, True], ids=["files", "series"])
def test_compiled_and_pure_python_say_the_same_on_every_corpus_file(
    testdata: Path, series: bool
) -> None:
    _compiled()
    cmd = [IODKIT, "validate", "--json", "-v", "--no-progress", str(testdata)]
    if series:
        cmd.append("--series")
    compiled = subprocess.run(cmd, capture_output=True)
    pure = subprocess.run(cmd, capture_output=True, env=_pure_env())
    assert compiled.returncode == pure.returncode
    assert compiled.stderr == pure.stderr
    report = json.loads(compiled.stdout)
    assert len(report["files"]) >= 50 and report["summary"]["errors"] > 0  # a real comparison
    assert compiled.stdout == pure.stdout


def test_the_tests_that_replace_compiled_functions_pass_in_pure_python() -> None:
    _compiled()
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-m",
            "pure_python",
            "-p",
            "no:cacheprovider",
            str(ROOT / "tests"),
        ],
        env=_pure_env(),
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stdout[-3000:]
    passed = [line for line in run.stdout.splitlines() if " passed" in line]
    assert passed and int(passed[-1].split()[0]) >= 4, run.stdout[-3000:]


def _package(tmp_path: Path) -> Path:
    """A copy of the compiled modules' sources, laid out as the package is."""
    package = tmp_path / "iodkit"
    for name in speedups.MODULES:
        target = speedups.source_of(name, package)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(speedups.source_of(name), target)
    return package


def test_a_changed_source_is_never_run_compiled(tmp_path: Path) -> None:
    package = _package(tmp_path)
    built = tmp_path / "compiled"
    built.mkdir()
    assert "not compiled" in (speedups.check(built, package) or "")
    (built / speedups.MANIFEST).write_text(json.dumps(speedups.manifest(package)))
    assert speedups.check(built, package) is None
    edited = speedups.source_of("iodkit.validation.attributes", package)
    edited.write_text(edited.read_text() + "\n# an edit\n")
    why = speedups.check(built, package)
    assert why is not None and str(edited) in why and "make compiled" in why


def test_a_build_of_other_modules_or_another_python_is_not_used(tmp_path: Path) -> None:
    package = _package(tmp_path)
    built = tmp_path / "compiled"
    built.mkdir()
    recorded = speedups.manifest(package)
    fewer = {**recorded, "modules": dict(list(recorded["modules"].items())[1:])}  # type: ignore[union-attr]
    (built / speedups.MANIFEST).write_text(json.dumps(fewer))
    assert "other than" in (speedups.check(built, package) or "")
    (built / speedups.MANIFEST).write_text(json.dumps({**recorded, "python": "2.7.18"}))
    assert "another Python" in (speedups.check(built, package) or "")
    (built / speedups.MANIFEST).write_text("{not json")
    assert "cannot be read" in (speedups.check(built, package) or "")


def test_the_build_tree_holds_each_module_under_its_import_name(tmp_path: Path) -> None:
    from iodkit import compile as build

    package = build._tree(tmp_path)
    assert package == tmp_path / "iodkit"
    for name in speedups.MODULES:
        assert (
            speedups.source_of(name, package).read_bytes() == speedups.source_of(name).read_bytes()
        )
    assert (package / "generated" / "__init__.py").is_file()  # mypy follows imports into it
    assert not list(package.rglob("__pycache__"))


def test_iodkit_compile_is_a_command() -> None:
    shown = subprocess.run([IODKIT, "--help"], capture_output=True, text=True, check=True)
    assert "compile" in shown.stdout
    shown = subprocess.run([IODKIT, "compile", "--help"], capture_output=True, text=True)
    assert shown.returncode == 0 and "--verbose" in shown.stdout

"""``iodkit compile``: build the validator's compiled modules into this environment.

What is compiled, where it goes and how iodkit finds it: :mod:`iodkit.speedups`. ``make`` runs
this (``make compiled``); an installed iodkit runs it with ``pip install mypy`` and a C compiler
at hand. mypyc names a module by its folder, so the package's sources (and its generated rules,
which mypy follows) are copied into a temporary tree under their import names — an editable
checkout maps ``iodkit`` onto ``runtime/`` — and compiled there; the extension modules land in
``<sys.prefix>/iodkit-compiled/`` with a manifest of the sources' hashes, written last, so a
build that fails leaves the previous state as it was (no manifest: pure Python).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from iodkit import speedups

#: the project's mypy settings, where iodkit runs from its repository (an editable install);
#: an installed package has none, and compiles with missing third-party stubs ignored
_PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"
_INSTALLED_CONFIG = "[mypy]\nignore_missing_imports = True\n"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--verbose", action="store_true", help="show what mypyc and the C compiler print"
    )


def run(args: argparse.Namespace) -> int:
    if args.verbose:
        return build()
    # mypyc's notes and a compiler line per module say nothing when all goes well: kept, and
    # shown only when the build fails
    done = subprocess.run(
        [sys.executable, "-m", "iodkit.cli", "compile", "--verbose"],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        sys.stderr.write(done.stdout[-6000:] + done.stderr[-6000:])
        earlier = speedups.check(speedups.folder()) is None  # an earlier build, still valid
        now = "keeps the earlier build" if earlier else "runs as pure Python"
        print(f"iodkit compile: not built (above: why); the validator {now}", file=sys.stderr)
        return 2
    print(done.stdout.strip().splitlines()[-1])
    return 0


def _tree(into: Path) -> Path:
    """The package's sources under their import names in ``into``; its ``iodkit`` folder."""
    import iodkit.generated

    package = Path(__file__).resolve().parent
    generated = Path(iodkit.generated.__file__).resolve().parent
    ignore = shutil.ignore_patterns("__pycache__", "*.so", "*.pyc", "*.pyd")
    shutil.copytree(package, into / "iodkit", ignore=ignore)
    if package not in generated.parents:  # an editable checkout: generated/ beside runtime/
        shutil.copytree(generated, into / "iodkit" / "generated", ignore=ignore)
    return into / "iodkit"


def build() -> int:
    try:
        from mypyc.build import mypycify
        from setuptools import setup
    except ImportError as exc:
        print(f"iodkit compile needs mypy and setuptools ({exc}): pip install mypy setuptools")
        return 2
    out = speedups.folder()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="iodkit-compile-") as tmp:
        package = _tree(Path(tmp) / "src")
        config = _PYPROJECT if _PYPROJECT.is_file() else Path(tmp) / "mypy.ini"
        if not _PYPROJECT.is_file():
            config.write_text(_INSTALLED_CONFIG, encoding="utf-8")
        files = [
            str(speedups.source_of(m, package).relative_to(package.parent))
            for m in speedups.MODULES
        ]
        staging = Path(tmp) / "out"
        here = os.getcwd()
        os.chdir(package.parent)
        try:
            extensions = mypycify(
                ["--config-file", str(config), *files],
                opt_level="3",
                multi_file=True,  # a C file per module, compiled in parallel
                group_name=speedups.GROUP,
            )
            setup(
                name="iodkit-compiled",
                ext_modules=extensions,
                script_args=[
                    "--quiet",
                    "build_ext",
                    "--build-lib",
                    str(staging),
                    "--build-temp",
                    str(Path(tmp) / "temp"),
                    "--parallel",
                    str(os.cpu_count() or 1),
                ],
            )
        finally:
            os.chdir(here)
        (staging / speedups.MANIFEST).write_text(
            json.dumps(speedups.manifest(package), indent=1), encoding="utf-8"
        )
        shutil.rmtree(out, ignore_errors=True)
        shutil.copytree(staging, out)
    took = time.perf_counter() - started
    print(f"compiled {len(speedups.MODULES)} modules with mypyc into {out} in {took:.0f} s")
    return 0

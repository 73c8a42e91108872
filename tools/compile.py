"""Compile the validator's hot modules with mypyc into this environment (``make compiled``).

What is compiled, where it goes and how iodkit finds it: :mod:`iodkit.speedups`. mypyc names a
module by its folder, and iodkit's import names are mapped onto other folders
(``iodkit`` -> ``runtime/``, ``iodkit.generated`` -> ``generated/``), so the sources are copied
into a temporary tree under their import names and compiled there, with the project's mypy
settings; the extension modules land in ``<sys.prefix>/iodkit-compiled/`` with a manifest of
the sources' hashes, written last (a build that fails leaves nothing to be used).

    python tools/compile.py            # build (about a minute on two cores)
    python tools/compile.py --verbose  # … showing mypyc's and the compiler's output
    python tools/compile.py --sources  # the files a build reads (for make's dependencies)
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNTIME = ROOT / "runtime"


def _modules() -> tuple[str, ...]:
    """:data:`iodkit.speedups.MODULES`, read without importing iodkit (make asks before the
    package is installed)."""
    tree = ast.parse((RUNTIME / "speedups.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "MODULES" for t in node.targets
        ):
            return tuple(ast.literal_eval(node.value))
    raise SystemExit("runtime/speedups.py defines no MODULES")


def sources() -> list[Path]:
    return [RUNTIME.joinpath(*m.split(".")[1:]).with_suffix(".py") for m in _modules()]


def build() -> int:
    from iodkit import speedups
    from mypyc.build import mypycify
    from setuptools import setup

    out = speedups.folder()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="iodkit-compile-") as tmp:
        tree = Path(tmp) / "src"
        ignore = shutil.ignore_patterns("__pycache__", "*.so", "*.pyc")
        shutil.copytree(RUNTIME, tree / "iodkit", ignore=ignore)
        shutil.copytree(ROOT / "generated", tree / "iodkit" / "generated", ignore=ignore)
        staging = Path(tmp) / "out"
        files = [f"iodkit/{p.relative_to(RUNTIME)}" for p in sources()]
        here = os.getcwd()
        os.chdir(tree)
        try:
            extensions = mypycify(
                ["--config-file", str(ROOT / "pyproject.toml"), *files],
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
            json.dumps(speedups.manifest(tree / "iodkit"), indent=1), encoding="utf-8"
        )
        shutil.rmtree(out, ignore_errors=True)
        shutil.copytree(staging, out)
    took = time.perf_counter() - started
    print(f"compiled {len(sources())} modules with mypyc into {out} in {took:.0f} s")
    return 0


def main(argv: list[str]) -> int:
    if "--sources" in argv:
        print(" ".join(str(p.relative_to(ROOT)) for p in sources()))
        return 0
    if "--verbose" in argv:
        return build()
    # mypyc's notes and a compiler line per module say nothing when all goes well: kept, and
    # shown only when the build fails
    run = subprocess.run(
        [sys.executable, __file__, "--verbose"], capture_output=True, text=True, check=False
    )
    if run.returncode != 0:
        sys.stderr.write(run.stdout[-6000:] + run.stderr[-6000:])
        print(
            "iodkit: not compiled (above: why); the validator runs as pure Python", file=sys.stderr
        )
        return run.returncode
    print(run.stdout.strip().splitlines()[-1])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

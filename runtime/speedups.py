"""The validator's hot modules compiled with mypyc, where this environment has them.

iodkit is pure Python, and stays so. ``make`` also compiles the modules a validation run spends
its time in (:data:`MODULES`: the byte reader and tree, the checks from file level to items,
plans and memos, the rule model's dataset look-ups) with mypyc, the compiler that ships with mypy
and builds mypy and black themselves: the same source, whose type hints are then enforced at run
time, as C extension modules, about twice as fast (docs/validation.md, Speed). ``iodkit compile``
(:mod:`iodkit.compile`, run by ``make compiled``) builds them for the environment's own
interpreter into ``<sys.prefix>/iodkit-compiled/``, beside a manifest of the hashes of the
sources they came from; each package that has compiled modules puts that folder first on its
``__path__`` (:func:`prefer`), so ``import iodkit.validation.reader`` finds the extension module.

Never stale: when a source differs from the one compiled (an edit, a checkout), nothing compiled
is used (the compiled modules call each other natively, so it is all or none) and iodkit warns
once, naming the file and how to rebuild (``iodkit compile``). ``IODKIT_PURE_PYTHON=1`` runs the
pure Python modules regardless; the tests compare the two on every file of the test corpus.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import sys
import warnings
from pathlib import Path

__all__ = ["MODULES", "PURE_PYTHON", "folder", "prefer", "state", "status"]

#: compiled together: the reader and tree, the checks from file level to items, the plans and
#: memos, and the rule model's condition evaluator (a class compiled here may not be the base of
#: one that is not, so the engine's chain of check classes is compiled whole)
MODULES = (
    "iodkit.rulemodel.datasets",
    "iodkit.validation.attributes",
    "iodkit.validation.compiled",
    "iodkit.validation.engine",
    "iodkit.validation.filelevel",
    "iodkit.validation.functionalgroups",
    "iodkit.validation.iodfacts",
    "iodkit.validation.itemmemo",
    "iodkit.validation.plans",
    "iodkit.validation.reader",
    "iodkit.validation.tree",
    "iodkit.validation.treememo",
    "iodkit.validation.valuesets",
    "iodkit.validation.vr",
)
PURE_PYTHON = "IODKIT_PURE_PYTHON"
GROUP = "iodkit_native"  # mypyc's name for the group: its shared library is GROUP__mypyc
FOLDER = "iodkit-compiled"
MANIFEST = "manifest.json"
LAYOUT = 1  # of the manifest
REBUILD = "iodkit compile (make compiled in a checkout)"


def folder() -> Path:
    """Where this environment's compiled modules are (or would be) built."""
    return Path(sys.prefix) / FOLDER


def source_of(module: str, package_root: Path | None = None) -> Path:
    """The ``.py`` file of one of :data:`MODULES` (``iodkit.x.y`` -> ``<package>/x/y.py``)."""
    root = package_root or Path(__file__).resolve().parent
    return root.joinpath(*module.split(".")[1:]).with_suffix(".py")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def manifest(package_root: Path | None = None) -> dict[str, object]:
    """What a build records: the interpreter, and each compiled module's source hash."""
    return {
        "layout": LAYOUT,
        "python": sys.version,
        "modules": {m: digest(source_of(m, package_root)) for m in MODULES},
    }


def check(root: Path, package_root: Path | None = None) -> str | None:
    """None when the compiled tree at ``root`` may be used here; else why not, in words."""
    try:
        recorded = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return f"not compiled ({REBUILD} builds the compiled modules)"
    except (OSError, ValueError) as exc:
        return f"{root / MANIFEST} cannot be read ({exc})"
    if recorded.get("layout") != LAYOUT or recorded.get("python") != sys.version:
        return f"compiled for another Python or iodkit ({root}); {REBUILD} rebuilds"
    modules = recorded.get("modules") or {}
    if sorted(modules) != sorted(MODULES):
        return f"compiled modules other than iodkit's list ({root}); {REBUILD} rebuilds"
    for module in MODULES:
        source = source_of(module, package_root)
        try:
            now = digest(source)
        except OSError:
            return f"{source} cannot be read"
        if modules.get(module) != now:
            return f"{source} changed since it was compiled; {REBUILD} rebuilds"
    return None


@functools.cache
def state() -> tuple[Path | None, str]:
    """(the compiled tree to use, or None; what runs, in words), decided once a process."""
    if os.environ.get(PURE_PYTHON):
        return None, f"pure Python ({PURE_PYTHON} is set)"
    root = folder()
    why = check(root)
    if why is None:
        return root, f"compiled with mypyc ({root})"
    if (root / MANIFEST).exists():
        # built once, no longer matching: say so, once, rather than run a stale copy
        warnings.warn(f"iodkit runs pure Python: {why}", RuntimeWarning, stacklevel=3)
    return None, f"pure Python: {why}"


def status() -> str:
    """What runs the validator in this process, in words (``iodkit validate -v`` says it)."""
    return state()[1]


def prefer(package: str, path: list[str]) -> list[str]:
    """``path`` (a package's ``__path__``) with the package's compiled folder first, when
    there is one to use."""
    root, _ = state()
    if root is None:
        return path
    compiled = root.joinpath(*package.split("."))
    if not compiled.is_dir():
        return path
    _load_shared_library(root)
    return [str(compiled), *path]


def _load_shared_library(root: Path) -> None:
    """The group's shared library, which each compiled module imports by its top-level name,
    loaded from the compiled folder by hand: that folder on ``sys.path`` would also offer its
    ``iodkit/`` (a namespace package without ``__init__``) to a process that starts with the
    same ``sys.path`` (a worker of multiprocessing or Dask) before it imports iodkit."""
    import importlib.machinery
    import importlib.util

    name = f"{GROUP}__mypyc"
    if name in sys.modules:
        return
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        library = root / f"{name}{suffix}"
        if library.is_file():
            spec = importlib.util.spec_from_file_location(name, library)
            if spec is not None and spec.loader is not None:
                module = importlib.util.module_from_spec(spec)
                sys.modules[name] = module
                spec.loader.exec_module(module)
                return

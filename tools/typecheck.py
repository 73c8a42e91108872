"""mypy over the repository with ``iodkit`` resolved as users import it.

pyproject.toml maps ``iodkit`` -> ``runtime/``, ``iodkit.generated`` -> ``generated/`` and
``iodkit.codegen`` -> ``codegen/``. mypy has no such mapping: it finds modules by folder name,
and the editable install exposes the mapping only through an import hook that mypy cannot run.
So this script hands mypy every file of the three folders under its real module name (the
mapping is read from ``[tool.setuptools] package-dir``), and mypy reports errors with the
repository's own paths. The project's ``[tool.mypy]`` settings apply; other targets on the
command line (``bench``, a file) are checked with iodkit resolved.

    python tools/typecheck.py [mypy options] [more targets…]
    python tools/typecheck.py --only generated/modules,runtime/builders.py [targets…]
"""

from __future__ import annotations

import shutil
import sys
import tomllib
from pathlib import Path

from mypy import build
from mypy.errors import CompileError
from mypy.main import process_options
from mypy.modulefinder import BuildSource

ROOT = Path(__file__).resolve().parent.parent


def package_dirs(root: Path = ROOT) -> dict[str, Path]:
    """Import name -> folder, from pyproject.toml (the one place the mapping is written)."""
    config = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    mapping = config["tool"]["setuptools"]["package-dir"]
    return {name: root / folder for name, folder in mapping.items()}


def iodkit_sources(root: Path = ROOT) -> list[BuildSource]:
    """One source per ``.py`` file of the mapped folders, named as ``import`` would name it."""
    sources: list[BuildSource] = []
    mapped = package_dirs(root)
    for package, folder in mapped.items():
        # a sub-folder mapped to a name of its own (generated/templates -> iodkit.templates)
        # is checked under that name only
        inner = [f for f in mapped.values() if f != folder and folder in f.parents]
        for path in sorted(folder.rglob("*.py")):
            if any(f in path.parents for f in inner):
                continue
            parts = list(path.relative_to(folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            if not all(part.isidentifier() for part in parts):
                continue
            module = ".".join([package, *parts])
            sources.append(BuildSource(str(path.relative_to(root)), module, None))
    return sources


def package_tree(root: Path, into: Path) -> Path:
    """A folder in which the mapped packages stand under their import names (links to the
    repository's folders), so mypy can find a module it is not asked to check."""
    shutil.rmtree(into, ignore_errors=True)
    mapped = package_dirs(root)
    for name in sorted(mapped, key=lambda n: n.count(".")):
        folder, target = mapped[name], into.joinpath(*name.split("."))
        nested = {n[len(name) + 1 :].split(".")[0] for n in mapped if n.startswith(name + ".")}
        if nested:  # a real folder holding links to the folder's entries and the nested ones
            target.mkdir(parents=True, exist_ok=True)
            for child in folder.iterdir():
                if child.name not in nested and child.name != "__pycache__":
                    (target / child.name).symlink_to(child)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(folder)
    return into


def check(
    args: list[str], root: Path = ROOT, only: list[str] | None = None
) -> tuple[list[str], int]:
    """Run mypy on the iodkit package plus ``args``; return (messages, number of errors).

    ``only``: check just the files under these repository paths (and ``args``); the rest of
    iodkit is found through :func:`package_tree` and read only as far as those files import
    it, its own errors not reported (``make lint`` checks everything).
    """
    extra, options = process_options(args, require_targets=False)
    sources = iodkit_sources(root)
    if only:
        prefixes = [p.rstrip("/") for p in only]
        sources = [s for s in sources if any(_under(s.path, p) for p in prefixes)]
        # a stable place, so mypy's cache stays valid from one run to the next
        tree = package_tree(root, Path(options.cache_dir).resolve() / "iodkit-package-tree")
        options.mypy_path = [str(tree), *options.mypy_path]
        options.follow_imports = "silent"
    known = {source.path for source in sources}
    sources += [source for source in extra if source.path not in known]
    try:
        result = build.build(sources, options)
    except CompileError as error:
        return list(error.messages), len(error.messages)
    errors = [line for line in result.errors if ": error:" in line]
    return result.errors, len(errors)


def _under(path: str | None, prefix: str) -> bool:
    return path is not None and (path == prefix or path.startswith(prefix + "/"))


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    only: list[str] | None = None
    if args[:1] == ["--only"]:
        only, args = args[1].split(","), args[2:]
    messages, errors = check(args, only=only)
    for line in messages:
        print(line)
    files = len({line.split(":", 1)[0] for line in messages if ": error:" in line})
    if errors:
        print(
            f"Found {errors} error{'s' if errors != 1 else ''} in {files} "
            f"file{'s' if files != 1 else ''}"
        )
        return 1
    print("Success: no issues found (iodkit resolved from pyproject's package-dir)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

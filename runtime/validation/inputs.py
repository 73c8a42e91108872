"""What ``iodkit validate`` validates: its arguments resolved into :class:`Source` objects.

Each argument is offered to the resolvers of :data:`RESOLVERS` in order; the first that
recognises it says what it stands for. A resolver is named as ``"module:function"`` and
imported only when an argument reaches it, so an input kind with heavy dependencies (DICOMweb,
say) costs nothing to a run that does not use it. Its function takes the argument and the
:class:`ResolveOptions` and returns a :class:`Resolution`, or None when the argument is not its
kind. To add an input kind, add its resolver to :data:`RESOLVERS` ahead of ``paths`` (which
takes anything).

A :class:`Source` names what to show in reports and how to validate it: ``validator`` is again
a ``"module:function"`` name, called with the source and the
:class:`~iodkit.validation.context.ValidationContext`, returning a
:class:`~iodkit.validation.api.FileReport`. Names rather than functions keep a source plain
data, so the runners (:mod:`iodkit.validation.runners`) can hand it to other processes.

The file resolver (:func:`paths`) takes paths, folders (searched recursively, sorted), glob
patterns (``scans/**/*.dcm``) and list files (``@list.txt``: one argument a line, ``#``
comments); in folder walks it skips hidden files and folders (a name starting with ".": editor
and version-control litter, macOS ``._`` resource forks) and files whose suffix says they are
something else (README.md, MANIFEST.tsv), and reports what it skipped (``-v`` lists it). A
file named explicitly is always validated.
"""

from __future__ import annotations

import glob
import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: resolvers tried in order for each argument ("module:function"); the last takes anything
RESOLVERS: tuple[str, ...] = (
    "iodkit.web.inputs:addresses",  # DICOMweb study/series/instance URLs (…/metadata: metadata)
    "iodkit.web.inputs:metadata_files",  # DICOM JSON files (.json, .jsonl, .ndjson)
    "iodkit.validation.inputs:paths",
)

#: suffixes a folder walk passes over: what sits next to DICOM files and is not DICOM
NOT_DICOM = frozenset(
    ".md .txt .tsv .csv .json .xml .html .htm .py .yaml .yml .zip .gz .png .jpg .jpeg .pdf "
    ".log .ini .cfg".split()
)
_GLOB = frozenset("*?[")


#: the validator of files (a path in ``location``)
FILE_VALIDATOR = "iodkit.validation.api:report_source"


@dataclass(frozen=True, slots=True)
class Source:
    """One thing to validate. ``name`` is what reports show (a path, a URL); ``location`` what
    the validator opens; ``size`` (bytes, when known) lets runners hand out large ones first."""

    name: str
    location: str
    validator: str = FILE_VALIDATOR
    size: int = 0


@dataclass
class Skipped:
    """Something an argument led to that is not validated, and why."""

    name: str
    reason: str  # "hidden", "not DICOM by its suffix"


@dataclass
class Resolution:
    """What one argument stands for."""

    sources: list[Source] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # arguments naming nothing
    #: arguments naming something that cannot be read, each as "argument: why" (a DICOMweb
    #: server that does not answer, a metadata file that is not DICOM JSON)
    unreadable: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ResolveOptions:
    """Options that shape resolution (from the command line)."""

    include_hidden: bool = False


def named(name: str) -> Callable[..., Any]:
    """The function a ``"module:function"`` name designates."""
    module, _, attr = name.partition(":")
    return getattr(importlib.import_module(module), attr)  # type: ignore[no-any-return]


def resolve(
    arguments: list[str],
    options: ResolveOptions | None = None,
    resolvers: tuple[str, ...] | None = None,
) -> Resolution:
    """All arguments, each through the first resolver that recognises it; sources in the order
    of the arguments (a folder's files sorted), each named once."""
    options = options or ResolveOptions()
    out = Resolution()
    seen: set[str] = set()
    functions = [named(r) for r in (RESOLVERS if resolvers is None else resolvers)]
    for arg in arguments:
        for fn in functions:
            got = fn(arg, options)
            if got is None:
                continue
            for s in got.sources:
                if s.location not in seen:
                    seen.add(s.location)
                    out.sources.append(s)
            out.skipped.extend(got.skipped)
            out.missing.extend(got.missing)
            out.unreadable.extend(got.unreadable)
            break
        else:
            out.missing.append(arg)
    return out


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def _file(path: Path) -> Source:
    try:
        size = path.stat().st_size
    except OSError:
        size = 0
    return Source(str(path), str(path), size=size)


def _walk(root: Path, options: ResolveOptions, out: Resolution) -> None:
    for p in sorted(root.rglob("*")):
        if not p.is_file():
            continue
        if not options.include_hidden and _hidden(p, root):
            out.skipped.append(Skipped(str(p), "hidden"))
        elif p.suffix.lower() in NOT_DICOM:
            out.skipped.append(Skipped(str(p), "not DICOM by its suffix"))
        else:
            out.sources.append(_file(p))


def paths(arg: str, options: ResolveOptions) -> Resolution:
    """A file, a folder, a glob pattern or ``@list`` file (see the module's docstring)."""
    out = Resolution()
    if arg.startswith("@") and len(arg) > 1:
        listing = Path(arg[1:])
        try:
            lines = listing.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            out.missing.append(arg)
            return out
        entries = [ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]
        inner = resolve(entries, options)
        return inner
    p = Path(arg)
    if p.is_dir():
        _walk(p, options, out)
    elif p.is_file():
        out.sources.append(_file(p))
    elif _GLOB & set(arg):
        hits = sorted(glob.glob(arg, recursive=True, include_hidden=options.include_hidden))
        if not hits:
            out.missing.append(arg)
        for h in hits:
            q = Path(h)
            if q.is_dir():
                _walk(q, options, out)
            elif q.is_file():
                out.sources.append(_file(q))
    else:
        out.missing.append(arg)
    return out

"""The validator's entry points: a pydicom Dataset, a path or a file's bytes → findings.

``iodkit.validate`` is :func:`validate`. Whatever the input, the result is a list of
:class:`~iodkit.validation.findings.Finding`; an unreadable input or a failure of the validator
itself is a finding too, never an exception.
"""

from __future__ import annotations

import gc
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from iodkit.rulemodel.rows import StaleRulesError

from .context import STORED, ValidationContext
from .engine import _Check
from .findings import Finding
from .fromvalues import from_dataset
from .inputs import Source
from .reader import parse
from .rules import RuleBook, rule_book
from .sniff import not_dicom
from .tree import ParsedFile


@dataclass(frozen=True, slots=True)
class FileReport:
    """The findings for one file and what it was taken for (IOD name, "" when unknown)."""

    path: str
    iod: str
    findings: list[Finding]

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == "error")


def _run(
    parsed: ParsedFile, book: RuleBook | None, context: ValidationContext = STORED
) -> tuple[list[Finding], str]:
    book = book or rule_book()
    check = _Check(parsed, book, context)
    try:
        check.run()
        findings = collapse_notes(collapse_frames(check.finish()))
    except StaleRulesError:  # the installation is broken, not the input: say so loudly
        raise
    except RecursionError:
        check.add("error", "read", "", "the dataset nests too deeply to be checked")
        findings = check.findings
    except Exception as exc:  # never a traceback for a bad input: say what happened
        check.add("error", "read", "", f"validation stopped: {type(exc).__name__}: {exc}")
        findings = check.findings
    return findings, check.iod_rules.name if check.iod_rules else ""


def check_parsed(
    parsed: ParsedFile, book: RuleBook | None = None, context: ValidationContext = STORED
) -> list[Finding]:
    """Findings for an already parsed file; a failure of the validator itself is a finding."""
    return _run(parsed, book, context)[0]


def report_source(source: Source, context: ValidationContext = STORED) -> FileReport:
    """The report of a file source (:mod:`iodkit.validation.inputs`), under its name."""
    report = report_file(source.location, context=context)
    return report if source.name == report.path else replace(report, path=source.name)


def report_file(
    path: str | Path, book: RuleBook | None = None, context: ValidationContext = STORED
) -> FileReport:
    """:func:`validate_file` with the IOD the file was validated against."""
    return inspect_file(path, book, context)[0]


def inspect_file(
    path: str | Path, book: RuleBook | None = None, context: ValidationContext = STORED
) -> tuple[FileReport, ParsedFile | None]:
    """:func:`report_file` and the tree it checked (None when the file could not be read), for
    checks that compare several files (:mod:`iodkit.scale.series`)."""
    if not gc.isenabled():
        return _inspect_file(path, book, context)
    # The tree has no reference cycles (tree.Encoding): what a file allocates is freed by
    # reference counting. The collector's passes over it while the file is read and checked
    # (one every 700 new objects, some 30 a file) found next to nothing and cost 1.2% of the
    # corpus run's instructions; it runs after the file, on what is left (an SR template match
    # leaves a few thousand objects in cycles).
    gc.disable()
    try:
        return _inspect_file(path, book, context)
    finally:
        gc.enable()


def _inspect_file(
    path: str | Path, book: RuleBook | None, context: ValidationContext
) -> tuple[FileReport, ParsedFile | None]:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        msg = f"cannot read {path}: {exc.strerror or exc}"
        return FileReport(str(path), "", [Finding("error", "read", "", msg)]), None
    reason = not_dicom(data)
    if reason is not None:
        return FileReport(str(path), "", [Finding("error", "read", "", reason)]), None
    try:
        parsed = parse(data)
    except Exception as exc:
        msg = f"cannot parse {path}: {type(exc).__name__}: {exc}"
        return FileReport(str(path), "", [Finding("error", "read", "", msg)]), None
    return report_parsed(str(path), parsed, book, context), parsed


def report_parsed(
    name: str,
    parsed: ParsedFile,
    book: RuleBook | None = None,
    context: ValidationContext = STORED,
) -> FileReport:
    """The report of an already parsed input, under ``name``."""
    findings, iod = _run(parsed, book, context)
    return FileReport(name, iod, findings)


_FRAME = re.compile(r"^PerFrameFunctionalGroupsSequence\[(\d+)\]")
_ANY_FRAME = "PerFrameFunctionalGroupsSequence[*]"
_FRAME_PREFIX = "PerFrameFunctionalGroupsSequence["


_FrameKey = tuple[str, str, str, str]


def _collapse(
    findings: list[Finding],
    key_of: Callable[[Finding], _FrameKey | None],
    merge: Callable[[_FrameKey, list[Finding]], Finding],
) -> list[Finding]:
    """Findings with the same key (``key_of``; None: keep as is) made one by ``merge``, at the
    place of the first; a key met once keeps its finding unchanged."""
    groups: dict[_FrameKey, list[Finding]] = {}
    order: list[_FrameKey | Finding] = []
    for f in findings:
        key = key_of(f)
        if key is None:
            order.append(f)
            continue
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append(f)
    out: list[Finding] = []
    for item in order:
        if isinstance(item, Finding):
            out.append(item)
            continue
        hits = groups[item]
        out.append(hits[0] if len(hits) == 1 else merge(item, hits))
    return out


def collapse_frames(findings: list[Finding]) -> list[Finding]:
    """One finding for the same problem in many frames ("… in 250 of the frames, first 3").

    A 2000-frame file missing one attribute in every frame is one problem, not 2000 lines.
    """
    if not any(f.path.startswith(_FRAME_PREFIX) for f in findings):
        return list(findings)  # (most files: no finding in a frame)

    def key_of(f: Finding) -> _FrameKey | None:
        m = _FRAME.match(f.path)
        # the path with "[*]" for the frame number (what _FRAME.sub would make, without it)
        return None if m is None else (f.code, _ANY_FRAME + f.path[m.end() :], f.message, f.module)

    def merge(key: _FrameKey, hits: list[Finding]) -> Finding:
        frames = sorted(int(_FRAME.findall(f.path)[0]) + 1 for f in hits)
        shown = ", ".join(str(i) for i in frames[:5]) + (", …" if len(frames) > 5 else "")
        message = f"{hits[0].message} (in {len(frames)} frames: {shown})"
        return replace(hits[0], path=key[1], message=message)

    return _collapse(findings, key_of, merge)


_INDEX = re.compile(r"\[\d+\]")


def collapse_notes(findings: list[Finding]) -> list[Finding]:
    """One note for the same "cannot decide" in many sequence items.

    An SR tree asks the same undecidable question of every content item ("Required if the
    enclosing Content Item has relationships"): 240 notes that differ only in their item
    numbers say one thing. Notes (severity info) only; errors and warnings keep every path.
    """
    if not any(f.severity == "info" and "[" in f.path for f in findings):
        return list(findings)  # no note in an item

    def key_of(f: Finding) -> _FrameKey | None:
        if f.severity != "info" or "[" not in f.path:
            return None
        return (f.code, _INDEX.sub("[*]", f.path), f.message, f.module)

    def merge(key: _FrameKey, hits: list[Finding]) -> Finding:
        message = f"{hits[0].message} (in {len(hits)} items, first {hits[0].path})"
        return replace(hits[0], path=key[1], message=message)

    return _collapse(findings, key_of, merge)


def validate_bytes(
    data: bytes, book: RuleBook | None = None, context: ValidationContext = STORED
) -> list[Finding]:
    reason = not_dicom(data)
    if reason is not None:
        return [Finding("error", "read", "", reason)]
    try:
        parsed = parse(data)
    except Exception as exc:
        return [Finding("error", "read", "", f"cannot parse: {type(exc).__name__}: {exc}")]
    return check_parsed(parsed, book, context)


def validate_file(
    path: str | Path, book: RuleBook | None = None, context: ValidationContext = STORED
) -> list[Finding]:
    """Validate one file; an unreadable or unparsable file is a finding, not an exception."""
    return report_file(path, book, context).findings


def validate(
    source: Any, book: RuleBook | None = None, context: ValidationContext = STORED
) -> list[Finding]:
    """Validate a pydicom ``Dataset``, a path, or the bytes of a file against its IOD.

    ``context`` says how the dataset reaches its recipient (a stored instance unless told
    otherwise; see :class:`~iodkit.validation.context.ValidationContext`).

    >>> findings = validate("image.dcm")            # doctest: +SKIP
    >>> [str(f) for f in findings if f.severity == "error"]  # doctest: +SKIP
    """
    # a pydicom Dataset exists only once pydicom is loaded: a path or bytes never import it
    pydicom_dataset = sys.modules.get("pydicom.dataset")
    if pydicom_dataset is not None and isinstance(source, pydicom_dataset.Dataset):
        try:
            parsed = from_dataset(source, bulk_by_reference=context.metadata)
        except Exception as exc:
            return [Finding("error", "read", "", f"cannot read the dataset: {exc}")]
        return check_parsed(parsed, book, context)
    if isinstance(source, (bytes, bytearray, memoryview)):
        return validate_bytes(bytes(source), book, context)
    return validate_file(source, book, context)

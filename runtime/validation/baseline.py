"""Baselines: findings a project has accepted, so CI fails only on new ones.

A baseline is a JSON file::

    {"suppress": [
        {"code": "vr", "path": "LongitudinalTemporalInformationModified",
         "file": "scans/mr/*.dcm", "reason": "scanner writes SH; vendor ticket 1234"},
        {"code": "not-in-iod", "file": "legacy/**"}
    ]}

Each entry matches findings by ``code``, attribute ``path`` and ``file`` (the name the report
shows), each a pattern where ``*`` stands for any run of characters (folders included) and
``?`` for one; everything else is literal (so ``PixelMeasuresSequence[0]`` means itself). A
field left out matches anything, but an entry must name at least one; ``severity`` may narrow
it further. A suppressed finding is not counted towards the exit code, and is never hidden silently:
``iodkit validate`` reports how many each file had and in total (``-v`` lists them, ``--json``
marks them ``"suppressed": true``), and names the entries that matched nothing (the problem they
accepted is gone: the entry can go too). ``--write-baseline FILE`` writes the errors and
warnings of a run as a baseline to start from.

Series findings (``--series``, scope "series") are matched the same way; their ``file`` is the
Series Instance UID or any of the files the finding names, and ``--write-baseline`` records them
under the Series Instance UID (the files of a duplicate SOP Instance UID without one).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from .findings import Finding

_FIELDS = ("code", "path", "file", "severity")


class BaselineError(ValueError):
    """A baseline file that cannot be read; the message names the file and the problem."""


@lru_cache(maxsize=1024)
def _pattern(text: str) -> re.Pattern[str]:
    parts = re.split(r"(\*+|\?)", text)
    return re.compile(
        "".join(".*" if p.startswith("*") else "." if p == "?" else re.escape(p) for p in parts)
    )


@dataclass
class Entry:
    """One accepted finding pattern."""

    code: str = ""
    path: str = ""
    file: str = ""
    severity: str = ""
    reason: str = ""
    hits: int = 0

    def matches(self, finding: Finding, file: str, *more: str) -> bool:
        """Whether this entry accepts ``finding``; its ``file`` pattern may match ``file`` or
        any of ``more`` (a series finding: the files it names and its Series Instance UID)."""
        for name, value in (
            ("code", finding.code),
            ("path", finding.path),
            ("severity", finding.severity),
        ):
            want = getattr(self, name)
            if want and not _pattern(want).fullmatch(value):
                return False
        return not self.file or any(_pattern(self.file).fullmatch(n) for n in (file, *more))

    def describe(self) -> str:
        parts = [f"{k}={getattr(self, k)!r}" for k in _FIELDS if getattr(self, k)]
        return ", ".join(parts)


@dataclass
class Baseline:
    """The entries of a baseline file, with how often each matched in this run."""

    source: str = ""
    entries: list[Entry] = field(default_factory=list)

    def suppressed(self, finding: Finding, file: str, *more: str) -> bool:
        """Whether an entry accepts ``finding`` of ``file`` (or of any of ``more``: the other
        names a series finding goes by), counted on the first entry that does."""
        for e in self.entries:
            if e.matches(finding, file, *more):
                e.hits += 1
                return True
        return False

    def unused(self) -> list[Entry]:
        return [e for e in self.entries if not e.hits]


def load(path: str | Path) -> Baseline:
    """Read a baseline file; :class:`BaselineError` names what is wrong with it."""
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BaselineError(f"{p}: cannot read the baseline: {exc.strerror or exc}") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BaselineError(f"{p}: not a JSON baseline: {exc}") from exc
    items = data.get("suppress") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise BaselineError(f'{p}: a baseline is {{"suppress": [entries]}}')
    entries = []
    for i, item in enumerate(items, 1):
        if not isinstance(item, dict) or not all(isinstance(v, str) for v in item.values()):
            raise BaselineError(f"{p}: entry {i} is not an object of strings")
        unknown = set(item) - {*_FIELDS, "reason"}
        if unknown:
            raise BaselineError(f"{p}: entry {i} has unknown fields {sorted(unknown)}")
        if not any(item.get(k) for k in _FIELDS):
            raise BaselineError(f"{p}: entry {i} names no code, path, file or severity")
        entries.append(Entry(**item))
    return Baseline(str(p), entries)


def write(path: str | Path, findings: list[tuple[str, Finding]]) -> int:
    """Write a baseline accepting each (file, finding) given (errors and warnings); returns
    the number of entries."""
    seen: dict[tuple[str, str, str], dict[str, Any]] = {}
    for file, f in findings:
        if f.severity == "info":
            continue
        key = (f.code, f.path, file)
        seen.setdefault(key, {"code": f.code, "path": f.path, "file": file})
    entries = list(seen.values())
    Path(path).write_text(json.dumps({"suppress": entries}, indent=1) + "\n", encoding="utf-8")
    return len(entries)

"""What ``iodkit validate`` prints: reports as text or JSON, the summary, the progress bar.

Text goes to stdout; the progress bar (tqdm) to stderr, only when stderr is a terminal, only
once the work has lasted a moment, and cleared before anything else is written to the
terminal, so it never mixes with findings, and never with ``--json`` (whose document is
written whole at the end). What is shown follows the same rules in both forms:

* default: errors and warnings; ``-v``: also the "cannot decide" notes (severity info) and the
  findings a baseline suppressed; ``-q``: only the files with errors, and only their errors;
* counts are spelled with their nouns' plurals ("1 error", "2 warnings").
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from .api import FileReport
    from .findings import Finding

SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}
#: The JSON key counting each severity, per file and in the summary: an "info" finding is a
#: condition that cannot be decided, and the text output calls it "undecided" too.
COUNT_KEYS = {"error": "errors", "warning": "warnings", "info": "undecided"}


def plural(n: int, noun: str, nouns: str | None = None) -> str:
    """ "1 error", "2 errors", "0 files"; ``nouns`` for an irregular plural."""
    if n == 1:
        return f"{n} {noun}"
    return f"{n} {nouns or noun + 's'}"


@dataclass(frozen=True)
class Verbosity:
    """``-v`` / ``-q`` as what to show."""

    verbose: bool = False
    quiet: bool = False

    @property
    def limit(self) -> int:
        """The least severe finding shown (a rank of :data:`SEVERITY_RANK`)."""
        return 0 if self.quiet else 2 if self.verbose else 1

    def shows(self, f: Finding) -> bool:
        return SEVERITY_RANK[f.severity] <= self.limit


@dataclass
class Outcome:
    """One report with what a baseline made of it."""

    report: FileReport
    kept: list[Finding]
    suppressed: list[Finding] = field(default_factory=list)

    def count(self, severity: str) -> int:
        return sum(1 for f in self.kept if f.severity == severity)

    @property
    def errors(self) -> int:
        return self.count("error")


def text(outcome: Outcome, how: Verbosity, out: TextIO) -> None:
    """One file's findings as text (nothing for a file without errors under ``-q``)."""
    r = outcome.report
    errors, warnings, notes = (outcome.count(s) for s in ("error", "warning", "info"))
    if how.quiet and not errors:
        return
    iod = f" [{r.iod}]" if r.iod else ""
    head = f"{r.path}{iod}: {plural(errors, 'error')}, {plural(warnings, 'warning')}"
    if notes:
        head += f", {notes} undecided"
    if outcome.suppressed:
        head += f"; {len(outcome.suppressed)} suppressed by the baseline"
    print(head, file=out)
    for f in sorted(outcome.kept, key=lambda f: SEVERITY_RANK[f.severity]):
        if how.shows(f):
            print(f"  {f}", file=out)
    if how.verbose:
        for f in outcome.suppressed:
            print(f"  SUPPRESSED {f}", file=out)


def json_entry(outcome: Outcome, how: Verbosity) -> dict[str, Any] | None:
    """One file's entry of the JSON document, with the findings ``-v``/``-q`` show (None for
    a file without errors under ``-q``)."""
    r = outcome.report
    if how.quiet and not outcome.errors:
        return None
    findings = [f.to_dict() for f in outcome.kept if how.shows(f)]
    if how.verbose:
        findings += [{**f.to_dict(), "suppressed": True} for f in outcome.suppressed]
    return {
        "file": r.path,
        "iod": r.iod,
        "errors": outcome.errors,
        "warnings": outcome.count("warning"),
        COUNT_KEYS["info"]: outcome.count("info"),
        "suppressed": len(outcome.suppressed),
        "findings": findings,
    }


def series_text(
    findings: list[Any], how: Verbosity, out: TextIO, suppressed: Sequence[Any] = ()
) -> None:
    """The series-level findings (``--series``), after the files: one block per series; those
    a baseline suppressed are counted there (and listed under ``-v``)."""
    shown = [x for x in findings if how.shows(x.finding)]
    gone = list(suppressed)
    by_series: dict[str, tuple[list[Any], list[Any]]] = {}
    for x in shown:
        by_series.setdefault(x.series, ([], []))[0].append(x)
    for x in gone:
        by_series.setdefault(x.series, ([], []))[1].append(x)
    for uid, (group, accepted) in by_series.items():
        errors = sum(1 for x in group if x.finding.severity == "error")
        warnings = sum(1 for x in group if x.finding.severity == "warning")
        if how.quiet and not errors:
            continue
        study = (group or accepted)[0].study
        head = (
            f"series {uid} (study {study}): {plural(errors, 'error')}, "
            f"{plural(warnings, 'warning')}"
        )
        if accepted:
            head += f"; {len(accepted)} suppressed by the baseline"
        print(head, file=out)
        for x in group:
            print(f"  {x.finding}", file=out)
        if how.verbose:
            for x in accepted:
                print(f"  SUPPRESSED {x.finding}", file=out)


class Progress:
    """A progress bar on stderr for long runs (tqdm), drawn only on a terminal.

    ``delay``: seconds before the bar first appears, so short runs never show one.
    :meth:`clear` removes it from the terminal before other output; the next update
    draws it again."""

    DELAY = 0.5

    def __init__(
        self, total: int, enabled: bool, stream: TextIO | None = None, unit: str = "file"
    ) -> None:
        self.stream = stream or sys.stderr
        self.bar: Any = None
        if enabled and total > 1 and _isatty(self.stream):
            try:
                from tqdm import tqdm
            except ImportError:  # the dependency is declared; a broken install just loses it
                return

            class Bar(tqdm):  # type: ignore[type-arg, misc]
                # no monitor thread: a process with a thread must not fork (the processes
                # runner forks its workers), and the bar is updated once per report anyway
                monitor_interval = 0

            self.bar = Bar(
                total=total,
                file=self.stream,
                unit=unit,
                delay=self.DELAY,
                leave=False,
                dynamic_ncols=True,
                desc="validating",
            )

    def step(self, errors: int) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(plural(errors, "file") + " with errors", refresh=False)
            self.bar.update(1)

    @contextmanager
    def cleared(self) -> Iterator[None]:
        """Writes to the terminal with the bar out of the way."""
        if self.bar is None:
            yield
            return
        with self.bar.external_write_mode(file=self.stream):
            yield

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()  # leave=False: the line is cleared
            self.bar = None


def _isatty(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def summary_line(
    files: int,
    with_errors: int,
    totals: dict[str, int],
    suppressed: int,
    elapsed: float,
    series: tuple[int, int] | None = None,
) -> str:
    """The last line of a text run; ``series``: the (errors, warnings) of ``--series`` that a
    baseline kept, which count towards the exit code like a file's."""
    line = (
        f"{plural(files, 'file')}, {with_errors} with errors; "
        f"{plural(totals['error'], 'error')}, {plural(totals['warning'], 'warning')}, "
        f"{totals['info']} undecided"
    )
    if series is not None:
        line += f"; series: {plural(series[0], 'error')}, {plural(series[1], 'warning')}"
    if suppressed:
        line += f", {suppressed} suppressed by the baseline"
    return f"{line} in {elapsed:.1f} s"


def now() -> float:
    return time.perf_counter()

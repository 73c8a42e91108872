"""``iodkit validate FILES…``: validate DICOM files against their IOD.

Folders are searched recursively. Text output lists errors and warnings per file (``-v`` adds
the "cannot decide" notes); ``--json`` writes one JSON document. With ``--jobs N`` files are
validated in N processes (results still come in the order given). Progress goes to stderr when
there are many files.

Exit code: 0 no errors, 1 errors found, 2 it could not run (no such file, no files, bad
arguments).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from .api import FileReport

_SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="*", type=Path, help="DICOM files or folders")
    parser.add_argument("--json", action="store_true", help="one JSON document on stdout")
    parser.add_argument(
        "-j", "--jobs", type=int, default=1, help="processes to use (default 1; 0 = all cores)"
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="also list 'cannot decide' notes (severity info)",
    )
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="only the summary line and errors"
    )
    parser.add_argument(
        "--no-progress", action="store_true", help="no progress on stderr, even for many files"
    )
    parser.add_argument(
        "--coverage",
        action="store_true",
        help="print how many of the edition's conditions are executable (with -v: list the "
        "others), and exit",
    )


_NOT_DICOM = frozenset(
    ".md .txt .tsv .csv .json .xml .html .htm .py .yaml .yml .zip .gz .png .jpg .jpeg .pdf".split()
)


def expand(paths: Iterable[Path]) -> tuple[list[Path], list[Path]]:
    """Files to validate and paths that do not exist. Folders are searched recursively (sorted),
    skipping files whose suffix says they are something else (README.md, MANIFEST.tsv);
    files named explicitly are always validated."""
    files: list[Path] = []
    missing: list[Path] = []
    for p in paths:
        if p.is_dir():
            found = (q for q in p.rglob("*") if q.is_file())
            files.extend(sorted(q for q in found if q.suffix.lower() not in _NOT_DICOM))
        elif p.exists():
            files.append(p)
        else:
            missing.append(p)
    return files, missing


def _validate_one(path: str) -> FileReport:
    from .api import report_file

    return report_file(path)


def reports(files: list[Path], jobs: int) -> Iterator[FileReport]:
    """Validate ``files`` in order, in ``jobs`` processes."""
    import gc

    # Loading the rules of an IOD makes tens of thousands of objects, none of them garbage;
    # at the default threshold (700) the collector ran over and over while they were made (4%
    # of a run over the test corpus). A file's tree has no cycles (reference counting frees
    # it), so collecting less often only delays the odd cyclic leftover.
    gc.set_threshold(10_000, 10, 10)
    names = [str(f) for f in files]
    if jobs <= 1 or len(names) < 2:
        for name in names:
            yield _validate_one(name)
            # the rules loaded so far live as long as the process: keep the collector from
            # scanning them again and again (a validated file's tree has no cycles to collect)
            gc.freeze()
        return
    import multiprocessing as mp

    method = "fork" if sys.platform.startswith("linux") else "spawn"
    if method == "fork":
        _warm(files)
        gc.freeze()  # shared with the workers, never scanned again
    ctx = mp.get_context(method)
    # Within each block of files, largest first, one at a time (a large multi-frame file
    # takes as long as dozens of small ones: handing them out first keeps the workers equally
    # busy to the end of the block); the reports are put back in the order given, so at most
    # a block waits for its first file.
    block = max(64, jobs * 16)
    order = [
        i
        for start in range(0, len(names), block)
        for i in sorted(
            range(start, min(start + block, len(names))), key=lambda i: -_size(names[i])
        )
    ]
    done: dict[int, FileReport] = {}
    nxt = 0
    with ctx.Pool(jobs) as pool:
        for i, report in pool.imap_unordered(_validate_indexed, [(i, names[i]) for i in order]):
            done[i] = report
            while nxt in done:
                yield done.pop(nxt)
                nxt += 1


def _validate_indexed(job: tuple[int, str]) -> tuple[int, FileReport]:
    return job[0], _validate_one(job[1])


def _size(name: str) -> int:
    try:
        return os.path.getsize(name)
    except OSError:
        return 0


def _warm(files: list[Path]) -> None:
    """Load what every worker needs before forking, so the workers share it instead of each
    making its own: the rules of the IODs the files need (the File Meta Information names the
    SOP Class) with their top-level layouts, the data dictionary, the context groups' index."""
    from . import api  # noqa: F401 - the engine's modules, imported once for all workers
    from .dictionary import entry
    from .engine import root_layout
    from .reader import sop_class_of
    from .rules import rule_book

    entry(0x00080016)  # loads the data dictionary
    try:
        import iodkit.codes  # noqa: F401 - context groups, for code sequences
    except ImportError:
        pass
    book = rule_book()
    seen: set[str] = set()
    for f in files:
        uid = sop_class_of(f)
        if uid and uid not in seen:
            seen.add(uid)
            try:
                iod = book.iod_for(uid)
                if iod is not None:
                    root_layout(book.plans, iod)
            except Exception:  # a broken rule module must not stop the run; the worker reports
                continue


class _Progress:
    """A line on stderr every second or so; silent for a handful of files."""

    def __init__(self, total: int, enabled: bool, stream: TextIO = sys.stderr) -> None:
        self.total = total
        self.enabled = enabled and total >= 20
        self.stream = stream
        self.started = time.perf_counter()
        self.last = self.started
        self.tty = stream.isatty()

    def step(self, done: int, errors: int) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if now - self.last < 1.0 and done != self.total:
            return
        self.last = now
        rate = done / max(now - self.started, 1e-9)
        msg = f"validated {done}/{self.total} files ({rate:.0f} files/s), {errors} with errors"
        if self.tty:
            end = "\n" if done == self.total else ""
            print(f"\r{msg}", end=end, file=self.stream, flush=True)
        else:
            print(msg, file=self.stream, flush=True)


def _text(report: FileReport, verbose: bool, quiet: bool, out: TextIO) -> None:
    fs = report.findings
    counts = {s: sum(1 for f in fs if f.severity == s) for s in ("error", "warning", "info")}
    iod = f" [{report.iod}]" if report.iod else ""
    head = f"{report.path}{iod}: {counts['error']} errors, {counts['warning']} warnings"
    if counts["info"]:
        head += f", {counts['info']} undecided"
    if quiet and not counts["error"]:
        return
    print(head, file=out)
    limit = "error" if quiet else "info" if verbose else "warning"
    for f in sorted(fs, key=lambda f: _SEVERITY_RANK[f.severity]):
        if _SEVERITY_RANK[f.severity] <= _SEVERITY_RANK[limit]:
            print(f"  {f}", file=out)


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    if args.coverage:
        return _coverage(out, args.verbose)
    files, missing = expand(args.files)
    for m in missing:
        print(f"iodkit validate: {m}: no such file or folder", file=sys.stderr)
    if missing:
        return 2
    if not files:
        print("iodkit validate: no files to validate", file=sys.stderr)
        return 2
    from iodkit.rulemodel.rows import StaleRulesError

    from . import rules

    try:
        rules.rule_book()  # the generated rules are loaded (and their layout checked) first
    except StaleRulesError as exc:
        print(f"iodkit validate: {exc}", file=sys.stderr)
        return 2
    jobs = args.jobs if args.jobs > 0 else (os.cpu_count() or 1)
    progress = _Progress(len(files), not args.no_progress and not args.json)
    collected: list[dict[str, Any]] = []
    files_with_errors = 0
    totals = {"error": 0, "warning": 0, "info": 0}
    started = time.perf_counter()
    try:
        for done, report in enumerate(reports(files, jobs), 1):
            for f in report.findings:
                totals[f.severity] += 1
            files_with_errors += report.errors > 0
            if args.json:
                collected.append(
                    {
                        "file": report.path,
                        "iod": report.iod,
                        "errors": report.errors,
                        "findings": [f.to_dict() for f in report.findings],
                    }
                )
            else:
                _text(report, args.verbose, args.quiet, out)
            progress.step(done, files_with_errors)
    except KeyboardInterrupt:
        print("iodkit validate: interrupted", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `iodkit validate … | head`
        return _broken_pipe()
    elapsed = time.perf_counter() - started
    try:
        _summary(args, out, collected, files, files_with_errors, totals, elapsed)
    except BrokenPipeError:
        return _broken_pipe()
    return 1 if files_with_errors else 0


def _coverage(out: TextIO, verbose: bool = False) -> int:
    try:
        return _print_coverage(out, verbose)
    except BrokenPipeError:  # `iodkit validate --coverage -v | head`
        return _broken_pipe()


def _print_coverage(out: TextIO, verbose: bool) -> int:
    from .rules import condition_counts, rule_book

    book = rule_book()
    listing: list[tuple[str, str, str, str, str]] = []
    counts = condition_counts(book, listing)
    statuses = ("executable", "not-decidable", "unparsed")
    total = {s: sum(c.get(s, 0) for c in counts.values()) for s in statuses}
    n = sum(total.values())
    print(f"conditions of DICOM {book.edition} in the validation rules:", file=out)
    for kind, c in sorted(counts.items()):
        detail = ", ".join(f"{s} {c.get(s, 0)}" for s in statuses)
        print(f"  {kind:17} {sum(c.values()):5}  {detail}", file=out)
    decidable = n - total["not-decidable"]
    print(
        f"  {'all':17} {n:5}  executable {total['executable']} ({total['executable'] / n:.1%}), "
        f"not decidable from a dataset {total['not-decidable']}, unparsed {total['unparsed']}; "
        f"executable among those a dataset can decide: "
        f"{total['executable'] / max(1, decidable):.1%}",
        file=out,
    )
    if verbose:  # every condition that is not executable, with the standard's words
        for status, kind, where, name, text in sorted(listing):
            print(f"[{status}] {kind} {where} {name}: {' '.join(text.split())}", file=out)
    return 0


def _broken_pipe() -> int:
    # the reader went away: stop quietly (and keep Python from complaining at exit)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return 1


def _summary(
    args: argparse.Namespace,
    out: TextIO,
    collected: list[dict[str, Any]],
    files: list[Path],
    files_with_errors: int,
    totals: dict[str, int],
    elapsed: float,
) -> None:
    if args.json:
        json.dump(
            {
                "files": collected,
                "summary": {
                    "files": len(files),
                    "files_with_errors": files_with_errors,
                    **{f"{k}s": v for k, v in totals.items()},
                },
            },
            out,
            indent=1,
        )
        out.write("\n")
    else:
        print(
            f"{len(files)} files, {files_with_errors} with errors; {totals['error']} errors, "
            f"{totals['warning']} warnings, {totals['info']} undecided in {elapsed:.1f} s",
            file=out,
        )

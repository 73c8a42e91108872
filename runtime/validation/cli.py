"""``iodkit validate INPUT…``: validate DICOM files against their IOD.

The command is three layers, each replaceable without touching the others:

* inputs (:mod:`iodkit.validation.inputs`): arguments → sources (files, folders, globs,
  ``@lists``; other kinds through :data:`~iodkit.validation.inputs.RESOLVERS`);
* runners (:mod:`iodkit.validation.runners`): sources → reports, in this process or in
  several (other runners through :data:`~iodkit.validation.runners.RUNNERS`, each also a
  ``--NAME`` flag);
* output (:mod:`iodkit.validation.output`): reports → text or JSON, a progress bar on a
  terminal, the summary; a baseline (:mod:`iodkit.validation.baseline`) decides which findings
  are accepted.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from typing import Any, TextIO

from .context import TRANSFERS, ValidationContext
from .findings import Finding
from .output import (
    COUNT_KEYS,
    Outcome,
    Progress,
    Verbosity,
    json_entry,
    now,
    plural,
    series_text,
    summary_line,
    text,
)

EXIT_CODES = """\
exit codes:
  0  no errors (findings a baseline accepts do not count)
  1  errors found
  2  could not run: no such input, nothing to validate, a bad baseline or arguments, or
     generated rules that do not fit this iodkit (run `make generate`)
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from .runners import BUILT_IN, RUNNERS

    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = EXIT_CODES
    parser.add_argument(
        "inputs",
        nargs="*",
        metavar="INPUT",
        help="DICOM files, folders (searched recursively), glob patterns ('scans/**/*.dcm') "
        "or @FILE (a list of inputs, one a line)",
    )
    parser.add_argument("--json", action="store_true", help="one JSON document on stdout")
    level = parser.add_mutually_exclusive_group()
    level.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="also list 'cannot decide' notes, suppressed findings and skipped files",
    )
    level.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="only files with errors, their errors, and the summary",
    )
    parser.add_argument(
        "-j", "--jobs", type=int, default=1, help="processes to use (default 1; 0 = all cores)"
    )
    parser.add_argument(
        "--runner",
        choices=sorted(RUNNERS),
        help="how to run the work (default: sequential, or processes with --jobs > 1)",
    )
    for name in sorted(set(RUNNERS) - set(BUILT_IN)):
        parser.add_argument(
            f"--{name}",
            nargs="?",
            metavar="ADDRESS",
            action=_RunnerFlag,
            const=name,
            help=f"run with the {name} runner (same as --runner {name}); ADDRESS: where it "
            "runs (for dask: a scheduler, e.g. tcp://host:8786; default: a local cluster of "
            "--jobs workers, or one per core)",
        )
    parser.add_argument(
        "--no-templates",
        action="store_true",
        help="do not check SR content trees against their PS3.16 templates",
    )
    parser.add_argument(
        "--series",
        action="store_true",
        help="also run the series-level checks (instances of a series agree on Patient, "
        "Study, Series and Frame of Reference attributes; volume positions; duplicate SOP "
        "Instance UIDs) — findings of scope 'series', listed after the files",
    )
    parser.add_argument(
        "--table",
        metavar="FILE",
        help="also write one row per finding to FILE (.jsonl or .parquet), with a summary in "
        "FILE.summary.json",
    )
    parser.add_argument(
        "--context",
        choices=TRANSFERS,
        default="stored",
        help="how the datasets travel (default: stored instances; stow-rs, metadata, "
        "stow-rs-metadata decide the conditions that speak of it, e.g. the Image Pixel "
        "description)",
    )
    parser.add_argument(
        "--baseline", metavar="FILE", help="accept the findings this JSON baseline lists"
    )
    parser.add_argument(
        "--write-baseline",
        metavar="FILE",
        help="write this run's errors and warnings as a baseline (then exit 0)",
    )
    parser.add_argument(
        "--include-hidden",
        action="store_true",
        help="also validate hidden files in folders (names starting with '.')",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument(
        "--coverage",
        action="store_true",
        help="print how many of the edition's conditions are executable (with -v: list the "
        "others), and exit",
    )


class _RunnerFlag(argparse.Action):
    """``--NAME [ADDRESS]``: run with the runner NAME, there if an address is given.

    The word after the flag is an address only if it looks like one (``scheme://…`` or
    ``host:port``, and no such file): ``--dask scans/`` validates ``scans/`` on a local
    cluster. argparse has taken the word all the same; it goes back among the inputs, where it
    stood (before them when no input came before the flag, after them otherwise)."""

    def __call__(
        self, parser: Any, namespace: argparse.Namespace, value: Any, option: Any = None
    ) -> None:
        namespace.runner = self.const
        namespace.runner_address = None
        if value in (None, self.const):
            return
        if "://" in value or (re.fullmatch(r"[\w.\-]+:\d+", value) and not os.path.exists(value)):
            namespace.runner_address = value
        else:
            namespace.runner_input = (value, bool(getattr(namespace, "inputs", None)))


def _arguments(args: argparse.Namespace) -> list[str]:
    """The inputs, with a word a ``--NAME [ADDRESS]`` flag took that is no address."""
    inputs = list(args.inputs)
    taken = getattr(args, "runner_input", None)
    if taken is None:
        return inputs
    word, after = taken
    return [*inputs, word] if after else [word, *inputs]


def _say(msg: str) -> None:
    print(f"iodkit validate: {msg}", file=sys.stderr)


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    if args.coverage:
        return _coverage(out, args.verbose)
    from .runners import STARTERS, named

    jobs = args.jobs if args.jobs > 0 else (os.cpu_count() or 1)
    starter = STARTERS.get(args.runner or "")
    if starter is None:
        return _run(args, out, jobs, None)
    # a runner that takes time to get ready (a Dask cluster) gets ready while inputs resolve
    started = named(starter)(jobs, getattr(args, "runner_address", None))
    try:
        return _run(args, out, jobs, started)
    finally:
        started.close()


def _run(args: argparse.Namespace, out: TextIO, jobs: int, started: Any) -> int:
    from iodkit.rulemodel.rows import StaleRulesError

    from . import baseline as bl
    from . import rules
    from .inputs import ResolveOptions, resolve
    from .runners import RUNNERS, SERIES_RUNNERS, RunnerError, named

    how = Verbosity(args.verbose, args.quiet)
    resolved = resolve(_arguments(args), ResolveOptions(include_hidden=args.include_hidden))
    for m in resolved.missing:
        _say(f"{m}: no such file or folder (nor anything matching it)")
    for u in resolved.unreadable:
        _say(u)
    if resolved.missing or resolved.unreadable:
        return 2
    if how.verbose and resolved.skipped and not args.json:
        for s in resolved.skipped:
            print(f"skipped ({s.reason}): {s.name}", file=out)
    if not resolved.sources:
        skipped = f" ({plural(len(resolved.skipped), 'file')} skipped)" if resolved.skipped else ""
        _say(f"nothing to validate{skipped}")
        return 2
    base = None
    if args.baseline:
        try:
            base = bl.load(args.baseline)
        except bl.BaselineError as exc:
            _say(str(exc))
            return 2
    try:
        rules.rule_book()  # the generated rules are loaded (and their layout checked) first
    except StaleRulesError as exc:
        _say(str(exc))
        return 2
    context = ValidationContext(args.context, templates=not args.no_templates)
    runner_name = args.runner or ("processes" if jobs > 1 else "sequential")
    options: dict[str, Any] = {}
    if started is not None:
        options["started"] = started
    elif getattr(args, "runner_address", None):
        options["address"] = args.runner_address
    series: list[Any] = []
    if args.series:
        if runner_name not in SERIES_RUNNERS:
            _say(f"--series runs with {' or '.join(sorted(SERIES_RUNNERS))}, not {runner_name}")
            return 2
        options["series"] = series
    runner = named((SERIES_RUNNERS if args.series else RUNNERS)[runner_name])
    table = _table(args.table)
    if args.table and table is None:
        return 2
    sources = resolved.sources
    progress = Progress(len(sources), not args.no_progress)
    entries: list[dict[str, Any]] = []
    accepted: list[tuple[str, Any]] = []
    totals = {"error": 0, "warning": 0, "info": 0}
    with_errors = suppressed = 0
    started = now()
    try:
        for report in runner(sources, context, jobs, **options):
            if table is not None:
                table.write_report(report)
            outcome = _outcome(report, base)
            for f in outcome.kept:
                totals[f.severity] += 1
            suppressed += len(outcome.suppressed)
            with_errors += outcome.errors > 0
            if args.write_baseline:
                accepted.extend((report.path, f) for f in report.findings)
            if args.json:
                entry = json_entry(outcome, how)
                if entry is not None:
                    entries.append(entry)
            else:
                with progress.cleared():
                    text(outcome, how, out)
            progress.step(with_errors)
    except KeyboardInterrupt:
        progress.close()
        _say("interrupted")
        return 2
    except RunnerError as exc:  # e.g. no Dask scheduler at the address given
        progress.close()
        _say(str(exc))
        return 2
    except BrokenPipeError:  # `iodkit validate … | head`
        progress.close()
        return _broken_pipe()
    progress.close()
    elapsed = now() - started
    series, series_suppressed = _series_outcome(series, base)
    suppressed += len(series_suppressed)
    series_errors = sum(1 for x in series if x.finding.severity == "error")
    series_warnings = sum(1 for x in series if x.finding.severity == "warning")
    if args.write_baseline:
        accepted.extend((_series_name(x), x.finding) for x in series)
    if table is not None:
        table.write_series(series)
        table.close()
    if args.write_baseline:
        n = bl.write(args.write_baseline, accepted)
        _say(f"wrote {plural(n, 'entry', 'entries')} to {args.write_baseline}")
    unused = base.unused() if base is not None else []
    try:
        if args.json:
            summary = {
                "files": len(sources),
                "files_with_errors": with_errors,
                **{COUNT_KEYS[k]: v for k, v in totals.items()},
                "suppressed": suppressed,
                "skipped": [{"file": s.name, "reason": s.reason} for s in resolved.skipped],
            }
            if base is not None:
                summary["baseline"] = base.source
                summary["unused_baseline_entries"] = [e.describe() for e in unused]
            document: dict[str, Any] = {"files": entries, "summary": summary}
            if args.series:
                document["series"] = [x.to_dict() for x in series if how.shows(x.finding)]
                if how.verbose:
                    document["series"] += [
                        {**x.to_dict(), "suppressed": True} for x in series_suppressed
                    ]
                summary["series_errors"] = series_errors
                summary["series_warnings"] = series_warnings
                summary["series_suppressed"] = len(series_suppressed)
            json.dump(document, out, indent=1)
            out.write("\n")
        else:
            if how.verbose:
                for e in unused:
                    print(f"baseline entry matched nothing (can go): {e.describe()}", file=out)
            counted = (series_errors, series_warnings) if args.series else None
            if args.series:
                series_text(series, how, out, series_suppressed)
            line = summary_line(len(sources), with_errors, totals, suppressed, elapsed, counted)
            print(line, file=out)
    except BrokenPipeError:
        return _broken_pipe()
    if args.write_baseline:
        return 0
    return 1 if with_errors or series_errors else 0


def _table(path: str | None) -> Any:
    """The findings table ``--table`` asks for (None: not asked, or it cannot be written)."""
    if not path:
        return None
    from iodkit.scale.output import FindingsWriter

    try:
        return FindingsWriter(path)
    except (ValueError, OSError) as exc:
        _say(str(exc))
        return None


def _outcome(report: Any, base: Any) -> Outcome:
    if base is None:
        return Outcome(report, list(report.findings))
    kept: list[Finding] = []
    gone: list[Finding] = []
    for f in report.findings:
        (gone if f.severity != "info" and base.suppressed(f, report.path) else kept).append(f)
    return Outcome(report, kept, gone)


def _series_name(x: Any) -> str:
    """The name a baseline records a series finding under: its Series Instance UID (the files
    it names when there is none, as for a duplicate SOP Instance UID without a series)."""
    return str(x.series) if x.series else "|".join(x.files)


def _series_outcome(series: list[Any], base: Any) -> tuple[list[Any], list[Any]]:
    """The series findings a baseline keeps and those it suppresses; an entry's ``file`` may
    name the Series Instance UID or any of the files the finding names."""
    if base is None:
        return series, []
    kept: list[Any] = []
    gone: list[Any] = []
    for x in series:
        f = x.finding
        names = (_series_name(x), *x.files)
        (gone if f.severity != "info" and base.suppressed(f, *names) else kept).append(x)
    return kept, gone


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
        _print_not_executable(out, listing)
    return 0


def _print_not_executable(out: TextIO, listing: list[tuple[str, str, str, str, str]]) -> None:
    """The conditions that are not executable: those no dataset can decide grouped by the fact
    their words name (:mod:`iodkit.validation.needs`), then those the parser does not read."""
    from .needs import NEEDS, OTHER, need_of

    groups: dict[str, list[str]] = {}
    unparsed: list[str] = []
    for status, kind, where, name, words in sorted(listing):
        line = f"[{status}] {kind} {where} {name}: {' '.join(words.split())}"
        if status == "not-decidable":
            groups.setdefault(need_of(words)[0], []).append(line)
        else:
            unparsed.append(line)
    order = [(n, needs) for n, needs, _ in NEEDS] + [OTHER]
    print("not decidable from a dataset, by the fact their words name:", file=out)
    for name, needs in order:
        if name in groups:
            print(f"  {name:38} {len(groups[name]):4}  (needs {needs})", file=out)
    for name, _ in order:
        if name in groups:
            print(f"{name}:", file=out)
            for line in groups[name]:
                print(line, file=out)
    print(f"unparsed (words the condition parser does not read): {len(unparsed)}", file=out)
    for line in unparsed:
        print(line, file=out)


def _broken_pipe() -> int:
    # the reader went away: stop quietly (and keep Python from complaining at exit)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return 1

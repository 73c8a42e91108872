"""``iodkit generate``: standard sources → spec (YAML) → builders, code tables, dictionary.

One command per edition: ``iodkit generate --source ../shared/standard/2024c`` (what
``make generate`` runs) rebuilds ``generated/`` from the standard. Stages and their times are
reported on stderr.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

DEFAULT_OUT = Path(__file__).resolve().parent.parent / "generated"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--source", required=True, type=Path, help="edition folder (chtml/ and/or docbook/)"
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="output folder (default: generated/)"
    )
    parser.add_argument("--jobs", type=int, default=None, help="processes for reading (default: 2)")
    parser.add_argument("-q", "--quiet", action="store_true")


def generate(
    source: Path, out: Path, *, jobs: int | None = None, quiet: bool = False
) -> dict[str, float]:
    from .emit.plan import make_plan
    from .emit.render import header, make_env, render, write_tree
    from .emit.rules import render_rules
    from .emit.template_rules import render_template_rules
    from .spec import fork
    from .spec.build import build_edition
    from .spec.yamlio import dump_edition

    def say(msg: str) -> None:
        if not quiet:
            print(msg, file=sys.stderr, flush=True)

    times: dict[str, float] = {}
    t0 = time.perf_counter()
    ed = build_edition(source, jobs=jobs, verbose=not quiet)
    times["spec"] = time.perf_counter() - t0
    t = time.perf_counter()
    # The YAML spec and the Python code are independent outputs of the same Edition: on two
    # cores the YAML is written by a forked child (no pickling: it shares the parent's memory)
    # while this process plans and renders the code. The child gives back the files written,
    # None when it failed.
    child = fork.start(lambda: dump_edition(ed, out / "spec")) if (jobs or 2) > 1 else None
    if child is None:
        dump_edition(ed, out / "spec")
        times["yaml"] = time.perf_counter() - t
        say(f"spec written to {out / 'spec'} in {times['yaml']:.2f} s")
    t = time.perf_counter()
    plan = make_plan(ed)
    times["plan"] = time.perf_counter() - t
    t = time.perf_counter()
    files = render(plan, ed, progress=say)
    files.update(render_rules(ed, make_env(), header(ed)))  # validation rules (generated/rules/)
    files.update(render_template_rules(ed, make_env(), header(ed)))  # rules/templates/
    times["render"] = time.perf_counter() - t
    t = time.perf_counter()
    written, removed = write_tree(files, out)
    times["write"] = time.perf_counter() - t
    if child is not None:
        t = time.perf_counter()
        dumped = child()
        times["yaml_wait"] = time.perf_counter() - t
        if dumped is None:
            raise RuntimeError(f"writing the YAML spec to {out / 'spec'} failed (see above)")
        say(f"spec written to {out / 'spec'} (in parallel)")
    times["files"], times["written"], times["removed"] = len(files), written, removed
    times["total"] = time.perf_counter() - t0
    say(
        f"generated {len(files)} files ({written} changed, {removed} removed) for {ed.edition}; "
        f"{len(plan.skipped)} attributes not emitted (see SKIPPED.txt); "
        f"total {times['total']:.2f} s"
    )
    return times


def run(args: argparse.Namespace) -> int:
    from .sources.xmlsafe import SourceError
    from .spec.build import BuildError

    try:
        generate(args.source, args.out, jobs=args.jobs, quiet=args.quiet)
    except (BuildError, SourceError) as exc:
        print(f"iodkit generate: {exc}", file=sys.stderr)
        return 2
    return 0

"""``iodkit spec build`` and ``iodkit spec diff``."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True)
    b = sub.add_parser("build", help="read an edition folder into a YAML spec")
    b.add_argument(
        "--source", required=True, type=Path, help="edition folder (chtml/ and/or docbook/)"
    )
    b.add_argument("--out", required=True, type=Path, help="folder for the YAML spec")
    b.add_argument("--jobs", type=int, default=None, help="processes (default: 2 on 2+ cores)")
    b.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    d = sub.add_parser("diff", help="what changed between two YAML specs")
    d.add_argument("old", type=Path)
    d.add_argument("new", type=Path)


def run(args: argparse.Namespace) -> int:
    from .sources.xmlsafe import SourceError
    from .spec.build import BuildError, build_edition
    from .spec.yamlio import dump_edition, load_edition

    if args.action == "build":
        started = time.perf_counter()
        try:
            ed = build_edition(args.source, jobs=args.jobs, verbose=not args.quiet)
        except (BuildError, SourceError) as exc:
            print(f"iodkit spec build: {exc}", file=sys.stderr)
            return 2
        files = dump_edition(ed, args.out)
        if not args.quiet:
            print(
                f"wrote {len(files)} files to {args.out} in {time.perf_counter() - started:.2f} s; "
                f"{len(ed.problems)} problems (see edition.yaml)",
                file=sys.stderr,
            )
        return 0
    from .spec.diff import diff_editions

    try:
        old, new = load_edition(args.old), load_edition(args.new)
    except FileNotFoundError as exc:
        print(f"iodkit spec diff: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(diff_editions(old, new).render())
    return 0

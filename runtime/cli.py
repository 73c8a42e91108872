"""The ``iodkit`` command line.

Each command lives in its own module exposing ``add_parser(subparsers)``; the module is imported
only when its command runs, so ``iodkit --help`` stays fast and a broken optional dependency of
one command does not break the others.

Exit codes: 0 success, 1 the command ran and found problems (e.g. validation errors), 2 it could
not run (bad arguments, unreadable input).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# command name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "spec": ("iodkit.codegen.cli_spec", "build a spec from an edition, or diff two specs"),
    "generate": ("iodkit.codegen.cli_generate", "regenerate spec and builders from an edition"),
    "standard": ("iodkit.codegen.download", "download an edition's DocBook sources"),
    "validate": ("iodkit.validation.cli", "validate DICOM files against their IOD"),
}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="iodkit", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_, help_) in COMMANDS.items():
        sub.add_parser(name, help=help_, add_help=False)
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in COMMANDS:
        parser.print_help() if not argv or argv[0] in ("-h", "--help") else parser.error(
            f"unknown command {argv[0]!r}"
        )
        return 0 if not argv or argv[0] in ("-h", "--help") else 2
    module = importlib.import_module(COMMANDS[argv[0]][0])
    cmd = argparse.ArgumentParser(prog=f"iodkit {argv[0]}", description=COMMANDS[argv[0]][1])
    module.add_arguments(cmd)
    args = cmd.parse_args(argv[1:])
    return int(module.run(args) or 0)


if __name__ == "__main__":
    raise SystemExit(main())

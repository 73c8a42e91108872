"""The ``iodkit`` command line (help texts are plain text: no reST markup).

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
    "render": ("iodkit.render.cli", "draw a SEG, ANN, presentation state or image as PNG"),
    "compile": ("iodkit.compile", "compile the validator's hot modules with mypyc (needs mypy)"),
}


DESCRIPTION = "iodkit: the DICOM standard turned into Python (builders, validation, generator)."
EPILOG = """\
Exit codes: 0 success; 1 the command ran and found problems (e.g. validation errors);
2 it could not run (bad arguments, unreadable input).
'iodkit COMMAND --help' shows a command's options."""


def version() -> str:
    """The version: the package and the edition its builders and rules come from; and whether
    the validator's hot modules run compiled (:mod:`iodkit.speedups`)."""
    from iodkit import __version__

    try:
        from iodkit.generated import EDITION
    except ImportError:  # generated/ not built yet
        EDITION = "no edition"
    from iodkit import speedups

    return (
        f"iodkit {__version__} (builders and rules generated from DICOM {EDITION})\n"
        f"validator: {speedups.status()}"  # compiled, or pure Python and why
    )


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in COMMANDS:
        module = importlib.import_module(COMMANDS[argv[0]][0])
        cmd = argparse.ArgumentParser(prog=f"iodkit {argv[0]}", description=COMMANDS[argv[0]][1])
        module.add_arguments(cmd)
        args = cmd.parse_args(argv[1:])
        return int(module.run(args) or 0)
    parser = argparse.ArgumentParser(
        prog="iodkit",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_, help_) in COMMANDS.items():
        sub.add_parser(name, help=help_, add_help=False)
    parser.parse_args(argv)  # -h, --version and errors (an unknown command) exit here
    parser.print_help()  # no command given
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

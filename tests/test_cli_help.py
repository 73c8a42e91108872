"""The command line a new user meets first: ``iodkit --version`` and help texts in plain words.

Help is read in a terminal, where reST markup (``double backquotes``, :class:`roles`) is noise.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

REST = re.compile(r"``|:(?:class|func|meth|mod|data|attr|exc|ref|doc):`|`[^`\n]+`_")


def _help(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    from iodkit.cli import main

    with pytest.raises(SystemExit) as exit_:
        main([*argv, "--help"])
    assert exit_.value.code == 0
    return capsys.readouterr().out


def test_version() -> None:
    import iodkit
    from iodkit import speedups
    from iodkit.generated import EDITION

    out = subprocess.run(
        [sys.executable, "-m", "iodkit.cli", "--version"], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    first, validator = out.stdout.strip().splitlines()
    assert first == (
        f"iodkit {iodkit.__version__} (builders and rules generated from DICOM {EDITION})"
    )
    assert validator == f"validator: {speedups.status()}"
    assert validator.startswith(("validator: compiled with mypyc", "validator: pure Python"))


def test_no_command_prints_help_and_an_unknown_one_exits_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from iodkit.cli import main

    assert main([]) == 0
    assert "COMMAND" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_:
        main(["valdiate"])
    assert exit_.value.code == 2
    assert "invalid choice: 'valdiate'" in capsys.readouterr().err


def test_help_texts_have_no_rest_markup(capsys: pytest.CaptureFixture[str]) -> None:
    from iodkit.cli import COMMANDS

    texts = {"iodkit": _help(capsys)}
    for name in COMMANDS:
        texts[f"iodkit {name}"] = _help(capsys, name)
    assert "Exit codes" in texts["iodkit"] and "--version" in texts["iodkit"]
    marked = {cmd: REST.findall(text) for cmd, text in texts.items() if REST.search(text)}
    assert not marked, marked


def test_demo_help_has_no_rest_markup() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "iodkit.demo", "--help"], capture_output=True, text=True
    )
    assert out.returncode == 0 and not REST.search(out.stdout), out.stdout

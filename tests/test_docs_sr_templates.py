"""docs/sr-templates.md shows what ``iodkit validate`` prints: every line of the example output
under "Validating content trees" is a line the command prints today for the file it names
(QA-25 c: the example cited a row the validator no longer cites, and nothing noticed)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from conftest import ROOT

DOC = (ROOT / "docs" / "sr-templates.md").read_text(encoding="utf-8")
EXAMPLE = re.compile(r"```sh\n(iodkit validate [^\n]*)\n```\s*```text\n(.*?)```", re.S)


def test_validating_content_trees_example_is_what_the_validator_prints(
    testdata: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from iodkit.cli import main

    examples = EXAMPLE.findall(DOC)
    assert examples, "docs/sr-templates.md has no `iodkit validate` example with its output"
    for command, shown in examples:
        argv = shlex.split(command)[1:]
        argv = [str(testdata / a) if a.endswith(".dcm") else a for a in argv]
        main(argv)
        printed = {line.rstrip() for line in capsys.readouterr().out.splitlines()}
        for line in shown.strip("\n").splitlines():
            assert line.rstrip() in printed, f"{command}: not printed:\n{line}"

"""The README's examples are true: every Python block runs as written, prints exactly the output
block shown under it, and writes nothing into the folder it runs in.

Conventions (for everyone adding a section):

* a ```python block runs on its own (a fresh interpreter, an empty working folder);
* what it prints goes in a ```text block right under it, verbatim — never in a comment on the
  ``print`` line; a block that prints must show its output;
* files go into a temporary folder (``tempfile.mkdtemp()``), not the working folder, so a user
  who pastes an example into a checkout does not litter it.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
FENCE = re.compile(r"```(\w*)\n(.*?)```", re.S)


def _examples(text: str) -> list[tuple[str, str | None]]:
    """(python code, the text block right under it or None), in order."""
    blocks = [(m.group(1), m.group(2), m.start(), m.end()) for m in FENCE.finditer(text)]
    out: list[tuple[str, str | None]] = []
    for i, (lang, body, _start, end) in enumerate(blocks):
        if lang != "python":
            continue
        shown = None
        if i + 1 < len(blocks):
            next_lang, next_body, next_start, _ = blocks[i + 1]
            if next_lang == "text" and not text[end:next_start].strip():
                shown = next_body
        out.append((body, shown))
    return out


EXAMPLES = _examples(README)


@pytest.mark.parametrize("index", range(len(EXAMPLES)))
def test_readme_example_runs_prints_what_it_shows_and_writes_nothing_here(
    index: int, tmp_path: Path
) -> None:
    code, shown = EXAMPLES[index]
    here = tmp_path / "cwd"
    here.mkdir()
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=here, timeout=300
    )
    assert out.returncode == 0, f"README example {index} failed:\n{code}\n{out.stderr[-2000:]}"
    printed = out.stdout.rstrip()
    if shown is None:
        assert printed == "", f"README example {index} prints but shows no output:\n{printed}"
    else:
        assert printed == shown.rstrip(), f"README example {index} prints:\n{printed}"
    assert [p.name for p in here.iterdir()] == [], "an example wrote into the working folder"


def test_no_output_hides_in_a_comment() -> None:
    claims = [
        line
        for code, _ in EXAMPLES
        for line in code.splitlines()
        if re.search(r"\bprint\(.*\)\s*#", line)
    ]
    assert not claims, claims


def test_the_conventions_are_checked_on_a_sample() -> None:
    sample = "```python\nprint(1)\n```\n\n```text\n1\n```\n```python\nx = 2\n```\n"
    assert _examples(sample) == [("print(1)\n", "1\n"), ("x = 2\n", None)]


def test_readme_shows_the_two_commands_and_the_codecs_extra() -> None:
    assert "make demo" in README and "make test" in README
    assert "iodkit[codecs]" in README
    assert len(EXAMPLES) >= 1

"""`python -m bench --help` explains the runner and starts no benchmark (a full run takes hours)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_help_lists_the_benchmarks_and_runs_none() -> None:
    names = sorted(p.stem.removeprefix("bench_") for p in (ROOT / "bench").glob("bench_*.py"))
    for flag in ("--help", "-h"):
        done = subprocess.run(
            [sys.executable, "-m", "bench", flag],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert "=== bench_" not in done.stdout  # the runner's banner: a benchmark started
        listed = done.stdout.rsplit("available:", 1)[1]
        assert [n.strip() for n in listed.split(",")] == names

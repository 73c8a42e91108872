"""The forked-child helper of the spec build: results come back, failures fall back."""

from __future__ import annotations

import os
import threading

import pytest
from iodkit.codegen.spec import fork

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")


def test_result_comes_back_from_the_child() -> None:
    parent = os.getpid()
    wait = fork.start(lambda: {"pid": os.getpid(), "rows": list(range(5))})
    assert wait is not None
    got = wait()
    assert got["rows"] == [0, 1, 2, 3, 4]
    assert got["pid"] != parent  # it really ran in another process


def test_a_failing_child_gives_none_and_says_why(capfd: pytest.CaptureFixture[str]) -> None:
    def work() -> None:
        raise ValueError("table 7 is broken")

    wait = fork.start(work)
    assert wait is not None
    assert wait() is None
    assert "table 7 is broken" in capfd.readouterr().err


def test_no_fork_while_other_threads_run() -> None:
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        assert fork.start(lambda: 1) is None
    finally:
        release.set()
        other.join()
    wait = fork.start(lambda: 1)
    assert wait is not None and wait() == 1

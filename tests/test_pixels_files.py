"""Files written atomically get the permissions an ordinary ``open()`` gives, and errors name
the file the user asked for, never the temporary file beside it."""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from iodkit.pixels.files import write_atomically


@pytest.fixture
def umask() -> Iterator[object]:
    previous = os.umask(0o022)
    try:
        yield os.umask
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_file_gets_0666_less_the_umask(tmp_path: Path, umask) -> None:
    for mask, expected in ((0o022, 0o644), (0o077, 0o600), (0o002, 0o664)):
        umask(mask)
        path = tmp_path / f"new-{mask:o}.dcm"
        write_atomically(path, lambda fp: fp.write(b"x"))
        with open(tmp_path / f"plain-{mask:o}", "wb"):
            pass
        assert mode(path) == expected == mode(tmp_path / f"plain-{mask:o}")


def test_a_replaced_file_keeps_its_mode(tmp_path: Path, umask) -> None:
    path = tmp_path / "kept.dcm"
    path.write_bytes(b"old")
    path.chmod(0o640)
    write_atomically(path, lambda fp: fp.write(b"new"))
    assert mode(path) == 0o640
    assert path.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.dcm"]  # no temporary left


def test_a_missing_folder_is_named_with_the_target(tmp_path: Path) -> None:
    target = tmp_path / "missing" / "seg.dcm"
    with pytest.raises(FileNotFoundError) as info:
        write_atomically(target, lambda fp: fp.write(b"x"))
    message = str(info.value)
    assert str(target) in message
    assert "does not exist" in message
    assert ".tmp" not in message
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(OSError, match="is not a folder") as info:
        write_atomically(tmp_path / "file" / "seg.dcm", lambda fp: fp.write(b"x"))
    assert ".tmp" not in str(info.value)


def test_a_failed_write_leaves_nothing(tmp_path: Path) -> None:
    def fail(fp: object) -> None:
        raise RuntimeError("codec failed")

    with pytest.raises(RuntimeError):
        write_atomically(tmp_path / "x.dcm", fail)
    assert list(tmp_path.iterdir()) == []
    buffer = io.BytesIO()
    write_atomically(buffer, lambda fp: fp.write(b"abc"))
    assert buffer.getvalue() == b"abc"

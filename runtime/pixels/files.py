"""Write data sets to files atomically: no partial file is ever left behind.

A writer that fails half way (bad frame found late, disk full, codec error) must not leave a
truncated DICOM file that other tools would later choke on. :func:`write_dataset` writes to a
temporary file in the destination's folder (same file system, so the rename is atomic), syncs
it, and renames it over the destination; on any error the temporary file is removed.

The file ends up with the permissions an ordinary ``open(path, "wb")`` would give it: a new
file gets ``0o666`` less the process's umask (the temporary file is created with exactly that
request, so the kernel applies the umask), and a file that is replaced keeps its mode. A PACS
sender, a viewer or another user reads it as they would any other file the user writes.
(``tempfile.mkstemp`` would make every file ``0o600``.)

Reading: pydicom reads an element's value with ``fp.read(length)``, and a file object asked for
more than it holds allocates the whole ``length`` first — a damaged length of ``0xFFFFFFF0``
takes 4 GiB for a 2 kB file. :func:`within_file` hands pydicom a memory map of the file instead,
whose ``read`` never returns (nor allocates) more than remains; :func:`read_dataset` is
``pydicom.dcmread`` through it.
"""

from __future__ import annotations

import contextlib
import errno
import io
import mmap
import os
import secrets
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import pydicom
from pydicom.dataset import Dataset


def write_atomically(
    destination: str | os.PathLike[str] | BinaryIO, write: Callable[[BinaryIO], None]
) -> None:
    """Call ``write(fp)`` on a temporary file beside ``destination`` and rename it into place
    (fsynced first); on any error the temporary file is removed. An open binary file is
    written to directly."""
    if not isinstance(destination, (str, os.PathLike)):
        write(destination)
        return
    path = Path(destination)
    fd, temporary = _create_beside(path)
    try:
        with os.fdopen(fd, "wb") as fp:
            write(fp)
            fp.flush()
            os.fsync(fp.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def _create_beside(path: Path) -> tuple[int, str]:
    """A new temporary file in ``path``'s folder, opened for writing: mode ``0o666`` filtered
    by the umask, or ``path``'s own mode when it exists already (as ``open()`` keeps it).

    Errors name the destination, not the temporary file a user never asked for."""
    folder = path.parent
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        temporary = str(folder / f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            fd = os.open(temporary, flags, 0o666)
        except FileExistsError:
            continue
        except OSError as exc:
            if not folder.is_dir():
                reason = (
                    f"its folder {str(folder)!r} does not exist"
                    if not folder.exists()
                    else f"{str(folder)!r} is not a folder"
                )
            else:
                reason = exc.strerror or str(exc)
            raise type(exc)(exc.errno, f"cannot write {str(path)!r}: {reason}") from None
        try:
            os.fchmod(fd, stat.S_IMODE(os.stat(path).st_mode))
        except FileNotFoundError:
            pass  # a new file: the umask has applied
        except (AttributeError, OSError):  # no fchmod (Windows) or not ours to change
            pass
        return fd, temporary
    raise FileExistsError(errno.EEXIST, f"cannot write {str(path)!r}: no free temporary name")


def write_dataset(
    ds: Dataset, destination: str | os.PathLike[str] | BinaryIO, *, enforce_file_format: bool = True
) -> None:
    """Write ``ds`` as a DICOM file (PS3.10) to a path atomically, or to an open binary file.

    With ``enforce_file_format`` (default) pydicom writes the preamble and File Meta
    Information, filling in what it can from the data set.
    """
    write_atomically(
        destination, lambda fp: pydicom.dcmwrite(fp, ds, enforce_file_format=enforce_file_format)
    )


def write_frames(
    ds: Dataset,
    destination: str | os.PathLike[str] | BinaryIO,
    frames: object,
    **encode_options: object,
) -> None:
    """Encode ``frames`` (see :func:`iodkit.pixels.encode_frames`), put them on ``ds`` and
    write it atomically. Frames are encoded and checked before the file is opened, so bad
    input leaves nothing behind."""
    from iodkit.pixels.encoder import encode_frames

    encoded = encode_frames(frames, **encode_options)  # type: ignore[arg-type]
    encoded.apply_to(ds)
    write_dataset(ds, destination)


# -- reading ------------------------------------------------------------------------------


@contextlib.contextmanager
def within_file(fp: BinaryIO) -> Iterator[BinaryIO]:
    """``fp`` for pydicom to parse, at its position, such that no read allocates more than the
    file holds: a real file as a read-only memory map (left where parsing stopped when done),
    anything else — an in-memory file already reads no more than it has — as it is."""
    try:
        mapped = mmap.mmap(fp.fileno(), 0, access=mmap.ACCESS_READ)
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        yield fp  # no descriptor, a pipe, an empty file: nothing to map
        return
    try:
        mapped.seek(fp.tell())
        yield mapped  # type: ignore[misc]  # read/seek/tell as pydicom uses them
        fp.seek(mapped.tell())
    finally:
        mapped.close()


def read_dataset(source: str | os.PathLike[str] | BinaryIO, **dcmread_options: Any) -> Dataset:
    """``pydicom.dcmread(source, **dcmread_options)`` reading through :func:`within_file`; the
    data set's ``filename`` is the path or the file's name, as pydicom sets it."""
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as fp:
            return read_dataset(fp, **dcmread_options)
    with within_file(source) as view:
        ds = pydicom.dcmread(view, **dcmread_options)
    name = getattr(source, "name", None)
    if isinstance(name, str):
        ds.filename = name
    return ds

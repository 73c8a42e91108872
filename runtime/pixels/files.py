"""Write data sets to files atomically: no partial file is ever left behind.

A writer that fails half way (bad frame found late, disk full, codec error) must not leave a
truncated DICOM file that other tools would later choke on. :func:`write_dataset` writes to a
temporary file in the destination's folder (same file system, so the rename is atomic), syncs
it, and renames it over the destination; on any error the temporary file is removed.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

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
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
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

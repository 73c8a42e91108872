"""Where a reader gets frames from: a small interface, so frames can come from a file today and
from a server (DICOMweb WADO-RS frame retrieval) without the readers knowing.

A :class:`FrameSource` has the instance's metadata as a pydicom ``Dataset`` (everything but
the pixel data is enough) and decodes single frames on request, 0-based; readers call
:meth:`~FrameSource.read_frame` only for the frames a query needs, so a lazy source fetches
only those. :class:`iodkit.pixels.FrameReader` (file offsets: reads only the frame's bytes) is
the file implementation. A source may also offer ``prefetch(indices)``: readers call it with
every frame a query will read before reading them one by one, so a server-backed source can
fetch them in one request (WADO-RS takes a list of frame numbers).

:func:`open_frame_source` turns what a user passes — a path, an open binary file, an
in-memory Dataset, or any object with ``dataset``, ``read_frame`` and ``close`` — into one.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from typing import Any, BinaryIO, Protocol, runtime_checkable

import numpy as np
from pydicom.dataset import Dataset


@runtime_checkable
class FrameSource(Protocol):
    """Metadata plus lazy, 0-based frame decoding."""

    dataset: Dataset

    def read_frame(self, index: int) -> np.ndarray:
        """Frame ``index`` (0-based) decoded to (Rows, Columns[, Samples])."""
        ...

    def close(self) -> None: ...


Openable = str | os.PathLike[str] | BinaryIO | Dataset | FrameSource


def open_frame_source(source: Any) -> FrameSource:
    """A :class:`FrameSource` for ``source`` (see the module docstring); an in-memory Dataset
    is encoded once into memory and read like a file. Raises
    :class:`~iodkit.pixels.errors.PixelError` for files whose frames cannot be located."""
    from iodkit.pixels import FrameReader

    if isinstance(source, Dataset):
        import pydicom

        buffer = io.BytesIO()
        pydicom.dcmwrite(buffer, source, enforce_file_format=True)
        buffer.seek(0)
        return FrameReader(buffer)
    if isinstance(source, str | os.PathLike) or hasattr(source, "seek"):
        return FrameReader(source)
    if isinstance(source, FrameSource):
        return source
    raise TypeError(
        f"cannot read frames from a {type(source).__name__}: give a path, a binary file, a "
        "pydicom Dataset, or an object with dataset, read_frame(index) and close()"
    )


def prefetch(source: FrameSource, indices: Sequence[int]) -> None:
    """Tell ``source`` which frames are about to be read, if it wants to know."""
    hook = getattr(source, "prefetch", None)
    if callable(hook) and len(indices) > 1:
        hook(sorted({int(i) for i in indices}))

"""Read a Legacy Converted Enhanced CT, MR or PET image: its frames, per-frame positions, and
the classic instance each frame was converted from.

:func:`read_legacy_converted` opens a file, Dataset or
:class:`~iodkit.derived.framesource.FrameSource` through the core's
:class:`~iodkit.derived.reader.FrameIndex` (frames read lazily); the Image Frame Conversion
Source group (C.7.6.16.2.25.3) tells which classic instance each frame was, so frames can be
asked for by the classic SOP Instance UIDs, as highdicom's ``get_pixels_by_legacy_source_instance``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from iodkit.derived.framesource import Openable
from iodkit.derived.reader import FrameIndex, Volume, shift
from iodkit.derived.readguard import ArgumentError, NotReferencedError, guarded
from iodkit.legacy.errors import LegacyReadError
from iodkit.legacy.profiles import PROFILES
from pydicom.dataset import Dataset

LEGACY_SOP_CLASSES = tuple(p.sop_class_uid for p in PROFILES.values())


def read_legacy_converted(source: Openable) -> LegacyConvertedReader:
    """Open a Legacy Converted Enhanced image from a path, file, Dataset or FrameSource."""
    return LegacyConvertedReader(source)


@guarded(LegacyReadError, "legacy converted image")
class LegacyConvertedReader:
    """A Legacy Converted Enhanced image opened for reading; a context manager."""

    def __init__(self, source: Openable) -> None:
        self._index = FrameIndex(
            source,
            what="legacy converted image",
            title="Legacy Converted Enhanced Image",
            sop_classes=LEGACY_SOP_CLASSES,
            error=LegacyReadError,
        )
        self.dataset: Dataset = self._index.dataset
        self.table = self._index.table
        self._sources: list[str] | None = None

    @property
    def number_of_frames(self) -> int:
        return self.table.number_of_frames

    @property
    def positions(self) -> np.ndarray:
        """(frames, 3) Image Position (Patient) of each frame."""
        if self.table.positions is None:
            raise LegacyReadError("the frames have no Plane Position (Patient)")
        return self.table.positions

    @property
    def source_instance_uids(self) -> list[str]:
        """The classic SOP Instance UID of each frame (Conversion Source Attributes)."""
        if self._sources is None:
            uids = []
            for k, item in enumerate(self.dataset.PerFrameFunctionalGroupsSequence):
                sources = item.get("ConversionSourceAttributesSequence")
                if not sources:
                    raise LegacyReadError(f"frame {k + 1} names no Conversion Source")
                uids.append(str(sources[0].ReferencedSOPInstanceUID))
            self._sources = uids
        return list(self._sources)

    def get_frames(self, indices: Sequence[int] | None = None) -> np.ndarray:
        """Stored frames (0-based ``indices``, default all) as (frames, rows, columns)."""
        wanted = (
            list(range(self.number_of_frames)) if indices is None else [int(i) for i in indices]
        )
        self._index.prefetch(wanted)
        out: np.ndarray | None = None
        for j, k in enumerate(wanted):
            frame = self._index.frame(k)
            if out is None:
                out = np.empty((len(wanted), *frame.shape), dtype=frame.dtype)
            out[j] = frame
        if out is None:
            raise LegacyReadError("no frames asked for")
        return out

    def get_pixels_by_source_instance(self, uids: Sequence[str]) -> np.ndarray:
        """Stored frames of the classic instances ``uids`` (in that order)."""
        if isinstance(uids, str):
            raise ArgumentError("uids is a sequence of SOP Instance UIDs, not one UID")
        where = {uid: k for k, uid in enumerate(self.source_instance_uids)}
        missing = [u for u in uids if u not in where]
        if missing:
            raise NotReferencedError(
                f"SOP Instance UID(s) {missing} were not converted into this image"
            )
        return self.get_frames([where[u] for u in uids])

    def get_volume(self, **options: Any) -> Volume:
        """The stored frames as a regularly spaced volume with its affine."""
        count, stack, affine = self._index.volume(None, None, False, **options)
        out = np.zeros(
            (count, self.table.rows, self.table.columns), dtype=self.get_frames([0]).dtype
        )
        frames = self.get_frames(list(stack))
        for frame, planes in zip(frames, stack.values(), strict=True):
            for plane in planes:
                out[plane] = frame
        return Volume(out, shift(affine, 0, 0, 0), self.dataset.get("FrameOfReferenceUID"))

    def close(self) -> None:
        self._index.close()

    def __enter__(self) -> LegacyConvertedReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

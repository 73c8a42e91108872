"""Lazy frames over WADO-RS: a frame is fetched when it is asked for (PS3.18 10.4.1.1.3).

:class:`WadoFrames` has the shape of :class:`iodkit.pixels.FrameReader` (``dataset`` without
its pixel data, ``description``, ``read_frame(i)`` 0-based, ``read_frames``, ``close``), so the
readers of derived objects can take frames from a server as they take them from a file's
offsets. The dataset is the instance's metadata (one request); each frame request asks for
native frames (``application/octet-stream``, Explicit VR Little Endian), which the server
decodes from whatever it stored. :meth:`WadoFrames.prefetch` fetches several frames in one
request.

Some servers cannot answer a frame request for some instances — Orthanc answers HTTP 400 for
float Parametric Maps and for 1-bit frames that are not a whole number of bytes (a frame of
such a Segmentation starts mid-byte), and an error when it cannot decode what it stored. Then
the instance is fetched once, whole, and its frames are read from it; a log line on the
``iodkit.web`` logger says so. Photometric interpretations whose native layout depends on how
the server decoded them (the YBR family) take that path from the start.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np
from iodkit.pixels.description import PIXEL_DATA_TAGS, PixelDescription
from iodkit.pixels.native import decode_native_frame
from pydicom.dataset import Dataset
from pydicom.filewriter import dcmwrite

from .client import DicomWebError

if TYPE_CHECKING:
    from iodkit.pixels import FrameReader

    from .client import DicomWeb

log = logging.getLogger("iodkit.web")

#: Answers to a frame request after which the whole instance is fetched instead (400: the
#: request cannot be served for this instance; 406/415: not in this media type; 500/501: the
#: server could not decode what it stored).
FALLBACK_STATUSES = frozenset((400, 406, 415, 500, 501))
#: Frames per request in :meth:`WadoFrames.prefetch` (keeps URLs short).
FRAMES_PER_REQUEST = 256
_NATIVE_PHOTOMETRIC = ("MONOCHROME1", "MONOCHROME2", "PALETTE COLOR", "RGB")


class WadoFrames:
    """Frames of one instance on a DICOMweb service, fetched on demand.

    ``fetched_frames`` lists the (1-based) frame numbers fetched by frame requests, and
    ``fell_back`` says whether the instance had to be fetched whole.
    """

    def __init__(
        self,
        web: DicomWeb,
        study: str,
        series: str,
        instance: str,
        *,
        metadata: Dataset | None = None,
    ) -> None:
        self.web = web
        self.study, self.series, self.instance = study, series, instance
        keyword = None
        if metadata is None:
            found = web.retrieve_metadata(study, series, instance)
            if len(found) != 1:
                raise DicomWebError(
                    f"metadata of instance {instance}: the server sent {len(found)} instances"
                )
            metadata = found[0].dataset
            pixel_tags = [t for t in found[0].bulk_data if t in PIXEL_DATA_TAGS]
            keyword = PIXEL_DATA_TAGS[pixel_tags[0]] if pixel_tags else None
        self.dataset: Dataset = metadata
        self.description = PixelDescription.from_dataset(metadata, keyword)
        self.fetched_frames: list[int] = []
        self.fell_back = False
        self._cache: dict[int, np.ndarray] = {}
        self._whole: FrameReader | None = None
        photometric = self.description.photometric_interpretation
        # a YBR frame's native layout depends on how the server decoded it
        self._why_whole = "" if photometric in _NATIVE_PHOTOMETRIC else photometric

    # -- facts ------------------------------------------------------------------------------

    @property
    def number_of_frames(self) -> int:
        return self.description.number_of_frames

    def __len__(self) -> int:
        return self.number_of_frames

    # -- reading ----------------------------------------------------------------------------

    def _check_index(self, index: int) -> int:
        n = self.number_of_frames
        if not -n <= index < n:
            raise IndexError(f"frame index {index} out of range for {n} frames")
        return index % n

    def read_frame(self, index: int) -> np.ndarray:
        """Frame ``index`` (0-based) as an array shaped (Rows, Columns[, Samples])."""
        index = self._check_index(index)
        if index not in self._cache:
            self.prefetch([index])
        return self._cache[index]

    def read_frames(self, indices: Sequence[int] | None = None) -> np.ndarray:
        """Several frames (frames, Rows, Columns[, Samples]), fetched in as few requests as
        :data:`FRAMES_PER_REQUEST` allows."""
        wanted = [self._check_index(i) for i in (range(len(self)) if indices is None else indices)]
        self.prefetch(wanted)
        if not wanted:
            return np.empty((0, *self.description.frame_shape), dtype=self.description.dtype)
        return np.stack([self._cache[i] for i in wanted])

    def prefetch(self, indices: Iterable[int]) -> None:
        """Fetch the frames among ``indices`` (0-based) not fetched yet, and keep them."""
        missing = sorted({self._check_index(i) for i in indices} - self._cache.keys())
        if not missing:
            return
        if self._whole is None and self._why_whole:
            self._fall_back(f"frames of {self._why_whole} are not asked of the server")
        if self._whole is not None:
            for i in missing:
                self._cache[i] = self._whole.read_frame(i)
            return
        for start in range(0, len(missing), FRAMES_PER_REQUEST):
            chunk = missing[start : start + FRAMES_PER_REQUEST]
            numbers = [i + 1 for i in chunk]
            try:
                frames = self.web.retrieve_frames(self.study, self.series, self.instance, numbers)
            except DicomWebError as exc:
                if exc.status not in FALLBACK_STATUSES:
                    raise
                self._fall_back(f"the server answered {exc.status} to a frame request")
                assert self._whole is not None
                for i in missing[start:]:
                    self._cache[i] = self._whole.read_frame(i)
                return
            self.fetched_frames.extend(numbers)
            for i, data in zip(chunk, frames, strict=True):
                self._cache[i] = self._decode(i, data)

    def _decode(self, index: int, data: bytes) -> np.ndarray:
        desc = self.description
        expected = desc.frame_length if desc.bits_allocated != 1 else (desc.frame_bits + 7) // 8
        if len(data) < expected:
            raise DicomWebError(
                f"frame {index + 1} of {self.instance}: the server sent {len(data)} bytes, a "
                f"native frame of {desc.rows}×{desc.columns} needs {expected}"
            )
        return decode_native_frame(data, desc)

    def _fall_back(self, why: str) -> None:
        """Fetch the instance once and read every further frame from it."""
        from iodkit.pixels import FrameReader

        log.warning(
            "%s for instance %s: fetching the whole instance once instead", why, self.instance
        )
        ds = self.web.retrieve_instance(self.study, self.series, self.instance)
        buffer = io.BytesIO()
        dcmwrite(buffer, ds, enforce_file_format=True)
        buffer.seek(0)
        self._whole = FrameReader(buffer)
        self.fell_back = True

    # -- lifetime ---------------------------------------------------------------------------

    def close(self) -> None:
        self._cache.clear()
        if self._whole is not None:
            self._whole.close()
            self._whole = None

    def __enter__(self) -> WadoFrames:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"WadoFrames({self.instance}, {self.number_of_frames} frames, "
            f"{len(self.fetched_frames)} fetched{', whole instance' if self.fell_back else ''})"
        )

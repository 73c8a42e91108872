"""Read a Secondary Capture image (any of PS3.3 A.8) back: frames, lazily, and its geometry."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from iodkit.derived.framesource import FrameSource, Openable, open_frame_source
from iodkit.derived.reader import DerivedReadError
from iodkit.derived.readguard import guarded
from pydicom.dataset import Dataset

SC_SOP_CLASSES = tuple(f"1.2.840.10008.5.1.4.1.1.7{s}" for s in ("", ".1", ".2", ".3", ".4"))


class SecondaryCaptureReadError(DerivedReadError):
    """A Secondary Capture image cannot answer the request."""


def read_secondary_capture(source: Openable) -> SecondaryCaptureReader:
    """Open a Secondary Capture image from a path, file, Dataset or FrameSource."""
    return SecondaryCaptureReader(source)


@guarded(SecondaryCaptureReadError, "image")
class SecondaryCaptureReader:
    """A Secondary Capture image opened for reading; a context manager."""

    def __init__(self, source: Openable) -> None:
        from iodkit.pixels.errors import PixelError

        try:
            self._source: FrameSource = open_frame_source(source)
        except PixelError as exc:
            raise SecondaryCaptureReadError(f"cannot read the image's frames: {exc}") from exc
        self.dataset: Dataset = self._source.dataset
        if str(self.dataset.get("SOPClassUID", "")) not in SC_SOP_CLASSES:
            self.close()
            raise SecondaryCaptureReadError(
                f"SOP Class {self.dataset.get('SOPClassUID', '(none)')} is not a Secondary "
                "Capture Image Storage SOP Class"
            )

    @property
    def number_of_frames(self) -> int:
        return int(self.dataset.get("NumberOfFrames", 1) or 1)

    @property
    def pixel_spacing(self) -> list[float] | None:
        """Pixel Spacing (PATIENT: Image Plane or Pixel Measures), else Nominal Scanned Pixel
        Spacing (SLIDE), else None."""
        ds = self.dataset
        shared = ds.get("SharedFunctionalGroupsSequence")
        measures = shared[0].get("PixelMeasuresSequence") if shared else None
        for value in (
            ds.get("PixelSpacing"),
            measures[0].get("PixelSpacing") if measures else None,
            ds.get("NominalScannedPixelSpacing"),
        ):
            if value:
                return [float(v) for v in value]
        return None

    def get_frames(self, indices: Sequence[int] | None = None) -> np.ndarray:
        """The frames (0-based ``indices``, default all) as (frames, rows, columns[, 3])."""
        wanted = (
            list(range(self.number_of_frames)) if indices is None else [int(i) for i in indices]
        )
        frames = [self._source.read_frame(k) for k in wanted]
        if not frames:
            raise SecondaryCaptureReadError("no frames asked for")
        return np.stack(frames)

    def close(self) -> None:
        self._source.close()

    def __enter__(self) -> SecondaryCaptureReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

"""The Image Pixel description: the attributes that say how frames are laid out in bytes.

PS3.3 C.7.6.3 (Image Pixel Module) and PS3.5 8.1.1 tie together *Rows*, *Columns*, *Samples
per Pixel*, *Bits Allocated*, *Bits Stored*, *High Bit*, *Pixel Representation*, *Photometric
Interpretation* and *Planar Configuration*; *Float Pixel Data* and *Double Float Pixel Data*
(PS3.3 C.7.6.3, used by Parametric Maps C.8.32) carry *Bits Allocated* 32 or 64 and no *Bits
Stored*, *High Bit* or *Pixel Representation*. :class:`PixelDescription` holds them once, checks
that they agree, and answers the questions every other module asks: the NumPy dtype of a frame,
its shape, its length in bits and bytes, and the value range of a sample.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
from iodkit.datavalues import int_of
from iodkit.pixels.errors import PixelEncodingError
from pydicom.dataset import Dataset

PixelKeyword = Literal["PixelData", "FloatPixelData", "DoubleFloatPixelData"]

#: Tags of the three pixel data elements (PS3.6): integer, float and double float.
PIXEL_DATA_TAGS: dict[int, PixelKeyword] = {
    0x7FE00010: "PixelData",
    0x7FE00008: "FloatPixelData",
    0x7FE00009: "DoubleFloatPixelData",
}

#: Photometric Interpretation defined terms (PS3.3 C.7.6.3.1.2) and their Samples per Pixel.
PHOTOMETRIC_SAMPLES: dict[str, int] = {
    "MONOCHROME1": 1,
    "MONOCHROME2": 1,
    "PALETTE COLOR": 1,
    "RGB": 3,
    "YBR_FULL": 3,
    "YBR_FULL_422": 3,
    "YBR_RCT": 3,
    "YBR_ICT": 3,
}


@dataclass(frozen=True, slots=True)
class PixelDescription:
    """Image Pixel attributes of one multi-frame pixel data element.

    ``bits_stored`` and ``pixel_representation`` are ignored (and not written) for *Float
    Pixel Data* and *Double Float Pixel Data*; use :meth:`for_float` to build one.
    """

    rows: int
    columns: int
    bits_allocated: int
    bits_stored: int
    pixel_representation: int = 0
    samples_per_pixel: int = 1
    photometric_interpretation: str = "MONOCHROME2"
    planar_configuration: int = 0
    number_of_frames: int = 1
    pixel_keyword: PixelKeyword = "PixelData"

    # -- construction ---------------------------------------------------------------------

    @classmethod
    def for_float(
        cls,
        rows: int,
        columns: int,
        bits_allocated: int,
        number_of_frames: int = 1,
        photometric_interpretation: str = "MONOCHROME2",
    ) -> PixelDescription:
        """Description of *Float Pixel Data* (32) or *Double Float Pixel Data* (64)."""
        keyword: PixelKeyword = "FloatPixelData" if bits_allocated == 32 else "DoubleFloatPixelData"
        return cls(
            rows=rows,
            columns=columns,
            bits_allocated=bits_allocated,
            bits_stored=bits_allocated,
            number_of_frames=number_of_frames,
            photometric_interpretation=photometric_interpretation,
            pixel_keyword=keyword,
        ).checked()

    @classmethod
    def from_dataset(
        cls, ds: Dataset, pixel_keyword: PixelKeyword | None = None
    ) -> PixelDescription:
        """Read the description from a dataset's Image Pixel attributes.

        ``pixel_keyword`` defaults to whichever pixel data element the dataset holds (or
        *Pixel Data* when it holds none, as with metadata read with ``stop_before_pixels``).
        """
        keyword: PixelKeyword = "PixelData"
        if pixel_keyword is not None:
            keyword = pixel_keyword
        elif "FloatPixelData" in ds:
            keyword = "FloatPixelData"
        elif "DoubleFloatPixelData" in ds:
            keyword = "DoubleFloatPixelData"
        bits_allocated = int_of(ds, "BitsAllocated")
        is_float = keyword != "PixelData"
        return cls(
            rows=int_of(ds, "Rows"),
            columns=int_of(ds, "Columns"),
            bits_allocated=bits_allocated,
            bits_stored=bits_allocated if is_float else int_of(ds, "BitsStored", bits_allocated),
            pixel_representation=0 if is_float else int_of(ds, "PixelRepresentation", 0),
            samples_per_pixel=int_of(ds, "SamplesPerPixel", 1),
            photometric_interpretation=str(ds.get("PhotometricInterpretation", "MONOCHROME2")),
            planar_configuration=int_of(ds, "PlanarConfiguration", 0),
            number_of_frames=int_of(ds, "NumberOfFrames", 1),
            pixel_keyword=keyword,
        )

    def with_frames(self, number_of_frames: int) -> PixelDescription:
        return replace(self, number_of_frames=number_of_frames)

    # -- consistency ----------------------------------------------------------------------

    def checked(self) -> PixelDescription:
        """Return ``self`` after checking the attributes agree (PS3.5 8.1.1, PS3.3 C.7.6.3)."""
        if self.rows < 1 or self.columns < 1:
            raise PixelEncodingError(
                f"Rows and Columns must be ≥ 1, got {self.rows}×{self.columns}"
            )
        if self.rows > 0xFFFF or self.columns > 0xFFFF:
            raise PixelEncodingError(
                f"Rows and Columns are US (at most 65535), got {self.rows}×{self.columns}"
            )
        pi = self.photometric_interpretation
        if pi not in PHOTOMETRIC_SAMPLES:
            raise PixelEncodingError(f"unknown Photometric Interpretation {pi!r}")
        if PHOTOMETRIC_SAMPLES[pi] != self.samples_per_pixel:
            raise PixelEncodingError(
                f"Photometric Interpretation {pi} needs Samples per Pixel "
                f"{PHOTOMETRIC_SAMPLES[pi]}, got {self.samples_per_pixel}"
            )
        if self.planar_configuration not in (0, 1):
            raise PixelEncodingError(
                f"Planar Configuration must be 0 or 1, got {self.planar_configuration}"
            )
        if self.is_float:
            want = 32 if self.pixel_keyword == "FloatPixelData" else 64
            if self.bits_allocated != want:
                raise PixelEncodingError(
                    f"{self.pixel_keyword} needs Bits Allocated {want}, got {self.bits_allocated}"
                )
            if self.samples_per_pixel != 1:
                raise PixelEncodingError(f"{self.pixel_keyword} needs Samples per Pixel 1")
            return self
        if self.bits_allocated not in (1, 8, 16, 32):
            raise PixelEncodingError(
                f"Bits Allocated must be 1, 8, 16 or 32 for integer Pixel Data, "
                f"got {self.bits_allocated}"
            )
        if not 1 <= self.bits_stored <= self.bits_allocated:
            raise PixelEncodingError(
                f"Bits Stored must be between 1 and Bits Allocated ({self.bits_allocated}), "
                f"got {self.bits_stored} (PS3.5 8.1.1)"
            )
        if self.pixel_representation not in (0, 1):
            raise PixelEncodingError(
                f"Pixel Representation must be 0 or 1, got {self.pixel_representation}"
            )
        if self.bits_allocated == 1 and (self.pixel_representation or self.samples_per_pixel != 1):
            raise PixelEncodingError(
                "Bits Allocated 1 needs unsigned, single-sample pixels (PS3.3 C.8.20.2)"
            )
        return self

    # -- derived facts --------------------------------------------------------------------

    @property
    def is_float(self) -> bool:
        return self.pixel_keyword != "PixelData"

    @property
    def high_bit(self) -> int:
        return self.bits_stored - 1

    @property
    def dtype(self) -> np.dtype:
        """Little-endian dtype of one decoded sample (``uint8`` holding 0/1 for 1-bit)."""
        if self.pixel_keyword == "FloatPixelData":
            return np.dtype("<f4")
        if self.pixel_keyword == "DoubleFloatPixelData":
            return np.dtype("<f8")
        if self.bits_allocated == 1:
            return np.dtype("u1")
        kind = "i" if self.pixel_representation else "u"
        return np.dtype(f"<{kind}{self.bits_allocated // 8}")

    @property
    def frame_shape(self) -> tuple[int, ...]:
        """Shape of one decoded frame: (Rows, Columns) or (Rows, Columns, Samples per Pixel)."""
        if self.samples_per_pixel == 1:
            return (self.rows, self.columns)
        return (self.rows, self.columns, self.samples_per_pixel)

    @property
    def samples_per_frame(self) -> int:
        return self.rows * self.columns * self.samples_per_pixel

    @property
    def frame_bits(self) -> int:
        """Bits one frame occupies in the native encoding (frames are not padded, PS3.5 8.1.1)."""
        return self.samples_per_frame * self.bits_allocated

    @property
    def frame_length(self) -> int:
        """Bytes of one native frame; for 1-bit, the bytes its bits touch when byte-aligned."""
        return (self.frame_bits + 7) // 8

    @property
    def native_length(self) -> int:
        """Bytes of the whole native value field, before padding to even length."""
        return (self.frame_bits * self.number_of_frames + 7) // 8

    @property
    def value_range(self) -> tuple[int, int]:
        """Smallest and largest sample value Bits Stored and Pixel Representation allow."""
        if self.is_float:
            raise PixelEncodingError("float pixel data has no integer value range")
        if self.pixel_representation:
            return -(1 << (self.bits_stored - 1)), (1 << (self.bits_stored - 1)) - 1
        return 0, (1 << self.bits_stored) - 1

    def apply_to(self, ds: Dataset) -> None:
        """Set the Image Pixel attributes on ``ds`` (removing those float pixel data forbid)."""
        ds.Rows = self.rows
        ds.Columns = self.columns
        ds.SamplesPerPixel = self.samples_per_pixel
        ds.PhotometricInterpretation = self.photometric_interpretation
        ds.BitsAllocated = self.bits_allocated
        if self.is_float:
            for keyword in ("BitsStored", "HighBit", "PixelRepresentation"):
                if keyword in ds:
                    delattr(ds, keyword)
        else:
            ds.BitsStored = self.bits_stored
            ds.HighBit = self.high_bit
            ds.PixelRepresentation = self.pixel_representation
        if self.samples_per_pixel > 1:
            ds.PlanarConfiguration = self.planar_configuration
        elif "PlanarConfiguration" in ds:
            del ds.PlanarConfiguration
        if self.number_of_frames > 1 or "NumberOfFrames" in ds:
            ds.NumberOfFrames = self.number_of_frames

    def decode_options(self) -> dict[str, object]:
        """Keyword options that pydicom's ``Decoder.as_array`` needs for a buffer source."""
        options: dict[str, object] = {
            "rows": self.rows,
            "columns": self.columns,
            "samples_per_pixel": self.samples_per_pixel,
            "bits_allocated": self.bits_allocated,
            "bits_stored": self.bits_stored,
            "photometric_interpretation": self.photometric_interpretation,
            "number_of_frames": self.number_of_frames,
            "pixel_keyword": self.pixel_keyword,
        }
        if not self.is_float:
            options["pixel_representation"] = self.pixel_representation
        if self.samples_per_pixel > 1:
            options["planar_configuration"] = self.planar_configuration
        return options

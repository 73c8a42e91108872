"""Palette colour: the lookup tables that turn stored indices into RGB (PS3.3 C.7.6.3.1.5–6).

A PALETTE COLOR image stores one unsigned index per pixel (8 or 16 bits, encoded like any
monochrome frame); *Red/Green/Blue Palette Color Lookup Table Descriptor* give the number of
entries (0 meaning 65536), the first mapped index and the bits per entry (8 or 16), and the
three *… Lookup Table Data* elements hold the entries (VR OW, PS3.5 A.4). Decoding applies the
table with pydicom's ``apply_color_lut``.
"""

from __future__ import annotations

import numpy as np
from iodkit.pixels.errors import PixelEncodingError
from pydicom.dataset import Dataset

_CHANNELS = ("Red", "Green", "Blue")


def set_palette_color_lut(
    ds: Dataset, lut: np.ndarray, first_mapped: int = 0, *, photometric: bool = True
) -> None:
    """Put an (entries, 3) uint8 or uint16 RGB table on ``ds`` as the palette colour LUT, and
    (``photometric``) make the image PALETTE COLOR. A Parametric Map keeps MONOCHROME2 and
    carries the table as its Palette Color Lookup Table Module (PS3.3 A.75, C.7.9)."""
    lut = np.asarray(lut)
    if lut.ndim != 2 or lut.shape[1] != 3 or not 1 <= lut.shape[0] <= 65536:
        raise PixelEncodingError(f"palette must be shaped (1…65536, 3), got {lut.shape}")
    if lut.dtype not in (np.uint8, np.uint16):
        raise PixelEncodingError(f"palette entries must be uint8 or uint16, got {lut.dtype}")
    bits = lut.dtype.itemsize * 8
    entries = lut.shape[0] % 65536  # 65536 entries are written as 0
    if photometric:
        ds.PhotometricInterpretation = "PALETTE COLOR"
    for index, channel in enumerate(_CHANNELS):
        descriptor_keyword = f"{channel}PaletteColorLookupTableDescriptor"
        data = np.ascontiguousarray(lut[:, index])
        if bits == 8:  # 8-bit entries are packed two per 16-bit word (PS3.3 C.7.6.3.1.6)
            data = np.concatenate([data, np.zeros(len(data) & 1, dtype=np.uint8)])
        setattr(ds, descriptor_keyword, [entries, first_mapped, bits])
        ds[descriptor_keyword].VR = "US"
        setattr(
            ds, f"{channel}PaletteColorLookupTableData", data.astype(f"<u{bits // 8}").tobytes()
        )


def apply_palette(frames: np.ndarray, ds: Dataset) -> np.ndarray:
    """RGB values of palette indices ``frames`` using the LUT on ``ds`` (pydicom)."""
    from pydicom.pixels import apply_color_lut

    return apply_color_lut(frames, ds)

"""Pixel data of a derived image: encoded once, written without extra copies.

Native pixel data (PS3.5 8.1.1) is filled straight into one preallocated buffer — 1-bit
frames packed back to back in groups (:func:`packed_native_value`), 8/16/32/64-bit frames
written in place by the object (:func:`native_buffer`) — and :func:`save` writes the data set
followed by that buffer as the last element of the file, so a large value is never copied into
the Dataset. Encapsulated transfer syntaxes go through :func:`iodkit.pixels.encode_frames`
(Basic or Extended Offset Table). Either way the file is written atomically
(:func:`iodkit.pixels.files.write_atomically`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, BinaryIO

import numpy as np
from pydicom.dataset import Dataset
from pydicom.uid import UID, ImplicitVRLittleEndian

#: Samples of 1-bit frames packed per call: 1 MiB of staging, large enough for full speed.
STAGING_SAMPLES = 1 << 20

#: Pixel element tag and VR by pixel keyword (the integer VR follows Bits Allocated).
PIXEL_ELEMENTS = {
    "PixelData": (0x7FE00010, ""),
    "FloatPixelData": (0x7FE00008, "OF"),
    "DoubleFloatPixelData": (0x7FE00009, "OD"),
}


def padded_buffer(length: int) -> np.ndarray:
    """A uint8 buffer for a native pixel data value of ``length`` bytes, padded to even
    length (PS3.5 8.1.1) with the padding byte already 0."""
    out = np.empty(length + (length & 1), dtype=np.uint8)
    out[-1] = 0  # the padding byte (and the unused bits of the last 1-bit byte)
    return out


def native_buffer(description: Any) -> tuple[np.ndarray, np.ndarray]:
    """(padded uint8 buffer, typed (frames, rows, columns[, samples]) view of it) for the
    native value of ``description`` (8 bits or more), to be filled frame by frame."""
    length = description.native_length
    out = padded_buffer(length)
    typed = out[:length].view(description.dtype).reshape(-1, *description.frame_shape)
    return out, typed


def packed_native_value(frames: Iterable[np.ndarray], description: Any) -> np.ndarray:
    """The native value of 1-bit frames in one preallocated buffer: packed back to back in
    groups (:func:`iodkit.pixels.pack_bits`) in frame order."""
    from iodkit.pixels import pack_bits
    from iodkit.pixels.bitpacking import frames_per_group

    out = padded_buffer(description.native_length)
    rows, columns = description.rows, description.columns
    group = frames_per_group(rows * columns, target_samples=STAGING_SAMPLES)
    staging = np.empty((group, rows, columns), dtype=bool)
    filled = 0
    at = 0
    for frame in frames:
        staging[filled] = frame
        filled += 1
        if filled == group:
            packed = pack_bits(staging, pad=False)
            out[at : at + len(packed)] = np.frombuffer(packed, dtype=np.uint8)
            at += len(packed)
            filled = 0
    if filled:
        packed = pack_bits(staging[:filled], pad=False)
        out[at : at + len(packed)] = np.frombuffer(packed, dtype=np.uint8)
    return out


@dataclass
class Pixels:
    """Encoded pixel data ready to go on a data set: a native value (written as the file's last
    element) or an :class:`~iodkit.pixels.EncodedPixelData` (encapsulated).

    ``native`` is one uint8 buffer (already padded to even length), or a list of contiguous
    arrays — one per frame, in frame order — written one after the other, so frames that are
    views of the caller's array are never copied at all."""

    description: Any
    transfer_syntax_uid: str
    native: np.ndarray | list[np.ndarray] | None = None
    encoded: Any = None
    extended_offset_table: bool = False

    @property
    def implicit_vr(self) -> bool:
        return self.transfer_syntax_uid == ImplicitVRLittleEndian

    def _element(self) -> tuple[int, str]:
        tag, vr = PIXEL_ELEMENTS[self.description.pixel_keyword]
        return tag, vr or ("OB" if self.description.bits_allocated <= 8 else "OW")

    def _parts(self) -> list[memoryview]:
        """The native value's bytes in order, padded to even length (PS3.5 8.1.1)."""
        chunks = [self.native] if isinstance(self.native, np.ndarray) else list(self.native or [])
        parts = [np.ascontiguousarray(c).view(np.uint8).reshape(-1).data for c in chunks]
        if sum(len(p) for p in parts) & 1:
            parts.append(memoryview(b"\x00"))
        return parts

    def finish(self, ds: Dataset) -> None:
        """Image Pixel attributes, encapsulated pixel data if any, the transfer syntax, a
        Specific Character Set that holds every text value (:mod:`iodkit.derived.charset`),
        and the encoding raw (stamped) elements were made for."""
        from iodkit.derived.charset import cover_text

        cover_text(ds)
        self.description.apply_to(ds)
        if self.encoded is not None:
            self.encoded.apply_to(
                ds, offset_table="extended" if self.extended_offset_table else "basic"
            )
        ds.file_meta.TransferSyntaxUID = UID(self.transfer_syntax_uid)
        ds.set_original_encoding(self.implicit_vr, True, ds._character_set)

    def attach(self, ds: Dataset) -> Dataset:
        """Put a native value on ``ds`` as an element (for :meth:`to_dataset` forms)."""
        if self.native is not None:
            tag, vr = self._element()
            ds.add_new(tag, vr, b"".join(bytes(p) for p in self._parts()))
        return ds

    def save(self, ds: Dataset, destination: str | os.PathLike[str] | BinaryIO) -> None:
        """Write ``ds`` (finished) and the pixel data, atomically when given a path."""
        import pydicom
        from iodkit.pixels.files import write_atomically

        if self.native is None:
            write_atomically(
                destination, lambda fp: pydicom.dcmwrite(fp, ds, enforce_file_format=True)
            )
            return
        tag, vr = self._element()
        parts = self._parts()
        header = tag_bytes(tag) + (b"" if self.implicit_vr else vr.encode() + b"\x00\x00")
        header += sum(len(p) for p in parts).to_bytes(4, "little")

        def write(fp: BinaryIO) -> None:
            pydicom.dcmwrite(fp, ds, enforce_file_format=True)
            fp.write(header)
            for part in parts:
                fp.write(part)

        write_atomically(destination, write)


def encode(
    frames: list[np.ndarray],
    description: Any,
    transfer_syntax_uid: str,
    *,
    threads: int | None = None,
    extended_offset_table: bool = False,
) -> Pixels:
    """``frames`` (contiguous arrays, in order) as native per-frame chunks, or encapsulated
    by :func:`iodkit.pixels.encode_frames` for a compressed transfer syntax."""
    from iodkit.pixels import encode_frames, get_codec

    pixels = Pixels(description, transfer_syntax_uid, extended_offset_table=extended_offset_table)
    if not get_codec(transfer_syntax_uid).encapsulated:
        pixels.native = frames
    else:
        pixels.encoded = encode_frames(
            iter(frames),
            transfer_syntax_uid=transfer_syntax_uid,
            description=description,
            threads=threads,
        )
    return pixels


class Writes:
    """``to_dataset()``, ``save()`` and the instance's UIDs for a derived image that makes its
    data set and pixel data in ``_dataset_and_pixels()`` and keeps its
    :class:`~iodkit.derived.Identification` as ``identification`` (a small mixin, not a base
    to build on)."""

    identification: Any

    def _dataset_and_pixels(self) -> tuple[Dataset, Pixels]:
        raise NotImplementedError

    @property
    def sop_instance_uid(self) -> str:
        return str(self.identification.sop_instance_uid)

    @property
    def series_instance_uid(self) -> str:
        return str(self.identification.series_instance_uid)

    def to_dataset(self) -> Dataset:
        """The complete instance as a pydicom Dataset (with File Meta Information), pixel
        data included (copied into the Dataset; :meth:`save` does not copy them)."""
        ds, pixels = self._dataset_and_pixels()
        return pixels.attach(ds)

    def save(self, destination: str | os.PathLike[str] | BinaryIO) -> None:
        """Write the instance as a DICOM file (PS3.10): atomically to a path (a temporary file
        renamed into place, with the permissions ``open()`` gives), or to an open binary file;
        native pixel data go from their buffers to the file, never copied into the Dataset."""
        ds, pixels = self._dataset_and_pixels()
        pixels.save(ds, destination)


def tag_bytes(tag: int) -> bytes:
    """A tag as little-endian group and element."""
    return (tag >> 16).to_bytes(2, "little") + (tag & 0xFFFF).to_bytes(2, "little")


def codec_for(transfer_syntax_uid: str, *, what: str, lossless: bool = True) -> Any:
    """The codec of ``transfer_syntax_uid``; with ``lossless`` a lossy one is refused
    (derived images that record a model's output are stored losslessly)."""
    from iodkit.derived.errors import DerivedObjectError
    from iodkit.pixels import get_codec
    from iodkit.pixels.errors import PixelError

    try:
        codec = get_codec(transfer_syntax_uid)
    except PixelError as exc:
        raise DerivedObjectError(str(exc)) from exc
    if lossless and not codec.lossless:
        raise DerivedObjectError(
            f"{codec.name} is lossy; {what} are stored losslessly (native or a lossless codec)"
        )
    return codec


def check_encoding(description: Any, transfer_syntax_uid: str, *, what: str) -> None:
    """The transfer syntax must allow these pixels (PS3.5 8.2), checked before encoding."""
    from iodkit.derived.errors import DerivedObjectError
    from iodkit.pixels import get_codec
    from iodkit.pixels.errors import PixelError

    try:
        get_codec(transfer_syntax_uid).check(description)
    except PixelError as exc:
        raise DerivedObjectError(f"{what}: {exc}") from exc

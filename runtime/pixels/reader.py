"""Read single frames of a multi-frame file without reading the whole Pixel Data.

:class:`FrameReader` parses the data set up to the pixel data element (pydicom,
``stop_before_pixels``), then locates frames:

* native (PS3.5 8.1.1): frame *i* starts at byte ``i × frame_length`` — for 1-bit data at bit
  ``i × Rows × Columns`` (frames are not padded), so a frame may start mid-byte;
* encapsulated (PS3.5 A.4): from the *Extended Offset Table* (PS3.3 C.7.6.3.1.8) if present,
  else the Basic Offset Table, else a scan of the item headers (values are skipped, not read);
* Deflated Explicit VR Little Endian (PS3.5 A.5): the data set is one deflate stream with no
  random access, so it is inflated once, in a streaming way, into an anonymous temporary file
  (disk, not memory) and read from there.

Frames are read with ``os.pread`` where the source is a real file (no shared file position,
so several threads may read from one reader), else with seek/read under a lock.
"""

from __future__ import annotations

import io
import os
import struct
import tempfile
import threading
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pydicom
from iodkit.pixels.bitpacking import frame_span, unpack_frame
from iodkit.pixels.codecs import decode_lossless_fast, decode_with_pydicom
from iodkit.pixels.description import PIXEL_DATA_TAGS, PixelDescription
from iodkit.pixels.encapsulation import (
    ITEM_TAG,
    SEQUENCE_DELIMITER,
    UNDEFINED_LENGTH,
    Item,
    group_items,
    parse_extended_offsets,
    read_basic_offset_table,
    scan_items,
)
from iodkit.pixels.errors import FrameReadError, PixelError
from iodkit.pixels.files import within_file
from iodkit.pixels.native import _stored_view, decode_native_frame
from pydicom.dataset import Dataset
from pydicom.filereader import _at_pixel_data, _read_file_meta_info, read_dataset, read_preamble
from pydicom.uid import UID, DeflatedExplicitVRLittleEndian

_LONG_VRS = {b"OB", b"OW", b"OF", b"OD", b"OL", b"OV", b"UN", b"SQ", b"UC", b"UR", b"UT"}
_INFLATE_CHUNK = 1 << 20


class FrameReader:
    """Lazy frame access to a DICOM file: ``read_frame(i)`` reads only frame *i*'s bytes.

    ``source`` is a path or a readable, seekable binary file object positioned at the start of
    the DICOM file (a path is opened and closed by the reader; a file object is left open).
    Use as a context manager::

        with FrameReader("seg.dcm") as reader:
            mask = reader.read_frame(7)

    ``as_rgb`` (default True) converts YBR_FULL / YBR_FULL_422 frames to RGB as pydicom's
    ``pixel_array`` does; decoded frames equal pydicom's frame for frame.
    """

    def __init__(self, source: str | os.PathLike[str] | BinaryIO, *, as_rgb: bool = True):
        self.as_rgb = as_rgb
        self._lock = threading.Lock()
        self._owns_file = isinstance(source, (str, os.PathLike))
        self._fp: BinaryIO
        if isinstance(source, (str, os.PathLike)):
            self._fp = open(source, "rb")  # noqa: SIM115 - closed in close()
        else:
            self._fp = source
        self._fd: int | None = None
        try:
            self._open()
        except BaseException:
            self.close()
            raise

    # -- opening ----------------------------------------------------------------------------

    def _open(self) -> None:
        fp = self._fp
        if not (fp.readable() and fp.seekable()):
            raise FrameReadError("FrameReader needs a readable, seekable binary file")
        with within_file(fp) as view:  # no damaged length allocates beyond the file
            dataset = self._parse(view)
            position = view.tell()
        name = getattr(fp, "name", None)
        if isinstance(name, str):
            dataset.filename = name
        self.dataset: Dataset = dataset
        if self.transfer_syntax_uid == DeflatedExplicitVRLittleEndian:
            fp = self._inflated  # parsed and read from here on
            position = fp.tell()
        self._source = fp
        self._file_size = fp.seek(0, io.SEEK_END)
        self._fd = self._real_fd(fp)
        self._locate_pixel_element(position)

    def _parse(self, fp: BinaryIO) -> Dataset:
        """The data set up to the pixel data element, with its File Meta Information; ``fp``
        left at the pixel data element's tag (of the inflated data set, if deflated)."""
        start = fp.tell()
        try:
            read_preamble(fp, False)
        except Exception as exc:  # pydicom's message suggests force=True, which is not ours
            raise FrameReadError(
                "not a DICOM file: no 'DICM' prefix after the 128-byte preamble (a PS3.10 "
                "file starts with one)"
            ) from exc
        try:
            meta = _read_file_meta_info(fp)
        except Exception as exc:
            raise FrameReadError(f"the File Meta Information cannot be read: {exc}") from exc
        if "TransferSyntaxUID" not in meta:
            raise FrameReadError("the file has no File Meta Information Transfer Syntax UID")
        try:
            self.transfer_syntax_uid = UID(meta.TransferSyntaxUID)
            ts = self.transfer_syntax_uid
            little_endian = ts.is_little_endian
        except (TypeError, ValueError) as exc:  # not a UID, or not a transfer syntax's
            raise FrameReadError(
                f"the File Meta Information's Transfer Syntax UID "
                f"{str(meta.get('TransferSyntaxUID'))[:80]!r} is not a transfer syntax"
            ) from exc
        if not little_endian:
            raise FrameReadError(f"{ts.name} is retired and not supported for frame reads")
        if ts == DeflatedExplicitVRLittleEndian:
            dataset = self._inflate(fp)
        else:
            fp.seek(start)
            try:  # leaves fp at the pixel data element's tag
                dataset = pydicom.dcmread(fp, stop_before_pixels=True)
            except Exception as exc:
                raise FrameReadError(f"the data set cannot be parsed: {exc}") from exc
        dataset.file_meta = meta
        return dataset

    def _inflate(self, fp: BinaryIO) -> Dataset:
        """Inflate the data set (PS3.5 A.5) into an anonymous temp file, chunk by chunk, and
        parse it; the temp file is left at the pixel data element's tag."""
        inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        out = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close()
        self._inflated = out
        while chunk := fp.read(_INFLATE_CHUNK):
            out.write(inflater.decompress(chunk))
            if inflater.eof:
                break
        out.write(inflater.flush())
        out.seek(0)
        try:
            with within_file(out) as view:
                return read_dataset(
                    view, is_implicit_VR=False, is_little_endian=True, stop_when=_at_pixel_data
                )
        except Exception as exc:
            raise FrameReadError(f"the deflated data set cannot be parsed: {exc}") from exc

    @staticmethod
    def _real_fd(fp: BinaryIO) -> int | None:
        try:
            fd = fp.fileno()
            os.pread(fd, 0, 0)
        except (AttributeError, OSError, io.UnsupportedOperation):
            return None
        return fd

    def _locate_pixel_element(self, position: int) -> None:
        implicit = self.transfer_syntax_uid.is_implicit_VR
        header = self._pread(position, 12)
        if len(header) < 8:
            raise FrameReadError(
                "the file has no pixel data element (Pixel Data, Float or Double Float)"
            )
        group, element = struct.unpack("<HH", header[:4])
        tag = group << 16 | element
        if tag not in PIXEL_DATA_TAGS:
            raise FrameReadError(
                f"the file has no pixel data element; found ({group:04X},{element:04X}) where it "
                "should be"
            )
        keyword = PIXEL_DATA_TAGS[tag]
        if implicit:
            (length,) = struct.unpack("<I", header[4:8])
            value_start = position + 8
        elif header[4:6] in _LONG_VRS:
            (length,) = struct.unpack("<I", header[8:12])
            value_start = position + 12
        else:
            (length,) = struct.unpack("<H", header[6:8])
            value_start = position + 8
        self.description = PixelDescription.from_dataset(self.dataset, keyword)
        self._value_start = value_start
        self._frames: list[list[Item]] | None = None
        self._bot: list[int] | None = None
        if length != UNDEFINED_LENGTH:
            self.is_encapsulated = False
            available = min(length, self._file_size - value_start)
            if available < self.description.native_length:
                raise FrameReadError(
                    f"Pixel Data is truncated: {self.number_of_frames} frames of "
                    f"{self.description.rows}×{self.description.columns} need "
                    f"{self.description.native_length} bytes, the element has {available}"
                )
            return
        self.is_encapsulated = True
        n = self.number_of_frames
        with self._lock:
            self._source.seek(value_start)
            bot, first_item = read_basic_offset_table(self._source)
        self._first_item = first_item
        if "ExtendedOffsetTable" in self.dataset:
            extents = parse_extended_offsets(
                self.dataset.ExtendedOffsetTable,
                self.dataset.get("ExtendedOffsetTableLengths"),
                n,
                first_item,
                self._file_size,
            )
            self._frames = [[Item(p, size)] for p, size in extents]
        elif bot:
            if len(bot) != n:
                raise FrameReadError(
                    f"Basic Offset Table has {len(bot)} entries, Number of Frames is {n}"
                )
            if bot[0] != 0 or any(b <= a for a, b in zip(bot, bot[1:], strict=False)):
                raise FrameReadError("Basic Offset Table offsets are not increasing from 0")
            if first_item + bot[-1] + 8 > self._file_size:
                raise FrameReadError(
                    f"Pixel Data is truncated: the Basic Offset Table points past the end of "
                    f"the file ({first_item + bot[-1]} ≥ {self._file_size})"
                )
            self._bot = bot
        else:
            with self._lock:
                items = scan_items(self._source, first_item, self._file_size)
                self._frames = group_items(self._source, items, n)

    # -- reading ----------------------------------------------------------------------------

    def _pread(self, offset: int, size: int) -> bytes:
        if self._fd is not None:
            return os.pread(self._fd, size, offset)
        with self._lock:
            self._source.seek(offset)
            return self._source.read(size)

    def _pread_exact(self, offset: int, size: int, what: str) -> bytes:
        data = self._pread(offset, size)
        if len(data) != size:
            raise FrameReadError(
                f"Pixel Data is truncated: {what} needs {size} bytes at file offset {offset}, "
                f"only {len(data)} remain"
            )
        return data

    def _read_native_into(self, offset: int, buffer: np.ndarray) -> None:
        if self._fd is not None:
            got = os.preadv(self._fd, [buffer.data], offset)
        else:
            with self._lock:
                self._source.seek(offset)
                got = self._source.readinto(buffer)  # type: ignore[attr-defined]
        if got != buffer.size:
            raise FrameReadError(
                f"Pixel Data is truncated: needed {buffer.size} bytes at file offset {offset}, "
                f"got {got}"
            )

    def _items_of_frame(self, index: int) -> list[Item]:
        if self._frames is not None:
            return self._frames[index]
        assert self._bot is not None
        start = self._first_item + self._bot[index]
        stop = self._first_item + self._bot[index + 1] if index + 1 < len(self._bot) else None
        items: list[Item] = []
        position = start
        while stop is None or position < stop:
            header = self._pread_exact(position, 8, f"frame {index}'s item header")
            tag, length = header[:4], struct.unpack("<I", header[4:])[0]
            if tag == SEQUENCE_DELIMITER and stop is None and items:
                break
            if tag != ITEM_TAG:
                raise FrameReadError(
                    f"frame {index}: expected an item tag at file offset {position}, found "
                    f"{tag.hex()} (Basic Offset Table and items disagree)"
                )
            items.append(Item(position + 8, length))
            position += 8 + length
        return items

    def _check_index(self, index: int) -> int:
        n = self.number_of_frames
        if not -n <= index < n:
            raise IndexError(f"frame index {index} out of range for {n} frames")
        return index % n

    def read_frame_bytes(self, index: int) -> bytes:
        """The stored bytes of frame ``index``: its codestream (fragments joined) if
        encapsulated, else the native bytes it touches (for 1-bit, from the byte holding its
        first bit)."""
        index = self._check_index(index)
        if self.is_encapsulated:
            parts = [
                self._pread_exact(item.position, item.length, f"frame {index}'s fragment")
                for item in self._items_of_frame(index)
            ]
            return parts[0] if len(parts) == 1 else b"".join(parts)
        desc = self.description
        if desc.bits_allocated == 1:
            first, stop, _ = frame_span(index, desc.samples_per_frame)
            return self._pread_exact(self._value_start + first, stop - first, f"frame {index}")
        return self._pread_exact(
            self._value_start + index * desc.frame_length, desc.frame_length, f"frame {index}"
        )

    def read_frame(self, index: int) -> np.ndarray:
        """Decode frame ``index`` (0-based) to an array shaped (Rows, Columns[, Samples])."""
        index = self._check_index(index)
        desc = self.description
        try:
            if self.is_encapsulated:
                encoded = self.read_frame_bytes(index)
                fast = decode_lossless_fast(encoded, desc, self.transfer_syntax_uid)
                if fast is not None:
                    return fast
                return decode_with_pydicom(
                    encoded, desc, self.transfer_syntax_uid, as_rgb=self.as_rgb
                )
            if desc.bits_allocated == 1:
                first, stop, bit_offset = frame_span(index, desc.samples_per_frame)
                raw = self._pread_exact(self._value_start + first, stop - first, f"frame {index}")
                return unpack_frame(raw, desc.rows, desc.columns, bit_offset)
            buffer = np.empty(desc.frame_length, dtype=np.uint8)
            self._read_native_into(self._value_start + index * desc.frame_length, buffer)
            if desc.photometric_interpretation.startswith("YBR_FULL") and self.as_rgb:
                return decode_with_pydicom(buffer.data, desc, self.transfer_syntax_uid)
            return decode_native_frame(buffer, desc)
        except PixelError as exc:
            if isinstance(exc, FrameReadError):
                raise
            raise type(exc)(f"frame {index}: {exc}") from exc

    @property
    def maps_native(self) -> bool:
        """Whether :meth:`native_frames` can map the frames: native Pixel Data that needs no
        decoding (not encapsulated, not 1-bit, not YBR converted to RGB, no unused high bits
        to clear) in a source with a file descriptor (not an in-memory file)."""
        desc = self.description
        return not (
            self.is_encapsulated
            or self._fd is None
            or desc.bits_allocated == 1
            or (desc.photometric_interpretation.startswith("YBR_FULL") and self.as_rgb)
            or (not desc.is_float and desc.bits_stored < desc.bits_allocated)
            or desc.frame_length == 0
        )

    def native_frames(self, start: int = 0, stop: int | None = None) -> np.ndarray | None:
        """Frames ``start`` … ``stop − 1`` as one read-only array (frames, Rows, Columns[,
        Samples]) of the stored values that maps the file's bytes: nothing is read until the
        array is, and a frame read from it is not copied first. None unless
        :attr:`maps_native`; use :meth:`read_frame` then.

        For bulk reads into an array of the caller's (a whole volume), a window of frames at a
        time: the map is released when the array is (its pages count towards the process's
        resident memory while it lives). Only Pixel Data bytes checked at opening are mapped;
        a file truncated by another process while an array is in use is beyond what a reader
        can guard (read such files with :meth:`read_frame`)."""
        if not self.maps_native:
            return None
        import mmap

        n = self.number_of_frames
        stop = n if stop is None else stop
        if not 0 <= start < stop <= n:
            raise IndexError(f"frames {start}…{stop - 1} out of range for {n} frames")
        desc = self.description
        first = self._value_start + start * desc.frame_length
        length = (stop - start) * desc.frame_length
        offset = first - first % mmap.ALLOCATIONGRANULARITY
        assert self._fd is not None
        try:
            memory = mmap.mmap(
                self._fd, first + length - offset, access=mmap.ACCESS_READ, offset=offset
            )
        except (OSError, ValueError):  # a file system that cannot map: decode instead
            return None
        raw = np.frombuffer(memory, dtype=np.uint8, count=length, offset=first - offset)
        return _stored_view(raw, stop - start, desc)

    def read_frames(self, indices: Sequence[int] | None = None) -> np.ndarray:
        """Decode several frames into one array (frames, Rows, Columns[, Samples])."""
        if indices is None:
            indices = range(self.number_of_frames)
        indices = [self._check_index(i) for i in indices]
        if not indices:
            return np.empty((0, *self.description.frame_shape), dtype=self.description.dtype)
        first = self.read_frame(indices[0])
        out = np.empty((len(indices), *first.shape), dtype=first.dtype)
        out[0] = first
        for k, index in enumerate(indices[1:], start=1):
            out[k] = self.read_frame(index)
        return out

    def iter_frames(self) -> Iterator[np.ndarray]:
        """Yield every frame in order, one in memory at a time."""
        for index in range(self.number_of_frames):
            yield self.read_frame(index)

    # -- facts ------------------------------------------------------------------------------

    @property
    def number_of_frames(self) -> int:
        return self.description.number_of_frames

    def __len__(self) -> int:
        return self.number_of_frames

    def close(self) -> None:
        inflated = getattr(self, "_inflated", None)
        if inflated is not None:
            inflated.close()
        if self._owns_file:
            self._fp.close()

    def __enter__(self) -> FrameReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        name = getattr(self._fp, "name", "<file>")
        return (
            f"FrameReader({Path(str(name)).name!r}, {self.number_of_frames} frames, "
            f"{self.transfer_syntax_uid.name})"
        )

"""Encode frames into pixel data for any supported transfer syntax: :func:`encode_frames`.

The one entry point writers (Segmentation, Parametric Map, Secondary Capture…) call::

    encoded = encode_frames(masks, transfer_syntax_uid=ExplicitVRLittleEndian)   # bool → 1-bit
    encoded.apply_to(ds)  # Image Pixel attributes + the pixel data element

Frames come as one array (frames, rows, columns[, samples]) or any iterable of frames, so a
writer can stream them from a generator; nothing is expanded beyond one packing group (native)
or a small window of frames per worker (encapsulated). Frames are checked one by one before
encoding, and :class:`~iodkit.pixels.errors.PixelEncodingError` names the first bad one.

Encapsulated syntaxes encode one fragment per frame (PS3.5 A.4). When the chosen library
releases the GIL (imagecodecs), frames are encoded on a thread pool; ``threads=1`` forces the
single-threaded path, which is also the default for small frames, where it is faster.
"""

from __future__ import annotations

import itertools
import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from iodkit.pixels.codecs import Codec, get_codec
from iodkit.pixels.description import PixelDescription, PixelKeyword
from iodkit.pixels.encapsulation import EncapsulatedValue, OffsetTable, encapsulate
from iodkit.pixels.errors import PixelEncodingError
from iodkit.pixels.native import encode_native, iter_checked_frames
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import UID, ExplicitVRLittleEndian

#: Tags written by :meth:`EncodedPixelData.apply_to` (PS3.6): replaced, never left stale.
_PIXEL_ELEMENTS = ("PixelData", "FloatPixelData", "DoubleFloatPixelData")
_EXTENDED_TABLES = ("ExtendedOffsetTable", "ExtendedOffsetTableLengths")
_VR_BY_KEYWORD = {"FloatPixelData": "OF", "DoubleFloatPixelData": "OD"}


@dataclass
class EncodedPixelData:
    """Encoded pixel data and the Image Pixel description it was encoded with.

    ``native`` holds the whole native value (padded to even length) for native and Deflated
    transfer syntaxes; ``fragments`` holds one even-length codestream per frame otherwise.
    """

    description: PixelDescription
    transfer_syntax_uid: UID
    native: bytes | None = None
    fragments: list[bytes] | None = None
    encoder: str = "numpy"
    lossy: bool = False
    _encapsulated: dict[str, EncapsulatedValue] = field(default_factory=dict, repr=False)

    @property
    def number_of_frames(self) -> int:
        return self.description.number_of_frames

    @property
    def is_encapsulated(self) -> bool:
        return self.fragments is not None

    @property
    def pixel_keyword(self) -> PixelKeyword:
        return self.description.pixel_keyword

    @property
    def nbytes(self) -> int:
        """Bytes of encoded data (fragments without item headers, or the native value)."""
        if self.fragments is not None:
            return sum(len(f) for f in self.fragments)
        return len(self.native or b"")

    def encapsulated(self, offset_table: OffsetTable = "auto") -> EncapsulatedValue:
        """The encapsulated element value with a Basic or Extended Offset Table (PS3.5 A.4)."""
        if self.fragments is None:
            raise PixelEncodingError(f"{self.transfer_syntax_uid.name} is native, not encapsulated")
        if offset_table not in self._encapsulated:
            self._encapsulated[offset_table] = encapsulate(self.fragments, offset_table)
        return self._encapsulated[offset_table]

    def value(self, offset_table: OffsetTable = "auto") -> bytes:
        """The element value as written to the file (without the Sequence Delimiter)."""
        if self.native is not None:
            return self.native
        return self.encapsulated(offset_table).value

    def apply_to(self, ds: Dataset, *, offset_table: OffsetTable = "auto") -> Dataset:
        """Put the pixel data on ``ds``: Image Pixel attributes, the pixel element with its VR,
        Extended Offset Table if used, Transfer Syntax UID in ``file_meta``, and for lossy
        syntaxes *Lossy Image Compression* "01" with its method and ratio (PS3.3 C.7.6.1.1.5).

        Stale pixel elements and offset tables already on ``ds`` are removed.
        """
        desc = self.description
        desc.apply_to(ds)
        for keyword in (*_PIXEL_ELEMENTS, *_EXTENDED_TABLES):
            if keyword in ds:
                delattr(ds, keyword)
        tag = {
            "PixelData": 0x7FE00010,
            "FloatPixelData": 0x7FE00008,
            "DoubleFloatPixelData": 0x7FE00009,
        }[desc.pixel_keyword]
        if self.native is not None:
            vr = _VR_BY_KEYWORD.get(desc.pixel_keyword, "OB" if desc.bits_allocated <= 8 else "OW")
            ds.add_new(tag, vr, self.native)
        else:
            value = self.encapsulated(offset_table)
            ds.add_new(tag, "OB", value.value)
            ds[tag].is_undefined_length = True
            if value.extended_offset_table is not None:
                ds.ExtendedOffsetTable = value.extended_offset_table
                ds.ExtendedOffsetTableLengths = value.extended_offset_table_lengths
        if not hasattr(ds, "file_meta"):
            ds.file_meta = FileMetaDataset()
        ds.file_meta.TransferSyntaxUID = self.transfer_syntax_uid
        if self.lossy:
            codec = get_codec(self.transfer_syntax_uid)
            ds.LossyImageCompression = "01"
            ds.LossyImageCompressionMethod = codec.lossy_method
            ratio = desc.native_length / max(1, self.nbytes)
            ds.LossyImageCompressionRatio = f"{ratio:.4g}"[:16]
        for cache in ("_pixel_array", "_pixel_id"):  # pydicom caches decoded pixels
            if cache in ds.__dict__:
                ds.__dict__[cache] = None if cache == "_pixel_array" else {}
        return ds


# -- describing the input -------------------------------------------------------------------


def _default_photometric(samples: int, ts: UID) -> str:
    if samples == 1:
        return "MONOCHROME2"
    if ts.name.startswith(("JPEG 2000", "High-Throughput JPEG 2000")):
        return "YBR_RCT"
    if ts.name.startswith("JPEG Baseline"):
        return "YBR_FULL_422"
    return "RGB"


def describe_frames(
    first: np.ndarray,
    number_of_frames: int,
    transfer_syntax_uid: UID,
    *,
    photometric_interpretation: str | None = None,
    bits_allocated: int | None = None,
    bits_stored: int | None = None,
    pixel_representation: int | None = None,
    planar_configuration: int = 0,
) -> PixelDescription:
    """Image Pixel description for frames like ``first``; unspecified attributes follow its dtype.

    bool → Bits Allocated 1; (u)int8/16/32 → 8/16/32 with Pixel Representation from the sign;
    float32 → *Float Pixel Data*; float64 → *Double Float Pixel Data*. Bits Stored defaults to
    Bits Allocated. A float frame with an explicit integer ``bits_allocated`` targets integer
    *Pixel Data* (and is refused by the checks, naming NaN if there is one).
    """
    if first.ndim not in (2, 3):
        raise PixelEncodingError(
            f"a frame must be (rows, columns) or (rows, columns, samples), got shape {first.shape}"
        )
    rows, columns = first.shape[:2]
    samples = first.shape[2] if first.ndim == 3 else 1
    kind = first.dtype.kind
    photometric = photometric_interpretation or _default_photometric(samples, transfer_syntax_uid)
    if (
        kind == "f"
        and bits_allocated in (None, 32, 64)
        and pixel_representation is None
        and bits_stored is None
    ):
        size = bits_allocated or (64 if first.dtype.itemsize == 8 else 32)
        return PixelDescription.for_float(rows, columns, size, number_of_frames, photometric)
    if bits_allocated is None:
        if kind == "b":
            bits_allocated = 1
        elif kind in "ui":
            bits_allocated = first.dtype.itemsize * 8
        else:
            raise PixelEncodingError(
                f"frame 0 has dtype {first.dtype}; give bool, an integer or a float dtype"
            )
    if pixel_representation is None:
        pixel_representation = 1 if kind == "i" else 0
    return PixelDescription(
        rows=rows,
        columns=columns,
        bits_allocated=bits_allocated,
        bits_stored=bits_stored or bits_allocated,
        pixel_representation=pixel_representation,
        samples_per_pixel=samples,
        photometric_interpretation=photometric,
        planar_configuration=planar_configuration,
        number_of_frames=number_of_frames,
    ).checked()


# -- encoding -------------------------------------------------------------------------------


def encode_frames(
    frames: np.ndarray | Iterable[np.ndarray],
    *,
    transfer_syntax_uid: str = ExplicitVRLittleEndian,
    photometric_interpretation: str | None = None,
    bits_allocated: int | None = None,
    bits_stored: int | None = None,
    pixel_representation: int | None = None,
    planar_configuration: int = 0,
    description: PixelDescription | None = None,
    threads: int | None = None,
    options: dict[str, Any] | None = None,
) -> EncodedPixelData:
    """Encode frames for ``transfer_syntax_uid`` and return :class:`EncodedPixelData`.

    ``frames``: an array (frames, rows, columns) or (frames, rows, columns, samples) — a 2-D
    array is one frame — or an iterable of (rows, columns[, samples]) frames.

    The Image Pixel description comes from ``description`` if given, else from the keyword
    arguments and the first frame's dtype (see :func:`describe_frames`). ``threads``: ``None``
    uses a pool of ``os.cpu_count()`` workers when the encoder releases the GIL, there is more
    than one frame and frames have at least 128×128 samples; ``1`` encodes in the calling
    thread; any other number forces a pool of that size. ``options``: codec settings, e.g.
    ``{"jpeg_quality": 90}`` for JPEG Baseline.
    """
    ts = UID(transfer_syntax_uid)
    codec = get_codec(ts)
    stack, iterator, count = _frames_source(frames)
    first: np.ndarray
    if stack is not None:
        first = stack[0]
    else:
        assert iterator is not None
        try:
            first = np.asarray(next(iterator))
        except StopIteration:
            raise PixelEncodingError(
                "no frames given; at least one frame shall be present (PS3.5 8.1.1)"
            ) from None
        iterator = itertools.chain([first], iterator)
    if description is None:
        description = describe_frames(
            first,
            count or 1,
            ts,
            photometric_interpretation=photometric_interpretation,
            bits_allocated=bits_allocated,
            bits_stored=bits_stored,
            pixel_representation=pixel_representation,
            planar_configuration=planar_configuration,
        )
    else:
        description = description.checked()
    codec.check(description)
    counter = _Counter()
    source: np.ndarray | Iterable[np.ndarray] = (
        stack if stack is not None else counter.count(iterator)  # type: ignore[arg-type]
    )

    if not codec.encapsulated:
        native = encode_native(source, description)
        frames_encoded = count if stack is not None else counter.n
        return EncodedPixelData(description.with_frames(frames_encoded or 1), ts, native=native)

    if description.samples_per_pixel > 1 and description.planar_configuration != 0:
        if ts.name != "RLE Lossless":
            raise PixelEncodingError(
                f"{ts.name} needs Planar Configuration 0 (PS3.5 {codec.section})"
            )
    encoders = codec.encoders_for(description)
    name = encoders[0][0]
    workers = _worker_count(threads, codec, description, count)
    fragments = _encode_encapsulated(
        iter_checked_frames(source, description), description, encoders, options or {}, workers
    )
    return EncodedPixelData(
        description.with_frames(len(fragments)),
        ts,
        fragments=fragments,
        encoder=name if workers == 1 else f"{name} ×{workers} threads",
        lossy=not codec.lossless,
    )


class _Counter:
    """Counts the frames an iterator yields (native encoding of a generator)."""

    def __init__(self) -> None:
        self.n = 0

    def count(self, frames: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
        for frame in frames:
            self.n += 1
            yield frame


def _frames_source(
    frames: np.ndarray | Iterable[np.ndarray],
) -> tuple[np.ndarray | None, Iterator[np.ndarray] | None, int | None]:
    if isinstance(frames, np.ndarray):
        if frames.ndim == 2:
            frames = frames[np.newaxis]
        if frames.ndim not in (3, 4):
            raise PixelEncodingError(
                f"expected frames shaped (frames, rows, columns[, samples]), got {frames.shape}"
            )
        if frames.shape[0] == 0:
            raise PixelEncodingError(
                "no frames given; at least one frame shall be present (PS3.5 8.1.1)"
            )
        return frames, None, frames.shape[0]
    count = len(frames) if hasattr(frames, "__len__") else None  # type: ignore[arg-type]
    return None, iter(frames), count


#: Frames smaller than this many samples are encoded in the calling thread: measured on 2
#: cores, a pool loses at 64×64 (JPEG-LS 45 → 57 ms for 400 frames) and wins from 128×128
#: (180 → 114 ms), where per-frame codec work outweighs the hand-off.
MIN_POOL_SAMPLES = 128 * 128


def _worker_count(
    threads: int | None, codec: Codec, desc: PixelDescription, count: int | None
) -> int:
    if threads is not None:
        if threads < 1:
            raise PixelEncodingError(f"threads must be ≥ 1, got {threads}")
        return threads
    if count == 1 or not codec.releases_gil_for(desc) or desc.samples_per_frame < MIN_POOL_SAMPLES:
        return 1
    return max(1, min(os.cpu_count() or 1, count or os.cpu_count() or 1))


def _pad(fragment: bytes) -> bytes:
    """Fragments have even length (PS3.5 A.4): codestreams end on a marker, a 0 byte after
    the EOI / EOC marker is the customary padding."""
    return fragment + b"\x00" if len(fragment) & 1 else fragment


def _encode_encapsulated(
    frames: Iterator[np.ndarray],
    desc: PixelDescription,
    encoders: list[tuple[str, Any]],
    options: dict[str, Any],
    workers: int,
) -> list[bytes]:
    def encode_one(index: int, frame: np.ndarray) -> bytes:
        failures = []
        for name, encode in encoders:  # a fallback library may succeed where the first fails
            try:
                return _pad(encode(frame, desc, options))
            except PixelEncodingError:
                raise
            except Exception as exc:  # libraries raise RuntimeError, ValueError, their own types
                failures.append(f"{name}: {exc}")
        raise PixelEncodingError(f"frame {index} could not be encoded: {'; '.join(failures)}")

    if workers == 1:
        return [encode_one(index, frame) for index, frame in enumerate(frames)]
    fragments: list[bytes] = []
    window: deque[Future[bytes]] = deque()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="iodkit-encode") as pool:
        try:
            for index, frame in enumerate(
                frames
            ):  # checks run here, in order, while workers encode
                window.append(pool.submit(encode_one, index, frame))
                if len(window) >= 2 * workers:  # bound the frames held in memory
                    fragments.append(window.popleft().result())
            while window:
                fragments.append(window.popleft().result())
        except BaseException:
            for future in window:
                future.cancel()
            raise
    return fragments

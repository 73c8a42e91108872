"""Pixel data and frames: encode NumPy frames for any supported transfer syntax, read frames back.

Modules, one job each:

* :mod:`~iodkit.pixels.description` — :class:`PixelDescription`, the Image Pixel attributes
  (PS3.3 C.7.6.3) and what follows from them (dtype, frame shape and length, value range);
* :mod:`~iodkit.pixels.bitpacking` — 1-bit frames packed back to back (PS3.5 8.1.1, D);
* :mod:`~iodkit.pixels.native` — native layout, planar configuration, the per-frame checks;
* :mod:`~iodkit.pixels.codecs` — which maintained library encodes/decodes each transfer syntax
  (PS3.5 8.2) and which Image Pixel values each allows;
* :mod:`~iodkit.pixels.encapsulation` — items, Basic and Extended Offset Tables (PS3.5 A.4);
* :mod:`~iodkit.pixels.encoder` — :func:`encode_frames` → :class:`EncodedPixelData`;
* :mod:`~iodkit.pixels.reader` — :class:`FrameReader`, lazy frame reads from files;
* :mod:`~iodkit.pixels.files` — atomic writes (:func:`write_dataset`, :func:`write_frames`);
* :mod:`~iodkit.pixels.palette` — palette colour lookup tables (PS3.3 C.7.6.3.1.5);
* :mod:`~iodkit.pixels.errors` — the errors, all named after what is wrong.

Typical use by a writer::

    from iodkit.pixels import encode_frames
    encoded = encode_frames(masks, transfer_syntax_uid=JPEG2000Lossless, threads=None)
    encoded.apply_to(ds)            # Image Pixel attributes, Pixel Data, offset tables, TS UID
"""

from iodkit.pixels.bitpacking import pack_bits, unpack_bits
from iodkit.pixels.codecs import Codec, get_codec, supported_transfer_syntaxes
from iodkit.pixels.description import PixelDescription
from iodkit.pixels.encapsulation import EncapsulatedValue, encapsulate
from iodkit.pixels.encoder import EncodedPixelData, describe_frames, encode_frames
from iodkit.pixels.errors import (
    CodecUnavailableError,
    FrameReadError,
    PixelDecodingError,
    PixelEncodingError,
    PixelError,
)
from iodkit.pixels.files import write_dataset, write_frames
from iodkit.pixels.palette import apply_palette, set_palette_color_lut
from iodkit.pixels.reader import FrameReader

__all__ = [
    "Codec",
    "CodecUnavailableError",
    "EncapsulatedValue",
    "EncodedPixelData",
    "FrameReadError",
    "FrameReader",
    "PixelDecodingError",
    "PixelDescription",
    "PixelEncodingError",
    "PixelError",
    "apply_palette",
    "describe_frames",
    "encapsulate",
    "encode_frames",
    "get_codec",
    "pack_bits",
    "set_palette_color_lut",
    "supported_transfer_syntaxes",
    "unpack_bits",
    "write_dataset",
    "write_frames",
]

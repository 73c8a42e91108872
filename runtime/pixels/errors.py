"""Errors raised by the pixel runtime.

Every error names the problem in the standard's vocabulary (frame index, attribute, expected
value), so a caller can fix the input without reading our code. All derive from ``ValueError``
(bad input) or ``OSError`` (bad file), so callers that already catch those keep working.
"""

from __future__ import annotations


class PixelError(Exception):
    """Base class of every error raised by :mod:`iodkit.pixels`."""


class PixelEncodingError(PixelError, ValueError):
    """Input frames cannot be encoded as asked: wrong dtype, shape, value range, or an
    Image Pixel description that the transfer syntax does not allow (PS3.5 8.2)."""


class PixelDecodingError(PixelError, ValueError):
    """Encoded pixel data cannot be decoded: truncated or malformed item stream, a frame
    whose decoded size does not match Rows × Columns × Samples per Pixel, …"""


class FrameReadError(PixelError, OSError):
    """A frame cannot be located or read in a file (missing Pixel Data, truncated file,
    inconsistent Basic or Extended Offset Table)."""


class CodecUnavailableError(PixelError, RuntimeError):
    """No installed library can encode or decode this transfer syntax; the message names the
    package to install (they live in the ``iodkit[codecs]`` extra)."""

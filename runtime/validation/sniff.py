"""Is it DICOM at all? What an input is, said plainly before it is parsed.

A Part 10 file has "DICM" after a 128-byte preamble (PS3.10 7.1); some writers leave out the
preamble, or the File Meta Information too, and start with a data element. Anything else is
not a DICOM file, and listing what a DICOM parser makes of a PDF or a README (an element "of
1,870,078,063 bytes" that "runs past the end") tells the user nothing: the validator says
"empty file" or "not a DICOM file (text)" instead, as one finding.
"""

from __future__ import annotations

import struct

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"\x1f\x8b", "a gzip file"),
    (b"BZh", "a bzip2 file"),
    (b"\xfd7zXZ", "an xz file"),
    (b"\x7fELF", "an executable"),
    (b"<?xml", "an XML document"),
    (b"\x00\x05\x16\x07", "a macOS resource fork (AppleDouble)"),
    (b"\x00\x00\x00\x01Bud1", "a macOS folder settings file (.DS_Store)"),
)


def _plausible_element(data: bytes, pos: int) -> bool:
    """A data element header at ``pos``: an even group of the File Meta Information or of the
    first groups a dataset holds (0008 comes first in nearly every dataset), with an explicit
    VR or an implicit length that fits."""
    if len(data) < pos + 8:
        return False
    group, _ = struct.unpack_from("<HH", data, pos)
    if group & 1 or group not in (0x0002, 0x0004, 0x0008, 0x0010, 0x0018, 0x0020, 0x0028):
        return False
    vr = data[pos + 4 : pos + 6]
    if vr.isalpha() and vr.isupper():
        return True
    length = struct.unpack_from("<I", data, pos + 4)[0]
    return length == 0xFFFFFFFF or pos + 8 + length <= len(data)


def _looks_like_text(head: bytes) -> bool:
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the end of the sample
            return False
        text = head[: exc.start].decode("utf-8")
    printable = sum(ch.isprintable() or ch in "\t\r\n\f" for ch in text)
    return bool(text) and printable >= 0.95 * len(text)


def not_dicom(data: bytes) -> str | None:
    """Why ``data`` is not a DICOM file ("empty file", "not a DICOM file (a PDF document)"),
    or None when it may be one (a preamble and DICM, a bare DICM, or a data element first)."""
    if not data:
        return "empty file (0 bytes)"
    if data[128:132] == b"DICM" or data[:4] == b"DICM" or _plausible_element(data, 0):
        return None
    for magic, what in _MAGIC:
        if data.startswith(magic):
            return f"not a DICOM file ({what})"
    if _looks_like_text(data[:4096]):
        return "not a DICOM file (text)"
    return (
        f"not a DICOM file ({len(data):,} bytes: no DICM prefix at byte 128, and no data "
        "element at the start)"
    )

"""Text in the Specific Character Set (0008,0005), decoded without pydicom.

PS3.5 6.1.2.4-6.1.2.5 and PS3.3 C.12.1.1.2: one character set, or several with ISO 2022 code
extensions, where an escape sequence switches the character set until the next one (or, for
single-byte sets, until a delimiter: "\\" between values, "^" and "=" in person names).

This follows pydicom's reading (``pydicom.charset.decode_bytes``) for the Defined Terms of
PS3.3 Tables C.12-2 to C.12-5, so a validator that decodes text itself reports the same values
as a program reading the file with pydicom would see, without importing pydicom and NumPy for
it (a third of a second, more than validating a typical file). Unknown terms and misspellings
(which pydicom patches, with a warning) return ``None`` from :func:`python_encodings`; the
caller then asks pydicom.
"""

from __future__ import annotations

import re

# Defined Terms of Specific Character Set → Python codec (PS3.3 C.12.1.1.2)
TERMS: dict[str, str] = {
    "": "iso8859",
    "ISO_IR 6": "iso8859",
    "ISO_IR 13": "shift_jis",
    "ISO_IR 100": "latin_1",
    "ISO_IR 101": "iso8859_2",
    "ISO_IR 109": "iso8859_3",
    "ISO_IR 110": "iso8859_4",
    "ISO_IR 126": "iso_ir_126",
    "ISO_IR 127": "iso_ir_127",
    "ISO_IR 138": "iso_ir_138",
    "ISO_IR 144": "iso_ir_144",
    "ISO_IR 148": "iso_ir_148",
    "ISO_IR 166": "iso_ir_166",
    "ISO_IR 192": "UTF8",
    "ISO_IR 203": "iso8859_15",
    "GB18030": "GB18030",
    "GBK": "GBK",
    "ISO 2022 IR 6": "iso8859",
    "ISO 2022 IR 13": "shift_jis",
    "ISO 2022 IR 87": "iso2022_jp",
    "ISO 2022 IR 100": "latin_1",
    "ISO 2022 IR 101": "iso8859_2",
    "ISO 2022 IR 109": "iso8859_3",
    "ISO 2022 IR 110": "iso8859_4",
    "ISO 2022 IR 126": "iso_ir_126",
    "ISO 2022 IR 127": "iso_ir_127",
    "ISO 2022 IR 138": "iso_ir_138",
    "ISO 2022 IR 144": "iso_ir_144",
    "ISO 2022 IR 148": "iso_ir_148",
    "ISO 2022 IR 149": "euc_kr",
    "ISO 2022 IR 159": "iso2022_jp_2",
    "ISO 2022 IR 166": "iso_ir_166",
    "ISO 2022 IR 58": "iso_ir_58",
    "ISO 2022 IR 203": "iso8859_15",
}
# character sets that do not combine with others (PS3.3 C.12.1.1.2: no code extensions)
_STAND_ALONE = frozenset(("ISO_IR 192", "GB18030", "GBK"))
# escape sequences (PS3.3 Tables C.12-3, C.12-4) → Python codec
_ESCAPES: dict[bytes, str] = {
    b"\x1b(B": "iso8859",
    b"\x1b-A": "latin_1",
    b"\x1b)I": "shift_jis",
    b"\x1b(J": "shift_jis",
    b"\x1b$B": "iso2022_jp",
    b"\x1b-B": "iso8859_2",
    b"\x1b-C": "iso8859_3",
    b"\x1b-D": "iso8859_4",
    b"\x1b-F": "iso_ir_126",
    b"\x1b-G": "iso_ir_127",
    b"\x1b-H": "iso_ir_138",
    b"\x1b-L": "iso_ir_144",
    b"\x1b-M": "iso_ir_148",
    b"\x1b-T": "iso_ir_166",
    b"\x1b-b": "iso8859_15",
    b"\x1b$)C": "euc_kr",
    b"\x1b$(D": "iso2022_jp_2",
    b"\x1b$)A": "iso_ir_58",
}
# codecs that read their own escape sequences (the others get the bytes after the escape)
_SELF_ESCAPED = frozenset(("iso2022_jp", "iso2022_jp_2", "iso_ir_58"))
_ESC = 0x1B
_FRAGMENTS = re.compile(b"(^[^\x1b]+|[\x1b][^\x1b]*)")
DEFAULT = "iso8859"


def python_encodings(terms: list[str]) -> list[str] | None:
    """The codecs of a Specific Character Set's values, or None when one is not a Defined
    Term as written, or a stand-alone set is combined with others (the caller asks pydicom,
    which patches common misspellings)."""
    terms = [t.strip(" \x00") for t in terms] or [""]
    if len(terms) > 1 and any(t in _STAND_ALONE for t in terms):
        return None
    out: list[str] = []
    for i, term in enumerate(terms):
        if i == 0 and not term:
            term = "ISO_IR 6"
        codec = TERMS.get(term)
        if codec is None:
            return None
        out.append(codec)
    return out


def decode(data: bytes, encodings: list[str], delimiters: frozenset[int]) -> str:
    """Decode one value; raises UnicodeError when a byte is not valid in its character set
    (a validator reports that rather than substituting replacement characters)."""
    if _ESC not in data:
        return data.decode(encodings[0])
    return "".join(_fragment(f, encodings, delimiters) for f in _FRAGMENTS.findall(data))


def _fragment(chunk: bytes, encodings: list[str], delimiters: frozenset[int]) -> str:
    if chunk[0] != _ESC:
        return chunk.decode(encodings[0])
    size = 4 if chunk.startswith((b"\x1b$(", b"\x1b$)")) else 3
    codec = _ESCAPES.get(chunk[:size], "")
    if not codec or (codec not in encodings and codec != DEFAULT):
        raise UnicodeError("escape sequence of a character set not in the Specific Character Set")
    if codec in _SELF_ESCAPED:
        return chunk.decode(codec)
    body = chunk[size:]
    cut = next((i for i, ch in enumerate(body) if ch in delimiters), None)
    if cut is None:
        return body.decode(codec)
    return body[:cut].decode(codec) + body[cut:].decode(encodings[0])

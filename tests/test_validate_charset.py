"""The validator decodes text in its Specific Character Set itself (``iodkit.validation.charset``,
so validating never imports pydicom); it must read every value as pydicom does."""

from __future__ import annotations

import pytest
from iodkit.validation.charset import decode, python_encodings
from pydicom.charset import convert_encodings, decode_bytes

# (Specific Character Set, encoded value, is a person name) — the PS3.5 Annex H/I/J examples
SAMPLES = [
    (["ISO_IR 100"], "Buc^Jérôme".encode("latin_1"), True),
    (["ISO_IR 126"], "Διονυσιος".encode("iso8859_7"), True),
    (["ISO_IR 192"], "Wang^XiaoDong=王^小東".encode(), True),
    (["GB18030"], "Wang^XiaoDong=王^小东".encode("gb18030"), True),
    (
        ["", "ISO 2022 IR 87"],
        b"Yamada^Tarou=\x1b$B;3ED\x1b(B^\x1b$BB@O:\x1b(B=\x1b$B$d$^$@\x1b(B^\x1b$B$?$m$&\x1b(B",
        True,
    ),
    (
        ["ISO 2022 IR 13", "ISO 2022 IR 87"],
        b"\xd4\xcf\xc0\xde^\xc0\xdb\xb3=\x1b$B;3ED\x1b(J^\x1b$BB@O:\x1b(J=",
        True,
    ),
    (
        ["", "ISO 2022 IR 149"],
        b"Hong^Gildong=\x1b$)C\xfb\xf3^\x1b$)C\xd1\xce\xd4\xd7=\x1b$)C\xc8\xab^\x1b$)C\xb1\xe6\xb5\xbf",
        True,
    ),
    (["ISO 2022 IR 100", "ISO 2022 IR 126"], b"abc\x1b-F\xc4\xe9\\def", False),
    (["ISO_IR 100"], b"plain ASCII\\second value", False),
]


@pytest.mark.parametrize(("terms", "data", "pn"), SAMPLES)
def test_decodes_as_pydicom_does(terms: list[str], data: bytes, pn: bool) -> None:
    ours = python_encodings(terms)
    assert ours == convert_encodings(terms)
    delimiters = {0x5C, 0x3D, 0x5E} if pn else {0x5C}
    assert decode(data, ours, frozenset(delimiters)) == decode_bytes(data, ours, delimiters)


def test_bytes_outside_the_character_set_are_an_error() -> None:
    with pytest.raises(UnicodeError):
        decode(b"\xff\xfe", ["UTF8"], frozenset({0x5C}))
    with pytest.raises(UnicodeError):  # an escape to a set the dataset did not declare
        decode(b"a\x1b$)Cb", ["latin_1"], frozenset({0x5C}))


def test_unknown_or_misspelt_terms_are_left_to_pydicom() -> None:
    assert python_encodings(["ISO-IR 100"]) is None  # pydicom patches this, with a warning
    assert python_encodings(["ISO_IR 192", "ISO 2022 IR 87"]) is None  # stand-alone combined
    assert python_encodings([""]) == ["iso8859"]

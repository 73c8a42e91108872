"""The validator decodes text in its Specific Character Set itself (``iodkit.validation.charset``,
so validating never imports pydicom); it must read every value as pydicom does."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


def _nodes(node: Any) -> Iterator[Any]:
    yield node
    for el in node.elems.values():
        for item in el.items or ():
            yield from _nodes(item)


def _walked(node: Any) -> bool:
    """What the condition evaluator finds by walking the values (the reader's note hidden)."""
    from iodkit.rulemodel.facts import _non_default_text

    saved = [(n, n.extended_text) for n in _nodes(node)]
    try:
        for n, _ in saved:
            n.extended_text = None
        return bool(_non_default_text(node, 0))
    finally:
        for n, v in saved:
            n.extended_text = v


def test_reader_notes_extended_text_as_the_walk_finds_it(testdata: Path) -> None:
    # "an expanded or replacement character set is used" (SOP Common) reads the reader's note
    # of text bytes outside ISO-IR 6 instead of walking the tree again: it must say what the
    # walk says, in every dataset and item of the corpus and of crafted files
    import io

    from iodkit.validation.reader import parse
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.sequence import Sequence

    def written(item_charset: str | None, name: bytes, *, implicit: bool = False) -> bytes:
        inner = Dataset()
        if item_charset is not None:
            inner.SpecificCharacterSet = item_charset
        inner.add_new(0x00100010, "PN", name)
        mid = Dataset()
        mid.add_new(0x0040A730, "SQ", Sequence([inner]))
        ds = Dataset()
        ds.PatientID = "1"
        ds.add_new(0x0040A730, "SQ", Sequence([mid]))
        ds.file_meta = FileMetaDataset()
        ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2" if implicit else "1.2.840.10008.1.2.1"
        out = io.BytesIO()
        ds.save_as(out, implicit_vr=implicit, little_endian=True, enforce_file_format=False)
        return out.getvalue()

    cases = {
        "ascii": (written(None, b"Doe^John"), False),
        "latin-1 in a nested item": (written(None, "Buc^Jérôme".encode("latin_1")), True),
        "implicit VR": (written(None, "Buc^Jérôme".encode("latin_1"), implicit=True), True),
        "escape": (written(None, b"a\x1b(Bb"), True),
        "item declares its own set": (written("ISO_IR 100", "Jérôme".encode("latin_1")), False),
    }
    for name, (data, expected) in cases.items():
        root = parse(data).dataset
        assert root.extended_text is expected, name
        assert all(n.extended_text == _walked(n) for n in _nodes(root)), name
    files = sorted(p for p in testdata.rglob("*.dcm") if not p.name.startswith("."))
    assert files
    for path in files:
        root = parse(path.read_bytes()).dataset
        for n in _nodes(root):
            assert n.extended_text is not None and n.extended_text == _walked(n), path


def test_text_verdicts_remembered_by_bytes_and_character_set() -> None:
    # the value checks of text in a character set are remembered by its bytes and the
    # encodings they are decoded with: the same bytes under another set are checked anew
    import io

    from iodkit.validation.api import validate_bytes
    from pydicom.dataset import Dataset, FileMetaDataset

    def file(charset: str) -> bytes:
        ds = Dataset()
        ds.SpecificCharacterSet = charset
        ds.add_new(0x00081030, "LO", b"Caf\xe9 study")  # Study Description
        ds.file_meta = FileMetaDataset()
        ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.1"
        out = io.BytesIO()
        ds.save_as(out, implicit_vr=False, little_endian=True, enforce_file_format=False)
        return out.getvalue()

    def undecodable(data: bytes) -> list[str]:
        return [
            f.message
            for f in validate_bytes(data)
            if f.path == "StudyDescription" and "cannot be decoded" in f.message
        ]

    for _ in range(2):  # each verdict twice: the second from memory
        assert undecodable(file("ISO_IR 100")) == []  # é in Latin-1
        assert undecodable(file("ISO_IR 192"))  # a lone 0xE9 is not UTF-8


def test_items_read_with_the_character_set_in_force() -> None:
    # an item shares its dataset's encoding until it declares its own Specific Character Set
    # (the reader makes no Encoding an item): then every element of the item takes the item's,
    # those read before (0008,0005) and those of its sequences' items too, and its sibling
    # items keep the dataset's
    import io

    from iodkit.validation.reader import parse
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.sequence import Sequence

    latin1, utf8 = "Jérôme".encode("latin_1"), "Jérôme".encode()

    def named(name: bytes) -> Dataset:
        ds = Dataset()
        ds.add_new(0x00100010, "PN", name)
        return ds

    own = named(latin1)
    own.add_new(0x00041220, "SQ", Sequence([named(latin1)]))  # before (0008,0005)
    own.SpecificCharacterSet = "ISO_IR 100"
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.add_new(0x0040A730, "SQ", Sequence([named(utf8), own, named(utf8)]))
    ds.file_meta = FileMetaDataset()
    for syntax, implicit in (("1.2.840.10008.1.2.1", False), ("1.2.840.10008.1.2", True)):
        ds.file_meta.TransferSyntaxUID = syntax
        out = io.BytesIO()
        ds.save_as(out, implicit_vr=implicit, little_endian=True, enforce_file_format=False)
        root = parse(out.getvalue()).dataset
        first, item, last = root.elems[0x0040A730].items
        nested = item.elems[0x00041220].items[0]
        for node in (first, item, nested, last):
            name = node.elems[0x00100010]
            assert name.strings() == ("Jérôme",), syntax
            assert not name.decode_error, syntax
        assert first.enc.encodings() == last.enc.encodings() == root.enc.encodings()
        assert item.enc.encodings() == nested.enc.encodings() != root.enc.encodings()

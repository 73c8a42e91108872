"""The tree the validator checks: :class:`Node` (a dataset or an item) of :class:`Element` s.

:mod:`.reader` builds it by slicing a file's bytes, :mod:`.fromvalues` from a pydicom
``Dataset`` or from DICOM JSON values; every check reads only this tree. An element keeps where
its value is and decodes it when a check asks (text in its Specific Character Set, numbers in
the file's byte order), so a value no check looks at costs nothing.

A :class:`Node` has the mapping protocol of a :class:`pydicom.dataset.Dataset` (``in``,
``[tag]``, iteration over elements, keyword attributes) and an :class:`Element` quacks like a
``DataElement`` (``tag``, ``VR``, ``value``), so the condition evaluator of
:mod:`iodkit.rulemodel` runs on it as it runs on any pydicom dataset. It is not a pydicom
class: validating a file never imports pydicom, except to decode text in a character set
:mod:`.charset` does not know.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from iodkit.rulemodel.datasets import CHARSET_VRS, IndexedDataset

from .charset import TERMS, decode, python_encodings

TEXT_VRS = frozenset("AE AS CS DA DS DT IS LO LT PN SH ST TM UC UI UR UT".split())
SINGLE_TEXT_VRS = frozenset(("LT", "ST", "UT", "UR"))  # a backslash is text, not a separator
NUMBER_FORMATS = {
    "US": "H",
    "SS": "h",
    "UL": "I",
    "SL": "i",
    "FL": "f",
    "FD": "d",
    "SV": "q",
    "UV": "Q",
    "OF": "f",
    "OD": "d",
    "OL": "I",
    "OV": "Q",
    "OW": "H",
}


@dataclass(frozen=True, slots=True)
class ReadIssue:
    """Something wrong with the encoding itself, found while reading."""

    severity: str  # "error" | "warning"
    code: str  # "truncated", "odd-length", "bad-vr", "order", "no-preamble", "unreadable", …
    message: str
    path: str = ""
    tag: int | None = None


class Element:
    """One data element as read: where its value is, and its value decoded on demand.

    ``vr`` is the VR the element is treated with (as written in explicit VR files, else from
    the dictionary, "UN" when unknown); ``written_vr`` is the explicit VR as written (or
    ``None``). ``items`` holds the items of a sequence (``item_offsets``: where each starts in
    the file); ``fragments`` the number of fragments of encapsulated (undefined length) pixel
    data.
    """

    __slots__ = (
        "tag",
        "vr",
        "written_vr",
        "length",
        "_buf",
        "_start",
        "items",
        "item_offsets",
        "fragments",
        "_value",
        "_strings",
        "_bytes",
        "enc",
        "decode_error",
    )

    def __init__(
        self,
        tag: int,
        vr: str,
        length: int,
        buf: Any = None,
        start: int = 0,
        written_vr: str | None = None,
        enc: Encoding | None = None,
    ) -> None:
        self.tag = tag
        self.vr = vr
        self.written_vr = written_vr
        self.length = length
        self._buf = buf
        self._start = start
        self.items: list[Node] | None = None
        # where each item starts in the file (its Item tag; PS3.3 F.3.2.2 offsets count from
        # the file's first byte); None when unknown (a dataset built in memory, deflated data)
        self.item_offsets: list[int] | None = None
        self.fragments: int | None = None
        self._value: Any = _UNSET
        self._strings: tuple[str, ...] | None = None
        # the value bytes once sliced (up to KEPT_BYTES): its strings, its value
        # check and the item memo's keys all look them up, and a bytes object keeps its hash
        self._bytes: bytes | None = None
        self.enc: Encoding | None = enc  # character set and byte order in force here
        self.decode_error = ""  # why the text could not be decoded with its character set

    # -- pydicom DataElement look-alike (for the condition evaluator) --------------------------
    @property
    def VR(self) -> str:  # noqa: N802 - pydicom's spelling
        return self.vr

    @property
    def value(self) -> Any:
        """The value as pydicom would give it: items for a sequence, a scalar for one value, a
        list for several, "" / None when empty."""
        if self._value is _UNSET:
            self._value = self._decode()
        return self._value

    @property
    def raw(self) -> bytes:
        """The value bytes (b"" for sequences and encapsulated data)."""
        if self._buf is None or self.items is not None or self.fragments is not None:
            return b""
        return self.value_bytes()

    @property
    def encoded(self) -> bytes | None:
        """The value bytes as the file has them; None for a value made in memory (from a
        pydicom Dataset), a sequence or encapsulated data."""
        if self._buf is None or self.items is not None or self.fragments is not None:
            return None
        return self.value_bytes()

    def view(self) -> memoryview | bytes:
        """The value bytes without copying them: a view of the buffer the file was read into
        (a memory map stays on disk until the view is read). Bulk data readers such as
        :mod:`iodkit.ann` use it to read a slice of a large value."""
        if self._buf is None or self.items is not None or self.fragments is not None:
            value = self.value
            return value if isinstance(value, bytes) else b""
        return memoryview(self._buf)[self._start : self._start + self.length]

    @property
    def is_empty(self) -> bool:
        """Zero length (no items for a sequence)."""
        if self.items is not None:
            return not self.items
        if self.fragments is not None:
            return self.length == 0
        if self._buf is None:
            return _empty_value(self.value)
        return self.length == 0

    def strings(self) -> tuple[str, ...]:
        """Text values split on backslash (one value for LT/ST/UT/UR), trailing padding removed;
        for non-text VRs the decoded numbers as text."""
        if self._strings is None:
            self._strings = self._make_strings()
        return self._strings

    def numbers(self) -> tuple[Any, ...]:
        v = self.value
        if v is None or v == "":
            return ()
        if isinstance(v, (list, tuple)):
            return tuple(v)
        return (v,)

    def _make_strings(self) -> tuple[str, ...]:
        if self.items is not None:
            return ()
        if self._buf is None:  # built from a pydicom DataElement
            v = self.value
            if v is None or v == "" or isinstance(v, (bytes, bytearray)):
                return ()
            vals = v if isinstance(v, (list, tuple)) else [v]
            return tuple(_text(x) for x in vals)
        vr = self.vr
        if vr in TEXT_VRS:
            enc = self.enc
            if vr not in CHARSET_VRS or enc is None or not enc.encodings():
                # read as ASCII whatever the character set (or text in the default
                # repertoire, read as Latin-1 as _text() does): the bytes alone decide, and
                # the same UIDs, codes, names and numbers recur in every item of a file
                raw = self.value_bytes() if self.fragments is None else b""
                key = (vr, raw)
                hit = _ASCII_STRINGS.get(key)
                if hit is None:
                    if len(_ASCII_STRINGS) >= 50_000:
                        _ASCII_STRINGS.clear()
                    hit = _ASCII_STRINGS[key] = self._split(key[1].decode("latin-1"))
                return hit
            return self._split(self._text())
        return tuple(_text(x) for x in self.numbers())

    def value_bytes(self) -> bytes:
        """The value bytes of an element read from a file (neither a sequence nor
        encapsulated: see :attr:`raw`), sliced once when short (up to :data:`KEPT_BYTES`)."""
        raw = self._bytes
        if raw is None:
            start = self._start
            raw = self._buf[start : start + self.length]
            if type(raw) is not bytes:
                raw = bytes(raw)
            if self.length <= KEPT_BYTES:
                self._bytes = raw
        return raw

    def _split(self, text: str) -> tuple[str, ...]:
        """The values of a text element's decoded text (see :meth:`strings`)."""
        if not text.strip(" \x00"):
            return ()
        # trailing spaces are padding (PS3.5 6.2); NUL pads only UI, elsewhere it is a
        # character the value check reports
        vr = self.vr
        if vr in SINGLE_TEXT_VRS:
            return (text.rstrip(" "),)
        if vr == "UI":
            return tuple(s.strip("\x00 ") for s in text.split("\\"))
        if text[-1] != " " and " \\" not in text:
            return tuple(text.split("\\"))  # no value ends in a space: nothing to remove
        return tuple(s.rstrip(" ") for s in text.split("\\"))

    def _text(self) -> str:
        data = self.raw
        if self.vr in CHARSET_VRS and self.enc is not None:
            encodings = self.enc.encodings()
            if encodings:
                try:
                    return _decode_text(data, encodings, self.vr == "PN")
                except Exception as exc:  # reported by the value check; read as Latin-1
                    self.decode_error = str(exc)
        return data.decode("latin-1")

    def _decode(self) -> Any:
        if self.items is not None:
            return self.items
        if self._buf is None or self.fragments is not None:
            return None
        vr = self.vr
        if vr in TEXT_VRS:
            vals = self.strings()
            if not vals:
                return ""
            return vals[0] if len(vals) == 1 else list(vals)
        if vr == "AT":
            raw = self.raw
            n = len(raw) // 4
            if not n:
                return None
            fmt = self._endian() + "HH" * n
            words = struct.unpack(fmt, raw[: n * 4])
            tags = [words[i] << 16 | words[i + 1] for i in range(0, len(words), 2)]
            return tags[0] if n == 1 else tags
        code = NUMBER_FORMATS.get(vr.split(" or ")[0])
        if code is None or vr in ("OB", "UN", "OW", "OF", "OD", "OL", "OV"):
            return self.raw or None
        size = struct.calcsize(code)
        raw = self.raw
        n = len(raw) // size
        if not n:
            return None
        numbers = list(struct.unpack(f"{self._endian()}{n}{code}", raw[: n * size]))
        return numbers[0] if n == 1 else numbers

    def _endian(self) -> str:
        enc = self.enc
        return ">" if enc is not None and enc.big_endian else "<"

    def __repr__(self) -> str:
        return f"Element({self.tag:08X}, {self.vr}, length={self.length})"


KEPT_BYTES = 1024  # Element.value_bytes() keeps values up to this long
_KNOWN_CODECS = frozenset(TERMS.values())
# (VR, bytes) → values, for the text VRs no character set applies to (Element.strings)
_ASCII_STRINGS: dict[tuple[str, bytes], tuple[str, ...]] = {}
_DELIMITERS = frozenset({0x5C})
_PN_DELIMITERS = frozenset({0x5C, 0x3D, 0x5E})


class _Unset:
    pass


_UNSET = _Unset()


def _decode_text(data: bytes, encodings: list[str], person_name: bool) -> str:
    """Decode a text value in its character set (:mod:`iodkit.validation.charset`; pydicom's
    handling for terms it does not know as written), raising UnicodeError for bytes the
    character set does not have: a validator must say so, not substitute characters."""
    delimiters = _PN_DELIMITERS if person_name else _DELIMITERS
    if all(e in _KNOWN_CODECS for e in encodings):
        try:
            return decode(data, encodings, delimiters)
        except (UnicodeError, LookupError):
            raise UnicodeError(
                f"not valid in the Specific Character Set ({', '.join(encodings)})"
            ) from None
    import warnings

    from pydicom.charset import decode_bytes

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        text = decode_bytes(data, encodings, set(delimiters))
    if caught:
        raise UnicodeError(f"not valid in the Specific Character Set ({', '.join(encodings)})")
    return text


def _text(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v)) if abs(v) < 1e15 else repr(v)
    return str(v).rstrip(" \x00")


def _empty_value(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, str):
        return not v.strip(" \x00\\")
    if isinstance(v, (bytes, bytearray, list, tuple)):
        return len(v) == 0
    return False


class Node(IndexedDataset):
    """A dataset (the top level, or a sequence item) as read: its elements by tag,
    with the part of pydicom's ``Dataset`` interface the condition evaluator uses."""

    def __init__(self, enc: Encoding | None = None) -> None:
        self.elems: dict[int, Element] = {}
        self.enc: Encoding = enc or Encoding(False, None)
        # the File Meta Information of a top-level dataset read from a file (group 0002)
        self.file_meta: Node | None = None

    # -- mapping protocol used by the condition evaluator -------------------------------------
    def __contains__(self, tag: object) -> bool:
        return tag in self.elems

    def __getitem__(self, tag: Any) -> Any:
        return self.elems[tag]

    def __iter__(self) -> Iterator[Any]:
        return iter(self.elems.values())

    def __len__(self) -> int:
        return len(self.elems)

    def keys(self) -> Any:
        return self.elems.keys()

    def get(self, key: Any, default: Any = None) -> Any:
        return self.elems.get(key, default)

    def __eq__(self, other: object) -> bool:
        return self is other

    def __hash__(self) -> int:
        return id(self)

    def __getattr__(self, name: str) -> Any:
        # keyword access (ds.PatientName) for convenience; never Dataset's machinery
        if name.startswith("_") or name in ("elems", "enc", "file_meta"):
            raise AttributeError(name)
        from .dictionary import tag_for_keyword

        tag = tag_for_keyword(name)
        if tag is not None and tag in self.elems:
            return self.elems[tag].value
        raise AttributeError(name)

    def __repr__(self) -> str:
        return f"Node({len(self.elems)} elements)"

    def __str__(self) -> str:
        return self.__repr__()

    def encodings(self) -> list[str] | None:
        return self.enc.encodings()


class Encoding:
    """Byte order and Specific Character Set in force in a dataset (an item inherits its
    parent's unless it has its own (0008,0005)).

    Elements point here rather than at their dataset so that the tree has no reference
    cycles: a validated file is freed by reference counting, without the garbage collector.
    """

    __slots__ = ("big_endian", "parent", "terms", "_cache")

    def __init__(self, big_endian: bool, parent: Encoding | None) -> None:
        self.big_endian = big_endian
        self.parent = parent
        self.terms: list[str] | None = None
        self._cache: list[str] | None = None

    def encodings(self) -> list[str] | None:
        """Python encodings for the character set (None: the default repertoire)."""
        enc = self._cache
        if enc is None:
            if self.terms is not None:
                terms = self.terms
                enc = []
                own = python_encodings(terms)
                if own is not None:
                    enc = [] if own == ["iso8859"] else own
                elif any(terms) and terms != ["ISO_IR 6"]:
                    import warnings

                    try:
                        from pydicom.charset import convert_encodings

                        # an unknown term is a finding of the value check, not a warning
                        # printed by pydicom
                        with warnings.catch_warnings():
                            warnings.simplefilter("ignore")
                            enc = list(convert_encodings(terms))
                    except Exception:
                        enc = []
            elif self.parent is not None:
                enc = self.parent.encodings() or []
            else:
                enc = []
            self._cache = enc
        return enc or None


@dataclass(slots=True)
class ParsedFile:
    """What :func:`iodkit.validation.reader.read` found: the dataset, its file meta, the
    transfer syntax, and issues."""

    dataset: Node
    meta: Node
    transfer_syntax: str
    issues: list[ReadIssue]
    preamble: bool
    in_memory: bool = False  # built from a pydicom Dataset (its file meta is filled on writing)

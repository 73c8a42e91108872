"""A derived object's Specific Character Set must cover its own text, not only its sources'.

Common modules copy the source's Specific Character Set (0008,0005) with the patient's name;
an object then adds text of its own — a segment label, a map's LUT Label "µ-map", an
annotation label, a presentation state's "liver 12 cm²" — that may hold characters the
copied set (or the default repertoire, ASCII, when there is none: PS3.5 6.1.2.1) lacks.
pydicom would then write '?' in their place (with a warning nobody sees) or, with no set
declared, Latin-1 bytes the file does not announce. :func:`cover_text` checks every text value
of the instance and, when one does not fit, declares ISO_IR 192 (UTF-8, PS3.5 6.1.2.3), which
holds every character: the values are Python strings, so pydicom encodes them all anew.

The core calls it for every object it writes, in two places: before a sequence is stamped
from a template item (:mod:`iodkit.derived.groups`: the template's text is encoded then, once)
and when the instance is finished (:meth:`iodkit.derived.encoding.Pixels.finish`). Objects on
the core never call it themselves.
"""

from __future__ import annotations

from collections.abc import Iterator

from pydicom.charset import python_encoding
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset

_TEXT_VRS = frozenset(("SH", "LO", "ST", "LT", "UT", "PN", "UC"))
UTF8 = "ISO_IR 192"
#: Character sets that hold every Unicode character (PS3.5 6.1.2.3, Table 6.1-2 GB18030).
_UNIVERSAL = frozenset((UTF8, "GB18030"))
#: The default repertoire (ISO-IR 6) under its names; pydicom reads it as Latin-1, but only
#: ASCII may be written without a Specific Character Set.
_ASCII_TERMS = frozenset(("", "ISO_IR 6", "ISO 2022 IR 6"))


def _terms(ds: Dataset) -> list[str]:
    declared = ds.get("SpecificCharacterSet")
    if not declared:
        return []
    return [str(declared)] if isinstance(declared, str) else [str(t) for t in declared]


def _codecs(terms: list[str]) -> list[str] | None:
    """Python codecs of the declared terms (ASCII for the default repertoire); None when a
    term is unknown (nothing non-ASCII is then known to fit)."""
    if not terms:
        return ["ascii"]
    out = []
    for term in terms:
        term = term.strip()
        if term in _ASCII_TERMS:
            out.append("ascii")
        elif term in python_encoding:
            out.append(python_encoding[term])
        else:
            return None
    return out


def _encodes(text: str, codec: str) -> bool:
    try:
        text.encode(codec)
    except (UnicodeError, LookupError):
        return False
    return True


def fits(text: str, codecs: list[str] | None) -> bool:
    """Whether ``text`` can be written under ``codecs``: by one of them, or — with ISO 2022
    code extensions (several terms) — character by character, switching between them as
    pydicom does."""
    if text.isascii():
        return True
    if codecs is None:
        return False
    if any(_encodes(text, c) for c in codecs):
        return True
    return len(codecs) > 1 and all(any(_encodes(ch, c) for c in codecs) for ch in text)


def _texts(ds: Dataset) -> Iterator[str]:
    """The text values of ``ds`` (raw, still encoded elements skipped: see :func:`cover_text`)."""
    for element in ds.elements():
        if isinstance(element, RawDataElement):
            continue
        if element.VR == "SQ":
            for item in element.value or ():
                yield from _texts(item)
        elif element.VR in _TEXT_VRS and element.value is not None:
            values = element.value if element.VM > 1 else [element.value]
            for value in values:
                yield str(value)


def _decode_raw(ds: Dataset) -> None:
    """Decode every raw element of ``ds`` holding non-ASCII bytes under the character set it
    was encoded with (the one still declared), so that it is written anew after a change."""
    for tag in list(ds.keys()):
        element = ds.get_item(tag)
        if isinstance(element, RawDataElement):
            if element.VR not in _TEXT_VRS | {"SQ", None, "UN"}:
                continue
            if isinstance(element.value, bytes) and element.value.isascii():
                continue
            element = ds[tag]  # pydicom decodes it with the declared set
        if element.VR == "SQ":
            for item in element.value or ():
                _decode_raw(item)


def cover_text(ds: Dataset, *more: Dataset | str) -> bool:
    """Declare UTF-8 (ISO_IR 192) on ``ds`` when one of its text values — or of ``more``:
    items or strings to be encoded under ``ds``'s set later — does not fit the character set
    it declares (the default repertoire when none). True when it changed the declaration.

    Raw elements (stamped or copied as encoded bytes) were encoded under the set declared
    before; those holding non-ASCII bytes are decoded before the change so that they are
    written anew (ASCII bytes are the same in every set)."""
    terms = _terms(ds)
    if any(t.strip() in _UNIVERSAL for t in terms):
        return False
    codecs = _codecs(terms)
    texts = [
        *_texts(ds),
        *(t for m in more for t in ([m] if isinstance(m, str) else _texts(m))),
    ]
    if all(fits(t, codecs) for t in texts):
        return False
    _decode_raw(ds)
    ds.SpecificCharacterSet = UTF8
    return True

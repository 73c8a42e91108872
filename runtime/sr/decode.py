"""Read a content tree from its encoded bytes into :class:`~iodkit.sr.content.ContentItem` s.

pydicom leaves a defined-length sequence of a file undecoded until it is touched; the Content
Sequence of a report with a thousand measurement groups then costs nothing to open, and
turning it into pydicom Datasets (a Dataset per content item, per code, per measured value)
would be most of the time spent reading it. So the sequence's bytes are walked by
:func:`iodkit.derived.rawitems.parse_items` (PS3.5 7.5 nested data sets, either VR encoding) and
each item becomes a :class:`ContentItem` directly; codes seen before (the same concept names
and units over and over) are decoded once. A Content Sequence pydicom has already decoded is
encoded again and read the same way, so there is one reader for both.

Text is decoded with the document's Specific Character Set (PS3.5 6.1.2.3; ISO 2022 escape
sequences through pydicom). Values that break the encoding rules are kept as read where they
can be; a structure that cannot be walked raises :class:`ValueError` naming the item's path.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

import numpy as np
from iodkit.codes import Code
from iodkit.datavalues import DamagedValueError, decimal
from iodkit.derived.rawitems import Item, items, parse_items
from iodkit.sr.content import (
    ContentError,
    ContentItem,
    Numeric,
    Reference,
    Scoord,
    Scoord3D,
    Tcoord,
)

_CODE_VALUE, _SCHEME, _SCHEME_VERSION, _MEANING = 0x00080100, 0x00080102, 0x00080103, 0x00080104
_LONG_CODE_VALUE, _URN_CODE_VALUE = 0x00080119, 0x00080120
_REF_SOP_CLASS, _REF_SOP_INSTANCE, _REF_FRAMES = 0x00081150, 0x00081155, 0x00081160
_REF_SOP_SEQUENCE, _REF_RWV = 0x00081199, 0x00409094
_REF_CHANNELS, _REF_SEGMENTS = 0x0040A0B0, 0x0062000B
_UNITS = 0x004008EA
_RELATIONSHIP, _OBSERVATION_DATETIME, _VALUE_TYPE = 0x0040A010, 0x0040A032, 0x0040A040
_CONCEPT_NAME, _CONTINUITY = 0x0040A043, 0x0040A050
_DATETIME, _DATE, _TIME, _PERSON_NAME, _UID = (
    0x0040A120,
    0x0040A121,
    0x0040A122,
    0x0040A123,
    0x0040A124,
)
_TEMPORAL_RANGE, _SAMPLE_POSITIONS, _TIME_OFFSETS, _REF_DATETIME = (
    0x0040A130,
    0x0040A132,
    0x0040A138,
    0x0040A13A,
)
_TEXT_VALUE, _FLOATING_POINT, _CONCEPT_CODE, _OBSERVATION_UID = (
    0x0040A160,
    0x0040A161,
    0x0040A168,
    0x0040A171,
)
_MEASURED_VALUE, _QUALIFIER, _NUMERIC_VALUE = 0x0040A300, 0x0040A301, 0x0040A30A
_CONTENT_TEMPLATE, _CONTENT_SEQUENCE, _TEMPLATE_ID, _REF_CONTENT_ITEM = (
    0x0040A504,
    0x0040A730,
    0x0040DB00,
    0x0040DB73,
)
_PIXEL_ORIGIN, _GRAPHIC_DATA, _GRAPHIC_TYPE, _FIDUCIAL = (
    0x00480301,
    0x00700022,
    0x00700023,
    0x0070031A,
)
_FRAME_OF_REFERENCE = 0x30060024

Path = tuple[int, ...]


def text_decoder(specific_character_set: Any) -> Callable[[bytes], str]:
    """A function decoding a string value's bytes under ``specific_character_set`` (the
    dataset's (0008,0005) value, None for the default repertoire)."""
    from pydicom.charset import convert_encodings, decode_bytes

    terms = specific_character_set
    if terms is None or terms == "":
        terms = ["ISO_IR 6"]
    elif isinstance(terms, str):
        terms = [terms]
    encodings = convert_encodings(list(terms))
    if len(encodings) == 1 and not str(terms[0]).startswith("ISO 2022"):
        codec = "latin-1" if encodings[0] in ("iso8859", "ascii") else encodings[0]
        utf8 = codec in ("UTF8", "utf_8", "utf-8")

        def simple(raw: bytes) -> str:
            try:
                return raw.decode(codec)
            except UnicodeDecodeError:
                return raw.decode("utf-8" if not utf8 else "latin-1", errors="replace")

        return simple

    def escaped(raw: bytes) -> str:
        return decode_bytes(raw, encodings, set())

    return escaped


class Decoder:
    """Turns parsed item dicts into content items (codes cached by their encoded bytes)."""

    def __init__(self, specific_character_set: Any = None, implicit_vr: bool = False) -> None:
        self._decode = text_decoder(specific_character_set)
        self.implicit_vr = implicit_vr
        self._codes: dict[tuple[bytes | None, ...], Code] = {}

    # -- leaves -----------------------------------------------------------------------------
    def string(self, raw: bytes | None) -> str | None:
        if raw is None:
            return None
        return self._decode(raw).rstrip("\x00 ").lstrip(" ")

    @staticmethod
    def ascii(raw: bytes | None) -> str | None:
        if raw is None:
            return None
        return raw.decode("latin-1").strip("\x00 ")

    def code(self, item: Item) -> Code:
        key = (
            item.get(_CODE_VALUE),
            item.get(_LONG_CODE_VALUE),
            item.get(_URN_CODE_VALUE),
            item.get(_SCHEME),
            item.get(_SCHEME_VERSION),
            item.get(_MEANING),
        )
        cached = self._codes.get(key)
        if cached is not None:
            return cached
        value = self.string(key[0]) or self.string(key[1]) or self.string(key[2]) or ""
        code = Code(
            value, self.string(key[3]) or "", self.string(key[5]) or "", self.string(key[4]) or None
        )
        self._codes[key] = code
        return code

    def first_code(self, item: Item, tag: int) -> Code | None:
        found = items(item, tag)
        return self.code(found[0]) if found else None

    def numbers(self, raw: bytes | None, fmt: str) -> tuple[Any, ...]:
        if not raw:
            return ()
        size = struct.calcsize(fmt)
        return struct.unpack(f"<{len(raw) // size}{fmt}", raw[: len(raw) // size * size])

    def reference(self, item: Item) -> Reference:
        frames = tuple(int(v) for v in (self.ascii(item.get(_REF_FRAMES)) or "").split("\\") if v)
        nested = items(item, _REF_SOP_SEQUENCE)
        rwv = items(item, _REF_RWV)
        return Reference(
            self.ascii(item.get(_REF_SOP_CLASS)) or "",
            self.ascii(item.get(_REF_SOP_INSTANCE)) or "",
            frame_numbers=frames,
            segment_numbers=self.numbers(item.get(_REF_SEGMENTS), "H"),
            channels=self.numbers(item.get(_REF_CHANNELS), "H"),
            presentation_state=self.reference(nested[0]) if nested else None,
            real_world_value_mapping=self.reference(rwv[0]) if rwv else None,
        )

    def numeric(self, item: Item) -> Numeric:
        qualifier = self.first_code(item, _QUALIFIER)
        measured = items(item, _MEASURED_VALUE)
        if not measured:
            return Numeric(None, None, qualifier or Code("114006", "DCM", "Measurement failure"))
        mv = measured[0]
        unit = self.first_code(mv, _UNITS)
        floating = mv.get(_FLOATING_POINT)
        text = self.ascii(mv.get(_NUMERIC_VALUE)) or ""
        value: float | int
        if floating is not None and len(floating) == 8:
            value = struct.unpack("<d", floating)[0]
        else:
            value = _number(text.split("\\")[0])
        if unit is None:
            unit = Code("1", "UCUM", "no units")  # Type 1 in the macro; kept readable
        return Numeric(value, unit, qualifier)

    # -- items ------------------------------------------------------------------------------
    def items(self, raw: list[Item], path: Path) -> list[ContentItem]:
        return [self.item(entry, (*path, i)) for i, entry in enumerate(raw, 1)]

    def item(self, entry: Item, path: Path) -> ContentItem:
        try:
            return self._item(entry, path)
        except (ContentError, ValueError, struct.error, UnicodeDecodeError, IndexError) as exc:
            if isinstance(exc, _PathError):
                raise
            where = ".".join(str(p) for p in path)
            raise _PathError(f"content item {where}: {exc}") from exc

    def _item(self, entry: Item, path: Path) -> ContentItem:
        relationship = self.ascii(entry.get(_RELATIONSHIP))
        vt = self.ascii(entry.get(_VALUE_TYPE))
        children = self.items(items(entry, _CONTENT_SEQUENCE), path)
        if vt is None or vt == "":
            ref = self.numbers(entry.get(_REF_CONTENT_ITEM), "I")
            if not ref:
                raise DamagedValueError(
                    "has neither a Value Type nor a Referenced Content Item Identifier"
                )
            return ContentItem(
                None, None, relationship=relationship or None, reference=tuple(ref), check=False
            )
        name = self.first_code(entry, _CONCEPT_NAME)
        value: Any = None
        if vt == "CONTAINER":
            value = self.ascii(entry.get(_CONTINUITY)) or "SEPARATE"
        elif vt == "CODE":
            value = self.first_code(entry, _CONCEPT_CODE)
        elif vt == "NUM":
            value = self.numeric(entry)
        elif vt == "TEXT":
            value = self.string(entry.get(_TEXT_VALUE)) or ""
        elif vt == "UIDREF":
            value = self.ascii(entry.get(_UID)) or ""
        elif vt == "PNAME":
            value = self.string(entry.get(_PERSON_NAME)) or ""
        elif vt == "DATE":
            value = self.ascii(entry.get(_DATE)) or ""
        elif vt == "TIME":
            value = self.ascii(entry.get(_TIME)) or ""
        elif vt == "DATETIME":
            value = self.ascii(entry.get(_DATETIME)) or ""
        elif vt in ("IMAGE", "COMPOSITE", "WAVEFORM"):
            refs = items(entry, _REF_SOP_SEQUENCE)
            value = self.reference(refs[0]) if refs else None
        elif vt == "SCOORD":
            value = Scoord(
                self.ascii(entry.get(_GRAPHIC_TYPE)) or "",
                np.frombuffer(entry.get(_GRAPHIC_DATA) or b"", dtype="<f4"),
                self.ascii(entry.get(_PIXEL_ORIGIN)),
                self.ascii(entry.get(_FIDUCIAL)),
            )
        elif vt == "SCOORD3D":
            value = Scoord3D(
                self.ascii(entry.get(_GRAPHIC_TYPE)) or "",
                np.frombuffer(entry.get(_GRAPHIC_DATA) or b"", dtype="<f4"),
                self.ascii(entry.get(_FRAME_OF_REFERENCE)) or "",
                self.ascii(entry.get(_FIDUCIAL)),
            )
        elif vt == "TCOORD":
            value = self._tcoord(entry)
        template = None
        templates = items(entry, _CONTENT_TEMPLATE)
        if templates:
            template = self.ascii(templates[0].get(_TEMPLATE_ID))
        return ContentItem(
            vt,
            name,
            value,
            relationship=relationship or None,
            children=children,
            template=template,
            observation_uid=self.ascii(entry.get(_OBSERVATION_UID)),
            observation_datetime=self.ascii(entry.get(_OBSERVATION_DATETIME)),
            check=False,
        )

    def _tcoord(self, entry: Item) -> Tcoord:
        offsets = self.ascii(entry.get(_TIME_OFFSETS))
        datetimes = self.ascii(entry.get(_REF_DATETIME))
        return Tcoord(
            self.ascii(entry.get(_TEMPORAL_RANGE)) or "",
            sample_positions=self.numbers(entry.get(_SAMPLE_POSITIONS), "I"),
            time_offsets=tuple(float(v) for v in offsets.split("\\")) if offsets else (),
            datetimes=tuple(datetimes.split("\\")) if datetimes else (),
        )


class _PathError(ValueError):
    """A content item that cannot be read, with its path."""


def _number(text: str) -> float | int:
    text = text.strip()
    try:
        return int(text)
    except ValueError:
        return decimal(text, "Numeric Value (0040,A30A)")


def decode_content(
    raw: bytes,
    *,
    implicit_vr: bool = False,
    specific_character_set: Any = None,
    path: Path = (1,),
) -> list[ContentItem]:
    """The content items encoded in ``raw``, the value of a Content Sequence (0040,A730)."""
    decoder = Decoder(specific_character_set, implicit_vr)
    return decoder.items(parse_items(raw, implicit_vr), path)


def content_sequence_bytes(dataset: Any) -> tuple[bytes, bool] | None:
    """The encoded value of ``dataset``'s Content Sequence and whether it is Implicit VR; the
    bytes of the file when pydicom has not decoded it yet, else pydicom's encoding of it."""
    from pydicom.dataelem import RawDataElement
    from pydicom.filebase import DicomBytesIO
    from pydicom.filewriter import write_sequence

    if 0x0040A730 not in dataset:
        return None
    raw = dataset.get_item(0x0040A730)
    if isinstance(raw, RawDataElement) and raw.value is not None and raw.is_little_endian:
        if raw.length != 0xFFFFFFFF:
            return bytes(raw.value), bool(raw.is_implicit_VR)
    elem = dataset[0x0040A730]
    fp = DicomBytesIO()
    fp.is_little_endian = True
    fp.is_implicit_VR = False
    encodings = dataset._character_set
    write_sequence(fp, elem, [encodings] if isinstance(encodings, str) else list(encodings))
    return fp.getvalue(), False

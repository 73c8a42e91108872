"""Write a content tree straight to its encoded bytes (Explicit VR Little Endian).

A measurement report holds thousands of content items, nearly all alike: the same concept
names, relationships and units over and over. Building a pydicom Dataset per item and letting
pydicom write it costs far more than the report's content is worth, so — as the Segmentation
writer stamps its per-frame items (:mod:`iodkit.derived.itemcodec`) — the tree is encoded here
directly: each item is the concatenation of its data elements in tag order (PS3.5 7.1.2),
each sequence item gets its defined length (PS3.5 7.5.1), and what repeats (a code's item, a
concept name sequence with the relationship and value type before it) is encoded once per
:class:`Encoder` and reused. :func:`iodkit.derived.itemcodec.raw_sequence_element` hands the bytes
to pydicom, which writes them verbatim and reads them back like any sequence from a file.

The rules checked here are those of the encoding (PS3.5 6.2 value lengths and character
repertoires); the content rules are :class:`~iodkit.sr.content.ContentItem`'s and the
templates'.
"""

from __future__ import annotations

import datetime
import re
import struct
from collections.abc import Sequence
from typing import Any

import numpy as np
from iodkit.codes import Code, as_code
from iodkit.sr.content import ContentError, ContentItem, Numeric, Reference

_PACK_SHORT = struct.Struct("<H").pack
_PACK_LONG = struct.Struct("<I").pack
_ITEM = b"\xfe\xff\x00\xe0"
_UID = re.compile(r"^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$")
_LONG_VRS = frozenset("OB OD OF OL OV OW SQ UC UN UR UT SV UV".split())
_MAX_CHARS = {"SH": 16, "LO": 64, "CS": 16, "UI": 64, "DS": 16, "IS": 12, "PN": 64 * 5}


def _tag(tag: int, vr: str) -> bytes:
    head = struct.pack("<HH", tag >> 16, tag & 0xFFFF) + vr.encode()
    return head + (b"\x00\x00" if vr in _LONG_VRS else b"")


# element headers (tag + VR [+ reserved]) of everything a content item holds
_CODE_VALUE = _tag(0x00080100, "SH")
_SCHEME = _tag(0x00080102, "SH")
_SCHEME_VERSION = _tag(0x00080103, "SH")
_MEANING = _tag(0x00080104, "LO")
_LONG_CODE_VALUE = _tag(0x00080119, "UC")
_URN_CODE_VALUE = _tag(0x00080120, "UR")
_MAPPING_RESOURCE = _tag(0x00080105, "CS")
_REF_SOP_CLASS = _tag(0x00081150, "UI")
_REF_SOP_INSTANCE = _tag(0x00081155, "UI")
_REF_FRAME_NUMBER = _tag(0x00081160, "IS")
_REF_SOP_SEQUENCE = _tag(0x00081199, "SQ")
_REF_RWV_SEQUENCE = _tag(0x00409094, "SQ")
_REF_CHANNELS = _tag(0x0040A0B0, "US")
_REF_SEGMENT_NUMBER = _tag(0x0062000B, "US")
_UNITS_SEQUENCE = _tag(0x004008EA, "SQ")
_RELATIONSHIP = _tag(0x0040A010, "CS")
_OBSERVATION_DATETIME = _tag(0x0040A032, "DT")
_VALUE_TYPE = _tag(0x0040A040, "CS")
_CONCEPT_NAME = _tag(0x0040A043, "SQ")
_CONTINUITY = _tag(0x0040A050, "CS")
_DATETIME = _tag(0x0040A120, "DT")
_DATE = _tag(0x0040A121, "DA")
_TIME = _tag(0x0040A122, "TM")
_PERSON_NAME = _tag(0x0040A123, "PN")
_UID_VALUE = _tag(0x0040A124, "UI")
_TEMPORAL_RANGE_TYPE = _tag(0x0040A130, "CS")
_SAMPLE_POSITIONS = _tag(0x0040A132, "UL")
_TIME_OFFSETS = _tag(0x0040A138, "DS")
_REF_DATETIME = _tag(0x0040A13A, "DT")
_TEXT_VALUE = _tag(0x0040A160, "UT")
_FLOATING_POINT_VALUE = _tag(0x0040A161, "FD")
_CONCEPT_CODE = _tag(0x0040A168, "SQ")
_OBSERVATION_UID = _tag(0x0040A171, "UI")
_MEASURED_VALUE = _tag(0x0040A300, "SQ")
_NUMERIC_VALUE = _tag(0x0040A30A, "DS")
_QUALIFIER = _tag(0x0040A301, "SQ")
_CONTENT_TEMPLATE = _tag(0x0040A504, "SQ")
_CONTENT_SEQUENCE = _tag(0x0040A730, "SQ")
_TEMPLATE_IDENTIFIER = _tag(0x0040DB00, "CS")
_REF_CONTENT_ITEM = _tag(0x0040DB73, "UL")
_PIXEL_ORIGIN = _tag(0x00480301, "CS")
_GRAPHIC_DATA = _tag(0x00700022, "FL")
_GRAPHIC_TYPE = _tag(0x00700023, "CS")
_FIDUCIAL_UID = _tag(0x0070031A, "UI")
_FRAME_OF_REFERENCE = _tag(0x30060024, "UI")

_LONG_HEADERS = frozenset((_TEXT_VALUE, _LONG_CODE_VALUE, _URN_CODE_VALUE))


def format_ds(value: float | int) -> tuple[str, bool]:
    """``value`` as a Decimal String of at most 16 characters (PS3.5 6.2) and whether that
    string gives the value back exactly (if not, Floating Point Value carries it)."""
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        text = str(int(value))
        if len(text) <= 16:
            return text, True
        value = float(value)
    value = float(value)
    text = repr(value)
    if text.endswith(".0") and len(text) > 16:
        text = text[:-2]
    if len(text) <= 16:
        return text, True
    for digits in range(15, 0, -1):
        text = f"{value:.{digits}g}"
        if len(text) <= 16:
            return text, float(text) == value
    raise ContentError(f"{value!r} cannot be written as a Decimal String")  # pragma: no cover


class Encoder:
    """Encodes content items; remembers what repeats. One per document (not thread-safe).

    ``utf8`` becomes True when a text value needs more than ASCII (the document then declares
    Specific Character Set ISO_IR 192, PS3.3 C.12.1.1.2).
    """

    def __init__(self) -> None:
        self.utf8 = False
        self._codes: dict[Code, bytes] = {}
        self._names: dict[tuple[str, Code | None], bytes] = {}
        self._relationships: dict[str, bytes] = {}
        self._references: dict[Reference, bytes] = {}
        self._templates: dict[str, bytes] = {}

    # -- elements ---------------------------------------------------------------------------
    def text(self, header: bytes, value: str, vr: str, what: str, pad: bytes = b" ") -> bytes:
        raw = value.encode("utf-8")
        if len(raw) != len(value):
            if vr in ("CS", "UI", "DS", "IS", "DA", "TM", "DT", "UR"):
                raise ContentError(f"{what}: {value!r} has characters VR {vr} does not allow")
            self.utf8 = True
        limit = _MAX_CHARS.get(vr)
        if limit is not None and len(value) > limit:
            raise ContentError(
                f"{what}: {value[:24]!r}… is {len(value)} characters, VR {vr} allows {limit} "
                "(PS3.5 Table 6.2-1)"
            )
        if "\\" in value and vr not in ("UT", "ST", "LT", "UR"):
            raise ContentError(f"{what}: {value!r} contains a backslash (the value delimiter)")
        if len(raw) & 1:
            raw += pad
        if header in _LONG_HEADERS:
            return header + _PACK_LONG(len(raw)) + raw
        if len(raw) > 0xFFFE:
            raise ContentError(f"{what}: value of {len(raw)} bytes is too long for VR {vr}")
        return header + _PACK_SHORT(len(raw)) + raw

    def uid(self, header: bytes, value: str, what: str) -> bytes:
        if not isinstance(value, str) or len(value) > 64 or not _UID.match(value):
            raise ContentError(f"{what}: {value!r} is not a UID (PS3.5 9.1)")
        raw = value.encode("ascii")
        if len(raw) & 1:
            raw += b"\x00"
        return header + _PACK_SHORT(len(raw)) + raw

    @staticmethod
    def sequence(header: bytes, items: Sequence[bytes]) -> bytes:
        body = b"".join(_ITEM + _PACK_LONG(len(i)) + i for i in items)
        return header + _PACK_LONG(len(body)) + body

    def code(self, code: Code) -> bytes:
        """The body of a Code Sequence Macro item (PS3.3 Table 8.8-1) for ``code``."""
        cached = self._codes.get(code)
        if cached is not None:
            return cached
        if not isinstance(code, Code):
            raise ContentError(f"expected a Code, got {type(code).__name__} {code!r}")
        value = code.value
        what = f"code {code}"
        if not value or not code.scheme or not code.meaning:
            raise ContentError(
                f"{what}: value, coding scheme designator and meaning are all needed"
            )
        if re.match(r"^[a-z][a-z0-9+.-]*:", value) and code.scheme != "UCUM":
            head = self.text(_URN_CODE_VALUE, value, "UR", what)
        elif len(value) > 16:
            head = self.text(_LONG_CODE_VALUE, value, "UC", what)
        else:
            head = self.text(_CODE_VALUE, value, "SH", what)
        body = head + self.text(_SCHEME, code.scheme, "SH", what)
        if code.scheme_version:
            body += self.text(_SCHEME_VERSION, code.scheme_version, "SH", what)
        body += self.text(_MEANING, code.meaning, "LO", what)
        if head[:4] != _CODE_VALUE[:4]:  # Long/URN Code Value come after Code Meaning
            body = body[len(head) :] + head
        self._codes[code] = body
        return body

    def code_sequence(self, header: bytes, code: Code) -> bytes:
        return self.sequence(header, [self.code(code)])

    def _relationship(self, relationship: str | None) -> bytes:
        if relationship is None:
            return b""
        cached = self._relationships.get(relationship)
        if cached is None:
            cached = self.text(_RELATIONSHIP, relationship, "CS", "Relationship Type")
            self._relationships[relationship] = cached
        return cached

    def _type_and_name(self, item: ContentItem) -> bytes:
        """Value Type and Concept Name Code Sequence: the same for most items of a report, so
        encoded once per combination."""
        key = (item.value_type or "", item.name)
        cached = self._names.get(key)
        if cached is not None:
            return cached
        out = self.text(_VALUE_TYPE, item.value_type or "", "CS", "Value Type")
        if item.name is not None:
            out += self.code_sequence(_CONCEPT_NAME, item.name)
        self._names[key] = out
        return out

    # -- items ------------------------------------------------------------------------------
    def items(self, items: Sequence[ContentItem]) -> bytes:
        """The encoded items (headers included) of a Content Sequence holding ``items``."""
        return b"".join(self._wrap(self.item(i)) for i in items)

    @staticmethod
    def _wrap(body: bytes) -> bytes:
        return _ITEM + _PACK_LONG(len(body)) + body

    def content_sequence(self, items: Sequence[ContentItem]) -> bytes:
        """The whole Content Sequence (0040,A730) element."""
        body = self.items(items)
        return _CONTENT_SEQUENCE + _PACK_LONG(len(body)) + body

    def item(self, item: ContentItem) -> bytes:
        """The body of one content item, its children included."""
        vt = item.value_type
        if vt is None:  # by-reference (PS3.3 C.17.3.2.5)
            ref = b"".join(struct.pack("<I", p) for p in item.reference or ())
            return (
                self._relationship(item.relationship)
                + _REF_CONTENT_ITEM
                + _PACK_SHORT(len(ref))
                + ref
            )
        parts: list[bytes] = []
        value = item.value
        if vt in ("IMAGE", "COMPOSITE", "WAVEFORM"):
            parts.append(self._reference_sequence(value, item))
        parts.append(self._relationship(item.relationship))
        if item.observation_datetime is not None:
            parts.append(
                self.text(
                    _OBSERVATION_DATETIME,
                    _dt(item.observation_datetime),
                    "DT",
                    "Observation DateTime",
                )
            )
        parts.append(self._type_and_name(item))
        what = item.describe()
        if vt == "CONTAINER":
            parts.append(self.text(_CONTINUITY, value, "CS", what))
        elif vt == "DATETIME":
            parts.append(self.text(_DATETIME, _dt(value), "DT", what))
        elif vt == "DATE":
            parts.append(self.text(_DATE, _da(value), "DA", what))
        elif vt == "TIME":
            parts.append(self.text(_TIME, _tm(value), "TM", what))
        elif vt == "PNAME":
            parts.append(self.text(_PERSON_NAME, str(value), "PN", what))
        elif vt == "UIDREF":
            parts.append(self.uid(_UID_VALUE, value, what))
        elif vt == "TCOORD":
            parts.append(self._tcoord(value, what))
        elif vt == "TEXT":
            parts.append(self.text(_TEXT_VALUE, value, "UT", what))
        elif vt == "CODE":
            parts.append(self.code_sequence(_CONCEPT_CODE, value))
        if item.observation_uid is not None:
            parts.append(self.uid(_OBSERVATION_UID, item.observation_uid, "Observation UID"))
        if vt == "NUM":
            parts.append(self._numeric(value, what))
        if item.template is not None:
            parts.append(self._template(item.template))
        if item.children:
            parts.append(self.content_sequence(item.children))
        if vt == "SCOORD":
            if value.pixel_origin_interpretation:
                parts.append(
                    self.text(_PIXEL_ORIGIN, value.pixel_origin_interpretation, "CS", what)
                )
            parts.append(self._graphic(value.data, value.graphic_type, value.fiducial_uid, what))
        elif vt == "SCOORD3D":
            parts.append(self._graphic(value.data, value.graphic_type, value.fiducial_uid, what))
            parts.append(self.uid(_FRAME_OF_REFERENCE, value.frame_of_reference_uid, what))
        return b"".join(parts)

    def _reference_sequence(self, ref: Reference, item: ContentItem) -> bytes:
        key = ("sequence", ref)
        cached = self._references.get(key)  # type: ignore[call-overload]
        if cached is None:
            cached = self.sequence(_REF_SOP_SEQUENCE, [self.reference(ref, item)])
            self._references[key] = cached  # type: ignore[index]
        return cached

    def _template(self, tid: str) -> bytes:
        cached = self._templates.get(tid)
        if cached is None:
            body = self.text(_MAPPING_RESOURCE, "DCMR", "CS", "Mapping Resource") + self.text(
                _TEMPLATE_IDENTIFIER, str(tid), "CS", "Template Identifier"
            )
            cached = self._templates[tid] = self.sequence(_CONTENT_TEMPLATE, [body])
        return cached

    def _numeric(self, value: Numeric, what: str) -> bytes:
        out = b""
        if value.value is None:
            out += self.sequence(_MEASURED_VALUE, [])
        else:
            text, exact = format_ds(value.value)
            body = self.code_sequence(_UNITS_SEQUENCE, value.unit)  # type: ignore[arg-type]
            if not exact:  # PS3.3 Table C.18.1-1: Floating Point Value when DS falls short
                body += _FLOATING_POINT_VALUE + _PACK_SHORT(8) + struct.pack("<d", value.value)
            body += self.text(_NUMERIC_VALUE, text, "DS", what)
            out += self.sequence(_MEASURED_VALUE, [body])
        if value.qualifier is not None:
            out += self.code_sequence(_QUALIFIER, as_code(value.qualifier))
        return out

    def reference(self, ref: Reference, item: ContentItem | None = None) -> bytes:
        """The body of a Referenced SOP Sequence item (PS3.3 Table C.18.3-1 ff.); the same
        reference (an image referenced by many regions) is encoded once."""
        cached = self._references.get(ref)
        if cached is None:
            cached = self._references[ref] = self._reference(ref, item)
        return cached

    def _reference(self, ref: Reference, item: ContentItem | None = None) -> bytes:
        what = item.describe() if item is not None else "reference"
        out = self.uid(_REF_SOP_CLASS, ref.sop_class_uid, f"{what} Referenced SOP Class UID")
        out += self.uid(
            _REF_SOP_INSTANCE, ref.sop_instance_uid, f"{what} Referenced SOP Instance UID"
        )
        if ref.frame_numbers:
            out += self._is_values(ref.frame_numbers, what)
        if ref.presentation_state is not None:
            out += self.sequence(_REF_SOP_SEQUENCE, [self.reference(ref.presentation_state)])
        if ref.real_world_value_mapping is not None:
            out += self.sequence(_REF_RWV_SEQUENCE, [self.reference(ref.real_world_value_mapping)])
        if ref.channels:
            raw = np.asarray(ref.channels, dtype="<u2").tobytes()
            out += _REF_CHANNELS + _PACK_SHORT(len(raw)) + raw
        if ref.segment_numbers:
            raw = np.asarray(ref.segment_numbers, dtype="<u2").tobytes()
            out += _REF_SEGMENT_NUMBER + _PACK_SHORT(len(raw)) + raw
        return out

    def _is_values(self, numbers: Sequence[int], what: str) -> bytes:
        if any(int(n) < 1 or len(str(int(n))) > 12 for n in numbers):
            raise ContentError(f"{what}: frame numbers are positive integers, got {numbers}")
        raw = "\\".join(str(int(n)) for n in numbers).encode("ascii")
        if len(raw) & 1:
            raw += b" "
        return _REF_FRAME_NUMBER + _PACK_SHORT(len(raw)) + raw

    def _graphic(
        self, data: np.ndarray, graphic_type: str, fiducial: str | None, what: str
    ) -> bytes:
        raw = np.ascontiguousarray(data, dtype="<f4").tobytes()
        if len(raw) > 0xFFFE:
            raise ContentError(
                f"{what}: {data.shape[0]} points are {len(raw)} bytes of Graphic Data, more than "
                "VR FL can hold in Explicit VR (65534 bytes); split the outline or simplify it"
            )
        out = _GRAPHIC_DATA + _PACK_SHORT(len(raw)) + raw
        out += self.text(_GRAPHIC_TYPE, graphic_type, "CS", what)
        if fiducial is not None:
            out += self.uid(_FIDUCIAL_UID, fiducial, f"{what} Fiducial UID")
        return out

    def _tcoord(self, value: Any, what: str) -> bytes:
        out = self.text(_TEMPORAL_RANGE_TYPE, value.temporal_range_type, "CS", what)
        if value.sample_positions:
            raw = np.asarray(value.sample_positions, dtype="<u4").tobytes()
            out += _SAMPLE_POSITIONS + _PACK_SHORT(len(raw)) + raw
        if value.time_offsets:
            text = "\\".join(format_ds(v)[0] for v in value.time_offsets)
            out += _short(_TIME_OFFSETS, text)
        if value.datetimes:
            out += _short(_REF_DATETIME, "\\".join(_dt(v) for v in value.datetimes))
        return out


def _short(header: bytes, text: str) -> bytes:
    raw = text.encode("ascii")
    if len(raw) & 1:
        raw += b" "
    return header + _PACK_SHORT(len(raw)) + raw


def _da(value: Any) -> str:
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value.strftime("%Y%m%d")
    return str(value)


def _tm(value: Any) -> str:
    if isinstance(value, datetime.time):
        return value.strftime("%H%M%S.%f") if value.microsecond else value.strftime("%H%M%S")
    return str(value)


def _dt(value: Any) -> str:
    if isinstance(value, datetime.datetime):
        text = value.strftime("%Y%m%d%H%M%S.%f" if value.microsecond else "%Y%m%d%H%M%S")
        if value.utcoffset() is not None:
            text += value.strftime("%z")
        return text
    return str(value)

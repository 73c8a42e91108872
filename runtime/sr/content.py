"""SR content items (PS3.3 C.17.3, Tables C.17-5/C.17-6 and the Content Item Macro C.18.1 ff.).

A content tree is made of :class:`ContentItem` s: a value type, a concept name (a
:class:`~iodkit.codes.Code`), the relationship with the parent, the value, and the children.
The generated template builders (``iodkit.templates``) produce these items and the readers
give them back; :mod:`iodkit.sr.encode` writes a tree straight to its encoded bytes.

The values, per value type (PS3.3 Table C.17.3-7):

===========  =====================================================================
CONTAINER    ``"SEPARATE"`` or ``"CONTINUOUS"`` (Continuity Of Content)
CODE         :class:`~iodkit.codes.Code`
NUM          :class:`Numeric` (value and units; or no value and a qualifier)
TEXT         ``str`` (UT); UIDREF ``str`` (UI); PNAME ``str`` (PN)
DATE, TIME,  ``str`` in DICOM form (DA ``YYYYMMDD``, TM ``HHMMSS.FFFFFF``, DT) or
DATETIME     :mod:`datetime` objects, kept as given
IMAGE,       :class:`Reference` (SOP Class/Instance, frames, segments, channels)
COMPOSITE,
WAVEFORM
SCOORD       :class:`Scoord` (graphic type and (n, 2) column/row points)
SCOORD3D     :class:`Scoord3D` (graphic type, (n, 3) points, frame of reference)
TCOORD       :class:`Tcoord`
===========  =====================================================================

A by-reference item (PS3.3 C.17.3.2.4) has value type ``None`` and the path of the item it
points at in :attr:`ContentItem.reference`.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from iodkit.codes import Code, CodeError, CodeLike, is_code_like
from iodkit.codes import as_code as _as_code
from iodkit.codes import as_codes as _as_codes
from iodkit.rulemodel.coded import concept_key

__all__ = [
    "RELATIONSHIP_TYPES",
    "VALUE_TYPES",
    "ContentItem",
    "ContentError",
    "Numeric",
    "Reference",
    "Scoord",
    "Scoord3D",
    "Tcoord",
]

#: PS3.3 C.17.3.2.2 Value Type (0040,A040): Enumerated Values of the SR IODs.
VALUE_TYPES = frozenset(
    "TEXT NUM CODE DATETIME DATE TIME UIDREF PNAME COMPOSITE IMAGE WAVEFORM SCOORD SCOORD3D "
    "TCOORD CONTAINER TABLE".split()
)
#: PS3.3 C.17.3.2.4 Relationship Type (0040,A010).
RELATIONSHIP_TYPES = frozenset(
    (
        "CONTAINS",
        "HAS PROPERTIES",
        "HAS OBS CONTEXT",
        "HAS ACQ CONTEXT",
        "INFERRED FROM",
        "SELECTED FROM",
        "HAS CONCEPT MOD",
    )
)
#: PS3.3 C.18.9.1.2 / C.18.10.1.2 Graphic Type (0070,0023) of SCOORD and SCOORD3D.
GRAPHIC_TYPES = frozenset(("POINT", "MULTIPOINT", "POLYLINE", "CIRCLE", "ELLIPSE"))
GRAPHIC_TYPES_3D = frozenset(("POINT", "MULTIPOINT", "POLYLINE", "POLYGON", "ELLIPSE", "ELLIPSOID"))
#: PS3.3 C.18.7.1.1 Temporal Range Type (0040,A130).
TEMPORAL_RANGE_TYPES = frozenset(("POINT", "MULTIPOINT", "SEGMENT", "MULTISEGMENT", "BEGIN", "END"))


class ContentError(ValueError):
    """A content item, or a tree of them, breaks a rule of PS3.3 C.17.3 / C.18."""


@dataclass(frozen=True, slots=True)
class Numeric:
    """The value of a NUM item (Numeric Measurement Macro, PS3.3 Table C.18.1-1).

    ``value`` with ``unit`` (Measurement Units Code Sequence, a UCUM code); or ``value`` None
    and ``qualifier`` saying why there is none (Numeric Value Qualifier Code Sequence, CID 42).
    """

    value: float | int | None
    unit: CodeLike | None = None
    qualifier: CodeLike | None = None

    def __post_init__(self) -> None:
        for name in ("unit", "qualifier"):  # pydicom's and highdicom's codes become Codes
            given = getattr(self, name)
            if given is not None and not isinstance(given, Code):
                object.__setattr__(self, name, as_code(given, f"Numeric.{name}"))
        if self.value is None:
            if self.qualifier is None:
                raise ContentError(
                    "a NUM item without a value needs a qualifier saying why (CID 42, "
                    "Numeric Value Qualifier Code Sequence, PS3.3 Table C.18.1-1)"
                )
            return
        if isinstance(self.value, bool) or not isinstance(self.value, int | float | np.number):
            raise ContentError(f"a NUM value is a number, got {type(self.value).__name__}")
        if not isinstance(self.unit, Code):
            raise ContentError(
                "a NUM value needs its units as a Code (Measurement Units Code Sequence, "
                f"PS3.3 Table C.18.1-1), got {type(self.unit).__name__}"
            )
        if not np.isfinite(self.value):
            raise ContentError(f"a NUM value must be finite, got {self.value}")


@dataclass(frozen=True, slots=True)
class Reference:
    """A composite object reference: the value of an IMAGE, COMPOSITE or WAVEFORM item
    (Referenced SOP Sequence (0008,1199), PS3.3 Tables C.18.3-1, C.18.4-1, C.18.5-1)."""

    sop_class_uid: str
    sop_instance_uid: str
    frame_numbers: tuple[int, ...] = ()
    segment_numbers: tuple[int, ...] = ()
    channels: tuple[int, ...] = ()  # Referenced Waveform Channels, pairs (M, C)
    presentation_state: Reference | None = None  # nested Referenced SOP Sequence (softcopy PS)
    real_world_value_mapping: Reference | None = None  # (0040,9094) RWV mapping reference

    def __post_init__(self) -> None:
        for name in ("sop_class_uid", "sop_instance_uid"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value:
                raise ContentError(f"Reference.{name} must be a non-empty UID string")
        for name in ("frame_numbers", "segment_numbers", "channels"):
            value = getattr(self, name)
            if not isinstance(value, tuple):
                object.__setattr__(self, name, tuple(int(v) for v in value))

    @classmethod
    def to(cls, dataset: Any, **kwargs: Any) -> Reference:
        """A reference to the instance ``dataset`` (a pydicom Dataset)."""
        return cls(str(dataset.SOPClassUID), str(dataset.SOPInstanceUID), **kwargs)


def _points(data: Any, columns: int, what: str) -> np.ndarray:
    array = np.asarray(data, dtype=np.float64)
    if array.ndim == 1 and array.size % columns == 0:
        array = array.reshape(-1, columns)
    if array.ndim != 2 or array.shape[1] != columns or array.shape[0] == 0:
        raise ContentError(
            f"{what} takes an (n, {columns}) array of points, got shape {array.shape}"
        )
    if not np.isfinite(array).all():
        raise ContentError(f"{what} has a coordinate that is not finite")
    out = array.astype(np.float32)
    out.setflags(write=False)
    return out


def _check_point_count(graphic_type: str, n: int, what: str) -> None:
    """PS3.3 C.18.9.1.2 / C.18.10.1.2: how many points each graphic type takes."""
    wanted = {"POINT": n == 1, "CIRCLE": n == 2, "ELLIPSE": n == 4, "ELLIPSOID": n == 6}
    ok = wanted.get(graphic_type, n >= (1 if graphic_type == "MULTIPOINT" else 2))
    if graphic_type == "POLYGON":
        ok = n >= 3
    if not ok:
        raise ContentError(f"{what}: a {graphic_type} cannot have {n} points (PS3.3 C.18.9.1.2)")


@dataclass(frozen=True, slots=True, eq=False)
class Scoord:
    """Spatial coordinates in an image (PS3.3 C.18.6): ``data`` are (column, row) pairs in
    pixels, from the top left corner of the top left pixel (0.0, 0.0)."""

    graphic_type: str
    data: np.ndarray
    pixel_origin_interpretation: str | None = None  # FRAME or VOLUME (tiled images)
    fiducial_uid: str | None = None

    def __post_init__(self) -> None:
        if self.graphic_type not in GRAPHIC_TYPES:
            raise ContentError(
                f"SCOORD Graphic Type {self.graphic_type!r} is not one of "
                f"{', '.join(sorted(GRAPHIC_TYPES))} (PS3.3 C.18.6.1.2)"
            )
        points = _points(self.data, 2, "SCOORD Graphic Data")
        _check_point_count(self.graphic_type, len(points), "SCOORD")
        object.__setattr__(self, "data", points)
        if self.pixel_origin_interpretation not in (None, "FRAME", "VOLUME"):
            raise ContentError("Pixel Origin Interpretation is FRAME or VOLUME")

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Scoord)
            and other.graphic_type == self.graphic_type
            and np.array_equal(other.data, self.data)
            and other.pixel_origin_interpretation == self.pixel_origin_interpretation
        )

    __hash__ = None  # type: ignore[assignment]


@dataclass(frozen=True, slots=True, eq=False)
class Scoord3D:
    """Spatial coordinates in a frame of reference (PS3.3 C.18.9): ``data`` are (x, y, z)
    points in mm in the frame of reference ``frame_of_reference_uid``."""

    graphic_type: str
    data: np.ndarray
    frame_of_reference_uid: str
    fiducial_uid: str | None = None

    def __post_init__(self) -> None:
        if self.graphic_type not in GRAPHIC_TYPES_3D:
            raise ContentError(
                f"SCOORD3D Graphic Type {self.graphic_type!r} is not one of "
                f"{', '.join(sorted(GRAPHIC_TYPES_3D))} (PS3.3 C.18.9.1.2)"
            )
        points = _points(self.data, 3, "SCOORD3D Graphic Data")
        _check_point_count(self.graphic_type, len(points), "SCOORD3D")
        object.__setattr__(self, "data", points)
        if not isinstance(self.frame_of_reference_uid, str) or not self.frame_of_reference_uid:
            raise ContentError("SCOORD3D needs its Referenced Frame of Reference UID")

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Scoord3D)
            and other.graphic_type == self.graphic_type
            and np.array_equal(other.data, self.data)
            and other.frame_of_reference_uid == self.frame_of_reference_uid
        )

    __hash__ = None  # type: ignore[assignment]


@dataclass(frozen=True, slots=True)
class Tcoord:
    """Temporal coordinates (PS3.3 C.18.7): exactly one of sample positions, time offsets
    (seconds) or datetimes."""

    temporal_range_type: str
    sample_positions: tuple[int, ...] = ()
    time_offsets: tuple[float, ...] = ()
    datetimes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.temporal_range_type not in TEMPORAL_RANGE_TYPES:
            raise ContentError(
                f"Temporal Range Type {self.temporal_range_type!r} is not one of "
                f"{', '.join(sorted(TEMPORAL_RANGE_TYPES))}"
            )
        given = [bool(self.sample_positions), bool(self.time_offsets), bool(self.datetimes)]
        if sum(given) != 1:
            raise ContentError(
                "TCOORD takes exactly one of sample positions, time offsets or datetimes"
            )


_VALUE_CLASSES: dict[str, tuple[type, ...]] = {
    "CODE": (Code,),
    "NUM": (Numeric,),
    "TEXT": (str,),
    "UIDREF": (str,),
    "PNAME": (str,),
    "DATE": (str, datetime.date),
    "TIME": (str, datetime.time),
    "DATETIME": (str, datetime.datetime),
    "IMAGE": (Reference,),
    "COMPOSITE": (Reference,),
    "WAVEFORM": (Reference,),
    "SCOORD": (Scoord,),
    "SCOORD3D": (Scoord3D,),
    "TCOORD": (Tcoord,),
}


class ContentItem:
    """One SR content item and its children.

    ``template``: the TID recorded in Content Template Sequence (only on a CONTAINER, PS3.3
    C.18.8); ``row``: ``(tid, row)`` of the template row the item was built from or matched to
    (not encoded; the readers fill it in when they recognise the template).
    """

    __slots__ = (
        "value_type",
        "name",
        "relationship",
        "value",
        "children",
        "template",
        "row",
        "observation_uid",
        "observation_datetime",
        "reference",
    )

    def __init__(
        self,
        value_type: str | None,
        name: CodeLike | None,
        value: Any = None,
        *,
        relationship: str | None = None,
        children: Sequence[ContentItem] = (),
        template: str | None = None,
        row: tuple[int, str] | None = None,
        observation_uid: str | None = None,
        observation_datetime: str | None = None,
        reference: tuple[int, ...] | None = None,
        check: bool = True,
    ) -> None:
        if check:  # pydicom's and highdicom's codes become Codes (read trees hold Codes)
            if name is not None and not isinstance(name, Code) and is_code_like(name):
                name = as_code(name, "ContentItem.name")
            if value_type == "CODE" and not isinstance(value, Code) and is_code_like(value):
                value = as_code(value, "ContentItem.value")
        self.value_type = value_type
        self.name: Code | None = name  # type: ignore[assignment]  # converted above
        self.value = value
        self.relationship = relationship
        self.children = list(children)
        self.template = template
        self.row = row
        self.observation_uid = observation_uid
        self.observation_datetime = observation_datetime
        self.reference = reference
        if check:
            self.check()

    # -- constructors per value type (the common cases) -----------------------------------
    @classmethod
    def container(
        cls,
        name: CodeLike,
        children: Sequence[ContentItem] = (),
        *,
        relationship: str | None = None,
        template: str | None = None,
        continuity: str = "SEPARATE",
    ) -> ContentItem:
        return cls(
            "CONTAINER",
            name,
            continuity,
            relationship=relationship,
            children=children,
            template=template,
        )

    @classmethod
    def by_reference(cls, relationship: str, path: Sequence[int]) -> ContentItem:
        """An item that points at another by its position (PS3.3 C.17.3.2.5): ``path`` is
        Referenced Content Item Identifier, 1-based positions from the root (the root is 1)."""
        return cls(None, None, relationship=relationship, reference=tuple(int(p) for p in path))

    def check(self) -> None:
        """The rules of PS3.3 C.17.3 this item must follow on its own."""
        vt = self.value_type
        if self.relationship is not None and self.relationship not in RELATIONSHIP_TYPES:
            raise ContentError(
                f"Relationship Type {self.relationship!r} is not one of "
                f"{', '.join(sorted(RELATIONSHIP_TYPES))} (PS3.3 C.17.3.2.4)"
            )
        if vt is None:
            if not self.reference or self.relationship is None:
                raise ContentError(
                    "a by-reference item needs a relationship and the path of the item it "
                    "references (Referenced Content Item Identifier, PS3.3 C.17.3.2.5)"
                )
            if self.children:
                raise ContentError("a by-reference item has no children of its own")
            return
        if vt not in VALUE_TYPES:
            raise ContentError(f"Value Type {vt!r} is not one of PS3.3 C.17.3.2.2's")
        if self.name is not None and not isinstance(self.name, Code):
            raise ContentError(
                f"the concept name of a {vt} item must be a Code, got "
                f"{type(self.name).__name__} {self.name!r}"
            )
        if vt == "CONTAINER":
            if self.name is None and self.relationship is None:
                raise ContentError("the root CONTAINER needs a concept name (the document title)")
            if self.value not in ("SEPARATE", "CONTINUOUS"):
                raise ContentError(
                    f"Continuity Of Content is SEPARATE or CONTINUOUS, got {self.value!r}"
                )
            return
        if vt not in ("IMAGE", "COMPOSITE", "WAVEFORM", "SCOORD", "SCOORD3D", "TCOORD") and (
            self.name is None
        ):
            raise ContentError(f"a {vt} item needs a concept name (PS3.3 C.17.3.2.2)")
        allowed = _VALUE_CLASSES.get(vt)
        if allowed is not None and not isinstance(self.value, allowed):
            names = " or ".join(a.__name__ for a in allowed)
            raise ContentError(
                f"the value of a {vt} item {self.describe()} must be a {names}, got "
                f"{type(self.value).__name__} {self.value!r}"
            )
        if isinstance(self.value, str) and vt != "TEXT" and not self.value:
            raise ContentError(f"the value of {vt} item {self.describe()} is empty")

    # -- reading ----------------------------------------------------------------------------
    def describe(self) -> str:
        name = f"{self.name.meaning!r}" if self.name is not None else "(unnamed)"
        return f"{self.value_type or 'by-reference'} {name}"

    def __iter__(self) -> Iterator[ContentItem]:
        return iter(self.children)

    def walk(self, path: tuple[int, ...] = (1,)) -> Iterator[tuple[tuple[int, ...], ContentItem]]:
        """Every item below and including this one, depth first, with its position path
        (1-based, as Referenced Content Item Identifier counts, PS3.3 C.17.3.2.5)."""
        stack: list[tuple[tuple[int, ...], ContentItem]] = [(path, self)]
        while stack:
            here, item = stack.pop()
            yield here, item
            stack.extend(
                ((*here, i), child) for i, child in reversed(list(enumerate(item.children, 1)))
            )

    def find(
        self,
        name: Code | None = None,
        value_type: str | None = None,
        relationship: str | None = None,
        *,
        recursive: bool = False,
    ) -> list[ContentItem]:
        """Children (or, with ``recursive``, descendants) matching all that is given; concept
        names match by value and scheme (SNOMED's SRT and SCT alike), not by meaning."""
        key = concept_key(name) if name is not None else None
        pool = (i for _, i in self.walk()) if recursive else iter(self.children)
        out = []
        for item in pool:
            if item is self:
                continue
            if value_type is not None and item.value_type != value_type:
                continue
            if relationship is not None and item.relationship != relationship:
                continue
            if key is not None and (item.name is None or concept_key(item.name) != key):
                continue
            out.append(item)
        return out

    def first(self, name: Code, value_type: str | None = None) -> ContentItem | None:
        """The first child named ``name`` (of ``value_type``), or None."""
        key = concept_key(name)
        for item in self.children:
            if (
                item.name is not None
                and concept_key(item.name) == key
                and (value_type is None or item.value_type == value_type)
            ):
                return item
        return None

    def __repr__(self) -> str:
        rel = f"{self.relationship} " if self.relationship else ""
        value = "" if self.value is None else f" = {self.value!r}"
        kids = f", {len(self.children)} children" if self.children else ""
        return f"<ContentItem {rel}{self.describe()}{value}{kids}>"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ContentItem):
            return NotImplemented
        return (
            self.value_type == other.value_type
            and self.name == other.name
            and self.relationship == other.relationship
            and self.value == other.value
            and self.template == other.template
            and self.reference == other.reference
            and self.observation_uid == other.observation_uid
            and self.children == other.children
        )

    __hash__ = None  # type: ignore[assignment]


def same_concept(a: CodeLike | None, b: CodeLike | None) -> bool:
    """Whether two codes (any :data:`~iodkit.codes.CodeLike`) name the same concept (see
    :func:`concept_key`)."""
    if a is None or b is None:
        return a is b
    return concept_key(_as_code(a)) == concept_key(_as_code(b))


def as_code(value: Any, argument: str) -> Code:
    """``value`` as a :class:`Code` by :func:`iodkit.codes.as_code` (a Code, pydicom's and
    highdicom's codes), raising :class:`ContentError` naming ``argument``; a plain string is
    refused with a hint."""
    if isinstance(value, Code):
        return value
    if isinstance(value, str):
        raise ContentError(
            f"{argument}: a code is needed, not the string {value!r} — e.g. "
            f'Code("value", "scheme", "meaning") or a constant of iodkit.codes'
        )
    try:
        return _as_code(value, argument)
    except CodeError as exc:
        raise ContentError(str(exc)) from None


def as_codes(values: Any, argument: str) -> list[Code]:
    """One code or a sequence of them as a list (:func:`iodkit.codes.as_codes`: a string is
    refused whole, not read letter by letter), raising :class:`ContentError`."""
    try:
        return _as_codes(values, argument)
    except CodeError as exc:
        raise ContentError(str(exc)) from None


__all__ += ["as_code", "as_codes", "concept_key", "same_concept"]

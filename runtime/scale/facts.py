"""What the series-level checks need to know of each instance, read while it is validated.

An instance's :class:`InstanceFacts` are small and plain (strings and tuples: cheap to pickle
between Dask workers): its UIDs, the values of the attributes of the modules whose Information
Entity is above the instance — Patient (PS3.3 C.7.1.1), General Study (C.7.2.1), General Series
(C.7.3.1) and Frame of Reference (C.7.4.1) — and, for a single-frame image, where its plane is
(Image Plane Module, C.7.6.2).

The attribute lists are the modules' own, from the builders generated from the standard (their
``__order__``: the module's top-level attributes, those of the macros it includes among them),
so they follow the edition like everything else.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

#: The modules whose attributes all instances of a series share, with the Information Entity
#: they belong to (PS3.3 A.1.2: "All Composite Instances within a Series shall have the same
#: Series information"; a series belongs to one study, one patient, one frame of reference).
SERIES_MODULES: tuple[tuple[str, str, str], ...] = (
    ("PatientModule", "Patient", "sect_A.1.2.1"),
    ("GeneralStudyModule", "Study", "sect_A.1.2.2"),
    ("GeneralSeriesModule", "Series", "sect_A.1.2.3"),
    ("FrameOfReferenceModule", "Frame of Reference", "sect_A.1.2.5"),
)

STUDY_INSTANCE_UID = 0x0020000D
SERIES_INSTANCE_UID = 0x0020000E
SOP_INSTANCE_UID = 0x00080018
SOP_CLASS_UID = 0x00080016
IMAGE_POSITION_PATIENT = 0x00200032
IMAGE_ORIENTATION_PATIENT = 0x00200037
NUMBER_OF_FRAMES = 0x00280008
#: What tells instances at one position apart in time or acquisition (not an overlap then).
TEMPORAL_TAGS = (
    0x00200012,  # Acquisition Number
    0x00200100,  # Temporal Position Identifier
    0x00209128,  # Temporal Position Index
    0x00181060,  # Trigger Time
    0x00080032,  # Acquisition Time
)
#: Longest value kept as written; longer ones are kept as their start and a digest.
MAX_VALUE = 120


@dataclass(frozen=True, slots=True)
class ModuleAttributes:
    """One module of :data:`SERIES_MODULES`: its name, table and top-level tags."""

    name: str
    entity: str
    section: str
    table: str
    tags: tuple[int, ...]


@lru_cache(maxsize=1)
def series_modules() -> tuple[ModuleAttributes, ...]:
    """The modules' attribute lists, from the generated builders."""
    from iodkit.generated import modules

    out = []
    for name, entity, section in SERIES_MODULES:
        builder: Any = getattr(modules, name)
        table = str(builder.__table__).split(" Table ", 1)[-1]
        out.append(ModuleAttributes(name, entity, section, f"table_{table}", builder.__order__))
    return tuple(out)


@lru_cache(maxsize=1)
def _compared_tags() -> tuple[int, ...]:
    seen: dict[int, None] = {}
    for module in series_modules():
        for tag in module.tags:
            seen.setdefault(tag, None)
    return tuple(seen)


@dataclass(frozen=True, slots=True)
class InstanceFacts:
    """What the series checks know of one instance.

    ``values`` maps each tag of :data:`SERIES_MODULES` that the instance holds to its value as
    text (sequences item by item; long values as their start and a digest); ``position`` and
    ``orientation`` are the Image Plane attributes of a single-frame image (None otherwise);
    ``temporal`` what tells it apart in time from another instance at the same place.
    """

    name: str  # the file (or address, or metadata line) the instance came from
    study: str
    series: str
    sop_instance: str
    sop_class: str
    values: tuple[tuple[int, str], ...] = ()
    position: tuple[float, float, float] | None = None
    orientation: tuple[float, ...] | None = None
    temporal: str = ""


def _first(node: Any, tag: int) -> str:
    el = node.elems.get(tag)
    values = el.strings() if el is not None else ()
    return values[0] if values else ""


def _floats(node: Any, tag: int, count: int) -> tuple[float, ...] | None:
    el = node.elems.get(tag)
    if el is None:
        return None
    try:
        values = tuple(float(v) for v in el.strings())
    except ValueError:
        return None
    return values if len(values) == count else None


def value_text(el: Any, depth: int = 0) -> str:
    """An element's value as comparable text: values joined with backslashes, the items of a
    sequence as ``[{tag=value;…}, …]`` in tag order; bytes as a digest."""
    if el.items is not None:
        if depth > 8:
            return f"[{len(el.items)} items]"
        items = []
        for item in el.items:
            inner = ";".join(
                f"{tag:08X}={value_text(item.elems[tag], depth + 1)}" for tag in sorted(item.elems)
            )
            items.append("{" + inner + "}")
        return "[" + ",".join(items) + "]"
    if el.vr in ("OB", "OW", "OF", "OD", "OL", "OV", "UN"):
        raw = el.raw
        return f"<{len(raw)} bytes {hashlib.blake2b(raw, digest_size=8).hexdigest()}>"
    return "\\".join(el.strings())


def _kept(text: str) -> str:
    if len(text) <= MAX_VALUE:
        return text
    digest = hashlib.blake2b(text.encode("utf-8", "replace"), digest_size=8).hexdigest()
    return f"{text[:MAX_VALUE]}… ({len(text)} characters, {digest})"


def facts_of(name: str, dataset: Any) -> InstanceFacts | None:
    """The facts of a validated dataset (the validation reader's tree); None without the UIDs
    a series check needs (the instance-level findings say so already)."""
    series = _first(dataset, SERIES_INSTANCE_UID)
    sop = _first(dataset, SOP_INSTANCE_UID)
    if not series or not sop:
        return None
    values = []
    for tag in _compared_tags():
        el = dataset.elems.get(tag)
        if el is not None:
            try:
                values.append((tag, _kept(value_text(el))))
            except Exception:  # an unreadable value is an instance-level finding already
                continue
    position = orientation = None
    frames = _first(dataset, NUMBER_OF_FRAMES)
    if frames in ("", "1"):
        p = _floats(dataset, IMAGE_POSITION_PATIENT, 3)
        o = _floats(dataset, IMAGE_ORIENTATION_PATIENT, 6)
        if p is not None and o is not None:
            position, orientation = (p[0], p[1], p[2]), o
    temporal = "\\".join(_first(dataset, tag) for tag in TEMPORAL_TAGS)
    return InstanceFacts(
        name=name,
        study=_first(dataset, STUDY_INSTANCE_UID),
        series=series,
        sop_instance=sop,
        sop_class=_first(dataset, SOP_CLASS_UID),
        values=tuple(values),
        position=position,
        orientation=orientation,
        temporal=temporal,
    )

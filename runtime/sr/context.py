"""Observation context of a report (PS3.16 TID 1001-1010), its language (TID 1204) and its
image library (TID 1600-1602), written through the generated builders and read back.

* :class:`PersonObserver` (TID 1003) and :class:`DeviceObserver` (TID 1004), each one
  Observer Context (TID 1002) with its Observer Type;
* subjects other than the patient (TID 1006): :class:`FetusSubject` (TID 1008),
  :class:`SpecimenSubject` (TID 1009), :class:`DeviceSubject` (TID 1010) — the patient
  subject (TID 1007) is inherited from the document's Patient Module;
* :func:`image_library` — one Image Library Group (TID 1600 row 2) per series, its common
  descriptors (TID 1602: modality, study date and time, frame of reference) and one entry
  (TID 1601) per image.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import iodkit.templates.tid1001 as tid1001
import iodkit.templates.tid1002 as tid1002
import iodkit.templates.tid1003 as tid1003
import iodkit.templates.tid1004 as tid1004
import iodkit.templates.tid1006 as tid1006
import iodkit.templates.tid1008 as tid1008
import iodkit.templates.tid1009 as tid1009
import iodkit.templates.tid1010 as tid1010
import iodkit.templates.tid1204 as tid1204
import iodkit.templates.tid1502 as tid1502
import iodkit.templates.tid1600 as tid1600
import iodkit.templates.tid1601 as tid1601
import iodkit.templates.tid1602 as tid1602
from iodkit.codes import Code, CodeLike, context_group
from iodkit.sr.content import (
    ContentError,
    ContentItem,
    Numeric,
    Reference,
    as_code,
    same_concept,
)

__all__ = [
    "ENGLISH_US",
    "LongitudinalTemporalOffsetFromEvent",
    "DeviceObserver",
    "DeviceSubject",
    "FetusSubject",
    "PersonObserver",
    "SpecimenSubject",
    "TimePointContext",
    "image_library",
    "language",
    "observation_context",
    "read_observers",
    "read_subjects",
]

#: RFC 5646 "en-US" (CID 5000 Language names RFC 5646 tags; it enumerates none)
ENGLISH_US = Code("en-US", "RFC5646", "English (United States)")

_NO_UNITS: Code = tid1502.TimePointContext.row("5").units  # type: ignore[assignment]  # EV (1, UCUM, "no units")
# row 6's units: DT (d, UCUM, "days"), the default
_DAYS: Code = tid1502.TimePointContext.row("6").units.code  # type: ignore[union-attr,assignment]
_O = tid1002.ObserverContext
_OBSERVER_TYPE = _O.concept("1")
_PERSON = tid1003.PersonObserverIdentifyingAttributes
_DEVICE = tid1004.DeviceObserverIdentifyingAttributes
_SUBJECT_CLASS = tid1006.SubjectContext.concept("1")


def _cid_code(cid: int, meaning: str) -> Code:
    """The code of context group ``cid`` with this meaning (the group is the edition's)."""
    for code in context_group(cid).all_codes():
        if code.meaning.lower() == meaning.lower():
            return code
    raise KeyError(f"CID {cid} has no code meaning {meaning!r}")


@dataclass
class PersonObserver:
    """A person who made the observations (TID 1003)."""

    name: str
    login_name: str | None = None
    organization: str | None = None
    role_in_organization: CodeLike | None = None
    role_in_procedure: CodeLike | None = None

    def builder(self) -> Any:
        return _O(
            observer_type=_cid_code(270, "Person"),
            person_observer_identifying_attributes=_PERSON(
                person_observer_name=self.name,
                person_observers_login_name=self.login_name,
                person_observers_organization_name=self.organization,
                person_observers_role_in_the_organization=self.role_in_organization,
                person_observers_role_in_this_procedure=self.role_in_procedure,
            ),
        )


@dataclass
class DeviceObserver:
    """A device (an algorithm's host, a workstation) that made the observations (TID 1004)."""

    uid: str
    name: str | None = None
    manufacturer: str | None = None
    model_name: str | None = None
    serial_number: str | None = None
    physical_location: str | None = None
    roles: Sequence[CodeLike] = ()

    def builder(self) -> Any:
        return _O(
            observer_type=_cid_code(270, "Device"),
            device_observer_identifying_attributes=_DEVICE(
                device_observer_uid=self.uid,
                device_observer_name=self.name,
                device_observer_manufacturer=self.manufacturer,
                device_observer_model_name=self.model_name,
                device_observer_serial_number=self.serial_number,
                device_observer_physical_location_during_observation=self.physical_location,
                device_role_in_procedure=list(self.roles) or None,
            ),
        )


@dataclass
class FetusSubject:
    """The subject is a fetus (TID 1008): ``fetus_id`` ("1" of "2") or ``subject_id``."""

    fetus_id: str | None = None
    subject_id: str | None = None
    subject_uid: str | None = None
    mother_of_fetus: str | None = None

    def builder(self) -> Any:
        return tid1006.SubjectContext(
            subject_class=_cid_code(271, "Fetus"),
            subject_context_fetus=tid1008.SubjectContextFetus(
                mother_of_fetus=self.mother_of_fetus,
                subject_uid=self.subject_uid,
                subject_id=self.subject_id,
                fetus_id=self.fetus_id,
            ),
        )


@dataclass
class SpecimenSubject:
    """The subject is a specimen (TID 1009)."""

    uid: str | None = None
    identifier: str | None = None
    issuer: str | None = None
    specimen_type: CodeLike | None = None
    container_identifier: str | None = None

    def builder(self) -> Any:
        return tid1006.SubjectContext(
            subject_class=_cid_code(271, "Specimen"),
            subject_context_specimen=tid1009.SubjectContextSpecimen(
                specimen_uid=self.uid,
                specimen_identifier=self.identifier,
                issuer_of_specimen_identifier=self.issuer,
                specimen_type=self.specimen_type,
                specimen_container_identifier=self.container_identifier,
            ),
        )


@dataclass
class DeviceSubject:
    """The subject is a device (TID 1010), e.g. a phantom."""

    name: str
    uid: str | None = None
    manufacturer: str | None = None
    model_name: str | None = None
    serial_number: str | None = None
    physical_location: str | None = None

    def builder(self) -> Any:
        return tid1006.SubjectContext(
            subject_class=_cid_code(271, "Device Subject"),
            subject_context_device=tid1010.SubjectContextDevice(
                device_subject_name=self.name,
                device_subject_uid=self.uid,
                device_subject_manufacturer=self.manufacturer,
                device_subject_model_name=self.model_name,
                device_subject_serial_number=self.serial_number,
                device_subject_physical_location_during_observation=self.physical_location,
            ),
        )


@dataclass
class LongitudinalTemporalOffsetFromEvent:
    """How long after (or, negative, before) an event the time point is (TID 1502 rows 6-7):
    ``value`` in ``unit`` (default days, the row's DT (d, UCUM, "days")) from an event of
    ``event_type`` (row 7, M; CID 280 "Longitudinal Temporal Event Type": baseline,
    enrollment …). highdicom's class of the same name."""

    value: float
    event_type: CodeLike
    unit: CodeLike = field(default_factory=lambda: _DAYS)

    def __post_init__(self) -> None:
        what = "LongitudinalTemporalOffsetFromEvent"
        if isinstance(self.value, bool) or not isinstance(self.value, int | float):
            raise ContentError(f"{what}.value: a number, got {self.value!r}")
        self.event_type = as_code(self.event_type, f"{what}.event_type")
        self.unit = as_code(self.unit, f"{what}.unit")

    def builder(self) -> Any:
        return tid1502.TimePointContext.LongitudinalTemporalOffsetFromEvent(
            value=Numeric(self.value, self.unit), longitudinal_temporal_event_type=self.event_type
        )

    @classmethod
    def from_item(cls, item: ContentItem) -> LongitudinalTemporalOffsetFromEvent | None:
        """From the NUM item of row 6 (None without a value or an event type)."""
        event = item.first(tid1502.TimePointContext.concept("7"), "CODE")
        value = item.value
        if event is None or not isinstance(value, Numeric) or value.value is None:
            return None
        return cls(value.value, event.value, value.unit or _DAYS)


@dataclass
class TimePointContext:
    """When in a longitudinal study the measurements were made (TID 1502): ``time_point``
    (row 3, M), the subject's and protocol's identifiers, type(s) (CID 6146), order and
    ``temporal_offset`` from an event (rows 6-7)."""

    time_point: str
    subject_time_point_identifier: str | None = None
    protocol_time_point_identifier: str | None = None
    time_point_types: Sequence[CodeLike] = ()
    time_point_order: int | None = None
    temporal_offset: LongitudinalTemporalOffsetFromEvent | None = None

    def __post_init__(self) -> None:
        self.time_point_types = tuple(self.time_point_types)
        offset = self.temporal_offset
        if offset is not None and not isinstance(offset, LongitudinalTemporalOffsetFromEvent):
            raise ContentError(
                "TimePointContext.temporal_offset: a LongitudinalTemporalOffsetFromEvent, got "
                f"{offset!r}"
            )

    def builder(self) -> Any:
        return tid1502.TimePointContext(
            time_point=self.time_point,
            subject_time_point_identifier=self.subject_time_point_identifier,
            protocol_time_point_identifier=self.protocol_time_point_identifier,
            time_point_type=list(self.time_point_types) or None,
            time_point_order=(
                Numeric(self.time_point_order, _NO_UNITS)
                if self.time_point_order is not None
                else None
            ),
            longitudinal_temporal_offset_from_event=(
                self.temporal_offset.builder() if self.temporal_offset else None
            ),
        )

    @classmethod
    def from_item(cls, group: ContentItem) -> TimePointContext | None:
        """The time point context among ``group``'s children (TID 1502 rows 1-5), if any."""
        t = tid1502.TimePointContext
        point = group.first(t.concept("3"), "TEXT")
        if point is None:
            return None
        subject = group.first(t.concept("1"), "TEXT")
        protocol = group.first(t.concept("2"), "TEXT")
        order = group.first(t.concept("5"), "NUM")
        offset = group.first(t.concept("6"), "NUM")
        return cls(
            point.value,
            subject.value if subject else None,
            protocol.value if protocol else None,
            [i.value for i in group.find(t.concept("4"), "CODE")],
            int(order.value.value) if order and order.value.value is not None else None,
            LongitudinalTemporalOffsetFromEvent.from_item(offset) if offset else None,
        )


Observer = PersonObserver | DeviceObserver
Subject = FetusSubject | SpecimenSubject | DeviceSubject


def observation_context(observers: Sequence[Observer], subject: Subject | None) -> Any:
    """TID 1001 with the observers (TID 1002, in order) and a subject other than the patient."""
    for o in observers:
        if not isinstance(o, PersonObserver | DeviceObserver):
            raise ContentError(f"observers: PersonObserver or DeviceObserver, got {o!r}")
    if subject is not None and not isinstance(
        subject, FetusSubject | SpecimenSubject | DeviceSubject
    ):
        raise ContentError(
            f"subject: FetusSubject, SpecimenSubject or DeviceSubject, got {subject!r}"
        )
    return tid1001.ObservationContext(
        observer_context=[o.builder() for o in observers] or None,
        subject_context=subject.builder() if subject is not None else None,
    )


def language(code: CodeLike = ENGLISH_US) -> Any:
    """TID 1204 Language of Content Item and Descendants."""
    return tid1204.LanguageOfContentItemAndDescendants(value=code)


def image_library(images: Sequence[Any]) -> Any:
    """TID 1600 for ``images`` (pydicom Datasets): a group per series, the descriptors the
    series' first image gives (TID 1602), an entry per image (TID 1601)."""
    by_series: dict[str, list[Any]] = {}
    for ds in images:
        by_series.setdefault(str(ds.get("SeriesInstanceUID", "")), []).append(ds)
    groups = []
    for series in by_series.values():
        first = series[0]
        descriptors = _descriptors(first)
        groups.append(
            tid1600.ImageLibrary.ImageLibraryGroup(
                image_library_entry_descriptors=descriptors,
                image_library_entry=[
                    tid1601.ImageLibraryEntry(value=Reference.to(ds)) for ds in series
                ],
            )
        )
    return tid1600.ImageLibrary(image_library_group=groups)


def _descriptors(ds: Any) -> Any:
    modality = str(ds.get("Modality", "") or "")
    modality_code = next((c for c in context_group(29).all_codes() if c.value == modality), None)
    return tid1602.ImageLibraryEntryDescriptors(
        modality=modality_code,
        study_date=str(ds.StudyDate) if ds.get("StudyDate") else None,
        study_time=str(ds.StudyTime) if ds.get("StudyTime") else None,
        frame_of_reference_uid=(
            str(ds.FrameOfReferenceUID) if ds.get("FrameOfReferenceUID") else None
        ),
    )


def read_observers(root: ContentItem) -> list[PersonObserver | DeviceObserver]:
    """The observers a root (or any) content item names, in order: each Observer Type item
    and the identifying items after it (TID 1002), as highdicom reads them."""
    out: list[PersonObserver | DeviceObserver] = []
    items = root.children
    starts = [
        i
        for i, c in enumerate(items)
        if c.name is not None and same_concept(c.name, _OBSERVER_TYPE) and c.value_type == "CODE"
    ]
    for k, start in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else len(items)
        part = ContentItem.container(_OBSERVER_TYPE, items[start + 1 : end])
        kind = items[start].value
        if same_concept(kind, _cid_code(270, "Device")):
            uid = part.first(_DEVICE.concept("1"), "UIDREF")
            out.append(
                DeviceObserver(
                    uid.value if uid else "",
                    _text(part, _DEVICE, "2"),
                    _text(part, _DEVICE, "3"),
                    _text(part, _DEVICE, "4"),
                    _text(part, _DEVICE, "5"),
                    _text(part, _DEVICE, "6"),
                )
            )
        else:
            name = part.first(_PERSON.concept("1"))
            out.append(
                PersonObserver(
                    str(name.value) if name else "",
                    _text(part, _PERSON, "1a"),
                    _text(part, _PERSON, "2"),
                )
            )
    return out


def _text(item: ContentItem, template: Any, label: str) -> str | None:
    found = item.first(template.concept(label), "TEXT")
    return found.value if found is not None else None


def subject_class(root: ContentItem) -> Code | None:
    """The Subject Class (TID 1006 row 1) the root names, if any."""
    found = root.first(_SUBJECT_CLASS, "CODE")
    return found.value if found is not None else None


def read_subjects(root: ContentItem) -> list[FetusSubject | SpecimenSubject | DeviceSubject]:
    """Subjects other than the patient named at ``root``: each Subject Class item (TID 1006
    row 1) and the items after it (TID 1008-1010), as highdicom reads them."""
    items = root.children
    starts = [
        i
        for i, c in enumerate(items)
        if c.name is not None and same_concept(c.name, _SUBJECT_CLASS) and c.value_type == "CODE"
    ]
    out: list[FetusSubject | SpecimenSubject | DeviceSubject] = []
    for k, start in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else len(items)
        part = ContentItem.container(_SUBJECT_CLASS, items[start + 1 : end])
        kind = items[start].value
        if same_concept(kind, _cid_code(271, "Fetus")):
            f = tid1008.SubjectContextFetus
            out.append(
                FetusSubject(
                    _text(part, f, "4"),
                    _text(part, f, "3"),
                    _uid(part, f, "2"),
                    _pname(part, f, "1"),
                )
            )
        elif same_concept(kind, _cid_code(271, "Specimen")):
            s = tid1009.SubjectContextSpecimen
            kind_item = part.first(s.concept("5"), "CODE")
            out.append(
                SpecimenSubject(
                    _uid(part, s, "1"),
                    _text(part, s, "3"),
                    _text(part, s, "4"),
                    kind_item.value if kind_item else None,
                    _text(part, s, "6"),
                )
            )
        elif same_concept(kind, _cid_code(271, "Device Subject")):
            d = tid1010.SubjectContextDevice
            out.append(
                DeviceSubject(
                    _text(part, d, "1") or "",
                    _uid(part, d, "2"),
                    _text(part, d, "3"),
                    _text(part, d, "4"),
                    _text(part, d, "5"),
                    _text(part, d, "6"),
                )
            )
    return out


def _uid(item: ContentItem, template: Any, label: str) -> str | None:
    found = item.first(template.concept(label), "UIDREF")
    return found.value if found is not None else None


def _pname(item: ContentItem, template: Any, label: str) -> str | None:
    found = item.first(template.concept(label), "PNAME")
    return str(found.value) if found is not None else None

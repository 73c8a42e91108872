"""The modules every derived object copies from its sources or fills the same way.

A derived object joins its sources' patient and study, gets a new series and
instance, and names the equipment that made it. These modules are the same for a
Segmentation, a Parametric Map, an SR document or a presentation state, so they are built here
once, with the generated builders, and handed to any IOD class:

* Patient (C.7.1.1), General Study (C.7.2.1) — copied from the first source;
  Clinical Trial Subject (C.7.1.3), Clinical Trial Study (C.7.2.3), Patient Study (C.7.2.2)
  and Specimen (C.7.6.22: a slide's specimen, for whatever is derived from the slide) —
  copied when the source has any of their attributes;
* General Equipment (C.7.5.1), Enhanced General Equipment (C.7.5.2) — :class:`Equipment`;
* SOP Common (C.12.1) — SOP Class and Instance, Specific Character Set copied from the source
  (the patient's name is copied too, so the same character set is needed), creation date/time;
* Frame of Reference (C.7.4.1) — the sources' frame of reference, when they have one;
* General Series (C.7.3.1) for image-like objects — :func:`general_series`, with the body part
  the sources agree on (:func:`series_body_part`). Objects with another series module (SR
  Document Series, Presentation Series) take :class:`Identification` and fill their own.

:func:`common_modules` returns them as a ``dict`` of the IOD's module names, keeping only those
the IOD class has (``IOD.__modules__``), ready for ``IOD(**modules, …)``.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from iodkit.builders import EMPTY
from iodkit.derived.references import value_of
from pydicom.dataset import Dataset
from pydicom.tag import BaseTag
from pydicom.uid import generate_uid

_BODY_PART_EXAMINED = BaseTag(0x00180015)


def _now() -> datetime.datetime:
    return datetime.datetime.now()


@dataclass
class Identification:
    """Series and instance identification of a new derived object, and when it was made.

    UIDs default to new ones; ``created`` (default: now) gives Content Date/Time and Instance
    Creation Date/Time, so an object's dates agree whatever module carries them.
    """

    series_number: int = 1
    instance_number: int = 1
    series_instance_uid: str = field(default_factory=generate_uid)
    sop_instance_uid: str = field(default_factory=generate_uid)
    series_description: str | None = None
    created: datetime.datetime = field(default_factory=_now)

    @classmethod
    def of(
        cls,
        *,
        series_number: int,
        instance_number: int = 1,
        series_instance_uid: str | None = None,
        sop_instance_uid: str | None = None,
        series_description: str | None = None,
    ) -> Identification:
        """From the keyword arguments objects take (``None`` UIDs: new ones)."""
        return cls(
            series_number=series_number,
            instance_number=instance_number,
            series_instance_uid=series_instance_uid or generate_uid(),
            sop_instance_uid=sop_instance_uid or generate_uid(),
            series_description=series_description,
        )

    @property
    def date(self) -> str:
        """DA value of ``created``."""
        return self.created.strftime("%Y%m%d")

    @property
    def time(self) -> str:
        """TM value of ``created`` (with microseconds)."""
        return self.created.strftime("%H%M%S.%f")


@dataclass(frozen=True)
class ContentIdentification:
    """Content Identification Macro (PS3.3 Table 10-12) of a derived image: Content Label
    (Type 1), Content Description and Content Creator's Name (Type 2: written empty when not
    given)."""

    label: str
    description: str | None = None
    creator_name: str | None = None

    def values(self) -> dict[str, Any]:
        """Keyword arguments for a module that includes the macro."""
        return {
            "content_label": self.label,
            "content_description": self.description or EMPTY,
            "content_creator_name": self.creator_name or EMPTY,
        }


def _default_software_versions() -> list[str]:
    from iodkit import __version__

    return [f"iodkit {__version__}"]


@dataclass
class Equipment:
    """The equipment (here: software) that made the object: General Equipment (C.7.5.1) and
    Enhanced General Equipment (C.7.5.2), whose Manufacturer, Manufacturer's Model Name,
    Device Serial Number and Software Versions are Type 1 there."""

    manufacturer: str = "iodkit"
    manufacturer_model_name: str = "iodkit"
    device_serial_number: str = "0"
    software_versions: list[str] = field(default_factory=_default_software_versions)
    institution_name: str | None = None

    @classmethod
    def of(
        cls,
        manufacturer: str = "iodkit",
        manufacturer_model_name: str = "iodkit",
        device_serial_number: str = "0",
        software_versions: str | Sequence[str] | None = None,
        institution_name: str | None = None,
    ) -> Equipment:
        """From the keyword arguments objects take (a single software version as a string)."""
        if software_versions is None:
            versions = _default_software_versions()
        elif isinstance(software_versions, str):
            versions = [software_versions]
        else:
            versions = list(software_versions)
        return cls(
            manufacturer, manufacturer_model_name, device_serial_number, versions, institution_name
        )

    def general_equipment(self) -> Any:
        from iodkit.generated.modules import GeneralEquipmentModule

        return GeneralEquipmentModule(
            manufacturer=self.manufacturer,
            manufacturer_model_name=self.manufacturer_model_name,
            device_serial_number=self.device_serial_number,
            software_versions=self.software_versions,
            institution_name=self.institution_name,
        )

    def enhanced_general_equipment(self) -> Any:
        from iodkit.generated.modules import EnhancedGeneralEquipmentModule

        return EnhancedGeneralEquipmentModule(
            manufacturer=self.manufacturer,
            manufacturer_model_name=self.manufacturer_model_name,
            device_serial_number=self.device_serial_number,
            software_versions=self.software_versions,
        )


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        return [value]
    return list(value)


def character_set(source: Dataset) -> list[str] | None:
    """The source's Specific Character Set (copied with its patient and study text); None
    when it declares none — absent, or present without a value (common in the wild): Type
    1C, "Required if an expanded or replacement character set is used" (Table C.12-1), so an
    empty one means the default repertoire and is not written. Whether the derived object's
    own text needs a set is decided when it is written (:mod:`iodkit.derived.charset`)."""
    value = source.get("SpecificCharacterSet")
    terms = [str(v or "").strip() for v in _as_list(value)] if value is not None else []
    return terms if any(terms) else None


def copied_module(module_cls: type, source: Dataset) -> Any:
    """``module_cls.from_dataset(source)``: the module's attributes as the source has them.

    A source read from a damaged or unusual file can hold an element pydicom cannot decode
    (a stray Sequence Delimitation Item with VR "NONE", a value of the wrong length …); it is
    decoded here, on first access, and the error pydicom raises then says nothing of the
    source: it becomes a :class:`~iodkit.derived.DerivedObjectError` naming the source
    instance, the module and the problem."""
    from iodkit.derived.errors import DerivedObjectError

    try:
        return module_cls.from_dataset(source)  # type: ignore[attr-defined]
    except Exception as exc:  # pydicom's decoding errors are of many classes
        uid = source.get((0x0008, 0x0018))
        name = f"source {uid.value}" if uid is not None else "the source"
        raise DerivedObjectError(
            f"{name}: cannot read the attributes of its {module_cls.__name__} (one of them "
            f"cannot be decoded: {type(exc).__name__}: {exc}); repair or leave out that element"
        ) from exc


def common_modules(
    iod: type,
    source: Dataset,
    *,
    identification: Identification,
    equipment: Equipment,
    sop_class_uid: str | None = None,
    frame_of_reference_uid: str | None = None,
) -> dict[str, Any]:
    """Patient, study, equipment, SOP Common and (given a UID) Frame of Reference modules for
    an instance of ``iod`` (a generated IOD class) derived from ``source``: only the modules
    ``iod`` has, keyed by its module names.

    ``sop_class_uid`` defaults to the IOD's own (PS3.4); give it for IODs with several SOP
    classes. The Frame of Reference's Position Reference Indicator (Type 2) is copied from the
    source, empty when it has none.
    """
    from iodkit.generated import modules as m

    names = iod.__modules__  # type: ignore[attr-defined]
    out: dict[str, Any] = {
        "patient": copied_module(m.PatientModule, source),
        "general_study": copied_module(m.GeneralStudyModule, source),
    }
    for name, module_cls in (
        ("clinical_trial_subject", m.ClinicalTrialSubjectModule),
        ("clinical_trial_study", m.ClinicalTrialStudyModule),
        ("patient_study", m.PatientStudyModule),
        ("specimen", m.SpecimenModule),
    ):
        copied = copied_module(module_cls, source)
        if any(True for _ in copied):
            out[name] = copied
    out["general_equipment"] = equipment.general_equipment()
    out["enhanced_general_equipment"] = equipment.enhanced_general_equipment()
    out["sop_common"] = m.SOPCommonModule(
        sop_class_uid=sop_class_uid or iod.sop_class_uid,  # type: ignore[attr-defined]
        sop_instance_uid=identification.sop_instance_uid,
        specific_character_set=character_set(source),
        instance_creation_date=identification.date,
        instance_creation_time=identification.time,
    )
    if frame_of_reference_uid is not None:
        out["frame_of_reference"] = m.FrameOfReferenceModule(
            frame_of_reference_uid=frame_of_reference_uid,
            position_reference_indicator=(
                str(source.PositionReferenceIndicator)
                if source.get("PositionReferenceIndicator")
                else EMPTY
            ),
        )
    return {name: module for name, module in out.items() if name in names}


def general_series(
    modality: str,
    identification: Identification,
    sources: Sequence[Dataset] = (),
    **values: Any,
) -> Any:
    """General Series Module (C.7.3.1) of a new series of ``modality``, with the body part
    the ``sources`` agree on (:func:`series_body_part`); ``values`` adds other attributes."""
    from iodkit.generated.modules import GeneralSeriesModule

    return GeneralSeriesModule(
        modality=modality,
        series_instance_uid=identification.series_instance_uid,
        series_number=identification.series_number,
        series_description=identification.series_description,
        **series_body_part(sources),
        **values,
    )


def series_body_part(images: Sequence[Dataset]) -> dict[str, Any]:
    """Body Part Examined of a derived series, from its sources, when it is safe.

    A derived image depicts what its source images depict, so the body part they agree on is
    its too (General Series, PS3.3 C.7.3.1; archives route and hang series by it), and it lets
    a validator decide General Series Laterality, Type 2C "Required if the body part examined
    is a paired structure and Image Laterality … or Frame Laterality … or Measurement
    Laterality … are not present". Only a body part PS3.16 Annex L lists as unpaired is
    carried: for a paired one the standard then requires Laterality, which dciodvfy (2026)
    rejects in a Segmentation whatever the body part, so a paired body part is left out rather
    than written into a file one of the two validators refuses. Sources that disagree, or do
    not say, give nothing.
    """
    values = {str(value_of(ds, _BODY_PART_EXAMINED) or "").strip() for ds in images}
    if len(values) != 1 or "" in values:
        return {}
    body_part = values.pop()
    return {"body_part_examined": body_part} if body_part_paired(body_part) is False else {}


def body_part_paired(body_part: str) -> bool | None:
    """Whether PS3.16 Annex L lists the Body Part Examined term ``body_part`` as a paired
    structure; None when it does not say (an unknown term, or no generated rules)."""
    try:
        from iodkit.validation.rules import rule_book

        paired: bool | None = rule_book().anatomy().body_part_paired(body_part)
    except Exception:  # no generated rules: nothing says whether it is paired
        return None
    return paired


#: General Series Laterality's Enumerated Values (C.7.3.1): no value for unpaired, both or
#: unknown (those are Image Laterality's U and B, C.7.6.1).
SERIES_LATERALITY = ("R", "L")


def series_laterality(images: Sequence[Dataset]) -> dict[str, Any]:
    """General Series Laterality of a derived series when no body part is carried over
    (:func:`series_body_part`): the R or L the sources agree on, else empty (Type 2C: required
    when the body part is paired, which nothing then says it is not — dciodvfy presumes so).

    Only the Enumerated Values R and L are copied: a source's 'U', 'B' or lower-case 'l' is
    not a General Series Laterality (sources in the wild carry Image Laterality's terms
    there), and what it meant is not the derived object's to guess — empty says "unknown".
    A Segmentation does not use it: dciodvfy (2026) refuses Laterality there whatever the
    body part."""
    if series_body_part(images):
        return {}
    values = {str(ds.get("Laterality", "") or "").strip() for ds in images}
    if len(values) == 1 and (value := values.pop()) in SERIES_LATERALITY:
        return {"laterality": value}
    return {"laterality": EMPTY}

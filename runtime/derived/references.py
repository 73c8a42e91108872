"""The instances a derived object is made from or refers to, and the reference items for them.

Every derived object — an image (SEG, Parametric Map, Legacy Converted), a document (SR, KOS),
bulk annotations or a presentation state — names other instances, and the standard files those
names in a study → series → instance hierarchy:

* Common Instance Reference Module (PS3.3 C.12.2): *Referenced Series Sequence* for instances
  of the object's own study, one item per series, and *Studies Containing Other Referenced
  Instances Sequence* for the rest, one item per study;
* Hierarchical SOP Instance Reference Macro (PS3.3 Table 10-4): study → *Referenced Series
  Sequence* → *Referenced SOP Sequence*, used by SR evidence (C.17.2.3) and Key Object
  Selection;
* SOP Instance Reference Macro (Table 10-11) and Image SOP Instance Reference Macro (Table
  10-3): one instance, optionally some of its frames.

:class:`SourceInstances` checks the datasets (every one names its SOP Class, SOP Instance,
Series and Study Instance UIDs; no instance twice; one patient) and builds these items as plain
``dict`` values that the generated builders accept for sequence items.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from iodkit.derived.errors import DerivedObjectError
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from pydicom.tag import BaseTag

_UIDS = {
    "SOPClassUID": BaseTag(0x00080016),
    "SOPInstanceUID": BaseTag(0x00080018),
    "SeriesInstanceUID": BaseTag(0x0020000E),
    "StudyInstanceUID": BaseTag(0x0020000D),
}
_PATIENT_ID = BaseTag(0x00100020)
_ISSUER = BaseTag(0x00100021)


def value_of(ds: Dataset, tag: BaseTag) -> Any:
    """``ds``'s value at ``tag``, or None: by tag, and straight from an element pydicom has
    already converted — several times faster than by keyword, which counts when hundreds of
    source datasets are checked. A raw element (as read from a file) is converted by
    ``ds[tag]`` as usual, once."""
    elem = ds.get_item(tag)
    if elem is None:
        return None
    if isinstance(elem, DataElement):
        return elem.value
    return ds[tag].value


@dataclass(frozen=True)
class InstanceReference:
    """One referenced instance, where it sits in the hierarchy, and optionally some of its
    frames (1-based Referenced Frame Numbers)."""

    sop_class_uid: str
    sop_instance_uid: str
    series_instance_uid: str
    study_instance_uid: str
    frame_numbers: tuple[int, ...] = ()

    @classmethod
    def from_dataset(
        cls, ds: Dataset, frame_numbers: Iterable[int] = (), *, what: str = "instance"
    ) -> InstanceReference:
        """The reference to ``ds``; raises :class:`DerivedObjectError` naming a missing UID."""
        uids = {k: value_of(ds, tag) for k, tag in _UIDS.items()}
        missing = [k for k, v in uids.items() if not v]
        if missing:
            raise DerivedObjectError(f"{what} has no {' or '.join(missing)}")
        return cls(
            str(uids["SOPClassUID"]),
            str(uids["SOPInstanceUID"]),
            str(uids["SeriesInstanceUID"]),
            str(uids["StudyInstanceUID"]),
            tuple(int(f) for f in frame_numbers),
        )

    def item(self) -> dict[str, Any]:
        """SOP Instance Reference Macro item (Table 10-11), with Referenced Frame Number
        when frames are named (Image SOP Instance Reference Macro, Table 10-3)."""
        out: dict[str, Any] = {
            "referenced_sop_class_uid": self.sop_class_uid,
            "referenced_sop_instance_uid": self.sop_instance_uid,
        }
        if self.frame_numbers:
            out["referenced_frame_number"] = list(self.frame_numbers)
        return out


def by_series(references: Iterable[InstanceReference]) -> dict[str, list[InstanceReference]]:
    """References grouped by Series Instance UID, series and instances in the order given."""
    out: dict[str, list[InstanceReference]] = {}
    for ref in references:
        out.setdefault(ref.series_instance_uid, []).append(ref)
    return out


def by_study(
    references: Iterable[InstanceReference],
) -> dict[str, dict[str, list[InstanceReference]]]:
    """References grouped by study, then series, in the order given."""
    out: dict[str, dict[str, list[InstanceReference]]] = {}
    for ref in references:
        study = out.setdefault(ref.study_instance_uid, {})
        study.setdefault(ref.series_instance_uid, []).append(ref)
    return out


class SourceInstances:
    """Checked datasets a derived object is made from (or refers to) and their references.

    ``what`` names them in errors ("source image", "evidence"). All must belong to one patient
    (Patient ID and Issuer of Patient ID agree; PS3.3 A.1.2.2: "each Study is associated with
    exactly one Patient"); with ``one_study`` (default) also to one study, which the derived
    object then joins. The first dataset supplies the patient and study modules.
    """

    def __init__(
        self, datasets: Sequence[Dataset] | Dataset, *, what: str = "source", one_study: bool = True
    ) -> None:
        images = [datasets] if isinstance(datasets, Dataset) else list(datasets)
        if not images:
            raise DerivedObjectError(f"no {what}s given")
        for i, ds in enumerate(images):
            if not isinstance(ds, Dataset):
                raise DerivedObjectError(
                    f"{what} {i} is a {type(ds).__name__}, not a pydicom Dataset"
                )
        self.what = what
        self.datasets: list[Dataset] = images
        self.references = [
            InstanceReference.from_dataset(ds, what=f"{what} {i}") for i, ds in enumerate(images)
        ]
        seen: dict[str, int] = {}
        for i, ref in enumerate(self.references):
            j = seen.setdefault(ref.sop_instance_uid, i)
            if j != i:
                raise DerivedObjectError(
                    f"the same source SOP Instance UID is given twice: {ref.sop_instance_uid} "
                    f"({what}s {j} and {i})"
                )
        studies = {r.study_instance_uid for r in self.references}
        if one_study and len(studies) > 1:
            raise DerivedObjectError(
                f"{what}s belong to {len(studies)} studies; a derived object's {what}s share "
                "one study"
            )
        patients = {
            (str(value_of(ds, _PATIENT_ID) or ""), str(value_of(ds, _ISSUER) or ""))
            for ds in images
        }
        if len(patients) > 1:
            listed = ", ".join(sorted(p or "(none)" for p, _ in patients))
            raise DerivedObjectError(
                f"{what}s belong to {len(patients)} patients (Patient ID {listed}); a derived "
                "object is about one patient"
            )

    @property
    def first(self) -> Dataset:
        return self.datasets[0]

    @property
    def study_instance_uid(self) -> str:
        return self.references[0].study_instance_uid

    def by_series(self) -> dict[str, list[InstanceReference]]:
        return by_series(self.references)

    def referenced_series_items(self) -> list[dict[str, Any]]:
        """Common Instance Reference Module (C.12.2) *Referenced Series Sequence*: one item per
        series of the object's own study, each listing its instances."""
        own = [r for r in self.references if r.study_instance_uid == self.study_instance_uid]
        return series_items(own, "referenced_instance_sequence")

    def other_studies_items(self) -> list[dict[str, Any]]:
        """Common Instance Reference Module *Studies Containing Other Referenced Instances
        Sequence*: one item per other study (empty when all share the object's study)."""
        others = [r for r in self.references if r.study_instance_uid != self.study_instance_uid]
        return [
            {
                "study_instance_uid": study,
                "referenced_series_sequence": series_items(
                    [r for refs in series.values() for r in refs], "referenced_instance_sequence"
                ),
            }
            for study, series in by_study(others).items()
        ]

    def hierarchical_items(self) -> list[dict[str, Any]]:
        """Hierarchical SOP Instance Reference Macro (Table 10-4) items, one per study: what
        SR evidence sequences and Key Object Selection documents hold."""
        return hierarchical_items(self.references)


def series_items(
    references: Iterable[InstanceReference], instances_keyword: str
) -> list[dict[str, Any]]:
    """One item per series: Series Instance UID and the instances under ``instances_keyword``
    (``referenced_instance_sequence`` in C.12.2, ``referenced_sop_sequence`` in Table 10-4)."""
    return [
        {"series_instance_uid": uid, instances_keyword: [r.item() for r in refs]}
        for uid, refs in by_series(references).items()
    ]


def hierarchical_items(references: Iterable[InstanceReference]) -> list[dict[str, Any]]:
    """Hierarchical SOP Instance Reference Macro (Table 10-4) items, one per study."""
    return [
        {
            "study_instance_uid": study,
            "referenced_series_sequence": series_items(
                [r for refs in series.values() for r in refs], "referenced_sop_sequence"
            ),
        }
        for study, series in by_study(references).items()
    ]

"""Read any SR document; query a TID 1500 Measurement Report like highdicom does.

    from iodkit.sr import read_sr

    doc = read_sr("report.dcm")                      # a path, a file object or a Dataset
    for group in doc.get_planar_roi_measurement_groups(finding_type=NODULE):
        print(group.tracking_identifier, [(m.name.meaning, m.value, m.unit.value)
                                          for m in group.get_measurements()])
    for path, item in doc.walk():                    # any SR, generically
        print(".".join(map(str, path)), item.describe(), item.row)

The content tree is decoded straight from the file's bytes (:mod:`iodkit.sr.decode`); groups
and measurements become the same dataclasses reports are written with
(:mod:`iodkit.sr.groups`, :mod:`iodkit.sr.measurements`), each keeping its content item.

Query semantics follow highdicom's ``MeasurementReport`` getters: groups are the "Measurement
Group" containers under "Imaging Measurements"; a group's template is its Content Template
Sequence, else inferred from the region items it holds (one image region or a segmentation
frame: planar; several image regions, a segment or a volume surface: volumetric; none: image
group); codes match by value and scheme (SNOMED's SRT and SCT spellings alike).

Errors: a file that is not DICOM, not an SR document, or whose content tree cannot be walked
raises :class:`SRReadError` naming the file and, for the tree, the item's position.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any, BinaryIO

import iodkit.templates.tid1500 as tid1500
from iodkit.codes import Code, CodeLike
from iodkit.derived.readguard import ArgumentError, guarded, opening, source_name
from iodkit.pixels.files import read_dataset
from iodkit.sr.content import ContentItem, Reference, same_concept
from iodkit.sr.context import read_observers, read_subjects, subject_class
from iodkit.sr.decode import content_sequence_bytes, decode_content
from iodkit.sr.groups import (
    IMAGE_REGION,
    MEASUREMENT_GROUP,
    REFERENCED_SEGMENT,
    REFERENCED_SEGMENTATION_FRAME,
    REGION_IN_SPACE,
    VOLUME_SURFACE,
    ImageMeasurements,
    ImageRegion,
    MeasurementGroup,
    PlanarROIMeasurements,
    ReferencedSegment,
    ReferencedSegmentationFrame,
    RegionInSpace,
    VolumetricROIMeasurements,
)
from iodkit.sr.match import annotate
from iodkit.sr.measurements import AlgorithmIdentification, Measurement, QualitativeEvaluation
from iodkit.sr.report import DerivedMeasurement
from pydicom.dataset import Dataset

__all__ = ["SRDocument", "SRReadError", "read_sr"]

_IMAGING_MEASUREMENTS = tid1500.MeasurementReport.concept("6")
_PROCEDURE_REPORTED = tid1500.MeasurementReport.concept("4")
_EVALUATIONS = tid1500.MeasurementReport.concept("12")
_DERIVED = tid1500.MeasurementReport.concept("10")
_KINDS: dict[str, type[MeasurementGroup]] = {
    "1410": PlanarROIMeasurements,
    "1411": VolumetricROIMeasurements,
    "1501": ImageMeasurements,
}


class SRReadError(ValueError):
    """An SR document cannot be read; the message names the file."""


def read_sr(source: str | os.PathLike[str] | BinaryIO | Dataset) -> SRDocument:
    """The SR document at ``source`` (a path, a binary file or a pydicom Dataset)."""
    with opening(SRReadError, "SR document", source) as name:
        dataset = source if isinstance(source, Dataset) else read_dataset(source)
        return SRDocument(dataset, name)


@guarded(SRReadError, "SR document")
class SRDocument:
    """An SR document read back: its dataset, its content tree, and queries on it. Opening
    and every query raise only :class:`SRReadError` naming the file on a damaged document
    (:mod:`iodkit.derived.readguard`)."""

    def __init__(self, dataset: Dataset, name: str | None = None) -> None:
        self.dataset = dataset
        self.name = self._source_name = name or source_name(dataset)
        value_type = dataset.get("ValueType")
        title_items = dataset.get("ConceptNameCodeSequence")
        if value_type != "CONTAINER" or not title_items:
            raise SRReadError(
                f"{self.name}: not an SR document (SOP Class {dataset.get('SOPClassUID', '?')}): "
                "no root CONTAINER with a concept name (PS3.3 C.17.3)"
            )
        try:
            found = content_sequence_bytes(dataset)
            charset = dataset.get("SpecificCharacterSet")
            children = (
                []
                if found is None
                else decode_content(found[0], implicit_vr=found[1], specific_character_set=charset)
            )
            from iodkit.sr.decode import Decoder

            title = Decoder(charset).code(_plain(title_items[0]))
            template = dataset.get("ContentTemplateSequence")
            tid = str(template[0].get("TemplateIdentifier", "")) if template else None
        except Exception as exc:  # any malformed tree: an error naming the file, no traceback
            raise SRReadError(f"{self.name}: cannot read the content tree: {exc}") from exc
        self.content = ContentItem(
            "CONTAINER",
            title,
            str(dataset.get("ContinuityOfContent") or "SEPARATE"),
            children=children,
            template=tid or None,
            check=False,
        )
        self._groups: list[tuple[str, ContentItem]] | None = None
        self._annotated = False

    # -- the document -----------------------------------------------------------------------
    @property
    def title(self) -> Code:
        return self.content.name  # type: ignore[return-value]

    @property
    def template(self) -> str | None:
        """The root template: Content Template Sequence, else TID 1500 when the title is one
        of CID 7021's (the Measurement Report titles), else None."""
        if self.content.template:
            return self.content.template
        from iodkit.sr.valuesets import in_group

        return "1500" if in_group(self.title, 7021) else None

    @property
    def sop_class_uid(self) -> str:
        return str(self.dataset.SOPClassUID)

    def walk(self, annotate_rows: bool = True) -> Iterator[tuple[tuple[int, ...], ContentItem]]:
        """Every content item with its position (1-based, the root is 1); with
        ``annotate_rows`` each item's ``row`` is set to the template row it matches, as the
        template pass of ``iodkit validate`` matches it (:mod:`iodkit.sr.match`): the root
        template from Content Template Sequence, else the one the title fits; items several
        rows fit equally are left unmatched, never guessed."""
        if annotate_rows and not self._annotated:
            annotate(self.content, self.dataset, self.template)
            self._annotated = True
        return self.content.walk()

    def item_at(self, path: tuple[int, ...] | list[int]) -> ContentItem:
        """The item at ``path`` (a by-reference item's Referenced Content Item Identifier)."""
        item = self.content
        for position in tuple(path)[1:]:
            item = item.children[position - 1]
        return item

    def get_evidence_series(self, current_procedure_only: bool = False) -> list[tuple[str, str]]:
        """(Study, Series Instance UID) of every series with evidence, in order."""
        pairs = ((e[0], e[1]) for e in self.get_evidence(current_procedure_only))
        return list(dict.fromkeys(pairs))

    def get_evidence(self, current_procedure_only: bool = False) -> list[tuple[str, str, str, str]]:
        """(Study, Series, SOP Instance, SOP Class UID) of every evidence instance."""
        keys = ["CurrentRequestedProcedureEvidenceSequence"]
        if not current_procedure_only:
            keys.append("PertinentOtherEvidenceSequence")
        out: dict[tuple[str, str, str, str], None] = {}
        for key in keys:
            for study in self.dataset.get(key, []):
                for series in study.get("ReferencedSeriesSequence", []):
                    for inst in series.get("ReferencedSOPSequence", []):
                        out[
                            (
                                str(study.StudyInstanceUID),
                                str(series.SeriesInstanceUID),
                                str(inst.ReferencedSOPInstanceUID),
                                str(inst.ReferencedSOPClassUID),
                            )
                        ] = None
        return list(out)

    # -- TID 1500 ---------------------------------------------------------------------------
    @property
    def procedure_reported(self) -> list[Code]:
        return [i.value for i in self.content.find(_PROCEDURE_REPORTED, "CODE")]

    def get_observers(self) -> list[Any]:
        """Person and device observers (TID 1002) at the root, in order."""
        return read_observers(self.content)

    @property
    def subject_class(self) -> Code | None:
        return subject_class(self.content)

    def get_subject_contexts(self) -> list[Any]:
        """Subjects other than the patient (TID 1006): :class:`FetusSubject`,
        :class:`SpecimenSubject` or :class:`DeviceSubject`, as at the root."""
        return read_subjects(self.content)

    def get_derived_measurements(self) -> list[DerivedMeasurement]:
        """TID 1420 measurements (TID 1500 row 10), each with the groups it refers to."""
        out = []
        for container in self.content.find(_DERIVED, "CONTAINER"):
            for item in container.find(value_type="NUM"):
                groups = []
                for ref in item.children:
                    if ref.value_type is None and ref.reference:
                        target = self.item_at(ref.reference)
                        kind = _kind(target)
                        groups.append(self._group(kind, target))
                value = item.value
                algorithm = AlgorithmIdentification.from_items(item.children)
                out.append(
                    DerivedMeasurement(
                        item.name or _DERIVED,
                        value.value,
                        value.unit,
                        groups,  # type: ignore[arg-type]
                        qualifier=value.qualifier,
                        algorithm=algorithm,
                        item=item,
                    )
                )
        return out

    def _group_items(self) -> list[tuple[str, ContentItem]]:
        if self._groups is None:
            containers = self.content.find(_IMAGING_MEASUREMENTS, "CONTAINER")
            items = containers[0].find(MEASUREMENT_GROUP, "CONTAINER") if containers else []
            self._groups = [(_kind(i), i) for i in items]
        return self._groups

    def get_measurement_groups(self, kind: str | None = None) -> list[MeasurementGroup]:
        """Every group (or those of ``kind``: "1410", "1411", "1501"), in document order."""
        return [self._group(k, i) for k, i in self._group_items() if kind is None or k == kind]

    def _group(self, kind: str, item: ContentItem) -> MeasurementGroup:
        try:
            return _KINDS[kind].from_item(item)
        except Exception as exc:  # an item that breaks the template: name the file
            raise SRReadError(
                f"{self.name}: cannot read measurement group {item.describe()} (TID {kind}): {exc}"
            ) from exc

    def get_planar_roi_measurement_groups(self, **filters: Any) -> list[PlanarROIMeasurements]:
        """TID 1410 groups, filtered as highdicom does: ``tracking_uid``, ``finding_type``,
        ``finding_site``, ``reference_type``, ``graphic_type``, ``referenced_sop_instance_uid``,
        ``referenced_sop_class_uid``."""
        return self._query("1410", filters)  # type: ignore[return-value]

    def get_volumetric_roi_measurement_groups(
        self, **filters: Any
    ) -> list[VolumetricROIMeasurements]:
        """TID 1411 groups, with the filters of :meth:`get_planar_roi_measurement_groups`."""
        return self._query("1411", filters)  # type: ignore[return-value]

    def get_image_measurement_groups(self, **filters: Any) -> list[ImageMeasurements]:
        """TID 1501 groups: ``tracking_uid``, ``finding_type``, ``finding_site``,
        ``referenced_sop_instance_uid``, ``referenced_sop_class_uid``."""
        return self._query("1501", filters)  # type: ignore[return-value]

    def get_measurements(self, name: CodeLike | None = None) -> list[Measurement]:
        """The measurements of every group (named ``name``, if given)."""
        return [m for g in self.get_measurement_groups() for m in g.get_measurements(name)]

    def get_qualitative_evaluations(
        self, name: CodeLike | None = None
    ) -> list[QualitativeEvaluation]:
        """Evaluations of every group and of the report (TID 1500 rows 12-14)."""
        out = [
            e for g in self.get_measurement_groups() for e in g.get_qualitative_evaluations(name)
        ]
        for container in self.content.find(_EVALUATIONS, "CONTAINER"):
            for item in container.children:
                if (
                    item.value_type in ("CODE", "TEXT")
                    and item.relationship == "CONTAINS"
                    and (name is None or same_concept(item.name, name))
                ):
                    out.append(QualitativeEvaluation.from_item(item))
        return out

    def _query(self, kind: str, filters: dict[str, Any]) -> list[MeasurementGroup]:
        allowed = {
            "tracking_uid",
            "finding_type",
            "finding_site",
            "reference_type",
            "graphic_type",
            "referenced_sop_instance_uid",
            "referenced_sop_class_uid",
        }
        unknown = set(filters) - allowed
        if unknown:
            raise ArgumentError(f"unknown filter(s) {', '.join(sorted(unknown))}")
        out = []
        for k, item in self._group_items():
            if k != kind:
                continue
            group = self._group(k, item)
            if _matches(group, filters):
                out.append(group)
        return out

    def __repr__(self) -> str:
        return f"<SRDocument {self.name}: {self.title.meaning!r}, TID {self.template}>"


def _plain(item: Any) -> dict[int, bytes]:
    """A code item of pydicom's as the raw decoder's dict (for the root's title)."""
    out: dict[int, bytes] = {}
    for tag in (0x00080100, 0x00080102, 0x00080103, 0x00080104, 0x00080119, 0x00080120):
        if tag in item:
            out[tag] = str(item[tag].value).encode("utf-8")
    return out


def _kind(item: ContentItem) -> str:
    """A group's template: Content Template Sequence, else what its region items say."""
    if item.template in _KINDS:
        return item.template
    counts = {"scoord": 0, "scoord3d": 0, "surface": 0, "segment": 0, "frame": 0, "space": 0}
    for c in item.children:
        if c.name is None or c.relationship != "CONTAINS":
            continue
        if same_concept(c.name, IMAGE_REGION):
            counts["scoord" if c.value_type == "SCOORD" else "scoord3d"] += 1
        elif same_concept(c.name, VOLUME_SURFACE):
            counts["surface"] += 1
        elif same_concept(c.name, REFERENCED_SEGMENT):
            counts["segment"] += 1
        elif same_concept(c.name, REFERENCED_SEGMENTATION_FRAME):
            counts["frame"] += 1
        elif same_concept(c.name, REGION_IN_SPACE):
            counts["space"] += 1
    volumetric = counts["surface"] or counts["segment"]
    if not volumetric and (
        counts["scoord"] + counts["scoord3d"] == 1 or counts["frame"] or counts["space"] == 1
    ):
        return "1410"
    if (counts["scoord"] > 1 or volumetric or counts["space"]) and not (
        counts["frame"] or counts["scoord3d"]
    ):
        return "1411"
    return "1501"


def _matches(group: MeasurementGroup, f: dict[str, Any]) -> bool:
    if f.get("tracking_uid") is not None and group.tracking_uid != f["tracking_uid"]:
        return False
    if f.get("finding_type") is not None and not (
        group.finding_type is not None and same_concept(group.finding_type, f["finding_type"])
    ):
        return False
    if f.get("finding_site") is not None and not any(
        same_concept(s.site, f["finding_site"]) for s in group.sites
    ):
        return False
    if f.get("reference_type") is not None and not (
        group.reference_type is not None and same_concept(group.reference_type, f["reference_type"])
    ):
        return False
    if f.get("graphic_type") is not None:
        wanted = getattr(f["graphic_type"], "value", f["graphic_type"])
        if wanted not in _graphic_types(group):
            return False
    uid, cls = f.get("referenced_sop_instance_uid"), f.get("referenced_sop_class_uid")
    if uid is not None or cls is not None:
        return any(
            (uid is None or r.sop_instance_uid == uid) and (cls is None or r.sop_class_uid == cls)
            for r in _references(group)
        )
    return True


def _graphic_types(group: MeasurementGroup) -> set[str]:
    region = getattr(group, "region", None)
    regions = region if isinstance(region, list) else [region]
    out = set()
    for r in regions:
        if isinstance(r, ImageRegion):
            out.add(r.scoord.graphic_type)
        elif r is not None and hasattr(r, "scoord3d"):
            out.add(r.scoord3d.graphic_type)
        elif r is not None and hasattr(r, "surfaces"):
            out.update(s.graphic_type for s in r.surfaces)
    return out


def _references(group: MeasurementGroup) -> list[Reference]:
    """The instances the group's region (or, for image groups, its sources) names."""
    region = getattr(group, "region", None)
    regions = region if isinstance(region, list) else [region]
    out: list[Reference] = []
    for r in regions:
        if isinstance(r, ImageRegion) and isinstance(r.source_image, Reference):
            out.append(r.source_image)
        elif isinstance(r, ReferencedSegmentationFrame | ReferencedSegment):
            out.append(r.segmentation)
            extra = r.source_image if isinstance(r, ReferencedSegmentationFrame) else None
            out.extend([extra] if extra else getattr(r, "source_images", []))
        elif isinstance(r, RegionInSpace):
            out.append(r.structure_set)
    if isinstance(group, ImageMeasurements):
        out.extend(group.source_images)
    return [r for r in out if isinstance(r, Reference)]

"""TID 1500 Measurement Report: what ML models most often store about the images they read.

    from iodkit.sr import ImageRegion, Measurement, MeasurementReport, PlanarROIMeasurements

    nodule = PlanarROIMeasurements(
        tracking_identifier="nodule 1",
        finding_type=NODULE, finding_sites=[LUNG],
        region=ImageRegion(Scoord("POLYLINE", outline), source_image=ct[12]),
        measurements=[Measurement(AREA, 42.0, MM2)],
    )
    report = MeasurementReport([nodule], procedure_reported=[CT_CHEST])
    report.save("report.dcm", evidence=ct)

The report is built by the generated TID 1500 builder (``iodkit.templates.tid1500``), which
checks every row (value types, VM, mandatory rows, conditions, value sets) as it is given;
the groups go under Imaging Measurements (row 6), report-level evaluations under Qualitative
Evaluations (row 12). The document is written by :class:`~iodkit.sr.document.SRDocumentWriter`:
Comprehensive SR, or Comprehensive 3D SR when a region is 3D (or as asked), with the evidence
sequences built from the instances the tree references.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import iodkit.templates.tid1420 as tid1420
import iodkit.templates.tid1500 as tid1500
from iodkit.codes import CodeLike, cid7021
from iodkit.derived import Equipment
from iodkit.sr.content import ContentError, ContentItem, Numeric, as_code, as_codes
from iodkit.sr.context import (
    ENGLISH_US,
    DeviceObserver,
    DeviceSubject,
    FetusSubject,
    PersonObserver,
    SpecimenSubject,
    image_library,
    language,
    observation_context,
)
from iodkit.sr.document import SRDocumentWriter, identification_from
from iodkit.sr.groups import MeasurementGroup, PlanarROIMeasurements, VolumetricROIMeasurements
from iodkit.sr.measurements import AlgorithmIdentification, QualitativeEvaluation
from pydicom.dataset import Dataset
from pydicom.uid import generate_uid

__all__ = ["DerivedMeasurement", "MeasurementReport"]

_R = tid1500.MeasurementReport


_D = tid1420.MeasurementsDerivedFromMultipleROIMeasurements


@dataclass
class DerivedMeasurement:
    """A measurement derived from several ROI groups' measurements (TID 1420, under TID 1500
    row 10 "Derived Imaging Measurements"): ``name`` (CID 7465, e.g. the mean of the lesions'
    mean densities), ``value`` and ``unit``, and the ``groups`` it was derived from — all
    planar or all volumetric (rows 2-3, XOR), referred to by reference (R-INFERRED FROM), so
    they must be groups of the same report."""

    name: CodeLike
    value: float | int | None
    unit: CodeLike | None
    groups: Sequence[PlanarROIMeasurements | VolumetricROIMeasurements]
    qualifier: CodeLike | None = None
    algorithm: AlgorithmIdentification | None = None
    item: ContentItem | None = field(default=None, compare=False, repr=False)

    def builder(self) -> Any:
        planar = [g.builder() for g in self.groups if isinstance(g, PlanarROIMeasurements)]
        volumetric = [g.builder() for g in self.groups if isinstance(g, VolumetricROIMeasurements)]
        if len(planar) + len(volumetric) != len(self.groups):
            raise ContentError("DerivedMeasurement.groups: planar or volumetric ROI groups only")
        return _D(
            concept_name=as_code(self.name, "DerivedMeasurement.name"),
            value=Numeric(self.value, self.unit, self.qualifier),
            algorithm_identification=self.algorithm.builder() if self.algorithm else None,
            planar_roi_measurements_and_qualitative_evaluations=planar or None,
            volumetric_roi_measurements_and_qualitative_evaluations=volumetric or None,
        )


def default_observer(equipment: Equipment) -> DeviceObserver:
    """The software that writes the report as its device observer (TID 1004), with a UID
    derived from the equipment's identity, so the same software gets the same UID."""
    uid = generate_uid(
        entropy_srcs=[
            equipment.manufacturer,
            equipment.manufacturer_model_name,
            equipment.device_serial_number,
        ]
    )
    return DeviceObserver(
        uid,
        name=equipment.manufacturer_model_name,
        manufacturer=equipment.manufacturer,
        model_name=equipment.manufacturer_model_name,
        serial_number=equipment.device_serial_number,
    )


class MeasurementReport:
    """A TID 1500 Measurement Report.

    ``groups``: :class:`~iodkit.sr.PlanarROIMeasurements`,
    :class:`~iodkit.sr.VolumetricROIMeasurements` and :class:`~iodkit.sr.ImageMeasurements`
    (row 6's rows 7-9). ``title`` from CID 7021 (default Imaging Measurement Report);
    ``procedure_reported`` (row 4, CID 100); ``observers`` (TID 1002; default: the writing
    software as a device); ``subject`` when not the patient; ``language`` (row 2, default
    en-US); ``image_library`` images (row 5, TID 1600); ``algorithm`` for all groups (row 6b);
    ``qualitative_evaluations`` of the whole report (rows 12-14).
    """

    def __init__(
        self,
        groups: Sequence[MeasurementGroup],
        *,
        title: CodeLike = cid7021.IMAGING_MEASUREMENT_REPORT,
        procedure_reported: Sequence[CodeLike] | CodeLike = (),
        observers: Sequence[PersonObserver | DeviceObserver] | None = None,
        subject: FetusSubject | SpecimenSubject | DeviceSubject | None = None,
        language_code: CodeLike | None = ENGLISH_US,
        image_library_images: Sequence[Dataset] = (),
        algorithm: AlgorithmIdentification | None = None,
        qualitative_evaluations: Sequence[QualitativeEvaluation] = (),
        derived_measurements: Sequence[DerivedMeasurement] = (),
        equipment: Equipment | None = None,
    ) -> None:
        if isinstance(groups, MeasurementGroup):
            groups = [groups]
        for i, g in enumerate(groups):
            if not isinstance(g, MeasurementGroup):
                raise ContentError(
                    f"MeasurementReport.groups[{i}]: expected PlanarROIMeasurements, "
                    f"VolumetricROIMeasurements or ImageMeasurements, got {type(g).__name__}"
                )
        self.groups = list(groups)
        self.title = as_code(title, "MeasurementReport.title")
        self.procedure_reported = as_codes(procedure_reported, "procedure_reported")
        self.equipment = equipment or Equipment.of()
        self.observers = (
            list(observers) if observers is not None else [default_observer(self.equipment)]
        )
        self.subject = subject
        self.language_code = language_code
        self.image_library_images = list(image_library_images)
        self.algorithm = algorithm
        self.qualitative_evaluations = list(qualitative_evaluations)
        self.derived_measurements = list(derived_measurements)
        for d in self.derived_measurements:
            mine = {id(g) for g in self.groups}
            missing = [g.tracking_identifier for g in d.groups if id(g) not in mine]
            if missing:
                raise ContentError(
                    f"DerivedMeasurement {d.name}: groups {missing} are not in the report; it "
                    "refers to them by reference (TID 1420 rows 2-3)"
                )
        self._builder = self._build()

    def _build(self) -> Any:
        by = {
            "1410": "planar_roi_measurements_and_qualitative_evaluations",
            "1411": "volumetric_roi_measurements_and_qualitative_evaluations",
            "1501": "measurement_and_qualitative_evaluation_group",
        }
        rows: dict[str, list[Any]] = {}
        for g in self.groups:
            rows.setdefault(by[g.template], []).append(g.builder())
        measurements = None
        if (
            rows
            or self.algorithm is not None
            or not (self.qualitative_evaluations or self.derived_measurements)
        ):
            measurements = _R.ImagingMeasurements(
                algorithm_identification=self.algorithm.builder() if self.algorithm else None,
                **rows,
            )
        evaluations = None
        if self.qualitative_evaluations:
            q = _R.QualitativeEvaluations
            built: dict[str, list[Any]] = {}
            for e in self.qualitative_evaluations:
                key, node = e.builder(_EvaluationRows)
                built.setdefault(key, []).append(node)
            evaluations = q(
                contains_code=built.get("qual_type_code"),
                contains_text=built.get("qual_type_text"),
            )
        derived = None
        if self.derived_measurements:
            derived = _R.DerivedImagingMeasurements(
                measurements_derived_from_multiple_roi_measurements=[
                    d.builder() for d in self.derived_measurements
                ]
            )
        return _R(
            concept_name=self.title,
            language_of_content_item_and_descendants=(
                language(self.language_code) if self.language_code is not None else None
            ),
            observation_context=observation_context(self.observers, self.subject),
            procedure_reported=self.procedure_reported or None,
            image_library=image_library(self.image_library_images)
            if self.image_library_images
            else None,
            imaging_measurements=measurements,
            derived_imaging_measurements=derived,
            qualitative_evaluations=evaluations,
        )

    @property
    def builder(self) -> Any:
        """The generated TID 1500 builder holding the report."""
        return self._builder

    def content(self) -> ContentItem:
        """The root content item (the title CONTAINER, Content Template Sequence TID 1500)."""
        return self._builder.content()[0]  # type: ignore[no-any-return]

    def writer(self, evidence: Sequence[Dataset] | Dataset, **options: Any) -> SRDocumentWriter:
        """The document writer for this report; ``options`` as
        :class:`~iodkit.sr.document.SRDocumentWriter` takes them (``sop_class``, ``series_number``,
        ``instance_number``, ``series_description``, ``complete``, ``final``, ``verified`` …)."""
        ident = identification_from(options)
        return SRDocumentWriter(
            self.content(), evidence, identification=ident, equipment=self.equipment, **options
        )

    def to_dataset(self, evidence: Sequence[Dataset] | Dataset, **options: Any) -> Dataset:
        """The report as a Part 10 dataset (see :meth:`writer` for ``options``)."""
        return self.writer(evidence, **options).to_dataset()

    def save(
        self,
        target: str | os.PathLike[str] | BinaryIO,
        evidence: Sequence[Dataset] | Dataset,
        **options: Any,
    ) -> None:
        """Write the report to ``target`` (atomically for a path)."""
        self.writer(evidence, **options).save(target)


class _EvaluationRows:
    """TID 1500 rows 13-14 under the names :meth:`QualitativeEvaluation.builder` uses."""

    QualTypeCode = _R.QualitativeEvaluations.ContainsCode
    QualTypeText = _R.QualitativeEvaluations.ContainsText

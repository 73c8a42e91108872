"""Structured Reporting: TID 1500 measurement reports and Key Object Selection documents,
built from the template builders generated from PS3.16, written fast, and read back.

Writing a TID 1500 Measurement Report::

    from iodkit.sr import (ImageRegion, Measurement, MeasurementReport, PlanarROIMeasurements,
                           Scoord)

    nodule = PlanarROIMeasurements(
        tracking_identifier="nodule 1", finding_type=NODULE, finding_sites=[LUNG],
        region=ImageRegion(Scoord("POLYLINE", outline), source_image=ct[12]),
        measurements=[Measurement(AREA, 42.0, MM2)],
    )
    MeasurementReport([nodule]).save("report.dcm", evidence=ct)

Reading any SR document (highdicom's query methods and semantics)::

    from iodkit.sr import read_sr
    doc = read_sr("report.dcm")
    groups = doc.get_planar_roi_measurement_groups(finding_type=NODULE)

Modules: :mod:`~iodkit.sr.report` (TID 1500), :mod:`~iodkit.sr.groups` (TID 1410, 1411,
1501), :mod:`~iodkit.sr.measurements` (TID 300, 1419, 310, 4019), :mod:`~iodkit.sr.context`
(TID 1001-1010, 1204, 1600), :mod:`~iodkit.sr.kos` (TID 2010), :mod:`~iodkit.sr.reader`,
:mod:`~iodkit.sr.document` (the SR IODs), :mod:`~iodkit.sr.content` (content items),
:mod:`~iodkit.sr.encode` / :mod:`~iodkit.sr.decode` (trees to bytes and back),
:mod:`~iodkit.sr.template` (the runtime of the generated ``iodkit.templates``),
:mod:`~iodkit.sr.valuesets` (the rule for coded values), :mod:`~iodkit.sr.conditions`,
:mod:`~iodkit.sr.match` (template rows of read items).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# name -> module; loaded on first use, so the generated template modules (which import
# iodkit.sr.content) and this package can import each other in any order
_EXPORTS = {
    "ContentError": "content",
    "ContentItem": "content",
    "Numeric": "content",
    "Reference": "content",
    "Scoord": "content",
    "Scoord3D": "content",
    "Tcoord": "content",
    "DeviceObserver": "context",
    "DeviceSubject": "context",
    "FetusSubject": "context",
    "PersonObserver": "context",
    "SpecimenSubject": "context",
    "DocumentError": "document",
    "SRDocumentWriter": "document",
    "ImageMeasurements": "groups",
    "ImageRegion": "groups",
    "ImageRegion3D": "groups",
    "MeasurementGroup": "groups",
    "MeasurementsAndQualitativeEvaluations": "groups",
    "PlanarROIMeasurements": "groups",
    "PlanarROIMeasurementsAndQualitativeEvaluations": "groups",
    "ReferencedSegment": "groups",
    "ReferencedSegmentationFrame": "groups",
    "RegionInSpace": "groups",
    "VolumeSurface": "groups",
    "VolumetricROIMeasurements": "groups",
    "VolumetricROIMeasurementsAndQualitativeEvaluations": "groups",
    "AlgorithmIdentification": "measurements",
    "FindingSite": "measurements",
    "Measurement": "measurements",
    "MeasurementProperties": "properties",
    "MeasurementStatisticalProperties": "properties",
    "NormalRangeProperties": "properties",
    "LongitudinalTemporalOffsetFromEvent": "context",
    "QualitativeEvaluation": "measurements",
    "SRDocument": "reader",
    "SRReadError": "reader",
    "read_sr": "reader",
    "MeasurementReport": "report",
    "DerivedMeasurement": "report",
    "TimePointContext": "context",
    "KeyObjectSelection": "kos",
    "TemplateError": "template",
    "ValueSetError": "valuesets",
}

__all__ = [
    "DerivedMeasurement",
    "TimePointContext",
    "AlgorithmIdentification",
    "ContentError",
    "ContentItem",
    "DeviceObserver",
    "DeviceSubject",
    "DocumentError",
    "FetusSubject",
    "FindingSite",
    "ImageMeasurements",
    "ImageRegion",
    "ImageRegion3D",
    "KeyObjectSelection",
    "LongitudinalTemporalOffsetFromEvent",
    "Measurement",
    "MeasurementGroup",
    "MeasurementProperties",
    "MeasurementReport",
    "MeasurementStatisticalProperties",
    "MeasurementsAndQualitativeEvaluations",
    "NormalRangeProperties",
    "Numeric",
    "PersonObserver",
    "PlanarROIMeasurements",
    "PlanarROIMeasurementsAndQualitativeEvaluations",
    "QualitativeEvaluation",
    "Reference",
    "ReferencedSegment",
    "ReferencedSegmentationFrame",
    "RegionInSpace",
    "SRDocument",
    "SRDocumentWriter",
    "SRReadError",
    "Scoord",
    "Scoord3D",
    "SpecimenSubject",
    "Tcoord",
    "TemplateError",
    "ValueSetError",
    "VolumeSurface",
    "VolumetricROIMeasurements",
    "VolumetricROIMeasurementsAndQualitativeEvaluations",
    "read_sr",
]

if TYPE_CHECKING:
    from iodkit.sr.content import (
        ContentError,
        ContentItem,
        Numeric,
        Reference,
        Scoord,
        Scoord3D,
        Tcoord,
    )
    from iodkit.sr.context import (
        DeviceObserver,
        DeviceSubject,
        FetusSubject,
        LongitudinalTemporalOffsetFromEvent,
        PersonObserver,
        SpecimenSubject,
        TimePointContext,
    )
    from iodkit.sr.document import DocumentError, SRDocumentWriter
    from iodkit.sr.groups import (
        ImageMeasurements,
        ImageRegion,
        ImageRegion3D,
        MeasurementGroup,
        MeasurementsAndQualitativeEvaluations,
        PlanarROIMeasurements,
        PlanarROIMeasurementsAndQualitativeEvaluations,
        ReferencedSegment,
        ReferencedSegmentationFrame,
        RegionInSpace,
        VolumeSurface,
        VolumetricROIMeasurements,
        VolumetricROIMeasurementsAndQualitativeEvaluations,
    )
    from iodkit.sr.kos import KeyObjectSelection
    from iodkit.sr.measurements import (
        AlgorithmIdentification,
        FindingSite,
        Measurement,
        QualitativeEvaluation,
    )
    from iodkit.sr.properties import (
        MeasurementProperties,
        MeasurementStatisticalProperties,
        NormalRangeProperties,
    )
    from iodkit.sr.reader import SRDocument, SRReadError, read_sr
    from iodkit.sr.report import DerivedMeasurement, MeasurementReport
    from iodkit.sr.template import TemplateError
    from iodkit.sr.valuesets import ValueSetError


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value

"""TID 311 (statistics of a reference population), TID 312 (normal range) and TID 310 row 5
(uncertainty) on measurements, and TID 1502 rows 6-7 (temporal offset from an event) on a
group's time point: written through the generated builders, read back to the same values,
0 findings of iodkit's template pass and dciodvfy; read by highdicom; and highdicom's own
writing of the same read by iodkit."""

from __future__ import annotations

from pathlib import Path

import highdicom as hd
import iodkit
import numpy as np
import pydicom
import pytest
from iodkit.codes import Code, cid223, cid225, cid226, cid280
from iodkit.seg.synthetic import ct_series
from iodkit.sr import (
    ContentError,
    ImageRegion,
    LongitudinalTemporalOffsetFromEvent,
    Measurement,
    MeasurementProperties,
    MeasurementReport,
    MeasurementStatisticalProperties,
    NormalRangeProperties,
    PlanarROIMeasurements,
    Scoord,
    TimePointContext,
    read_sr,
)
from pydicom.sr.codedict import codes

from bench.dciodvfy import dciodvfy_path, errors_and_warnings

MM = Code("mm", "UCUM", "millimeter")
DIAMETER = Code("81827009", "SCT", "Diameter")
PROPERTIES = MeasurementProperties(
    normality=Code("17621005", "SCT", "Normal"),
    statistical_properties=MeasurementStatisticalProperties(
        [
            (cid226.MEAN_VALUE_OF_POPULATION, 7.5, MM),
            (cid226.STANDARD_DEVIATION_OF_POPULATION, 1.25, MM),
        ],
        population_description="adults 40-60",
        authority="Doe J. et al., Radiology 2020",
    ),
    normal_range_properties=NormalRangeProperties(
        [(cid223.NORMAL_RANGE_LOWER_LIMIT, 4.0, MM), (cid223.NORMAL_RANGE_UPPER_LIMIT, 11.0, MM)],
        description="95 % of adults",
    ),
    uncertainty=[(cid225.RANGE_OF_MEASUREMENT_UNCERTAINTY, 0.5, MM)],
)
TIME_POINT = TimePointContext(
    "follow-up 1",
    temporal_offset=LongitudinalTemporalOffsetFromEvent(90, cid280.BASELINE),
)


def report(ct: list[pydicom.Dataset]) -> MeasurementReport:
    outline = Scoord("POLYLINE", np.array([[1, 1], [9, 1], [9, 9], [1, 1]]))
    group = PlanarROIMeasurements(
        tracking_identifier="lesion",
        region=ImageRegion(outline, ct[0]),
        measurements=[Measurement(DIAMETER, 8.0, MM, properties=PROPERTIES)],
        time_point_context=TIME_POINT,
    )
    return MeasurementReport([group])


def test_properties_and_temporal_offset_round_trip(tmp_path: Path) -> None:
    ct = ct_series(1, 16, 16)
    path = tmp_path / "properties.dcm"
    report(ct).save(path, evidence=ct)
    (group,) = read_sr(path).get_planar_roi_measurement_groups()
    (measurement,) = group.measurements
    assert measurement.properties == PROPERTIES
    assert group.time_point_context == TIME_POINT
    assert TIME_POINT.temporal_offset is not None
    assert TIME_POINT.temporal_offset.unit == Code("d", "UCUM", "days")  # the row's DT
    findings = [f for f in iodkit.validate(path) if f.severity in ("error", "warning")]
    assert findings == [], [str(f) for f in findings]
    if dciodvfy_path() is not None:
        assert errors_and_warnings(path)[0] == []
    # highdicom reads the document, and the items are where PS3.16 puts them
    theirs = hd.sr.srread(path).content.get_planar_roi_measurement_groups()[0]
    # highdicom counts every NUM child a measurement, the time point's offset too; iodkit
    # takes the CONTAINS ones (TID 1419 row 5 / TID 300), the offset being observation context
    their_measurement = theirs.get_measurements(name=codes.SCT.Diameter)[0]
    assert (their_measurement.name.value, their_measurement.value) == ("81827009", 8.0)
    names = {
        (i.name.value, i.relationship_type.value) for i in their_measurement[0].ContentSequence
    }
    assert ("373098007", "HAS PROPERTIES") in names and ("371933006", "HAS PROPERTIES") in names
    assert any(i.name.value == "128740" for i in theirs[0].ContentSequence)


def test_highdicoms_writing_reads_to_the_same(tmp_path: Path) -> None:
    ct = ct_series(1, 16, 16)
    mm = hd.sr.CodedConcept("mm", "UCUM", "millimeter")

    def num(code: Code, value: float) -> hd.sr.NumContentItem:
        return hd.sr.NumContentItem(
            name=hd.sr.CodedConcept(code.value, code.scheme, code.meaning),
            value=value,
            unit=mm,
            relationship_type=hd.sr.RelationshipTypeValues.HAS_PROPERTIES,
        )

    properties = hd.sr.MeasurementProperties(
        normality=codes.SCT.Normal,
        measurement_statistical_properties=hd.sr.MeasurementStatisticalProperties(
            values=[num(cid226.MEAN_VALUE_OF_POPULATION, 7.5)], description="adults"
        ),
        normal_range_properties=hd.sr.NormalRangeProperties(
            values=[num(cid223.NORMAL_RANGE_UPPER_LIMIT, 11.0)], description="adults"
        ),
    )
    measurement = hd.sr.Measurement(
        name=codes.SCT.Diameter, value=8.0, unit=mm, properties=properties
    )
    time_point = hd.sr.TimePointContext(
        time_point="follow-up 1",
        temporal_offset_from_event=hd.sr.LongitudinalTemporalOffsetFromEvent(
            value=90, unit=hd.sr.CodedConcept("d", "UCUM", "days"), event_type=codes.DCM.Baseline
        ),
    )
    region = hd.sr.ImageRegion(
        graphic_type=hd.sr.GraphicTypeValues.POLYLINE,
        graphic_data=np.array([[1.0, 1.0], [9.0, 1.0], [9.0, 9.0], [1.0, 1.0]]),
        source_image=hd.sr.SourceImageForRegion.from_source_image(ct[0]),
    )
    group = hd.sr.PlanarROIMeasurementsAndQualitativeEvaluations(
        tracking_identifier=hd.sr.TrackingIdentifier(identifier="lesion"),
        referenced_region=region,
        measurements=[measurement],
        time_point_context=time_point,
    )
    observer = hd.sr.ObserverContext(
        observer_type=codes.cid270.Person,
        observer_identifying_attributes=hd.sr.PersonObserverIdentifyingAttributes(name="Doe^J"),
    )
    document = hd.sr.Comprehensive3DSR(
        evidence=ct,
        content=hd.sr.MeasurementReport(
            observation_context=hd.sr.ObservationContext(observer_person_context=observer),
            procedure_reported=codes.LN.CTUnspecifiedBodyRegion,
            imaging_measurements=[group],
        ),
        series_number=1,
        series_instance_uid=hd.UID(),
        sop_instance_uid=hd.UID(),
        instance_number=1,
    )
    path = tmp_path / "theirs.dcm"
    document.save_as(path)
    (ours,) = read_sr(path).get_planar_roi_measurement_groups()
    props = ours.measurements[0].properties
    assert props is not None and props.normality == Code("17621005", "SCT", "Normal")
    assert props.statistical_properties == MeasurementStatisticalProperties(
        [(cid226.MEAN_VALUE_OF_POPULATION, 7.5, Code("mm", "UCUM", "millimeter"))], "adults"
    )
    assert props.normal_range_properties is not None
    assert props.normal_range_properties.values == [
        (cid223.NORMAL_RANGE_UPPER_LIMIT, 11.0, Code("mm", "UCUM", "millimeter"))
    ]
    assert ours.time_point_context is not None
    assert ours.time_point_context.temporal_offset == LongitudinalTemporalOffsetFromEvent(
        90, Code("121079", "DCM", "Baseline"), Code("d", "UCUM", "days")
    )


def test_bad_input_names_the_argument() -> None:
    with pytest.raises(ContentError, match=r"MeasurementStatisticalProperties.values\[0\]"):
        MeasurementStatisticalProperties([(cid226.MEAN_VALUE_OF_POPULATION, 7.5)])  # type: ignore[list-item]
    with pytest.raises(ContentError, match="TID 312 row 1 is M"):
        NormalRangeProperties([])
    with pytest.raises(ContentError, match="the value is a number"):
        NormalRangeProperties([(cid223.NORMAL_RANGE_UPPER_LIMIT, "11", MM)])  # type: ignore[list-item]
    with pytest.raises(ContentError, match="LongitudinalTemporalOffsetFromEvent.event_type"):
        LongitudinalTemporalOffsetFromEvent(3, "baseline")

"""PixelMed's DicomSRValidator (2022 template rules) on small reports and a KOS iodkit writes.

It finds the root templates and nothing wrong with the KOS. On the report it differs from
PS3.16 2024c in three known ways, each checked here by its words so that any other finding
fails the test (docs/sr.md, "PixelMed's verdicts", gives the reasons):

* "Incorrect relationship" for the TID 310 properties under a measurement: 2024c includes TID
  310 HAS PROPERTIES (TID 1419 row 12, TID 300 row 8), with TID 311 and 312 inside it; PixelMed
  matches Normality to TID 300 row 2 (HAS CONCEPT MOD) and each statistic, normal range limit
  and uncertainty (NUM) to TID 300 rows 9-10 / TID 1419 rows 13-14 (INFERRED FROM);
* "Content Item not in template" for Finding category (TID 1410/1411 row 3a, newer than its
  rules) and for a qualitative evaluation (row 12, whose concept name is the parameter
  $QualType that TID 1500 row 7 leaves unbound: any concept name).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from iodkit.codes import Code, cid223, cid225, cid226, cid280, cid7010
from iodkit.seg.synthetic import ct_series
from iodkit.sr import (
    FindingSite,
    ImageRegion,
    KeyObjectSelection,
    LongitudinalTemporalOffsetFromEvent,
    Measurement,
    MeasurementProperties,
    MeasurementReport,
    MeasurementStatisticalProperties,
    NormalRangeProperties,
    PersonObserver,
    PlanarROIMeasurements,
    QualitativeEvaluation,
    Scoord,
    TimePointContext,
    VolumetricROIMeasurements,
)
from pixelmed import need_pixelmed, validate_all

from bench.dciodvfy import dciodvfy_path, errors_and_warnings

MM2 = Code("mm2", "UCUM", "square millimeter")
NORMAL = Code("17621005", "SCT", "Normal")


def small_report(ct: list) -> MeasurementReport:  # type: ignore[type-arg]
    outline = Scoord("POLYLINE", np.array([[1, 1], [9, 1], [9, 9], [1, 1]]))
    planar = PlanarROIMeasurements(
        tracking_identifier="nodule 1",
        finding_type=Code("27925004", "SCT", "Nodule"),
        finding_category=Code("49755003", "SCT", "Morphologically abnormal structure"),
        finding_sites=[FindingSite(Code("39607008", "SCT", "Lung"))],
        region=ImageRegion(outline, ct[0]),
        measurements=[
            Measurement(
                Code("42798000", "SCT", "Area"),
                40.0,
                MM2,
                properties=MeasurementProperties(
                    normality=NORMAL,
                    statistical_properties=MeasurementStatisticalProperties(
                        [(cid226.MEAN_VALUE_OF_POPULATION, 35.0, MM2)], authority="a study"
                    ),
                    normal_range_properties=NormalRangeProperties(
                        [(cid223.NORMAL_RANGE_UPPER_LIMIT, 50.0, MM2)]
                    ),
                    uncertainty=[(cid225.RANGE_OF_MEASUREMENT_UNCERTAINTY, 2.0, MM2)],
                ),
            )
        ],
        time_point_context=TimePointContext(
            "follow-up",
            temporal_offset=LongitudinalTemporalOffsetFromEvent(30, cid280.BASELINE),
        ),
        qualitative_evaluations=[
            QualitativeEvaluation(
                Code("129755006", "SCT", "Spiculated lesion margin"),
                Code("373066001", "SCT", "Yes"),
            )
        ],
    )
    volumetric = VolumetricROIMeasurements(
        tracking_identifier="nodule 1, volume",
        region=[ImageRegion(outline, ct[k]) for k in range(2)],
        measurements=[
            Measurement(
                Code("118565006", "SCT", "Volume"), 80.0, Code("mm3", "UCUM", "cubic millimeter")
            )
        ],
    )
    return MeasurementReport([planar, volumetric], observers=[PersonObserver("Doe^Jane")])


def test_pixelmed_agrees_but_for_known_rule_differences(tmp_path: Path) -> None:
    need_pixelmed()
    ct = ct_series(3, 16, 16)
    report, kos = tmp_path / "report.dcm", tmp_path / "kos.dcm"
    small_report(ct).save(report, evidence=ct)
    KeyObjectSelection(ct[:2], title=cid7010.FOR_TEACHING, description="two").save(kos)
    found = validate_all([report, kos])
    on_kos, on_report = found[str(kos)], found[str(report)]
    assert on_kos.root == "2010" and on_kos.errors == [] and on_kos.warnings == []
    assert on_report.root == "1500"
    properties = ("Normality", "Mean Value of population", "Normal Range Upper Limit")
    properties += ("+/-, range of measurement uncertainty",)
    for error in on_report.errors:
        assert "Incorrect relationship" in error and "found HAS PROPERTIES" in error, error
        assert any(f'"{name}"): Incorrect' in error for name in properties), error
    # each property is reported (a NUM under one or more of TID 300 rows 9-10 and TID 1419
    # rows 13-14, as PixelMed tries them), and nothing else is
    named = {n for n in properties if any(f'"{n}"): Incorrect' in e for e in on_report.errors)}
    assert named == set(properties)
    for warning in on_report.warnings:
        assert "Content Item not in template" in warning, warning
        assert ('"Finding category"' in warning) or ('"Spiculated lesion margin"' in warning)
    assert len(on_report.warnings) == 2
    if dciodvfy_path() is not None:
        assert errors_and_warnings(report)[0] == [] and errors_and_warnings(kos)[0] == []

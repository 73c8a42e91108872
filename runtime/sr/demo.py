"""The demo's TID 1500 step: a Measurement Report of the segments, referencing the SEG."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from iodkit.demo import DemoRun


def measurement_report(run: DemoRun) -> None:
    """TID 1500 Measurement Report: each segment's volume and mean HU, referencing the SEG."""
    import pydicom
    from iodkit.codes import cid7180, cid7181, cid7462, cid7472, context_group
    from iodkit.sr import (
        AlgorithmIdentification,
        Measurement,
        MeasurementReport,
        ReferencedSegment,
        VolumetricROIMeasurements,
        read_sr,
    )

    assert run.labels is not None and run.volume is not None, "the model step runs first"
    seg = pydicom.dcmread(run.files["seg-binary"], stop_before_pixels=True)
    first, second = run.series[0], run.series[1]
    spacing = [float(v) for v in first.PixelSpacing]
    step = float(
        np.linalg.norm(np.subtract(second.ImagePositionPatient, first.ImagePositionPatient))
    )
    voxel_ml = spacing[0] * spacing[1] * step / 1000.0
    mean = next(c for c in context_group(7464) if c.meaning == "Mean")
    groups = []
    for number, segment in enumerate(run.segments, start=1):
        inside = run.labels == number
        groups.append(
            VolumetricROIMeasurements(
                tracking_identifier=f"segment {number} ({segment.label})",
                finding_category=segment.category,
                finding_type=segment.type,
                region=ReferencedSegment.of(seg, number),
                algorithm=AlgorithmIdentification("HU threshold", "1.0"),
                measurements=[
                    Measurement(
                        cid7472.VOLUME,
                        round(float(inside.sum()) * voxel_ml, 3),
                        cid7462.CUBIC_CENTIMETER,
                    ),
                    Measurement(
                        cid7180.ATTENUATION_COEFFICIENT,
                        round(float(run.volume[inside].mean()), 2),
                        cid7181.HOUNSFIELD_UNIT,
                        derivation=mean,
                    ),
                ],
            )
        )
    path = run.path("sr/measurements.dcm")
    MeasurementReport(groups).save(path, evidence=[*run.series, seg], series_number=300)
    run.wrote(path, "TID 1500 report, one volumetric ROI group per segment", key="sr")
    run.check(path)
    document = read_sr(path)
    for group in document.get_volumetric_roi_measurement_groups(
        referenced_sop_instance_uid=seg.SOPInstanceUID
    ):
        values = ", ".join(
            f"{m.name.meaning} {m.value:g} {m.unit.value}"  # type: ignore[union-attr]
            for m in group.get_measurements()
        )
        run.say(f"read back: {group.tracking_identifier}: {values}")
    if len(document.get_measurement_groups()) != len(run.segments):
        run.fail(
            f"{path}: {len(run.segments)} groups written, "
            f"{len(document.get_measurement_groups())} read back"
        )

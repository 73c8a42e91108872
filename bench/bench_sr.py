"""TID 1500 measurement reports, iodkit vs highdicom 0.28, side by side in one run.

Workload (the issue's): a report of ``--groups`` (default 1,000) planar ROI groups (TID 1410),
each with a tracking identifier and UID, a finding, a finding site, a POLYLINE SCOORD selected
from one of 50 CT images, and 3 NUM measurements (area, diameter, mean attenuation); the CT
series is synthetic metadata.

Operations: *write* = construct the groups and the report with every check the library makes
(iodkit: the generated template builders check every row as values are given) and save it as a
Comprehensive SR; *read* = open the file highdicom wrote (``srread`` / ``read_sr``) and get
every group's measurements with their values and units (``get_planar_roi_measurement_groups``
then ``get_measurements`` per group); *read-own*: the same on the file iodkit wrote.

Measured by the shared harness (:mod:`bench.sidebyside`): one process per case, one warm-up
run each, then ``--repeat`` rounds (default 5) alternating highdicom and iodkit, so load from
other work hits both alike; medians; tracemalloc peak and RSS growth of one run per tool; files
on a RAM disk when there is one. ``--quick``: 100 groups.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

IMAGES = 50


def sources() -> list[Any]:
    from iodkit.seg.synthetic import ct_series

    return ct_series(IMAGES, 64, 64, with_pixels=False)


def outline(k: int) -> np.ndarray:
    return np.array([[2, 2], [30, 2], [30, 30], [2, 30], [2, 2]], dtype=float) + (k % 7)


def write_iodkit(ct: list[Any], groups: int, path: Path) -> None:
    from iodkit.codes import Code
    from iodkit.sr import (
        FindingSite,
        ImageRegion,
        Measurement,
        MeasurementReport,
        PlanarROIMeasurements,
        Scoord,
    )

    area, diameter = Code("42798000", "SCT", "Area"), Code("81827009", "SCT", "Diameter")
    attenuation = Code("112031", "DCM", "Attenuation Coefficient")
    mm2, mm = Code("mm2", "UCUM", "square millimeter"), Code("mm", "UCUM", "millimeter")
    hu = Code("[hnsf'U]", "UCUM", "Hounsfield unit")
    nodule, lung = Code("27925004", "SCT", "Nodule"), Code("39607008", "SCT", "Lung")
    out = []
    for k in range(groups):
        out.append(
            PlanarROIMeasurements(
                tracking_identifier=f"nodule {k}",
                finding_type=nodule,
                finding_sites=[FindingSite(lung)],
                region=ImageRegion(Scoord("POLYLINE", outline(k)), ct[k % len(ct)]),
                measurements=[
                    Measurement(area, 100.0 + k, mm2),
                    Measurement(diameter, 10.0 + k / 100, mm),
                    Measurement(attenuation, -20.5 + k % 40, hu),
                ],
            )
        )
    MeasurementReport(out).save(path, evidence=ct, sop_class="comprehensive")


def write_highdicom(ct: list[Any], groups: int, path: Path) -> None:
    import highdicom as hd
    from pydicom.sr.codedict import codes
    from pydicom.uid import generate_uid

    attenuation = hd.sr.CodedConcept("112031", "DCM", "Attenuation Coefficient")
    hu = hd.sr.CodedConcept("[hnsf'U]", "UCUM", "Hounsfield unit")
    out = []
    for k in range(groups):
        image = ct[k % len(ct)]
        region = hd.sr.ImageRegion(
            graphic_type=hd.sr.GraphicTypeValues.POLYLINE,
            graphic_data=outline(k),
            source_image=hd.sr.SourceImageForRegion(
                referenced_sop_class_uid=image.SOPClassUID,
                referenced_sop_instance_uid=image.SOPInstanceUID,
            ),
        )
        out.append(
            hd.sr.PlanarROIMeasurementsAndQualitativeEvaluations(
                tracking_identifier=hd.sr.TrackingIdentifier(
                    uid=generate_uid(), identifier=f"nodule {k}"
                ),
                referenced_region=region,
                finding_type=codes.SCT.Nodule,
                finding_sites=[hd.sr.FindingSite(codes.SCT.Lung)],
                measurements=[
                    hd.sr.Measurement(codes.SCT.Area, 100.0 + k, codes.UCUM.SquareMillimeter),
                    hd.sr.Measurement(codes.SCT.Diameter, 10.0 + k / 100, codes.UCUM.Millimeter),
                    hd.sr.Measurement(attenuation, -20.5 + k % 40, hu),
                ],
            )
        )
    observer = hd.sr.ObservationContext(
        observer_device_context=hd.sr.ObserverContext(
            observer_type=codes.DCM.Device,
            observer_identifying_attributes=hd.sr.DeviceObserverIdentifyingAttributes(
                uid=generate_uid()
            ),
        )
    )
    report = hd.sr.MeasurementReport(
        observation_context=observer,
        procedure_reported=codes.LN.CTUnspecifiedBodyRegion,
        imaging_measurements=out,
    )
    document = hd.sr.ComprehensiveSR(
        evidence=ct,
        content=report[0],
        series_instance_uid=generate_uid(),
        series_number=1,
        sop_instance_uid=generate_uid(),
        instance_number=1,
        manufacturer="bench",
    )
    document.save_as(path)


def read_iodkit(path: Path) -> list[tuple[str, float, str]]:
    from iodkit.sr import read_sr

    out = []
    for group in read_sr(path).get_planar_roi_measurement_groups():
        for m in group.get_measurements():
            out.append((m.name.value, float(m.value), m.unit.value))  # type: ignore[arg-type, union-attr]
    return out


def read_highdicom(path: Path) -> list[tuple[str, float, str]]:
    import highdicom as hd

    out = []
    content: Any = hd.sr.srread(path).content  # a MeasurementReport for a TID 1500 document
    for group in content.get_planar_roi_measurement_groups():
        for m in group.get_measurements():
            out.append((m.name.value, float(m.value), m.unit.value))
    return out


#: case -> target speed-up over highdicom (the issue's)
CASES = {"sr write": 30.0, "sr read": 20.0, "sr read own file": 20.0}


def prepare(case: str, folder: Path, quick: bool) -> dict[str, Any]:
    """The CT series; for the reads, the two files (each tool's own report) written once."""
    logging.disable(logging.WARNING)
    ct = sources()
    groups = 100 if quick else 1000
    if case != "sr write":
        for tool, write in (("highdicom", write_highdicom), ("iodkit", write_iodkit)):
            target = folder / f"report-{tool}.dcm"
            if not target.exists():
                write(ct, groups, target)
    return {"ct": ct, "groups": groups}


def operation(
    case: str, tool: str, folder: Path, data: dict[str, Any], scratch: bool = False
) -> Any:
    """One write (construct + save) or one read (open + every group's measurements; the
    values come back as an array so the harness compares both tools' outputs)."""
    if case == "sr write":
        target = folder / ("scratch" if scratch else "") / f"written-{tool}.dcm"
        target.parent.mkdir(exist_ok=True)
        write = write_iodkit if tool == "iodkit" else write_highdicom
        return lambda: write(data["ct"], data["groups"], target)
    source = folder / ("report-iodkit.dcm" if case.endswith("own file") else "report-highdicom.dcm")
    read = read_iodkit if tool == "iodkit" else read_highdicom
    return lambda: np.array([value for _, value, _ in read(source)])


def warm_up(tool: str, folder: Path) -> None:
    """A tiny report written and read, so imports and caches are not counted as memory."""
    scratch = folder / f"warm-up-{tool}"
    scratch.mkdir(exist_ok=True)
    ct = sources()[:5]
    write = write_iodkit if tool == "iodkit" else write_highdicom
    read = read_iodkit if tool == "iodkit" else read_highdicom
    write(ct, 5, scratch / "tiny.dcm")
    read(scratch / "tiny.dcm")


def main(argv: list[str]) -> None:
    from bench.sidebyside import run

    groups = 100 if "--quick" in argv else 1000
    run(
        "bench_sr",
        argv,
        f"TID 1500 report of {groups} planar ROI groups (tracking id and UID, "
        f"finding, finding site, a POLYLINE SCOORD from one of {IMAGES} CT images, 3 NUM "
        "measurements each)",
    )

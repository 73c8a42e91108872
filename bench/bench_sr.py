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

Timing: both tools in one process; one warm-up run each, then ``--repeat`` rounds (default 5)
alternating highdicom and iodkit, so load from other work hits both alike; medians reported.
Memory: one process per tool and operation runs it once under tracemalloc (peak) after a
warm-up. Files go to a RAM disk (``/dev/shm``) when there is one.
"""

from __future__ import annotations

import json
import logging
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np

RESULTS = Path(__file__).parent / "results"
TARGETS = {"write": 30.0, "read": 20.0, "read-own": 20.0}
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


def _run(tool: str, operation: str, folder: Path, ct: list[Any], groups: int) -> Any:
    if operation == "write":
        write = write_iodkit if tool == "iodkit" else write_highdicom
        return lambda: write(ct, groups, folder / f"{tool}.dcm")
    source = folder / ("iodkit.dcm" if operation == "read-own" else "highdicom.dcm")
    read = read_iodkit if tool == "iodkit" else read_highdicom
    return lambda: read(source)


def time_worker(folder: Path, groups: int, repeat: int) -> dict[str, Any]:
    logging.disable(logging.WARNING)
    ct = sources()
    out: dict[str, Any] = {}
    for operation in ("write", "read", "read-own"):
        runs = {tool: _run(tool, operation, folder, ct, groups) for tool in ("highdicom", "iodkit")}
        case: dict[str, Any] = {}
        for tool, run in runs.items():  # warm-up (and the files the reads use)
            started = time.perf_counter()
            result = run()
            case[tool] = {"first_s": time.perf_counter() - started, "times_s": []}
            if result is not None:
                case[tool]["result"] = result
        for _ in range(repeat):
            for tool, run in runs.items():
                started = time.perf_counter()
                run()
                case[tool]["times_s"].append(time.perf_counter() - started)
        for tool in runs:
            case[tool]["median_s"] = statistics.median(case[tool]["times_s"])
        if operation != "write":
            a, b = case["iodkit"].pop("result"), case["highdicom"].pop("result")
            case["same_output"] = len(a) == 3 * groups and a == b
        else:
            case["bytes"] = {t: (folder / f"{t}.dcm").stat().st_size for t in runs}
        out[operation] = case
    return out


def memory_worker(folder: Path, groups: int, tool: str, operation: str) -> dict[str, Any]:
    logging.disable(logging.WARNING)
    ct = sources()
    scratch = folder / f"scratch-{tool}"
    scratch.mkdir(exist_ok=True)
    for name in ("iodkit.dcm", "highdicom.dcm"):  # the reads' inputs, written by time_worker
        target = scratch / name
        if not target.exists():
            target.write_bytes((folder / name).read_bytes())
    _run(tool, operation, scratch, ct, 5)()  # warm-up: imports and caches
    run = _run(tool, operation, scratch, ct, groups)
    tracemalloc.start()
    base, _ = tracemalloc.get_traced_memory()
    run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"peak_traced_bytes": peak - base}


def _worker(*args: str) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.bench_sr", "--worker", *args]
    done = subprocess.run(
        command, capture_output=True, text=True, check=False, cwd=Path(__file__).parent.parent
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main(argv: list[str]) -> None:
    groups, repeat = 1000, 5
    for option in argv:
        if option.startswith("--groups="):
            groups = int(option.split("=", 1)[1])
        elif option.startswith("--repeat="):
            repeat = max(5, int(option.split("=", 1)[1]))
        elif option == "--quick":
            groups = 100
    try:
        import highdicom
    except ImportError:
        print("highdicom is not installed: run `make bench` (it installs iodkit[bench])")
        return
    print(
        f"highdicom {highdicom.__version__}; {groups} planar ROI groups (3 measurements "
        f"each) on {IMAGES} CT images; median of {repeat} runs after a warm-up"
    )
    shm = Path("/dev/shm")
    with tempfile.TemporaryDirectory(
        prefix="iodkit-bench-sr-", dir=shm if shm.is_dir() else None
    ) as directory:
        folder = Path(directory)
        timed = _worker("time", str(folder), str(groups), str(repeat))
        for operation, case in timed.items():
            for tool in ("highdicom", "iodkit"):
                case[tool].update(_worker("memory", str(folder), str(groups), tool, operation))
    rows = []
    for operation, case in timed.items():
        ours, theirs = case["iodkit"], case["highdicom"]
        ratio = theirs["median_s"] / ours["median_s"]
        case["ratio"], case["target"] = ratio, TARGETS[operation]
        rows.append(
            [
                operation,
                f"{ours['median_s']:.3f}",
                f"{theirs['median_s']:.3f}",
                f"{ratio:.1f}×",
                f"≥{TARGETS[operation]:g}×",
                "ok" if ratio >= TARGETS[operation] else "MISSED",
                f"{ours['peak_traced_bytes'] / 2**20:.0f} MiB",
                f"{theirs['peak_traced_bytes'] / 2**20:.0f} MiB",
                "" if operation == "write" else ("same" if case["same_output"] else "DIFFERENT"),
            ]
        )
    header = [
        "op",
        "iodkit s",
        "highdicom s",
        "speed-up",
        "target",
        "",
        "iodkit peak",
        "highdicom peak",
        "output",
    ]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    print("\nmedian wall time; peak = tracemalloc peak of one run")
    print("  " + "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    for row in rows:
        print("  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
    write = timed["write"]["bytes"]
    print(f"  file size: iodkit {write['iodkit']:,} B, highdicom {write['highdicom']:,} B")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "sr.json").write_text(
        json.dumps(
            {
                "groups": groups,
                "repeat": repeat,
                "highdicom": highdicom.__version__,
                "cases": timed,
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] == ["--worker"]:
        kind, rest = args[1], args[2:]
        if kind == "time":
            result = time_worker(Path(rest[0]), int(rest[1]), int(rest[2]))
        else:
            result = memory_worker(Path(rest[0]), int(rest[1]), rest[2], rest[3])
        print(json.dumps(result))
    else:
        main(args)

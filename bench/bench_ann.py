"""Bulk annotations, iodkit vs highdicom 0.28, side by side in one run on the same data.

Workload (issue 15): one group of 1,000,000 POLYGONs of 8 vertices each (float32 image
coordinates on a 200,000² slide level, metadata only) with 2 measurements per annotation
(area and perimeter, UCUM units). Both tools start from the same NumPy arrays: the packed
(8,000,000, 2) points and the offsets; highdicom's API takes one array per annotation, so its
runs include the ``np.split`` that makes them (measured alone too, and reported).

Operations:

* *write* — construct + save to a file;
* *read all* — open the file highdicom wrote and get every coordinate (iodkit:
  ``coordinates`` + ``offsets``; highdicom: ``get_graphic_data``, a list of arrays) and both
  measurements;
* *read 1000* — open that file and read 1,000 random annotations one at a time (the same
  indices for both).

Timing: one process per operation builds the inputs once, runs each tool once as a warm-up,
then ``--repeat`` rounds (default 5) alternating highdicom and iodkit so load from elsewhere
on the machine hits both alike; medians are reported. Memory: one process per tool and
operation, one run under tracemalloc (peak traced bytes) and the growth of the process's peak
RSS. Files go to a RAM disk (``/dev/shm``) when there is one. ``--quick``: 100,000 polygons.
"""

from __future__ import annotations

import json
import logging
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

RESULTS = Path(__file__).parent / "results"
TARGETS = {"write": 5.0, "read all": 2.0, "read 1000": 5.0}
OPERATIONS = ("write", "read all", "read 1000")
VERTICES = 8
SIDE = 200_000


def polygons(count: int) -> dict[str, Any]:
    """``count`` octagons scattered over the slide, with area and perimeter (deterministic)."""
    rng = np.random.default_rng(0)
    centres = rng.uniform(20, SIDE - 20, size=(count, 2))
    radii = rng.uniform(3, 12, size=count)
    angles = np.linspace(0, 2 * np.pi, VERTICES, endpoint=False)
    ring = np.stack([np.cos(angles), np.sin(angles)], axis=-1)
    points = (centres[:, None, :] + radii[:, None, None] * ring[None]).reshape(-1, 2)
    area = (0.5 * VERTICES * np.sin(2 * np.pi / VERTICES) * radii**2).astype(np.float32)
    perimeter = (2 * VERTICES * np.sin(np.pi / VERTICES) * radii).astype(np.float32)
    return {
        "points": points.astype(np.float32),
        "offsets": np.arange(0, count * VERTICES + 1, VERTICES, dtype=np.int64),
        "area": area,
        "perimeter": perimeter,
        "indices": rng.integers(0, count, size=1000),
    }


def slide() -> Any:
    from iodkit.seg.synthetic import slide_image

    return slide_image(SIDE, SIDE, tile_size=512)


# -- the two tools ----------------------------------------------------------------------------


def write_iodkit(data: dict[str, Any], source: Any, path: Path) -> None:
    from iodkit.ann import AnnotationGroup, Measurement, MicroscopyBulkSimpleAnnotations
    from iodkit.codes import Code, cid7150, cid8135, cid8136
    from iodkit.seg import AlgorithmIdentification

    group = AnnotationGroup(
        "nuclei",
        cid7150.TISSUE,
        cid8135.NUCLEUS,
        "POLYGON",
        data["points"],
        data["offsets"],
        measurements=[
            Measurement(cid8136.AREA, Code("um2", "UCUM", "square micrometer"), data["area"]),
            Measurement(
                Code("131191004", "SCT", "Perimeter"),
                Code("um", "UCUM", "micrometer"),
                data["perimeter"],
            ),
        ],
        algorithm=AlgorithmIdentification("bench", "1.0"),
    )
    MicroscopyBulkSimpleAnnotations(source, [group]).save(path)


def write_highdicom(data: dict[str, Any], source: Any, path: Path) -> None:
    import highdicom as hd
    from pydicom.sr.codedict import codes
    from pydicom.sr.coding import Code
    from pydicom.uid import generate_uid

    graphic_data = np.split(data["points"], data["offsets"][1:-1])
    group = hd.ann.AnnotationGroup(
        number=1,
        uid=generate_uid(),
        label="nuclei",
        annotated_property_category=codes.SCT.Tissue,
        annotated_property_type=Code("84640000", "SCT", "Nucleus"),
        graphic_type=hd.ann.GraphicTypeValues.POLYGON,
        graphic_data=graphic_data,
        algorithm_type=hd.ann.AnnotationGroupGenerationTypeValues.AUTOMATIC,
        algorithm_identification=hd.AlgorithmIdentificationSequence(
            name="bench", version="1.0", family=codes.cid7162.ArtificialIntelligence
        ),
        measurements=[
            hd.ann.Measurements(
                name=Code("42798000", "SCT", "Area"),
                values=data["area"],
                unit=Code("um2", "UCUM", "square micrometer"),
            ),
            hd.ann.Measurements(
                name=Code("131191004", "SCT", "Perimeter"),
                values=data["perimeter"],
                unit=Code("um", "UCUM", "micrometer"),
            ),
        ],
    )
    ann = hd.ann.MicroscopyBulkSimpleAnnotations(
        source_images=[source],
        annotation_coordinate_type="2D",
        annotation_groups=[group],
        series_instance_uid=generate_uid(),
        series_number=2,
        sop_instance_uid=generate_uid(),
        instance_number=1,
        manufacturer="bench",
        manufacturer_model_name="bench",
        software_versions="1",
        device_serial_number="1",
    )
    ann.save_as(path)


def _checksum(annotation: Callable[[int], np.ndarray], n: int, values: np.ndarray) -> float:
    """Coordinates of the first, middle and last annotation and every measurement, summed:
    cheap next to the read, and equal for both tools when they read the same content."""
    return sum(float(annotation(i).sum()) for i in (0, n // 2, n - 1)) + float(np.nansum(values))


def read_all_iodkit(path: Path, _: Any) -> tuple[int, float]:
    from iodkit.ann import read_annotations

    with read_annotations(path) as ann:
        group = ann.groups[0]
        points, offsets = group.coordinates, group.offsets
        _, values, _ = group.get_measurements()
    n = len(offsets) - 1
    return n, _checksum(lambda i: points[offsets[i] : offsets[i + 1]], n, values)


def read_all_highdicom(path: Path, _: Any) -> tuple[int, float]:
    import highdicom as hd

    group = hd.ann.annread(path).get_annotation_group(number=1)
    data = group.get_graphic_data("2D")
    _, values, _ = group.get_measurements()
    return len(data), _checksum(data.__getitem__, len(data), values)


def read_some_iodkit(path: Path, indices: np.ndarray) -> tuple[int, float]:
    from iodkit.ann import read_annotations

    total = 0.0
    with read_annotations(path) as ann:
        group = ann.groups[0]
        for i in indices:
            total += float(group.annotation(int(i)).sum())
    return len(indices), total


def read_some_highdicom(path: Path, indices: np.ndarray) -> tuple[int, float]:
    import highdicom as hd

    group = hd.ann.annread(path).get_annotation_group(number=1)
    total = 0.0
    for i in indices:
        total += float(group.get_coordinates(int(i) + 1, "2D").sum())
    return len(indices), total


# -- measurements, each in its own process ---------------------------------------------------


def _max_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _runner(tool: str, operation: str, folder: Path, data: dict[str, Any], source: Any) -> Any:
    hd_file = folder / "highdicom.ann.dcm"
    if operation == "write":
        target = hd_file if tool == "highdicom" else folder / "iodkit.ann.dcm"
        write = write_highdicom if tool == "highdicom" else write_iodkit
        return lambda: write(data, source, target)
    if operation == "read all":
        read = read_all_highdicom if tool == "highdicom" else read_all_iodkit
    else:
        read = read_some_highdicom if tool == "highdicom" else read_some_iodkit
    return lambda: read(hd_file, data["indices"])


def time_worker(operation: str, folder: Path, repeat: int, count: int) -> dict[str, Any]:
    logging.disable(logging.WARNING)
    data, source = polygons(count), slide()
    out: dict[str, Any] = {}
    runs = {}
    for tool in ("highdicom", "iodkit"):  # highdicom first: the reads use its file
        runs[tool] = _runner(tool, operation, folder, data, source)
        started = time.perf_counter()
        result = runs[tool]()
        out[tool] = {"first_s": time.perf_counter() - started, "times_s": [], "result": result}
    for _ in range(repeat):
        for tool in ("highdicom", "iodkit"):
            started = time.perf_counter()
            runs[tool]()
            out[tool]["times_s"].append(time.perf_counter() - started)
    for tool in out:
        out[tool]["median_s"] = statistics.median(out[tool]["times_s"])
    if operation == "write":
        started = time.perf_counter()
        np.split(data["points"], data["offsets"][1:-1])
        out["split_s"] = time.perf_counter() - started
        for tool in ("highdicom", "iodkit"):
            out[tool]["file_bytes"] = (folder / f"{tool}.ann.dcm").stat().st_size
    return out


def memory_worker(tool: str, operation: str, folder: Path, count: int) -> dict[str, Any]:
    logging.disable(logging.WARNING)
    small = polygons(100)
    scratch = folder / f"warm-{tool}"
    scratch.mkdir(exist_ok=True)
    for op in OPERATIONS:  # imports and caches are not the measured run's memory
        if op == "write":
            _runner(tool, op, scratch, small, slide())()
            if tool == "iodkit":
                write_highdicom(small, slide(), scratch / "highdicom.ann.dcm")
        else:
            _runner(tool, op, scratch, small, None)()
    data, source = polygons(count), slide()
    target = folder / f"memory-{tool}"
    target.mkdir(exist_ok=True)
    if operation != "write":
        target = folder
    run = _runner(tool, operation, target, data, source)
    baseline = _max_rss()
    tracemalloc.start()
    base, _ = tracemalloc.get_traced_memory()
    result = run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del result
    return {"peak_traced_bytes": peak - base, "rss_growth_bytes": _max_rss() - baseline}


def _worker(*args: str) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.bench_ann", "--worker", *args]
    done = subprocess.run(
        command, capture_output=True, text=True, check=False, cwd=Path(__file__).parent.parent
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:3])} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _mib(n: float) -> str:
    return f"{n / (1 << 20):.0f} MiB"


def main(argv: list[str]) -> None:
    count = 100_000 if "--quick" in argv else 1_000_000
    repeat = 5
    for option in argv:
        if option.startswith("--repeat="):
            repeat = max(1, int(option.split("=", 1)[1]))
    try:
        import highdicom
    except ImportError:
        print("highdicom is not installed: run `make bench` or pip install 'highdicom==0.28.*'")
        return
    print(
        f"highdicom {highdicom.__version__}; {count:,} POLYGONs of {VERTICES} vertices, 2 "
        f"measurements each; median of {repeat} runs after a warm-up"
    )
    shm = Path("/dev/shm")
    results: dict[str, Any] = {"count": count, "repeat": repeat, "cases": {}}
    rows = []
    with tempfile.TemporaryDirectory(
        prefix="iodkit-bench-ann-", dir=shm if shm.is_dir() else None
    ) as directory:
        folder = Path(directory)
        for operation in OPERATIONS:
            measured = _worker("time", operation, str(folder), str(repeat), str(count))
            for tool in ("highdicom", "iodkit"):
                measured[tool].update(_worker("memory", tool, operation, str(folder), str(count)))
            ours, theirs = measured["iodkit"], measured["highdicom"]
            if operation != "write":
                same = ours["result"][0] == theirs["result"][0] and np.isclose(
                    ours["result"][1], theirs["result"][1], rtol=1e-6
                )
                measured["same_output"] = bool(same)
            ratio = theirs["median_s"] / ours["median_s"]
            results["cases"][operation] = {**measured, "ratio": ratio, "target": TARGETS[operation]}
            rows.append(
                [
                    operation,
                    f"{ours['median_s']:.3f}",
                    f"{theirs['median_s']:.3f}",
                    f"{ratio:.1f}x",
                    f">={TARGETS[operation]:g}x",
                    "ok" if ratio >= TARGETS[operation] else "MISSED",
                    _mib(ours["peak_traced_bytes"]),
                    _mib(theirs["peak_traced_bytes"]),
                    _mib(ours["rss_growth_bytes"]),
                    _mib(theirs["rss_growth_bytes"]),
                    ""
                    if operation == "write"
                    else ("same" if measured["same_output"] else "DIFFER"),
                ]
            )
            print(
                f"  {operation}: iodkit {ours['median_s']:.3f} s, "
                f"highdicom {theirs['median_s']:.3f} s",
                flush=True,
            )
            if operation == "write":
                print(
                    f"    (highdicom's time includes np.split into {count:,} arrays: "
                    f"{measured['split_s']:.3f} s; files {ours['file_bytes']:,} and "
                    f"{theirs['file_bytes']:,} bytes)"
                )
    header = [
        "operation",
        "iodkit s",
        "highdicom s",
        "ratio",
        "target",
        "",
        "iodkit peak",
        "highdicom peak",
        "iodkit RSS+",
        "highdicom RSS+",
        "output",
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))
    RESULTS.mkdir(exist_ok=True)
    suffix = "-quick" if count < 1_000_000 else ""
    (RESULTS / f"ann{suffix}.json").write_text(json.dumps(results, indent=1, default=str))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        kind, *rest = sys.argv[2:]
        if kind == "time":
            operation, folder, repeat, count = rest
            print(
                json.dumps(
                    time_worker(operation, Path(folder), int(repeat), int(count)), default=str
                )
            )
        else:
            tool, operation, folder, count = rest
            print(json.dumps(memory_worker(tool, operation, Path(folder), int(count))))
    else:
        main(sys.argv[1:])

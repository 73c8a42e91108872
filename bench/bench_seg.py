"""Segmentations, iodkit vs highdicom 0.28, side by side in one run on the same synthetic data.

Workloads (the issue's):

* a CT series of 200 single-frame 512×512 images (metadata only) with a 3-segment mask, about
  10 % foreground — BINARY and LABELMAP from a label map, FRACTIONAL from a float32
  (200, 512, 512, 3) probability array;
* a 20000×20000 slide total pixel matrix (a TILED_FULL VL WSI level, metadata only) with a
  3-segment label map, about 10 % foreground, stored as BINARY in 256×256 tiles (TILED_SPARSE,
  both tools' default).

Operations: *write* = construct + save to a file; *read* = open the file highdicom wrote
(``segread`` / ``read_segmentation``) and get every pixel (``get_pixels_by_source_instance``
over all source instances, one channel per segment; the slide's
``get_total_pixel_matrix(combine_segments=True)``).

Timing: one process per (workload, operation) builds the inputs once, runs each tool once
as a warm-up, then ``--repeat`` rounds (default and least 5: the issues ask for medians of at
least 5 runs) alternating highdicom and iodkit, so load from other work on the machine hits
both alike; the median of each is reported. Memory: one
process per tool runs it once under tracemalloc (peak traced memory; NumPy reports its buffers
to it) and reports the growth of the process's peak RSS over its inputs and imports
(``ru_maxrss``). Files go to a RAM disk (``/dev/shm``) when there is one, so disk speed does
not blur the comparison.

``--quick`` shrinks every workload for a smoke run (40×256×256, 4096×4096 slide).
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
from pathlib import Path
from typing import Any

import numpy as np

RESULTS = Path(__file__).parent / "results"
TARGETS = {  # issue: iodkit at least this many times faster than highdicom
    ("ct-binary", "write"): 5.0,
    ("ct-labelmap", "write"): 3.0,
    ("ct-fractional", "write"): 4.0,
    ("ct-binary", "read"): 3.0,
    ("ct-labelmap", "read"): 3.0,
    ("ct-fractional", "read"): 3.0,
    ("slide-binary", "write"): 3.0,
    ("slide-binary", "read"): 3.0,
}
WORKLOADS = ("ct-binary", "ct-labelmap", "ct-fractional", "slide-binary")


# -- synthetic data (deterministic) -----------------------------------------------------------


def ct_shape(quick: bool) -> tuple[int, int, int]:
    return (40, 256, 256) if quick else (200, 512, 512)


def slide_size(quick: bool) -> int:
    return 4096 if quick else 20000


def ct_labels(shape: tuple[int, int, int]) -> np.ndarray:
    """Three ellipsoid-like blobs, about 10 % of the voxels."""
    slices, rows, columns = shape
    labels = np.zeros(shape, dtype=np.uint8)
    yy, xx = np.mgrid[:rows, :columns].astype(np.float32)
    blobs = [(0.35, 0.49, 0.19), (0.66, 0.51, 0.11), (0.50, 0.23, 0.08)]  # centre x, y, radius
    for k in range(slices):
        z = (k - slices / 2) / (slices / 2)
        for number, (cx, cy, r) in enumerate(blobs, start=1):
            radius = r * columns * np.sqrt(max(0.0, 1 - z * z))
            labels[k][(xx - cx * columns) ** 2 + (yy - cy * rows) ** 2 < radius**2] = number
    return labels


def ct_fractions(labels: np.ndarray) -> np.ndarray:
    """(slices, rows, columns, 3) float32 probabilities: 0.9 inside a segment, 0.2 on a ring."""
    out = np.zeros((*labels.shape, 3), dtype=np.float32)
    for j in range(3):
        inside = labels == j + 1
        out[..., j][inside] = np.float32(0.9)
    edge = np.zeros(labels.shape, dtype=bool)
    edge[:, 1:, :] |= labels[:, 1:, :] != labels[:, :-1, :]
    out[..., 0][edge & (labels == 0)] = np.float32(0.2)
    return out


def slide_labels(size: int) -> np.ndarray:
    """A size×size label map of tissue-like blobs, about 10 % foreground (built coarse, scaled
    up by 32, so it costs one pass over the output)."""
    rng = np.random.default_rng(0)
    coarse_size = size // 32 + 1
    coarse = np.zeros((coarse_size, coarse_size), dtype=np.uint8)
    yy, xx = np.mgrid[:coarse_size, :coarse_size]
    while np.count_nonzero(coarse) < 0.10 * coarse.size:
        cy, cx = rng.integers(0, coarse_size, 2)
        r = rng.integers(3, 10)
        coarse[(yy - cy) ** 2 + (xx - cx) ** 2 < r * r] = rng.integers(1, 4)
    return np.repeat(np.repeat(coarse, 32, axis=0), 32, axis=1)[:size, :size].copy()


def inputs(workload: str, quick: bool) -> dict[str, Any]:
    from iodkit.seg import synthetic

    if workload.startswith("ct"):
        shape = ct_shape(quick)
        sources = synthetic.ct_series(*shape, with_pixels=False)
        labels = ct_labels(shape)
        mask = ct_fractions(labels) if workload == "ct-fractional" else labels
        kind = workload.split("-")[1].upper()
        return {"sources": sources, "mask": mask, "kind": kind}
    size = slide_size(quick)
    source = synthetic.slide_image(size, size, tile_size=256)
    return {"sources": [source], "mask": slide_labels(size), "kind": "BINARY"}


# -- the two tools ----------------------------------------------------------------------------


def write_iodkit(data: dict[str, Any], path: Path) -> None:
    from iodkit.codes import cid7150, cid7166
    from iodkit.seg import AlgorithmIdentification, Segmentation, SegmentDescription

    algorithm = AlgorithmIdentification("bench", "1.0")
    segments = [
        SegmentDescription(n, f"segment {n}", cid7150.TISSUE, cid7166.BONE, algorithm=algorithm)
        for n in (1, 2, 3)
    ]
    sources = data["sources"]
    Segmentation(
        data["mask"],
        sources if len(sources) > 1 else sources[0],
        segments,
        segmentation_type=data["kind"],
    ).save(path)


def write_highdicom(data: dict[str, Any], path: Path) -> None:
    import highdicom as hd
    from pydicom.sr.codedict import codes
    from pydicom.uid import generate_uid

    algorithm = hd.AlgorithmIdentificationSequence(
        name="bench", version="1.0", family=codes.cid7162.ArtificialIntelligence
    )
    segments = [
        hd.seg.SegmentDescription(
            segment_number=n,
            segment_label=f"segment {n}",
            segmented_property_category=codes.SCT.Tissue,
            segmented_property_type=codes.SCT.Bone,
            algorithm_type="AUTOMATIC",
            algorithm_identification=algorithm,
        )
        for n in (1, 2, 3)
    ]
    tiled = "TotalPixelMatrixRows" in data["sources"][0]
    seg = hd.seg.Segmentation(
        source_images=data["sources"],
        pixel_array=data["mask"][None] if tiled else data["mask"],
        segmentation_type=data["kind"],
        segment_descriptions=segments,
        series_instance_uid=generate_uid(),
        series_number=2,
        sop_instance_uid=generate_uid(),
        instance_number=1,
        manufacturer="bench",
        manufacturer_model_name="bench",
        software_versions="1",
        device_serial_number="1",
        tile_pixel_array=tiled,
    )
    seg.save_as(path)


def _source_uids(path: Path) -> list[str]:
    import pydicom

    ds = pydicom.dcmread(path, stop_before_pixels=True)
    return [
        str(i.ReferencedSOPInstanceUID)
        for i in ds.ReferencedSeriesSequence[0].ReferencedInstanceSequence
    ]


def read_iodkit(path: Path, uids: list[str], tiled: bool) -> np.ndarray:
    from iodkit.seg import read_segmentation

    with read_segmentation(path) as seg:
        if tiled:
            return seg.get_total_pixel_matrix(combine_segments=True)
        return seg.get_pixels_by_source_instance(uids)


def read_highdicom(path: Path, uids: list[str], tiled: bool) -> np.ndarray:
    import highdicom as hd

    seg = hd.seg.segread(path)
    if tiled:
        return seg.get_total_pixel_matrix(combine_segments=True)
    return seg.get_pixels_by_source_instance(uids)


# -- measurements, each in its own process ---------------------------------------------------


def _max_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _operation(
    workload: str, tool: str, operation: str, folder: Path, data: dict[str, Any] | None
) -> Any:
    """A no-argument callable doing one write or read with one tool."""
    hd_file = folder / f"{workload}-highdicom.dcm"
    tiled = workload.startswith("slide")
    if operation == "write":
        assert data is not None
        target = hd_file if tool == "highdicom" else folder / f"{workload}-iodkit.dcm"
        write = write_highdicom if tool == "highdicom" else write_iodkit
        return lambda: write(data, target)
    uids = [] if tiled else _source_uids(hd_file)
    read = read_highdicom if tool == "highdicom" else read_iodkit
    return lambda: read(hd_file, uids, tiled)


def time_worker(
    workload: str, operation: str, folder: Path, repeat: int, quick: bool
) -> dict[str, Any]:
    """Both tools in one process, runs alternated, so load from elsewhere on the machine hits
    both alike: one warm-up each, then ``repeat`` rounds of (highdicom, iodkit)."""
    logging.disable(logging.WARNING)
    data = inputs(workload, quick) if operation == "write" else None
    out: dict[str, Any] = {}
    runs = {}
    for tool in ("highdicom", "iodkit"):  # highdicom first: reads use its file
        runs[tool] = _operation(workload, tool, operation, folder, data)
        started = time.perf_counter()
        result = runs[tool]()
        out[tool] = {
            "first_s": time.perf_counter() - started,
            "times_s": [],
            "summary": None
            if result is None
            else [int(np.count_nonzero(result)), list(result.shape), str(result.dtype)],
        }
        del result
    for _ in range(repeat):
        for tool in ("highdicom", "iodkit"):
            started = time.perf_counter()
            result = runs[tool]()
            out[tool]["times_s"].append(time.perf_counter() - started)
            del result
    for tool in out:
        out[tool]["median_s"] = statistics.median(out[tool]["times_s"])
        if operation == "write":
            out[tool]["file_bytes"] = (folder / f"{workload}-{tool}.dcm").stat().st_size
    return out


def memory_worker(
    workload: str, tool: str, operation: str, folder: Path, quick: bool
) -> dict[str, Any]:
    """One run of one tool: tracemalloc's peak, and the growth of the process's peak RSS over
    its inputs and imported libraries (first touch of memory included)."""
    logging.disable(logging.WARNING)
    _warm_up(tool, folder)
    data = inputs(workload, quick) if operation == "write" else None
    run = _operation(workload, tool, operation, folder, data)
    if operation == "write":  # keep highdicom's file for the reads
        run = _operation(workload, tool, operation, folder / "scratch", data)
        (folder / "scratch").mkdir(exist_ok=True)
    baseline = _max_rss()
    tracemalloc.start()
    base, _ = tracemalloc.get_traced_memory()
    result = run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del result
    return {"peak_traced_bytes": peak - base, "rss_growth_bytes": _max_rss() - baseline}


def _warm_up(tool: str, folder: Path) -> None:
    """A tiny write and read of each kind, so the libraries' lazy imports and caches are not
    counted as the measured run's memory."""
    from iodkit.seg import synthetic

    scratch = folder / "warm-up"
    scratch.mkdir(exist_ok=True)
    labels = np.zeros((2, 16, 16), dtype=np.uint8)
    labels[:, 2:6, 3:9] = 1
    tiny = {
        "ct": {"sources": synthetic.ct_series(2, 16, 16, with_pixels=False), "mask": labels},
        "slide": {
            "sources": [synthetic.slide_image(32, 32, tile_size=16)],
            "mask": np.tile(labels[0], (2, 2)),
        },
    }
    write = write_highdicom if tool == "highdicom" else write_iodkit
    read = read_highdicom if tool == "highdicom" else read_iodkit
    for name, data in tiny.items():
        for kind in ("BINARY", "FRACTIONAL", "LABELMAP"):
            path = scratch / f"{tool}-{name}-{kind}.dcm"
            write({**data, "kind": kind}, path)
            read(path, [] if name == "slide" else _source_uids(path), name == "slide")


def _worker(*args: str) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.bench_seg", "--worker", *args]
    done = subprocess.run(
        command, capture_output=True, text=True, check=False, cwd=Path(__file__).parent.parent
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:4])} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _mib(n: float) -> str:
    return f"{n / (1 << 20):.0f} MiB"


def main(argv: list[str]) -> None:
    quick = "--quick" in argv
    repeat = 5
    for option in argv:
        if option.startswith("--repeat="):
            repeat = max(5, int(option.split("=", 1)[1]))
    try:
        import highdicom
    except ImportError:
        print(
            "highdicom is not installed: run `make bench` (it installs iodkit[bench]) or "
            "pip install 'highdicom==0.28.*'"
        )
        return
    print(
        f"highdicom {highdicom.__version__}; CT {ct_shape(quick)}, slide "
        f"{slide_size(quick)}² in 256-pixel tiles; median of {repeat} runs after a warm-up"
    )
    shm = Path("/dev/shm")
    rows: list[list[str]] = []
    results: dict[str, Any] = {
        "quick": quick,
        "repeat": repeat,
        "highdicom": highdicom.__version__,
        "cases": {},
    }
    with tempfile.TemporaryDirectory(
        prefix="iodkit-bench-seg-", dir=shm if shm.is_dir() else None
    ) as directory:
        folder = Path(directory)
        for workload in WORKLOADS:
            for operation in ("write", "read"):
                flag = "1" if quick else "0"
                measured = _worker("time", workload, operation, str(folder), str(repeat), flag)
                for tool in ("highdicom", "iodkit"):
                    measured[tool].update(
                        _worker("memory", workload, operation, str(folder), tool, flag)
                    )
                    print(
                        f"  {workload} {operation} {tool}: {measured[tool]['median_s']:.3f} s",
                        flush=True,
                    )
                if operation == "read":
                    same = measured["iodkit"]["summary"] == measured["highdicom"]["summary"]
                    measured["same_output"] = same
                ours, theirs = measured["iodkit"], measured["highdicom"]
                ratio = theirs["median_s"] / ours["median_s"]
                target = TARGETS[(workload, operation)]
                results["cases"][f"{workload} {operation}"] = {
                    **measured,
                    "ratio": ratio,
                    "target": target,
                }
                rows.append(
                    [
                        workload,
                        operation,
                        f"{ours['median_s']:.3f}",
                        f"{theirs['median_s']:.3f}",
                        f"{ratio:.1f}×",
                        f"≥{target:g}×",
                        "ok" if ratio >= target else "MISSED",
                        _mib(ours["peak_traced_bytes"]),
                        _mib(theirs["peak_traced_bytes"]),
                        _mib(ours["rss_growth_bytes"]),
                        _mib(theirs["rss_growth_bytes"]),
                    ]
                )
                if workload.startswith("slide") and operation == "write":
                    (folder / f"{workload}-iodkit.dcm").unlink(missing_ok=True)
    header = [
        "workload",
        "op",
        "iodkit s",
        "highdicom s",
        "speed-up",
        "target",
        "",
        "iodkit peak",
        "highdicom peak",
        "iodkit RSS+",
        "highdicom RSS+",
    ]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    print(
        "\nmedian wall time; peak = tracemalloc peak of one run; RSS+ = growth of the "
        "process's peak RSS over its inputs"
    )
    print("  " + "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    for row in rows:
        print("  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
    RESULTS.mkdir(exist_ok=True)
    name = "bench_seg_quick.json" if quick else "bench_seg.json"
    (RESULTS / name).write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--worker":
        kind, workload, operation, folder, extra, quick = sys.argv[2:8]
        if kind == "time":
            out = time_worker(workload, operation, Path(folder), int(extra), quick == "1")
        else:
            out = memory_worker(workload, extra, operation, Path(folder), quick == "1")
        print(json.dumps(out))
    else:
        main(sys.argv[1:])

"""Side by side with highdicom in one run: the harness of the derived-object benchmarks.

A benchmark module (``bench_pm``, ``bench_legacy``) declares its cases and, per case, how to
prepare the inputs and the no-argument operation of each tool; this module measures them:

* timing — one process per case builds the inputs once, runs each tool once as a warm-up,
  then ``repeat`` rounds (default 5) alternating highdicom and iodkit, so load from other work
  on the shared machine hits both alike; the median of each is reported;
* memory — one process per (case, tool) after the module's tiny warm-up: tracemalloc's peak for
  one run (NumPy reports its buffers to it) and the growth of the process's peak RSS;
* files go to a RAM disk (``/dev/shm``) when there is one, so disk speed does not blur the
  comparison. ``--quick`` asks the module for small inputs (a smoke run).

A module provides ``CASES`` (name → target speed-up), ``prepare(case, folder, quick)``,
``operation(case, tool, folder, data)`` and ``warm_up(tool, folder)``. It may also provide
``floor(case, folder, data)``: the least any tool must do for the case (write the pixel bytes to
the file; read them into the output array), timed in the same rounds, so the table says how far
above that floor each tool is and what the best possible speed-up over highdicom would be.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from types import ModuleType
from typing import Any

RESULTS = Path(__file__).parent / "results"
TOOLS = ("highdicom", "iodkit")


def _max_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _summary(result: Any) -> Any:
    shape = getattr(result, "shape", None)
    if shape is None:
        return None
    import numpy as np

    array = np.asarray(result)
    finite = array[np.isfinite(array)] if array.dtype.kind == "f" else array
    return [list(shape), str(array.dtype), float(finite.sum()) if finite.size else 0.0]


def time_worker(module: ModuleType, case: str, folder: Path, repeat: int, quick: bool) -> Any:
    data = module.prepare(case, folder, quick)
    runs = {tool: module.operation(case, tool, folder, data) for tool in TOOLS}
    if hasattr(module, "floor"):
        runs["floor"] = module.floor(case, folder, data)
    tools = list(runs)
    out: dict[str, Any] = {}
    for tool in tools:  # highdicom first: reads may use its file
        started = time.perf_counter()
        result = runs[tool]()
        out[tool] = {
            "first_s": time.perf_counter() - started,
            "times_s": [],
            "summary": _summary(result),
        }
        del result
    for _ in range(repeat):
        for tool in tools:
            started = time.perf_counter()
            result = runs[tool]()
            out[tool]["times_s"].append(time.perf_counter() - started)
            del result
    for tool in tools:
        out[tool]["median_s"] = statistics.median(out[tool]["times_s"])
    out["load_average"] = list(os.getloadavg())
    return out


def memory_worker(module: ModuleType, case: str, tool: str, folder: Path, quick: bool) -> Any:
    module.warm_up(tool, folder)
    data = module.prepare(case, folder, quick)
    run = module.operation(case, tool, folder, data, scratch=True)
    baseline = _max_rss()
    tracemalloc.start()
    base, _ = tracemalloc.get_traced_memory()
    result = run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del result
    return {"peak_traced_bytes": peak - base, "rss_growth_bytes": _max_rss() - baseline}


def _worker(*args: str) -> Any:
    command = [sys.executable, "-m", "bench.sidebyside", "--worker", *args]
    done = subprocess.run(
        command, capture_output=True, text=True, check=False, cwd=Path(__file__).parent.parent
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:4])} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _mib(n: float) -> str:
    return f"{n / (1 << 20):.0f} MiB"


def run(module_name: str, argv: list[str], title: str) -> dict[str, Any]:
    """Measure every case of ``bench.<module_name>``, print the table, save the JSON."""
    module = importlib.import_module(f"bench.{module_name}")
    quick = "--quick" in argv
    repeat = 5
    for option in argv:
        if option.startswith("--repeat="):
            repeat = max(5, int(option.split("=", 1)[1]))
    try:
        import highdicom
    except ImportError:
        print("highdicom is not installed: run `make bench` (it installs iodkit[bench])")
        return {}
    print(f"highdicom {highdicom.__version__}; {title}; median of {repeat} runs after a warm-up")
    print(f"load average at the start: {' '.join(f'{v:.1f}' for v in os.getloadavg())}")
    floors = hasattr(module, "floor")
    shm = Path("/dev/shm")
    results: dict[str, Any] = {"quick": quick, "repeat": repeat, "cases": {}}
    rows = []
    with tempfile.TemporaryDirectory(
        prefix=f"iodkit-{module_name}-", dir=shm if shm.is_dir() else None
    ) as directory:
        folder = Path(directory)
        flag = "1" if quick else "0"
        for case, target in module.CASES.items():
            measured = _worker("time", module_name, case, str(folder), str(repeat), flag)
            for tool in TOOLS:
                measured[tool].update(_worker("memory", module_name, case, str(folder), tool, flag))
                print(f"  {case} {tool}: {measured[tool]['median_s']:.3f} s", flush=True)
            ours, theirs = measured["iodkit"], measured["highdicom"]
            ratio = theirs["median_s"] / ours["median_s"]
            measured.update(ratio=ratio, target=target)
            floor = measured.get("floor", {}).get("median_s")
            if floor:
                measured["best_possible_ratio"] = theirs["median_s"] / floor
            if ours["summary"] is not None:
                measured["same_output"] = ours["summary"] == theirs["summary"]
            results["cases"][case] = measured
            rows.append(
                [
                    case,
                    f"{ours['median_s']:.3f}",
                    f"{theirs['median_s']:.3f}",
                    f"{ratio:.1f}×",
                    f"≥{target:g}×",
                    "ok" if ratio >= target else "MISSED",
                    _mib(ours["peak_traced_bytes"]),
                    _mib(theirs["peak_traced_bytes"]),
                    _mib(ours["rss_growth_bytes"]),
                    _mib(theirs["rss_growth_bytes"]),
                    "" if "same_output" not in measured else str(measured["same_output"]),
                ]
                + (
                    [
                        f"{floor:.3f}" if floor else "",
                        f"{measured['best_possible_ratio']:.1f}×" if floor else "",
                        " ".join(f"{v:.1f}" for v in measured["load_average"]),
                    ]
                    if floors
                    else []
                )
            )
    header = [
        "case",
        "iodkit s",
        "highdicom s",
        "speed-up",
        "target",
        "",
        "iodkit peak",
        "highdicom peak",
        "iodkit RSS+",
        "highdicom RSS+",
        "same output",
    ] + (["floor s", "best possible", "load 1/5/15 min"] if floors else [])
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    print("\nmedian wall time; peak = tracemalloc peak of one run; RSS+ = growth of peak RSS")
    if floors:
        print(
            "floor = the least any tool must do (see the module), same rounds; best possible ="
            " highdicom s / floor s"
        )
    print("  " + "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    for row in rows:
        print("  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
    RESULTS.mkdir(exist_ok=True)
    name = f"{module_name}_quick.json" if quick else f"{module_name}.json"
    (RESULTS / name).write_text(json.dumps(results, indent=2, default=str))
    return results


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--worker":
        logging.disable(logging.WARNING)
        kind, module_name, case, folder = sys.argv[2:6]
        module = importlib.import_module(f"bench.{module_name}")
        if kind == "time":
            out = time_worker(module, case, Path(folder), int(sys.argv[6]), sys.argv[7] == "1")
        else:
            out = memory_worker(module, case, sys.argv[6], Path(folder), sys.argv[7] == "1")
        print(json.dumps(out))

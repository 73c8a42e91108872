"""Archive validation at scale: serial in process vs Dask vs ``iodkit validate --jobs 2``.

The corpus (../shared/testdata) repeated to ``PATHS`` paths, each configuration in a fresh
process, interleaved over several runs (medians reported, best in brackets):

* **serial**: :func:`iodkit.scale.validate_archive` in one process (rules loaded as files need
  them, as any fresh run does); files/s over the run, interpreter start excluded;
* **dask N**: a LocalCluster of N single-threaded worker processes made in the child, then the
  run; files/s over the run, and the start-up cost (cluster up, workers answering) apart;
  memory per worker (peak RSS, read on each worker after the run);
* **--jobs 2** and **--dask**: ``iodkit validate -q --jobs 2`` and ``iodkit validate -q --jobs 2
  --dask`` end to end, process start to exit, with the CPU seconds of all their processes: the
  fair comparison of the two ways the command spreads work over this machine's cores;
* where the Dask child's time goes, from its launch: interpreter and imports, cluster start
  (scheduler up, workers answering), the run, closing the cluster (the child's own measurements
  below are timed apart and left out).

And, for projecting larger runs (``docs/scale.md``): the scheduler's cost per task (1,000 empty
tasks on the same cluster), the client's cost per report (unpickling a batch's results), bytes
a batch result takes on the wire, and the mean file size read. Results go to
``bench/results/bench_scale.json``. ``--quick``: fewer paths and runs; ``--cli``: only the two
commands end to end (``--jobs 2`` and ``--jobs 2 --dask``, interleaved), nothing written.
"""

from __future__ import annotations

import json
import os
import pickle
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).parent / "results"
PATHS = 2200


def _corpus() -> list[str]:
    from iodkit.validation.inputs import resolve

    root = Path(os.environ.get("IODKIT_TESTDATA", ROOT.parent / "shared" / "testdata"))
    return [s.location for s in resolve([str(root)]).sources]


def _paths(n: int) -> list[str]:
    """``n`` distinct paths to the corpus files (symbolic links in a temporary folder, made
    once): ``iodkit validate`` names each input once, so a path repeated would be read once."""
    import tempfile

    corpus = _corpus()
    folder = Path(tempfile.gettempdir()) / f"iodkit-bench-scale-{n}"
    folder.mkdir(exist_ok=True)
    out = []
    for i in range(n):
        target = Path(corpus[i % len(corpus)])
        link = folder / f"{i:06d}-{target.name}"
        if not link.is_symlink():
            link.symlink_to(target)
        out.append(str(link))
    return out


# -- children: each configuration in a fresh process ---------------------------------------------


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_serial(n: int) -> dict[str, float]:
    from iodkit.scale import validate_archive

    paths = _paths(n)
    t, cpu = time.perf_counter(), time.process_time()
    run = validate_archive(paths)
    count = sum(1 for _ in run.reports())
    return {
        "seconds": time.perf_counter() - t,
        "cpu_seconds": time.process_time() - cpu,
        "files": count,
        "peak_rss_mib": _peak_rss_mib(),
    }


def child_metadata(n: int) -> dict[str, float]:
    """Serial, from metadata: the corpus as DICOM JSON lines (pixel data by BulkDataURI),
    repeated to ``n`` instances, validated range by range in this process."""
    import tempfile
    import warnings

    import pydicom
    from iodkit.scale import validate_archive
    from iodkit.scale.units import metadata_ranges
    from iodkit.web.dicomjson import dataset_to_json_line

    lines = []
    for path in _corpus():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                ds = pydicom.dcmread(path)
                if len(ds):
                    lines.append(dataset_to_json_line(ds, "https://archive.example/bulk"))
            except Exception:  # pydicom cannot read it: no server would hold its metadata
                continue
    with tempfile.TemporaryDirectory() as folder:
        export = Path(folder) / "export.jsonl"
        export.write_text("\n".join((lines * (n // len(lines) + 1))[:n]) + "\n")
        t, cpu = time.perf_counter(), time.process_time()
        run = validate_archive(metadata_ranges(export))
        count = sum(1 for _ in run.reports())
        return {
            "seconds": time.perf_counter() - t,
            "cpu_seconds": time.process_time() - cpu,
            "files": count,
            "json_bytes_per_instance": export.stat().st_size / n,
        }


def child_dask(
    n: int, workers: int, table: bool = False, launched: float = 0.0
) -> dict[str, float]:
    """A LocalCluster of ``workers`` made here, the run, then measurements for projections
    (timed apart); ``launched``: the parent's clock when it started this process."""
    from distributed import Client
    from iodkit.scale import validate_archive
    from iodkit.scale.runner import local_cluster
    from iodkit.scale.units import validate_batch

    imported = time.time()
    paths = _paths(n)
    t0 = time.perf_counter()
    cluster = local_cluster(workers)
    client = Client(cluster)
    client.wait_for_workers(workers)
    startup = time.perf_counter() - t0
    before = client.run(time.process_time)
    t, cpu = time.perf_counter(), time.process_time()
    if table:  # the workers write the findings table; the client sees counts
        import tempfile

        with tempfile.TemporaryDirectory() as folder:
            count = validate_archive(paths, dask=client, table=folder).write_table()["files"]
    else:
        count = sum(1 for _ in validate_archive(paths, dask=client).reports())
    seconds = time.perf_counter() - t
    local_cpu = time.process_time() - cpu  # the client and the scheduler (in this process)
    extra = time.perf_counter()
    after = client.run(time.process_time)
    worker_cpu = [after[w] - before[w] for w in before]
    peaks = list(client.run(_peak_rss_mib).values())
    # the scheduler's cost per task: 1,000 empty tasks, submitted and gathered
    t = time.perf_counter()
    client.gather(client.map(_nothing, range(1000), pure=False))
    per_task = (time.perf_counter() - t) / 1000
    # the client's cost per report, a batch result's size on the wire, series facts' size
    result = validate_batch(0, list(enumerate(paths[:32])), series=True)
    facts_bytes = len(pickle.dumps(result.facts)) / max(1, len(result.facts))
    result.facts = []
    wire = pickle.dumps(result)
    t = time.perf_counter()
    for _ in range(20):
        pickle.loads(wire)
    unpickle = (time.perf_counter() - t) / 20 / len(result.reports)
    extra = time.perf_counter() - extra
    t = time.perf_counter()
    client.close()
    cluster.close()
    closing = time.perf_counter() - t
    return {
        "seconds": seconds,
        "worker_cpu_seconds": sum(worker_cpu),
        "busiest_worker_cpu_seconds": max(worker_cpu),
        "client_scheduler_cpu_seconds": local_cpu,
        "imports_seconds": imported - launched if launched else 0.0,
        "startup_seconds": startup,
        "close_seconds": closing,
        "measurement_seconds": extra,
        "files": count,
        "worker_peak_rss_mib": max(peaks),
        "client_peak_rss_mib": _peak_rss_mib(),
        "scheduler_seconds_per_task": per_task,
        "client_seconds_per_report": unpickle,
        "batch_result_bytes": len(wire),
        "batch_files": len(result.reports),
        "series_facts_bytes": facts_bytes,
    }


def _nothing(i: int) -> int:
    return i


def _child(kind: str, n: int, workers: int = 2) -> dict[str, float]:
    code = (
        "import json, sys; from bench import bench_scale as b\n"
        "if __name__ == '__main__':\n"
        f"    r = b.child_dask({n}, {workers}, {kind == 'table'}, {{launched!r}}) if {kind!r} in "
        f"('dask', 'table') else b.child_{kind}({n})\n"
        "    print(json.dumps(r))\n"
    )
    t = time.perf_counter()
    code = code.replace("{launched!r}", repr(time.time()))
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    # launch to exit, less the time the child spent measuring things for the projections
    result["end_to_end_seconds"] = time.perf_counter() - t - result.get("measurement_seconds", 0)
    return result


def _cli(n: int, options: list[str]) -> tuple[float, float]:
    """``iodkit validate -q OPTIONS paths`` end to end: seconds, and the CPU seconds of all its
    processes. Counted by ``perf stat`` (task-clock, inherited by every process started under
    it) where perf is installed: Dask's workers are forked from a server process that nobody
    waits for, so the rusage of children misses them; without perf, that rusage."""
    import shutil
    import tempfile

    exe = str(Path(sys.executable).with_name("iodkit"))
    command = [exe, "validate", "-q", "--no-progress", *options, *_paths(n)]
    perf = shutil.which("perf")
    with tempfile.NamedTemporaryFile(suffix=".perf") as counts:
        if perf:
            command = [
                perf,
                "stat",
                "-x",
                ",",
                "-e",
                "task-clock",
                "-o",
                counts.name,
                "--",
            ] + command
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        done = subprocess.run(
            command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        seconds = time.perf_counter() - t
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode not in (0, 1):  # 2: it could not run — a time of nothing
            raise RuntimeError(f"iodkit validate {' '.join(options)}: {done.stderr[-2000:]}")
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        for line in Path(counts.name).read_text().splitlines() if perf else []:
            fields = line.split(",")
            if len(fields) > 2 and fields[2].startswith("task-clock") and fields[0]:
                cpu = float(fields[0]) / 1000  # milliseconds
    return seconds, cpu


def _compare_cli(n: int, runs: int) -> None:
    """``iodkit validate --jobs 2`` against ``--jobs 2 --dask``, interleaved, end to end."""
    cli: dict[str, list[tuple[float, float]]] = {"--jobs 2": [], "--jobs 2 --dask": []}
    for _ in range(runs):
        for options in cli:
            cli[options].append(_cli(n, options.split()))
            print(
                f"  {options:<16} {cli[options][-1][0]:6.2f} s, {cli[options][-1][1]:6.2f} CPU s "
                f"(load {os.getloadavg()[0]:.1f})",
                flush=True,
            )
    seconds = {k: statistics.median(c[0] for c in v) for k, v in cli.items()}
    for options, runs_of in cli.items():
        cpu = statistics.median(c[1] for c in runs_of)
        print(f"{n} paths, {options}: median {seconds[options]:.2f} s, {cpu:.2f} CPU s")
    print(f"--dask vs --jobs 2 end to end: {seconds['--jobs 2'] / seconds['--jobs 2 --dask']:.2f}x")


def main(options: list[str]) -> None:
    quick = "--quick" in options
    n = PATHS // 2 if quick else PATHS
    runs = 2 if quick else 5
    load_start = os.getloadavg()[0]  # the machine is shared: say how busy it was
    if "--cli" in options:
        _compare_cli(n, runs)
        return
    corpus = _corpus()
    sizes = [os.path.getsize(p) for p in corpus]
    rows: dict[str, list[dict[str, float]]] = {
        "serial": [],
        "dask2": [],
        "dask1": [],
        "metadata": [],
        "table2": [],
    }
    cli: dict[str, list[tuple[float, float]]] = {"jobs2": [], "dask2": []}
    loads: list[float] = []
    for _ in range(runs):  # interleaved: a busy moment of the shared machine hurts all alike
        rows["serial"].append(_child("serial", n))
        rows["dask2"].append(_child("dask", n, 2))
        rows["dask1"].append(_child("dask", n, 1))
        rows["metadata"].append(_child("metadata", n))
        rows["table2"].append(_child("table", n, 2))
        cli["jobs2"].append(_cli(n, ["--jobs", "2"]))
        cli["dask2"].append(_cli(n, ["--jobs", "2", "--dask"]))
        loads.append(os.getloadavg()[0])

    def med(kind: str, key: str) -> float:
        return statistics.median(r[key] for r in rows[kind])

    def best(kind: str, key: str) -> float:
        return min(r[key] for r in rows[kind])

    results: dict[str, float] = {
        "paths": n,
        "distinct_files": len(corpus),
        "mean_file_bytes": statistics.mean(sizes),
        "runs": runs,
        "cores": os.cpu_count() or 1,
    }
    for kind in rows:
        results[f"{kind}_seconds"] = med(kind, "seconds")
        results[f"{kind}_files_per_s"] = n / med(kind, "seconds")
        results[f"{kind}_best_files_per_s"] = n / best(kind, "seconds")
        results[f"{kind}_end_to_end_seconds"] = med(kind, "end_to_end_seconds")
    for key in (
        "startup_seconds",
        "worker_peak_rss_mib",
        "client_peak_rss_mib",
        "scheduler_seconds_per_task",
        "client_seconds_per_report",
        "batch_result_bytes",
        "batch_files",
        "series_facts_bytes",
        "imports_seconds",
        "close_seconds",
        "measurement_seconds",
    ):
        results[f"dask2_{key}"] = med("dask2", key)
    results["serial_peak_rss_mib"] = med("serial", "peak_rss_mib")
    results["serial_cpu_seconds"] = med("serial", "cpu_seconds")
    results["metadata_cpu_seconds"] = med("metadata", "cpu_seconds")
    results["table2_client_scheduler_cpu_seconds"] = med("table2", "client_scheduler_cpu_seconds")
    results["metadata_json_bytes_per_instance"] = med("metadata", "json_bytes_per_instance")
    for key in ("worker_cpu_seconds", "busiest_worker_cpu_seconds", "client_scheduler_cpu_seconds"):
        results[f"dask2_{key}"] = med("dask2", key)
    # What the CPU seconds say an idle machine with this many cores would take: the workers,
    # the client and the scheduler share the cores, and no worker is faster than its own work.
    cores = results["cores"]
    total = results["dask2_worker_cpu_seconds"] + results["dask2_client_scheduler_cpu_seconds"]
    idle_wall = max(total / cores, results["dask2_busiest_worker_cpu_seconds"])
    results["dask2_vs_serial_from_cpu"] = results["serial_cpu_seconds"] / idle_wall
    for kind in cli:
        results[f"cli_{kind}_seconds"] = statistics.median(c[0] for c in cli[kind])
        results[f"cli_{kind}_best_seconds"] = min(c[0] for c in cli[kind])
        results[f"cli_{kind}_cpu_seconds"] = statistics.median(c[1] for c in cli[kind])
        results[f"cli_{kind}_files_per_s"] = n / results[f"cli_{kind}_seconds"]
    results["dask2_vs_serial"] = results["dask2_files_per_s"] / results["serial_files_per_s"]
    results["cli_dask2_vs_jobs2"] = results["cli_jobs2_seconds"] / results["cli_dask2_seconds"]
    results["dask2_run_vs_cli_jobs2"] = results["cli_jobs2_seconds"] / results["dask2_seconds"]
    results["load_average_runs"] = statistics.median(loads)
    print(
        f"{n} paths ({len(corpus)} distinct files) on {results['cores']} cores; medians of "
        f"{runs} runs (best)"
    )
    for kind, label in (
        ("serial", "serial, in process"),
        ("metadata", "serial, DICOM JSON"),
        ("table2", "Dask 2, workers write"),
        ("dask1", "Dask, 1 worker"),
        ("dask2", "Dask, 2 workers"),
    ):
        rate, best_rate = results[f"{kind}_files_per_s"], results[f"{kind}_best_files_per_s"]
        print(
            f"  {label:<22} {results[f'{kind}_seconds']:7.2f} s  {rate:7.1f} files/s "
            f"({best_rate:.1f})  end to end {results[f'{kind}_end_to_end_seconds']:6.2f} s"
        )
    for kind, label in (("jobs2", "iodkit validate -j 2"), ("dask2", "  … -j 2 --dask")):
        print(
            f"  {label:<22} {results[f'cli_{kind}_seconds']:7.2f} s  "
            f"{results[f'cli_{kind}_files_per_s']:7.1f} files/s (best "
            f"{results[f'cli_{kind}_best_seconds']:.2f} s) end to end, "
            f"{results[f'cli_{kind}_cpu_seconds']:.2f} CPU s in all its processes"
        )
    print(
        f"  Dask 2 workers / serial: {results['dask2_vs_serial']:.2f}x; end to end, "
        f"--dask vs --jobs 2: {results['cli_dask2_vs_jobs2']:.2f}x (Dask's run alone vs "
        f"--jobs 2 end to end: {results['dask2_run_vs_cli_jobs2']:.2f}x)"
    )
    print(
        f"  Dask child from its launch: interpreter and imports "
        f"{results['dask2_imports_seconds']:.2f} s, cluster start "
        f"{results['dask2_startup_seconds']:.2f} s, run {results['dask2_seconds']:.2f} s, "
        f"closing {results['dask2_close_seconds']:.2f} s (its measurements, "
        f"{results['dask2_measurement_seconds']:.2f} s, apart)"
    )
    print(
        f"  CPU: serial {results['serial_cpu_seconds']:.2f} s; Dask 2 workers "
        f"{results['dask2_worker_cpu_seconds']:.2f} s in the workers (busiest "
        f"{results['dask2_busiest_worker_cpu_seconds']:.2f}) + "
        f"{results['dask2_client_scheduler_cpu_seconds']:.2f} s client and scheduler: on an "
        f"idle machine Dask 2 workers / serial ≈ {results['dask2_vs_serial_from_cpu']:.2f}x"
    )
    print(
        f"  CPU a file: {results['serial_cpu_seconds'] / n * 1e3:.2f} ms; an instance from "
        f"metadata: {results['metadata_cpu_seconds'] / n * 1e3:.2f} ms "
        f"({results['metadata_json_bytes_per_instance'] / 1024:.1f} KiB of JSON)"
    )
    sent, written = (
        results[f"{k}_client_scheduler_cpu_seconds"] / n * 1e3 for k in ("dask2", "table2")
    )
    print(
        f"  client and scheduler CPU a file: {sent:.3f} ms with the reports sent to the "
        f"client, {written:.3f} ms when the workers write the table"
    )
    results["load_average_start"] = load_start
    results["load_average_end"] = os.getloadavg()[0]
    print(
        f"  load average (1 min) {load_start:.1f} at the start, {results['load_average_runs']:.1f} "
        f"(median) after each round, {os.getloadavg()[0]:.1f} at the end"
    )
    print(
        f"  start-up {results['dask2_startup_seconds']:.2f} s; peak RSS a worker "
        f"{results['dask2_worker_peak_rss_mib']:.0f} MiB, client "
        f"{results['dask2_client_peak_rss_mib']:.0f} MiB, serial "
        f"{results['serial_peak_rss_mib']:.0f} MiB"
    )
    print(
        f"  scheduler {results['dask2_scheduler_seconds_per_task'] * 1e3:.2f} ms a task; client "
        f"{results['dask2_client_seconds_per_report'] * 1e6:.0f} µs a report; a batch of "
        f"{results['dask2_batch_files']:.0f} files sends {results['dask2_batch_result_bytes']:.0f} "
        f"bytes; series facts {results['dask2_series_facts_bytes']:.0f} bytes an instance; mean "
        f"file {results['mean_file_bytes'] / 1024:.0f} KiB"
    )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bench_scale.json").write_text(json.dumps(results, indent=2) + "\n")
    import shutil
    import tempfile

    shutil.rmtree(Path(tempfile.gettempdir()) / f"iodkit-bench-scale-{n}", ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])

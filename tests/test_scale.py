"""Archive-scale validation: Dask gives the serial findings, survives a lost worker, and the
series-level checks find what only several instances show.

The Dask tests run a LocalCluster of two single-threaded worker processes on the test corpus
repeated to more than 2,000 paths (a real archive repeats nothing, but the work per path is the
same: the point is many batches over several processes). Findings are compared with a serial
run after sorting by position.
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from iodkit.scale import validate_archive
from iodkit.scale.facts import InstanceFacts
from iodkit.scale.output import COLUMNS, FindingsWriter
from iodkit.scale.series import check_all, check_duplicates, check_series
from iodkit.validation.inputs import resolve
from pydicom.dataset import Dataset

pytest.importorskip("distributed", reason="Dask is not installed: pip install 'iodkit[dask]'")

REPEATS_TO = 2000


def _corpus(testdata: Path) -> list[str]:
    return [s.location for s in resolve([str(testdata)]).sources]


def _canonical(reports: Any) -> list[tuple[Any, ...]]:
    """Reports as comparable rows, sorted by position (a unit number, an instance in it)."""
    rows = []
    for position, report in reports:
        findings = tuple(json.dumps(f.to_dict(), sort_keys=True) for f in report.findings)
        rows.append((position, report.path, report.iod, findings))
    return sorted(rows)


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    """Two single-threaded worker processes, as on a 2-core machine."""
    from distributed import Client
    from iodkit.scale.runner import local_cluster

    local = local_cluster(2)
    client = Client(local)
    yield client
    client.close()
    local.close()
    _stop_offload_thread()


def _stop_offload_thread() -> None:
    """The scheduler (in this process) leaves distributed's one offload thread running, and a
    process with threads must not fork — later tests on this pytest worker fork (the spec
    build). Stop it; a new executor makes its thread only when used again."""
    from concurrent.futures import ThreadPoolExecutor

    import distributed.utils

    distributed.utils._offload_executor.shutdown(wait=True)
    distributed.utils._offload_executor = ThreadPoolExecutor(
        max_workers=1, thread_name_prefix="Dask-Offload"
    )


def test_dask_findings_equal_serial_on_2000_paths(testdata: Path, cluster: Any) -> None:
    corpus = _corpus(testdata)
    paths = (corpus * (REPEATS_TO // len(corpus) + 1))[: max(REPEATS_TO, len(corpus))]
    assert len(paths) >= REPEATS_TO and len(set(paths)) == len(corpus)
    # The serial run validates each distinct file once; a repeated path's report is its file's
    # (validation reads nothing but the file), so this is the serial run of all the paths.
    serial = {r.path: r for _, r in validate_archive(corpus).reports()}
    expected = _canonical(((i, 0), serial[p]) for i, p in enumerate(paths))
    run = validate_archive(paths, dask=cluster)
    got = _canonical(run.reports())
    assert got == expected
    assert run.stats.instances == len(paths) and run.stats.workers == 2
    assert run.stats.batches == -(-len(paths) // 32)


def test_local_workers_are_forked_from_a_process_that_loaded_iodkit(cluster: Any) -> None:
    """Where the platform has ``forkserver``, the LocalCluster's workers are forked from one
    server process (their parent is neither this process nor each other), not spawned as
    fresh interpreters that each import distributed and iodkit."""
    import multiprocessing

    if "forkserver" not in multiprocessing.get_all_start_methods():
        pytest.skip("no forkserver start method on this platform")
    from iodkit.scale.runner import WORKER_PRELOAD

    parents = set(cluster.run(os.getppid).values())
    assert len(parents) == 1 and os.getpid() not in parents
    assert "iodkit.scale.units" in WORKER_PRELOAD


def test_a_killed_worker_loses_and_duplicates_nothing(testdata: Path, cluster: Any) -> None:
    corpus = _corpus(testdata)
    paths = corpus * 6
    expected = _canonical(validate_archive(paths).reports())
    before = set(cluster.run(os.getpid).values())
    killed: list[int] = []

    def kill_one_worker(done: int, with_errors: int) -> None:
        if not killed and done >= 3 * 8:  # a few batches in: the others are queued or running
            pid = sorted(before)[0]
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    run = validate_archive(paths, dask=cluster, batch_size=8, progress=kill_one_worker)
    got = _canonical(run.reports())
    assert killed, "the run finished before a worker could be killed"
    positions = [row[0] for row in got]
    assert len(positions) == len(set(positions)) == len(paths)  # none lost, none twice
    assert got == expected
    cluster.wait_for_workers(2, timeout=60)  # the nanny restarted the killed worker
    after = set(cluster.run(os.getpid).values())
    assert killed[0] not in after


# -- series-level checks ------------------------------------------------------------------------


def _facts(name: str, z: float, **values: str) -> InstanceFacts:
    base = {0x00100020: "P1", 0x00080060: "CT", 0x0020000E: "1.2.3"}
    base.update({int(k[1:], 16): v for k, v in values.items()})
    return InstanceFacts(
        name=name,
        study="1.2",
        series="1.2.3",
        sop_instance=f"1.2.3.{name}",
        sop_class="1.2.840.10008.5.1.4.1.1.2",
        values=tuple(sorted(base.items())),
        position=(0.0, 0.0, z),
        orientation=(1.0, 0.0, 0.0, 0.0, 1.0, 0.0),
    )


def test_series_checks_find_gaps_overlaps_and_disagreements() -> None:
    stack = [_facts(f"s{i}", 2.0 * i) for i in range(6)]
    assert check_series(stack) == []  # a regular stack of one patient: nothing to say
    gap = [f for f in stack if f.name != "s3"]
    (finding,) = check_series(gap)
    assert finding.finding.code == "volume" and finding.finding.severity == "warning"
    assert "gap of 4.000 mm between s2 and s4" in finding.finding.message
    twice = [*stack, _facts("s2b", 4.0)]
    (overlap,) = check_series(twice)
    assert "2 instances at one position" in overlap.finding.message
    assert overlap.files == ("s2", "s2b")
    other = [*stack[:5], _facts("s5", 10.0, x00100020="P2")]
    (mixed,) = check_series(other)
    assert (mixed.finding.severity, mixed.finding.code, mixed.finding.path) == (
        "error",
        "series",
        "PatientID",
    )
    assert "'P1' in 5" in mixed.finding.message and "'P2' in 1 (s5)" in mixed.finding.message
    assert mixed.finding.module == "PatientModule" and mixed.finding.tag == 0x00100020


def test_duplicate_sop_instance_uids_across_the_run() -> None:
    a, b = _facts("a", 0.0), _facts("b", 2.0)
    copy = InstanceFacts("elsewhere/a", "9.9", "9.9.9", a.sop_instance, a.sop_class)
    (dup,) = check_duplicates([a, b, copy, a])  # a listed twice is one file
    assert dup.finding.code == "duplicate-uid" and dup.files == ("a", "elsewhere/a")


def _ct_files(folder: Path, positions: list[float], series_uid: str) -> list[str]:
    from iodkit.seg.synthetic import ct_series
    from pydicom import dcmwrite

    out = []
    datasets: list[Dataset] = ct_series(len(positions), 8, 8)
    for i, (ds, z) in enumerate(zip(datasets, positions, strict=True)):
        ds.SeriesInstanceUID = series_uid
        ds.ImagePositionPatient = [0, 0, z]
        path = folder / f"ct{i}.dcm"
        dcmwrite(path, ds, enforce_file_format=True)
        out.append(str(path))
    return out


def test_series_checks_are_opt_in_and_equal_on_dask(tmp_path: Path, cluster: Any) -> None:
    """A CT series with a gap, written as files: the serial and the Dask run find it alike;
    without ``series`` nothing changes in the instance-level reports."""
    paths = _ct_files(tmp_path, [0.0, 2.0, 4.0, 10.0, 12.0], "1.2.826.0.1.3680043.8.498.7")
    plain = validate_archive(paths)
    plain_reports = _canonical(plain.reports())
    assert plain.series_findings == []
    serial = validate_archive(paths, series=True)
    assert _canonical(serial.reports()) == plain_reports
    dask = validate_archive(paths, dask=cluster, series=True, batch_size=2)
    assert _canonical(dask.reports()) == plain_reports
    assert [s.to_dict() for s in dask.series_findings] == [
        s.to_dict() for s in serial.series_findings
    ]
    assert [s.finding.code for s in serial.series_findings] == ["volume"]
    assert "gap of 6.000 mm" in serial.series_findings[0].finding.message
    assert check_all([]) == []


# -- output ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
def test_findings_tables(tmp_path: Path, testdata: Path, suffix: str) -> None:
    corpus = _corpus(testdata)[:12]
    run = validate_archive(corpus, series=True)
    out = tmp_path / f"findings{suffix}"
    writer = FindingsWriter(out)
    reports = [r for _, r in run.reports()]
    for r in reports:
        writer.write_report(r)
    writer.write_series(run.series_findings)
    summary = writer.close(engine="serial")
    n_instance = sum(len(r.findings) for r in reports)
    if suffix == ".jsonl":
        rows = [json.loads(line) for line in out.read_text().splitlines()]
    else:
        import pyarrow.parquet as pq

        table = pq.read_table(out)
        rows = table.to_pylist()
        footer = pq.ParquetFile(out).metadata.metadata
        assert json.loads(footer[b"iodkit.summary"]) == summary
    assert len(rows) == n_instance + len(run.series_findings)
    assert all(set(row) == set(COLUMNS) for row in rows)
    assert [r["scope"] for r in rows].count("series") == len(run.series_findings)
    assert summary["files"] == len(corpus) and summary["errors"] == sum(
        1 for r in rows if r["scope"] == "instance" and r["severity"] == "error"
    )
    assert json.loads(Path(f"{out}.summary.json").read_text()) == summary
    first = next(r for r in rows if r["scope"] == "instance")
    report = next(r for r in reports if r.path == first["file"])
    assert first["message"] == report.findings[0].message


def test_findings_table_refuses_unknown_formats(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"\.jsonl .*\.parquet"):
        FindingsWriter(tmp_path / "out.csv")


# -- DICOM JSON metadata ------------------------------------------------------------------------

PIXEL_KEYWORDS = ("PixelData", "FloatPixelData", "DoubleFloatPixelData")


def _held_by_metadata(findings: list[Any], file_findings: list[Any]) -> list[tuple[str, ...]]:
    """The findings about what DICOM JSON metadata holds (PS3.18 F.2), as comparable rows.

    Left out, each for its reason: the File Meta Information (code ``meta``: metadata has
    none); the byte encoding (``encoding``: JSON has no bytes); the pixel data elements (bulk
    data, given by reference); the text format of DS and IS values (``value``: JSON carries
    them as numbers, F.2.3.1); and an element whose VR as written differs from the
    dictionary's (``vr`` in the file's findings, with every other finding on that element on
    both sides: the metadata states one VR, and a dataset is validated under the VR it
    states).
    """
    from iodkit.validation.dictionary import entry

    wrong_vr = {f.tag for f in file_findings if f.code == "vr"}
    rows = []
    for f in findings:
        if f.code in ("meta", "encoding", "vr") or f.tag in wrong_vr:
            continue
        if f.tag is not None and f.tag >> 16 == 0x0002:  # File Meta Information elements
            continue
        if f.path.split("[", 1)[0] in PIXEL_KEYWORDS:
            continue
        e = entry(f.tag) if f.tag is not None else None
        if f.code == "value" and e is not None and e.vr in ("DS", "IS"):
            continue
        rows.append((f.severity, f.code, f.path, f.message))
    return sorted(rows)


def test_dicom_json_metadata_gives_the_files_findings(
    testdata: Path, tmp_path: Path, cluster: Any
) -> None:
    """The corpus as one JSON-lines metadata export (what a server's WADO-RS metadata
    holds, pixel data by BulkDataURI), validated on Dask in byte ranges: each instance's
    findings equal its file's, for what metadata holds."""
    import warnings

    import pydicom
    from iodkit.scale.units import MetadataLines, metadata_ranges
    from iodkit.web.dicomjson import dataset_to_json_line

    lines, files = [], []
    for path in _corpus(testdata):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                ds = pydicom.dcmread(path)
                line = dataset_to_json_line(ds, f"https://archive.example/bulk/{len(lines)}")
            except Exception:  # pydicom cannot read it: no server would hold its metadata
                continue
        if len(ds) == 0:
            continue
        lines.append(line)
        files.append(path)
    assert len(files) >= 45
    export = tmp_path / "archive.jsonl"
    export.write_text("\n".join(lines) + "\n", encoding="utf-8")
    units = metadata_ranges(export, chunk=1 << 16)
    assert len(units) > 4 and all(isinstance(u, MetadataLines) for u in units)
    run = validate_archive(units, dask=cluster, batch_size=2)
    metadata = [report for _, report in sorted(run.reports(), key=lambda pr: pr[0])]
    serial = {r.path: r for _, r in validate_archive(files).reports()}
    assert len(metadata) == len(files)
    compared = 0
    for path, meta in zip(files, metadata, strict=True):
        assert meta.path.startswith(f"{export}@")
        from_file = serial[path].findings
        held = _held_by_metadata(meta.findings, from_file)
        assert held == _held_by_metadata(from_file, from_file), path
        assert meta.iod == serial[path].iod
        compared += len(held)
    assert compared > 500  # findings compared, not just empty lists


# -- the command line ---------------------------------------------------------------------------


def _iodkit(*args: str) -> Any:
    import subprocess
    import sys

    exe = str(Path(sys.executable).with_name("iodkit"))
    return subprocess.run([exe, "validate", *args], capture_output=True, text=True, timeout=600)


def test_cli_dask_prints_the_serial_document(testdata: Path) -> None:
    serial = _iodkit(str(testdata), "--json")
    dask = _iodkit(str(testdata), "--json", "--dask", "-j", "2")
    assert serial.returncode == dask.returncode == 1
    assert json.loads(dask.stdout) == json.loads(serial.stdout)
    assert json.loads(serial.stdout)["summary"]["files"] >= 50


def test_cli_series_checks_and_findings_table(testdata: Path, tmp_path: Path) -> None:
    paths = _ct_files(tmp_path, [0.0, 2.0, 4.0, 10.0, 12.0], "1.2.826.0.1.3680043.8.498.8")
    plain = _iodkit(*paths)
    series = _iodkit(*paths, "--series", "--table", str(tmp_path / "findings.jsonl"))
    assert series.stdout.startswith(plain.stdout.rsplit("\n", 2)[0])  # the files' lines alike
    assert "series 1.2.826.0.1.3680043.8.498.8" in series.stdout
    assert "WARNING volume ImagePositionPatient: gap of 6.000 mm" in series.stdout
    assert plain.returncode == series.returncode  # warnings only: the exit code is unchanged
    rows = [json.loads(x) for x in (tmp_path / "findings.jsonl").read_text().splitlines()]
    assert [r["code"] for r in rows if r["scope"] == "series"] == ["volume"]
    document = json.loads(_iodkit(*paths, "--series", "--json").stdout)
    assert [s["code"] for s in document["series"]] == ["volume"]
    assert document["summary"]["series_warnings"] == 1
    import shutil

    copy = shutil.copy(paths[0], tmp_path / "copy.dcm")  # one instance in two files
    assert _iodkit(*paths, copy).returncode == plain.returncode
    duplicated = _iodkit(*paths, copy, "--series")
    assert duplicated.returncode == 1  # asked for: the duplicate SOP Instance UID is an error
    assert "ERROR duplicate-uid SOPInstanceUID" in duplicated.stdout
    refused = _iodkit(*paths, "--series", "--jobs", "2")
    assert refused.returncode == 2 and "--series runs with dask or sequential" in refused.stderr


class _Handle:
    def __init__(self, events: list[Any]) -> None:
        self.events = events

    def close(self) -> None:
        self.events.append("close")


EVENTS: list[Any] = []


def slow_starter(jobs: int, address: str | None) -> _Handle:
    EVENTS.append(("start", jobs, address))
    return _Handle(EVENTS)


def slow_runner(sources: list[Any], context: Any, jobs: int, **options: Any) -> Iterator[Any]:
    from iodkit.validation.runners import sequential

    EVENTS.append(("run", len(sources), sorted(options), options["started"] is not None))
    yield from sequential(sources, context)


def test_a_runner_that_takes_time_to_start_gets_ready_while_inputs_resolve(
    testdata: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A runner in STARTERS (``--dask``: a cluster to start) is started before the inputs are
    resolved, handed to the runner as ``started``, and closed in any case — also when the run
    never comes (no such input)."""
    import argparse
    import io

    from iodkit.validation import cli, inputs, runners

    monkeypatch.setitem(runners.RUNNERS, "dask", f"{__name__}:slow_runner")
    monkeypatch.setitem(runners.STARTERS, "dask", f"{__name__}:slow_starter")
    resolve = inputs.resolve

    def resolving(*args: Any, **kwargs: Any) -> Any:
        EVENTS.append("resolve")
        return resolve(*args, **kwargs)

    monkeypatch.setattr(inputs, "resolve", resolving)
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    files = _corpus(testdata)[:3]
    EVENTS.clear()
    code = cli.run(
        parser.parse_args(["-q", "--no-progress", "--dask", "-j", "2", *files]), io.StringIO()
    )
    assert code in (0, 1)
    assert EVENTS == [("start", 2, None), "resolve", ("run", 3, ["started"], True), "close"]
    EVENTS.clear()
    missing = cli.run(
        parser.parse_args(["--dask", "tcp://h:8786", "no/such/folder"]), io.StringIO()
    )
    assert missing == 2 and EVENTS == [("start", 1, "tcp://h:8786"), "resolve", "close"]


def test_the_dask_flag_takes_an_address_only_when_it_looks_like_one() -> None:
    import argparse

    from iodkit.validation import cli

    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)

    def parsed(*argv: str) -> tuple[str | None, str | None, list[str]]:
        args = parser.parse_args(argv)
        return args.runner, getattr(args, "runner_address", None), cli._arguments(args)

    assert parsed("--dask", "scans/", "more/") == ("dask", None, ["scans/", "more/"])
    assert parsed("a/", "b/", "--dask", "c/") == ("dask", None, ["a/", "b/", "c/"])
    address = "tcp://scheduler.example:8786"
    assert parsed("--dask", address, "a/") == ("dask", address, ["a/"])
    assert parsed("--dask", "scheduler:8786", "a/") == ("dask", "scheduler:8786", ["a/"])
    assert parsed("--dask=tls://h:8786") == ("dask", "tls://h:8786", [])
    assert parsed("a/", "--dask") == ("dask", None, ["a/"])
    assert parsed("a/")[:2] == (None, None)


def test_workers_write_the_findings_table(testdata: Path, tmp_path: Path, cluster: Any) -> None:
    """With ``table``, each batch's worker writes its part of the table (the client gets counts):
    the parts, in name order, are the rows a client-side writer makes of the serial run."""
    import pyarrow.parquet as pq

    corpus = _corpus(testdata)
    paths = corpus * 2
    serial_out = tmp_path / "serial.parquet"
    writer = FindingsWriter(serial_out)
    serial = validate_archive(paths, series=True)
    for _, report in serial.reports():
        writer.write_report(report)
    writer.write_series(serial.series_findings)
    expected = writer.close()
    folder = tmp_path / "table"
    run = validate_archive(paths, dask=cluster, series=True, batch_size=16, table=folder)
    summary = run.write_table()
    parts = sorted(folder.glob("part-*.parquet"))
    assert len(parts) == -(-len(paths) // 16)
    rows = [row for part in parts for row in pq.read_table(part).to_pylist()]
    rows += pq.read_table(folder / "series.parquet").to_pylist()
    assert rows == pq.read_table(serial_out).to_pylist()
    assert {k: summary[k] for k in expected} == expected
    assert json.loads((folder / "summary.json").read_text()) == summary
    assert not list(folder.glob(".*.tmp"))


def test_a_script_without_the_main_guard_gets_one_clear_error(tmp_path: Path) -> None:
    """QA-24: LocalCluster workers import the main module again; a script that calls
    validate_archive(dask=True) at top level gets a RunnerError naming the guard, not pages of
    "Nanny failed to start"."""
    import subprocess
    import sys

    script = tmp_path / "noguard.py"
    script.write_text(
        "from iodkit.scale import validate_archive\n"
        "run = validate_archive([], dask=True, workers=1)\n"
        "print(list(run.reports()))\n"
    )
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=300
    )
    last = [line for line in done.stderr.splitlines() if "Error" in line][-1]
    assert done.returncode != 0
    assert last.startswith("iodkit.validation.runners.RunnerError:"), done.stderr[-2000:]
    assert 'if __name__ == "__main__":' in last


def test_the_workers_server_warms_with_the_first_file_of_each_sop_class(
    testdata: Path, tmp_path: Path
) -> None:
    """The server a LocalCluster's workers are forked from imports iodkit.scale.warm last; with
    WARM_ENV naming a list file it waits for the list, validates the first file of each SOP
    Class in it (as --jobs does before forking), and goes on; without a list file's sources
    (an empty one, written by a command that stopped early) it goes on at once."""
    import subprocess
    import sys

    from iodkit.scale.warm import WARM_ENV, write_list
    from iodkit.validation.context import STORED
    from iodkit.validation.reader import sop_class_of

    sources = resolve([str(testdata)]).sources
    classes = {sop_class_of(s.location) for s in sources} - {""}
    probe = "import iodkit.scale.warm as w, os; print(w.warmed, os.environ.get(w.WARM_ENV))"
    for name, given, expected in (("list", sources, len(classes)), ("empty", [], 0)):
        path = tmp_path / name
        write_list(str(path), given, STORED)
        done = subprocess.run(
            [sys.executable, "-c", probe],
            env={**os.environ, WARM_ENV: str(path)},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.stdout.split() == [str(expected), "None"], done.stderr[-2000:]
    assert len(classes) > 5

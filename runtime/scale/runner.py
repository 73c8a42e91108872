"""Run a validation over many inputs: serially in this process, or on Dask (``dask.distributed``).

:func:`validate_archive` takes work units (:mod:`.units`: paths, DICOM JSON ranges, DICOMweb
instances) and yields ``(position, FileReport)`` as batches finish; :class:`ArchiveRun` keeps
the run's counts and, when series checks were asked for, their findings
(:mod:`.series`). Both engines call the same :func:`~.units.validate_batch`, so their
findings are the same; only the order they arrive in differs (``position`` puts them back).

On Dask, a LocalCluster (one single-threaded worker process per core, or ``workers``) is made
unless a scheduler address or a ``distributed.Client`` is given. Batches are submitted a few
at a time ahead of the workers (a window, so a run of millions of files never holds millions
of tasks), each under its own key: a batch whose worker dies is run again by the scheduler,
and a batch whose result the client already has is never counted twice — no file's findings
are lost or duplicated. Series checks run on the workers too, one task per bucket of series
(and of SOP Instance UIDs, for duplicates), after every batch has reported its facts.
"""

from __future__ import annotations

import itertools
import os
import time
import uuid
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from iodkit.validation.api import FileReport
from iodkit.validation.context import STORED, ValidationContext

from .facts import InstanceFacts
from .output import Summary
from .series import SeriesFinding, check_all, check_duplicates, check_series
from .units import BatchResult, Position, Unit, validate_batch

#: Units per batch (one task). Enough to make the scheduler's cost per task (~1 ms) small
#: against the batch's work (~10 ms a file), few enough to spread a small run over workers.
BATCH_SIZE = 32
#: Batches in flight per worker thread.
WINDOW_PER_THREAD = 4
#: Buckets the series facts are partitioned into for the series checks (per worker thread).
BUCKETS_PER_THREAD = 2

Progress = Callable[[int, int], None]  # (instances done, instances with errors)


@dataclass
class RunStats:
    """What a run measured: instances, batches, seconds to start the engine and to finish,
    batches run again after a worker was lost (recomputed by the scheduler, reported once)."""

    instances: int = 0
    with_errors: int = 0
    batches: int = 0
    workers: int = 1
    startup_seconds: float = 0.0
    seconds: float = 0.0
    repeated_batches: int = 0


@dataclass
class ArchiveRun:
    """A run's results as they come (:meth:`reports`), then its series findings."""

    units: Iterable[Unit]
    engine: str = "serial"
    scheduler: Any = None
    workers: int | None = None
    series: bool = False
    batch_size: int = BATCH_SIZE
    progress: Progress | None = None
    context: ValidationContext = STORED
    table: str | None = None
    stats: RunStats = field(default_factory=RunStats)
    series_findings: list[SeriesFinding] = field(default_factory=list)
    summary: Summary = field(default_factory=Summary)

    def reports(self) -> Iterator[tuple[Position, FileReport]]:
        """Each instance's report with its position, as batches finish."""
        started = time.perf_counter()
        batches = _batches(self.units, self.batch_size)
        if self.engine == "serial":
            results: Iterator[BatchResult] = (
                validate_batch(n, batch, self.series, self.context, self.table)
                for n, batch in batches
            )
            facts: list[InstanceFacts] = []
            for result in results:
                yield from self._take(result)
                facts.extend(result.facts)
            if self.series:
                self.series_findings = check_all(facts)
        elif self.engine == "dask":
            yield from self._dask(batches)
        else:
            raise ValueError(f"unknown engine {self.engine!r}: serial or dask")
        self.stats.seconds = time.perf_counter() - started

    def _take(self, result: BatchResult) -> Iterator[tuple[Position, FileReport]]:
        self.stats.batches += 1
        if result.counts is not None:  # the worker wrote the rows: counts only
            self.summary.add_counts(result.counts)
            self.stats.instances += result.counts["files"]
            self.stats.with_errors += result.counts["files_with_errors"]
        for position, report in result.reports:
            self.summary.add_report(report)
            self.stats.instances += 1
            self.stats.with_errors += report.errors > 0
            yield position, report
        if self.progress is not None:
            self.progress(self.stats.instances, self.stats.with_errors)

    def write_table(self) -> dict[str, Any]:
        """Run with the workers writing the findings table themselves into the folder
        :attr:`table` (``part-<batch>.parquet``, one row per finding, input order by name), and
        the series findings as ``series.parquet``; the client sees counts only. Returns the
        summary (also written as ``summary.json`` there)."""
        import json

        if self.table is None:
            raise ValueError("write_table needs a folder: validate_archive(…, table=folder)")
        for _ in self.reports():  # nothing comes back but counts
            pass
        from .output import FindingsWriter

        series_out = FindingsWriter(Path(self.table) / "series.parquet")
        series_out.write_series(self.series_findings)
        series_out.close()
        Path(self.table, "series.parquet.summary.json").unlink(missing_ok=True)
        self.summary.add_series(self.series_findings)
        summary = self.summary.to_dict(
            engine=self.engine, workers=self.stats.workers, seconds=self.stats.seconds
        )
        Path(self.table, "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
        return summary

    # -- Dask ----------------------------------------------------------------------------------

    def _dask(
        self, batches: Iterator[tuple[int, list[tuple[int, Unit]]]]
    ) -> Iterator[tuple[Position, FileReport]]:
        from distributed import as_completed

        t0 = time.perf_counter()
        client, owned = connect(self.scheduler, self.workers)
        try:
            threads = max(1, sum(client.nthreads().values()))
            self.stats.workers = len(client.nthreads())
            self.stats.startup_seconds = time.perf_counter() - t0
            run = uuid.uuid4().hex[:8]
            window = threads * WINDOW_PER_THREAD
            done: set[int] = set()
            buckets = threads * BUCKETS_PER_THREAD
            routed: list[list[InstanceFacts]] = [[] for _ in range(buckets)]
            by_uid: list[list[InstanceFacts]] = [[] for _ in range(buckets)]

            def submit(n: int, batch: list[tuple[int, Unit]]) -> Any:
                return client.submit(
                    validate_batch,
                    n,
                    batch,
                    self.series,
                    self.context,
                    self.table,
                    key=f"iodkit-validate-{run}-{n}",
                )

            pending = as_completed(
                [submit(n, b) for n, b in itertools.islice(batches, window)], with_results=True
            )
            for future, result in pending:
                future.release()
                next_batch = next(batches, None)
                if next_batch is not None:
                    pending.add(submit(*next_batch))
                if result.batch in done:  # recomputed after a worker was lost: once only
                    self.stats.repeated_batches += 1
                    continue
                done.add(result.batch)
                yield from self._take(result)
                for f in result.facts:
                    routed[_bucket(f.series, buckets)].append(f)
                    by_uid[_bucket(f.sop_instance, buckets)].append(f)
            if self.series:
                self.series_findings = _dask_series(client, run, routed, by_uid)
        finally:
            if owned:
                close_client(client)


def _batches(units: Iterable[Unit], size: int) -> Iterator[tuple[int, list[tuple[int, Unit]]]]:
    numbered = enumerate(units)
    for n in itertools.count():
        batch = list(itertools.islice(numbered, size))
        if not batch:
            return
        yield n, batch


def _bucket(key: str, buckets: int) -> int:
    return zlib.crc32(key.encode()) % buckets


def _series_bucket(facts: list[InstanceFacts]) -> list[SeriesFinding]:
    by_series: dict[str, list[InstanceFacts]] = {}
    for f in facts:
        by_series.setdefault(f.series, []).append(f)
    return [x for key in sorted(by_series) for x in check_series(by_series[key])]


def _dask_series(
    client: Any, run: str, routed: list[list[InstanceFacts]], by_uid: list[list[InstanceFacts]]
) -> list[SeriesFinding]:
    """One task per bucket of series and per bucket of SOP Instance UIDs, on the workers."""
    futures = [
        client.submit(_series_bucket, facts, key=f"iodkit-series-{run}-{i}")
        for i, facts in enumerate(routed)
        if facts
    ]
    futures += [
        client.submit(check_duplicates, facts, key=f"iodkit-uids-{run}-{i}")
        for i, facts in enumerate(by_uid)
        if facts
    ]
    found = [x for part in client.gather(futures) for x in part]
    return sorted(found, key=SeriesFinding.sort_key)


def connect(scheduler: Any = None, workers: int | None = None) -> tuple[Any, bool]:
    """A ``distributed.Client``: the one given, the one a :class:`~iodkit.scale.cli.Startup`
    was making, one for a scheduler address, or one on a new LocalCluster of ``workers``
    single-threaded processes (default: one per core). Returns the client and whether the
    caller owns it (and so must close it: :func:`close_client`)."""
    from distributed import Client

    if isinstance(scheduler, Client):
        return scheduler, False
    if hasattr(scheduler, "take"):  # a Startup: made in the background, owned by the run
        made: tuple[Any, bool] = scheduler.take()
        return made
    if isinstance(scheduler, str) and scheduler:
        from iodkit.validation.runners import RunnerError

        try:
            return Client(scheduler, timeout=15), True
        except (OSError, ValueError, TimeoutError) as exc:
            raise RunnerError(f"no Dask scheduler answers at {scheduler}: {exc}") from exc
    return Client(local_cluster(workers)), True


def close_client(client: Any) -> None:
    """Close a client and the LocalCluster it was made on, if any."""
    cluster = client.cluster
    client.close()
    if cluster is not None:
        cluster.close()


#: Dask settings for the workers of a validation run. A worker's statistical profiler samples
#: the running thread's stack a hundred times a second and takes the GIL to do it; with it and
#: the default monitors, the worker processes spent 40–55% more CPU than the same batches in
#: one process, without them 21% (1,100 files, two workers, a busy machine). Set them on a
#: cluster of your own too (DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED=False, …).
WORKER_SETTINGS = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.worker.memory.monitor-interval": "1s",
    # Each server (the scheduler, each nanny — all three in the client's process — and each
    # worker) measures its event loop's latency every 20 ms by default: 150 callbacks a second
    # in the client's process alone, on the cores the workers need.
    "distributed.admin.tick.interval": "500ms",
    # Batches are queued on the scheduler and handed to workers as they free up (they are
    # many tasks of one group): moving them between workers saves nothing and costs a
    # callback a second and a scan of the workers.
    "distributed.scheduler.work-stealing": False,
}


#: What a worker process of a LocalCluster needs before its first batch, imported once in the
#: process the workers are forked from (:func:`_start_method`).
WORKER_PRELOAD = ["distributed", "numpy", "iodkit.scale.units", "iodkit.scale.warm"]


def _start_method() -> dict[str, str]:
    """Start the workers of a LocalCluster by forking them from a server process that has
    imported :data:`WORKER_PRELOAD` once (``forkserver``), where the platform has it.

    Dask's default (``spawn``) starts each worker as a fresh interpreter that imports
    ``distributed`` (~0.5 s of CPU before it answers), then iodkit at its first batch — on two
    cores, CPU that the run itself needed. Forked workers answer after ~0.06 s of CPU and close
    in ~0.1 s instead of ~1.5 s (measured on a 2-core machine under load). The server process
    is single-threaded (imports only), so forking it is safe, unlike forking the client. The
    setting holds while the cluster starts; a worker the nanny restarts later is spawned.
    """
    import multiprocessing

    if "forkserver" not in multiprocessing.get_all_start_methods():
        return {}
    start_forkserver()  # unless started already
    import dask
    from distributed.utils import get_mp_context

    settings = {"distributed.worker.multiprocessing-method": "forkserver"}
    with dask.config.set(settings):
        get_mp_context()  # Dask sets its own preload list once, here; ours replaces it
    # (it takes effect when the server starts, at the first worker; a running one is kept)
    multiprocessing.get_context("forkserver").set_forkserver_preload(WORKER_PRELOAD)
    return settings


def start_forkserver(warm: str | None = None) -> bool:
    """Start the server process a LocalCluster's workers are forked from, now, if it is not
    running yet: it imports :data:`WORKER_PRELOAD` while this process goes on (importing
    ``distributed``, resolving inputs), instead of after this process has started the
    scheduler and asked for the first worker. With ``warm``, a file the server waits for
    and warms with (:mod:`iodkit.scale.warm`). Returns whether it started here (False: no
    forkserver on this platform, or one running already — a ``warm`` file is not read)."""
    import multiprocessing
    from multiprocessing import forkserver

    if "forkserver" not in multiprocessing.get_all_start_methods():
        return False
    server: Any = forkserver._forkserver  # type: ignore[attr-defined]
    if server._forkserver_pid is not None:  # running (or started and gone: it restarts)
        return False
    multiprocessing.get_context("forkserver").set_forkserver_preload(WORKER_PRELOAD)
    from .warm import WARM_ENV

    if warm:  # for the server only: set while it starts
        os.environ[WARM_ENV] = warm
    try:
        forkserver.ensure_running()
    finally:
        os.environ.pop(WARM_ENV, None)
    return True


def local_cluster(workers: int | None = None) -> Any:
    """A LocalCluster on this machine: ``workers`` single-threaded worker processes (default:
    one per core) forked from a process that has imported what they need, with
    :data:`WORKER_SETTINGS`, nothing listening beyond 127.0.0.1."""
    import multiprocessing

    import dask
    from distributed import LocalCluster
    from iodkit.validation.runners import RunnerError

    if getattr(multiprocessing.current_process(), "_inheriting", False):
        # a worker process re-running the user's script as it starts: stop here, short
        raise RunnerError(f"a Dask worker process is starting another cluster: {_GUARD}")
    settings = {**WORKER_SETTINGS, **_start_method()}
    try:
        with dask.config.set(settings):  # the workers take the settings when they start
            return LocalCluster(
                n_workers=workers or os.cpu_count() or 1,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",  # this machine only
                dashboard_address="127.0.0.1:0",  # its status page: a free port, loopback only
                silence_logs=40,  # logging.ERROR: a lost worker is the run's to report
            )
    except RuntimeError as exc:  # "Nanny failed to start." — the cause is in the workers
        raise RunnerError(f"the Dask worker processes did not start ({exc}); {_GUARD}") from exc


#: The usual reason a LocalCluster's workers fail to start, and its cure (Python's
#: multiprocessing: "Safe importing of main module").
_GUARD = (
    "a worker process imports the main module again, so a script that starts a LocalCluster "
    "(validate_archive(..., dask=True), iodkit.scale.runner.local_cluster) must do so under "
    '`if __name__ == "__main__":`'
)


def validate_archive(
    units: Iterable[Unit],
    *,
    dask: Any = None,
    workers: int | None = None,
    series: bool = False,
    batch_size: int = BATCH_SIZE,
    progress: Progress | None = None,
    context: ValidationContext = STORED,
    table: str | Path | None = None,
) -> ArchiveRun:
    """Set up a run over ``units``; iterate its :meth:`ArchiveRun.reports` to run it.

    ``dask``: None or False for a serial run in this process; True for a LocalCluster of
    ``workers`` processes; a scheduler address (``"tcp://host:8786"``) or a
    ``distributed.Client`` to run there. ``series`` adds the series-level checks. ``table``
    (a folder): the workers write the findings table there themselves, and the run is made
    with :meth:`ArchiveRun.write_table` (the client then handles counts, not findings).

    >>> run = validate_archive(paths, dask=True, workers=2, series=True)   # doctest: +SKIP
    >>> reports = sorted(run.reports())                                    # doctest: +SKIP
    >>> run.series_findings                                                # doctest: +SKIP
    """
    engine = "serial" if dask is None or dask is False else "dask"
    scheduler = None if isinstance(dask, bool) else dask
    return ArchiveRun(
        units,
        engine=engine,
        scheduler=scheduler,
        workers=workers,
        series=series,
        batch_size=batch_size,
        progress=progress,
        context=context,
        table=None if table is None else str(table),
    )

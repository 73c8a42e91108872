"""``iodkit validate`` runners from :mod:`iodkit.scale`: Dask, and series checks.

Registered in :data:`iodkit.validation.runners.RUNNERS` (``--dask [ADDRESS]``) and
:data:`~iodkit.validation.runners.SERIES_RUNNERS` (what ``--series`` runs with). Each has the
runners' signature — ``(sources, context, jobs) → FileReport`` s in the order of the sources —
and the keywords ``address`` (a Dask scheduler; a LocalCluster of ``jobs`` workers, or one per
core, when None), ``started`` (the client :func:`start` began making as the command started:
:data:`~iodkit.validation.runners.STARTERS`) and ``series`` (a list the series-level findings
are added to, after the last report; None: no series checks).
"""

from __future__ import annotations

import os
import tempfile
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from iodkit.validation.context import STORED

from .runner import ArchiveRun, start_forkserver
from .units import Position
from .warm import write_list

if TYPE_CHECKING:
    from iodkit.validation.api import FileReport
    from iodkit.validation.context import ValidationContext
    from iodkit.validation.inputs import Source

    from .series import SeriesFinding


def _in_order(run: ArchiveRun, count: int) -> Iterator[FileReport]:
    """A run's reports in the order of its units (each unit here is one source)."""
    done: dict[Position, FileReport] = {}
    nxt = 0
    for position, report in run.reports():
        done[position] = report
        while (nxt, 0) in done:
            yield done.pop((nxt, 0))
            nxt += 1
    assert nxt == count and not done, "a source's report is missing or came twice"


def _workers(jobs: int) -> int:
    return jobs if jobs > 1 else (os.cpu_count() or 1)


class Startup:
    """A Dask client being made in a background thread — a LocalCluster started, or a
    scheduler connected to — while ``iodkit validate`` resolves its inputs: the workers' start
    (processes of their own) overlaps the command's own work instead of following it.
    :func:`~iodkit.scale.runner.connect` takes it as a scheduler and waits for it there."""

    def __init__(self, address: str | None, workers: int) -> None:
        self._made: tuple[Any, bool] | None = None
        self._error: BaseException | None = None
        #: the file the workers' server waits for, to warm with (a LocalCluster only)
        self._warm_list: str | None = None
        if address is None:  # the workers' server starts now, and warms with what comes
            path = os.path.join(
                tempfile.gettempdir(), f"iodkit-warm-{os.getpid()}-{uuid.uuid4().hex[:8]}"
            )
            if start_forkserver(path):
                self._warm_list = path
        self._thread = threading.Thread(
            target=self._connect, args=(address, workers), name="iodkit-dask-start", daemon=True
        )
        self._thread.start()

    def _connect(self, address: str | None, workers: int) -> None:
        from .runner import connect

        try:
            self._made = connect(address, workers)
        except BaseException as exc:  # raised where the client is waited for
            self._error = exc

    def warm(self, sources: list[Source], context: ValidationContext) -> None:
        """Tell the workers' server what to warm with (:mod:`.warm`), once."""
        if self._warm_list is not None and not os.path.exists(self._warm_list):
            write_list(self._warm_list, sources, context)

    def take(self) -> tuple[Any, bool]:
        """The client and whether it is the taker's to close (the run closes it from now on);
        what connecting raised, if it failed."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        made, self._made = self._made, None
        if made is None:
            raise RuntimeError("the Dask client was already taken")
        return made

    def close(self) -> None:
        """Close the client and its cluster if no run took them (no input to validate, …)."""
        if self._warm_list is not None:  # a server still waiting stops waiting
            if not os.path.exists(self._warm_list):
                write_list(self._warm_list, [], STORED)
        self._thread.join()
        made, self._made = self._made, None
        if made is not None and made[1]:
            from .runner import close_client

            close_client(made[0])
        if self._warm_list is not None:
            Path(self._warm_list).unlink(missing_ok=True)


def start(jobs: int, address: str | None = None) -> Startup:
    """Begin making the Dask client of a ``--dask`` run (:data:`~iodkit.validation.runners.
    STARTERS`): a LocalCluster of ``jobs`` workers (one per core when ``jobs`` is 1), or the
    scheduler at ``address``."""
    return Startup(address, _workers(jobs))


def sequential(
    sources: list[Source],
    context: ValidationContext,
    jobs: int = 1,
    *,
    series: list[SeriesFinding] | None = None,
) -> Iterator[FileReport]:
    """In this process, in order; with ``series``, the series checks after the last report."""
    run = ArchiveRun(sources, series=series is not None, context=context)
    yield from _in_order(run, len(sources))
    if series is not None:
        series.extend(run.series_findings)


def dask(
    sources: list[Source],
    context: ValidationContext,
    jobs: int = 1,
    *,
    address: str | None = None,
    started: Startup | None = None,
    series: list[SeriesFinding] | None = None,
) -> Iterator[FileReport]:
    """On Dask: the client ``started`` (:func:`start`), else the scheduler at ``address``, or a
    LocalCluster of ``jobs`` single-threaded worker processes (one per core when ``jobs`` is
    1)."""
    if started is not None:
        started.warm(sources, context)
    run = ArchiveRun(
        sources,
        engine="dask",
        scheduler=started if started is not None else address,
        workers=_workers(jobs),
        series=series is not None,
        context=context,
    )
    yield from _in_order(run, len(sources))
    if series is not None:
        series.extend(run.series_findings)

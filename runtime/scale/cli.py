"""``iodkit validate`` runners from :mod:`iodkit.scale`: Dask, and series checks.

Registered in :data:`iodkit.validation.runners.RUNNERS` (``--dask [ADDRESS]``) and
:data:`~iodkit.validation.runners.SERIES_RUNNERS` (what ``--series`` runs with). Each has the
runners' signature — ``(sources, context, jobs) → FileReport`` s in the order of the sources —
and two keywords: ``address`` (a Dask scheduler; a LocalCluster of ``jobs`` workers, or one per
core, when None) and ``series`` (a list the series-level findings are added to, after the last
report; None: no series checks).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

from .runner import ArchiveRun
from .units import Position

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
    series: list[SeriesFinding] | None = None,
) -> Iterator[FileReport]:
    """On Dask: the scheduler at ``address``, or a LocalCluster of ``jobs`` single-threaded
    worker processes (one per core when ``jobs`` is 1)."""
    workers = jobs if jobs > 1 else (os.cpu_count() or 1)
    run = ArchiveRun(
        sources,
        engine="dask",
        scheduler=address,
        workers=workers,
        series=series is not None,
        context=context,
    )
    yield from _in_order(run, len(sources))
    if series is not None:
        series.extend(run.series_findings)

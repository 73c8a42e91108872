"""How ``iodkit validate`` runs its sources: one after the other, or in processes.

A runner is a function ``(sources, context, jobs) → iterator of FileReport``, yielding the
reports in the order of the sources (so output does not depend on how the work was spread).
:data:`RUNNERS` names them as ``"module:function"``, imported only when chosen; the command
line offers each as ``--runner NAME``, and any runner beyond the built-in two also as a flag of
its own name (``--dask`` for a runner registered as ``"dask"``). To add one, add its name here.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

from .inputs import FILE_VALIDATOR, Source, named

__all__ = [
    "RunnerError",
    "RUNNERS",
    "SERIES_RUNNERS",
    "STARTERS",
    "BUILT_IN",
    "named",
    "processes",
    "sequential",
    "validate_source",
]

if TYPE_CHECKING:
    from .api import FileReport
    from .context import ValidationContext

#: name → "module:function"
RUNNERS: dict[str, str] = {
    "sequential": "iodkit.validation.runners:sequential",
    "processes": "iodkit.validation.runners:processes",
    "dask": "iodkit.scale.cli:dask",  # --dask [ADDRESS]: a LocalCluster, or that scheduler
}
BUILT_IN = ("sequential", "processes")
#: runners that take time to get ready (a cluster to start), by the runner's name: started as
#: the command begins, so they get ready while the inputs are resolved. "module:function",
#: ``fn(jobs, address) → handle``; the handle is given to the runner as the keyword ``started``
#: and has ``close()``, which the command calls in any case (a run that never comes — no such
#: input, say — closes what was started; a runner that took the handle over makes it a no-op).
STARTERS: dict[str, str] = {
    "dask": "iodkit.scale.cli:start",
}
#: runners that also run the series-level checks (``--series``), by the runner's name: they
#: take a keyword ``series`` (a list the series findings are added to after the last report)
SERIES_RUNNERS: dict[str, str] = {
    "sequential": "iodkit.scale.cli:sequential",
    "dask": "iodkit.scale.cli:dask",
}


class RunnerError(RuntimeError):
    """A runner cannot run (no scheduler at the address given, say): ``iodkit validate``
    says so and exits 2."""


def validate_source(source: Source, context: ValidationContext) -> FileReport:
    """One source's report, by the validator it names."""
    return named(source.validator)(source, context)  # type: ignore[no-any-return]


def _quiet_collector() -> None:
    # Loading the rules of an IOD makes tens of thousands of objects, none of them garbage;
    # at the default threshold (700) the collector ran over and over while they were made (4%
    # of a run over the test corpus). A file's tree has no cycles (reference counting frees
    # it), so collecting less often only delays the odd cyclic leftover.
    gc.set_threshold(10_000, 10, 10)


def sequential(
    sources: list[Source], context: ValidationContext, jobs: int = 1
) -> Iterator[FileReport]:
    """In this process, in order."""
    _quiet_collector()
    for source in sources:
        yield validate_source(source, context)
        # the rules loaded so far live as long as the process: keep the collector from
        # scanning them again and again (a validated file's tree has no cycles to collect)
        gc.freeze()


def processes(
    sources: list[Source], context: ValidationContext, jobs: int = 2
) -> Iterator[FileReport]:
    """In ``jobs`` processes (forked where the platform can, so the rules loaded here are
    shared), the reports put back in the order given."""
    if jobs <= 1 or len(sources) < 2:
        yield from sequential(sources, context)
        return
    import multiprocessing as mp

    _quiet_collector()
    method = "fork" if sys.platform.startswith("linux") else "spawn"
    if method == "fork":
        _warm(sources)
        gc.freeze()  # shared with the workers, never scanned again
    ctx = mp.get_context(method)
    # Within each block of sources, largest first, one at a time (a large multi-frame file
    # takes as long as dozens of small ones: handing them out first keeps the workers equally
    # busy to the end of the block); the reports are put back in the order given, so at most
    # a block waits for its first source.
    block = max(64, jobs * 16)
    order = [
        i
        for start in range(0, len(sources), block)
        for i in sorted(
            range(start, min(start + block, len(sources))), key=lambda i: -sources[i].size
        )
    ]
    done: dict[int, FileReport] = {}
    nxt = 0
    with ctx.Pool(jobs) as pool:
        jobs_in = [(i, sources[i], context) for i in order]
        for i, report in pool.imap_unordered(_validate_indexed, jobs_in):
            done[i] = report
            while nxt in done:
                yield done.pop(nxt)
                nxt += 1


def _validate_indexed(
    job: tuple[int, Source, ValidationContext],
) -> tuple[int, FileReport]:
    return job[0], validate_source(job[1], job[2])


def _warm(sources: list[Source]) -> None:
    """Load what every worker needs before forking, so the workers share it instead of each
    making its own: the rules of the IODs the files need (the File Meta Information names the
    SOP Class) with their top-level layouts, the data dictionary, the context groups' index."""
    from . import api  # noqa: F401 - the engine's modules, imported once for all workers
    from .dictionary import entry
    from .engine import root_layout
    from .reader import sop_class_of
    from .rules import rule_book

    entry(0x00080016)  # loads the data dictionary
    try:
        import iodkit.codes  # noqa: F401 - context groups, for code sequences
    except ImportError:
        pass
    book = rule_book()
    seen: set[str] = set()
    for s in sources:
        if s.validator != FILE_VALIDATOR:  # not a file this process can peek into
            continue
        uid = sop_class_of(s.location)
        if uid and uid not in seen:
            seen.add(uid)
            try:
                iod = book.iod_for(uid)
                if iod is not None:
                    root_layout(book.plans, iod)
            except Exception:  # a broken rule module must not stop the run; the worker reports
                continue

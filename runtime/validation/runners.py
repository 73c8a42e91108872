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
    done: dict[int, FileReport] = {}
    if method == "fork":
        done = warm_up(sources, context)
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
        if i not in done
    ]
    nxt = 0
    with ctx.Pool(jobs) as pool:
        jobs_in = [(i, sources[i], context) for i in order]
        while nxt in done:
            yield done.pop(nxt)
            nxt += 1
        for i, report in pool.imap_unordered(_validate_indexed, jobs_in):
            done[i] = report
            while nxt in done:
                yield done.pop(nxt)
                nxt += 1


def _validate_indexed(
    job: tuple[int, Source, ValidationContext],
) -> tuple[int, FileReport]:
    return job[0], validate_source(job[1], job[2])


def warm_up(sources: list[Source], context: ValidationContext) -> dict[int, FileReport]:
    """Load what every worker needs before forking, so the workers share it instead of each
    making its own: the first file of each SOP Class (the File Meta Information names it) is
    validated here, which loads its IOD's rules and makes every plan, item scope and compiled
    condition it uses — and, for an SR, the template rules and pydicom's code tables — once for
    all workers; also the data dictionary and the context groups' index. Returns those files'
    reports by their index in ``sources``."""
    from . import api  # noqa: F401 - the engine's modules, imported once for all workers
    from .dictionary import entry
    from .reader import sop_class_of

    entry(0x00080016)  # loads the data dictionary
    try:
        import iodkit.codes  # noqa: F401 - context groups, for code sequences
    except ImportError:
        pass
    seen: set[str] = set()
    done: dict[int, FileReport] = {}
    for i, s in enumerate(sources):
        if s.validator != FILE_VALIDATOR:  # not a file this process can peek into
            continue
        try:
            uid = sop_class_of(s.location)
        except OSError:
            continue  # the worker reports it
        if uid and uid not in seen:
            seen.add(uid)
            done[i] = validate_source(s, context)
    return done

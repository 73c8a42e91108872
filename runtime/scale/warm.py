"""Warm the process a LocalCluster's workers are forked from, as ``--jobs`` warms its own.

``iodkit validate --jobs N`` validates the first file of each SOP Class before it forks its
workers, so that the rules, plans and code tables those files load are loaded once and shared
by every worker. A LocalCluster's workers are forked from a server process instead
(:func:`iodkit.scale.runner.start_forkserver`), which imports what :data:`~iodkit.scale.
runner.WORKER_PRELOAD` names — this module last. Imported there with :data:`WARM_ENV` naming
a file, it waits for the command to write that file (:func:`write_list`: the run's context and
its first sources, known once the inputs are resolved — the server starts before that, so that
its imports overlap the command's own), then validates the first file of each SOP Class among
them and freezes what that loaded (``gc.freeze``): every worker forked afterwards starts with
it, as ``--jobs``'s workers do. Imported anywhere else (no :data:`WARM_ENV`), it does nothing.

Measured on the test corpus, a worker's first pass over it costs 0.6–1.0 s of CPU more than a
warm pass (its rules loading), paid by each worker without this.
"""

from __future__ import annotations

import gc
import os
import pickle
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from iodkit.validation.context import ValidationContext
    from iodkit.validation.inputs import Source

#: The environment variable naming the list file, set for the server process only.
WARM_ENV = "IODKIT_SCALE_WARM"
#: Sources looked at for SOP Classes (their first bytes read): the first of a run's inputs.
LOOK_AT = 2048
#: Seconds the server waits for the list (a command that stops before its run never writes
#: one, and its :meth:`~iodkit.scale.cli.Startup.close` writes an empty one).
WAIT_SECONDS = 60.0
#: Files validated here to warm (0 unless this process is a warmed server).
warmed = 0


def write_list(path: str, sources: Sequence[Source], context: ValidationContext) -> None:
    """Give the server at ``path`` what to warm with: the context and the first sources
    (files only: the others are not read here). Written whole, then renamed into place."""
    from iodkit.validation.inputs import FILE_VALIDATOR

    files = [s for s in sources[:LOOK_AT] if s.validator == FILE_VALIDATOR]
    part = f"{path}.part"
    with open(part, "wb") as fh:
        pickle.dump((context, files), fh)
    os.replace(part, path)


def warm(sources: list[Source], context: ValidationContext) -> int:
    """Warm as ``--jobs`` warms its parent (the same function: the first file of each SOP
    Class validated, the data dictionary and context groups loaded) and freeze what that
    made; returns how many files were validated."""
    from iodkit.validation.runners import warm_up

    done = warm_up(sources, context)
    gc.freeze()  # shared with the workers, never scanned again
    return len(done)


def _wait_and_warm(path: str) -> None:
    parent = os.getppid()
    deadline = time.monotonic() + WAIT_SECONDS
    while not os.path.exists(path):
        if os.getppid() != parent or time.monotonic() > deadline:
            return  # the command is gone, or never ran: workers warm themselves
        time.sleep(0.005)
    global warmed
    try:
        with open(path, "rb") as fh:
            context, sources = pickle.load(fh)
        warmed = warm(sources, context)
    except Exception:  # noqa: BLE001 - a server that failed to warm still forks workers
        return


_path = os.environ.pop(WARM_ENV, None)
if _path:
    _wait_and_warm(_path)

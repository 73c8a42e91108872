"""Run a piece of the spec build in a forked child and get its result back.

The spec build is CPU-bound Python (parsing pages, building the model, parsing conditions), so
two cores need two processes. A forked child shares the parent's memory as it was at the fork:
it needs nothing pickled to start, only its result is pickled back through a pipe. Used for the
PS3.16/PS3.4 reader (while this process reads PS3.3) and for half of the predicate pass.
"""

from __future__ import annotations

import os
import pickle
import threading
import traceback
from collections.abc import Callable
from typing import Any


def start(work: Callable[[], Any]) -> Callable[[], Any] | None:
    """Start ``work`` in a forked child; return a function that waits for its (pickled) result
    and gives it, or None when the child failed. None at once where fork is not available, or
    when other threads are running: a lock one of them holds at the fork (the import lock, a
    logging handler's) would stay locked forever in the child; callers then do the work
    themselves."""
    if not hasattr(os, "fork") or threading.active_count() > 1:
        return None
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never return into the caller's stack
        code = 1
        try:
            os.close(read_end)
            payload = pickle.dumps(work(), protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(write_end, "wb") as out:
                out.write(payload)
            code = 0
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(code)
    os.close(write_end)

    def result() -> Any:
        with os.fdopen(read_end, "rb") as inp:
            payload = inp.read()
        _, status = os.waitpid(pid, 0)
        if status != 0 or not payload:
            return None
        return pickle.loads(payload)

    return result

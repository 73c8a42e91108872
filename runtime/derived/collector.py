"""Pause Python's cyclic garbage collector while a derived object is built from many sources.

Converting 300 classic images into one Legacy Converted image allocates a few hundred thousand
small dicts, lists and Datasets (one item per frame, the values compared and stamped), which
reference counting frees as they go: none of them forms a reference cycle. The cyclic collector
runs anyway, after every 700 allocations, and now and then walks every object the process
holds — the classic images' Datasets included. That costs about a sixth of a conversion
(median 0.38 s → 0.32 s for 300 CT slices of 512², measured side by side). :func:`gc_paused`
turns it off for such a bounded piece of work and back on after it, if it was on; objects
made meanwhile are collected by the next collection as usual, so nothing is kept.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection inside the block (reference counting goes on); the
    collector is enabled again after it unless it was off before (another thread pausing it
    meanwhile leaves it as the first pause found it)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()

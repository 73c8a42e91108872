"""The error every derived object raises for input it cannot turn into a valid instance.

Each object package has its own subclass (``SegmentationError``, ``ParametricMapError`` …) so
users can catch one object's errors, or all of them with :class:`DerivedObjectError`. Core
functions raise :class:`DerivedObjectError`; an object runs them under :func:`errors_as` so
its users see the object's own class with the core's message.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


class DerivedObjectError(ValueError):
    """The inputs cannot make a valid derived object: sources that disagree or lack what the
    standard requires, arrays of the wrong shape or values, an impossible option. The message
    names the problem, and nothing has been written."""


@contextmanager
def errors_as(error: type[DerivedObjectError]) -> Iterator[None]:
    """Re-raise a core :class:`DerivedObjectError` as ``error`` (same message, chained)."""
    try:
        yield
    except DerivedObjectError as exc:
        if isinstance(exc, error):
            raise
        raise error(str(exc)) from exc

"""Errors of the Parametric Map writer and reader, each naming what is wrong."""

from __future__ import annotations

from iodkit.derived.errors import DerivedObjectError
from iodkit.derived.reader import DerivedReadError


class ParametricMapError(DerivedObjectError):
    """The inputs cannot make a valid Parametric Map (PS3.3 A.75): values of the wrong shape,
    type or range, a mapping that does not fit them, sources that disagree."""


class ParametricMapReadError(DerivedReadError):
    """A Parametric Map cannot answer the request (no such mapping, frames, dimensions…)."""

"""Errors of :mod:`iodkit.pr`."""

from __future__ import annotations

from iodkit.derived.errors import DerivedObjectError


class PresentationStateError(DerivedObjectError):
    """A presentation state that cannot be written as given (names the item at fault)."""


class PresentationStateReadError(ValueError):
    """A dataset that cannot be read as a Softcopy Presentation State."""

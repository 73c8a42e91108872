"""Errors of :mod:`iodkit.ann`."""

from __future__ import annotations

from iodkit.derived.errors import DerivedObjectError


class AnnotationError(DerivedObjectError):
    """Bulk annotations that cannot be written as given; the message names the group (number
    and label) and the annotation index (0-based, as in the arrays given) where it applies."""


class AnnotationReadError(ValueError):
    """A file or dataset that cannot be read as Microscopy Bulk Simple Annotations."""

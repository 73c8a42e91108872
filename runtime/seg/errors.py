"""Errors of the segmentation writer and reader, each naming what is wrong."""

from __future__ import annotations

from iodkit.derived.errors import DerivedObjectError


class SegmentationError(DerivedObjectError):
    """The inputs cannot make a valid Segmentation (PS3.3 A.51, C.8.20): wrong mask shape or
    values, undescribed segments, inconsistent source images, an impossible option."""


class SegmentationReadError(ValueError):
    """A Segmentation cannot answer the request: missing frames, ambiguous dimensions, a
    query that does not fit how the instance is organised."""

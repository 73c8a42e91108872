"""Errors of the Legacy Converted Enhanced writer and reader."""

from __future__ import annotations

from iodkit.derived.errors import DerivedObjectError
from iodkit.derived.reader import DerivedReadError


class LegacyConversionError(DerivedObjectError):
    """The classic images cannot be converted: mixed modalities, missing positions or pixel
    data, images that do not form one stack."""


class LegacyReadError(DerivedReadError):
    """A Legacy Converted Enhanced image cannot answer the request."""

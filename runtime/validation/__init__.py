"""Validation of datasets against the spec: conditions, rules, findings.

``validate(dataset_or_path)`` → list of :class:`Finding`; the engine and the reader load on first
use so ``import iodkit.validation`` stays cheap.
"""

from __future__ import annotations

from iodkit.speedups import prefer

__path__ = prefer(__name__, __path__)  # its compiled modules first, where built (iodkit.speedups)

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .api import validate, validate_bytes, validate_file
    from .findings import Finding, Reference

__all__ = ["Finding", "Reference", "validate", "validate_bytes", "validate_file"]


def __getattr__(name: str) -> Any:
    if name in ("validate", "validate_bytes", "validate_file"):
        from . import api

        return getattr(api, name)
    if name in ("Finding", "Reference"):
        from . import findings

        return getattr(findings, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

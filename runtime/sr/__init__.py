"""Structured Reporting: content trees built from PS3.16's templates, written fast, read back.

Modules: :mod:`~iodkit.sr.content` (content items and their values), :mod:`~iodkit.sr.encode`
(content trees straight to bytes), :mod:`~iodkit.sr.decode` (bytes to content trees),
:mod:`~iodkit.sr.template` (the runtime of the generated template builders,
``iodkit.templates``), :mod:`~iodkit.sr.valuesets` (value set constraints and the one rule for
coded values).
"""

from iodkit.sr.content import (
    ContentError,
    ContentItem,
    Numeric,
    Reference,
    Scoord,
    Scoord3D,
    Tcoord,
)

__all__ = [
    "ContentError",
    "ContentItem",
    "Numeric",
    "Reference",
    "Scoord",
    "Scoord3D",
    "Tcoord",
]

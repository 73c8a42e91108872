"""iodkit: the DICOM standard turned into Python.

* ``iodkit.generated`` — typed builders for every IOD, module and macro, generated from an
  edition of the standard (never edited by hand);
* ``iodkit.codegen`` — the generator: standard XML → spec → Jinja templates → code;
* this package — the thin runtime: pixels and frames, validation, high-level objects, CLI.

Importing ``iodkit`` is cheap: builders, codecs and the validator load on first use
(``iodkit.validate`` imports the validation engine when it is first called for).
"""

from __future__ import annotations

__version__ = "0.1.0"

# not typing.TYPE_CHECKING: importing typing would be most of the cost of ``import iodkit``
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .validation.api import validate

__all__ = ["__version__", "validate"]


def __getattr__(name: str) -> Any:
    if name == "validate":
        from .validation.api import validate

        return validate
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""Validation at archive scale: many inputs, serially or on Dask, with series-level checks.

::

    from iodkit.scale import validate_archive

    run = validate_archive(paths, dask=True, workers=16, series=True)
    for position, report in run.reports():      # as batches finish
        ...
    run.series_findings                          # scope "series": after the run

Modules: :mod:`~iodkit.scale.runner` (:func:`validate_archive`, serial and Dask engines),
:mod:`~iodkit.scale.units` (work units: files, DICOM JSON ranges, DICOMweb instances),
:mod:`~iodkit.scale.facts` and :mod:`~iodkit.scale.series` (series-level checks),
:mod:`~iodkit.scale.output` (JSON lines and Parquet, one row per finding). Dask is needed only
for ``dask=…`` runs (install ``iodkit[dask]``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .runner import ArchiveRun, RunStats, validate_archive
    from .series import SeriesFinding

__all__ = ["ArchiveRun", "RunStats", "SeriesFinding", "validate_archive"]


def __getattr__(name: str) -> Any:
    if name in ("ArchiveRun", "RunStats", "validate_archive"):
        from . import runner

        return getattr(runner, name)
    if name == "SeriesFinding":
        from . import series

        return series.SeriesFinding
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

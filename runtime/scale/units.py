"""Work units of an archive run, and how a worker validates a batch of them.

A unit is small and plain, so it pickles cheaply to a Dask worker, and says where the worker
finds its input itself — nothing but names travels from the client:

* a file path (``str``);
* a :class:`~iodkit.validation.inputs.Source` (what ``iodkit validate`` resolves its arguments
  into: files, DICOMweb instances, DICOM JSON instances — see :mod:`iodkit.web.inputs`);
* :class:`MetadataLines`: the lines of a DICOM JSON-lines file that start in a byte range,
  each one instance's metadata (PS3.18 F.2) — a metadata export of millions of instances is
  split by :func:`metadata_ranges` without the client reading it.

:func:`validate_batch` validates units in order and returns each report with its position in
the run — ``(unit number, instance number within the unit)`` — so results can be put back in
input order whatever order the batches finish in.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from iodkit.validation.api import FileReport, inspect_file
from iodkit.validation.context import STORED, ValidationContext
from iodkit.validation.findings import Finding
from iodkit.validation.inputs import FILE_VALIDATOR, Source, named

from .facts import InstanceFacts, facts_of

#: A JSON-lines metadata file is split into ranges of about this many bytes.
METADATA_RANGE_BYTES = 8 << 20


@dataclass(frozen=True, slots=True)
class MetadataLines:
    """Lines of a DICOM JSON-lines file starting at byte offsets ``start`` ≤ o < ``stop``."""

    path: str
    start: int
    stop: int


Unit = str | Source | MetadataLines
#: validator → the function that also gives the tree it checked (for the series facts)
INSPECTORS: dict[str, str] = {
    FILE_VALIDATOR: "iodkit.scale.units:inspect_file_source",
    "iodkit.web.inputs:report_source": "iodkit.web.inputs:inspect_source",
}
Position = tuple[int, int]


@dataclass(slots=True)
class BatchResult:
    """What a worker sends back for one batch: reports with their positions, and the facts
    the series checks need (only when asked for)."""

    batch: int
    reports: list[tuple[Position, FileReport]] = field(default_factory=list)
    facts: list[InstanceFacts] = field(default_factory=list)
    #: when the worker wrote the rows itself (``table``): the batch's counts instead of reports
    counts: dict[str, Any] | None = None

    @property
    def files(self) -> int:
        return len(self.reports)


def metadata_ranges(path: str | os.PathLike[str], chunk: int = METADATA_RANGE_BYTES) -> list[Unit]:
    """Units covering a DICOM JSON file: byte ranges of a JSON-lines file, or one source per
    instance of a JSON array (:func:`iodkit.web.inputs.metadata_files`)."""
    from iodkit.validation.inputs import ResolveOptions
    from iodkit.web.dicomjson import document_kind
    from iodkit.web.inputs import metadata_files

    name = os.fspath(path)
    if document_kind(name) != "lines":
        resolution = metadata_files(name, ResolveOptions())
        return list(resolution.sources) if resolution is not None else []
    size = os.path.getsize(name)
    return [MetadataLines(name, s, min(s + chunk, size)) for s in range(0, max(size, 1), chunk)]


def inspect_file_source(
    source: Source, context: ValidationContext = STORED
) -> tuple[FileReport, Any]:
    """A file source's report (under the source's name) and the tree it checked."""
    from dataclasses import replace

    report, parsed = inspect_file(source.location, context=context)
    return (report if report.path == source.name else replace(report, path=source.name)), parsed


def validate_batch(
    batch: int,
    units: Sequence[tuple[int, Unit]],
    series: bool = False,
    context: ValidationContext = STORED,
    table: str | None = None,
) -> BatchResult:
    """Validate ``units`` (each with its unit number) in order; never raises for bad input.
    With ``series``, also read each instance's facts for the series checks; with ``table`` (a
    folder), write the rows to its part of the findings table and send back counts only."""
    gc.set_threshold(10_000, 10, 10)  # as the runners of iodkit.validation do
    result = BatchResult(batch)
    for number, unit in units:
        for sub, (report, parsed) in enumerate(_validate_unit(unit, context)):
            result.reports.append(((number, sub), report))
            if series and parsed is not None:
                facts = facts_of(report.path, parsed.dataset)
                if facts is not None:
                    result.facts.append(facts)
    if table is not None:
        from .output import write_part

        result.counts = write_part(table, batch, [r for _, r in sorted(result.reports)])
        result.reports = []
    # The rules loaded so far, and a Dask worker's own objects, live as long as the process:
    # keep the collector from scanning them again and again (a validated file's tree has no
    # cycles to collect). Measured: a worker spent about 50% more CPU a file without this.
    gc.freeze()
    return result


def _validate_unit(unit: Unit, context: ValidationContext) -> Iterator[tuple[FileReport, Any]]:
    """Each report of a unit with the tree it checked (None: unreadable, or not known)."""
    if isinstance(unit, str):
        yield inspect_file(unit, context=context)
    elif isinstance(unit, Source):
        inspector = INSPECTORS.get(unit.validator)
        if inspector is None:  # a validator that gives no tree: no facts for series checks
            yield named(unit.validator)(unit, context), None
        else:
            yield named(inspector)(unit, context)
    elif isinstance(unit, MetadataLines):
        yield from _metadata_lines(unit, context)
    else:
        raise TypeError(f"not a work unit: {unit!r}")


def _metadata_lines(
    unit: MetadataLines, context: ValidationContext
) -> Iterator[tuple[FileReport, Any]]:
    """Each instance of the range; a line that cannot be read is a finding of its own, and the
    lines after it are still read."""
    from iodkit.web.dicomjson import json_lines
    from iodkit.web.inputs import inspect_metadata

    try:
        for source, text in json_lines(unit.path, unit.start, unit.stop):
            yield inspect_metadata(source, text, context)
    except OSError as exc:
        message = f"cannot read {unit.path}: {exc}"
        yield FileReport(unit.path, "", [Finding("error", "read", "", message)]), None

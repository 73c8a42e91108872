"""Work units of an archive run, and how a worker validates a batch of them.

A unit is small and plain, so it pickles cheaply to a Dask worker, and says where the worker
finds its input itself — nothing but names travels from the client:

* a file path (``str``): one file;
* :class:`MetadataLines`: the lines of a DICOM JSON-lines file that start in a byte range, each
  one instance's metadata (PS3.18 F.2) — a huge metadata export is split without the client
  reading it;
* :class:`MetadataDocument`: a whole DICOM JSON document (an array of instances);
* :class:`WebInstance`: one instance on a DICOMweb service, validated as stored (WADO-RS
  retrieve) or, with ``metadata``, from its metadata alone.

:func:`validate_batch` validates units in order and returns each report with its position in
the run — ``(unit number, instance number within the unit)`` — so results can be put back in
input order whatever order the batches finish in.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from iodkit.validation.api import FileReport, inspect_file, report_parsed
from iodkit.validation.findings import Finding

from .facts import InstanceFacts, facts_of

#: A JSON-lines metadata file is split into ranges of about this many bytes.
METADATA_RANGE_BYTES = 8 << 20


@dataclass(frozen=True, slots=True)
class MetadataLines:
    """Lines of a DICOM JSON-lines file starting at byte offsets ``start`` ≤ o < ``stop``."""

    path: str
    start: int
    stop: int


@dataclass(frozen=True, slots=True)
class MetadataDocument:
    """A DICOM JSON document: an array of instance objects (or one object)."""

    path: str


@dataclass(frozen=True, slots=True)
class WebInstance:
    """One instance on a DICOMweb service (``address``: its instance URL)."""

    address: str
    metadata: bool = False


Unit = str | MetadataLines | MetadataDocument | WebInstance
Position = tuple[int, int]


@dataclass(slots=True)
class BatchResult:
    """What a worker sends back for one batch: reports with their positions, and the facts
    the series checks need (only when asked for)."""

    batch: int
    reports: list[tuple[Position, FileReport]] = field(default_factory=list)
    facts: list[InstanceFacts] = field(default_factory=list)

    @property
    def files(self) -> int:
        return len(self.reports)


def metadata_ranges(path: str | os.PathLike[str], chunk: int = METADATA_RANGE_BYTES) -> list[Unit]:
    """Units covering a metadata file: ranges of a JSON-lines file, or the whole document."""
    from iodkit.web.dicomjson import document_kind

    name = os.fspath(path)
    if document_kind(name) != "lines":
        return [MetadataDocument(name)]
    size = os.path.getsize(name)
    return [MetadataLines(name, s, min(s + chunk, size)) for s in range(0, max(size, 1), chunk)]


def validate_batch(
    batch: int, units: Sequence[tuple[int, Unit]], series: bool = False
) -> BatchResult:
    """Validate ``units`` (each with its unit number) in order; never raises for bad input."""
    result = BatchResult(batch)
    for number, unit in units:
        for sub, (report, facts) in enumerate(_validate_unit(unit)):
            result.reports.append(((number, sub), report))
            if series and facts is not None:
                result.facts.append(facts)
    return result


def _validate_unit(unit: Unit) -> Iterator[tuple[FileReport, InstanceFacts | None]]:
    if isinstance(unit, str):
        report, parsed = inspect_file(unit)
        yield report, facts_of(unit, parsed.dataset) if parsed is not None else None
    elif isinstance(unit, (MetadataLines, MetadataDocument)):
        yield from _metadata(unit)
    elif isinstance(unit, WebInstance):
        yield _web_instance(unit)
    else:
        raise TypeError(f"not a work unit: {unit!r}")


def _unreadable(name: str, exc: BaseException) -> tuple[FileReport, None]:
    message = f"cannot read {name}: {exc}"
    return FileReport(name, "", [Finding("error", "read", "", message)]), None


def _metadata(
    unit: MetadataLines | MetadataDocument,
) -> Iterator[tuple[FileReport, InstanceFacts | None]]:
    """Each instance of the unit; a line that cannot be read is a finding of its own, and the
    lines after it are still read."""
    from iodkit.web.dicomjson import DicomJsonError, instance_from_line, iter_dicom_json, json_lines

    if isinstance(unit, MetadataDocument):
        try:
            instances = list(iter_dicom_json(unit.path))
        except (OSError, UnicodeDecodeError, DicomJsonError) as exc:
            yield _unreadable(unit.path, exc)
            return
        for instance in instances:
            yield _validate_metadata(instance)
        return
    try:
        for source, text in json_lines(unit.path, unit.start, unit.stop):
            try:
                instance = instance_from_line(source, text)
            except DicomJsonError as exc:
                yield _unreadable(source, exc)
                continue
            yield _validate_metadata(instance)
    except OSError as exc:
        yield _unreadable(unit.path, exc)


def _validate_metadata(instance: object) -> tuple[FileReport, InstanceFacts | None]:
    from iodkit.validation.reader import from_dataset

    name = getattr(instance, "source", "")
    try:
        parsed = from_dataset(instance.dataset)  # type: ignore[attr-defined]
    except Exception as exc:
        return _unreadable(name, exc)
    return report_parsed(name, parsed), facts_of(name, parsed.dataset)


def _web_instance(unit: WebInstance) -> tuple[FileReport, InstanceFacts | None]:
    from iodkit.validation.reader import parse
    from iodkit.web import DicomWebError, parse_address
    from pydicom.filewriter import dcmwrite

    web = _service(unit.address)
    a = parse_address(unit.address)
    assert a.series is not None and a.instance is not None
    try:
        if unit.metadata:
            (instance,) = web.retrieve_metadata(a.study, a.series, a.instance)
            instance.source = unit.address
            return _validate_metadata(instance)
        ds = web.retrieve_instance(a.study, a.series, a.instance)
    except (DicomWebError, ValueError) as exc:
        return _unreadable(unit.address, exc)
    buffer = (
        io.BytesIO()
    )  # the instance as received (pydicom keeps its encoding), checked as a file
    dcmwrite(buffer, ds, enforce_file_format=False)
    try:
        parsed = parse(buffer.getvalue())
    except Exception as exc:
        return _unreadable(unit.address, exc)
    return report_parsed(unit.address, parsed), facts_of(unit.address, parsed.dataset)


_SERVICES: dict[str, object] = {}


def _service(address: str):  # type: ignore[no-untyped-def]
    """One DicomWeb per service root in this process (its HTTP session is reused)."""
    from iodkit.web import DicomWeb, parse_address

    root = parse_address(address).root
    web = _SERVICES.get(root)
    if web is None:
        web = _SERVICES[root] = DicomWeb(root)
    return web

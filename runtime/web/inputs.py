"""DICOMweb addresses and DICOM JSON files as inputs of ``iodkit validate`` (and of Dask runs).

Two resolvers for :mod:`iodkit.validation.inputs` (its ``RESOLVERS``):

* :func:`addresses` — a DICOMweb study, series or instance URL (:mod:`.address`): the
  instances below it, found with QIDO-RS, each validated as stored (retrieved with WADO-RS),
  or from its metadata alone when the URL ends in ``/metadata`` (no pixel data fetched);
* :func:`metadata_files` — a DICOM JSON file (``.json``, ``.jsonl``, ``.ndjson``; PS3.18 F.2):
  each instance in it, validated from its metadata.

A :class:`~iodkit.validation.inputs.Source` made here names :func:`report_source` as its
validator and says in its ``location`` where the instance is: a URL, ``file@offset`` (the
byte offset of a JSON line) or ``file[i]`` (an element of a JSON array), so a worker process
reads only its own instance. :func:`inspect_source` also gives the tree that was checked, for
the series-level checks (:mod:`iodkit.scale`).

Metadata is what a DICOMweb service answers (WADO-RS metadata, exports of it): values as the
server holds them, bulk data (Pixel Data) as a URI. It is validated in the ``metadata``
context (:class:`~iodkit.validation.context.ValidationContext`): a bulk data element given by
reference is present with an unknown length; what metadata cannot hold — the File Meta
Information, the byte encoding, the pixel data's bytes — is not checked.
"""

from __future__ import annotations

import io
import json
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from iodkit.validation.inputs import Resolution, ResolveOptions, Source

if TYPE_CHECKING:
    from iodkit.validation.api import FileReport
    from iodkit.validation.context import ValidationContext
    from iodkit.validation.reader import ParsedFile

    from .client import DicomWeb
    from .dicomjson import MetadataInstance

VALIDATOR = "iodkit.web.inputs:report_source"
_JSON_SUFFIXES = (".json", ".jsonl", ".ndjson")


def addresses(arg: str, options: ResolveOptions) -> Resolution | None:
    """The instances a DICOMweb study, series or instance URL names (None: not a URL)."""
    from .address import AddressError, is_address, parse_address

    if not is_address(arg):
        return None  # before importing the client: a run over files never loads it
    from .client import DicomWebError

    out = Resolution()
    try:
        a = parse_address(arg)
        web = service(a.root)
        instances = list(web.instances(a))
    except (AddressError, DicomWebError) as exc:
        out.unreadable.append(f"{arg}: {exc}")
        return out
    if not instances:
        out.unreadable.append(f"{arg}: the server lists no instance there")
    for uids in sorted(instances, key=lambda u: (u.series, u.instance)):
        url = a.of_instance(uids.series, uids.instance).url
        name = url.removesuffix("/metadata")
        out.sources.append(Source(name, url, VALIDATOR))
    return out


def metadata_files(arg: str, options: ResolveOptions) -> Resolution | None:
    """The instances of a DICOM JSON file (None: not one)."""
    if not arg.lower().endswith(_JSON_SUFFIXES):
        return None  # before importing dicomjson (pydicom): a run over files never loads it
    from .dicomjson import DicomJsonError, document_kind, json_lines, looks_like_dicom_json

    if not looks_like_dicom_json(arg):
        return None
    out = Resolution()
    try:
        kind = document_kind(arg)
        if kind == "lines":
            out.sources = [Source(src, src, VALIDATOR) for src, _ in json_lines(arg)]
        else:
            count = len(_document(arg)) if kind == "array" else 1
            out.sources = [Source(f"{arg}[{i}]", f"{arg}[{i}]", VALIDATOR) for i in range(count)]
    except (OSError, UnicodeDecodeError, DicomJsonError) as exc:
        out.unreadable.append(f"{arg}: {exc}")
    return out


@lru_cache(maxsize=2)
def _document(path: str) -> list[Any]:
    """A JSON document's instances (cached: the sources of one array name the same file)."""
    import json

    from .dicomjson import DicomJsonError

    with open(path, encoding="utf-8") as fp:
        try:
            document = json.load(fp)
        except json.JSONDecodeError as exc:
            raise DicomJsonError(f"{path}: not JSON: {exc}") from exc
    return document if isinstance(document, list) else [document]


_SERVICES: dict[str, DicomWeb] = {}


def service(root: str) -> DicomWeb:
    """One :class:`~.client.DicomWeb` per service root in a process (its connections reused)."""
    from .client import DicomWeb

    web = _SERVICES.get(root)
    if web is None:
        web = _SERVICES[root] = DicomWeb(root)
    return web


def metadata_instance(location: str) -> MetadataInstance:
    """The instance a metadata location names: ``file@offset``, ``file[i]`` or a URL."""
    from .address import is_address, parse_address
    from .client import DicomWebError
    from .dicomjson import dataset_from_json

    if is_address(location):
        a = parse_address(location)
        found = service(a.root).retrieve_metadata(a.study, a.series, a.instance)
        if len(found) != 1:
            raise DicomWebError(f"{location}: the server sent {len(found)} instances")
        found[0].source = location.removesuffix("/metadata")
        return found[0]
    return dataset_from_json(metadata_object(location), location)


def metadata_object(location: str) -> Any:
    """The JSON object of the instance a file's metadata location names: ``file@offset`` (a
    line of JSON lines) or ``file[i]`` (an item of a JSON array)."""
    from .dicomjson import DicomJsonError

    if location.endswith("]") and "[" in location:
        path, _, index = location[:-1].rpartition("[")
        return _document(path)[int(index)]
    path, _, offset = location.rpartition("@")
    with open(path, "rb") as fp:
        fp.seek(int(offset))
        line = fp.readline().decode("utf-8", "replace")
    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        raise DicomJsonError(f"{location}: not JSON: {exc}") from exc


def metadata_tree(instance: MetadataInstance) -> ParsedFile:
    """The validation reader's tree of an instance's metadata: a bulk data element given by
    reference is present with an unknown length."""
    import warnings

    from iodkit.validation.fromvalues import from_dataset

    with warnings.catch_warnings():  # pydicom's warnings on values: the validator reports them
        warnings.simplefilter("ignore")
        return from_dataset(instance.dataset, bulk_by_reference=True)


def metadata_context(context: ValidationContext) -> ValidationContext:
    """The context metadata is validated in: what the caller said if it speaks of metadata
    (``stow-rs-metadata``), else ``metadata`` — bulk data by reference, whatever the run's
    files are validated as."""
    from dataclasses import replace

    return context if context.metadata else replace(context, transfer="metadata")


def inspect_source(
    source: Source, context: ValidationContext | None = None
) -> tuple[FileReport, ParsedFile | None]:
    """A source made here, validated: its report and the tree checked (None if unreadable)."""
    from iodkit.validation.api import report_parsed
    from iodkit.validation.context import STORED
    from iodkit.validation.reader import parse

    from .address import is_address, parse_address

    context = context or STORED
    try:
        if is_address(source.location) and not source.location.endswith("/metadata"):
            a = parse_address(source.location)
            assert a.series is not None and a.instance is not None
            parsed = parse(_retrieved_bytes(service(a.root), a.study, a.series, a.instance))
        elif is_address(source.location):  # WADO-RS metadata
            parsed = metadata_tree(metadata_instance(source.location))
            context = metadata_context(context)
        else:  # a file's: its tree made from the JSON directly
            return inspect_metadata(source.name, metadata_object(source.location), context)
    except Exception as exc:  # a server's refusal, a broken line: a finding, never a traceback
        return _unreadable(source.name, f"cannot read {source.name}: {exc}"), None
    return report_parsed(source.name, parsed, context=context), parsed


def inspect_metadata(
    name: str, obj: Any, context: ValidationContext | None = None
) -> tuple[FileReport, ParsedFile | None]:
    """One DICOM JSON instance object (or a line of JSON lines), validated as metadata: its
    report and the tree checked (None if it cannot be read)."""
    from iodkit.validation.api import report_parsed
    from iodkit.validation.context import STORED

    from .dicomjson import DicomJsonError, tree_from_json

    try:
        if isinstance(obj, str):
            try:
                obj = json.loads(obj)
            except json.JSONDecodeError as exc:
                raise DicomJsonError(f"{name}: not JSON: {exc}") from exc
        parsed = tree_from_json(obj, name)
    except Exception as exc:  # a broken line: a finding, never a traceback
        return _unreadable(name, f"cannot read {name}: {exc}"), None
    return report_parsed(name, parsed, context=metadata_context(context or STORED)), parsed


def report_source(source: Source, context: ValidationContext | None = None) -> FileReport:
    """A source made here, validated (the validator :data:`VALIDATOR` names)."""
    return inspect_source(source, context)[0]


def _unreadable(name: str, message: str) -> FileReport:
    from iodkit.validation.api import FileReport
    from iodkit.validation.findings import Finding

    return FileReport(name, "", [Finding("error", "read", "", message)])


def _retrieved_bytes(web: DicomWeb, study: str, series: str, instance: str) -> bytes:
    """The instance as the server sent it, written back as pydicom read it (pydicom keeps
    each element's encoding, so the bytes are the received file's)."""
    from pydicom.filewriter import dcmwrite

    ds = web.retrieve_instance(study, series, instance)
    buffer = io.BytesIO()
    dcmwrite(buffer, ds, enforce_file_format=False)
    return buffer.getvalue()

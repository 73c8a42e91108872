"""DICOM JSON (PS3.18 F.2): instance metadata as JSON, in files and in DICOMweb answers.

A metadata document is an array of instance objects (PS3.18 F.2.1.1, what WADO-RS metadata
and QIDO-RS answer) or, for archives too large for one document, one instance object a line
("JSON lines"). Either is read here one instance at a time, each into a pydicom ``Dataset``.

Bulk data (PS3.18 F.2.6: Pixel Data and other large values given as ``BulkDataURI``) is not
fetched: the element is in the dataset with no value (None), and the top level's URIs are
listed in :attr:`MetadataInstance.bulk_data`, so a reader knows the value exists and where it
is, and the validator (context "metadata") takes it as present rather than absent or empty.
``InlineBinary`` values are decoded as usual.

For validation, :func:`tree_from_json` makes the validator's tree of an instance directly,
without the pydicom ``Dataset`` (a third of the time, the same tree).

This module needs only pydicom; it never imports the DICOMweb client.
"""

from __future__ import annotations

import base64
import inspect
import json
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from iodkit.pixels.description import PIXEL_DATA_TAGS
from pydicom.dataset import Dataset
from pydicom.tag import Tag

if TYPE_CHECKING:
    from iodkit.validation.reader import ParsedFile


class DicomJsonError(ValueError):
    """A DICOM JSON document that cannot be read; the message names where."""


@dataclass(slots=True)
class MetadataInstance:
    """One instance of a metadata document: its dataset (bulk data elements without a value),
    the bulk data elements of the top level (tag → BulkDataURI) and where it came from
    (``file@offset``, ``file[i]``, a URL)."""

    dataset: Dataset
    bulk_data: dict[int, str] = field(default_factory=dict)
    source: str = ""

    @property
    def sop_instance_uid(self) -> str:
        return str(self.dataset.get("SOPInstanceUID", ""))


def dataset_from_json(obj: dict[str, Any], source: str = "") -> MetadataInstance:
    """One DICOM JSON instance object → :class:`MetadataInstance`.

    An element given by ``BulkDataURI`` stays in the dataset with no value (None: present,
    not fetched — what the validator's metadata context reads as "bulk data by reference");
    the URIs of the top level's are kept in ``bulk_data``.
    """
    if not isinstance(obj, dict):
        raise DicomJsonError(
            f"{source or 'DICOM JSON'}: an instance is a JSON object, not {type(obj).__name__}"
        )
    bulk: dict[int, str] = {}
    for key, element in obj.items():
        if isinstance(element, dict) and "BulkDataURI" in element:
            try:
                bulk[int(Tag(key))] = str(element["BulkDataURI"])
            except (ValueError, OverflowError) as exc:
                raise DicomJsonError(f"{source}: bad tag {key!r}: {exc}") from exc
    try:
        with warnings.catch_warnings():  # a value pydicom finds invalid is the validator's to
            warnings.simplefilter("ignore")  # report, once, as a finding; not a warning here
            dataset = Dataset.from_json(obj, bulk_data_uri_handler=_not_fetched)
    except Exception as exc:  # pydicom raises several kinds for malformed JSON elements
        raise DicomJsonError(f"{source or 'DICOM JSON'}: {type(exc).__name__}: {exc}") from exc
    return MetadataInstance(dataset, bulk, source)


def _not_fetched(tag: str, vr: str, uri: str) -> None:
    """Bulk data is not fetched: the element is present with no value."""
    return None


# pydicom asks for the handler's signature once per element it converts (to choose how to
# call it): computed once here, that is 12 µs instead of 80 µs an element (profiled: a third of
# reading a metadata document).
_not_fetched.__signature__ = inspect.signature(_not_fetched)  # type: ignore[attr-defined]


def tree_from_json(obj: dict[str, Any], source: str = "") -> ParsedFile:
    """The validation reader's tree of one DICOM JSON instance object, as
    ``from_dataset(dataset_from_json(obj).dataset, bulk_by_reference=True)`` makes it, without
    building the pydicom ``Dataset``.

    Each element's value is still made by pydicom's own ``DataElement`` (its conversions of
    DS/IS/UI/PN/AT values, its splitting of text on backslashes, its VR for UN); what is left
    out is the machinery around it — a converter object per element that asks for the bulk
    data handler's signature again, the ``Dataset`` of each item and its bookkeeping. Over the
    test corpus: the same tree, element for element (value, type, VR, length), in a third of
    the time. Anything this path does not take as pydicom does — several value keys in one
    element, a UN value pydicom would re-read, a malformed value — goes the pydicom way,
    which raises :class:`DicomJsonError` where the document is malformed.
    """
    from iodkit.validation.fromvalues import from_dataset, from_elements

    with warnings.catch_warnings():  # a value pydicom finds invalid is the validator's to
        warnings.simplefilter("ignore")  # report, once, as a finding; not a warning here
        try:
            elements = list(_elements(obj, 0))
        except Exception:  # not the common case: pydicom's way, with its errors
            return from_dataset(dataset_from_json(obj, source).dataset, bulk_by_reference=True)
        return from_elements(elements, bulk_by_reference=True)


class _Unusual(Exception):
    """An element :func:`_elements` leaves to pydicom's own reader."""


_JSON_VALUE_KEYS = ("Value", "BulkDataURI", "InlineBinary")  # PS3.18 F.2.2


def _elements(obj: dict[str, Any], depth: int) -> Iterator[tuple[int, str, Any]]:
    """``(tag, VR, value)`` of an instance object (or item) in its order, values as pydicom's
    ``Dataset.from_json`` gives them (``pydicom.jsonrep.JsonDataElementConverter``, whose steps
    are followed here), bulk data by reference as None; a sequence's items alike."""
    from iodkit.validation.reader import MAX_DEPTH
    from pydicom import config
    from pydicom.dataelem import DataElement, RawDataElement, convert_raw_data_element
    from pydicom.dataelem import empty_value_for_VR as empty
    from pydicom.jsonrep import convert_to_python_number
    from pydicom.tag import BaseTag

    if not isinstance(obj, dict):
        raise _Unusual("not an object")
    for key, mapping in obj.items():
        vr = mapping["vr"]
        given = [k for k in _JSON_VALUE_KEYS if k in mapping]
        if len(given) > 1:
            raise _Unusual("several value keys")  # pydicom takes one of them, at random
        tag = int(key, 16)
        raw = mapping[given[0]] if given else None
        if vr == "SQ":
            if given and given[0] != "Value" or raw is not None and not isinstance(raw, list):
                raise _Unusual("a sequence without items")
            if depth + 1 >= MAX_DEPTH:
                raise _Unusual("nested too deep")
            yield tag, vr, [list(_elements(item or {}, depth + 1)) for item in raw or []]
            continue
        if not given:
            value = empty(vr)
        elif given[0] == "Value":
            if not isinstance(raw, list):
                raise _Unusual("Value is not an array")
            values = [_value(v, vr) for v in raw]
            value = (
                empty(vr)
                if not values
                else convert_to_python_number(values[0] if len(values) == 1 else values, vr)
            )
        else:
            uri_or_data = raw[0] if isinstance(raw, list) else raw
            if not isinstance(uri_or_data, str):
                raise _Unusual(f"{given[0]} is not a string")
            value = base64.b64decode(uri_or_data) if given[0] == "InlineBinary" else None
        if vr == "UN" and config.replace_un_with_known_vr and isinstance(value, bytes):
            raw_element = RawDataElement(BaseTag(tag), vr, len(value), value, 0, True, True)
            value = convert_raw_data_element(raw_element).value
        element = DataElement(tag, vr, value)
        if element.VR == "SQ":
            raise _Unusual("a UN value read as a sequence")
        yield tag, str(element.VR), element.value


def _value(value: Any, vr: str) -> Any:
    """One value of a "Value" array (``get_regular_element_value``)."""
    from pydicom.dataelem import empty_value_for_VR

    if value is None:
        return empty_value_for_VR(vr)
    if vr == "PN":
        if not isinstance(value, dict):
            raise _Unusual("a PN value that is not an object")
        names = [value.get(k, "") for k in ("Alphabetic", "Ideographic", "Phonetic")]
        count = 3 if "Phonetic" in value else 2 if "Ideographic" in value else 1
        return "=".join(names[:count])
    if vr == "AT":
        if not isinstance(value, str):
            raise _Unusual("an AT value that is not a string")
        return int(value, 16)  # a ValueError: pydicom warns and drops it — its way then
    return value


def document_kind(path: str | Path) -> str:
    """``"array"`` (a JSON array of instances), ``"object"`` (one instance, possibly over
    several lines) or ``"lines"`` (one instance a line)."""
    with open(path, encoding="utf-8") as fp:
        first = _first_character(fp)
        if first == "[":
            return "array"
        fp.seek(0)
        for line in fp:
            if line.strip():
                try:
                    json.loads(line)
                except json.JSONDecodeError:
                    return "object"
                return "lines"
    return "lines"


def iter_dicom_json(path: str | Path) -> Iterator[MetadataInstance]:
    """Instances of a DICOM JSON file: an array, one object, or JSON lines. Instances are named
    ``file[i]`` in an array and ``file@offset`` (the byte offset of their line) in JSON lines.
    Raises :class:`DicomJsonError` at the first instance that cannot be read."""
    name = str(path)
    kind = document_kind(path)
    if kind == "lines":
        for source, text in json_lines(path):
            yield instance_from_line(source, text)
        return
    with open(path, encoding="utf-8") as fp:
        try:
            document = json.load(fp)
        except json.JSONDecodeError as exc:
            raise DicomJsonError(f"{name}: not JSON: {exc}") from exc
    if kind == "object" or isinstance(document, dict):
        yield dataset_from_json(document, name)
        return
    for i, obj in enumerate(document):
        yield dataset_from_json(obj, f"{name}[{i}]")


def json_lines(
    path: str | Path, start: int = 0, stop: int | None = None
) -> Iterator[tuple[str, str]]:
    """``(source, text)`` of each non-blank line of a JSON-lines file that starts at a byte
    offset in ``[start, stop)`` — ranges that tile a file give each line exactly once."""
    name = str(path)
    with open(path, "rb") as fp:
        if start > 0:
            fp.seek(start - 1)
            if fp.read(1) != b"\n":
                fp.readline()  # the rest of a line that started before this range
        while stop is None or fp.tell() < stop:
            offset = fp.tell()
            line = fp.readline()
            if not line:
                break
            if line.strip():
                yield f"{name}@{offset}", line.decode("utf-8", "replace")


def instance_from_line(source: str, text: str) -> MetadataInstance:
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DicomJsonError(f"{source}: not JSON: {exc}") from exc
    return dataset_from_json(obj, source)


def _first_character(fp: IO[str]) -> str:
    while chunk := fp.read(256):
        stripped = chunk.lstrip()
        if stripped:
            return stripped[0]
    return ""


def looks_like_dicom_json(path: str | Path) -> bool:
    """A ``.json``/``.jsonl``/``.ndjson`` file whose first character opens an array or object."""
    p = Path(path)
    if p.suffix.lower() not in (".json", ".jsonl", ".ndjson"):
        return False
    try:
        with open(p, encoding="utf-8") as fp:
            return _first_character(fp) in ("[", "{")
    except (OSError, UnicodeDecodeError):
        return False


def dataset_to_json_line(dataset: Dataset, bulk_data_uri: str | None = None) -> str:
    """One line of a JSON-lines metadata document for ``dataset``: the pixel data element
    (and nothing else) as ``BulkDataURI`` ``{bulk_data_uri}/bulk/{tag}`` when ``bulk_data_uri``
    is given, else left out; every other value inline, as WADO-RS metadata would carry it."""
    kept = Dataset()
    pixels: list[tuple[str, str]] = []
    for element in dataset:
        if int(element.tag) in PIXEL_DATA_TAGS:
            pixels.append((f"{int(element.tag):08X}", str(element.VR)))
        else:
            kept.add(element)
    obj = kept.to_json_dict(bulk_data_threshold=1 << 62)
    if bulk_data_uri:
        for key, vr in pixels:
            obj[key] = {"vr": vr, "BulkDataURI": f"{bulk_data_uri}/bulk/{key}"}
    return json.dumps(obj, separators=(",", ":"))

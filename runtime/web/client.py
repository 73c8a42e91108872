"""A DICOMweb service as iodkit uses it: a thin layer over ``dicomweb-client``.

:class:`DicomWeb` stores what iodkit writes (STOW-RS, PS3.18 10.5), searches (QIDO-RS, 10.6)
and retrieves instances, metadata and frames (WADO-RS, 10.4). ``dicomweb-client`` does the
HTTP and multipart work; this layer adds what iodkit's users need on top:

* anything iodkit writes is accepted as it is — a pydicom ``Dataset``, an object with
  ``to_dataset()`` (a Segmentation, a report…), a path or the bytes of a file — and sent as a
  Part 10 file (preamble, File Meta Information with its group length: PS3.18 says an
  ``application/dicom`` part is a PS3.10 file; ``dicomweb-client`` writes a dataset as it is,
  so one without a preamble would be stored as something no Part 10 reader opens);
* answers become pydicom ``Dataset`` s (QIDO-RS and metadata through :mod:`.dicomjson`, bulk
  data left on the server);
* every request is recorded in :attr:`DicomWeb.requests` (method, URL, status), so a caller
  — or a test — can see exactly what was fetched;
* failures are :class:`DicomWebError` s naming the URL and the server's answer.
"""

from __future__ import annotations

import io
import logging
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pydicom
from pydicom.dataset import Dataset
from pydicom.filewriter import dcmwrite

from .address import DicomWebAddress, parse_address
from .dicomjson import MetadataInstance, dataset_from_json

if TYPE_CHECKING:
    import requests

    from .frames import WadoFrames

log = logging.getLogger("iodkit.web")

#: A STOW-RS request carries at most this many bytes of instances (several requests otherwise).
STORE_BATCH_BYTES = 64 << 20


class DicomWebError(RuntimeError):
    """A DICOMweb request failed; ``status`` is the HTTP status (None: no answer)."""

    def __init__(self, message: str, status: int | None = None, url: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.url = url


@dataclass(frozen=True, slots=True)
class Request:
    """One HTTP request made to the service: method, URL and the status it got."""

    method: str
    url: str
    status: int


@dataclass(frozen=True, slots=True)
class InstanceUIDs:
    """Study, series and SOP Instance UID of one stored instance."""

    study: str
    series: str
    instance: str


Storable = Dataset | str | os.PathLike[str] | bytes | Any  # Any: objects with to_dataset()


class DicomWeb:
    """A DICOMweb service at ``url`` (the service root, e.g. ``http://host/dicom-web``).

    >>> web = DicomWeb("http://127.0.0.1:8042/dicom-web")         # doctest: +SKIP
    >>> web.store([seg])                                          # doctest: +SKIP
    >>> web.search_series(Modality="SEG")                         # doctest: +SKIP
    """

    def __init__(
        self,
        url: str,
        *,
        session: requests.Session | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 60.0,
    ) -> None:
        import requests as requests_module
        from dicomweb_client import DICOMwebClient

        self.url = url.rstrip("/")
        self.session = session or requests_module.Session()
        self.requests: list[Request] = []
        self.session.hooks.setdefault("response", []).append(self._record)
        self.client = DICOMwebClient(
            self.url, session=self.session, headers=headers, timeout=timeout
        )

    @classmethod
    def for_address(cls, address: str | DicomWebAddress, **kwargs: Any) -> DicomWeb:
        """The service an address (:mod:`.address`) lives on."""
        parsed = parse_address(address) if isinstance(address, str) else address
        return cls(parsed.root, **kwargs)

    def _record(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self.requests.append(
            Request(response.request.method or "", response.url, response.status_code)
        )

    def _call(self, what: str, function: Any, *args: Any, **kwargs: Any) -> Any:
        import requests as requests_module

        try:
            return function(*args, **kwargs)
        except requests_module.HTTPError as exc:
            response = exc.response
            status = response.status_code if response is not None else None
            url = response.url if response is not None else ""
            detail = _answer_text(response)
            raise DicomWebError(
                f"{what}: the server answered {status} for {url}{detail}", status, url
            ) from exc
        except (requests_module.ConnectionError, requests_module.Timeout) as exc:
            raise DicomWebError(
                f"{what}: cannot reach the DICOMweb server at {self.url} ({_no_answer(exc)})"
            ) from exc
        except requests_module.RequestException as exc:  # e.g. an answer broken off midway
            raise DicomWebError(f"{what}: no whole answer from {self.url}: {exc}") from exc

    # -- STOW-RS ------------------------------------------------------------------------------

    def store(self, objects: Iterable[Storable]) -> list[InstanceUIDs]:
        """Store instances (STOW-RS); returns the UIDs of what the server stored.

        Objects are sent in requests of at most :data:`STORE_BATCH_BYTES`. Raises
        :class:`DicomWebError` naming each instance the server refused (Failed SOP Sequence,
        PS3.18 10.5.3) — after the others of the request were stored.
        """
        stored: list[InstanceUIDs] = []
        batch: list[Dataset] = []
        size = 0
        for obj in objects:
            ds, length = as_part10(obj)
            batch.append(ds)
            size += length
            if size >= STORE_BATCH_BYTES:
                stored.extend(self._store_batch(batch))
                batch, size = [], 0
        if batch:
            stored.extend(self._store_batch(batch))
        return stored

    def _store_batch(self, batch: list[Dataset]) -> list[InstanceUIDs]:
        answer = self._call("store", self.client.store_instances, batch)
        failed = list(answer.get("FailedSOPSequence", []))
        if failed:
            reasons = "; ".join(
                f"{item.get('ReferencedSOPInstanceUID', '?')}: failure reason "
                f"{int(item.get('FailureReason', 0)):04X}H"
                for item in failed
            )
            raise DicomWebError(f"store: the server refused {len(failed)} instance(s): {reasons}")
        return [
            InstanceUIDs(
                str(ds.StudyInstanceUID), str(ds.SeriesInstanceUID), str(ds.SOPInstanceUID)
            )
            for ds in batch
        ]

    # -- QIDO-RS ------------------------------------------------------------------------------

    def search_studies(self, *, fields: Sequence[str] = (), **filters: Any) -> list[Dataset]:
        """Studies matching ``filters`` (DICOM keywords: ``PatientID="P1"``), all pages."""
        return self._search(self.client.search_for_studies, fields, filters)

    def search_series(
        self, study: str | None = None, *, fields: Sequence[str] = (), **filters: Any
    ) -> list[Dataset]:
        """Series (of ``study``, or of all studies) matching ``filters`` (``Modality="SEG"``)."""
        return self._search(self.client.search_for_series, fields, filters, study)

    def search_instances(
        self,
        study: str | None = None,
        series: str | None = None,
        *,
        fields: Sequence[str] = (),
        **filters: Any,
    ) -> list[Dataset]:
        """Instances (of ``study``/``series``, or all) matching ``filters``."""
        args = (study, series) if series else (study,)
        return self._search(self.client.search_for_instances, fields, filters, *args)

    def _search(
        self, function: Any, fields: Sequence[str], filters: dict[str, Any], *uids: str | None
    ) -> list[Dataset]:
        answer = self._call(
            "search",
            function,
            *uids,
            fields=list(fields) or None,
            search_filters=filters or None,
            get_remaining=True,
        )
        return [dataset_from_json(obj, "QIDO-RS answer").dataset for obj in answer]

    def instances(self, address: str | DicomWebAddress) -> Iterator[InstanceUIDs]:
        """Every instance an address names (a study, a series or one instance)."""
        a = parse_address(address) if isinstance(address, str) else address
        if a.instance and a.series:
            yield InstanceUIDs(a.study, a.series, a.instance)
            return
        for ds in self.search_instances(a.study, a.series):
            series = str(ds.get("SeriesInstanceUID", a.series or ""))
            yield InstanceUIDs(a.study, series, str(ds.SOPInstanceUID))

    # -- WADO-RS ------------------------------------------------------------------------------

    def retrieve_instance(self, study: str, series: str, instance: str) -> Dataset:
        """The stored instance, as a pydicom Dataset (its File Meta Information included)."""
        ds: Dataset = self._call(
            "retrieve instance", self.client.retrieve_instance, study, series, instance
        )
        return ds

    def retrieve_metadata(
        self, study: str, series: str | None = None, instance: str | None = None
    ) -> list[MetadataInstance]:
        """Metadata (DICOM JSON, PS3.18 10.4.1.1.2) of a study, a series or one instance;
        bulk data stays on the server (see :class:`~.dicomjson.MetadataInstance`)."""
        if instance is not None:
            if series is None:
                raise ValueError("an instance's metadata needs its Series Instance UID")
            answer = self._call(
                "retrieve metadata",
                self.client.retrieve_instance_metadata,
                study,
                series,
                instance,
            )
            documents = [answer] if isinstance(answer, dict) else list(answer)
        elif series is not None:
            documents = self._call(
                "retrieve metadata", self.client.retrieve_series_metadata, study, series
            )
        else:
            documents = self._call("retrieve metadata", self.client.retrieve_study_metadata, study)
        where = "/".join(u for u in (study, series, instance) if u)
        return [
            dataset_from_json(obj, f"metadata of {where}[{i}]") for i, obj in enumerate(documents)
        ]

    def retrieve_frames(
        self,
        study: str,
        series: str,
        instance: str,
        numbers: Sequence[int],
        transfer_syntax: str = "1.2.840.10008.1.2.1",
    ) -> list[bytes]:
        """Frames ``numbers`` (1-based, PS3.18 10.4.1.1.3) as bytes, one request.

        The media type is explicit (``application/octet-stream`` with ``transfer_syntax``,
        Explicit VR Little Endian by default: native, uncompressed frames; ``"*"`` asks for
        the frames as stored): some servers refuse frame requests without one.
        """
        frames: list[bytes] = self._call(
            "retrieve frames",
            self.client.retrieve_instance_frames,
            study,
            series,
            instance,
            list(numbers),
            media_types=(("application/octet-stream", transfer_syntax),),
        )
        if len(frames) != len(numbers):
            raise DicomWebError(
                f"retrieve frames: asked for {len(numbers)} frames of {instance}, the server "
                f"sent {len(frames)}"
            )
        return frames

    def open_frames(self, study: str, series: str, instance: str) -> WadoFrames:
        """Lazy frames of one instance: only the frames asked for are fetched."""
        from .frames import WadoFrames

        return WadoFrames(self, study, series, instance)

    def __repr__(self) -> str:
        return f"DicomWeb({self.url!r}, {len(self.requests)} requests)"


def as_part10(obj: Storable) -> tuple[Dataset, int]:
    """``obj`` as a Dataset that writes out as a Part 10 file, and its encoded length.

    A Dataset (or ``to_dataset()``'s result) is encoded once with the File Meta Information
    pydicom fills in (preamble, group length, version) and read back; the caller's dataset is
    not changed. A path or bytes is read as the file it is.
    """
    if isinstance(obj, (str, os.PathLike)):
        return pydicom.dcmread(obj), os.path.getsize(obj)
    if isinstance(obj, (bytes, bytearray, memoryview)):
        data = bytes(obj)
        return pydicom.dcmread(io.BytesIO(data)), len(data)
    if not isinstance(obj, Dataset) and hasattr(obj, "to_dataset"):
        obj = obj.to_dataset()
    if not isinstance(obj, Dataset):
        raise TypeError(
            f"cannot store a {type(obj).__name__}: give a pydicom Dataset, an object with "
            "to_dataset(), a path or the bytes of a DICOM file"
        )
    buffer = io.BytesIO()
    try:
        dcmwrite(buffer, obj, enforce_file_format=True)
    except Exception as exc:
        raise DicomWebError(
            f"store: cannot encode instance {obj.get('SOPInstanceUID', '?')} as a Part 10 "
            f"file: {exc}"
        ) from exc
    data = buffer.getvalue()
    return pydicom.dcmread(io.BytesIO(data)), len(data)


def _no_answer(exc: Exception) -> str:
    """Why a request got no answer, in a few words: urllib3's text ("HTTPConnectionPool(host=…):
    Max retries exceeded with url: … [Errno 111] Connection refused')") buries the one fact."""
    import requests as requests_module

    found = re.search(r"\[Errno -?\d+\] ([^'\")\]]+)", str(exc))
    if found:
        return found.group(1).strip().lower()  # "connection refused", "name or service not known"
    if isinstance(exc, requests_module.Timeout):
        return "no answer in time"
    return str(exc)


def _answer_text(response: requests.Response | None) -> str:
    """The start of the server's answer, when it says something a person can read."""
    if response is None:
        return ""
    content_type = response.headers.get("Content-Type", "")
    if not content_type.startswith(("text/", "application/json")):
        return ""
    text = " ".join(response.text.split())[:300]
    return f": {text}" if text else ""

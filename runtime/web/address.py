"""DICOMweb addresses: a study, series or instance as one URL (PS3.18 10.4.1, 8.2).

``https://pacs.example/dicom-web/studies/1.2.3/series/4.5.6/instances/7.8.9`` names an
instance; leave out the tail for a series or a study. A trailing ``/metadata`` asks for the
metadata only (PS3.18 10.4.1.1.2: DICOM JSON, bulk data as BulkDataURI), which is what archive
validation reads when it must not fetch pixels. The service root is everything before
``/studies/``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_RESOURCE = re.compile(
    r"^(?P<root>https?://[^?#]+?)/studies/(?P<study>[0-9.]+)"
    r"(?:/series/(?P<series>[0-9.]+)"
    r"(?:/instances/(?P<instance>[0-9.]+))?)?"
    r"(?P<metadata>/metadata)?/?$"
)


class AddressError(ValueError):
    """Not a DICOMweb study, series or instance address."""


@dataclass(frozen=True, slots=True)
class DicomWebAddress:
    """A study, series or instance on a DICOMweb service; ``metadata``: only its metadata."""

    root: str
    study: str
    series: str | None = None
    instance: str | None = None
    metadata: bool = False

    @property
    def level(self) -> str:
        """``"study"``, ``"series"`` or ``"instance"``."""
        return "instance" if self.instance else "series" if self.series else "study"

    @property
    def url(self) -> str:
        path = f"{self.root}/studies/{self.study}"
        if self.series:
            path += f"/series/{self.series}"
            if self.instance:
                path += f"/instances/{self.instance}"
        return path + ("/metadata" if self.metadata else "")

    def __str__(self) -> str:
        return self.url

    def of_instance(self, series: str, instance: str) -> DicomWebAddress:
        """The address of one instance below this one (same service, same metadata flag)."""
        return DicomWebAddress(self.root, self.study, series, instance, self.metadata)


def is_address(text: str) -> bool:
    """True when ``text`` looks like a DICOMweb address (http/https with ``/studies/``)."""
    return text.startswith(("http://", "https://")) and "/studies/" in text


def parse_address(text: str) -> DicomWebAddress:
    """Split a DICOMweb URL into service root and UIDs; a clear error names what is wrong."""
    m = _RESOURCE.match(text.strip())
    if m is None:
        if not text.startswith(("http://", "https://")):
            raise AddressError(f"{text!r} is not an http(s) URL")
        raise AddressError(
            f"{text!r} is not a DICOMweb study, series or instance address "
            "(…/studies/UID[/series/UID[/instances/UID]][/metadata], UIDs of digits and dots)"
        )
    return DicomWebAddress(
        root=m["root"].rstrip("/"),
        study=m["study"],
        series=m["series"],
        instance=m["instance"],
        metadata=bool(m["metadata"]),
    )

"""Bulk pixel data a DICOMweb server left out of an instance's metadata.

PS3.18 F.2.6/F.3.1: in metadata (DICOM JSON or XML) a bulk data element is sent by reference
(a BulkDataURI), never dropped. Some servers drop it anyway — Orthanc (1.10, DICOMweb plugin
1.7) leaves encapsulated (compressed) Pixel Data out of WADO-RS metadata altogether. From the
metadata alone an image whose Pixel Data is absent cannot be told from one the server left out,
so in the metadata context the findings that follow from that absence — Pixel Data missing,
attributes allowed only where Pixel Data is present (Pixel Padding Value) — are warnings
naming the server's omission, not errors. The instance itself (a file, WADO-RS) decides them.
"""

from __future__ import annotations

from dataclasses import replace

from .findings import Finding
from .tree import Node

#: Pixel Data, Float Pixel Data, Double Float Pixel Data (PS3.3 C.7.6.3).
PIXEL_BULK = (0x7FE00010, 0x7FE00008, 0x7FE00009)
_NAMES = ("Pixel Data", "Float Pixel Data", "Double Float Pixel Data")
_NOTE = (
    "; in metadata this may be the server's omission: PS3.18 F.2.6 says bulk data is sent as a "
    "BulkDataURI, but some servers (Orthanc) leave encapsulated Pixel Data out — validate the "
    "instance itself (file or WADO-RS) to decide"
)


def server_omissions(findings: list[Finding], root: Node) -> list[Finding]:
    """``findings`` of a metadata dataset with those that only the absence of every pixel bulk
    data element explains made warnings that say so (unchanged when any is present)."""
    if any(t in root.elems for t in PIXEL_BULK):
        return findings
    return [_softened(f) if _follows_from_absence(f) else f for f in findings]


def _follows_from_absence(f: Finding) -> bool:
    if f.severity != "error":
        return False
    if f.code == "missing" and f.tag in PIXEL_BULK:
        return True
    # allowed (or required) only where Pixel Data is present: e.g. Pixel Padding Value
    return f.code == "not-allowed" and any(n in f.rule for n in _NAMES)


def _softened(f: Finding) -> Finding:
    return replace(f, severity="warning", message=f.message + _NOTE)

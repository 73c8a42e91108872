"""DICOMweb (PS3.18): store, search and retrieve what iodkit writes, on a real server.

A thin layer over the maintained ``dicomweb-client`` (install ``iodkit[web]``)::

    from iodkit.web import DicomWeb

    web = DicomWeb("http://127.0.0.1:8042/dicom-web")
    web.store([seg, report])                              # STOW-RS, as Part 10 files
    series = web.search_series(Modality="SEG")            # QIDO-RS → pydicom Datasets
    ds = web.retrieve_instance(study, series_uid, sop_uid)  # WADO-RS
    with web.open_frames(study, series_uid, sop_uid) as frames:
        tile = frames.read_frame(7)                       # fetches frame 8 only

Modules: :mod:`~iodkit.web.client` (:class:`DicomWeb`), :mod:`~iodkit.web.frames` (lazy
frames, :class:`WadoFrames`), :mod:`~iodkit.web.address` (study/series/instance URLs),
:mod:`~iodkit.web.dicomjson` (DICOM JSON, PS3.18 F.2: metadata files and answers).
``import iodkit.web`` loads none of them; ``dicomweb-client`` loads when a service is opened.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .address import AddressError, DicomWebAddress, is_address, parse_address
    from .client import DicomWeb, DicomWebError, InstanceUIDs, Request, as_part10
    from .dicomjson import DicomJsonError, MetadataInstance, dataset_from_json, iter_dicom_json
    from .frames import WadoFrames

_EXPORTS = {
    "AddressError": "address",
    "DicomWebAddress": "address",
    "is_address": "address",
    "parse_address": "address",
    "DicomWeb": "client",
    "DicomWebError": "client",
    "InstanceUIDs": "client",
    "Request": "client",
    "as_part10": "client",
    "DicomJsonError": "dicomjson",
    "MetadataInstance": "dicomjson",
    "dataset_from_json": "dicomjson",
    "iter_dicom_json": "dicomjson",
    "WadoFrames": "frames",
}
__all__ = [
    "AddressError",
    "DicomJsonError",
    "DicomWeb",
    "DicomWebAddress",
    "DicomWebError",
    "InstanceUIDs",
    "MetadataInstance",
    "Request",
    "WadoFrames",
    "as_part10",
    "dataset_from_json",
    "is_address",
    "iter_dicom_json",
    "parse_address",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"{__name__}.{module}"), name)

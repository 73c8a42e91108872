"""QA-19: in metadata (WADO-RS, DICOM JSON) Pixel Data a server left out — Orthanc drops
encapsulated Pixel Data instead of sending a BulkDataURI (PS3.18 F.2.6) — is a warning naming
the omission, not an error; so is an attribute allowed only where Pixel Data is present."""

from __future__ import annotations

from iodkit.validation.api import validate
from iodkit.validation.context import ValidationContext


def _image_without_pixels() -> object:
    from iodkit.seg.synthetic import ct_series

    ds = ct_series(1, 8, 8)[0]
    ds.PixelPaddingValue = -2000
    del ds.PixelData
    return ds


def _pixel_findings(findings: list) -> dict[str, tuple[str, str]]:
    return {
        f.path: (f.severity, f.message)
        for f in findings
        if f.path in ("PixelData", "PixelPaddingValue") and f.severity != "info"
    }


def test_pixel_data_a_server_left_out_of_metadata_is_a_warning() -> None:
    ds = _image_without_pixels()
    stored = _pixel_findings(validate(ds))
    assert stored["PixelData"][0] == "error"  # a stored instance without Pixel Data is wrong
    metadata = _pixel_findings(validate(ds, context=ValidationContext("metadata")))
    assert metadata.keys() == stored.keys()
    for path, (severity, message) in metadata.items():
        assert severity == "warning", path
        assert "BulkDataURI" in message and "Orthanc" in message
    assert "PixelPaddingValue" in stored  # allowed only where Pixel Data is present


def test_metadata_with_pixel_data_by_reference_keeps_its_findings() -> None:
    from iodkit.seg.synthetic import ct_series

    ds = ct_series(1, 8, 8)[0]
    findings = validate(ds, context=ValidationContext("metadata"))
    assert not any("BulkDataURI" in f.message for f in findings)

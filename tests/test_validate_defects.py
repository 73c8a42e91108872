"""Issue 12's defects, each on a dataset crafted to show it (each test failed before its fix).

The datasets are small and made here; what they should give is read from the standard's words,
quoted next to each case.
"""

from __future__ import annotations

import copy

import pytest
from iodkit.seg.synthetic import ct_series
from iodkit.validation import validate
from iodkit.validation.context import ValidationContext
from iodkit.validation.findings import Finding
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import generate_uid

RT_DOSE = "1.2.840.10008.5.1.4.1.1.481.2"


def errors(fs: list[Finding], code: str | None = None, path: str | None = None) -> list[Finding]:
    return [
        f
        for f in fs
        if f.severity == "error"
        and (code is None or f.code == code)
        and (path is None or f.path == path)
    ]


# ---------------------------------------------------------------------------------------------
# 1. Image Pixel attributes: the transfer is an input (PS3.3 Table C.7-11a)


@pytest.fixture(scope="module")
def ct() -> Dataset:
    return ct_series(1, 16, 16)[0]


def test_a_stored_image_without_rows_and_columns_is_an_error(ct: Dataset) -> None:
    # "Include Table C.7-11c … Required if the IOD is not being transferred in a STOW-RS
    # Request and is not encoded as metadata and compressed bulk pixel data."
    ds = copy.deepcopy(ct)
    del ds.Rows, ds.Columns
    fs = validate(ds)  # a dataset is a stored instance unless the caller says otherwise
    assert [f.path for f in errors(fs, "missing") if f.module == "Image Pixel"] == [
        "Rows",
        "Columns",
    ]
    assert errors(fs, "missing", "Rows")[0].reference is not None
    assert "C.7-11c" in str(errors(fs, "missing", "Rows")[0].reference)


def test_stow_rs_metadata_with_compressed_bulk_data_needs_no_pixel_description(
    ct: Dataset,
) -> None:
    ds = copy.deepcopy(ct)
    del ds.Rows, ds.Columns
    fs = validate(ds, context=ValidationContext("stow-rs-metadata"))
    assert not [f for f in fs if f.path in ("Rows", "Columns") and f.severity != "info"]
    # in a STOW-RS request as a binary instance the words say the same: not required
    fs = validate(ds, context=ValidationContext("stow-rs"))
    assert not errors(fs, "missing", "Rows")


def test_metadata_with_bulk_data_by_reference(ct: Dataset) -> None:
    """DICOM JSON metadata (PS3.18 F.2) gives Pixel Data as a BulkDataURI: pydicom reads it as
    no value. In a metadata context that is present, its length unknown: no "empty", no
    pixel length; stored, it is an empty Type 1C Pixel Data."""
    import warnings

    data = ct.to_json_dict()
    data["7FE00010"] = {"vr": "OW", "BulkDataURI": "https://pacs.example/bulk/1"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pydicom: "no bulk data URI handler provided"
        ds = Dataset.from_json(data)
    fs = validate(ds, context=ValidationContext("metadata"))
    assert not [f for f in fs if f.path == "PixelData" and f.severity != "info"]
    stored = validate(ds)
    assert errors(stored, "empty", "PixelData")


def test_an_unknown_transfer_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown transfer 'email'"):
        ValidationContext("email")  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# 5. Conditional item counts


def rt_dose(summation: str, plans: int) -> Dataset:
    ds = Dataset()
    ds.SOPClassUID = RT_DOSE
    ds.SOPInstanceUID = generate_uid()
    ds.Modality = "RTDOSE"
    ds.DoseUnits, ds.DoseType, ds.DoseSummationType = "GY", "PHYSICAL", summation
    items = []
    for _ in range(plans):
        item = Dataset()
        item.ReferencedSOPClassUID = "1.2.840.10008.5.1.4.1.1.481.5"
        item.ReferencedSOPInstanceUID = generate_uid()
        items.append(item)
    ds.ReferencedRTPlanSequence = Sequence(items)
    return ds


@pytest.mark.parametrize(
    ("summation", "plans", "wrong"),
    [
        # "Only a single Item shall be included in this Sequence, unless Dose Summation Type
        # (3004,000A) is MULTI_PLAN, in which case two or more Items shall be included"
        ("PLAN", 1, False),
        ("PLAN", 2, True),
        ("MULTI_PLAN", 1, True),
        ("MULTI_PLAN", 3, False),
    ],
)
def test_item_counts_follow_their_condition(summation: str, plans: int, wrong: bool) -> None:
    found = errors(validate(rt_dose(summation, plans)), "items", "ReferencedRTPlanSequence")
    assert bool(found) == wrong, [str(f) for f in found]
    if wrong:
        expected = "exactly 1 unless" if summation == "PLAN" else "2 or more if"
        assert expected in found[0].message
        assert "Dose Summation Type (3004,000A) is MULTI_PLAN" in found[0].message

"""Derived objects over real source files that carry what writers in the wild leave behind.

fo-dicom's test files: an empty Lossy Image Compression Ratio/Method (JPEGwithIcon.dcm,
Lossy Image Compression 01) and a stray Sequence Delimitation Item at the top level that
pydicom cannot decode (DIRW0007.dcm). Copying the patient and study must neither crash on the
first (an empty Type 3 value is an absent one, C.7.6.1) nor touch the second (it belongs to
no module copied); a module attribute that cannot be decoded is an iodkit error naming the
source (QA-20).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest
from iodkit.codes import Code, cid7150, cid7166, cid7203
from iodkit.derived import DerivedObjectError
from iodkit.derived.modules import copied_module
from iodkit.legacy import LegacyConvertedEnhancedImage
from iodkit.pm import ParametricMap, RealWorldValueMapping
from iodkit.sc import SecondaryCapture
from iodkit.seg import AlgorithmIdentification, Segmentation, SegmentDescription
from iodkit.seg.synthetic import ct_series
from pydicom.dataelem import RawDataElement
from pydicom.tag import Tag

BONE = SegmentDescription(
    1, "bone", cid7150.TISSUE, cid7166.BONE, algorithm=AlgorithmIdentification("a", "1")
)


def lossy_without_ratio(n: int) -> list[pydicom.Dataset]:
    ct = ct_series(n, 16, 16)
    for ds in ct:
        ds.LossyImageCompression = "01"
        ds.LossyImageCompressionRatio = None
        ds.LossyImageCompressionMethod = None
    return ct


def test_an_empty_lossy_ratio_is_absent(testdata: Path, tmp_path: Path) -> None:
    real = pydicom.dcmread(testdata / "fodicom" / "JPEGwithIcon.dcm")
    assert real.LossyImageCompression == "01" and real.LossyImageCompressionRatio is None
    mask = np.zeros((1, real.Rows, real.Columns), bool)
    mask[0, :9, :9] = True
    Segmentation(mask, [real], [BONE]).save(tmp_path / "seg.dcm")
    ds = pydicom.dcmread(tmp_path / "seg.dcm")
    assert ds.LossyImageCompression == "01" and "LossyImageCompressionRatio" not in ds

    ct = lossy_without_ratio(2)
    mapping = RealWorldValueMapping.identity("p", "x", Code("1", "UCUM", "no units"))
    for name, obj in {
        "seg": Segmentation(np.ones((2, 16, 16), bool), ct, [BONE]),
        "pm": ParametricMap(
            np.zeros((2, 16, 16), np.float32), ct, mapping, derivation=cid7203.SEGMENTATION
        ),
        "lce": LegacyConvertedEnhancedImage(ct),
    }.items():
        obj.save(tmp_path / f"{name}.dcm")
        ds = pydicom.dcmread(tmp_path / f"{name}.dcm")
        assert ds.LossyImageCompression == "01", name
        if name != "lce":  # a conversion keeps the classic attributes as they are
            assert "LossyImageCompressionMethod" not in ds, name


def test_a_ratio_that_is_no_number_is_named() -> None:
    ct = lossy_without_ratio(1)
    ct[0][0x00282112] = RawDataElement(Tag(0x00282112), "DS", 2, b"x5", 0, False, True)
    with pytest.raises(DerivedObjectError, match=r"Lossy Image Compression Ratio \['x5'\]"):
        Segmentation(np.ones((1, 16, 16), bool), ct, [BONE]).to_dataset()


def test_a_stray_delimiter_in_the_source_is_not_touched(testdata: Path, tmp_path: Path) -> None:
    from iodkit.pr import ColorSoftcopyPresentationState
    from iodkit.sr import MeasurementReport

    source = testdata / "fodicom" / "DIRW0007.dcm"
    assert 0xFFFEE0DD in pydicom.dcmread(source)
    SecondaryCapture(np.zeros((8, 8), np.uint8), pydicom.dcmread(source)).save(tmp_path / "sc.dcm")
    ColorSoftcopyPresentationState([pydicom.dcmread(source)]).save(tmp_path / "pr.dcm")
    MeasurementReport([]).save(tmp_path / "sr.dcm", evidence=[pydicom.dcmread(source)])
    for name in ("sc", "pr", "sr"):
        ds = pydicom.dcmread(tmp_path / f"{name}.dcm")
        assert ds.PatientID == pydicom.dcmread(source).PatientID, name


def test_an_undecodable_module_attribute_names_the_source(testdata: Path) -> None:
    """A Patient Module attribute pydicom cannot decode (its VR mangled in the file)."""
    from iodkit.generated.modules import PatientModule

    ds = ct_series(1, 8, 8, with_pixels=False)[0]
    ds[0x00100020] = RawDataElement(Tag(0x00100020), "QQ", 2, b"ab", 0, False, True)
    with pytest.raises(DerivedObjectError, match=rf"source {ds.SOPInstanceUID}: .*PatientModule"):
        copied_module(PatientModule, ds)

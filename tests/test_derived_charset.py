"""Text an object adds is written as given, under a Specific Character Set that holds it.

Every image object on the derived-object core (Segmentation, Parametric Map, Secondary
Capture, slide, Legacy Converted Enhanced) copies its sources' Specific Character Set
(0008,0005) and adds text of its own. When the copied set (or the default repertoire, ASCII,
when none is declared: PS3.5 6.1.2.1) cannot hold that text, the core declares ISO_IR 192
(UTF-8) — never '?' in place of a character, never bytes the file does not declare. A set that
holds the text is kept. Checked on fo-dicom's Greek file (ISO_IR 126) and on synthetic series
declaring none or Latin-1; the files read back with pydicom and pass iodkit validate.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pydicom
import pytest
from iodkit.codes import Code, cid7150, cid7166, cid7203
from iodkit.derived import Identification
from iodkit.legacy import LegacyConvertedEnhancedImage
from iodkit.pm import ParametricMap, RealWorldValueMapping
from iodkit.sc import SecondaryCapture
from iodkit.seg import AlgorithmIdentification, Segmentation, SegmentDescription
from iodkit.seg.synthetic import ct_series
from iodkit.wsi import SlideImage

NO_UNITS = Code("1", "UCUM", "no units")


def iodkit_errors(path: Path) -> list[str]:
    from iodkit.validation import validate

    return [str(f) for f in validate(path) if f.severity == "error"]


def save(obj: object, path: Path) -> pydicom.Dataset:
    """Save with pydicom's "Failed to encode" warning turned into an error; read back."""
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*encode")
        obj.save(path)  # type: ignore[attr-defined]
    return pydicom.dcmread(path)


@pytest.fixture(scope="module")
def greek(testdata: Path) -> pydicom.Dataset:
    return pydicom.dcmread(testdata / "fodicom" / "charset_chrGreek.dcm")


def segment(label: str) -> SegmentDescription:
    return SegmentDescription(
        1, label, cid7150.TISSUE, cid7166.BONE, algorithm=AlgorithmIdentification("a", "1")
    )


def test_seg_label_outside_greek_is_kept_in_utf8(greek: pydicom.Dataset, tmp_path: Path) -> None:
    assert greek.SpecificCharacterSet == "ISO_IR 126"
    mask = np.zeros((1, greek.Rows, greek.Columns), bool)
    mask[0, :4, :4] = True
    seg = Segmentation(mask, [greek], [segment("Leber ßµ²")], series_description="Seg ß")
    ds = save(seg, tmp_path / "seg.dcm")
    assert ds.SpecificCharacterSet == "ISO_IR 192"
    assert ds.SegmentSequence[0].SegmentLabel == "Leber ßµ²"
    assert ds.SeriesDescription == "Seg ß"
    assert ds.PatientName == greek.PatientName  # the Greek name, re-encoded
    assert iodkit_errors(tmp_path / "seg.dcm") == []


def test_seg_label_the_greek_set_holds_keeps_it(greek: pydicom.Dataset, tmp_path: Path) -> None:
    mask = np.zeros((1, greek.Rows, greek.Columns), bool)
    mask[0, :4, :4] = True
    ds = save(Segmentation(mask, [greek], [segment("Ήπαρ")]), tmp_path / "seg.dcm")
    assert ds.SpecificCharacterSet == "ISO_IR 126"
    assert ds.SegmentSequence[0].SegmentLabel == "Ήπαρ"


def test_seg_over_sources_declaring_no_set(tmp_path: Path) -> None:
    ct = ct_series(2, 16, 16, with_pixels=False)
    assert "SpecificCharacterSet" not in ct[0]
    mask = np.zeros((2, 16, 16), bool)
    mask[:, 2:5, 2:5] = True
    ds = save(Segmentation(mask, ct, [segment("Leber ß")]), tmp_path / "seg.dcm")
    assert ds.SpecificCharacterSet == "ISO_IR 192"
    assert ds.SegmentSequence[0].SegmentLabel == "Leber ß"
    assert iodkit_errors(tmp_path / "seg.dcm") == []
    # ASCII text over the same sources: nothing declared (the default repertoire holds it)
    ds = save(Segmentation(mask, ct, [segment("liver")]), tmp_path / "ascii.dcm")
    assert "SpecificCharacterSet" not in ds


def latin1_series(n: int) -> list[pydicom.Dataset]:
    ct = ct_series(n, 16, 16)
    for ds in ct:
        ds.SpecificCharacterSet = "ISO_IR 100"
        ds.PatientName = "Müller^Jürgen"
    return ct


def test_pm_texts_and_derivation_code(tmp_path: Path) -> None:
    ct = latin1_series(2)
    mapping = RealWorldValueMapping.identity("µ-map", "腫瘍 probability", NO_UNITS)
    derivation = Code("113076", "DCM", "Segmentation")
    pm = ParametricMap(
        np.zeros((2, 16, 16), np.float32),
        ct,
        mapping,
        content_description="Karte ß",
        derivation=derivation,
    )
    ds = save(pm, tmp_path / "pm.dcm")
    assert ds.SpecificCharacterSet == "ISO_IR 192"
    item = ds.SharedFunctionalGroupsSequence[0].RealWorldValueMappingSequence[0]
    assert (item.LUTLabel, item.LUTExplanation) == ("µ-map", "腫瘍 probability")
    assert ds.ContentDescription == "Karte ß"
    assert ds.PatientName == "Müller^Jürgen"
    assert iodkit_errors(tmp_path / "pm.dcm") == []


def test_pm_text_latin1_holds_stays_latin1(tmp_path: Path) -> None:
    ct = latin1_series(2)
    mapping = RealWorldValueMapping.identity("µ-map", "Wahrscheinlichkeit ä", NO_UNITS)
    ds = save(
        ParametricMap(
            np.zeros((2, 16, 16), np.float32), ct, mapping, derivation=cid7203.SEGMENTATION
        ),
        tmp_path / "pm.dcm",
    )
    assert ds.SpecificCharacterSet == "ISO_IR 100"
    item = ds.SharedFunctionalGroupsSequence[0].RealWorldValueMappingSequence[0]
    assert item.LUTLabel == "µ-map"


def test_pm_derivation_code_meaning_in_stamped_frames(tmp_path: Path) -> None:
    """The Derivation Code Sequence is in the per-frame template, stamped once: its text
    decides the set before the frames are encoded."""
    ct = ct_series(3, 16, 16, with_pixels=False)
    derivation = Code("113076", "DCM", "Segmentation ²")
    mapping = RealWorldValueMapping.identity("p", "x", NO_UNITS)
    pm = ParametricMap(np.zeros((3, 16, 16), np.float32), ct, mapping, derivation=derivation)
    ds = save(pm, tmp_path / "pm.dcm")
    assert ds.SpecificCharacterSet == "ISO_IR 192"
    for frame in ds.PerFrameFunctionalGroupsSequence:
        code = frame.DerivationImageSequence[0].DerivationCodeSequence[0]
        assert code.CodeMeaning == "Segmentation ²"


def test_sc_series_description(greek: pydicom.Dataset, tmp_path: Path) -> None:
    ident = Identification.of(series_number=600, series_description="Bild ß")
    sc = SecondaryCapture(np.zeros((8, 8), np.uint8), greek, identification=ident)
    ds = save(sc, tmp_path / "sc.dcm")
    assert ds.SpecificCharacterSet == "ISO_IR 192"
    assert ds.SeriesDescription == "Bild ß"
    assert iodkit_errors(tmp_path / "sc.dcm") == []


def test_slide_container_identifier(tmp_path: Path) -> None:
    slide = SlideImage(np.zeros((32, 32), np.uint8), tile_size=16, container_identifier="Schnitt ß")
    ds = save(slide, tmp_path / "slide.dcm")
    assert ds.SpecificCharacterSet == "ISO_IR 192"
    assert ds.ContainerIdentifier == "Schnitt ß"
    assert iodkit_errors(tmp_path / "slide.dcm") == []


def test_legacy_keeps_the_classic_set_and_per_frame_text(tmp_path: Path) -> None:
    """Classic Latin-1 images read from files (their text raw, as read): the set is carried
    over; per-frame text that differs between images (Image Comments) is decoded, not copied
    as Latin-1 bytes into a UTF-8 file."""
    paths = []
    for k, ds in enumerate(latin1_series(3)):
        ds.ImageComments = f"Schicht {k} ä"
        path = tmp_path / f"ct{k}.dcm"
        pydicom.dcmwrite(path, ds, enforce_file_format=True)
        paths.append(path)
    classic = [pydicom.dcmread(p) for p in paths]
    ds = save(LegacyConvertedEnhancedImage(classic), tmp_path / "lce.dcm")
    assert ds.SpecificCharacterSet == "ISO_IR 100"
    assert ds.PatientName == "Müller^Jürgen"
    assert iodkit_errors(tmp_path / "lce.dcm") == []

    classic = [pydicom.dcmread(p) for p in paths]
    ident = Identification.of(series_number=5, series_description="肝臓")
    ds = save(LegacyConvertedEnhancedImage(classic, identification=ident), tmp_path / "u.dcm")
    assert ds.SpecificCharacterSet == "ISO_IR 192"
    assert ds.SeriesDescription == "肝臓"
    assert ds.PatientName == "Müller^Jürgen"
    comments = sorted(
        f.UnassignedPerFrameConvertedAttributesSequence[0].ImageComments
        for f in ds.PerFrameFunctionalGroupsSequence
    )
    assert comments == [f"Schicht {k} ä" for k in range(3)]
    assert iodkit_errors(tmp_path / "u.dcm") == []


def empty_set_series(n: int) -> list[pydicom.Dataset]:
    ct = ct_series(n, 16, 16)
    for ds in ct:
        ds.SpecificCharacterSet = ""
    return ct


def test_an_empty_source_set_is_not_copied(testdata: Path, tmp_path: Path) -> None:
    """A source whose Specific Character Set is present but empty (fo-dicom's
    IM-0001-0001-0001.dcm, common in the wild) declares the default repertoire: Type 1C
    (Table C.12-1) — not written empty into a derived object (QA-21), and a set is declared
    when the object's own text needs one."""
    from iodkit.pr import GrayscaleSoftcopyPresentationState
    from iodkit.sr import MeasurementReport

    real = pydicom.dcmread(testdata / "fodicom" / "IM-0001-0001-0001.dcm")
    assert real.SpecificCharacterSet == ""
    mask = np.zeros((1, real.Rows, real.Columns), bool)
    mask[0, :4, :4] = True
    ds = save(Segmentation(mask, [real], [segment("liver")]), tmp_path / "real.dcm")
    assert "SpecificCharacterSet" not in ds
    assert iodkit_errors(tmp_path / "real.dcm") == []

    ct = empty_set_series(2)
    mapping = RealWorldValueMapping.identity("p", "x", NO_UNITS)
    written = {
        "seg": Segmentation(mask[:, :16, :16].repeat(2, 0), ct, [segment("liver")]),
        "pm": ParametricMap(
            np.zeros((2, 16, 16), np.float32), ct, mapping, derivation=cid7203.SEGMENTATION
        ),
        "sc": SecondaryCapture(np.zeros((8, 8), np.uint8), ct[0]),
        "pr": GrayscaleSoftcopyPresentationState(ct),
        "lce": LegacyConvertedEnhancedImage(ct),
    }
    for name, obj in written.items():
        ds = save(obj, tmp_path / f"{name}.dcm")
        assert "SpecificCharacterSet" not in ds, name
        assert iodkit_errors(tmp_path / f"{name}.dcm") == [], name
    MeasurementReport([]).save(tmp_path / "sr.dcm", evidence=ct)
    assert "SpecificCharacterSet" not in pydicom.dcmread(tmp_path / "sr.dcm")
    ds = save(
        SecondaryCapture(
            np.zeros((8, 8), np.uint8),
            ct[0],
            identification=Identification.of(series_number=1, series_description="Bild ß"),
        ),
        tmp_path / "sc2.dcm",
    )
    assert ds.SpecificCharacterSet == "ISO_IR 192" and ds.SeriesDescription == "Bild ß"


def test_sr_series_description_outside_ascii(tmp_path: Path) -> None:
    """An SR document's own text outside its content tree (Series Description) is covered
    by the core's rule too."""
    from iodkit.sr import MeasurementReport

    ct = ct_series(2, 16, 16, with_pixels=False)
    MeasurementReport([]).save(tmp_path / "sr.dcm", evidence=ct, series_description="Befund ß")
    ds = pydicom.dcmread(tmp_path / "sr.dcm")
    assert ds.SpecificCharacterSet == "ISO_IR 192" and ds.SeriesDescription == "Befund ß"

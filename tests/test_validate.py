"""The validator on real files made wrong on purpose, one rule of the standard at a time.

Each case starts from a file dciodvfy and iodkit both find clean (highdicom's BINARY CT
segmentation) or a real CT, breaks one thing the standard says, and checks that iodkit names the
attribute path, the module, the rule and the table of PS3.3 2024c it comes from. The same
datasets validated in memory (a pydicom ``Dataset``) and from bytes give the same findings.
"""

from __future__ import annotations

import copy
import io
import json
import subprocess
import sys
from pathlib import Path

import pydicom
import pytest
from iodkit.validation import validate, validate_bytes, validate_file
from iodkit.validation.cli import add_arguments, run
from iodkit.validation.findings import Finding
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

SEG = "highdicom/seg_image_ct_binary.dcm"
CT = "highdicom/ct_image.dcm"


@pytest.fixture(scope="module")
def seg(testdata: Path) -> Dataset:
    return pydicom.dcmread(testdata / SEG)


def encoded(ds: Dataset, *, enforce: bool = True) -> bytes:
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=enforce)
    return buf.getvalue()


def findings(ds: Dataset) -> list[Finding]:
    """Findings from the encoded file, checked against the in-memory validation."""
    from_bytes = validate_bytes(encoded(ds))
    in_memory = validate(ds)
    key = {(f.code, f.path) for f in from_bytes if f.severity == "error"}
    assert key == {(f.code, f.path) for f in in_memory if f.severity == "error"}
    return from_bytes


def errors(fs: list[Finding], code: str | None = None) -> list[Finding]:
    return [f for f in fs if f.severity == "error" and (code is None or f.code == code)]


def code(value: str, scheme: str, meaning: str) -> Dataset:
    item = Dataset()
    item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = value, scheme, meaning
    return item


def one(fs: list[Finding], code: str, path: str) -> Finding:
    hits = [f for f in fs if f.code == code and f.path == path]
    assert len(hits) == 1, [str(f) for f in fs if f.severity != "info"]
    return hits[0]


# ---------------------------------------------------------------------------------------------
# the clean files stay clean


def test_clean_segmentation_has_no_error(seg: Dataset) -> None:
    assert errors(findings(seg)) == []


def test_clean_ct_has_no_error(testdata: Path) -> None:
    assert errors(validate_file(testdata / CT)) == []


# ---------------------------------------------------------------------------------------------
# presence and emptiness (PS3.5 7.4)


def test_missing_type_1_names_path_module_rule_and_table(seg: Dataset) -> None:
    ds = copy.deepcopy(seg)
    del ds.SegmentationType
    f = one(findings(ds), "missing", "SegmentationType")
    assert f.severity == "error" and f.module == "Segmentation Image"
    assert f.rule == "Type 1" and f.tag == 0x00620001
    assert str(f.reference) == "PS3.3 2024c Table C.8.20-2"


def test_empty_type_1_and_empty_type_2(seg: Dataset) -> None:
    ds = copy.deepcopy(seg)
    ds.SeriesInstanceUID = ""  # Type 1 (General Series)
    ds.PatientName = ""  # Type 2 (Patient): empty is allowed
    fs = findings(ds)
    assert one(fs, "empty", "SeriesInstanceUID").module == "General Series"
    assert not [f for f in fs if f.path == "PatientName" and f.severity == "error"]


def test_missing_type_2(seg: Dataset) -> None:
    ds = copy.deepcopy(seg)
    del ds.PatientID
    assert one(findings(ds), "missing", "PatientID").rule == "Type 2"


def test_type_1_sequence_without_items_is_empty(seg: Dataset) -> None:
    ds = copy.deepcopy(seg)
    ds.SegmentSequence = Sequence([])
    assert one(findings(ds), "empty", "SegmentSequence")


def test_nested_type_1_in_a_macro_inside_a_sequence(seg: Dataset) -> None:
    ds = copy.deepcopy(seg)
    del ds.SegmentSequence[0].SegmentedPropertyCategoryCodeSequence[0].CodeMeaning
    f = one(
        findings(ds),
        "missing",
        "SegmentSequence[0].SegmentedPropertyCategoryCodeSequence[0].CodeMeaning",
    )
    assert f.module == "Segmentation Image"
    assert f.reference is not None and f.reference.target == "table_8.8-1a"  # Code Sequence Macro


# ---------------------------------------------------------------------------------------------
# conditions, both ways


def test_type_1c_required_when_its_condition_holds(seg: Dataset) -> None:
    ds = copy.deepcopy(seg)
    ds.SegmentationType = "FRACTIONAL"  # Required if Segmentation Type is FRACTIONAL
    fs = findings(ds)
    f = one(fs, "missing", "SegmentationFractionalType")
    assert "Required if Segmentation Type (0062,0001) is FRACTIONAL" in f.rule
    assert one(fs, "missing", "MaximumFractionalValue")


def test_type_1c_present_when_its_condition_is_not_met(seg: Dataset) -> None:
    ds = copy.deepcopy(seg)
    ds.SegmentationFractionalType = "PROBABILITY"  # BINARY: shall not be present (PS3.5 7.4.4)
    f = one(findings(ds), "not-allowed", "SegmentationFractionalType")
    assert f.severity == "error" and "Type 1C" in f.message


def test_may_be_present_otherwise_is_no_error(testdata: Path) -> None:
    # CT Image "Rescale Type": Required if … HU … May be present otherwise
    ds = pydicom.dcmread(testdata / CT)
    ds.RescaleType = "HU"
    assert not [f for f in findings(ds) if f.path == "RescaleType" and f.severity == "error"]


def test_undecidable_conditions_are_reported_not_assumed(seg: Dataset) -> None:
    fs = findings(seg)
    undecided = [f for f in fs if f.code == "undecided"]
    # a note, or a warning when the dataset leaves out what would decide (see the Laterality test)
    assert undecided and all(
        f.severity == "info" or "the dataset does not say" in f.message for f in undecided
    )
    # "Required if a Performed Procedure Step SOP Class was involved in the creation of this
    # Series": no dataset says so; the note quotes the words it could not test
    note = one(fs, "undecided", "ReferencedPerformedProcedureStepSequence")
    assert note.severity == "info"
    assert '"a Performed Procedure Step SOP Class was involved' in note.message


# ---------------------------------------------------------------------------------------------
# values


def test_enumerated_value(seg: Dataset) -> None:
    ds = copy.deepcopy(seg)
    ds.SegmentAlgorithmType = "GUESSED"  # SegmentSequence item; AUTOMATIC, SEMIAUTOMATIC, MANUAL
    ds.SegmentSequence[0].SegmentAlgorithmType = "GUESSED"
    f = one(findings(ds), "enumerated", "SegmentSequence[0].SegmentAlgorithmType")
    assert "GUESSED" in f.message and f.severity == "error"


def test_conditional_enumerated_values(seg: Dataset) -> None:
    ds = copy.deepcopy(seg)
    ds.BitsAllocated = 8  # "Enumerated Values if Segmentation Type is BINARY: 1"
    assert one(findings(ds), "enumerated", "BitsAllocated")
    ds.SegmentationType = "FRACTIONAL"  # now 8 is right, and Bits Stored 1 is wrong
    assert [f.path for f in errors(findings(ds), "enumerated")] == ["BitsStored", "HighBit"]
    ds.BitsStored, ds.HighBit = 8, 7
    assert not errors(findings(ds), "enumerated")


@pytest.mark.filterwarnings("ignore:Invalid value for VR")  # pydicom warns as we set it
def test_value_format_and_multiplicity(seg: Dataset) -> None:
    ds = copy.deepcopy(seg)
    ds.StudyDate = "2024-01-02"
    ds.ImageType = "DERIVED"  # VM 2-n
    fs = findings(ds)
    assert "not a valid DA" in one(fs, "value", "StudyDate").message
    assert one(fs, "vm", "ImageType").message == "1 value where VM is 2-n"


def test_sequence_item_count(seg: Dataset) -> None:
    ds = copy.deepcopy(seg)
    item = ds.SegmentSequence[0].SegmentedPropertyCategoryCodeSequence[0]
    ds.SegmentSequence[0].SegmentedPropertyCategoryCodeSequence.append(copy.deepcopy(item))
    f = one(findings(ds), "items", "SegmentSequence[0].SegmentedPropertyCategoryCodeSequence")
    assert "exactly 1" in f.message  # "Only a single Item shall be included in this Sequence"


# ---------------------------------------------------------------------------------------------
# functional groups


def test_shared_functional_group_attribute_path(seg: Dataset) -> None:
    ds = copy.deepcopy(seg)
    del ds.SharedFunctionalGroupsSequence[0].PixelMeasuresSequence[0].PixelSpacing
    f = one(
        findings(ds),
        "missing",
        "SharedFunctionalGroupsSequence[0].PixelMeasuresSequence[0].PixelSpacing",
    )
    assert f.module == "Pixel Measures Functional Group"


def test_macro_in_shared_and_per_frame(seg: Dataset) -> None:
    ds = copy.deepcopy(seg)
    for frame in ds.PerFrameFunctionalGroupsSequence:
        frame.PixelMeasuresSequence = copy.deepcopy(
            ds.SharedFunctionalGroupsSequence[0].PixelMeasuresSequence
        )
    fs = errors(findings(ds), "functional-group")
    assert any("Pixel Measures" in f.message and "shall be in one" in f.message for f in fs)


def test_per_frame_only_macro_in_shared(seg: Dataset) -> None:
    ds = copy.deepcopy(seg)
    # Frame Content: "Shall not be used as a Shared Functional Group"
    ds.SharedFunctionalGroupsSequence[0].FrameContentSequence = copy.deepcopy(
        ds.PerFrameFunctionalGroupsSequence[0].FrameContentSequence
    )
    fs = errors(findings(ds), "functional-group")
    assert any("Frame Content" in f.message and "only per frame" in f.message for f in fs)


def test_per_frame_problem_is_reported_once_for_all_frames(seg: Dataset) -> None:
    ds = copy.deepcopy(seg)
    for frame in ds.PerFrameFunctionalGroupsSequence:
        del frame.FrameContentSequence[0].DimensionIndexValues
    hits = [f for f in findings(ds) if f.path.endswith("DimensionIndexValues")]
    assert len(hits) == 1
    assert (
        hits[0].path == "PerFrameFunctionalGroupsSequence[*].FrameContentSequence[0]."
        "DimensionIndexValues"
    )
    assert "in 3 frames" in hits[0].message


# ---------------------------------------------------------------------------------------------
# the IOD, the file meta


def test_attribute_not_in_the_iod_is_a_warning(seg: Dataset) -> None:
    ds = copy.deepcopy(seg)
    ds.KVP = "120"
    f = one(findings(ds), "not-in-iod", "KVP")
    assert f.severity == "warning"


def test_unknown_sop_class_is_a_finding(seg: Dataset) -> None:
    ds = copy.deepcopy(seg)
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = "1.2.3.4"
    f = one(findings(ds), "sop-class", "SOPClassUID")
    assert f.severity == "error" and "1.2.3.4" in f.message


def test_file_meta_must_match_the_dataset(seg: Dataset) -> None:
    ds = copy.deepcopy(seg)
    ds.file_meta.MediaStorageSOPInstanceUID = "1.2.3"
    assert one(validate_bytes(encoded(ds, enforce=False)), "meta", "MediaStorageSOPInstanceUID")


def test_not_dicom_is_a_finding_not_an_exception(tmp_path: Path) -> None:
    p = tmp_path / "notes.dcm"
    p.write_text("not a DICOM file at all")
    fs = validate_file(p)
    assert errors(fs) and not any(f.code == "missing" for f in fs[:1])
    assert validate_file(tmp_path / "absent.dcm")[0].code == "read"


def test_truncated_file_keeps_what_could_be_read(testdata: Path) -> None:
    data = (testdata / SEG).read_bytes()
    fs = validate_bytes(data[: len(data) // 2])
    assert any(
        f.code == "encoding" and "truncated" in f.message or "past the end" in f.message for f in fs
    )
    # the top level before the cut was read and checked
    assert not any(f.path == "SOPClassUID" for f in errors(fs))


# ---------------------------------------------------------------------------------------------
# command line and API


def _cli(argv: list[str]) -> tuple[int, str]:
    import argparse

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    out = io.StringIO()
    code = run(parser.parse_args(argv), out)
    return code, out.getvalue()


def test_cli_exit_codes(testdata: Path, tmp_path: Path) -> None:
    assert _cli([str(testdata / SEG)])[0] == 0
    assert _cli([str(testdata / "fodicom" / "multiframe.dcm")])[0] == 1
    assert _cli([str(tmp_path / "absent.dcm")])[0] == 2


def test_cli_json_and_jobs_agree(testdata: Path) -> None:
    files = [str(testdata / SEG), str(testdata / "fodicom" / "GH184.dcm"), str(testdata / CT)]
    code1, seq = _cli(["--json", *files])
    code2, par = _cli(["--json", "--jobs", "2", *files])
    assert code1 == code2 == 1
    a, b = json.loads(seq), json.loads(par)
    assert a == b
    assert [f["file"] for f in a["files"]] == files
    first = next(f for f in a["files"][1]["findings"] if f["severity"] == "error")
    assert set(first) >= {"severity", "code", "path", "message", "module", "rule", "reference"}
    assert a["summary"]["files_with_errors"] == 1


def test_jobs_validate_one_file_of_each_sop_class_before_forking(testdata: Path) -> None:
    """The parent validates the first file of each SOP Class itself (the workers then share
    the rules, plans and compiled conditions it made); every report still comes back once,
    in the order given, the same as one process gives."""
    from iodkit.validation import runners
    from iodkit.validation.context import STORED
    from iodkit.validation.inputs import resolve

    paths = [str(testdata / CT), str(testdata / SEG), str(testdata / CT), str(testdata / SEG)]
    sources = resolve([paths[0], paths[1]]).sources * 2
    warmed = runners.warm_up(sources, STORED)
    assert sorted(warmed) == [0, 1]  # one CT, one SEG; the repeats are the workers'
    reports = list(runners.processes(sources, STORED, jobs=2))
    alone = list(runners.sequential(sources, STORED))
    assert [r.path for r in reports] == [r.path for r in alone] == [s.location for s in sources]
    assert [len(r.findings) for r in reports] == [len(r.findings) for r in alone]


def test_import_iodkit_stays_cheap_and_validate_is_lazy() -> None:
    code = (
        "import sys, iodkit; assert 'iodkit.validation.engine' not in sys.modules; "
        "assert 'pydicom' not in sys.modules; v = iodkit.validate; "
        "assert 'iodkit.validation.engine' in sys.modules; print('ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ok"


def test_code_not_in_a_defined_context_group(seg: Dataset) -> None:
    ds = copy.deepcopy(seg)
    code = (
        ds.PerFrameFunctionalGroupsSequence[0].DerivationImageSequence[0].DerivationCodeSequence[0]
    )
    code.CodeValue, code.CodingSchemeDesignator = "99999", "99LOCAL"  # DCID 7203, extensible
    f = one(
        findings(ds),
        "context-group",
        "PerFrameFunctionalGroupsSequence[0].DerivationImageSequence[0].DerivationCodeSequence[0]",
    )
    assert f.severity == "warning" and "DCID 7203 Image Derivation" in f.message


# ---------------------------------------------------------------------------------------------
# conditions that need the IOD's rules or PS3.16 (decided by the engine)


def test_laterality_follows_annex_l(testdata: Path) -> None:
    # General Series: "Required if the body part examined is a paired structure and Image
    # Laterality … or Frame Laterality … or Measurement Laterality … are not present"
    ds = pydicom.dcmread(testdata / CT)
    ds.BodyPartExamined = "KNEE"  # PS3.16 Table L-1 → 72696002, Table L-5: paired
    ds.pop("Laterality", None)
    assert one(findings(ds), "missing", "Laterality").severity == "error"
    ds.ImageLaterality = "L"  # another laterality attribute says it
    assert not [f for f in findings(ds) if f.path == "Laterality" and f.severity == "error"]
    del ds.ImageLaterality
    ds.BodyPartExamined = "PROSTATE"  # unpaired: Laterality shall not be present
    ds.Laterality = "L"
    assert one(findings(ds), "not-allowed", "Laterality").severity == "error"
    del ds.BodyPartExamined  # nothing says what was examined: cannot decide …
    del ds.Laterality
    undecided = one(findings(ds), "undecided", "Laterality")
    # … and the author could say it: a warning naming what would decide
    assert undecided.severity == "warning"
    assert "Body Part Examined (0018,0015)" in undecided.message
    ds.AnatomicRegionSequence = [code("72696002", "SCT", "Knee")]  # the coded form decides too
    assert one(findings(ds), "missing", "Laterality").severity == "error"


def test_coding_scheme_version_follows_table_8_1(seg: Dataset) -> None:
    # Code Sequence Macro: Coding Scheme Version is "Required if the value of Coding Scheme
    # Designator (0008,0102) is present and is not sufficient to identify the Code Value …
    # unambiguously"; PS3.16 Table 8-1 lists the designators the standard defines
    ds = copy.deepcopy(seg)
    item = ds.SegmentSequence[0].SegmentedPropertyCategoryCodeSequence[0]
    path = "SegmentSequence[0].SegmentedPropertyCategoryCodeSequence[0].CodingSchemeVersion"
    item.pop("CodingSchemeVersion", None)
    # listed in Table 8-1, or in Table 8-2 (HL7v3): the designator suffices, no version needed
    for designator in ("DCM", "SCT", "ActCode"):
        item.CodingSchemeDesignator = designator
        assert [str(f) for f in findings(ds) if f.path == path] == []
    item.CodingSchemeDesignator = "99MYCO"  # private: the standard cannot say
    note = one(findings(ds), "undecided", path)
    assert note.severity == "info" and "PS3.16 Table 8-1" in note.message
    item.CodingSchemeDesignator = "BI"  # Table 8-1: "Coding Scheme Version … is required"
    assert one(findings(ds), "missing", path).severity == "error"
    item.CodingSchemeVersion = "4"
    assert [str(f) for f in findings(ds) if f.path == path] == []
    del item.CodingSchemeDesignator  # no designator: the version shall not be present
    assert one(findings(ds), "not-allowed", path).severity == "error"


def test_patient_position_not_with_patient_orientation_code_sequence(testdata: Path) -> None:
    # General Series: "… May be present for other SOP Classes if Patient Orientation Code
    # Sequence (0054,0410) is not present."
    ds = pydicom.dcmread(testdata / CT)
    ds.PatientPosition = "HFS"
    code = Dataset()
    code.CodeValue, code.CodingSchemeDesignator, code.CodeMeaning = "F-10450", "SRT", "recumbent"
    ds.PatientOrientationCodeSequence = Sequence([code])
    assert one(findings(ds), "not-allowed", "PatientPosition").severity == "error"


def test_validating_a_file_does_not_import_pydicom(testdata: Path) -> None:
    # pydicom (with NumPy) costs more to import than checking a typical file; the validator
    # needs it only to decode character sets with code extensions
    code = (
        "import sys; from iodkit.validation import validate_file; "
        f"fs = validate_file({str(testdata / SEG)!r}); "
        "assert fs and 'pydicom' not in sys.modules and 'numpy' not in sys.modules, "
        "sorted(m for m in sys.modules if m.startswith(('pydicom', 'numpy')))[:5]; print('ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ok"


def test_validate_of_a_path_does_not_import_pydicom(testdata: Path) -> None:
    # the public entry point (iodkit.validate) as well as validate_file
    code = (
        "import sys, iodkit; "
        f"fs = iodkit.validate({str(testdata / SEG)!r}); "
        "assert fs and 'pydicom' not in sys.modules and 'numpy' not in sys.modules, "
        "sorted(m for m in sys.modules if m.startswith(('pydicom', 'numpy')))[:5]; print('ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ok"


def test_validating_an_sr_with_snomed_rt_codes_does_not_import_pydicom(testdata: Path) -> None:
    # the template checks map retired SRT codes to SCT with pydicom's table, read from its data
    # file alone: importing pydicom.sr.coding cost ~0.5 s of CPU, an eighth of a run over the
    # corpus ten times over; the mapping is the same table
    sr = testdata / "dcmqi" / "sr-example_sr.dcm"
    if not sr.is_file():
        pytest.skip(f"{sr} not in the test data")
    code = (
        "import sys; from iodkit.validation import validate_file; "
        f"fs = validate_file({str(sr)!r}); "
        "assert any('SRT' in f.message and 'SCT' in f.message for f in fs), fs; "
        "assert 'pydicom' not in sys.modules, "
        "sorted(m for m in sys.modules if m.startswith('pydicom'))[:5]; "
        "from iodkit.rulemodel.coded import _Srt; "
        "from pydicom.sr.coding import snomed_mapping; "
        "assert _Srt.table == snomed_mapping['SRT']; print('ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ok"


def test_specific_character_set_required_when_text_leaves_the_default_repertoire(
    testdata: Path,
) -> None:
    # SOP Common: "Required if an expanded or replacement character set is used."
    ds = pydicom.dcmread(testdata / CT)
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.PatientName = "Müller^Jörg"
    assert not [f for f in findings(ds) if f.path == "SpecificCharacterSet"]
    del ds.SpecificCharacterSet  # Latin-1 bytes and nothing says which set they are
    missing = one(findings(ds), "missing", "SpecificCharacterSet")
    assert missing.severity == "error"
    ds.PatientName = "Muller^Jorg"  # the default repertoire needs no declaration
    assert not [f for f in findings(ds) if f.path == "SpecificCharacterSet"]


def test_veterinary_attributes_follow_the_species(testdata: Path) -> None:
    # Patient Module: "Required if the Patient is a non-human organism" (Breed, Responsible
    # Person …): a dataset says so by its species (Patient Species Description / Code Sequence)
    ds = pydicom.dcmread(testdata / CT)
    for kw in ("PatientSpeciesDescription", "PatientSpeciesCodeSequence", "ResponsiblePerson"):
        ds.pop(kw, None)
    assert not [f for f in findings(ds) if f.path == "ResponsiblePerson"]
    ds.PatientSpeciesDescription = "Canis lupus familiaris"
    fs = findings(ds)
    assert one(fs, "missing", "ResponsiblePerson").severity == "error"  # Type 2C
    assert one(fs, "missing", "PatientBreedCodeSequence").severity == "error"
    ds.PatientSpeciesDescription = "Homo sapiens"  # a species, but a human one
    assert not [f for f in findings(ds) if f.path == "ResponsiblePerson"]


def test_private_creator_of_a_dimension_pointing_to_a_private_tag(seg: Dataset) -> None:
    # Multi-frame Dimension Module: Dimension Index Private Creator, "Required if the Dimension
    # Index Pointer (0020,9165) value is the Data Element Tag of a Private Attribute."
    ds = copy.deepcopy(seg)
    item = ds.DimensionIndexSequence[0]
    item.pop("DimensionIndexPrivateCreator", None)
    assert not [f for f in findings(ds) if "DimensionIndexPrivateCreator" in f.path]
    item.DimensionIndexPointer = 0x00091001  # an odd group: private
    fs = [f for f in findings(ds) if f.path.endswith("DimensionIndexPrivateCreator")]
    assert [f.code for f in fs] == ["missing"]


def test_an_undecided_note_says_why(testdata: Path) -> None:
    # Modality LUT Module: Modality LUT Sequence "Shall not be present if Rescale Intercept
    # (0028,1052) is present." — nothing says when it is required; CT Image: Rescale Type
    # "Required if the Rescale Type is not HU …" speaks of its own value
    fs = validate_file(testdata / "fodicom" / "CT-MONO2-16-ankle.dcm")
    note = one(fs, "undecided", "ModalityLUTSequence")
    assert note.severity == "info"
    assert note.message.endswith("the standard says only when it shall not be present")
    rescale = one(validate_file(testdata / CT), "undecided", "RescaleType")
    assert rescale.message.endswith("its condition speaks of its own value")


def test_coding_scheme_designators_follow_ps3_16_section_8(seg: Dataset) -> None:
    # PS3.16 Section 8: a designator of Table 8-1 or 8-2, a private one beginning with "99",
    # or an HL7 Registry symbolic name (not checkable offline: a warning); SRT is deprecated
    ds = copy.deepcopy(seg)
    item = ds.SegmentSequence[0].SegmentedPropertyCategoryCodeSequence[0]
    path = "SegmentSequence[0].SegmentedPropertyCategoryCodeSequence[0].CodingSchemeDesignator"

    def warnings(designator: str) -> list[str]:
        item.CodingSchemeDesignator = designator
        return [f.message for f in validate(ds) if f.path == path and f.code == "coding-scheme"]

    assert warnings("SCT") == [] and warnings("99MYCO") == [] and warnings("ActCode") == []
    assert warnings("SRT") == ["Coding Scheme Designator 'SRT' is deprecated (PS3.16 Table 8-1)"]
    (local,) = warnings("LOCAL")
    assert "not in PS3.16 Table 8-1 or 8-2" in local and "HL7 Registry" in local


SR = "highdicom/sr_document.dcm"


def test_sr_content_items_are_checked_at_every_depth(testdata: Path) -> None:
    # Document Relationship Macro (Table C.17-6): each Content Sequence item includes the
    # Document Relationship and Document Content Macros "if the Target Content Item is included
    # by-value", i.e. unless Referenced Content Item Identifier (0040,DB73) denotes it
    # by-reference; the macros recurse, one level per item
    ds = pydicom.dcmread(testdata / SR)
    num = ds.ContentSequence[7].ContentSequence[0].ContentSequence[5]
    assert num.ValueType == "NUM"  # three levels down
    base = "ContentSequence[7].ContentSequence[0].ContentSequence[5]"
    measured = num.MeasuredValueSequence[0]
    del measured.MeasurementUnitsCodeSequence  # Type 1 in the Numeric Measurement Macro
    measured.NumericValue = [1.5, 2.5]  # "Only a single value shall be present."
    fs = findings(ds)
    assert one(fs, "missing", f"{base}.MeasuredValueSequence[0].MeasurementUnitsCodeSequence")
    vm = one(fs, "vm", f"{base}.MeasuredValueSequence[0].NumericValue")
    assert vm.severity == "error" and "Only a single value shall be present" in vm.message


def test_a_content_item_by_reference_has_no_content_macros(testdata: Path) -> None:
    ds = pydicom.dcmread(testdata / SR)
    item = ds.ContentSequence[7].ContentSequence[0]
    path = "ContentSequence[7].ContentSequence[0]"
    del item.ValueType  # by-value (no Referenced Content Item Identifier): Value Type is Type 1
    fs = findings(ds)
    assert one(fs, "missing", f"{path}.ValueType").severity == "error"
    # and without the Document Content Macro, the item must reference its target
    assert one(fs, "missing", f"{path}.ReferencedContentItemIdentifier").severity == "error"
    ref = ds.ContentSequence[6]  # a by-reference item: the identifier and the relationship only
    for elem in list(ref):
        if elem.keyword != "RelationshipType":
            del ref[elem.tag]
    ref.ReferencedContentItemIdentifier = [1, 7]
    assert not [f for f in findings(ds) if f.path.startswith("ContentSequence[6]")]
    ref.ValueType = "TEXT"  # content macros in a by-reference item: not allowed
    assert [f.code for f in findings(ds) if f.path == "ContentSequence[6].ValueType"] == [
        "not-allowed"
    ]


def test_the_same_note_in_many_items_is_one_note(testdata: Path) -> None:
    # every SR content item asks "Required if the enclosing Content Item has relationships"
    # (Content Sequence): one note with the count, not one per item; errors keep every path
    fs = validate_file(testdata / "dcmqi" / "sr-example_sr.dcm")
    notes = [f for f in fs if f.severity == "info" and f.path.endswith("].ContentSequence")]
    collapsed = [f for f in notes if "[*]" in f.path]
    assert collapsed and all(" items, first ContentSequence[" in f.message for f in collapsed)
    # one note per question and place pattern (a single item keeps its own path)
    assert sum(int(f.message.split(" (in ")[1].split()[0]) for f in collapsed) > 100
    assert len({(f.path, f.message) for f in fs if f.severity == "info"}) == len(
        [f for f in fs if f.severity == "info"]
    )
    ds = pydicom.dcmread(testdata / SR)
    for i in (0, 1):
        del ds.ContentSequence[i].RelationshipType  # Type 1, in two items
    missing = [f.path for f in findings(ds) if f.code == "missing"]
    assert "ContentSequence[0].RelationshipType" in missing
    assert "ContentSequence[1].RelationshipType" in missing


def test_every_finding_code_is_documented(testdata: Path) -> None:
    from iodkit.validation.findings import CODES

    used = {f.code for path in sorted(testdata.rglob("*.dcm")) for f in validate_file(path)}
    assert used <= set(CODES), sorted(used - set(CODES))
    assert {"missing", "undecided", "coding-scheme", "not-in-iod"} <= used


def test_coverage_lists_the_conditions_it_cannot_execute() -> None:
    code, text = _cli(["--coverage", "-v"])
    assert code == 0
    lines = text.splitlines()
    summary = next(line for line in lines if line.strip().startswith("all "))
    not_decidable = int(summary.split("not decidable from a dataset ")[1].split(",")[0])
    unparsed = int(summary.split("unparsed ")[1].split(";")[0])
    listed = [line for line in lines if line.startswith("[")]
    assert len(listed) == not_decidable + unparsed
    # each with where it is and the standard's words
    assert any(
        line.startswith("[not-decidable] iod-module ")
        and "Contrast/Bolus Module: Required if contrast media was used" in line
        for line in listed
    )
    assert sum(line.startswith("[unparsed] ") for line in listed) == unparsed


def test_coverage_groups_what_no_dataset_decides_by_the_fact_needed() -> None:
    from iodkit.validation.needs import need_of

    assert need_of("Required if contrast media was used in this Image")[0] == (
        "the acquisition or processing"
    )
    assert (
        need_of(
            "Required if the SOP Instance was created in response to a Frame-Level retrieve request"
        )[0]
        == "the transfer or service"
    )
    assert need_of("Required if the Referenced SOP Instance is a multi-frame image")[0] == (
        "another instance"
    )
    code, text = _cli(["--coverage", "-v"])
    assert code == 0
    lines = text.splitlines()
    head = lines.index("not decidable from a dataset, by the fact their words name:")
    counts = []
    for line in lines[head + 1 :]:
        if not line.startswith("  "):
            break
        counts.append(int(line.split("(needs")[0].split()[-1]))
    summary = next(line for line in lines if line.strip().startswith("all "))
    assert sum(counts) == int(summary.split("not decidable from a dataset ")[1].split(",")[0])
    assert "the acquisition or processing:" in lines


def test_the_collector_pauses_while_a_file_is_checked(
    testdata: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the tree has no cycles: the garbage collector is off while a file is read and checked,
    # on again after (also after a file that cannot be read), and left off if it was off
    import gc

    from iodkit.validation import api

    seen: list[bool] = []
    real = api.parse

    def parse(data: bytes) -> object:
        seen.append(gc.isenabled())
        return real(data)

    monkeypatch.setattr(api, "parse", parse)
    path = testdata / "highdicom" / "sm_image.dcm"
    assert gc.isenabled()
    validate_file(path)
    assert seen == [False] and gc.isenabled()
    validate_file(tmp_path / "missing.dcm")
    assert gc.isenabled()
    gc.disable()
    try:
        validate_file(path)
        assert seen == [False, False] and not gc.isenabled()
    finally:
        gc.enable()

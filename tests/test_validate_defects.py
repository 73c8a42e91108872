"""Issue 12's defects, each on a dataset crafted to show it (each test failed before its fix).

The datasets are small and made here; what they should give is read from the standard's words,
quoted next to each case.
"""

from __future__ import annotations

import copy
import io
import struct
from pathlib import Path

import pytest
from iodkit.seg.synthetic import ct_series
from iodkit.validation import validate, validate_bytes
from iodkit.validation.context import ValidationContext
from iodkit.validation.findings import Finding
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

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


# ---------------------------------------------------------------------------------------------
# 6. Native pixel length with chroma subsampling


def ybr_image(photometric: str, samples_stored: int) -> bytes:
    """A native 4×4 RGB-like Secondary Capture image whose Pixel Data holds ``samples_stored``
    bytes a pixel."""
    ds = Dataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.SOPInstanceUID = generate_uid()
    ds.Rows = ds.Columns = 4
    ds.SamplesPerPixel, ds.PhotometricInterpretation, ds.PlanarConfiguration = 3, photometric, 0
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ds.PixelData = bytes(16 * samples_stored)
    ds["PixelData"].VR = "OB"
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("photometric", "stored", "wrong"),
    [
        # PS3.3 C.7.6.3.1.2: YBR_FULL_422 "Y1 Y2 CB CR": two bytes a pixel at 8 bits
        ("YBR_FULL_422", 2, False),
        ("YBR_FULL_422", 3, True),
        ("RGB", 3, False),
        ("RGB", 2, True),
    ],
)
def test_native_pixel_length_follows_chroma_subsampling(
    photometric: str, stored: int, wrong: bool
) -> None:
    found = errors(validate_bytes(ybr_image(photometric, stored)), "value", "PixelData")
    assert bool(found) == wrong, [str(f) for f in found]
    if wrong and photometric == "YBR_FULL_422":
        assert "make 32 (YBR_FULL_422 stores 2 samples a pixel)" in found[0].message


# ---------------------------------------------------------------------------------------------
# 2. Standard attributes written with VR UN (PS3.5 6.2.2)


def explicit(ds: Dataset) -> bytearray:
    ds = copy.deepcopy(ds)
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    return bytearray(buf.getvalue())


def as_un(data: bytearray, tag: int) -> bytearray:
    """Rewrite the short explicit VR header of ``tag`` (in the dataset, not the meta) as UN."""
    key = struct.pack("<HH", tag >> 16, tag & 0xFFFF)
    meta_end = 132 + 12 + struct.unpack("<I", data[140:144])[0]
    i = data.find(key, meta_end)
    assert i > 0 and data[i + 4 : i + 6] != b"UN"
    length = struct.unpack("<H", data[i + 6 : i + 8])[0]
    return data[:i] + key + b"UN\0\0" + struct.pack("<I", length) + data[i + 8 :]


def test_un_values_of_known_tags_are_read_with_the_dictionary_vr(ct: Dataset) -> None:
    data = explicit(ct)
    for tag in (0x00080016, 0x00280010, 0x00080060):  # SOP Class UID (UI), Rows (US), Modality
        data = as_un(data, tag)
    fs = validate_bytes(bytes(data))
    assert not errors(fs, "sop-class") and not errors(fs, "meta")  # the UID's NUL is padding
    assert fs and not [f for f in fs if f.severity == "error" and f.path in ("Rows", "Modality")]
    warned = {f.path: f for f in fs if f.code == "vr" and f.severity == "warning"}
    assert set(warned) == {"SOPClassUID", "Rows", "Modality"}
    assert "VR UN for a standard attribute; read as US" in warned["Rows"].message
    # the IOD is validated: a value read through the UN is checked like any other
    data = as_un(explicit(ct), 0x00100040)  # Patient's Sex: Enumerated Values M, F, O
    data = data.replace(b"UN\0\0\x02\0\0\0O ", b"UN\0\0\x02\0\0\0Q ")
    fs = validate_bytes(bytes(data))
    assert [f.path for f in errors(fs, "enumerated")] == ["PatientSex"]


# ---------------------------------------------------------------------------------------------
# 9. Bad input reads as what it is


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"", "empty file (0 bytes)"),
        (b"Patient list\nDoe^John\t1970\n", "not a DICOM file (text)"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "not a DICOM file (a PDF document)"),
        (b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X", "not a DICOM file (a macOS resource fork"),
        (bytes(range(7, 250)) * 5, "not a DICOM file (1,215 bytes: no DICM prefix at byte 128"),
    ],
)
def test_not_dicom_is_said_plainly(tmp_path: Path, content: bytes, said: str) -> None:
    from iodkit.validation import validate_file

    f = tmp_path / "input.dcm"
    f.write_bytes(content)
    fs = validate_file(f)
    assert len(fs) == 1 and fs[0].code == "read" and fs[0].message.startswith(said)
    assert validate_bytes(content)[0].message == fs[0].message


def test_a_bare_dataset_without_preamble_is_still_read(ct: Dataset) -> None:
    from pydicom.filebase import DicomBytesIO
    from pydicom.filewriter import write_dataset

    buf = DicomBytesIO()
    buf.is_implicit_VR, buf.is_little_endian = True, True
    ds = copy.deepcopy(ct)
    del ds.file_meta
    write_dataset(buf, ds)  # implicit VR little endian, no preamble, no File Meta
    data = buf.getvalue()
    assert data[128:132] != b"DICM"
    fs = validate_bytes(data)
    assert not any(f.code == "read" for f in fs) and any(f.code == "meta" for f in fs)


def test_one_corrupt_element_gives_a_bounded_number_of_findings(ct: Dataset) -> None:
    ds = copy.deepcopy(ct)
    with pytest.warns(UserWarning):  # pydicom: not valid CS values
        ds.ImageType = [f"bad value {i}!" for i in range(500)]  # CS: capitals, digits, _ and space
    fs = [f for f in validate(ds) if f.path == "ImageType"]
    assert 5 <= len(fs) <= 12
    capped = [f for f in fs if f.code == "capped"]
    assert len(capped) == 1 and capped[0].severity == "error"
    assert "more findings for this element not listed (at most 10 an element)" in (
        capped[0].message
    )


# ---------------------------------------------------------------------------------------------
# 4. A module's rule that overrides another module's


def test_sc_equipment_modality_overrides_general_series() -> None:
    # Table C.8-24 SC Equipment Module, Modality Type 3: "This type definition shall override
    # the definition in the General Series Module" (where it is Type 1)
    fs = validate_bytes(ybr_image("RGB", 3))
    assert not [f for f in fs if f.path == "Modality" and f.severity == "error"]


def test_encapsulated_document_modality_overrides_sc_equipment() -> None:
    # Table C.24-1 Encapsulated Document Series Module, Modality Type 1: "This Type definition
    # shall override the definition in the SC Equipment Module" (Type 3 there)
    ds = Dataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.104.1"  # Encapsulated PDF Storage
    ds.SOPInstanceUID = generate_uid()
    ds.MIMETypeOfEncapsulatedDocument = "application/pdf"
    ds.EncapsulatedDocument = b"%PDF-1.4\n"
    fs = validate(ds)
    missing = errors(fs, "missing", "Modality")
    assert missing and all(f.module == "Encapsulated Document Series" for f in missing)


def test_override_said_in_a_condition_is_not_read_as_one() -> None:
    from iodkit.codegen.spec.overrides import overridden_modules, without_override

    words = (
        "Shall be present if Number of Frames is greater than 1, overriding (specializing) the "
        "Type 1 requirement on this Attribute in the Multi-frame Module."
    )
    assert overridden_modules(words) == ["Multi-frame Module"]
    assert without_override(words) == "Shall be present if Number of Frames is greater than 1."
    # a value that overrides another value is not a rule that overrides another rule
    assert not overridden_modules(
        "this value shall override the value of Recommended Viewing Mode (0028,1090) specified "
        "in the Mask Module."
    )


# ---------------------------------------------------------------------------------------------
# 7. Conditions a dataset decides, no longer left as notes


def sr_evidence(testdata: Path) -> Dataset:
    import pydicom

    return pydicom.dcmread(testdata / "highdicom" / "sr_document.dcm")


def _refs(ds: Dataset) -> int:
    n = 0
    for item in ds.get("ContentSequence", []):
        n += "ReferencedSOPSequence" in item
        n += _refs(item)
    return n


def test_evidence_is_required_when_the_content_tree_references_instances(
    testdata: Path,
) -> None:
    # Table C.17-2: Current Requested Procedure Evidence Sequence "Required if the creator is
    # aware of … or if Instances are referenced in the Content Tree"; Section C.17.2.3: it
    # lists "at minimum the set of Composite SOP Instances from the current Requested
    # Procedure(s) that are referenced in the Content Tree", other evidence goes in Pertinent
    # Other Evidence, "the same SOP Instance shall not be referenced in both" (QA-18)
    ds = sr_evidence(testdata)
    assert _refs(ds) > 0 and "CurrentRequestedProcedureEvidenceSequence" not in ds

    def notes(d: Dataset) -> list[str]:
        return [
            f.severity for f in validate(d) if f.path == "CurrentRequestedProcedureEvidenceSequence"
        ]

    # highdicom lists the one referenced CT in Pertinent Other Evidence: evidence of another
    # procedure, so the content tree references no current evidence; what is left is the
    # creator's awareness: cannot decide (this was a false error)
    listed = {
        ref.ReferencedSOPInstanceUID
        for study in ds.PertinentOtherEvidenceSequence
        for series in study.ReferencedSeriesSequence
        for ref in series.ReferencedSOPSequence
    }
    assert listed and notes(ds) == ["info"]
    # listed in neither sequence: it must be listed, and only the current evidence is left
    del ds.PertinentOtherEvidenceSequence
    fs = validate(ds)
    assert errors(fs, "missing", "CurrentRequestedProcedureEvidenceSequence")

    # without references the creator's awareness is what is left: cannot decide
    def strip(d: Dataset) -> None:
        for item in d.get("ContentSequence", []):
            if "ReferencedSOPSequence" in item:
                del item.ReferencedSOPSequence
            strip(item)

    strip(ds)
    assert notes(ds) == ["info"]


def code_item(**values: str) -> Dataset:
    item = Dataset()
    for k, v in values.items():
        setattr(item, k, v)
    item.CodingSchemeDesignator = "DCM"
    item.CodeMeaning = "Something"
    return item


@pytest.mark.parametrize(
    ("values", "wrong"),
    [
        # Table 8.8-1a: Code Value "if the code value length is 16 characters or less, and the
        # code value is not a URN or URL"; Long Code Value when longer; URN Code Value for URNs
        ({"CodeValue": "113076"}, []),
        ({}, ["missing CodeValue"]),  # a code without any value: one error
        ({"LongCodeValue": "1234567890123456789012"}, []),
        ({"LongCodeValue": "short"}, ["missing CodeValue", "not-allowed LongCodeValue"]),
        ({"URNCodeValue": "urn:oid:1.2.3"}, []),
        # a URN in Code Value: not its place ("Shall be present if Code Value is not present
        # and …" keeps URN Code Value from being required while Code Value is there)
        ({"CodeValue": "urn:oid:1.2.3"}, ["not-allowed CodeValue"]),
    ],
)
def test_where_a_code_value_goes(ct: Dataset, values: dict[str, str], wrong: list[str]) -> None:
    ds = copy.deepcopy(ct)
    ds.AnatomicRegionSequence = Sequence([code_item(**values)])
    fs = [f for f in validate(ds) if f.path.startswith("AnatomicRegionSequence[0].")]
    got = sorted(
        f"{f.code} {f.path.rsplit('.', 1)[1]}"
        for f in fs
        if f.severity == "error" and f.code in ("missing", "not-allowed")
    )
    assert got == sorted(wrong), [str(f) for f in fs]
    assert not [f for f in fs if f.code == "undecided" and "Code" in f.path]


def enhanced_ct(per_frame: bool) -> Dataset:
    ds = Dataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.2.1"  # Enhanced CT Image Storage
    ds.SOPInstanceUID = generate_uid()
    ds.NumberOfFrames = 1
    ds.SharedFunctionalGroupsSequence = Sequence([Dataset()])
    if per_frame:
        frame = Dataset()
        content = Dataset()
        content.FrameAcquisitionNumber = 1
        frame.FrameContentSequence = Sequence([content])
        ds.PerFrameFunctionalGroupsSequence = Sequence([frame])
    return ds


def test_per_frame_functional_groups_follow_the_iods_macros() -> None:
    # Table C.7.6.16-1: Per-Frame Functional Groups Sequence "Required if for any frame, there
    # are Per-Frame Functional Groups that are not empty"; Enhanced CT (Table A.38-2) makes
    # Frame Content mandatory and "May not be used as a Shared Functional Group"
    fs = validate(enhanced_ct(per_frame=False))
    assert errors(fs, "missing", "PerFrameFunctionalGroupsSequence")
    fs = validate(enhanced_ct(per_frame=True))
    assert not errors(fs, "missing", "PerFrameFunctionalGroupsSequence")


def test_a_functional_group_required_if_not_empty(testdata: Path) -> None:
    # Segmentation (Table A.51-2): Frame Content "Required if not empty": a TILED_FULL
    # segmentation has no per-frame items, so none is needed, and nothing is left undecided
    from iodkit.validation import validate_file

    fs = validate_file(testdata / "highdicom" / "seg_image_sm_dots_tiled_full.dcm")
    assert not [f for f in fs if f.module == "Frame Content" and f.code == "undecided"]
    assert not [f for f in fs if f.path == "PerFrameFunctionalGroupsSequence"]

"""DICOMDIR files validated as the Basic Directory IOD (PS3.3 Annex F; issue 12 defect 3).

Real DICOMDIRs are pydicom's own test files (a runtime dependency: pydicom/data/test_files,
written by DCMTK's dcmmkdir and variants of it); the crafted cases change bytes of one of them
in place, keeping every length and so every offset, so that exactly one thing is wrong.
dciodvfy is the oracle on the real files.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pydicom
import pytest
from iodkit.validation import validate

from tests.oracles import dciodvfy_errors

TESTS = Path(pydicom.__file__).parent / "data" / "test_files" / "dicomdirtests"
REAL = (
    "DICOMDIR",
    "DICOMDIR-reordered",
    "DICOMDIR-implicit",
    "DICOMDIR-bigEnd",
    "DICOMDIR-empty.dcm",
    "TINY_ALPHA/DICOMDIR",
)


def errors(path_or_data: Path | bytes) -> list[str]:
    return [str(f) for f in validate(path_or_data) if f.severity == "error"]


def original() -> bytes:
    path = TESTS / "DICOMDIR"
    if not path.exists():
        pytest.skip(f"pydicom's DICOMDIR test files are not installed ({path})")
    return path.read_bytes()


def records() -> list[pydicom.Dataset]:
    return list(pydicom.dcmread(TESTS / "DICOMDIR").DirectoryRecordSequence)


def element_at(data: bytes, start: int, tag: int, vr: bytes) -> int:
    """Where an explicit VR little endian element starts, searching from ``start``."""
    head = struct.pack("<HH", tag >> 16, tag & 0xFFFF) + vr
    at = data.find(head, start)
    assert at >= 0, f"({tag >> 16:04X},{tag & 0xFFFF:04X}) not found after {start}"
    return at


def set_offset(data: bytes, start: int, tag: int, value: int) -> bytes:
    """The UL offset ``tag`` first found after ``start`` set to ``value`` (same length)."""
    at = element_at(data, start, tag, b"UL") + 8
    return data[:at] + struct.pack("<I", value) + data[at + 4 :]


@pytest.mark.parametrize("name", REAL)
def test_real_dicomdirs_validate_without_errors_as_dciodvfy_does(name: str) -> None:
    path = TESTS / name
    if not path.exists():
        pytest.skip(f"pydicom's DICOMDIR test files are not installed ({path})")
    found = validate(path)
    # before: "SOP Class UID (0008,0016) is absent", "MediaStorageSOPClassUID is set but
    # SOPClassUID is absent", "… is not a storage SOP Class of an IOD" — and nothing checked
    assert [str(f) for f in found if f.severity == "error"] == []
    assert not [f for f in found if f.code in ("sop-class", "meta")]
    assert dciodvfy_errors(path) == []


def test_a_record_is_checked_against_the_keys_of_its_type() -> None:
    data = original()
    patient = records()[0]
    assert patient.DirectoryRecordType == "PATIENT"
    # Patient ID (Type 1 in Table F.5-1 Patient Keys) becomes Issuer of Patient ID: same VR,
    # same length, every offset unchanged
    at = element_at(data, patient.seq_item_tell, 0x00100020, b"LO")
    crafted = data[:at] + struct.pack("<HH", 0x0010, 0x0021) + data[at + 4 :]
    found = errors(crafted)
    assert any(
        "DirectoryRecordSequence[0].PatientID" in e and "Type 1 Patient ID is absent" in e
        for e in found
    ), found
    assert any("Table F.5-1" in e for e in found), found
    assert len(found) == 1, found


def test_keys_of_another_type_are_not_required() -> None:
    data = original()
    # the STUDY record keeps its Study keys; turned into a SERIES record ("STUDY " and
    # "SERIES" are both six bytes) it must have the Series Keys (Modality, Series Instance
    # UID, Series Number) and no longer the Study Keys
    study = records()[1]
    assert study.DirectoryRecordType == "STUDY"
    at = element_at(data, study.seq_item_tell, 0x00041430, b"CS") + 8
    assert data[at : at + 6] == b"STUDY "
    crafted = data[:at] + b"SERIES" + data[at + 6 :]
    found = errors(crafted)
    missing = sorted(e.split(":")[0] for e in found if "missing" in e)
    assert missing == [
        "ERROR missing DirectoryRecordSequence[1].Modality",
        "ERROR missing DirectoryRecordSequence[1].SeriesInstanceUID",
        "ERROR missing DirectoryRecordSequence[1].SeriesNumber",
    ], found
    assert not any("StudyInstanceUID" in e for e in found)
    # and a SERIES record cannot sit where a PATIENT record's entity holds STUDY records
    assert any(
        "DirectoryRecordSequence[1].DirectoryRecordType" in e and "Table F.4-1" in e for e in found
    ), found


def test_an_offset_that_points_at_no_record_is_an_error() -> None:
    data = original()
    study = records()[1]
    crafted = set_offset(data, study.seq_item_tell, 0x00041420, study.seq_item_tell + 2)
    found = errors(crafted)
    assert any(
        "DirectoryRecordSequence[1].OffsetOfReferencedLowerLevelDirectoryEntity" in e
        and "is not the position of any Directory Record" in e
        for e in found
    ), found
    assert validate(data) and errors(data) == []


def test_a_loop_of_offsets_is_an_error() -> None:
    data = original()
    image = records()[3]
    assert image.DirectoryRecordType == "IMAGE" and image.OffsetOfTheNextDirectoryRecord == 0
    # the IMAGE record's next record: itself
    crafted = set_offset(data, image.seq_item_tell, 0x00041400, image.seq_item_tell)
    found = errors(crafted)
    assert any("DirectoryRecordSequence[3]" in e and "reached a second time" in e for e in found), (
        found
    )


def test_the_root_must_reach_its_records_through_the_right_types() -> None:
    data = original()
    study = records()[1]
    # the root's first record: the STUDY record (the root may hold PATIENT, not STUDY); the
    # first PATIENT record and what only it reaches are then lost
    crafted = set_offset(data, 0, 0x00041200, study.seq_item_tell)
    found = validate(crafted)
    errs = [str(f) for f in found if f.severity == "error"]
    assert any(
        "DirectoryRecordSequence[1].DirectoryRecordType" in e
        and "Root Directory Entity" in e
        and "Table F.4-1" in e
        for e in errs
    ), errs
    lost = [f for f in found if f.code == "directory" and f.severity == "warning"]
    assert len(lost) == 1 and "[0]" in lost[0].message, found
    # the last record of the root no longer ends the chain the root starts
    assert any("OffsetOfTheLastDirectoryRecordOfTheRootDirectoryEntity" in e for e in errs)


def test_pydicoms_nopatient_variant_has_a_root_offset_at_an_image() -> None:
    """pydicom's DICOMDIR-nopatient was made from the reordered file (IMAGE, SERIES, STUDY,
    PATIENT first) with the root's first offset left at the original's first record, which is
    now an IMAGE record: dciodvfy reports only the 'UNKNOWN' record types."""
    path = TESTS / "DICOMDIR-nopatient"
    if not path.exists():
        pytest.skip(f"pydicom's DICOMDIR test files are not installed ({path})")
    found = errors(path)
    assert sum("'UNKNOWN' is not an Enumerated Value" in e for e in found) == 2
    assert any("a record of type IMAGE" in e and "Root Directory Entity" in e for e in found)
    assert sum("Unrecognized enumerated value <UNKNOWN>" in e for e in dciodvfy_errors(path)) == 2


def test_a_dicomdir_in_memory_says_its_offsets_are_not_checked() -> None:
    original()
    ds = pydicom.dcmread(TESTS / "DICOMDIR")
    found = validate(ds)
    assert [str(f) for f in found if f.severity == "error"] == []
    assert any(f.code == "undecided" and "record offsets" in f.message for f in found)


def test_damaged_dicomdirs_are_findings_never_exceptions() -> None:
    """Mutants of a real DICOMDIR (offsets, lengths, item tags, truncations: the make fuzz
    operations) through the validator: it must never raise nor stop at its guard."""
    import random

    from tools import fuzz

    data = original()
    offsets_hit = 0
    for n in range(300):
        mutant, _ = fuzz.mutate(data, random.Random(f"dicomdir:{n}"))
        assert fuzz.check_validator(mutant) is None, n
        offsets_hit += any(f.code == "directory" for f in validate(mutant))
    assert offsets_hit > 10  # the offset checks ran on damaged files, not only on clean ones

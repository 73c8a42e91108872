"""The shared read guard (iodkit.derived.readguard), checked values (iodkit.datavalues) and
reads bounded by the file's size (iodkit.pixels.files.read_dataset)."""

from __future__ import annotations

import io
import struct
import tracemalloc
from pathlib import Path

import pydicom
import pytest
from iodkit.ann import read_annotations
from iodkit.datavalues import DamagedValueError, decimal, float_of, int_of, integer, items_of
from iodkit.derived.readguard import ArgumentError, guarded, opening
from iodkit.pixels.files import read_dataset
from iodkit.seg import SegmentationReadError, read_segmentation
from iodkit.seg.synthetic import ct_series
from iodkit.sr import SRReadError, read_sr
from pydicom.dataset import Dataset
from pydicom.valuerep import PersonName


@pytest.mark.filterwarnings("ignore:A value of type")
def test_values_are_checked_as_they_are_taken() -> None:
    ds = Dataset()
    ds.Rows = 12
    ds.Columns = "7"  # an IS read as text
    ds.PixelSpacing = [0.5, 0.5]
    assert int_of(ds, "Rows") == 12
    assert int_of(ds, "Columns") == 7
    assert int_of(ds, "NumberOfFrames", 1) == 1
    assert items_of(ds, "SegmentSequence") == []
    with pytest.raises(DamagedValueError, match=r"Bits Allocated \(0028,0100\) is missing"):
        int_of(ds, "BitsAllocated")
    with pytest.raises(DamagedValueError, match=r"Pixel Spacing \(0028,0030\) holds 2 values"):
        float_of(ds, "PixelSpacing")
    with pytest.raises(DamagedValueError, match=r"Rows is .Doe\^J., not an integer"):
        integer(PersonName("Doe^J"), "Rows")
    with pytest.raises(DamagedValueError, match="not a finite number"):
        decimal("nan", "Slice Thickness")
    ds.add_new(0x00620002, "OB", b"\x01\x02")  # Segment Sequence with a damaged VR
    with pytest.raises(DamagedValueError, match=r"Segment Sequence \(0062,0002\) is .*not a seq"):
        items_of(ds, "SegmentSequence")


def _file_with_huge_length(path: Path) -> Path:
    """A CT slice whose Patient Comments (LT, after the short header of explicit VR) claims
    0xFFFFFFF0 bytes — a long-VR element, so its length field has 4 bytes."""
    ds = ct_series(1, 8, 8)[0]
    ds.PatientComments = "x" * 6
    pydicom.dcmwrite(path, ds, enforce_file_format=True)
    data = bytearray(path.read_bytes())
    at = data.find(b"\x10\x00\x00\x40LT")  # (0010,4000) LT: short header, 2-byte length
    assert at > 0
    # make it an UT element (long header: 2 reserved bytes + 4-byte length) of a huge length
    data[at + 4 : at + 8] = b"UT\x00\x00"
    data[at + 8 : at + 8] = struct.pack("<I", 0xFFFFFFF0)
    path.write_bytes(bytes(data))
    return path


def test_a_damaged_length_reads_no_more_than_the_file_holds(tmp_path: Path) -> None:
    path = _file_with_huge_length(tmp_path / "huge.dcm")
    tracemalloc.start()
    try:
        try:
            read_dataset(path)
        except Exception:  # noqa: BLE001 - whether pydicom accepts the rest is not the point
            pass
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * 1024**2  # the file is a few kB; pydicom on a plain file asks for 4 GiB
    with pytest.raises(SegmentationReadError, match="huge.dcm"):
        read_segmentation(path)


def test_the_guard_names_the_source_and_keeps_the_cause(tmp_path: Path) -> None:
    class Broken(ValueError):
        pass

    @guarded(Broken, "thing")
    class Reader:
        def __init__(self, source: object) -> None:
            self.value = "12a"

        def number(self) -> int:
            return int(self.value)

        def pick(self, index: int) -> int:
            raise ArgumentError(f"no {index}")

    reader = Reader(tmp_path / "a.dcm")
    with pytest.raises(Broken, match=r"a\.dcm: cannot read the thing: ValueError") as info:
        reader.number()
    assert isinstance(info.value.__cause__, ValueError)
    with pytest.raises(ArgumentError):  # the caller's mistake passes as it is
        reader.pick(3)
    with pytest.raises(TypeError, match="positional argument"):  # so does a bad call
        reader.pick(1, 2)  # type: ignore[call-arg]
    with pytest.raises(Broken, match=r"<bytes>: cannot read the thing: KeyError"):
        with opening(Broken, "thing", io.BytesIO(b"")):
            raise KeyError("x")


def test_sr_and_annotation_errors_name_the_file_and_keep_the_cause(
    tmp_path: Path, testdata: Path
) -> None:
    data = bytearray((testdata / "highdicom" / "sr_document.dcm").read_bytes())
    at = data.find(b"\x40\x00\x43\xa0SQ")  # the root's Concept Name Code Sequence
    assert 0 < at < data.find(b"\x40\x00\x30\xa7SQ")  # before the Content Sequence
    data[at + 4 : at + 6] = b"OB"  # now bytes where the document's title was
    path = tmp_path / "damaged-sr.dcm"
    path.write_bytes(bytes(data))
    with pytest.raises(SRReadError, match=r"damaged-sr\.dcm: ") as info:
        read_sr(path)
    assert info.value.__cause__ is not None  # what went wrong stays visible
    ct = tmp_path / "ct.dcm"
    pydicom.dcmwrite(ct, ct_series(1, 8, 8)[0], enforce_file_format=True)
    with pytest.raises(ValueError, match=r"ct\.dcm: SOP Class .* not Microscopy Bulk"):
        read_annotations(ct)

"""The readers raise only iodkit's errors on damaged files, naming the file (QA-15, issue 12).

150 seeded mutants (``make fuzz``'s mutations: truncation, bit flips, changed VRs and lengths,
stray delimiters, inserted and spliced bytes) of a small file of each kind iodkit writes — a
Segmentation, a Parametric Map, a Legacy Converted Enhanced CT, a Secondary Capture, a slide
level — opened and read by its reader as ``make fuzz`` does (tools/fuzz.py ``check_reader``):
opening and reading may fail only with one of iodkit's errors whose message names the file,
with no foreign exception of iodkit's own code behind it (an unchecked value) and no
MemoryError (a damaged length believed). Before the readers were guarded
(iodkit.derived.readguard), pydicom's ``OSError``/``NotImplementedError``, ``AttributeError``
and ``ValueError`` came through. SR documents: mutants of highdicom's (the test data);
annotations and presentation states: tests/test_ann_pr_fuzz.py.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pydicom
import pytest
from iodkit.codes import Code, cid7150, cid7166, cid7203
from iodkit.derived.readguard import NotReferencedError
from iodkit.legacy import LegacyConvertedEnhancedImage, LegacyReadError, read_legacy_converted
from iodkit.pm import ParametricMap, RealWorldValueMapping
from iodkit.sc import SecondaryCapture
from iodkit.seg import (
    AlgorithmIdentification,
    Segmentation,
    SegmentationReadError,
    SegmentDescription,
    read_segmentation,
)
from iodkit.seg.synthetic import ct_series
from iodkit.wsi import SlideImage

from tools import fuzz

MUTANTS = 150
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")  # pydicom on damaged values


def write(kind: str, path: Path) -> None:
    ct = ct_series(3, 12, 10)
    if kind == "seg":
        mask = np.zeros((3, 12, 10), np.uint8)
        mask[:, 2:6, 3:7] = 1
        bone = SegmentDescription(
            1, "bone", cid7150.TISSUE, cid7166.BONE, algorithm=AlgorithmIdentification("a", "1")
        )
        Segmentation(mask, ct, [bone]).save(path)
    elif kind == "pm":
        values = np.linspace(0, 1, 3 * 12 * 10, dtype=np.float32).reshape(3, 12, 10)
        mapping = RealWorldValueMapping.identity("p", "p", Code("1", "UCUM", "no units"))
        ParametricMap(values, ct, mapping, derivation=cid7203.SEGMENTATION).save(path)
    elif kind == "legacy":
        LegacyConvertedEnhancedImage(ct).save(path)
    elif kind == "sc":
        SecondaryCapture(np.arange(2 * 8 * 6, dtype=np.uint8).reshape(2, 8, 6), ct[0]).save(path)
    else:
        SlideImage(np.zeros((40, 30, 3), np.uint8), tile_size=16).save(path)


@pytest.mark.parametrize("kind", ["seg", "pm", "legacy", "sc", "wsi"])
def test_damaged_files_raise_only_iodkit_errors(tmp_path: Path, kind: str) -> None:
    reader = next(r for r in fuzz.READERS if r.name == kind)
    original = tmp_path / f"{kind}.dcm"
    write(kind, original)
    data = original.read_bytes()
    assert fuzz.check_reader(reader, original) is None  # the intact file reads
    path = tmp_path / f"mutant-{kind}.dcm"
    failures = fuzz.mutant_failures(reader, data, path, f"corea:{kind}", MUTANTS)
    assert failures == [], "\n".join(failures[:10])


def test_damaged_sr_documents_raise_only_sr_read_errors(tmp_path: Path, testdata: Path) -> None:
    reader = next(r for r in fuzz.READERS if r.name == "sr")
    original = testdata / "highdicom" / "sr_document_with_multiple_groups.dcm"
    assert fuzz.check_reader(reader, original) is None
    data = original.read_bytes()
    path = tmp_path / "mutant-sr.dcm"
    failures = fuzz.mutant_failures(reader, data, path, "read:sr", MUTANTS)
    assert failures == [], "\n".join(failures[:10])


def test_sources_other_than_paths_are_named(tmp_path: Path) -> None:
    """A Dataset is named by its file or SOP Instance UID, an open file by its name, an open
    file without one as ``<bytes>``."""
    ct = ct_series(2, 8, 8)
    with pytest.raises(SegmentationReadError, match=rf"<dataset {ct[0].SOPInstanceUID}>: SOP"):
        read_segmentation(ct[0])
    path = tmp_path / "ct.dcm"
    pydicom.dcmwrite(path, ct[0], enforce_file_format=True)
    with open(path, "rb") as fp, pytest.raises(SegmentationReadError, match=str(path)):
        read_segmentation(fp)
    with pytest.raises(SegmentationReadError, match=r"<bytes>: .*(not|no)"):
        read_segmentation(io.BytesIO(b"\0" * 300))


def test_a_uid_not_converted_is_still_a_key_error(tmp_path: Path) -> None:
    """Errors for a bad argument keep the builtin class callers catch (KeyError, TypeError)."""
    LegacyConvertedEnhancedImage(ct_series(2, 8, 8)).save(tmp_path / "lce.dcm")
    with read_legacy_converted(tmp_path / "lce.dcm") as lce:
        with pytest.raises(KeyError, match="were not converted") as info:
            lce.get_pixels_by_source_instance(["1.2.3"])
        assert isinstance(info.value, NotReferencedError)
        with pytest.raises(TypeError, match="not one UID"):
            lce.get_pixels_by_source_instance("1.2.3")
        assert not isinstance(info.value, LegacyReadError)

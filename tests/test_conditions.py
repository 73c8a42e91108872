"""Conditions from the standard's own words: parse, then decide on crafted datasets.

Every case below is copied by hand from a cell of PS3.3 2024c (the table id says which) and is
checked on both branches: a dataset where the condition holds and one where it does not. A few
conditions must stay undecided (``None``): they speak of facts no dataset records, or of text the
parser does not read, and must never be treated as "optional" silently.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
import yaml
from iodkit.codegen.spec.conditions import (
    condition_sentences,
    corpus,
    coverage,
    parse_clause,
    parse_condition,
)
from iodkit.rulemodel import (
    PER_FRAME_FG,
    SHARED_FG,
    Absent,
    And,
    CodeIn,
    Compare,
    Condition,
    Context,
    DesignatorSufficient,
    Equals,
    Module,
    Not,
    Or,
    PointsTo,
    Present,
    Ref,
    Unknown,
    evaluate,
    predicate_from_data,
    ref,
)
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

# ---------------------------------------------------------------------------------------------
# Helpers


def ds(**attrs: object) -> Dataset:
    """A dataset from keywords (lists become multi-valued, lists of datasets sequences)."""
    d = Dataset()
    for k, v in attrs.items():
        if isinstance(v, list) and v and isinstance(v[0], Dataset):
            v = Sequence(v)
        setattr(d, k, v)
    return d


def code(value: str, scheme: str, meaning: str = "x") -> Dataset:
    return ds(CodeValue=value, CodingSchemeDesignator=scheme, CodeMeaning=meaning)


def inside(root: Dataset, *steps: tuple[str, int], **kw: object) -> Context:
    """The context of an item reached from ``root`` by (sequence keyword, item index) steps."""
    ctx = Context.of(root, **kw)  # type: ignore[arg-type]
    current = root
    for keyword, index in steps:
        elem = current[keyword]
        current = elem.value[index]
        ctx = ctx.child(current, index, elem.tag)
    return ctx


Make = Callable[[], Context]


@dataclass(frozen=True)
class Case:
    table: str  # where in PS3.3 2024c the words are
    text: str  # the cell, as written
    true: Make  # a context where the condition holds
    false: Make  # one where it does not
    otherwise: str = "unspecified"


def root(**attrs: object) -> Make:
    return lambda: Context.of(ds(**attrs))


def with_modules(*names: str) -> Make:
    return lambda: Context.of(ds(), modules=names)


# Enhanced CT with two frames: frame 0 ORIGINAL, frame 1 DERIVED; the conditional attribute
# (Reconstruction Diameter) lives in the CT Reconstruction Sequence of each frame.
def _enhanced_ct(frame: int) -> Context:
    frames = [
        ds(
            CTImageFrameTypeSequence=[ds(FrameType=[v1, "PRIMARY", "VOLUME", "NONE"])],
            CTReconstructionSequence=[ds(ConvolutionKernel="B")],
        )
        for v1 in ("ORIGINAL", "DERIVED")
    ]
    r = ds(PerFrameFunctionalGroupsSequence=frames, NumberOfFrames=2)
    return inside(r, ("PerFrameFunctionalGroupsSequence", frame), ("CTReconstructionSequence", 0))


def _track(set_has_value: bool, track_has_list: bool) -> Context:
    track = ds(RecommendedDisplayCIELabValueList=[1, 2, 3]) if track_has_list else ds()
    track_set = ds(TrackSequence=[track])
    if set_has_value:
        track_set.RecommendedDisplayCIELabValue = [1, 2, 3]
    r = ds(TrackSetSequence=[track_set])
    return inside(r, ("TrackSetSequence", 0), ("TrackSequence", 0))


def _control_point(index: int) -> Context:
    beam = ds(ControlPointSequence=[ds(ControlPointIndex=i) for i in range(4)])
    r = ds(BeamSequence=[beam])
    return inside(r, ("BeamSequence", 0), ("ControlPointSequence", index))


def _beam(wedges: int) -> Context:
    r = ds(BeamSequence=[ds(NumberOfWedges=wedges)])
    return inside(r, ("BeamSequence", 0))


def _protocol(code_value: str) -> Context:
    modifier = ds(ValueType="CODE", ConceptCodeSequence=[code(code_value, "SCT")])
    return Context.of(
        ds(PerformedProtocolCodeSequence=[ds(ContentItemModifierSequence=[modifier])])
    )


def _encapsulated(in_item: bool) -> Context:
    item = ds(EncapsulatedDocument=b"%PDF") if in_item else ds()
    r = ds(EncapsulatedDocument=b"%PDF-root", ReferencedInstanceSequence=[item])
    return inside(r, ("ReferencedInstanceSequence", 0))


class _Facts:
    """What the engine tells conditions that need more than the dataset (a stand-in for
    :class:`iodkit.validation.engine._Check`): PS3.16 Annex L's answers for a few body parts
    and codes, and which attributes the IOD requires."""

    def __init__(self, requires: dict[int, bool | None] | None = None) -> None:
        self.requires = requires or {}

    def iod_requires(self, tags: tuple[int, ...], ctx: Context) -> bool | None:
        verdicts = [self.requires.get(t) for t in tags]
        if False in verdicts:
            return False
        return None if None in verdicts else True

    def body_part_paired(self, term: str) -> bool | None:
        return {"KNEE": True, "PROSTATE": False, "CHEST": False}.get(term)

    def code_paired(self, value: str, scheme: str, meaning: str) -> bool | None:
        return {("72696002", "SCT"): True, ("41216001", "SCT"): False}.get((value, scheme))

    def designator_sufficient(self, designator: str) -> bool | None:
        # PS3.16 Table 8-1: DCM and SCT are listed; BI is listed with "Coding Scheme Version
        # (0008,0103) is required"; anything else (99MYCO) is not listed
        return {"DCM": True, "SCT": True, "BI": False}.get(designator)


_FACTS = _Facts()

LEGACY_MR = "1.2.840.10008.5.1.4.1.1.4.4"
ENHANCED_MR = "1.2.840.10008.5.1.4.1.1.4.1"
SEGMENTATION = "1.2.840.10008.5.1.4.1.1.66.4"

CASES: dict[str, Case] = {
    "absent-or-not-value": Case(
        "table_C.7.6.17-1",
        "Required if Dimension Organization Type (0020,9311) is absent or not TILED_FULL. May "
        "be present otherwise.",
        root(DimensionOrganizationType="3D"),
        root(DimensionOrganizationType="TILED_FULL"),
        "may",
    ),
    "tag-of-a-private-attribute": Case(
        "table_C.7.6.17-2",
        "Required if the Dimension Index Pointer (0020,9165) value is the Data Element Tag of "
        "a Private Attribute.",
        root(DimensionIndexPointer=0x00291010),
        root(DimensionIndexPointer=0x00209057),
    ),
    "non-human-patient": Case(
        "table_C.7-1",
        "Required if the Patient is a non-human organism. May be present otherwise.",
        root(PatientSpeciesCodeSequence=[code("448771007", "SCT", "Canis lupus familiaris")]),
        root(PatientSpeciesCodeSequence=[code("337915000", "SCT", "Homo sapiens")]),
        "may",
    ),
    "non-human-and-absent": Case(
        "table_C.7-1",
        "Required if the Patient is a non-human organism and if Patient Species Code Sequence "
        "(0010,2202) is not present. May be present otherwise.",
        root(PatientSpeciesDescription="Felis catus"),
        root(PatientName="Doe^J"),
        "may",
    ),
    "expanded-character-set": Case(
        "table_C.12-1",
        "Required if an expanded or replacement character set is used.",
        root(PatientName="Gr\u00fcn^Ana"),
        root(PatientName="Green^Ana"),
    ),
    "present": Case(
        "table_10-17",
        "Required if Universal Entity ID (0040,0032) is present.",
        root(UniversalEntityID="urn:x"),
        root(),
    ),
    "absent-may": Case(
        "table_10-17",
        "Required if Universal Entity ID (0040,0032) is not present; may be present otherwise.",
        root(),
        root(UniversalEntityID="urn:x"),
        "may",
    ),
    "value-n-iod-usage": Case(
        "table_A.32.8-1",
        "C - Required if Image Type (0008,0008) Value 3 is LABEL; may be present otherwise",
        root(ImageType=["ORIGINAL", "PRIMARY", "LABEL"]),
        root(ImageType=["ORIGINAL", "PRIMARY", "VOLUME", "LABEL"]),
        "may",
    ),
    "value-list-and-sop-class-not": Case(
        "table_C.8-83",
        "Required if Image Type (0008,0008) Value 1 is ORIGINAL or MIXED and SOP Class UID is not "
        '"1.2.840.10008.5.1.4.1.1.4.4" (Legacy Converted). May be present otherwise.',
        root(ImageType=["MIXED", "PRIMARY"], SOPClassUID=ENHANCED_MR),
        root(ImageType=["ORIGINAL", "PRIMARY"], SOPClassUID=LEGACY_MR),
        "may",
    ),
    "quoted-value": Case(
        "table_10-14",
        'Required if Lossy Image Compression (0028,2110) is "01".',
        root(LossyImageCompression="01"),
        root(LossyImageCompression="00"),
    ),
    "other-than-and-if": Case(
        "table_A.36-2",
        "C - Required if Respiratory Motion Compensation Technique (0018,9170) equals other than "
        "NONE, REALTIME or BREATH_HOLD and if Image Type (0008,0008) Value 1 is ORIGINAL or MIXED. "
        "May be present otherwise.",
        root(RespiratoryMotionCompensationTechnique="GATING", ImageType=["ORIGINAL", "PRIMARY"]),
        root(RespiratoryMotionCompensationTechnique="BREATH_HOLD", ImageType=["ORIGINAL"]),
        "may",
    ),
    "non-zero-sibling-in-item": Case(
        "table_C.8-50",
        "Sequence of treatment wedges.\nRequired if Number of Wedges (300A,00D0) is non-zero.",
        lambda: _beam(2),
        lambda: _beam(0),
    ),
    "bare-name-greater-than": Case(
        "table_A.8-2",
        "C - Required if Number of Frames is greater than 1",
        root(NumberOfFrames=12),
        root(NumberOfFrames=1),
    ),
    "pointer-is-attribute": Case(
        "table_A.8-2",
        "C - Required if Frame Increment Pointer (0028,0009) is Frame Time (0018,1063) or "
        "Frame Time Vector (0018,1065)",
        root(FrameIncrementPointer=[0x00181065]),
        root(FrameIncrementPointer=[0x00540010]),
    ),
    "pointer-includes-the-tag": Case(
        "table_C.8-7",
        "Required if the value of Frame Increment Pointer (0028,0009) includes the Tag for Energy "
        "Window Vector (0054,0010).",
        root(FrameIncrementPointer=[0x00540010, 0x00540020]),
        root(FrameIncrementPointer=[0x00540020]),
    ),
    "code-in-nested-sequence": Case(
        "table_C.8.26.2-1",
        "Required if Content Item Modifier Sequence (0040,0441) within Performed Protocol Code "
        'Sequence (0040,0260) contains an Item with the value (360156006, SCT, "Screening"). May '
        "be present otherwise.",
        lambda: _protocol("360156006"),
        lambda: _protocol("261004008"),
        "may",
    ),
    "code-equals-one-of": Case(
        "table_10-24",
        'Required if View Code Sequence (0054,0220) equals (103340004, SCT, "Short Axis") or '
        '(131185001, SCT, "Vertical Long Axis") or (131186000, SCT, "Horizontal Long Axis"). May '
        "be present otherwise.",
        root(ViewCodeSequence=[code("131185001", "SCT")]),
        root(ViewCodeSequence=[code("399162004", "SCT")]),
        "may",
    ),
    "item-count": Case(
        "table_C.27.6-1",
        "Required when Surface Sequence (0066,0002) is present and contains more than one Item.",
        root(SurfaceSequence=[ds(SurfaceNumber=1), ds(SurfaceNumber=2)]),
        root(SurfaceSequence=[ds(SurfaceNumber=1)]),
    ),
    "this-sequence-item": Case(
        "table_C.29.1.1-1",
        "Required if Encapsulated Document (0042,0011) is present in this Sequence Item.",
        lambda: _encapsulated(True),
        lambda: _encapsulated(False),  # present at the root, not in the item: false
    ),
    "containing-item": Case(
        "table_C.8.33-2",
        "Required if Recommended Display CIELab Value List (0066,0103) is not present in this "
        "Sequence Item and Recommended Display CIELab Value (0062, 000D) is not present in the "
        "containing Track Set Sequence (0066,0101) Item.",
        lambda: _track(set_has_value=False, track_has_list=False),
        lambda: _track(set_has_value=True, track_has_list=False),
    ),
    "or-with-image-level": Case(
        "table_C.7-11c",
        "Required if Photometric Interpretation (0028,0004) has a value of PALETTE COLOR or Pixel "
        "Presentation (0008,9205) at the image level equals COLOR or MIXED.",
        root(PhotometricInterpretation="MONOCHROME2", PixelPresentation="MIXED"),
        root(PhotometricInterpretation="MONOCHROME2", PixelPresentation="MONOCHROME"),
    ),
    "and-then-or": Case(
        "table_C.23.3-1",
        "Required if the value of Image Box Layout Type (0072,0304) is TILED, and the value of "
        "Image Box Tile Horizontal Dimension (0072,0306) or Image Box Tile Vertical Dimension "
        "(0072,0308) is greater than 1.",
        root(
            ImageBoxLayoutType="TILED",
            ImageBoxTileHorizontalDimension=1,
            ImageBoxTileVerticalDimension=3,
        ),  # fmt: skip
        root(
            ImageBoxLayoutType="STACK",
            ImageBoxTileHorizontalDimension=2,
            ImageBoxTileVerticalDimension=2,
        ),  # fmt: skip
    ),
    "absent-or-ellipsis": Case(
        "table_C.8-50",
        "Required if Enhanced RT Beam Limiting Device Definition Flag (3008,00A3) is absent, or "
        "is present and has the value NO.",
        root(EnhancedRTBeamLimitingDeviceDefinitionFlag="NO"),
        root(EnhancedRTBeamLimitingDeviceDefinitionFlag="YES"),
    ),
    "module-present": Case(
        "table_A.47-2",
        "C - Required if the Enhanced Contrast/Bolus Module is present.",
        with_modules("Enhanced Contrast/Bolus Module", "General Image"),
        with_modules("General Image"),
    ),
    "functional-group-macros-present": Case(
        "table_A.8-3",
        "C - Required if Pixel Measures or Plane Position (Patient) or Plane Orientation (Patient) "
        "Functional Group Macros Present",
        with_modules("Plane Orientation (Patient)"),
        with_modules("Frame Content"),
    ),
    "include-if-and-only-if": Case(
        "table_C.17-5",
        "Include Table C.18.1-1 \u201cNumeric Measurement Macro Attributes\u201d if and only if "
        "Value Type (0040,A040) is NUM.",
        root(ValueType="NUM"),
        root(ValueType="TEXT"),
        "shall-not",
    ),
    "frame-type-of-this-frame": Case(
        "table_C.8-123",
        "Required if Frame Type (0008,9007) Value 1 of this frame is ORIGINAL and Reconstruction "
        "Field of View (0018,9317) is not present. Otherwise may be present if Frame Type "
        "(0008,9007) Value 1 of this frame is DERIVED and Reconstruction Field of View (0018,9317) "
        "is not present.",
        lambda: _enhanced_ct(0),
        lambda: _enhanced_ct(1),
    ),
    "shall-not-otherwise": Case(
        "table_C.8-55",
        "Required only if Measured Dose Reference Number (3008,0064) is not present. It shall not "
        "be present otherwise.",
        root(),
        root(MeasuredDoseReferenceNumber=1),
        "shall-not",
    ),
    "is-not-value": Case(
        "table_A.76-1",
        "C - Required if Photometric Interpretation (0028,0004) is not MONOCHROME2",
        root(PhotometricInterpretation="RGB"),
        root(PhotometricInterpretation="MONOCHROME2"),
    ),
    "either-or-present": Case(
        "table_C.7-1",
        "Required if either Patient's Birth Date in Alternative Calendar (0010,0033) or "
        "Patient's Alternative Death Date in Calendar (0010,0034) is present.",
        root(PatientDeathDateInAlternativeCalendar="20200101"),
        root(PatientName="X"),
    ),
    "list-of-absent": Case(
        "table_10-3b",
        "Required if DICOM Retrieval Sequence (0040,E021), DICOM Media Retrieval Sequence "
        "(0040,E022), WADO-RS Retrieval Sequence (0040,E025) and XDS Retrieval Sequence "
        "(0040,E024) are not present. May be present otherwise.",
        root(),
        root(WADORSRetrievalSequence=[ds(RetrieveURL="https://x")]),
        "may",
    ),
    "present-with-a-value": Case(
        "table_C.36.2.2.3-1",
        "Required if RT Accessory Device Slot ID (300A,0615) is present and has a value.",
        root(RTAccessoryDeviceSlotID="A"),
        root(RTAccessoryDeviceSlotID=""),
    ),
    "empty-sequence": Case(
        "table_C.18.1-1",
        "Required if Measured Value Sequence (0040,A300) is empty.",
        root(MeasuredValueSequence=Sequence()),
        root(MeasuredValueSequence=[ds(NumericValue=1)]),
    ),
    "named-uid-value": Case(
        "table_C.21.2-1",
        "Required if Referenced SOP Class UID (0008,1150) is RT Structure Set Storage "
        '("1.2.840.10008.5.1.4.1.1.481.3").',
        root(ReferencedSOPClassUID="1.2.840.10008.5.1.4.1.1.481.3"),
        root(ReferencedSOPClassUID="1.2.840.10008.5.1.4.1.1.481.2"),
    ),
    "any-value-of-multivalued": Case(
        "table_A.80.1-1",
        "C - Required if Global Crop (0070,120B) or any value of Crop (0070,1204) is YES",
        root(GlobalCrop="NO", Crop=["NO", "YES", "NO"]),
        root(GlobalCrop="NO", Crop=["NO", "NO"]),
    ),
    "multi-line-list": Case(
        "table_C.7.6.16-2",
        "Physical distance in the imaging target.\nRequired if:\nVolumetric Properties (0008,9206) "
        "is other than DISTORTED or SAMPLED, and Image Type (0008,0008) Value 3 is not LABEL or "
        'OVERVIEW, or\nSOP Class UID is Segmentation Storage ("1.2.840.10008.5.1.4.1.1.66.4") '
        "and Frame of Reference UID (0020,0052) is present, or\nSOP Class UID is Ophthalmic "
        'Tomography Image Storage ("1.2.840.10008.5.1.4.1.1.77.1.5.4") and Ophthalmic Volumetric '
        "Properties Flag (0022,1622) is YES.\nMay be present otherwise.",
        root(
            SOPClassUID=SEGMENTATION, FrameOfReferenceUID="1.2.3", VolumetricProperties="DISTORTED"
        ),
        root(SOPClassUID=SEGMENTATION, VolumetricProperties="DISTORTED"),
        "may",
    ),
    "explicit-shall-not-if": Case(
        "table_C.10-9",
        "Required if Waveform Amplifier Type (003A,0317) is AC and Filter Low Frequency "
        "Characteristics Sequence (003A,0318) is not present. Shall not be present if Waveform "
        "Amplifier Type (003A,0317) is DC. May be present otherwise.",
        root(WaveformAmplifierType="AC"),
        root(WaveformAmplifierType="DC"),
        "may",
    ),
    "within-a-functional-group-sequence": Case(
        "table_C.8.12.14-1",
        "Required if Plane Position (Slide) Sequence (0048,021A) is present within a Functional "
        "Group Sequence or Dimension Organization Type (0020,9311) is present with a value of "
        "TILED_FULL. May be present otherwise.",
        root(
            SharedFunctionalGroupsSequence=[
                ds(PlanePositionSlideSequence=[ds(XOffsetInSlideCoordinateSystem=1)])
            ]
        ),
        # at the top level the sequence is not "within a Functional Group Sequence"
        root(PlanePositionSlideSequence=[ds()], DimensionOrganizationType="TILED_SPARSE"),
        "may",
    ),
    "there-is-more-than-one-item": Case(
        "table_C.8-38",
        "Required if there is more than one Item in Exposure Sequence (3002,0030), and image is a "
        "multi-frame image.",
        root(ExposureSequence=[ds(KVP=90), ds(KVP=100)], NumberOfFrames=2),
        root(ExposureSequence=[ds(KVP=90)], NumberOfFrames=2),
    ),
    "whose-sop-class-is-one-of": Case(
        "table_C.7-5a",
        "Required for images where Patient Orientation Code Sequence (0054,0410) is not present "
        'and whose SOP Class is one of the following: CT ("1.2.840.10008.5.1.4.1.1.2") or MR '
        '("1.2.840.10008.5.1.4.1.1.4") or Enhanced CT ("1.2.840.10008.5.1.4.1.1.2.1") or '
        'Enhanced MR Image ("1.2.840.10008.5.1.4.1.1.4.1") or Enhanced Color MR Image '
        '("1.2.840.10008.5.1.4.1.1.4.3") or MR Spectroscopy ("1.2.840.10008.5.1.4.1.1.4.2") '
        "Storage SOP Classes.\nMay be present for other SOP Classes if Patient Orientation Code "
        "Sequence (0054,0410) is not present.",
        root(SOPClassUID="1.2.840.10008.5.1.4.1.1.2"),
        root(SOPClassUID="1.2.840.10008.5.1.4.1.1.7"),  # Secondary Capture
    ),
    "none-of-these-is-present": Case(
        "table_C.7-5a",
        "Required if the body part examined is a paired structure and Image Laterality "
        "(0020,0062) or Frame Laterality (0020,9072) or Measurement Laterality (0024,0113) are "
        "not present.",
        lambda: Context.of(ds(BodyPartExamined="KNEE"), facts=_FACTS),
        lambda: Context.of(ds(BodyPartExamined="KNEE", ImageLaterality="L"), facts=_FACTS),
    ),
    "designator-not-sufficient": Case(
        "table_8.8-1a",
        "Required if the value of Coding Scheme Designator (0008,0102) is present and is not "
        "sufficient to identify the Code Value (0008,0100) or Long Code Value (0008,0119) "
        "unambiguously. Shall not be present if Coding Scheme Designator (0008,0102) is absent. "
        "May be present otherwise.",
        lambda: Context.of(code("I.D.1", "BI", "Tubular Density"), facts=_FACTS),
        lambda: Context.of(code("113076", "DCM", "Segmentation"), facts=_FACTS),
        otherwise="may",
    ),
    "first-item-or-changes": Case(
        "table_C.8-50",
        "Required for first Item of Control Point Sequence (300A,0111), or if Gantry Angle changes "
        "during Beam.",
        lambda: _control_point(0),
        lambda: Context.of(ds()),  # placeholder: the false branch cannot be decided (see below)
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_condition_both_branches(name: str) -> None:
    case = CASES[name]
    cond = parse_condition(case.text)
    assert cond.otherwise == case.otherwise
    assert evaluate(cond, case.true()) is True, cond.to_data()
    if name == "first-item-or-changes":
        # Later items depend on "changes during Beam", which no single dataset records.
        assert evaluate(cond, _control_point(2)) is None
        assert cond.status == "not-decidable" and cond.partly_executable
        return
    assert evaluate(cond, case.false()) is False, cond.to_data()
    assert cond.status == "executable"


def test_at_least_thirty_distinct_cases() -> None:
    assert len(CASES) >= 30
    assert len({c.text for c in CASES.values()}) == len(CASES)


# ---------------------------------------------------------------------------------------------
# The trees themselves, for the shapes where the reading matters


def test_shapes_of_selected_predicates() -> None:
    p = parse_clause("Image Type (0008,0008) Value 1 is ORIGINAL or MIXED")
    assert p == Equals(ref(0x00080008), ("ORIGINAL", "MIXED"), 1)
    p = parse_clause("Photometric Interpretation (0028,0004) is not MONOCHROME2")
    assert p == Not(Equals(ref(0x00280004), ("MONOCHROME2",)))
    p = parse_clause("Number of Wedges (300A,00D0) is non-zero")
    assert p == Compare(ref(0x300A00D0), "!=", 0)
    p = parse_clause('View Code Sequence (0054,0220) equals (103340004, SCT, "Short Axis")')
    assert p == CodeIn(ref(0x00540220), (("103340004", "SCT"),))
    p = parse_clause("Encapsulated Document (0042,0011) is present in this Sequence Item")
    assert p == Present(Ref((0x00420011,), "item"))
    p = parse_clause("the Enhanced Contrast/Bolus Module is present")
    assert p == Module("Enhanced Contrast/Bolus")


def test_connectives_follow_the_standards_commas() -> None:
    # "A, or if B, and C": the comma clauses combine left to right: (A or B) and C.
    c = parse_condition(
        "Required for first Item of Control Point Sequence, or if Nominal Beam Energy changes "
        "during Beam, and KVP (0018,0060) is not present."
    )
    assert isinstance(c.predicate, And)
    assert c.predicate.items[-1] == Absent(ref(0x00180060))
    assert isinstance(c.predicate.items[0], Or)
    # Bare "and" binds tighter than bare "or".
    p = parse_clause(
        "the Image Type (0008,0008) Value 1 equals DERIVED or Value 1 is ORIGINAL and "
        "Presentation Intent Type equals FOR PRESENTATION"
    )
    assert isinstance(p, Or) and isinstance(p.items[1], And)


def test_sentences_are_cut_out_of_the_description() -> None:
    s = condition_sentences(
        "Steady State Sequence.\nDefined Terms:\nFREE_PRECESSION\nNONE\nRequired if Image Type "
        "(0008,0008) Value 1 is ORIGINAL or MIXED. May be present otherwise.\nSee Section X."
    )
    assert s.required == ("Image Type (0008,0008) Value 1 is ORIGINAL or MIXED",)
    assert s.otherwise == "may"
    assert s.text.startswith("Required if Image Type")


# ---------------------------------------------------------------------------------------------
# What must stay undecided


UNDECIDABLE = [
    # (table, cell, status): facts that no dataset records ...
    ("table_10-10", "Required if the image has been calibrated. May be present otherwise.",
     "not-decidable"),
    ("table_A.38-1", "C - Required if contrast media was applied.", "not-decidable"),
    ("table_C.37.1-1", "Required if a Performed Procedure Step SOP Class was involved in the "
     "creation of this Series.", "not-decidable"),
    ("table_C.8.21.3.1.1-1", "Required if present and consistent in the contributing SOP "
     "Instances.", "not-decidable"),
    # ... and words the parser leaves alone: the condition is spelled out in another section
    ("table_C.36.15-1", "Required if the conditions in Section C.36.2.2.5.1.1 are satisfied.",
     "unparsed"),
]  # fmt: skip


@pytest.mark.parametrize(("table", "text", "status"), UNDECIDABLE)
def test_undecidable_conditions_say_so(table: str, text: str, status: str) -> None:
    cond = parse_condition(text)
    assert cond.status == status
    for d in (ds(), ds(Modality="CT", ImageType=["ORIGINAL"], ContrastBolusAgent="X")):
        ctx = Context.of(d, modules=["Enhanced Contrast/Bolus"])
        assert evaluate(cond, ctx) is None
        assert cond.requirement(ctx) is None  # never "optional" by default


def test_partly_decidable_conditions_use_three_valued_logic() -> None:
    c = parse_condition(
        "Required if present and consistent in the contributing SOP Instances. Required if "
        "Modality (0008,0060) is MG."
    )  # table_C.8.21.3.1.1-1: "A or <unknown>"
    assert evaluate(c, Context.of(ds(Modality="MG"))) is True
    assert evaluate(c, Context.of(ds(Modality="CT"))) is None
    c = parse_condition(
        "Required if Number of Radiation Generation Modes (300A,0685) is present and the "
        "conditions in Section C.36.2.2.5.1.1 are satisfied."
    )  # table_C.36.15-1: "A and <unknown>"
    assert evaluate(c, Context.of(ds())) is False
    assert evaluate(c, Context.of(ds(NumberOfRadiationGenerationModes=1))) is None
    # A module condition without a module oracle is undecided, not false.
    assert evaluate(Module("Enhanced Contrast/Bolus"), Context.of(ds())) is None


def test_may_be_present_if_is_a_permission() -> None:
    # table_C.8-50, Compensator Transmission Data
    c = parse_condition(
        "Required if Material ID (300A,00E1) is zero-length. May be present if Material ID "
        "(300A,00E1) is non-zero length."
    )
    assert c.otherwise == "unspecified" and c.permitted is not None
    assert c.requirement(Context.of(ds(MaterialID=""))) == "required"
    assert c.requirement(Context.of(ds(MaterialID="LEAD"))) == "optional"
    assert c.requirement(Context.of(ds())) == "forbidden"  # neither required nor permitted


def test_requirement_verdicts() -> None:
    forbid = parse_condition(CASES["explicit-shall-not-if"].text)
    assert forbid.requirement(Context.of(ds(WaveformAmplifierType="AC"))) == "required"
    assert forbid.requirement(Context.of(ds(WaveformAmplifierType="DC"))) == "forbidden"
    assert forbid.requirement(Context.of(ds(WaveformAmplifierType="AC",
        FilterLowFrequencyCharacteristicsSequence=[ds()]))) == "optional"  # fmt: skip
    only = parse_condition(CASES["shall-not-otherwise"].text)
    assert only.requirement(Context.of(ds(MeasuredDoseReferenceNumber=1))) == "forbidden"
    silent = parse_condition(CASES["present"].text)  # says nothing about the other case
    assert silent.requirement(Context.of(ds())) == "unspecified"


# ---------------------------------------------------------------------------------------------
# Shapes that need the spec or the engine: both branches, and where the words leave it open


def test_may_be_present_for_other_sop_classes_if_is_a_permission() -> None:
    # table_C.7-5a, Patient Position: not "may be present otherwise"
    c = parse_condition(CASES["whose-sop-class-is-one-of"].text)
    assert c.otherwise == "unspecified" and c.permitted == Absent(ref(0x00540410))
    ct, sc = "1.2.840.10008.5.1.4.1.1.2", "1.2.840.10008.5.1.4.1.1.7"
    coded = [ds(CodeValue="F-10450", CodingSchemeDesignator="SRT", CodeMeaning="recumbent")]
    assert c.requirement(Context.of(ds(SOPClassUID=ct))) == "required"
    assert c.requirement(Context.of(ds(SOPClassUID=sc))) == "optional"
    # with Patient Orientation Code Sequence, Patient Position shall not be there (whatever
    # the SOP Class): neither required nor permitted
    for uid in (ct, sc):
        d = ds(SOPClassUID=uid, PatientOrientationCodeSequence=coded)
        assert c.requirement(Context.of(d)) == "forbidden"


def test_examples_of_an_open_list_decide_yes_and_known_terms_decide_no() -> None:
    # table_C.8-4 (MR Image), Trigger Time: "Required for Scan Options (0018,0022) that include
    # heart gating (e.g., CG, PPG, etc.)"
    from iodkit.codegen.spec.predicates import known_terms

    c = parse_condition("Required for Scan Options (0018,0022) that include heart gating (e.g., "
                        "CG, PPG, etc.).")  # fmt: skip
    assert c.status == "not-decidable" and c.partly_executable
    assert evaluate(c, Context.of(ds(ScanOptions=["SP", "CG"]))) is True
    assert evaluate(c, Context.of(ds(ScanOptions="PPG"))) is True
    # another value might mean heart gating too, as far as the sentence goes ("etc.")
    assert evaluate(c, Context.of(ds(ScanOptions=["SP", "RG"]))) is None
    assert evaluate(c, Context.of(ds())) is False  # no Scan Options: no gating at all
    # the MR Image Module's own Defined Terms say what its other values mean: none is
    # heart gating, so only a value the module does not define leaves the question open
    mr_terms = frozenset(["PER", "RG", "CG", "PPG", "FC", "PFF", "PFP", "SP", "FS"])
    assert c.predicate is not None
    p = known_terms(c.predicate, {0x00180022: mr_terms})
    assert evaluate(p, Context.of(ds(ScanOptions=["SP", "RG"]))) is False
    assert evaluate(p, Context.of(ds(ScanOptions=["SP", "CG"]))) is True
    assert evaluate(p, Context.of(ds(ScanOptions=["EPI_GEMS", "PFF"]))) is None


def test_control_point_changes_of_section_c_36_2_2_5_1_1() -> None:
    from iodkit.codegen.spec.predicates import control_point_changes

    # table_C.36.2.2.9-1 and 25 others: "… and the conditions in Section C.36.2.2.5.1.1 are
    # satisfied": at RT Control Point Index 1, or where the value changes
    c = parse_condition("Required if the conditions in Section C.36.2.2.5.1.1 are satisfied.")
    assert c.status == "unparsed"
    assert c.predicate is not None
    own = "(300A,0605)"  # Referenced Radiation Generation Mode Index (table_C.36.15-1)
    p = control_point_changes(c.predicate, own)

    def point(index: int, **attrs: object) -> Context:
        r = ds(ControlPointSequence=[ds(RTControlPointIndex=index, **attrs)])
        return inside(r, ("ControlPointSequence", 0))

    assert evaluate(p, point(1)) is True  # the first control point: required
    assert evaluate(p, point(2)) is False  # absent later: "stays at the … previous value"
    # present later: whether it differs from the previous value is in another item
    assert evaluate(p, point(2, ReferencedRadiationGenerationModeIndex=2)) is None


def test_patient_orientation_decides_where_both_readings_agree() -> None:
    from iodkit.codegen.spec.predicates import patient_orientation_readings

    # table_C.7-9: "Required if image does not require Image Orientation (Patient)
    # (0020,0037) and Image Position (Patient) (0020,0032) or if image does not require Image
    # Orientation (Slide) (0048,0102). May be present otherwise."
    c = parse_condition(
        "Required if image does not require Image Orientation (Patient) (0020,0037) and Image "
        "Position (Patient) (0020,0032) or if image does not require Image Orientation (Slide) "
        "(0048,0102). May be present otherwise."
    )
    assert c.predicate is not None
    p = patient_orientation_readings(c.predicate)
    iop, ipp, ios = 0x00200037, 0x00200032, 0x00480102

    def image(**requires: bool | None) -> Context:
        tags = {"iop": iop, "ipp": ipp, "ios": ios}
        return Context.of(ds(), facts=_Facts({tags[k]: v for k, v in requires.items()}))

    assert evaluate(p, image(iop=False, ipp=False, ios=False)) is True  # CR, SC: required
    assert evaluate(p, image(iop=True, ipp=True, ios=False)) is None  # CT: the readings differ
    assert evaluate(p, image(iop=False, ipp=False, ios=True)) is None  # slide: likewise
    assert evaluate(p, image(iop=True, ipp=True, ios=True)) is False
    assert evaluate(p, image(iop=None, ipp=None, ios=False)) is None  # the IOD cannot tell
    assert evaluate(p, Context.of(ds())) is None  # without the engine: cannot decide


def test_paired_body_part_from_annex_l() -> None:
    c = parse_condition(CASES["none-of-these-is-present"].text)
    assert evaluate(c, Context.of(ds(BodyPartExamined="PROSTATE"), facts=_FACTS)) is False
    # the coded Anatomic Region Sequence speaks first
    knee = [ds(CodeValue="72696002", CodingSchemeDesignator="SCT", CodeMeaning="Knee")]
    d = ds(BodyPartExamined="PROSTATE", AnatomicRegionSequence=knee)
    assert evaluate(c, Context.of(d, facts=_FACTS)) is True
    # nothing says what was examined, or Annex L does not know the term: cannot decide
    assert evaluate(c, Context.of(ds(), facts=_FACTS)) is None
    assert evaluate(c, Context.of(ds(BodyPartExamined="XYZ"), facts=_FACTS)) is None
    assert evaluate(c, Context.of(ds(BodyPartExamined="KNEE"))) is None  # no Annex L at hand


CSD = 0x00080102  # Coding Scheme Designator


def test_coding_scheme_version_from_table_8_1() -> None:
    c = parse_condition(CASES["designator-not-sufficient"].text)
    assert c.status == "executable"
    assert c.predicate == And((Present(ref(CSD)), Not(DesignatorSufficient())))
    # "Shall not be present if … is absent. May be present otherwise." read as before
    assert c.forbidden == Absent(ref(CSD)) and c.otherwise == "may"

    def requirement(item: Dataset, facts: object = _FACTS) -> object:
        return c.requirement(Context.of(item, facts=facts))  # type: ignore[arg-type]

    # a designator Table 8-1 lists identifies its scheme as currently published: optional
    assert requirement(code("113076", "DCM")) == "optional"
    assert requirement(code("72696002", "SCT")) == "optional"
    # BI-RADS: Table 8-1 says its version is required
    assert requirement(code("I.D.1", "BI")) == "required"
    # a private designator: the standard cannot say, and it is not read as "optional"
    assert requirement(code("X1", "99MYCO")) is None
    assert evaluate(DesignatorSufficient(), Context.of(code("X1", "99MYCO"), facts=_FACTS)) is None
    # no designator: the version shall not be present
    assert requirement(ds(CodeValue="X1", CodeMeaning="x")) == "forbidden"
    # without the engine (no Table 8-1 at hand): cannot decide
    assert requirement(code("113076", "DCM"), None) is None
    assert evaluate(DesignatorSufficient(), Context.of(code("113076", "DCM"))) is None
    # read from the item in hand, not from an enclosing item
    outer = code("113076", "DCM")
    outer.EquivalentCodeSequence = Sequence([ds(CodeValue="X1", CodeMeaning="x")])
    inner = inside(outer, ("EquivalentCodeSequence", 0), facts=_FACTS)
    assert evaluate(DesignatorSufficient(), inner) is None
    # the variants of PS3.4 2024c and of PS3.3 2016c read the same way
    for text in (
        "Required if the value of Coding Scheme Designator (0008,0102) is not sufficient to "
        "identify the Code Value (0008,0100) unambiguously.",
        "Required if the value of Coding Scheme Designator (0008,0102) is present and is not "
        "sufficient to identify the Code Value (0008,0100) or Long Code Value (0008,0119) or URN "
        "Code Value (0008,0120) unambiguously.",
    ):
        v = parse_condition(text)
        assert v.status == "executable" and v.predicate == c.predicate, v.to_data()
    # "sufficient" said of anything but a designator, or of no code value, is not read
    assert (
        parse_condition(
            "Required if Code Meaning (0008,0104) is not sufficient to identify the Code Value "
            "(0008,0100) unambiguously."
        ).status
        == "unparsed"
    )
    assert predicate_from_data("designator_sufficient") == DesignatorSufficient()


def test_either_or_keeps_its_or_and_plain_or_not_present_means_none() -> None:
    p = parse_clause("Image Laterality (0020,0062) or Frame Laterality (0020,9072) are not present")
    assert p == And((Absent(ref(0x00200062)), Absent(ref(0x00209072))))
    # table_C.8-85: "Required if either Exposure Time (0018,1150) or X-Ray Tube Current
    # (0018,1151) are not present."
    p = parse_clause(
        "either Exposure Time (0018,1150) or X-Ray Tube Current (0018,1151) are not present"
    )
    assert p == Or((Absent(ref(0x00181150)), Absent(ref(0x00181151))))


# ---------------------------------------------------------------------------------------------
# Data round trip and robustness


def test_round_trip_through_plain_data_and_yaml() -> None:
    for case in CASES.values():
        cond = parse_condition(case.text)
        data = cond.to_data()
        assert Condition.from_data(yaml.safe_load(yaml.safe_dump(data))) == cond
    assert predicate_from_data({"absent": "item:0062,000D"}) == Absent(Ref((0x0062000D,), "item"))
    with pytest.raises(ValueError):
        predicate_from_data({"frobnicate": "0010,0010"})


def _raw(d: Dataset, tag: int, vr: str | None, value: bytes) -> None:
    """An element as a file reader leaves it: raw bytes, converted on first access."""
    from pydicom.dataelem import RawDataElement
    from pydicom.tag import Tag

    d[tag] = RawDataElement(Tag(tag), vr, len(value), value, 0, vr is None, True)


def _odd_datasets() -> list[Dataset]:
    """Values of the wrong kind where the conditions look."""
    from pydicom.dataelem import DataElement

    a = Dataset()
    a.add(DataElement(0x00080008, "OB", b"ORIGINAL\\PRIMARY\x00"))  # bytes under a wrong VR
    _raw(a, 0x00280008, "UN", b"12")  # read as UN, converted to IS on access
    _raw(a, 0x00280009, "UN", b"\x18\x00\x65\x10")  # AT (0018,1065) from UN bytes
    _raw(a, 0x00540220, "UN", b"garbage!")  # a "sequence" of garbage
    _raw(a, 0x00660002, "US", b"\x01")  # odd length: conversion raises
    b = Dataset()
    b.add(DataElement(0x00280008, "IS", None))  # empty values
    b.add(DataElement(0x00080008, "CS", None))
    b.add(DataElement(0x00540220, "SQ", Sequence([Dataset()])))  # an item without a code
    b.add(DataElement(0x00280009, "LO", "not a tag"))
    c = Dataset()
    c.add(DataElement(0x00280008, "LO", "many"))  # not a number
    c.add(DataElement(0x00540220, "LO", "not a sequence"))
    c.add(DataElement(SHARED_FG, "SQ", Sequence([Dataset()])))
    c.add(DataElement(PER_FRAME_FG, "SQ", Sequence([])))
    return [a, b, c]


def test_evaluation_never_raises_on_odd_datasets() -> None:
    preds = [parse_condition(c.text).predicate for c in CASES.values()]
    for d in _odd_datasets():
        for frame in (None, 0, 5):
            ctx = Context.of(d, frame=frame)
            for p in preds:
                assert evaluate(p, ctx) in (True, False, None)
    a = _odd_datasets()[0]
    # bytes values are still read: "ORIGINAL\PRIMARY" as two values, "12" as a number
    assert evaluate(Equals(ref(0x00080008), ("ORIGINAL",), 1), Context.of(a)) is True
    assert evaluate(Equals(ref(0x00080008), ("PRIMARY",), 2), Context.of(a)) is True
    assert evaluate(Compare(ref(0x00280008), ">", 1), Context.of(a)) is True
    assert evaluate(PointsTo(ref(0x00280009), (0x00181065,)), Context.of(a)) is True
    # an element whose value cannot be converted is as good as absent, never a traceback
    assert evaluate(Present(ref(0x00660002)), Context.of(a)) in (True, False)
    # a value that is no number cannot be compared: undecided
    assert evaluate(Compare(ref(0x00280008), ">", 1), Context.of(_odd_datasets()[2])) is None


def test_unknown_leaves_keep_the_words() -> None:
    c = parse_condition("C - Required if contrast media was applied.")
    assert c.predicate == Unknown("contrast media was applied", "dataset")
    assert c.text == "Required if contrast media was applied."


# ---------------------------------------------------------------------------------------------
# The real corpus: coverage must not regress


@pytest.mark.standard
def test_coverage_on_2024c(chtml_2024c) -> None:  # type: ignore[no-untyped-def]
    from iodkit.codegen.sources.chtml import read_chtml_part

    doc = read_chtml_part(chtml_2024c / "part03", 3, "2024c")
    occurrences = corpus(doc)
    cov = coverage(occurrences)
    kinds = {k: sum(v.values()) for k, v in cov.by_kind.items()}
    assert cov.total >= 2500
    assert kinds["attribute"] >= 2000 and kinds["iod-module"] >= 300
    assert kinds["functional-group"] >= 160 and kinds["include"] >= 13
    assert cov.count("executable") >= 1550
    assert cov.count("unparsed") <= 125
    assert cov.executable_share >= 0.925  # executable among the conditions a dataset can decide
    # every condition survives the trip through plain data
    for occ in occurrences[::7]:
        cond = parse_condition(occ.text)
        assert Condition.from_data(cond.to_data()) == cond


def test_spec_can_qualify_references() -> None:
    from iodkit.rulemodel import map_refs, refs

    # "… is greater than zero for one or more fraction groups" (table_A.20.3-1): the spec knows
    # the attribute lives in Fraction Group Sequence (300A,0070) and qualifies the reference.
    p = Compare(ref(0x300A00A0), ">", 0)
    fraction_groups = 0x300A0070
    q = map_refs(p, lambda r: Ref((fraction_groups, *r.path), r.scope))
    plan = ds(FractionGroupSequence=[ds(NumberOfBrachyApplicationSetups=0),
                                     ds(NumberOfBrachyApplicationSetups=2)])  # fmt: skip
    assert evaluate(p, Context.of(plan)) is False  # not at the top level
    assert evaluate(q, Context.of(plan)) is True
    assert [r.path for r in refs(And((q, Absent(ref(0x00100010)))))] == [
        (fraction_groups, 0x300A00A0),
        (0x00100010,),
    ]


@pytest.mark.parametrize(
    "text",
    [
        # table_C.17-5, as the include row has it, and as the spec's extraction passes it on
        "Include Table C.18.2-1 \u201cCode Macro Attributes\u201d if and only if Value Type "
        "(0040,A040) is CODE.",
        "if and only if Value Type (0040,A040) is CODE.",
    ],
)
def test_bare_include_qualifiers(text: str) -> None:
    c = parse_condition(text)
    assert c.otherwise == "shall-not"
    assert evaluate(c, Context.of(ds(ValueType="CODE"))) is True
    assert c.requirement(Context.of(ds(ValueType="NUM"))) == "forbidden"


def test_names_from_the_spec_resolve_bare_names() -> None:
    from iodkit.codegen.spec.conditions import Names

    # An attribute pydicom's dictionary may not know yet, as a newer edition's PS3.6 lists it.
    names = Names.from_entries([(0x0019_1001, "Widget Flavor", "WidgetFlavor", "CS")])
    p = parse_clause("Widget Flavor is SWEET", resolve=names)
    assert p == Equals(ref(0x00191001), ("SWEET",))
    # and pydicom's dictionary still answers for the rest
    assert parse_clause("Number of Frames is greater than 1", resolve=names) == Compare(
        ref(0x00280008), ">", 1
    )


def test_pixel_aspect_ratio_is_decided_by_the_spacing() -> None:
    # Image Pixel Module (Table C.7-11c): "Required if the aspect ratio values do not have a
    # ratio of 1:1 and the physical pixel spacing is not specified by Pixel Spacing …, or
    # Imager Pixel Spacing … or Nominal Scanned Pixel Spacing …, either for the entire Image or
    # per-frame in a Functional Group Macro." The ratio is the attribute's own value (no
    # dataset says it when it is absent), but a recorded spacing settles the conjunction.
    c = parse_condition(
        "Required if the aspect ratio values do not have a ratio of 1:1 and the physical pixel "
        "spacing is not specified by Pixel Spacing (0028,0030), or Imager Pixel Spacing "
        "(0018,1164) or Nominal Scanned Pixel Spacing (0018,2010), either for the entire Image "
        "or per-frame in a Functional Group Macro."
    )
    assert c.status == "not-decidable"
    assert evaluate(c, Context.of(ds(PixelSpacing=[0.5, 0.5]))) is False
    assert evaluate(c, Context.of(ds(NominalScannedPixelSpacing=[0.1, 0.1]))) is False
    in_frames = ds(
        SharedFunctionalGroupsSequence=[ds(PixelMeasuresSequence=[ds(PixelSpacing=[1, 1])])]
    )
    assert evaluate(c, Context.of(in_frames)) is False
    assert evaluate(c, Context.of(ds(Rows=8))) is None  # nothing says the ratio


def test_expanded_character_set_in_an_item() -> None:
    # Inventory (Table C.38.2-1), an item's Specific Character Set: "Required if Attributes
    # within the Sequence Item use an expanded or replacement character set."
    c = parse_condition(
        "Required if Attributes within the Sequence Item use an expanded or replacement "
        "character set."
    )
    plain = ds(ReferencedStudySequence=[ds(StudyDescription="Knee")])
    assert evaluate(c, inside(plain, ("ReferencedStudySequence", 0))) is False
    latin = ds(ReferencedStudySequence=[ds(StudyDescription="Kn\u00e4")])
    assert evaluate(c, inside(latin, ("ReferencedStudySequence", 0))) is True
    # the dataset declares the set the item's text is in: the sentence does not say whether
    # the item must declare it again
    latin.SpecificCharacterSet = "ISO_IR 100"
    assert evaluate(c, inside(latin, ("ReferencedStudySequence", 0))) is None


class _AnnexL:
    """The engine's PS3.16 Annex L answers, for two terms."""

    def body_part_paired(self, term: str) -> bool | None:
        return {"KNEE": True, "ABDOMEN": False}.get(term)


def test_body_part_defined_in_annex_l() -> None:
    # Legacy Converted Enhanced CT Image IOD, Frame Anatomy functional group: "Required if Body
    # Part Examined (0018,0015) is present and contains a value defined in Annex L
    # "Correspondence of Anatomic Region Codes and Body Part Examined Defined Terms" in PS3.16,
    # or Anatomic Region Sequence (0008,2218) was present in any of the Classic Images that
    # were converted."
    c = parse_condition(
        "Required if Body Part Examined (0018,0015) is present and contains a value defined in "
        'Annex L "Correspondence of Anatomic Region Codes and Body Part Examined Defined Terms" '
        "in PS3.16, or Anatomic Region Sequence (0008,2218) was present in any of the Classic "
        "Images that were converted."
    )
    facts = _AnnexL()
    assert evaluate(c, Context.of(ds(BodyPartExamined="ABDOMEN"), facts=facts)) is True
    assert evaluate(c, Context.of(ds(BodyPartExamined="KNEE"), facts=facts)) is True
    # a term Annex L does not define, and no Anatomic Region Sequence: not required
    assert evaluate(c, Context.of(ds(BodyPartExamined="PHANTOM"), facts=facts)) is False
    assert evaluate(c, Context.of(ds(BodyPartExamined="KNEE"))) is None  # no engine: no tables

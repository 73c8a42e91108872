"""Conditions read at the nesting level where their attributes live (issue 12, defect 8).

The static check runs over every predicate stored in the committed spec; the validation cases
are crafted datasets whose verdict was wrong when the predicates looked at the wrong level."""

from __future__ import annotations

from pathlib import Path

import pytest
from iodkit.codegen.spec import model as m
from iodkit.codegen.spec import yamlio
from iodkit.codegen.spec.levels import (
    TablePlaces,
    about_another_object,
    check_edition,
    requalify,
)
from iodkit.rulemodel import And, Compare, Equals, Or, Present, Ref, Unknown
from iodkit.validation import validate
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import generate_uid

SPEC = Path(__file__).resolve().parent.parent / "generated" / "spec"


def spec_tables_and_iods() -> m.Edition:
    """The committed spec's attribute tables and IODs (all the static check reads)."""
    ed = m.Edition(edition="committed")
    for p in (SPEC / "tables").glob("*.yaml"):
        t = yamlio.from_data(m.AttributeTable, yamlio._load(p))
        yamlio._restore_source(t.rules, t.id)
        ed.tables[t.id] = t
    for p in (SPEC / "iods").glob("*.yaml"):
        iod = yamlio.from_data(m.Iod, yamlio._load(p))
        ed.iods[iod.id] = iod
    return ed


def test_no_stored_predicate_tests_an_attribute_at_the_wrong_level() -> None:
    assert check_edition(spec_tables_and_iods()) == []


def _table() -> dict[str, m.AttributeTable]:
    """A module: Waveform Sequence items hold Waveform Originality; a second sequence holds a
    flag in its own items."""
    originality = m.AttributeRule("Waveform Originality", "(003A,0004)", "1")
    waveform = m.AttributeRule("Waveform Sequence", "(5400,0100)", "1", items=[originality])
    flag = m.AttributeRule("Absolute Dosimetric Objective Flag", "(3010,0073)", "1")
    other = m.AttributeRule("Dosimetric Objective Sequence", "(3010,006C)", "1", items=[flag])
    t = m.AttributeTable("table_T", "T", "Test Module", "module", "", [waveform, other])
    return {t.id: t}


def test_the_check_flags_and_the_pass_requalifies() -> None:
    places = TablePlaces(_table())("table_T")
    top = Equals(Ref((0x003A0004,)), ("ORIGINAL",))
    fixed = requalify(top, (), places, True)
    assert fixed == Equals(Ref((0x54000100, 0x003A0004)), ("ORIGINAL",))
    # already through its sequence: nothing to do
    assert requalify(fixed, (), places, True) is fixed
    # read from another branch's items: which item is meant, the words do not say
    inside = Equals(Ref((0x30100073,)), ("NO",))
    far = requalify(inside, (0x54000100,), places, True)
    assert isinstance(far, Unknown) and far.reason == "dataset"
    # in items under the level: "item" scope, through the sequence
    mine = requalify(Present(Ref((0x30100073,))), (), places, True)
    assert mine == Present(Ref((0x3010006C, 0x30100073)))


def test_for_one_or_more_is_the_existential_it_stood_for() -> None:
    places = {0x300A0080: frozenset({(0x300A0070,)})}
    p = And((Compare(Ref((0x300A0080,)), ">", 0), Unknown("for one or more fraction groups")))
    assert requalify(p, (), places, True) == Compare(Ref((0x300A0070, 0x300A0080)), ">", 0)


def test_words_about_another_object_cannot_decide() -> None:
    p = And(
        (
            Present(Ref((0x300A030C,))),
            Unknown(
                "in the RT Ion Plan referenced within the Referenced RT Plan Sequence (300C,0002)",
                "dataset",
            ),
        )
    )
    got = about_another_object(p)
    assert isinstance(got, Unknown) and "another object" in got.text
    # a part that only narrows this dataset stays as it is
    q = Or((Present(Ref((0x00081140,))), Unknown("in the current SOP Instance", "dataset")))
    assert about_another_object(q) == q


# ---------------------------------------------------------------------------------------------
# on datasets


def waveform(originality: str) -> Dataset:
    ds = Dataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.9.2.1"  # Hemodynamic Waveform Storage
    ds.SOPInstanceUID = generate_uid()
    ds.Modality = "HD"
    item = Dataset()
    item.WaveformOriginality = originality
    ds.WaveformSequence = Sequence([item])
    return ds


@pytest.mark.parametrize(("originality", "required"), [("ORIGINAL", True), ("DERIVED", False)])
def test_synchronization_follows_waveform_originality_in_the_items(
    originality: str, required: bool
) -> None:
    # Table A.34.6-1: Synchronization "Required if Waveform Originality (003A,0004) is
    # ORIGINAL" — an attribute of the Waveform Sequence's items
    fs = validate(waveform(originality))
    missing = [f for f in fs if f.severity == "error" and f.module == "Synchronization"]
    assert bool(missing) == required, [str(f) for f in fs if f.severity == "error"]


def rt_plan(beams: int) -> Dataset:
    ds = Dataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.481.5"  # RT Plan Storage
    ds.SOPInstanceUID = generate_uid()
    ds.Modality = "RTPLAN"
    group = Dataset()
    group.FractionGroupNumber = 1
    group.NumberOfBeams = beams
    group.NumberOfBrachyApplicationSetups = 0
    ds.FractionGroupSequence = Sequence([group])
    return ds


@pytest.mark.parametrize(("beams", "required"), [(2, True), (0, False)])
def test_rt_beams_follows_number_of_beams_in_fraction_groups(beams: int, required: bool) -> None:
    # Table A.20.3-1: RT Beams "Required if RT Fraction Scheme Module exists and Number of
    # Beams (300A,0080) is greater than zero for one or more fraction groups"
    fs = validate(rt_plan(beams))
    beam_sequence = [f for f in fs if f.path == "BeamSequence" and f.module == "RT Beams"]
    if required:
        assert beam_sequence and beam_sequence[0].severity == "error"
    else:
        assert not [f for f in beam_sequence if f.severity == "error"]
    assert not [f for f in fs if f.module == "RT Beams" and f.code == "undecided"]

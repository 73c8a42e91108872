"""PS3.16 templates in the spec: counts checked against the raw pages, the known traps of the
2024c rendering, and rows of TID 1500, 1501, 1410, 1411 and 300 written down by hand from their
pages (PS3.16 2024c Annex A).

The row checks are literal copies of what the tables say, so a change in the extraction that
alters what a reader of the page would see fails here.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from iodkit.codegen.spec.diff import diff_editions
from iodkit.codegen.spec.model import Code, Edition, Template, TemplateRow, ValueConstraint
from iodkit.codegen.spec.ps3_16_templates import REASONS

pytestmark = pytest.mark.standard

_TABLE = re.compile(
    r'<div class="table">\s*<a id="(table_TID[^"]+)"[^>]*></a>\s*<p class="title">\s*<strong>'
    r"(.*?)</strong>.*?<tbody>(.*?)</tbody>",
    re.S,
)


def raw_template_tables(part16: Path) -> dict[str, tuple[str, int]]:
    """Table id → (caption, number of body rows), by regular expression over the pages."""
    out: dict[str, tuple[str, int]] = {}
    for page in part16.glob("*.html"):
        for m in _TABLE.finditer(page.read_text(encoding="utf-8")):
            caption = " ".join(re.sub(r"<[^>]+>", "", m.group(2)).split())
            out.setdefault(m.group(1), (caption, m.group(3).count("<tr")))
    return out


def rows_of(t: Template) -> dict[str, TemplateRow]:
    return {r.row: r for r in t.rows}


def ev(value: str, scheme: str, meaning: str) -> ValueConstraint:
    return ValueConstraint(strength="EV", code=Code(scheme, value, meaning))


def group(strength: str, cid: int, name: str) -> ValueConstraint:
    return ValueConstraint(strength=strength, cid=cid, name=name)


def test_counts_match_the_issue_and_the_pages(edition_2024c: Edition, chtml_2024c: Path) -> None:
    raw = raw_template_tables(chtml_2024c / "part16")
    params = {k: v for k, v in raw.items() if v[0].endswith(". Parameters")}
    tables = {k: v for k, v in raw.items() if k not in params}
    assert (len(tables), len(params)) == (410, 59)
    templates = edition_2024c.templates
    assert sum(1 for t in templates.values() if t.table) == 410
    assert sum(1 for t in templates.values() if t.parameters_table) == 59
    assert {t.table for t in templates.values() if t.table} == set(tables)
    assert {t.parameters_table for t in templates.values() if t.parameters_table} == set(params)
    # every body row of every table, counted in the markup
    for t in templates.values():
        if t.table:
            assert len(t.rows) == tables[t.table][1], t.tid
    assert sum(len(t.rows) for t in templates.values()) == 4280
    # 412 template sections: two retired ones keep only their title
    assert len(templates) == 412
    assert sorted(t.tid for t in templates.values() if not t.table) == ["3701", "3718"]
    assert all(templates[x].retired for x in ("3701", "3718"))
    props = Counter((t.extensible, t.order_significant, t.root) for t in templates.values())
    assert sum(n for (ext, _, _), n in props.items() if ext is True) == 343
    assert sum(n for (ext, _, _), n in props.items() if ext is False) == 67
    assert sum(n for (_, _, root), n in props.items() if root) == 34


def test_three_table_layouts(edition_2024c: Edition) -> None:
    """PS3.16 6.1: SR templates (NL, Rel with Parent), Protocol Context (NL only) and
    Acquisition Context templates (neither)."""
    layouts = Counter(t.layout for t in edition_2024c.templates.values() if t.table)
    assert layouts == {"": 379, "protocol": 9, "acquisition": 22}
    acq = edition_2024c.templates["3470"]  # an Acquisition Context template of Annex C
    assert acq.layout == "acquisition"
    assert all(r.nl == 0 and not r.relationship for r in acq.rows)


def test_every_include_resolves_and_binds_declared_parameters(edition_2024c: Edition) -> None:
    templates = edition_2024c.templates
    includes = [(t, r) for t in templates.values() for r in t.rows if r.value_type == "INCLUDE"]
    assert len(includes) == 1103
    unresolved = [
        (t.tid, r.row) for t, r in includes if r.concept is None or r.concept.tid not in templates
    ]
    assert unresolved == []
    # recursive includes the standard writes (a template that includes itself, directly or
    # through another)
    assert any(r.concept and r.concept.tid == "4006" for r in templates["4006"].rows)
    assert any(r.concept and r.concept.tid == "4102" for r in templates["4101"].rows)
    assert any(r.concept and r.concept.tid == "4102" for r in templates["4102"].rows)
    # a malformed anchor (two underscores) is still read, by the table's label
    assert templates["1604"].table == "table_TID__1604"
    assert len(templates["1604"].rows) > 0


def test_every_row_is_read_or_kept_with_a_reason(edition_2024c: Edition) -> None:
    rows = [(t.tid, r) for t in edition_2024c.templates.values() for r in t.rows]
    reasons = set(REASONS.values())
    kept = Counter((u.column, u.reason) for _, r in rows for u in r.unparsed)
    assert all(reason in reasons for _, reason in kept)
    # every cell of the structural columns is read: only conditions and the value set
    # constraint column's free words are kept as words
    assert {column for column, _ in kept} == {"Condition", "Value Set Constraint"}
    assert all(r.value_type and r.vm and r.requirement for _, r in rows)
    assert kept == {
        ("Condition", REASONS["undecidable"]): 178,
        ("Condition", REASONS["unparsed"]): 5,
        ("Value Set Constraint", REASONS["table"]): 104,
        ("Value Set Constraint", REASONS["reference"]): 76,
        ("Value Set Constraint", REASONS["value"]): 67,
        ("Value Set Constraint", REASONS["words"]): 27,
    }
    conditions = [r for _, r in rows if r.condition]
    assert len(conditions) == 719
    assert sum(1 for r in conditions if r.predicate) == 536
    # every condition either has a predicate or is kept with its words
    assert all(r.predicate or any(u.column == "Condition" for u in r.unparsed) for r in conditions)


def test_typos_are_read_and_listed(edition_2024c: Edition) -> None:
    t = edition_2024c.templates
    repairs = Counter(u.reason for x in t.values() for r in x.rows for u in r.repairs)
    assert repairs["read as R-INFERRED FROM"] == 2
    typo = [
        r
        for x in t.values()
        for r in x.rows
        if any(u.text == "R- INFERRED FROM" for u in r.repairs)
    ]
    assert all(r.relationship == "INFERRED FROM" and r.by_reference for r in typo)
    # 'EV (89457008, SCT, "Radionuclide)' (TID 15101 row 2): the quotation mark is missing
    radio = rows_of(t["15101"])["2"]
    assert radio.concept == ev("89457008", "SCT", "Radionuclide")
    assert [u.reason for u in radio.repairs] == ["no closing quotation mark"]
    # "R-" rows are by reference
    assert rows_of(t["300"])["10"].by_reference


def test_tid_1500_measurement_report(edition_2024c: Edition) -> None:
    t = edition_2024c.templates["1500"]
    assert (t.name, t.extensible, t.order_significant, t.root) == (
        "Measurement Report",
        True,
        False,
        True,
    )
    assert [r.row for r in t.rows] == ("1 2 3 4 5 6 6b 7 8 9 10 10b 11 12 12b 13 13b 14".split())
    rows = rows_of(t)
    r1 = rows["1"]
    assert (r1.nl, r1.relationship, r1.value_type, r1.vm, r1.requirement, r1.root) == (
        0,
        "",
        "CONTAINER",
        "1",
        "M",
        True,
    )
    assert r1.concept == group("DCID", 7021, "Measurement Report Document Title")
    r3 = rows["3"]
    assert (r3.nl, r3.relationship, r3.value_type, r3.requirement) == (
        1,
        "HAS OBS CONTEXT",
        "INCLUDE",
        "M",
    )
    assert r3.concept == ValueConstraint(strength="DTID", tid="1001", name="Observation Context")
    r4 = rows["4"]
    assert r4.concept == ev("121058", "DCM", "Procedure reported")
    assert (r4.vm, r4.requirement) == ("1-n", "U")
    assert r4.value_sets == [group("BCID", 100, "Quantitative Diagnostic Imaging Procedure")]
    r6 = rows["6"]
    assert r6.concept == ev("126010", "DCM", "Imaging Measurements")
    assert (r6.requirement, r6.condition) == ("MC", "IF Row 10 and 12 are absent")
    assert r6.predicate == [{"if": {"and": [{"absent": "10"}, {"absent": "12"}]}}]
    r7 = rows["7"]
    assert (r7.nl, r7.vm, r7.concept and r7.concept.tid) == (2, "1-n", "1410")
    assert [b.parameter for b in r7.bindings] == [
        "$Measurement",
        "$Units",
        "$Derivation",
        "$Method",
        "$QualModType",
        "$QualModValue",
    ]
    assert r7.bindings[0].values == [group("BCID", 218, "Quantitative Image Feature")]
    assert r7.bindings[1].values == [
        group("BCID", 7181, "Abstract Multi-dimensional Image Model Component Unit")
    ]
    r9 = rows["9"]
    assert [b.parameter for b in r9.bindings][:2] == ["$Measurement", "$ImagePurpose"]
    r12 = rows["12"]
    assert r12.concept == ev("C0034375", "UMLS", "Qualitative Evaluations")
    r13b = rows["13b"]
    assert (r13b.nl, r13b.relationship, r13b.value_type) == (3, "HAS CONCEPT MOD", "CODE")
    assert r13b.concept == group("BCID", 210, "Qualitative Evaluation Modifier Type")
    assert r13b.value_sets == [group("BCID", 211, "Qualitative Evaluation Modifier Value")]
    assert rows["13"].concept is None  # any concept name


def test_tid_1501_measurement_group(edition_2024c: Edition) -> None:
    t = edition_2024c.templates["1501"]
    assert t.parameters[0].name == "$Measurement"
    assert t.parameters[0].usage == "Coded term or Context Group for Concept Name of measurement"
    assert len(t.parameters) == 23
    rows = rows_of(t)
    # the top row names its own relationship (CONTAINS) although it is at nesting level 0
    assert (rows["1"].nl, rows["1"].relationship) == (0, "CONTAINS")
    assert rows["2"].concept == ValueConstraint(
        strength="DT", code=Code("DCM", "112039", "Tracking Identifier")
    )
    assert rows["2"].value_sets == [ValueConstraint(parameter="$TrackingID")]
    assert rows["7"].value_sets == [group("DCID", 244, "Laterality")]
    assert rows["9"].value_type == "COMPOSITE"
    assert rows["9"].unparsed[0].reason == REASONS["reference"]
    r10 = rows["10"]
    assert r10.concept == ValueConstraint(strength="DTID", tid="300", name="Measurement")
    assert len(r10.bindings) == 15
    assert all(b.values == [ValueConstraint(parameter=b.parameter)] for b in r10.bindings)
    assert rows["10c"].concept == ValueConstraint(parameter="$ImagePurpose")
    d = rows["10d"]
    assert (d.nl, d.relationship, d.value_type, d.concept, d.requirement) == (
        2,
        "SELECTED FROM",
        "IMAGE",
        None,
        "M",
    )
    assert rows["11"].value_sets == [ValueConstraint(parameter="$QualValue")]


def test_tid_1410_planar_roi(edition_2024c: Edition) -> None:
    rows = rows_of(edition_2024c.templates["1410"])
    r5 = rows["5"]
    assert (r5.value_type, r5.requirement, r5.condition) == ("SCOORD", "MC", "XOR Rows 7, 7b, 8b")
    assert r5.predicate == [{"xor": ["7", "7b", "8b"]}]
    assert (r5.graphic_types, r5.graphic_types_excluded) == (["MULTIPOINT"], True)
    r7b = rows["7b"]
    assert r7b.graphic_types == ["MULTIPOINT", "POLYLINE", "ELLIPSOID"]
    assert r7b.graphic_types_excluded
    assert rows["8"].predicate == [{"iff": {"present": "7"}}]
    assert rows["3c"].value_sets == [group("BCID", 219, "Geometry Graphical Representation")]
    assert rows["12"].concept == ValueConstraint(parameter="$QualType")
    assert rows["12b"].value_sets == [ValueConstraint(parameter="$QualModValue")]


def test_tid_1411_volumetric_roi(edition_2024c: Edition) -> None:
    rows = rows_of(edition_2024c.templates["1411"])
    assert rows["5"].vm == "1-n"
    assert rows["11"].predicate == [
        {"xor": ["12"]},
        {"iff": {"or": [{"present": "7"}, {"present": "10"}]}},
    ]
    assert rows["12"].value_type == "UIDREF"
    # "If one item, GRAPHIC TYPE = {…}": a graphic type that depends on the count, kept as words
    assert [u.text for u in rows["10"].unparsed] == [
        "If one item, GRAPHIC TYPE = {ELLIPSOID or POINT}",
        "If more than one item, GRAPHIC TYPE = {POLYGON or ELLIPSE}",
    ]
    assert rows["12c"].requirement == "M"


def test_tid_300_measurement(edition_2024c: Edition) -> None:
    t = edition_2024c.templates["300"]
    rows = rows_of(t)
    r1 = rows["1"]
    assert (r1.relationship, r1.value_type, r1.concept) == (
        "",  # inherited from the INCLUDE row of the invoking template
        "NUM",
        ValueConstraint(parameter="$Measurement"),
    )
    assert r1.units == [ValueConstraint(parameter="$Units")]
    r6 = rows["6"]  # "$TargetSiteLaterality / Defaults to DCID 244 “Laterality”"
    assert r6.value_sets == [
        ValueConstraint(parameter="$TargetSiteLaterality"),
        ValueConstraint(strength="DCID", cid=244, name="Laterality", default=True),
    ]
    r9, r10 = rows["9"], rows["10"]
    assert (r9.requirement, r9.predicate) == ("UC", [{"xor": ["10"]}])
    assert (r10.relationship, r10.by_reference, r10.predicate) == (
        "INFERRED FROM",
        True,
        [{"xor": ["9"]}],
    )
    assert r10.units == [ValueConstraint(parameter="$DerivationParameterUnits")]
    r13 = rows["13"]  # no relationship: the included TID 320 gives its own
    assert (r13.relationship, r13.concept and r13.concept.tid) == ("", "320")
    assert [(b.parameter, b.values) for b in r13.bindings] == [
        ("$Purpose", [ValueConstraint(parameter="$ImagePurpose")])
    ]
    r16b = rows["16b"]
    assert r16b.concept == ev("121050", "DCM", "Equivalent Meaning of Concept Name")
    assert r16b.value_sets == [ValueConstraint(parameter="$PrecoordinatedMeasurementMeaning")]


def test_dcm_meanings_say_where_they_come_from(edition_2024c: Edition) -> None:
    m = edition_2024c.dcm_meanings
    sources = Counter(x.source.split()[0] for x in m.values())
    assert set(sources) == {"CID", "pydicom", "TID"}
    assert m["126010"].meaning == "Imaging Measurements"
    assert m["121058"].meaning == "Procedure reported"
    # a code no context group lists and pydicom does not know keeps the template row's words
    assert m["130876"].source == "TID 3753 row 1"


def test_spec_diff_reports_template_changes(edition_2024c: Edition) -> None:
    import copy

    old = Edition(edition="old", templates={k: edition_2024c.templates[k] for k in ("1500",)})
    new = Edition(edition="new", templates=copy.deepcopy(old.templates))
    new.templates["300"] = edition_2024c.templates["300"]
    t = new.templates["1500"]
    rows = rows_of(t)
    rows["4"].requirement = "M"
    rows["6"].condition = "IF Row 10 is absent"
    rows["13b"].value_sets = [group("DCID", 211, "Qualitative Evaluation Modifier Value")]
    t.rows.remove(rows["14"])
    t.extensible = False
    lines = diff_editions(old, new).render().splitlines()
    assert lines[0] == (
        "spec diff old → new: 3 template rows changed, 1 template rows removed, "
        "1 templates added, 1 templates changed"
    )
    assert "TID 300 Measurement added" in lines
    assert "  TID 1500 Measurement Report: extensible True → False" in lines
    assert (
        "  TID 1500 Measurement Report: row 4 requirement U → M [CONTAINER DCID 7021 > "
        "CODE (121058, DCM)]"
    ) in lines
    assert any(
        "row 6 condition IF Row 10 and 12 are absent → IF Row 10 is absent" in x for x in lines
    )
    assert len(lines) == 7
    assert any("row 13b value set BCID 211 → DCID 211" in x for x in lines)
    assert any(x.startswith("  TID 1500 Measurement Report: row 14 removed") for x in lines)

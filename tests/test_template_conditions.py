"""The template Condition parser on conditions copied from PS3.16 2024c (no standard needed)."""

from __future__ import annotations

import pytest
from iodkit.codegen.spec.ps3_16_templates import parse_constraints, vm_bounds
from iodkit.codegen.spec.template_conditions import parse_template_condition

ROWS = [str(n) for n in range(1, 40)] + ["6b", "7b", "8b", "12b", "5a", "34e"]


def code(value: str, scheme: str, meaning: str) -> dict[str, str]:
    return {"value": value, "scheme": scheme, "meaning": meaning}


YES = code("373066001", "SCT", "Yes")

CASES = [
    ("XOR Row 10", [{"xor": ["10"]}]),  # TID 300 row 9
    ("XOR Rows 7, 7b, 8b", [{"xor": ["7", "7b", "8b"]}]),  # TID 1410 row 5
    ("IF Row 10 and 12 are absent", [{"if": {"and": [{"absent": "10"}, {"absent": "12"}]}}]),
    ("IFF Row 7", [{"iff": {"present": "7"}}]),  # TID 1410 row 8
    (
        "XOR Row 12 and IFF (Row 7 or Row 10)",  # TID 1411 row 11
        [{"xor": ["12"]}, {"iff": {"or": [{"present": "7"}, {"present": "10"}]}}],
    ),
    (
        'IFF Row 1 value = (121007, DCM, "Device")',  # TID 1002 row 3
        [{"iff": {"value": "1", "in": [code("121007", "DCM", "Device")]}}],
    ),
    ("At least one of Row 3-7 shall be present", [{"at_least_one": ["3", "4", "5", "6", "7"]}]),
    (
        'Shall be present unless the value of Row 8 = (111225, DCM, "Not Attempted")',
        [{"if": {"not": {"value": "8", "in": [code("111225", "DCM", "Not Attempted")]}}}],
    ),
    (
        'May be present only if value of parent is (129769006, SCT, "Calcification Cluster")',
        [{"only_if": {"parent_value": [code("129769006", "SCT", "Calcification Cluster")]}}],
    ),
    (
        "IFF root Concept Name Code Sequence = "
        '(130227, DCM, "Performed Imaging Agent Administration")',
        [
            {
                "iff": {
                    "root_concept": [
                        code("130227", "DCM", "Performed Imaging Agent Administration")
                    ]
                }
            }
        ],
    ),
    (
        'IFF TID 10001 Row 9 is absent or has a value of (373066001, SCT, "Yes")',
        [
            {
                "iff": {
                    "or": [
                        {"absent": "9", "tid": "10001"},
                        {"value": "9", "in": [YES], "tid": "10001"},
                    ]
                }
            }
        ],
    ),
    (
        "IF Completion Flag (0040,A491) = COMPLETE",
        [{"if": {"attribute": "(0040,A491)", "in": ["COMPLETE"]}}],
    ),
    (
        "IF Row 10 is present AND any attenuator position is known",  # TID 10043 row 15
        [{"if": {"and": [{"present": "10"}, {"unknown": "any attenuator position is known"}]}}],
    ),
    (
        "IFF Row 12 is present and does not contain Observation DateTime (0040,A032)",
        [
            {
                "iff": {
                    "and": [
                        {"present": "12"},
                        {"not": {"has_attribute": "12", "tag": "(0040,A032)"}},
                    ]
                }
            }
        ],
    ),
    (
        "At least two items shall be present: two of Row 13, two of Row 14, or one of each.",
        [{"at_least": 2, "rows": ["13", "14"]}],
    ),
    (
        "IF Accumulated DLP Forward Estimate (Row 6) exceeds DLP Alert Value (Row 4)",
        [{"if": {"greater": ["6", "4"]}}],
    ),
    (
        "IF Row 3 measurement concept is in CID 12222 “Orifice Flow Property”",
        [{"if": {"concept": "3", "cid": 12222}}],
    ),
    (
        'IFF value of Row 4 = (130173, DCM, "Automated Administration")\nAND\n'
        'root Concept Name Code Sequence = (130227, DCM, "Performed Imaging Agent Administration")',
        [
            {
                "iff": {
                    "and": [
                        {"value": "4", "in": [code("130173", "DCM", "Automated Administration")]},
                        {
                            "root_concept": [
                                code("130227", "DCM", "Performed Imaging Agent Administration")
                            ]
                        },
                    ]
                }
            }
        ],
    ),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0][:40] for c in CASES])
def test_conditions_from_the_standard(text: str, expected: list[dict]) -> None:
    parsed = parse_template_condition(text, ROWS)
    assert parsed.clauses == expected


def test_words_a_dataset_cannot_decide_are_not_guessed() -> None:
    parsed = parse_template_condition("IFF anatomy has laterality", ROWS)
    assert parsed.clauses == [{"iff": {"unknown": "anatomy has laterality"}}]
    assert (
        parse_template_condition(
            "Shall be present if (0020,0062) is in the Image Instance", ROWS
        ).reason
        == "undecidable"
    )


def test_a_row_the_template_does_not_have_is_not_read() -> None:
    parsed = parse_template_condition("XOR Row 99", ROWS)
    assert parsed.clauses is None and parsed.reason == "unparsed"


def test_constraints_and_vm() -> None:
    parsed = parse_constraints('DT (112022, DCM, "RECIST") or DT (112029, DCM, "WHO")')
    assert parsed is not None
    assert [c.code.value for c in parsed[0] if c.code] == ["112022", "112029"]
    member = parse_constraints("MemberOf {DCID 12301 “Measurement Selection Reason”}")
    assert member is not None and member[0][0].member_of and member[0][0].cid == 12301
    version = parse_constraints('EV (115, NCDR [2.0b], "Dissection in segment")')
    assert version is not None and version[0][0].code is not None
    assert (version[0][0].code.scheme, version[0][0].code.version) == ("NCDR", "2.0b")
    assert parse_constraints("Bra size as text string") is None
    assert vm_bounds("1") == (1, 1)
    assert vm_bounds("1-n") == (1, None)
    assert vm_bounds("2-4") == (2, 4)


DOCBOOK = """<book xmlns="http://docbook.org/ns/docbook" xmlns:xl="http://www.w3.org/1999/xlink">
<subtitle>DICOM PS3.16 2030a - Content Mapping Resource</subtitle>
<chapter xml:id="chapter_A" label="A"><title>Structured Reporting Templates</title>
<section xml:id="sect_TID_9001" label="TID 9001"><title>Test Root</title>
<variablelist><varlistentry><term>Type:</term><listitem><para>Non-Extensible</para></listitem>
</varlistentry><varlistentry><term>Root:</term><listitem><para>Yes</para></listitem>
</varlistentry></variablelist>
<table xml:id="table_TID_9001_Parameters"><caption>Parameters</caption>
<thead><tr><th>Parameter Name</th><th>Parameter Usage</th></tr></thead>
<tbody><tr><td>$Thing</td><td>What is measured</td></tr></tbody></table>
<table xml:id="table_TID_9001"><caption>Test Root</caption>
<thead><tr><th/><th>NL</th><th>Rel with Parent</th><th>VT</th><th>Concept Name</th><th>VM</th>
<th>Req Type</th><th>Condition</th><th>Value Set Constraint</th></tr></thead>
<tbody>
<tr><td>1</td><td/><td/><td>CONTAINER</td><td>EV (126000, DCM, "Imaging Measurement Report")</td>
<td>1</td><td>M</td><td/><td>Root node</td></tr>
<tr><td>2</td><td>&gt;</td><td>CONTAINS</td><td>NUM</td><td>$Thing</td><td>1-n</td><td>MC</td>
<td>IF Row 3 is absent</td><td>UNITS = EV (mm, UCUM, "mm")</td></tr>
<tr><td>3</td><td>&gt;</td><td>R- INFERRED FROM</td><td>INCLUDE</td><td>DTID 9001 “Test Root”</td>
<td>1</td><td>U</td><td/><td>$Thing = BCID 7470 “Linear Measurement”</td></tr>
</tbody></table></section></chapter></book>"""


def test_templates_from_docbook(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The DocBook adapter gives the same document model: a template section, its properties,
    its parameters and rows read the same way (tables without a label attribute included)."""
    from iodkit.codegen.sources.docbook import read_docbook_part
    from iodkit.codegen.spec.ps3_16_templates import extract_templates

    path = tmp_path / "part16.xml"
    path.write_text(DOCBOOK, encoding="utf-8")
    doc = read_docbook_part(path, 16)
    templates, problems = extract_templates(doc)
    assert problems == []
    t = templates["9001"]
    assert (t.name, t.extensible, t.root, t.table) == ("Test Root", False, True, "table_TID_9001")
    assert [p.name for p in t.parameters] == ["$Thing"]
    r1, r2, r3 = t.rows
    assert r1.root and r1.concept is not None and r1.concept.code is not None
    assert (r2.nl, r2.relationship, r2.vm, r2.requirement) == (1, "CONTAINS", "1-n", "MC")
    assert r2.predicate == [{"if": {"absent": "3"}}]
    assert r2.units[0].code is not None and r2.units[0].code.value == "mm"
    assert (r3.relationship, r3.by_reference, r3.concept and r3.concept.tid) == (
        "INFERRED FROM",
        True,
        "9001",
    )
    assert [b.parameter for b in r3.bindings] == ["$Thing"]
    assert [u.reason for u in r3.repairs] == ["read as R-INFERRED FROM"]

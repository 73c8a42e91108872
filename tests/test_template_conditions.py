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

"""The spec's YAML: dump → load gives the same Edition, dumps are byte-identical, and
``iodkit spec diff`` reports exactly the changes made to a copy."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import pytest
import yaml
from iodkit.cli import main
from iodkit.codegen.spec.model import AttributeRule, Edition
from iodkit.codegen.spec.yamlio import dump_edition, load_edition, render_edition

pytestmark = pytest.mark.standard


def test_full_edition_round_trip(edition_2024c: Edition, tmp_path: Path) -> None:
    a = tmp_path / "a"
    written = dump_edition(edition_2024c, a)
    files = sorted(p.relative_to(a).as_posix() for p in a.rglob("*.yaml"))
    assert files == sorted(p.relative_to(a).as_posix() for p in written)
    # edition, IODs, tables (708 + 31 Directory Record Keys), 7 registries (with
    # directory.yaml), CIDs, TIDs
    assert len(files) == 1 + 189 + 739 + 7 + 1384 + 412
    assert {"anatomy.yaml", "coding_schemes.yaml", "dcm_meanings.yaml"} <= set(files)
    assert "templates/1500.yaml" in files and "templates.yaml" not in files
    # a second dump is byte for byte the first
    second = render_edition(edition_2024c)
    assert sorted(second) == files
    for rel, text in second.items():
        assert (a / rel).read_bytes() == text.encode("utf-8"), rel
    # and loading gives the same Edition (which therefore dumps to the same bytes again)
    loaded = load_edition(a)
    assert loaded == edition_2024c
    assert loaded.anatomy == edition_2024c.anatomy and len(loaded.anatomy) > 500
    assert loaded.coding_schemes == edition_2024c.coding_schemes and len(loaded.coding_schemes) > 60


def small_spec(ed: Edition) -> Edition:
    """The Segmentation IOD with its own tables and a few context groups: a spec small enough
    to dump and diff quickly, made of real content."""
    small = Edition(edition=ed.edition, formats=dict(ed.formats))
    small.iods = {"table_A.51-1": copy.deepcopy(ed.iods["table_A.51-1"])}
    for tid in (
        "table_C.8.20-1",
        "table_C.8.20-2",
        "table_C.8.20-3",
        "table_C.8.20-4",
        "table_10-12",
    ):
        small.tables[tid] = copy.deepcopy(ed.tables[tid])
    small.sop_classes = {
        "1.2.840.10008.5.1.4.1.1.66.4": copy.deepcopy(
            ed.sop_classes["1.2.840.10008.5.1.4.1.1.66.4"]
        )
    }
    small.context_groups = {cid: copy.deepcopy(ed.context_groups[cid]) for cid in (7150, 7151, 244)}
    small.dictionary = {t: copy.deepcopy(ed.dictionary[t]) for t in ("(0062,0001)", "(0062,0010)")}
    return small


def edit_yaml(path: Path, change) -> None:  # noqa: ANN001 - a callable on the loaded data
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def rule(rules: list[dict], tag: str) -> dict:
    return next(r for r in rules if r.get("tag") == tag)


def test_spec_diff_reports_what_changed(
    edition_2024c: Edition, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new, same = tmp_path / "old", tmp_path / "new", tmp_path / "same"
    small = small_spec(edition_2024c)
    dump_edition(small, old)
    dump_edition(small, same)
    assert load_edition(old) == small

    assert main(["spec", "diff", str(old), str(same)]) == 0
    assert capsys.readouterr().out == "spec diff 2024c → 2024c: no changes\n"

    shutil.copytree(old, new)

    def change_table(data: dict) -> None:
        # Segmentation Fractional Type: Type 1C → 1; Segmentation Type loses FRACTIONAL;
        # Segment Algorithm Name (in the Segment Sequence's items) is removed
        rule(data["rules"], "(0062,0010)")["type"] = "1"
        rule(data["rules"], "(0062,0001)")["value_sets"][0]["values"].remove("FRACTIONAL")
        seq = rule(data["rules"], "(0062,0002)")
        seq["items"] = [r for r in seq["items"] if r.get("tag") != "(0062,0009)"]

    edit_yaml(new / "tables" / "C.8.20-2.yaml", change_table)

    def change_iod(data: dict) -> None:
        m = next(m for m in data["modules"] if m["name"] == "Specimen")
        m["usage"] = "M"

    edit_yaml(new / "iods" / "Segmentation.yaml", change_iod)

    def change_cid(data: dict) -> None:
        data["codes"] = data["codes"][:-1]  # drop (SCT, 105590001, "Substance")

    edit_yaml(new / "context_groups" / "7150.yaml", change_cid)

    assert main(["spec", "diff", str(old), str(new)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == (
        "spec diff 2024c → 2024c: 1 IOD module usages changed, 1 attributes removed, "
        "1 context groups changed, 1 types changed, 1 value sets changed"
    )
    assert (
        "  C.8.20-2 Segmentation Image Module: Segmentation Fractional Type (0062,0010) type 1C → 1"
        in lines
    )
    assert (
        "  C.8.20-2 Segmentation Image Module: Segmentation Type (0062,0001) enumerated: "
        "+[] -['FRACTIONAL']"
    ) in lines
    assert (
        "  C.8.20-2 Segmentation Image Module: removed Segment Algorithm Name (0062,0009) "
        "(type 1C) [(0062,0002)/(0062,0009)]"
    ) in lines
    assert "  Segmentation IOD: module Specimen usage U '' → M ''" in lines
    assert "CID 7150 Segmentation Property Category: 0 codes added, 1 removed" in lines
    assert len(lines) == 6

    # the edited copy still loads, and the rules it holds are what was written
    edited = load_edition(new)
    seg = edited.tables["table_C.8.20-2"]
    frac = next(r for r in seg.rules if isinstance(r, AttributeRule) and r.tag == "(0062,0010)")
    assert frac.type == "1" and frac.source == "table_C.8.20-2"


def test_spec_diff_reports_coding_schemes(
    edition_2024c: Edition, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    small = Edition(edition=edition_2024c.edition, formats=dict(edition_2024c.formats))
    small.coding_schemes = copy.deepcopy(edition_2024c.coding_schemes)
    dump_edition(small, old)
    assert load_edition(old).coding_schemes == small.coding_schemes
    shutil.copytree(old, new)

    def change(data: list) -> None:  # type: ignore[type-arg]
        data[:] = [c for c in data if c["designator"] != "ACR"]  # removed
        ln = next(c for c in data if c["designator"] == "LN")
        ln["uid"] = "1.2.3"
        bi = next(c for c in data if c["designator"] == "BI")
        del bi["version_required"]  # BI-RADS no longer needs its version
        data.append({"designator": "99NEW", "name": "New"})

    edit_yaml(new / "coding_schemes.yaml", change)
    assert main(["spec", "diff", str(old), str(new)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        "spec diff 2024c → 2024c: 4 coding schemes changed",
        "coding scheme removed: ACR (ACR Index)",
        "coding scheme added: 99NEW (New)",
        "coding scheme BI: version required True → False",
        "coding scheme LN: uid '2.16.840.1.113883.6.1' → '1.2.3'",
    ]


def test_diff_of_a_missing_spec(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a").mkdir()
    assert main(["spec", "diff", str(tmp_path / "a"), str(tmp_path / "b")]) == 2
    assert "no edition.yaml" in capsys.readouterr().err

"""Bad input: missing files, truncated XML, tables with unexpected columns.

Each case is built in ``tmp_path`` from a few real 2024c pages (copied at test time, never
committed) and then broken on purpose. What is checked: a clear error naming the file (and the
table id, where there is one); the rest of the edition still builds where that makes sense; and
what could not be read is in ``Edition.problems``, not silently skipped.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from iodkit.cli import main
from iodkit.codegen.sources.xmlsafe import SourceError
from iodkit.codegen.spec.build import BuildError, build_edition

pytestmark = pytest.mark.standard

# The Segmentation IOD and its own modules: Table A.51-1 (sect_A.51.3), A.51-2 (sect_A.51.5),
# C.8.20-1 (sect_C.8.20), C.8.20-2 (sect_C.8.20.2), C.8.20-3 (sect_C.8.20.3), C.8.20-4
# (sect_C.8.20.4) and the section with Segmentation Fractional Type's values (sect_C.8.20.2.3).
PAGES = [
    "sect_A.51.html",
    "sect_A.51.3.html",
    "sect_A.51.5.html",
    "sect_C.8.20.html",
    "sect_C.8.20.2.html",
    "sect_C.8.20.2.3.html",
    "sect_C.8.20.3.html",
    "sect_C.8.20.4.html",
]


@pytest.fixture
def mini(tmp_path: Path, chtml_2024c: Path) -> Path:
    """An edition folder holding a few PS3.3 pages and nothing else."""
    folder = tmp_path / "2024c"
    part03 = folder / "chtml" / "part03"
    part03.mkdir(parents=True)
    for name in PAGES:
        shutil.copyfile(chtml_2024c / "part03" / name, part03 / name)
    return folder


def test_a_few_pages_build_and_what_is_missing_is_reported(mini: Path) -> None:
    ed = build_edition(mini, jobs=1)
    assert ed.edition == "2024c"
    assert set(ed.tables) == {
        "table_C.8.20-1",
        "table_C.8.20-2",
        "table_C.8.20-3",
        "table_C.8.20-4",
    }
    iod = ed.iods["table_A.51-1"]
    resolved = {m.name: m.table for m in iod.modules if m.table}
    assert resolved == {
        "Segmentation Series": "table_C.8.20-1",
        "Segmentation Image": "table_C.8.20-2",
    }
    # every module whose page is absent is reported, naming the page, the table and the module
    unresolved = [m.name for m in iod.modules if not m.table]
    assert len(unresolved) == 22
    for name in unresolved:
        assert any(
            p.startswith("PS3.3 2024c: sect_A.51.3.html: table_A.51-1: module " + repr(name))
            for p in ed.problems
        ), name
    # the parts that are not there at all
    for part in (4, 6, 16):
        assert any(p.startswith(f"PS3.{part}: not in {mini}") for p in ed.problems), part


def test_missing_folders(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(BuildError, match=r"nowhere: not a folder"):
        build_edition(tmp_path / "nowhere")
    (tmp_path / "empty" / "chtml" / "part16").mkdir(parents=True)
    with pytest.raises(BuildError, match=r"empty: no PS3\.3 found"):
        build_edition(tmp_path / "empty")
    # the command line says the same and exits 2
    code = main(
        ["spec", "build", "--source", str(tmp_path / "empty"), "--out", str(tmp_path / "out"), "-q"]
    )
    assert code == 2
    assert "no PS3.3 found" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_truncated_page(mini: Path) -> None:
    page = mini / "chtml" / "part03" / "sect_C.8.20.2.html"
    data = page.read_bytes()
    page.write_bytes(data[: len(data) // 2])
    ed = build_edition(mini, jobs=1)
    # the page is named, and why
    broken = [p for p in ed.problems if "sect_C.8.20.2.html" in p and "not well-formed XML" in p]
    assert len(broken) == 1 and str(page) in broken[0]
    # its table is gone, and the IOD row that needed it says so; the other pages are read
    assert "table_C.8.20-2" not in ed.tables
    assert {"table_C.8.20-1", "table_C.8.20-3", "table_C.8.20-4"} <= set(ed.tables)
    assert any("table_A.51-1: module 'Segmentation Image'" in p for p in ed.problems)
    assert ed.iods["table_A.51-1"].functional_groups_table == "table_A.51-2"


def test_attribute_table_with_unexpected_columns(mini: Path) -> None:
    page = mini / "chtml" / "part03" / "sect_C.8.20.2.html"
    html = page.read_text(encoding="utf-8")
    # the third column of Table C.8.20-2's header, "Type", becomes "Kind"
    head_start = html.index('id="table_C.8.20-2"')
    head_end = html.index("</thead>", head_start)
    head = html[head_start:head_end]
    assert head.count(">Type<") == 1
    page.write_text(
        html[:head_start] + head.replace(">Type<", ">Kind<") + html[head_end:], encoding="utf-8"
    )
    ed = build_edition(mini, jobs=1)
    assert "table_C.8.20-2" not in ed.tables  # not read with shifted columns
    assert (
        "PS3.3 2024c: sect_C.8.20.2.html: table_C.8.20-2: unexpected columns ('Attribute Name', "
        "'Tag', 'Kind', 'Attribute Description') for an attribute table (expected Attribute Name, "
        "Tag, [Type,] Attribute Description)"
    ) in ed.problems
    assert "table_C.8.20-1" in ed.tables
    # and the IOD row that names it does not point at a table the spec does not have
    row = next(m for m in ed.iods["table_A.51-1"].modules if m.name == "Segmentation Image")
    assert row.table == ""
    assert any(
        "table_A.51-1: module 'Segmentation Image' (sect_C.8.20.2)" in p for p in ed.problems
    )


def test_iod_table_with_unexpected_columns(mini: Path) -> None:
    page = mini / "chtml" / "part03" / "sect_A.51.3.html"
    html = page.read_text(encoding="utf-8")
    start = html.index('id="table_A.51-1"')
    end = html.index("</thead>", start)
    head = html[start:end]
    assert head.count(">Usage<") == 1
    page.write_text(html[:start] + head.replace(">Usage<", ">Use<") + html[end:], encoding="utf-8")
    ed = build_edition(mini, jobs=1)
    assert "table_A.51-1" not in ed.iods
    assert (
        "PS3.3 2024c: sect_A.51.3.html: table_A.51-1: unexpected columns ('IE', 'Module', "
        "'Reference', 'Use') for an IOD module table"
    ) in ed.problems
    # the module tables are still read; the functional group table has no IOD to belong to
    assert "table_C.8.20-2" in ed.tables
    assert any("table_A.51-2: functional group table belongs to no IOD" in p for p in ed.problems)


def test_truncated_docbook(
    mini: Path, standard: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = standard / "2016c-excerpt" / "docbook" / "part06.xml"
    if not source.exists():
        pytest.skip(f"{source} not found")
    data = source.read_bytes()
    # PS3.6 as truncated DocBook next to the XHTML PS3.3: reported, the rest builds
    (mini / "docbook").mkdir()
    part06 = mini / "docbook" / "part06.xml"
    part06.write_bytes(data[: len(data) * 2 // 3])
    ed = build_edition(mini, jobs=1)
    assert ed.formats["PS3.6"] == "docbook"
    bad = [p for p in ed.problems if p.startswith("PS3.6: ")]
    assert len(bad) == 1 and str(part06) in bad[0] and "not well-formed XML" in bad[0]
    assert "table_C.8.20-2" in ed.tables
    # PS3.3 as truncated DocBook: nothing to build; the error names the file
    broken = tmp_path / "broken"
    (broken / "docbook").mkdir(parents=True)
    part03 = broken / "docbook" / "part03.xml"
    excerpt = (standard / "2016c-excerpt" / "docbook" / "part03.xml").read_bytes()
    part03.write_bytes(excerpt[: len(excerpt) // 3])
    with pytest.raises(SourceError, match=r"part03\.xml: not well-formed XML"):
        build_edition(broken, jobs=1)
    code = main(["spec", "build", "--source", str(broken), "--out", str(tmp_path / "o"), "-q"])
    assert code == 2
    assert str(part03) in capsys.readouterr().err

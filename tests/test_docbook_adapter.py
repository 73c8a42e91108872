"""The DocBook adapter on NEMA's own DocBook files, checked against what the XML says and against
the chunked XHTML adapter on tables that did not change between editions."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from iodkit.codegen.sources.chtml import read_chtml_part
from iodkit.codegen.sources.docbook import gentext, read_docbook_part
from iodkit.codegen.sources.model import (
    Document,
    ItemizedList,
    Paragraph,
    TableRef,
    VariableList,
)
from iodkit.codegen.sources.xmlsafe import SourceError

pytestmark = pytest.mark.standard


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} not found (set IODKIT_STANDARD to a folder of editions)")
    return path


@pytest.fixture(scope="module")
def ps3_2016c(standard: Path) -> Document:
    return read_docbook_part(_need(standard / "2016c-excerpt" / "docbook" / "part03.xml"), 3)


@pytest.fixture(scope="module")
def ps6_2015b(standard: Path) -> Document:
    return read_docbook_part(_need(standard / "2015b" / "docbook" / "part06.xml"), 6)


@pytest.fixture(scope="module")
def ps4_2020c(standard: Path) -> Document:
    return read_docbook_part(_need(standard / "2020c" / "docbook" / "part04.xml"), 4)


def texts(row: tuple) -> list[str]:
    return [c.text for c in row]


# -- the 2016c PS3.3 excerpt ----------------------------------------------------------------------


def test_excerpt_reads_despite_repeated_ids(ps3_2016c: Document) -> None:
    doc = ps3_2016c
    assert (doc.part, doc.edition, doc.format) == (3, "2016c", "docbook")
    # The excerpt repeats sect_C.8.8.4 (and its subsections) and table_C.8-40.
    assert len(doc.problems) == 1
    assert "sect_C.8.8.4" in doc.problems[0] and "table_C.8-40" in doc.problems[0]
    assert "part03.xml" in doc.problems[0]
    assert doc.tables["table_C.8-40"].caption == "RT DVH Module Attributes"
    assert doc.sections["sect_C.8.8.4.1"].parent == "sect_C.8.8.4"


def test_sections_ids_labels_titles_parents(ps3_2016c: Document) -> None:
    sec = ps3_2016c.sections["sect_C.7.1.1"]
    assert (sec.label, sec.title, sec.parent) == ("C.7.1.1", "Patient Module", "sect_C.7.1")
    assert sec.heading == "C.7.1.1 Patient Module"
    assert sec.blocks[-1] == TableRef("table_C.7-1")
    first = sec.blocks[0]
    assert isinstance(first, Paragraph)
    assert first.text.startswith("Table C.7-1 specifies the Attributes of the Patient")
    assert first.links == ("table_C.7-1", "sect_C.2")
    annex = ps3_2016c.sections["chapter_A"]
    # Chapters hang below the book, as the XHTML pages' "up" link says.
    assert (annex.label, annex.title, annex.parent) == (
        "A",
        "Composite Information Object Definitions (Normative)",
        "PS3.3",
    )
    assert ps3_2016c.sections["sect_A.3.1"].parent == "sect_A.3"


def test_table_label_caption_and_header(ps3_2016c: Document) -> None:
    t = ps3_2016c.tables["table_C.7-1"]
    assert (t.label, t.caption, t.section_id) == (
        "C.7-1",
        "Patient Module Attributes",
        "sect_C.7.1.1",
    )
    assert t.header_texts == ("Attribute Name", "Tag", "Type", "Attribute Description")
    assert all(c.header for row in t.header for c in row)
    assert not any(c.header for row in t.body for c in row)
    assert texts(t.body[0])[:3] == ["Patient's Name", "(0010,0010)", "2"]
    assert list(ps3_2016c.tables_in("sect_C.7.1.1")) == [t]


def test_rowspan_and_an_xref_straight_in_a_cell(ps3_2016c: Document) -> None:
    # <td rowspan="2"><para>Patient</para></td> ... <td><xref linkend="sect_C.7.1.1"
    # xrefstyle="select: labelnumber"/></td>
    t = ps3_2016c.tables["table_A.3-1"]
    ie = t.body[0][0]
    assert (ie.text, ie.rowspan, ie.colspan) == ("Patient", 2, 1)
    grid = t.grid()
    assert grid[1][0] is ie and grid[2][0] is not ie
    assert texts(t.body[1]) == ["Clinical Trial Subject", "C.7.1.3", "U"]
    ref = t.body[0][2]
    assert (ref.text, ref.links) == ("C.7.1.1", ("sect_C.7.1.1",))
    study = t.body[2][0]
    assert (study.text, study.rowspan) == ("Study", 3)


def test_include_rows_are_italic_span_the_row_and_link_the_macro(ps3_2016c: Document) -> None:
    t = ps3_2016c.tables["table_8.8-1"]
    # <td colspan="4"><para><emphasis role="italic">Include <xref linkend="table_8.8-1a"
    # xrefstyle="select: label"/></emphasis></para></td>
    include = t.body[1][0]
    assert include.colspan == 4 and len(t.body[1]) == 1
    assert include.text == "Include Table 8.8-1a"
    assert include.links == ("table_8.8-1a",)
    assert include.italic == ("Include Table 8.8-1a",)
    # xrefstyle "select: label quotedtitle" brings the table's caption in quotes.
    dvh = ps3_2016c.tables["table_C.8-40"].body[1][0]
    assert dvh.text == ">Include Table 10-11 “SOP Instance Reference Macro Attributes”"
    assert dvh.links == ("table_10-11",)
    assert dvh.italic == (dvh.text,)
    # Without an italic run: the section heading rows.
    head = t.body[0][0]
    assert head.italic == ("BASIC CODED ENTRY ATTRIBUTES",)


def test_enumerated_values_are_a_variable_list(ps3_2016c: Document) -> None:
    t = ps3_2016c.tables["table_C.7-1"]
    row = next(r for r in t.body if r[0].text == "Patient's Sex")
    desc = row[3]
    assert desc.paragraphs[0].text == "Sex of the named patient."
    (vl,) = desc.variable_lists
    assert vl.title == "Enumerated Values:" and vl.intro == ""
    assert [(e.term, e.definition_text) for e in vl.entries] == [
        ("M", "male"),
        ("F", "female"),
        ("O", "other"),
    ]
    assert "Enumerated Values:\nM: male\nF: female\nO: other" in desc.text


def test_olinks_into_another_part(ps3_2016c: Document) -> None:
    # <emphasis role="italic">Baseline <olink targetdoc="PS3.16" targetptr="sect_CID_5002"
    # xrefstyle="select: labelnumber quotedtitle"/>.</emphasis> -- the number comes from the
    # target id; the title lives in PS3.16 and is left out.
    cell = next(c for r in ps3_2016c.tables["table_10-1"].body for c in r if "CID 5002" in c.text)
    assert cell.text == "Baseline CID 5002."
    assert cell.links == ("PS3.16:sect_CID_5002",)
    assert cell.italic == ("Baseline CID 5002.",)


def test_a_para_holding_a_list_is_split_like_the_stylesheets_split_it(ps3_2016c: Document) -> None:
    blocks = ps3_2016c.sections["sect_C.7.6.16.2.11.1.2"].blocks
    i = next(
        i
        for i, b in enumerate(blocks)
        if isinstance(b, Paragraph) and b.text.startswith("For example, Cerebral Blood Flow")
    )
    lst, after = blocks[i + 1], blocks[i + 2]
    assert isinstance(lst, ItemizedList)
    assert lst.items[0][0].text.startswith("Measurement Units Code Sequence (0040,08EA)")
    assert lst.items[1][1].links == ("PS3.16:DCM_113055",)
    assert after == Paragraph("")  # the blank run after the list, as its own <p>


def test_xref_to_a_section_missing_from_the_excerpt_names_it_from_its_id(
    ps3_2016c: Document,
) -> None:
    paras = [b for b in ps3_2016c.sections["sect_8.8"].blocks if isinstance(b, Paragraph)]
    assert paras[0].text.startswith("Table 8.8-1 specifies the default set of Attributes")
    cell = ps3_2016c.tables["table_8.8-1"].body[2][3]
    assert cell.paragraphs[-1] == Paragraph("See Section 8.9.", ("sect_8.9",))
    assert "sect_8.9" not in ps3_2016c.sections


def test_select_reads_only_the_chosen_sections(standard: Path) -> None:
    path = _need(standard / "2016c-excerpt" / "docbook" / "part03.xml")
    seen: list[str] = []

    def select(name: str) -> bool:
        seen.append(name)
        return name.startswith("sect_C.7.1")

    calls: list[tuple[int, int]] = []
    doc = read_docbook_part(path, 3, select=select, progress=lambda i, n: calls.append((i, n)))
    assert "sect_C.7.1.html" in seen  # the same names as the XHTML pages
    assert set(doc.sections) >= {"sect_C.7.1", "sect_C.7.1.1", "sect_C.7.1.3.1.1"}
    assert all(s.startswith("sect_C.7.1") for s in doc.sections)
    assert doc.sections["sect_C.7.1"].parent == "sect_C.7"
    assert "table_C.7-1" in doc.tables and "table_8.8-1" not in doc.tables
    assert calls == [(1, 4), (2, 4), (3, 4), (4, 4)]  # chapters 8, 10, A and C


def test_an_explicit_edition_wins_and_the_disagreement_is_recorded(standard: Path) -> None:
    path = _need(standard / "2016c-excerpt" / "docbook" / "part06.xml")
    doc = read_docbook_part(path, 6, "2016d")
    assert doc.edition == "2016d"
    assert any("2016c" in p and "part06.xml" in p for p in doc.problems)


# -- whole parts of other editions --------------------------------------------------------------


def test_ps3_6_2015b(ps6_2015b: Document) -> None:
    doc = ps6_2015b
    assert (doc.edition, doc.problems) == ("2015b", [])
    t = doc.tables["table_6-1"]
    assert (t.label, t.caption, t.section_id) == (
        "6-1",
        "Registry of DICOM Data Elements",
        "chapter_6",
    )
    assert t.header_texts == ("Tag", "Name", "Keyword", "VR", "VM", "")
    rows = {r[0].text: r for r in t.body}
    assert len(rows) > 3800
    assert texts(rows["(0010,0010)"]) == [
        "(0010,0010)",
        "Patient's Name",
        "PatientName",
        "PN",
        "1",
        "",
    ]
    retired = rows["(0008,0001)"]  # retired entries are written in italics
    assert texts(retired) == ["(0008,0001)", "Length to End", "LengthToEnd", "UL", "1", "RET"]
    assert all(c.italic == (c.text,) for c in retired)
    uids = {r[0].text: r for r in doc.tables["table_A-1"].body}
    ct = uids["1.2.840.10008.5.1.4.1.1.2"]
    assert texts(ct) == ["1.2.840.10008.5.1.4.1.1.2", "CT Image Storage", "SOP Class", "PS3.4"]
    assert ct[3].links == ("PS3.4:PS3.4",)  # <olink targetdoc="PS3.4" targetptr="PS3.4"/>
    cid = doc.tables["table_A-3"].body[0]
    assert cid[1].text == "CID 2" and cid[1].links == ("PS3.16:sect_CID_2",)


def test_ps3_4_2020c(ps4_2020c: Document) -> None:
    doc = ps4_2020c
    assert (doc.edition, doc.problems) == ("2020c", [])
    assert len(doc.sections) > 1000 and len(doc.tables) > 190
    # <glossary><glossdiv xml:id="sect_3.1"> ... : each glossdiv is a section, its entries a list
    gloss = doc.sections["sect_3.1"]
    assert (gloss.title, gloss.parent) == ("Reference Model Definitions", "chapter_3")
    first = gloss.blocks[0]
    assert isinstance(first, Paragraph)
    # <xref linkend="biblio_ISO7498-1"/> prints the bibliography entry's abbreviation
    assert first.text.endswith("defined in [ISO 7498-1]:")
    assert first.links == ("biblio_ISO7498-1",)
    terms = gloss.blocks[1]
    assert isinstance(terms, VariableList)
    assert [e.term for e in terms.entries] == [
        "Application Entity",
        "Service",
        "Application Entity Title (AET)",
    ]
    assert doc.sections["sect_3.2"].parent == "chapter_3"
    # Standard SOP classes: the IOD column olinks into PS3.3 with xrefstyle "select: title";
    # that title lives in PS3.3, so the cell keeps the link and no text.
    t = doc.tables["table_B.5-1"]
    assert t.caption == "Standard SOP Classes"
    ct = next(r for r in t.body if r[0].text == "CT Image Storage")
    assert ct[1].text == "1.2.840.10008.5.1.4.1.1.2"
    assert (ct[2].text, ct[2].links) == ("", ("PS3.3:sect_A.3",))
    # <td><olink targetdoc="PS3.3" targetptr="sect_A.81" xrefstyle="select: title"/></td>: no
    # para around it and no text to show, yet the link stays.
    car = next(r for r in t.body if r[0].text == "Content Assessment Results Storage")
    assert car[2].blocks == (Paragraph("", ("PS3.3:sect_A.81",)),)
    # xrefstyle "template:Annex %n" and an olink to a whole part.
    sequences = doc.sections["sect_5.2"].blocks[1]
    assert sequences == Paragraph(
        "In Annex A, '>' is used to identify a 'Sequence of Modules.' Nested Sequences of Modules "
        "are identified by '>>'. In Annex B and Annex C, '>' is used to identify a 'Sequence of "
        "Attributes'. See PS3.5 for the complete specification of how Sequences of Items shall "
        "be encoded.",
        ("chapter_A", "chapter_B", "chapter_C", "PS3.5:PS3.5"),
    )


# -- DocBook and XHTML give the same model --------------------------------------------------------

# Tables that read the same in the 2016c DocBook and in the 2024c XHTML (compared by reading
# both: 40 of the 165 tables the excerpt shares with 2024c; the others changed wording).
UNCHANGED = {
    "table_8.8-1": "sect_8.8.html",  # include rows: colspan, italics, links
    "table_8.8-1b": "sect_8.8.html",  # a list of Enumerated Values, an olink into PS3.16
    "table_C.7.6.16-18": "sect_C.7.6.16.2.html",  # two variable lists
    "table_C.7.6.18-3": "sect_C.7.6.18.3.html",
    "table_C.8.19.6-4": "sect_C.8.19.6.4.html",  # lists and section links
    "table_C.8.19.6-13": "sect_C.8.19.6.13.html",  # many section links
    "table_C.7-24": "sect_C.7.9.2.html",  # a plain table
}


@pytest.fixture(scope="module")
def ps3_2024c_pages(chtml_2024c: Path) -> Document:
    pages = set(UNCHANGED.values())
    return read_chtml_part(chtml_2024c / "part03", 3, "2024c", select=lambda n: n in pages)


@pytest.mark.parametrize("table_id", sorted(UNCHANGED))
def test_unchanged_tables_read_the_same_from_docbook_and_xhtml(
    table_id: str, ps3_2016c: Document, ps3_2024c_pages: Document
) -> None:
    db, xh = ps3_2016c.tables[table_id], ps3_2024c_pages.tables[table_id]
    assert [texts(r) for r in db.header] == [texts(r) for r in xh.header]
    assert [texts(r) for r in db.body] == [texts(r) for r in xh.body]
    # ...and not only the texts: spans, links, italics, lists, the table's own names.
    assert db.header == xh.header and db.body == xh.body
    assert (db.label, db.caption, db.section_id) == (xh.label, xh.caption, xh.section_id)


def test_a_changed_table_is_told_apart(ps3_2016c: Document, chtml_2024c: Path) -> None:
    """The comparison above can fail: the Modality LUT Module's include row spans 3 columns in
    2016c (plus an empty cell) and 4 in 2024c."""
    xh = read_chtml_part(chtml_2024c / "part03", 3, "2024c", select=lambda n: n == "sect_C.11.html")
    db, new = ps3_2016c.tables["table_C.11-1"], xh.tables["table_C.11-1"]
    assert db.body[0][0].text == new.body[0][0].text
    assert (db.body[0][0].colspan, new.body[0][0].colspan) == (3, 4)
    assert db.body != new.body


# -- generated cross-reference text ----------------------------------------------------------


@pytest.mark.parametrize(
    ("style", "kind", "label", "title", "docname", "expected"),
    [
        ("select: label", "Table", "8.8-1a", "Basic Code", "", "Table 8.8-1a"),
        ("select: labelnumber", "Section", "C.7.1.3", "X", "", "C.7.1.3"),
        ("select: title", "Section", "C.7.3.1", "General Series", "", "General Series"),
        ("select: label quotedtitle", "Table", "10-11", "SOP Ref", "", "Table 10-11 “SOP Ref”"),
        ("select: label title", "Section", "B.5.1", "Spec", "", "Section B.5.1 Spec"),
        ("template:Annex %n", "Chapter", "A", "T", "", "Annex A"),
        ("select: docname label quotedtitle", "Section", "C.11.1", "Modality LUT Module", "PS3.3",
         "Section C.11.1 “Modality LUT Module” in PS3.3"),
        ("template:Annex %n “%t” in PS3.17", "Chapter", "E", None, "PS3.17", "Annex E in PS3.17"),
        ("select: labelnumber quotedtitle", "Section", "CID 5002", None, "PS3.16", "CID 5002"),
    ],
)  # fmt: skip
def test_gentext(style, kind, label, title, docname, expected) -> None:  # type: ignore[no-untyped-def]
    assert gentext(style, kind, label, title, docname) == expected


# -- bad and hostile input ------------------------------------------------------------------------


def test_missing_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "part03.xml"
    with pytest.raises(SourceError, match="part03.xml: file not found"):
        read_docbook_part(path, 3)


def test_truncated_xml_names_the_file(tmp_path: Path, standard: Path) -> None:
    data = _need(standard / "2016c-excerpt" / "docbook" / "part03.xml").read_bytes()
    path = tmp_path / "part03.xml"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(SourceError, match=r"part03\.xml: not well-formed XML"):
        read_docbook_part(path, 3)


def test_a_book_of_another_part_is_refused(standard: Path) -> None:
    path = _need(standard / "2015b" / "docbook" / "part06.xml")
    with pytest.raises(SourceError, match=r"part06\.xml: this is PS3\.6, not PS3\.3"):
        read_docbook_part(path, 3)


def test_not_a_book_and_no_edition(tmp_path: Path) -> None:
    other = tmp_path / "other.xml"
    other.write_text('<article xmlns="http://docbook.org/ns/docbook"/>')
    with pytest.raises(SourceError, match="other.xml: not a DocBook book"):
        read_docbook_part(other, 3)
    bare = tmp_path / "bare.xml"
    bare.write_text('<book xmlns="http://docbook.org/ns/docbook"><title>PS3.3</title></book>')
    with pytest.raises(SourceError, match="bare.xml: no edition"):
        read_docbook_part(bare, 3)
    assert read_docbook_part(bare, 3, "2025c").edition == "2025c"


class _Recorder(http.server.BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self) -> None:  # noqa: N802
        type(self).requests.append(self.path)
        body = b'<!ENTITY injected "FETCHED">'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def recorder() -> Iterator[str]:
    _Recorder.requests = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_doctype_and_entities_neither_fetch_nor_expand(tmp_path: Path, recorder: str) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-CONTENT")
    local_dtd = tmp_path / "local.dtd"
    local_dtd.write_text('<!ENTITY injected "FROM-LOCAL-DTD">')
    path = tmp_path / "part03.xml"
    path.write_text(
        f"""<?xml version="1.0"?>
<!DOCTYPE book [
  <!ENTITY secret SYSTEM "{secret.as_uri()}">
  <!ENTITY remote SYSTEM "{recorder}/remote.xml">
  <!ENTITY % local SYSTEM "{local_dtd.as_uri()}">
  %local;
  <!ENTITY % net SYSTEM "{recorder}/evil.dtd">
  %net;
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<book xmlns="http://docbook.org/ns/docbook" xml:id="PS3.3">
  <title>PS3.3</title><subtitle>DICOM PS3.3 2025c - Information Object Definitions</subtitle>
  <chapter xml:id="chapter_1"><title>Scope</title>
    <para>a &secret; b &remote; c &lol3; d &injected; e</para>
  </chapter>
</book>
"""
    )
    doc = read_docbook_part(path, 3)
    assert _Recorder.requests == []
    assert doc.sections["chapter_1"].blocks == [Paragraph("a b c d e")]
    # A DOCTYPE naming an external DTD (as the XHTML pages do) is not fetched either.
    path.write_text(
        f'<!DOCTYPE book PUBLIC "-//OASIS//DTD DocBook XML V5.0//EN" "{recorder}/docbook.dtd">\n'
        '<book xmlns="http://docbook.org/ns/docbook"><subtitle>DICOM PS3.3 2025c - x</subtitle>'
        '<chapter xml:id="chapter_1"><title>Scope</title><para>ok</para></chapter></book>'
    )
    assert read_docbook_part(path, 3).sections["chapter_1"].blocks == [Paragraph("ok")]
    assert _Recorder.requests == []


def test_cals_tables_spans(tmp_path: Path) -> None:
    """NEMA's files use HTML-style tables; CALS tables (namest/nameend, morerows) read too."""
    path = tmp_path / "part03.xml"
    path.write_text(
        """<book xmlns="http://docbook.org/ns/docbook">
<subtitle>DICOM PS3.3 2025c - Information Object Definitions</subtitle>
<chapter xml:id="chapter_9"><title>Cals</title>
<table xml:id="table_9-1"><title>A <emphasis role="italic">CALS</emphasis> Table</title>
<tgroup cols="3">
  <colspec colname="c1"/><colspec colname="c2"/><colspec colname="c3"/>
  <spanspec spanname="all" namest="c1" nameend="c3"/>
  <thead><row><entry>Name</entry><entry>Tag</entry><entry>Type</entry></row></thead>
  <tbody>
    <row><entry spanname="all"><para>Include <xref linkend="table_9-1"/></para></entry></row>
    <row><entry morerows="1">Big</entry><entry namest="c2" nameend="c3">wide</entry></row>
    <row><entry>x</entry><entry>y</entry></row>
  </tbody>
</tgroup></table>
<informaltable><tr><td>loose</td></tr></informaltable>
</chapter></book>"""
    )
    doc = read_docbook_part(path, 3)
    t = doc.tables["table_9-1"]
    assert (t.label, t.caption) == ("9-1", "A CALS Table")
    assert t.header_texts == ("Name", "Tag", "Type")
    include = t.body[0][0]
    assert include.colspan == 3 and include.text == "Include Table 9-1 “A CALS Table”"
    big, wide = t.body[1]
    assert (big.rowspan, big.colspan, wide.colspan) == (2, 1, 2)
    assert [[c.text for c in r] for r in t.grid()] == [
        ["Include Table 9-1 “A CALS Table”"] * 3,
        ["Big", "wide", "wide"],
        ["Big", "x", "y"],
    ]
    informal = doc.tables["chapter_9#informal2"]
    assert informal.body[0][0].text == "loose" and informal.label == ""
    assert doc.sections["chapter_9"].blocks == [
        TableRef("table_9-1"),
        TableRef("chapter_9#informal2"),
    ]


# -- term lists inside list items -----------------------------------------------------------------

_LIST_IN_ITEM = """<?xml version="1.0" encoding="utf-8"?>
<book xmlns="http://docbook.org/ns/docbook" label="PS3.3" version="5.0" xml:id="PS3.3">
  <title>PS3.3</title>
  <subtitle>DICOM PS3.3 2024c - Information Object Definitions</subtitle>
  <chapter label="C" xml:id="chapter_C"><title>Information Module Definitions</title>
    <section label="C.7.6.1.1.2" xml:id="sect_C.7.6.1.1.2"><title>Image Type</title>
      <para>The Image Type Attribute is multi-valued and shall be provided in the following
        manner:</para>
      <orderedlist numeration="loweralpha">
        <listitem>
          <para>Value 1 shall identify the Pixel Data Characteristics</para>
          <variablelist spacing="compact"><title>Enumerated Values:</title>
            <varlistentry><term>ORIGINAL</term><listitem><para>identifies an Original
              Image</para></listitem></varlistentry>
            <varlistentry><term>DERIVED</term><listitem><para>identifies a Derived
              Image</para></listitem></varlistentry>
          </variablelist>
        </listitem>
        <listitem><para>Value 3 shall identify any Image IOD specific specialization
          (optional)</para></listitem>
      </orderedlist>
    </section>
  </chapter>
</book>
"""


def test_term_lists_inside_list_items_are_kept_docbook(tmp_path: Path) -> None:
    path = tmp_path / "part03.xml"
    path.write_text(_LIST_IN_ITEM, encoding="utf-8")
    doc = read_docbook_part(path, 3)
    lst = next(b for b in doc.sections["sect_C.7.6.1.1.2"].blocks if isinstance(b, ItemizedList))
    assert lst.items[0][0].text == "Value 1 shall identify the Pixel Data Characteristics"
    [terms] = lst.item_lists[0]
    assert terms.title == "Enumerated Values:"
    assert [e.term for e in terms.entries] == ["ORIGINAL", "DERIVED"]
    assert lst.item_lists[1] == ()


def test_term_lists_inside_list_items_are_kept_xhtml(chtml_2024c: Path) -> None:
    # the same section as NEMA renders it (sect_C.7.6.html)
    doc = read_chtml_part(
        chtml_2024c / "part03", 3, "2024c", select=lambda n: n == "sect_C.7.6.html"
    )
    blocks = doc.sections["sect_C.7.6.1.1.2"].blocks
    lst = next(
        b
        for b in blocks
        if isinstance(b, ItemizedList) and b.items[0][0].text.startswith("Value 1 shall")
    )
    assert [[e.term for e in vl.entries] for vl in lst.item_lists[0]] == [["ORIGINAL", "DERIVED"]]
    assert [[e.term for e in vl.entries] for vl in lst.item_lists[1]] == [["PRIMARY", "SECONDARY"]]
    assert lst.item_lists[2] == ()
    # a list without term lists carries none
    other = next(b for b in blocks if isinstance(b, ItemizedList) and b is not lst)
    assert other.item_lists == ()

"""The spec extraction on NEMA's DocBook (the format real users point the generator at).

* PS3.3 2016c (a third party's excerpt): it parses despite repeated ids, and its module and
  macro tables are compared with the 2024c XHTML ones. Every table that differs is listed with
  the reason found by reading both sources.
* PS3.6 2015b: the complete data element registry, compared with pydicom's dictionary.
* PS3.4 2020c: the SOP class tables.
"""

from __future__ import annotations

import re
from pathlib import Path

import pydicom.datadict
import pytest
from iodkit.codegen.sources.docbook import read_docbook_part
from iodkit.codegen.spec.model import AttributeRule, AttributeTable, Edition, IncludeRule, Rule
from iodkit.codegen.spec.ps3_3 import Ps33Extractor, extract, include_cycles
from iodkit.codegen.spec.ps3_4 import extract_sop_classes
from iodkit.codegen.spec.ps3_6 import extract_dictionary, extract_uids

pytestmark = pytest.mark.standard


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} not found (set IODKIT_STANDARD to a folder of editions)")
    return path


@pytest.fixture(scope="module")
def ps3_2016c(standard: Path) -> Ps33Extractor:
    return extract(
        read_docbook_part(_need(standard / "2016c-excerpt" / "docbook" / "part03.xml"), 3)
    )


# -- PS3.3 2016c excerpt --------------------------------------------------------------------------


def test_2016c_excerpt_extracts(ps3_2016c: Ps33Extractor) -> None:
    ex = ps3_2016c
    assert ex.doc.edition == "2016c"
    # the repeated ids are reported by the adapter, and the rest is read
    assert any("repeated xml:id" in p and "table_C.8-40" in p for p in ex.doc.problems)
    kinds = sorted(t.kind for t in ex.tables.values())
    assert (kinds.count("module"), kinds.count("macro"), kinds.count("other")) == (51, 84, 5)
    assert sorted(ex.iods) == ["table_A.18.3-1", "table_A.3-1", "table_A.38-1", "table_A.47-1"]
    # the excerpt leaves out the tables these includes name (none of the three ids is in the
    # file): reported, marked unlinked
    assert ex.problems == [
        "PS3.3 2016c: part03.xml: table_C.7.6.20-1: include row 'Include Table 10-15' does not "
        "link to a table",
        "PS3.3 2016c: part03.xml: table_C.8.19.2-1: include row 'Include Table 10.41-1' does "
        "not link to a table",
        "PS3.3 2016c: part03.xml: table_C.8.19.5-1: include row 'Include Table C.8-71b' does "
        "not link to a table",
    ]
    # The third party added a row ">>Include Table 10-18" inside Table 10-18 itself (it repeats
    # the paragraph ids of the row above it): a cycle that a generator must not follow forever.
    assert include_cycles(ex.tables) == [["table_10-18", "table_10-18"]]
    # every IOD row of the excerpt resolves (its IOD tables are cut down, so they are not
    # compared with 2024c: Table A.47-1 keeps 22 of its rows)
    for iod in ex.iods.values():
        assert all(m.table in ex.tables for m in iod.modules), iod.id
        assert all(f.table in ex.tables for f in iod.functional_groups), iod.id


def projection(rules: list[Rule]) -> list[tuple]:
    """What must not change when a module does not change: tags, names, types, nesting,
    includes, and the Enumerated Values / Defined Terms of each attribute's own cell (as sets:
    the order of a list is no requirement). Descriptions and condition wording are not compared
    (editorial changes are frequent)."""
    out: list[tuple] = []
    for r in rules:
        if isinstance(r, AttributeRule):
            own = sorted(
                (v.kind, tuple(sorted(v.values))) for v in r.value_sets if v.source == r.source
            )
            out.append(("attribute", r.tag, r.name, r.type, tuple(own), tuple(projection(r.items))))
        elif isinstance(r, IncludeRule):
            out.append(("include", r.table, r.placeholder, tuple(projection(r.nested))))
    return out


# Read in both sources (the excerpt's XML and the 2024c pages); "2024c adds …" means the rows are
# in 2024c and not in 2016c.
DIFFER = {
    "table_10-1": "Person Identification Macro: 2024c adds Institutional Department Name and "
    "Institutional Department Type Code Sequence",
    "table_10-18": "Issuer of Patient ID Macro: the excerpt's own inserted >>Include Table 10-18 "
    "(see test_2016c_excerpt_extracts)",
    "table_10-2": "Content Item Macro: 2024c adds Observation DateTime, Observation Start "
    "DateTime, >Referenced Waveform Channels and Value Type WAVEFORM",
    "table_C.11-2b": "VOI LUT Macro: 2024c adds the Defined Term LINEAR_EXACT",
    "table_C.12-1": "SOP Common Module: in 2016c the items of Context Group Identification "
    "Sequence and Mapping Resource Identification Sequence lack their '>' marks (so they read "
    "as top-level attributes); 2024c adds Synthetic Data, Coding Scheme Resources Sequence, "
    "Private Data Element Definition Sequence, device identification, Instance Origin Status, "
    "Barcode Value, and moves Original Attributes Sequence into Table C.12.1.1.9-1",
    "table_C.12-6": "Digital Signatures Macro: 2024c moves MAC Algorithm's Defined Terms into "
    "Table C.12.1.1.3.1.2-1, which the extraction does not read as a value list",
    "table_C.17-3a": "Hierarchical Series Reference Macro: MAC Algorithm, as in Table C.12-6",
    "table_C.17-3b": "Identified Person or Device Macro: 2024c adds Organizational Role Code "
    "Sequence, device serial number, software versions, dates of manufacture and installation, "
    "Institutional Department Type Code Sequence",
    "table_C.7-1": "Patient Module: 2024c adds Type of Patient ID, Ethnic Group Code Sequence, "
    "Genetic Modifications Sequence; Other Patient IDs is retired",
    "table_C.7-10": "Image Plane Module: 2024c adds Spacing Between Slices",
    "table_C.7-11a": "Image Pixel Module: 2024c includes Image Pixel Description Macro (C.7-11c) "
    "and lists Pixel Data and the Extended Offset Table attributes itself",
    "table_C.7-11b": "Image Pixel Macro: 2024c includes C.7-11c instead of listing its attributes; "
    "Pixel Data becomes Type 1",
    "table_C.7-14": "Multi-frame Module: 2024c adds Encapsulated Pixel Data Value Total Length",
    "table_C.7-18": "Device Module: 2024c adds >Date of Manufacture",
    "table_C.7-2b": "Clinical Trial Subject Module: 2024c adds the Issuer of … ID attributes and "
    "Other Clinical Trial Protocol IDs Sequence",
    "table_C.7-3": "General Study Module: 2024c adds Requesting Service",
    "table_C.7-4a": "Patient Study Module: 2024c adds body mass index, measured dimensions, "
    "medical alerts, allergies, smoking and pregnancy status, Patient State, Reason for Visit",
    "table_C.7-4b": "Clinical Trial Study Module: 2024c adds time point type and issuer, "
    "longitudinal temporal offset and event type, >Issuer of Clinical Trial Protocol ID",
    "table_C.7-5a": "General Series Module: 2024c adds Treatment Session UID",
    "table_C.7-5b": "Clinical Trial Series Module: 2024c adds Issuer of Clinical Trial Series ID",
    "table_C.7-8": "General Equipment Module: 2024c adds department type, device class UID, UDI "
    "Sequence, Device UID, dates of manufacture and installation",
    "table_C.7-9": "General Image Module: 2024c moves the acquisition attributes to the General "
    "Acquisition Module and the reference sequences to the General Reference Module, adds Image "
    "Laterality and an anatomy macro, and Quality Control Image gains BOTH",
    "table_C.7.6.14-1": "Acquisition Context Module: 2024c includes the Content Item with "
    "Modifiers Macro (10.2.1-1) instead of listing the content item attributes",
    "table_C.7.6.16-1": "Multi-frame Functional Groups Module: 'Per-frame' becomes 'Per-Frame' "
    "Functional Groups Sequence, Type 1 → 1C; 2024c adds Encapsulated Pixel Data Value Total "
    "Length",
    "table_C.7.6.16-12b": "Real World Value Mapping Item Macro: includes Table 10.2.1-1 instead of "
    "Table 10-2",
    "table_C.7.6.16-2": "Pixel Measures Macro: Spacing Between Slices Type 3 → 1C",
    "table_C.7.6.16-6": "Referenced Image Macro: Purpose of Reference Code Sequence Type 1 → 1C",
    "table_C.7.6.16-7": "Derivation Image Macro: Derivation Code Sequence and Purpose of Reference "
    "Code Sequence Type 1 → 1C",
    "table_C.7.6.17-1": "Multi-frame Dimension Module: Dimension Index Sequence 1 → 1C, Dimension "
    "Organization UID 1C → 1, Dimension Organization Type gains TILED_FULL and TILED_SPARSE",
    "table_C.7.6.18-1": "Cardiac Synchronization Module: Skip Beats Type 1C → 3",
    "table_C.7.6.20-1": "Patient Orientation Module: Table 10-15 is not in the excerpt (unlinked)",
    "table_C.8-114": "Enhanced CT Image Module: 2024c adds Multi-energy CT Acquisition, includes "
    "the Hierarchical Evidence Reference Macro instead of five reference sequences and the RT "
    "Equipment Mapping and Plan Reference Macro instead of Isocenter Position + Table 10-27",
    "table_C.8-119": "CT Acquisition Details Macro: 2024c adds >Referenced Path Index",
    "table_C.8-122": "CT Geometry Macro: 2024c adds >Referenced Path Index",
    "table_C.8-124": "CT Exposure Macro: 2024c adds >Referenced X-Ray Source Index and Image and "
    "Fluoroscopy Area Dose Product, retires Estimated Dose Saving, renames Water Equivalent "
    "Diameter (Calculation) Method Code Sequence",
    "table_C.8-125": "CT X-Ray Details Macro: 2024c adds >Referenced Path Index; Filter Material's "
    "Defined Terms move to PS3.16 Annex P",
    "table_C.8-3": "CT Image Module: as Enhanced CT (Multi-energy CT Acquisition, Filter Material, "
    "area dose product, Estimated Dose Saving retired, RT Equipment Mapping macro)",
    "table_C.8-37": "RT Series Module: 2024c adds Treatment Session UID",
    "table_C.8-39": "RT Dose Module: 2024c adds Content Date/Time, Entity Long Label, Plan "
    "Overview Sequence and Dose Summation Type PLAN_OVERVIEW",
    "table_C.8-41": "Structure Set Module: 2024c adds Source Series Information Sequence, "
    "conceptual volumes, ROI DateTime, protocol, creator, derivation algorithm and definition "
    "source sequences",
    "table_C.8-42": "ROI Contour Module: 2024c adds Source Pixel Planes Characteristics and Source "
    "Series sequences and CLOSEDPLANAR_XOR; Attached Contours, Contour Slab Thickness and Contour "
    "Offset Vector are retired",
    "table_C.8.19.2-1": "Enhanced XA/XRF Image Module: Table 10.41-1 is not in the excerpt",
    "table_C.8.19.5-1": "X-Ray Detector Module: Table C.8-71b is not in the excerpt",
    "table_C.9-3": "Multi-frame Overlay Module: Image Frame Origin Type 3 → 1C",
}
ONLY_2016C = {
    "table_10-27": "RT Equipment Correlation Macro: gone from 2024c",
    "table_C.8-43": "RT Dose ROI Module: retired",
}
SAME = """
table_10-11 table_10-16 table_10-17 table_10-25 table_10-3 table_10-3b table_10-3c table_10-4
table_10-5 table_10-6 table_10-7 table_10-8 table_10-9 table_8.8-1 table_8.8-1a table_8.8-1b
table_C.11-1 table_C.11-1b table_C.11-2 table_C.11.15-1 table_C.12-7 table_C.12-8 table_C.12-9
table_C.17-3 table_C.7-12 table_C.7-12b table_C.7-17a table_C.7-22 table_C.7-22a table_C.7-5c
table_C.7-6 table_C.7-7 table_C.7-8b table_C.7.1.4-1 table_C.7.16-13 table_C.7.6.16-10
table_C.7.6.16-10b table_C.7.6.16-11 table_C.7.6.16-11b table_C.7.6.16-12 table_C.7.6.16-14
table_C.7.6.16-15 table_C.7.6.16-16 table_C.7.6.16-17 table_C.7.6.16-18 table_C.7.6.16-19
table_C.7.6.16-3 table_C.7.6.16-4 table_C.7.6.16-5 table_C.7.6.16-8 table_C.7.6.16-9
table_C.7.6.16.2-20 table_C.7.6.16.2-21 table_C.7.6.16.2.21-1 table_C.7.6.16.2.22-1
table_C.7.6.16.2.23-1 table_C.7.6.16.2.24-1 table_C.7.6.16.2.25.1-1 table_C.7.6.16.2.25.2-1
table_C.7.6.16.2.25.3-1 table_C.7.6.18-2 table_C.7.6.18-3 table_C.7.6.19-1 table_C.7.6.22-1
table_C.7.6.22-2 table_C.8-113 table_C.8-117 table_C.8-118 table_C.8-120 table_C.8-121
table_C.8-123 table_C.8-126 table_C.8-126b table_C.8-131 table_C.8-40 table_C.8.19.1-1
table_C.8.19.3-1 table_C.8.19.4-1 table_C.8.19.6-1 table_C.8.19.6-10 table_C.8.19.6-11
table_C.8.19.6-12 table_C.8.19.6-13 table_C.8.19.6-14 table_C.8.19.6-2 table_C.8.19.6-3
table_C.8.19.6-4 table_C.8.19.6-5 table_C.8.19.6-6 table_C.8.19.6-7 table_C.8.19.6-8
table_C.8.19.6-9 table_C.8.19.7-1 table_C.9-2
""".split()


def test_2016c_modules_compare_with_2024c(ps3_2016c: Ps33Extractor, edition_2024c: Edition) -> None:
    old: dict[str, AttributeTable] = ps3_2016c.tables
    new = edition_2024c.tables
    assert {tid: True for tid in old if tid not in new} == {tid: True for tid in ONLY_2016C}
    same = sorted(
        tid
        for tid in old
        if tid in new and projection(old[tid].rules) == projection(new[tid].rules)
    )
    differ = sorted(tid for tid in old if tid in new and tid not in same)
    assert differ == sorted(DIFFER)
    assert same == sorted(SAME)
    assert len(same) == 94 and len(same) + len(differ) + len(ONLY_2016C) == len(old)


def test_2016c_unchanged_table_reads_the_same_in_detail(
    ps3_2016c: Ps33Extractor, edition_2024c: Edition
) -> None:
    # Beyond the projection: conditions, value lists and include qualifiers of a table that did
    # not change come out word for word the same from DocBook and from XHTML.
    for tid in ("table_C.7.6.16-3", "table_C.8.19.6-1", "table_10-11"):
        old, new = ps3_2016c.tables[tid], edition_2024c.tables[tid]
        assert (old.label, old.name, old.kind) == (new.label, new.name, new.kind)
        for a, b in zip(old.rules, new.rules, strict=True):
            if isinstance(a, AttributeRule):
                assert isinstance(b, AttributeRule)
                assert (a.condition, a.otherwise) == (b.condition, b.otherwise), a.name
                assert [(v.kind, v.values, v.condition) for v in a.value_sets] == [
                    (v.kind, v.values, v.condition) for v in b.value_sets
                ], a.name
            elif isinstance(a, IncludeRule):
                assert isinstance(b, IncludeRule)
                assert (a.table, a.qualifier, a.condition) == (b.table, b.qualifier, b.condition)


# -- PS3.6 2015b ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def registry_2015b(standard: Path) -> dict:
    doc = read_docbook_part(_need(standard / "2015b" / "docbook" / "part06.xml"), 6)
    return {"doc": doc, "dictionary": extract_dictionary(doc), "uids": extract_uids(doc)}


def test_2015b_registry_is_complete(registry_2015b: dict, standard: Path) -> None:
    d = registry_2015b["dictionary"]
    # rows of Tables 6-1, 7-1 and 8-1, counted in the XML itself
    xml = (standard / "2015b" / "docbook" / "part06.xml").read_text(encoding="utf-8")
    rows = 0
    for tid in ("table_6-1", "table_7-1", "table_8-1"):
        start = xml.index(f'xml:id="{tid}"')
        body = xml[start : xml.index("</table>", start)]
        rows += body.count("<tr") - 1  # the header row
    assert len(d) == rows == 3879 + 12 + 19
    assert sum(e.source == "PS3.6 2015b table_6-1" for e in d.values()) == 3879
    seg = d["(0062,0001)"]
    assert (seg.name, seg.keyword, seg.vr, seg.vm, seg.retired) == (
        "Segmentation Type",
        "SegmentationType",
        "CS",
        "1",
        False,
    )
    assert d["(60xx,0010)"].keyword == "OverlayRows"
    assert d["(0002,0010)"].source == "PS3.6 2015b table_7-1"
    # "RET" in the last column, also "RET - See Note"; "DICONDE"/"DICOS" are not retirements
    assert d["(0014,0023)"].retired and d["(0028,0020)"].retired
    assert not d["(0014,40A0)"].retired
    uids, problems = registry_2015b["uids"]
    assert problems == []
    # 2015b's Table A-1 has no keyword column yet
    evle = uids["1.2.840.10008.1.2.1"]
    assert (evle.name, evle.keyword, evle.type) == (
        "Explicit VR Little Endian",
        "",
        "Transfer Syntax",
    )


# 2015b's registry against pydicom's (built from a recent edition). Each 2015b value was read in
# part06.xml; each difference is a change made by a later edition, or a notation of 2015b.
PYDICOM_DIFFERENCES = {
    # later editions changed VR or VM
    "(0008,9007)": (("CS", "4"), ("CS", "4-5")),  # Frame Type gained a fifth value
    "(0014,0023)": (("ST", "1-n"), ("ST", "1")),  # DICONDE ST attributes: VM 1-n → 1 (ST
    "(0014,0024)": (("ST", "1-n"), ("ST", "1")),  # is single-valued by definition)
    "(0014,0025)": (("ST", "1-n"), ("ST", "1")),
    "(0014,0028)": (("ST", "1-n"), ("ST", "1")),
    "(0014,0042)": (("ST", "1-n"), ("ST", "1")),
    "(0014,0044)": (("ST", "1-n"), ("ST", "1")),
    "(0014,0045)": (("ST", "1-n"), ("ST", "1")),
    "(0014,40A0)": (("LO", "1"), ("LO", "1-n")),
    "(0014,40A1)": (("LO", "1"), ("LO", "1-n")),
    "(0014,40A2)": (("LO", "1"), ("LO", "1-n")),
    "(0018,9323)": (("CS", "1"), ("CS", "1-n")),  # Exposure Modulation Type
    "(0062,0009)": (("LO", "1"), ("LO", "1-n")),  # Segment Algorithm Name
    "(0066,0040)": (("UL", "1-n"), ("OL", "1")),  # Long … Point Index Lists: UL → OL
    "(0066,0041)": (("UL", "3-3n"), ("OL", "1")),
    "(0066,0042)": (("UL", "2-2n"), ("OL", "1")),
    "(0066,0043)": (("UL", "1-n"), ("OL", "1")),
    "(0068,62F0)": (("FD", "9"), ("SQ", "1")),  # View Orientation Modifier → … Code Sequence
    "(0076,0034)": (("CS", "1"), ("SQ", "1")),  # Component Type Code Sequence was listed as CS
    "(0080,0010)": (("OF", "1-n"), ("OF", "1")),  # U/V Value Data: OF is one value
    "(0080,0011)": (("OF", "1-n"), ("OF", "1")),
    # notation: 2015b writes "1-n or 1" where pydicom keeps "1-n"
    "(0028,1200)": (("US or SS or OW", "1-n or 1"), ("US or SS or OW", "1-n")),
    "(0028,3006)": (("US or OW", "1-n or 1"), ("US or OW", "1-n")),
    # notation: the item delimiters have no VR; 2015b says "See Note 2", pydicom "NONE"
    "(FFFE,E000)": (("See Note 2", "1"), ("NONE", "1")),
    "(FFFE,E00D)": (("See Note 2", "1"), ("NONE", "1")),
    "(FFFE,E0DD)": (("See Note 2", "1"), ("NONE", "1")),
    # retired tags that 2015b lists with empty name, VR and VM ("RET - See Note 3");
    # pydicom fills them as "Retired-blank", OB
    "(0018,9445)": (("", ""), ("OB", "1")),
    "(0028,0020)": (("", ""), ("OB", "1")),
}


def test_2015b_registry_agrees_with_pydicom(registry_2015b: dict) -> None:
    d = registry_2015b["dictionary"]
    repeaters = {k.upper(): v for k, v in pydicom.datadict.RepeatersDictionary.items()}
    differences = {}
    in_both = 0
    for tag, e in d.items():
        key = tag[1:5] + tag[6:10]
        theirs = (
            repeaters.get(key.upper())
            if "x" in tag
            else pydicom.datadict.DicomDictionary.get(int(key, 16))
        )
        if theirs is None:
            continue
        in_both += 1
        if (e.vr, e.vm) != (theirs[0], theirs[1]):
            differences[tag] = ((e.vr, e.vm), (theirs[0], theirs[1]))
    assert in_both == len(d)  # pydicom knows every 2015b tag, retired ones included
    assert differences == PYDICOM_DIFFERENCES


# -- PS3.4 2020c ------------------------------------------------------------------------------


def test_2020c_sop_class_tables(standard: Path, edition_2024c: Edition) -> None:
    path = _need(standard / "2020c" / "docbook" / "part04.xml")
    doc = read_docbook_part(path, 4)
    sop, problems = extract_sop_classes(doc)
    assert problems == []
    xml = path.read_text(encoding="utf-8")
    start = xml.index('xml:id="table_B.5-1"')
    rows = xml[start : xml.index("</table>", start)].count("<tr") - 1
    by_table: dict[str, int] = {}
    for sc in sop.values():
        by_table[sc.source] = by_table.get(sc.source, 0) + 1
    assert by_table == {"table_B.5-1": rows, "table_GG.3-1": 7, "table_I.4-1": 1}
    assert rows == 151
    seg = sop["1.2.840.10008.5.1.4.1.1.66.4"]
    assert (seg.name, seg.iod_reference, seg.source) == (
        "Segmentation Storage",
        "sect_A.51",
        "table_B.5-1",
    )
    # the IOD each names (a PS3.3 section) is the one 2024c names for the same UID; 2020c's
    # classes are all still in 2024c, one renamed
    renamed = {}
    for uid, sc in sop.items():
        now = edition_2024c.sop_classes[uid]
        assert sc.iod_reference == now.iod_reference, sc.name
        if sc.name != now.name:
            renamed[uid] = (sc.name, now.name)
    assert renamed == {
        "1.2.840.10008.5.1.4.1.1.88.70": (
            "Implantation Plan SR Document Storage",
            "Implantation Plan SR Storage",
        )
    }


def test_2020c_every_sop_class_names_its_iod(standard: Path) -> None:
    doc = read_docbook_part(_need(standard / "2020c" / "docbook" / "part04.xml"), 4)
    sop, _ = extract_sop_classes(doc)
    # Content Assessment Results Storage: <td><olink targetdoc="PS3.3" targetptr="sect_A.81"/></td>
    # (no <para>, and the link's text, a title in PS3.3, is not known to the adapter); every
    # other row links an IOD of Annex A, or F (Basic Directory)
    assert sop["1.2.840.10008.5.1.4.1.1.90.1"].iod_reference == "sect_A.81"
    assert all(re.fullmatch(r"sect_[AF]\.[0-9.]+", sc.iod_reference) for sc in sop.values())

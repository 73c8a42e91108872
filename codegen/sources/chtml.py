"""Adapter for NEMA's chunked XHTML rendering (``output/chtml/partNN/*.html``).

The DocBook XSL stylesheets turn each section into ``<div class="section">`` with a title page
whose heading carries the DocBook id as ``<a id=…>``; tables become
``<div class="table"><a id="table_…"/><p class="title">…</p><div class="table-contents"><table>``;
``<variablelist>`` becomes ``<div class="variablelist"><dl>``; ``<emphasis role="italic">``
becomes ``<span class="italic">``; ``<xref linkend>`` becomes ``<a class="xref" href="page#id">``
and ``<olink>`` into another part ``<a class="olink" href="../partNN/page#id">``. This module
maps that back onto :mod:`iodkit.codegen.sources.model`.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Callable, Iterable
from itertools import islice
from pathlib import Path

from lxml import etree

from .model import (
    Block,
    Cell,
    Document,
    ItemizedList,
    Paragraph,
    Row,
    Section,
    Table,
    TableRef,
    VariableList,
    VariableListEntry,
    normalize_text,
)
from .xmlsafe import SourceError, parse_file

XHTML = "{http://www.w3.org/1999/xhtml}"
_WS = re.compile(r"\s+")
_SECTION_CLASSES = {"section", "chapter", "appendix", "preface", "glossary", "bibliography"}
_SKIP_CLASSES = {
    "navheader",
    "navfooter",
    "breadcrumbs",
    "toc",
    "list-of-tables",
    "list-of-figures",
    "titlepage",
    "mediaobject",
    "figure-contents",
}
_TABLE_TITLE = re.compile(
    r"^Table\s+((?:CID|TID)\s+\d+[A-Za-z]?|[^\s.]+(?:\.[^\s.]+)*)\.?\s*(.*)$", re.S
)
_A = f"{XHTML}a"
_SPAN = f"{XHTML}span"
_P = f"{XHTML}p"
_DIV = f"{XHTML}div"
_TD = f"{XHTML}td"
_TH = f"{XHTML}th"
_TR = f"{XHTML}tr"
_PART_HREF = re.compile(r"(?:^|/)part(\d\d)/")


def _norm(text: str) -> str:
    return normalize_text(text)


def _itertext(el: etree._Element) -> str:
    """All text below ``el`` (lxml's stubs type itertext() as str | bytes; parsed XML is str)."""
    return "".join(el.itertext())  # type: ignore[arg-type]


def _local(el: etree._Element) -> str:
    tag = el.tag
    if not isinstance(tag, str):
        return ""
    return tag[len(XHTML) :] if tag.startswith(XHTML) else tag


def _classes(el: etree._Element) -> set[str]:
    c = el.get("class")
    return set(c.split()) if c else set()


def link_target(href: str, this_part: int) -> str | None:
    """``sect_C.7.html#sect_C.7.1.1`` → ``sect_C.7.1.1``; another part → ``PS3.16:sect_CID_7150``.

    Links to the web (http, ftp, mailto) are not structural and give ``None``.
    """
    if not href or re.match(r"^[a-z]+:", href) and not href.startswith("file:"):
        # absolute URLs: only NEMA chtml links into another part are kept
        m = _PART_HREF.search(href)
        if not m or "dicom.nema.org" not in href:
            return None
    page, _, frag = href.partition("#")
    target = frag or Path(page).stem
    if not target:
        return None
    m = _PART_HREF.search(page)
    if m and int(m.group(1)) != this_part:
        return f"PS3.{int(m.group(1))}:{target}"
    return target


class _PageReader:
    """Turns one page into sections, blocks and tables, appending to a shared Document."""

    def __init__(self, doc: Document, source: str) -> None:
        self.doc = doc
        self.source = source

    # -- inline ---------------------------------------------------------------------------
    def paragraph(self, el: etree._Element) -> Paragraph:
        n = len(el)
        if n == 0 and el.tag not in (_A, _SPAN):  # an <a href>/<span> carries its own link/italic
            return Paragraph(_norm(el.text or ""))
        if n == 1:
            # The common shape of a table cell: <p><a id="para_…"/>text</p>.
            a = el[0]
            if a.tag == _A and len(a) == 0 and a.get("href") is None:
                return Paragraph(_norm((el.text or "") + (a.text or "") + (a.tail or "")))
        text = _norm(_itertext(el))
        links: list[str] = []
        italic: list[str] = []
        for sub in el.iter(_A, _SPAN):
            if sub.tag == _A:
                href = sub.get("href")
                if href:
                    t = link_target(href, self.doc.part)
                    if t:
                        links.append(t)
            elif "italic" in _classes(sub):
                italic.append(_norm(_itertext(sub)))
        return Paragraph(text, tuple(links), tuple(italic))

    # -- blocks ---------------------------------------------------------------------------
    def blocks(self, parent: etree._Element, section_id: str) -> list[Block]:
        """Blocks directly in ``parent``; nested sections are handled by the caller."""
        out: list[Block] = []
        for el in parent:
            tag = el.tag
            if tag == _P:
                if el.get("class") != "title":
                    out.append(self.paragraph(el))
                continue
            name = _local(el)
            if not name:
                continue
            cls = _classes(el)
            if name == "div":
                if cls & _SECTION_CLASSES or cls & _SKIP_CLASSES:
                    continue
                if "variablelist" in cls:
                    out.append(self.variable_list(el, out))
                elif cls & {"itemizedlist", "orderedlist"}:
                    out.append(self.itemized_list(el))
                elif cls & {"table", "informaltable"}:
                    t = self.table(el, section_id)
                    if t is not None:
                        out.append(TableRef(t.id))
                else:  # notes, examples, figures, equations: keep their paragraphs
                    out.extend(self.blocks(el, section_id))
            elif name == "p":
                if "title" in cls:
                    continue
                out.append(self.paragraph(el))
            elif name in ("dl",):
                out.append(self.variable_list_dl(el, "", ""))
            elif name in ("ul", "ol"):
                out.append(self.itemized_list(el))
            elif name in ("span", "strong", "em", "a") and _itertext(el).strip():
                out.append(self.paragraph(el))
        return out

    def variable_list(self, el: etree._Element, previous: list[Block]) -> VariableList:
        title = ""
        for t in el:
            if _local(t) == "p" and "title" in _classes(t):
                title = _norm(_itertext(t))
                break
        intro = ""
        if not title and previous and isinstance(previous[-1], Paragraph):
            intro = previous[-1].text
        dl = next((d for d in el.iter(f"{XHTML}dl")), None)
        if dl is None:
            return VariableList(title, (), intro)
        return self.variable_list_dl(dl, title, intro)

    def variable_list_dl(self, dl: etree._Element, title: str, intro: str) -> VariableList:
        entries: list[VariableListEntry] = []
        term: str | None = None
        for el in dl:
            name = _local(el)
            if name == "dt":
                if term is not None:
                    entries.append(VariableListEntry(term))
                term = _norm(_itertext(el))
            elif name == "dd":
                paras = tuple(
                    p for p in (self.paragraph(p) for p in el.iter(f"{XHTML}p")) if p.text
                )
                entries.append(VariableListEntry(term or "", paras))
                term = None
        if term is not None:
            entries.append(VariableListEntry(term))
        return VariableList(title, tuple(entries), intro)

    def itemized_list(self, el: etree._Element) -> ItemizedList:
        items = []
        lists: list[tuple[VariableList, ...]] = []
        for li in el.iter(f"{XHTML}li"):
            paras = tuple(self.paragraph(p) for p in li.iter(f"{XHTML}p"))
            items.append(paras or (self.paragraph(li),))
            lists.append(tuple(self.item_variable_lists(li)))
        return ItemizedList(tuple(items), tuple(lists) if any(lists) else ())

    def item_variable_lists(self, li: etree._Element) -> list[VariableList]:
        """The variable lists of one list item, not those of the items nested in it."""
        out: list[VariableList] = []
        for div in li.iter(_DIV):
            if "variablelist" not in _classes(div):
                continue
            owner = div.getparent()
            while owner is not None and owner.tag != f"{XHTML}li":
                owner = owner.getparent()
            if owner is not li:
                continue
            prev = div.getprevious()
            previous: list[Block] = []
            if prev is not None and prev.tag == _P and "title" not in _classes(prev):
                previous = [self.paragraph(prev)]
            out.append(self.variable_list(div, previous))
        return out

    # -- tables ---------------------------------------------------------------------------
    def cell(self, el: etree._Element, header: bool) -> Cell:
        blocks = self.blocks(el, "")
        if not blocks:
            text = _norm(_itertext(el))
            if text:
                blocks = [self.paragraph(el)]
        return Cell(
            tuple(blocks),
            colspan=int(el.get("colspan", "1")),
            rowspan=int(el.get("rowspan", "1")),
            header=header,
        )

    def rows(self, parent: etree._Element | None, header: bool) -> tuple[Row, ...]:
        if parent is None:
            return ()
        out: list[Row] = []
        for tr in parent:
            if tr.tag != _TR:
                continue
            out.append(tuple(self.cell(c, header) for c in tr if c.tag in (_TD, _TH)))
        return tuple(out)

    def table(self, div: etree._Element, section_id: str) -> Table | None:
        anchor = next((a for a in div if _local(a) == "a" and a.get("id")), None)
        table_id = anchor.get("id") if anchor is not None else None
        title = ""
        for t in div:
            if _local(t) == "p" and "title" in _classes(t):
                title = _norm(_itertext(t))
        tbl = next(iter(div.iter(f"{XHTML}table")), None)
        if tbl is None:
            return None
        if not table_id:
            # informal tables have no id; name them after their section and position
            n = sum(1 for t in self.doc.tables.values() if t.section_id == section_id)
            table_id = f"{section_id}#informal{n + 1}"
        label, caption = "", title
        m = _TABLE_TITLE.match(title)
        if m:
            label, caption = m.group(1), m.group(2).strip()
        thead = next((x for x in tbl if _local(x) == "thead"), None)
        tbodies = [x for x in tbl if _local(x) == "tbody"]
        body: list[Row] = []
        for tb in tbodies:
            body.extend(self.rows(tb, False))
        if not tbodies:
            body.extend(self.rows(tbl, False))
        table = Table(
            id=table_id,
            label=label,
            caption=caption,
            header=self.rows(thead, True),
            body=tuple(body),
            section_id=section_id,
            source=self.source,
        )
        if table_id not in self.doc.tables:
            self.doc.tables[table_id] = table
        return table

    # -- sections -------------------------------------------------------------------------
    def section(self, div: etree._Element, parent: str | None) -> None:
        heading = None
        for h in div.iter(*(f"{XHTML}h{i}" for i in range(1, 7))):
            heading = h
            break
        sid, title = None, ""
        if heading is not None:
            a = next((x for x in heading.iter(f"{XHTML}a") if x.get("id")), None)
            sid = a.get("id") if a is not None else None
            title = _norm(_itertext(heading))
        if not sid:
            # untitled wrappers: their children belong to the parent
            for child in div:
                if _local(child) == "div" and _classes(child) & _SECTION_CLASSES:
                    self.section(child, parent)
            return
        label, title = split_heading(sid, title)
        sec = self.doc.sections.get(sid)
        if sec is None:
            sec = Section(sid, label, title, parent, source=self.source)
            self.doc.sections[sid] = sec
        sec.blocks.extend(self.blocks(div, sid))
        for child in div:
            if _local(child) == "div" and _classes(child) & _SECTION_CLASSES:
                self.section(child, sid)


def split_heading(section_id: str, heading: str) -> tuple[str, str]:
    """(label, title) from an id like ``sect_C.7.1.1`` and a heading "C.7.1.1 Patient Module"."""
    label = ""
    for prefix in ("sect_", "chapter_"):
        if section_id.startswith(prefix):
            label = section_id[len(prefix) :]
            break
    if label and heading.startswith(label + " "):
        return label, heading[len(label) + 1 :].strip()
    first, _, rest = heading.partition(" ")
    if label and first == label:
        return label, rest.strip()
    return label, heading


def page_order(folder: Path) -> list[Path]:
    """Pages in reading order, following each page's ``rel="next"`` link from the book page."""
    pages = sorted(folder.glob("*.html"))
    return pages


def read_chtml_part(
    folder: Path,
    part: int,
    edition: str,
    *,
    select: Callable[[str], bool] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Document:
    """Read every page of ``folder`` (one part) into a :class:`Document`.

    ``select`` filters pages by file name (e.g. only ``sect_CID_*`` for context groups).
    A page that cannot be parsed is recorded in ``Document.problems`` and the rest is read.
    """
    if not folder.is_dir():
        raise SourceError(f"{folder}: folder not found (expected chunked XHTML of PS3.{part})")
    doc = Document(part=part, edition=edition, format="chtml")
    # The model is acyclic and built in one go: pausing the cyclic collector saves a third.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        _read_pages(folder, doc, select, progress)
    finally:
        if was_enabled:
            gc.enable()
    return doc


def _read_pages(
    folder: Path,
    doc: Document,
    select: Callable[[str], bool] | None,
    progress: Callable[[int, int], None] | None,
) -> None:
    pages = [p for p in page_order(folder) if select is None or select(p.name)]
    ups: dict[str, str] = {}
    top_of_page: dict[str, str] = {}
    for i, page in enumerate(pages):
        if progress:
            progress(i + 1, len(pages))
        try:
            root = parse_file(page)
        except SourceError as exc:
            doc.problems.append(str(exc))
            continue
        for link in root.iter(f"{XHTML}link"):
            if link.get("rel") == "up":
                ups[page.stem] = Path(link.get("href", "")).stem
        body = next(root.iter(f"{XHTML}body"), None)
        if body is None:
            doc.problems.append(f"{page}: no <body>")
            continue
        reader = _PageReader(doc, page.name)
        count = len(doc.sections)
        for div in _top_sections(body):
            reader.section(div, None)
        if len(doc.sections) > count:
            # dicts keep insertion order: the first new section is the page's top section
            top_of_page[page.stem] = next(
                islice(reversed(doc.sections), len(doc.sections) - count - 1, None)
            )
    # Parents of each page's top sections come from the page's "up" link.
    for stem, sid in top_of_page.items():
        up = ups.get(stem)
        if up and up != stem:
            parent = top_of_page.get(up, up)
            sec = doc.sections[sid]
            if sec.parent is None and parent != sid:
                sec.parent = parent


def _top_sections(body: etree._Element) -> Iterable[etree._Element]:
    for el in body:
        if _local(el) == "div":
            cls = _classes(el)
            if cls & _SECTION_CLASSES:
                yield el
            elif "book" in cls or not cls:
                yield from _top_sections(el)


_RELEASE = re.compile(rb'documentreleaseinformation">\s*DICOM\s+PS3\.(\d+)\s+(\d{4}[a-z])\b')


def detect_edition(folder: Path) -> str | None:
    """The edition a chunked-XHTML folder renders, from the release line every page carries
    ("DICOM PS3.3 2024c - Information Object Definitions")."""
    for page in sorted(folder.glob("*.html"))[:5]:
        try:
            head = page.read_bytes()[:8192]
        except OSError:
            continue
        m = _RELEASE.search(head)
        if m:
            return m.group(2).decode()
    return None

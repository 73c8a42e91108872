"""Adapter for NEMA's DocBook 5 source (``source/docbook/partNN/partNN.xml``).

The chunked XHTML that :mod:`.chtml` reads is rendered from exactly this source by the DocBook XSL
stylesheets, so this adapter yields the same :class:`~.model.Document` by doing, in small, what
the stylesheets do:

* ``<chapter>``/``<section>``/``<glossdiv>`` with an ``xml:id`` become sections; the label is the
  id without ``sect_``/``chapter_`` (as the XHTML adapter derives it), the title is ``<title>``.
* ``<para>`` becomes a paragraph. A para that holds blocks (figures, lists, notes) is split around
  them, as the stylesheets split it into several ``<p>``.
* ``<xref>`` and ``<olink>`` are empty in the source; the stylesheets *generate* their text from
  the target ("Table 8.8-1a", "Section C.7.1.1", "CID 5002 “Organization”"). Cells such as
  "Include Table 10-11 “SOP Instance Reference Macro Attributes”" need that text, so it is
  generated here from the target's label and title following the ``xrefstyle``. Targets in
  other parts (olinks) are known only by id: their number is derived from the id
  (``sect_CID_5002`` → "CID 5002"), their title is not available and left out.
* Tables are HTML-style in every edition seen (``<td colspan rowspan>``); CALS tables
  (``<tgroup>``/``<entry namest nameend morerows>``) are read too.

Where the XHTML adapter flattens (nested lists, paragraphs under a list item or a definition),
this adapter flattens the same way, so everything above the adapters stays format-blind.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Callable
from pathlib import Path

from lxml import etree

from .chtml import link_target
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

XML_ID = "{http://www.w3.org/XML/1998/namespace}id"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"

# "DICOM PS3.3 2016c - Information Object Definitions"
_SUBTITLE = re.compile(r"\bPS\s?3\.(\d+)\s+(\d{4}[a-z]?)\b")
_PART_NAME = re.compile(r"^PS\s?3\.(\d+)$")
_UNKNOWN_TITLE = re.compile(r'\s*(?:“%t”|"%t"|%t)')
_ID_PREFIX = re.compile(r"^(?:sect|chapter|table|figure|equation|example|biblio|glossentry)_")

# DocBook element → the word the stylesheets put before its number ("Table 8.8-1").
_KIND_WORD = {
    "section": "Section",
    "glossdiv": "Section",
    "simplesect": "Section",
    "sect1": "Section",
    "sect2": "Section",
    "sect3": "Section",
    "sect4": "Section",
    "sect5": "Section",
    "chapter": "Chapter",
    "appendix": "Appendix",
    "part": "Part",
    "table": "Table",
    "informaltable": "Table",
    "figure": "Figure",
    "equation": "Equation",
    "example": "Example",
    "procedure": "Procedure",
}
_ID_KIND = {
    "sect": "Section",
    "chapter": "Chapter",
    "table": "Table",
    "figure": "Figure",
    "equation": "Equation",
    "example": "Example",
}

_SECTION_NAMES = (
    "chapter appendix preface section glossdiv simplesect sect1 sect2 sect3 sect4 sect5 "
    "bibliodiv article"
).split()
# Wrappers that are sections only when they carry an id (as in the XHTML rendering).
_WRAPPER_NAMES = ("glossary", "bibliography", "part", "reference")
# Blocks that split a paragraph: the stylesheets close the <p> before and reopen it after.
_PARA_BLOCK_NAMES = (
    "itemizedlist orderedlist variablelist simplelist segmentedlist note caution warning "
    "important tip example informalexample figure informalfigure table informaltable equation "
    "informalequation programlisting screen literallayout synopsis blockquote sidebar para "
    "simpara formalpara mediaobject procedure calloutlist glosslist bibliolist qandaset"
).split()
# Blocks that carry no text for the model (pictures, code, metadata).
_SILENT_NAMES = (
    "title subtitle titleabbrev info caption mediaobject figure informalfigure equation "
    "informalequation programlisting screen synopsis indexterm remark bibliography "
    "bibliolist biblioentry bibliomixed anchor colspec spanspec"
).split()
# Inline elements that render nothing.
_INLINE_SILENT_NAMES = ("indexterm", "anchor", "remark", "footnote", "alt", "annotation")
_TARGET_NAMES = (
    "section chapter appendix glossdiv table informaltable figure equation example "
    "biblioentry glossentry listitem note"
).split()


_SPAN = {None: 1, "1": 1, "2": 2, "3": 3, "4": 4, "5": 5, "6": 6}


_norm = normalize_text


def _int(value: str | None, default: int = 1) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def _label_from_id(target: str) -> str:
    """``sect_C.7.1.1`` → "C.7.1.1", ``sect_CID_5002`` → "CID 5002" (the number as printed)."""
    return _ID_PREFIX.sub("", target, count=1).replace("_", " ")


def _glossterm_from_id(target: str) -> str:
    """``glossentry_DataDictionary`` → "Data Dictionary": the term an olink prints."""
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", target.removeprefix("glossentry_"))


def _kind_from_id(target: str) -> str:
    head, _, _ = target.partition("_")
    return _ID_KIND.get(head, "")


def _roman(n: int) -> str:
    out = ""
    for value, digits in (
        (1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
        (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"),
    ):  # fmt: skip
        while n >= value:
            out += digits
            n -= value
    return out


def _list_number(n: int, numeration: str | None) -> str:
    if numeration == "loweralpha":
        return chr(ord("a") + n - 1) if n <= 26 else str(n)
    if numeration == "upperalpha":
        return chr(ord("A") + n - 1) if n <= 26 else str(n)
    if numeration == "lowerroman":
        return _roman(n)
    if numeration == "upperroman":
        return _roman(n).upper()
    return str(n)


def gentext(
    style: str | None,
    kind: str,
    label: str,
    title: str | None,
    docname: str = "",
) -> str:
    """The text the stylesheets generate for a cross reference, following its ``xrefstyle``.

    ``select: label quotedtitle`` → "Table 10-11 “SOP Instance Reference Macro Attributes”",
    ``select: labelnumber`` → "C.7.1.3", ``template:Annex %n`` → "Annex A". ``docname`` is the
    other part an olink points into ("PS3.16"). A title that is not known (``None``) is left out.
    """
    if style and style.startswith("template:"):
        template = style[len("template:") :]
        if not title:  # "Annex %n “%t” in PS3.17" without a known title: "Annex E in PS3.17"
            template = _UNKNOWN_TITLE.sub("", template)
        return _norm(
            template.replace("%n", label).replace("%t", title or "").replace("%o", docname)
        )
    if style and style.startswith("select:"):
        words = style[len("select:") :].split()
        pieces: list[str] = []
        for w in words:
            if w == "label":
                pieces.append(f"{kind} {label}" if kind else label)
            elif w in ("labelnumber", "labelnum", "number"):
                pieces.append(label)
            elif w == "title" and title:
                pieces.append(title)
            elif w == "quotedtitle" and title:
                pieces.append(f"“{title}”")
        text = " ".join(p for p in pieces if p)
        if "docname" in words and docname:
            text = f"{text} in {docname}" if text else docname
        return text
    # No style: the stylesheets' default, "Table 10-11 “…”".
    head = f"{kind} {label}" if kind else label
    if title:
        head = f"{head} “{title}”" if head else title
    if docname:
        head = f"{head} in {docname}" if head else docname
    return head


class _Names:
    """Qualified tag names for one namespace, so the walk compares strings, not QNames."""

    def __init__(self, ns: str) -> None:
        q = f"{{{ns}}}" if ns else ""
        self.q = q
        self.para = q + "para"
        self.simpara = q + "simpara"
        self.title = q + "title"
        self.subtitle = q + "subtitle"
        self.info = q + "info"
        self.caption = q + "caption"
        self.emphasis = q + "emphasis"
        self.xref = q + "xref"
        self.link = q + "link"
        self.olink = q + "olink"
        self.quote = q + "quote"
        self.variablelist = q + "variablelist"
        self.varlistentry = q + "varlistentry"
        self.term = q + "term"
        self.listitem = q + "listitem"
        self.itemizedlist = q + "itemizedlist"
        self.orderedlist = q + "orderedlist"
        self.glossentry = q + "glossentry"
        self.glossterm = q + "glossterm"
        self.glossdef = q + "glossdef"
        self.acronym = q + "acronym"
        self.abbrev = q + "abbrev"
        self.table = q + "table"
        self.informaltable = q + "informaltable"
        self.thead = q + "thead"
        self.tbody = q + "tbody"
        self.tfoot = q + "tfoot"
        self.tr = q + "tr"
        self.td = q + "td"
        self.th = q + "th"
        self.tgroup = q + "tgroup"
        self.colspec = q + "colspec"
        self.spanspec = q + "spanspec"
        self.row = q + "row"
        self.entry = q + "entry"
        self.figure = q + "figure"
        self.sections = frozenset(q + n for n in _SECTION_NAMES)
        self.wrappers = frozenset(q + n for n in _WRAPPER_NAMES)
        self.para_blocks = frozenset(q + n for n in _PARA_BLOCK_NAMES)
        self.silent = frozenset(q + n for n in _SILENT_NAMES)
        self.inline_silent = frozenset(q + n for n in _INLINE_SILENT_NAMES)
        self.lists = frozenset((self.itemizedlist, self.orderedlist))
        self.tables = frozenset((self.table, self.informaltable))
        self.targets = tuple(q + n for n in _TARGET_NAMES)

    def local(self, tag: str) -> str:
        return tag[len(self.q) :] if self.q and tag.startswith(self.q) else tag


class _Run:
    """Inline content being collected into one paragraph: text pieces, links, italic runs."""

    __slots__ = ("buf", "links", "italic", "exists")

    def __init__(self) -> None:
        self.buf: list[str] = []
        self.links: list[str] = []
        self.italic: list[str] = []
        self.exists = False

    def paragraph(self) -> Paragraph:
        return Paragraph(_norm("".join(self.buf)), tuple(self.links), tuple(self.italic))


class _BookReader:
    """Walks one ``<book>``, appending sections, blocks and tables to a Document."""

    def __init__(self, doc: Document, root: etree._Element, source: str) -> None:
        self.doc = doc
        self.root = root
        self.source = source
        ns = etree.QName(root).namespace or ""
        self.n = _Names(ns)
        self.part_name = f"PS3.{doc.part}"
        self._targets: dict[str, etree._Element] | None = None
        self._all_ids: dict[str, etree._Element] | None = None
        self._resolving: set[str] = set()
        self._table_count: dict[str, int] = {}
        self._plain: dict[str, Paragraph] = {}
        self._xref_cache: dict[tuple[str, str | None, str | None], str] = {}
        self.duplicates: list[str] = []

    # -- targets of cross references --------------------------------------------------------
    def _target(self, target: str) -> etree._Element | None:
        if self._targets is None:
            self._targets = {}
            for t in self.root.iter(*self.n.targets):
                i = t.get(XML_ID)
                if i is not None and i not in self._targets:
                    self._targets[i] = t
        el = self._targets.get(target)
        if el is None and not _ID_PREFIX.match(target):
            # An id of a kind not indexed above (a paragraph, a list item without a kind
            # prefix): look among all ids. Indexed kinds that are missing are simply absent.
            if self._all_ids is None:
                # Rare (xrefs to paragraphs, list items): one pass over every id, once.
                self._all_ids = {}
                found = self.root.xpath("//*[@xml:id]")
                for x in found if isinstance(found, list) else ():
                    if isinstance(x, etree._Element):
                        self._all_ids.setdefault(x.get(XML_ID, ""), x)
            el = self._all_ids.get(target)
        return el

    def _title_of(self, el: etree._Element) -> str:
        """The text of an element's ``<title>`` (or a table's ``<caption>``)."""
        n = self.n
        t = None
        for ch in el:
            if ch.tag == n.title or ch.tag == n.caption:
                t = ch
                break
            if ch.tag == n.info:
                t = next((x for x in ch if x.tag == n.title), None)
                break
        return self.inline_text(t) if t is not None else ""

    def xref_text(self, xref: etree._Element, target: str) -> str:
        """Generated text of an ``<xref>`` (or empty ``<link linkend>``) to ``target``."""
        style = xref.get("xrefstyle")
        endterm = xref.get("endterm")
        key = (target, style, endterm)
        text = self._xref_cache.get(key)
        if text is None:
            text = self._xref_cache[key] = self._xref_text(target, style, endterm)
        return text

    def _xref_text(self, target: str, style: str | None, endterm: str | None) -> str:
        if endterm:
            el = self._target(endterm)
            if el is not None:
                return self.inline_text(el)
        el = self._target(target)
        if el is None:
            # Target outside this file (excerpts): number from the id, title unknown.
            if target.startswith("biblio_") and not style:
                return f"[{target.removeprefix('biblio_')}]"
            return gentext(style, _kind_from_id(target), _label_from_id(target), None)
        if target in self._resolving:  # a title that refers to itself
            return _label_from_id(target)
        self._resolving.add(target)
        try:
            return self._xref_text_for(el, target, style)
        finally:
            self._resolving.discard(target)

    def _xref_text_for(self, el: etree._Element, target: str, style: str | None) -> str:
        n = self.n
        name = n.local(el.tag)
        if name == "biblioentry" and not style:
            ab = next((x for x in el.iter(n.abbrev)), None)
            return f"[{self.inline_text(ab) if ab is not None else target}]"
        if name == "glossentry" and not style:
            xl = el.get("xreflabel")
            if xl:
                return xl
            gt = next((x for x in el.iter(n.glossterm)), None)
            return self.inline_text(gt) if gt is not None else ""
        if name == "listitem":
            parent = el.getparent()
            if parent is None:
                return "1"
            items = [x for x in parent if x.tag == n.listitem]
            num = _list_number(items.index(el) + 1, parent.get("numeration"))
            return gentext(style, "", num, None) if style else num
        if not style and el.get("xreflabel"):
            return el.get("xreflabel", "")
        label = (el.get("label") or "").strip() or _label_from_id(target)
        title = self._title_of(el)
        return gentext(style, _KIND_WORD.get(name, ""), label, title)

    def olink(self, el: etree._Element) -> tuple[str | None, str]:
        """(link, generated text) of an ``<olink targetdoc targetptr>``."""
        doc = (el.get("targetdoc") or "").strip()
        ptr = (el.get("targetptr") or "").strip()
        m = _PART_NAME.match(doc)
        other = m is not None and int(m.group(1)) != self.doc.part
        target = ptr or doc
        if not target:
            return None, ""
        link = f"PS3.{int(m.group(1))}:{target}" if other and m else target
        style = el.get("xrefstyle")
        docname = f"PS3.{int(m.group(1))}" if m else doc
        if not ptr or ptr == doc:  # the whole part: its number is its name
            return link, gentext(style, "", docname, None) if style else docname
        if not other and self._target(ptr) is not None:
            return link, self.xref_text(el, ptr)
        if ptr.startswith("glossentry_"):  # the term is the title
            term = _glossterm_from_id(ptr)
            return link, gentext(style or "select: title", "", term, term, docname)
        return link, gentext(style, _kind_from_id(ptr), _label_from_id(ptr), None, docname)

    # -- inline -----------------------------------------------------------------------------
    def inline_text(self, el: etree._Element | None) -> str:
        if el is None:
            return ""
        if len(el) == 0:
            return _norm(el.text or "")
        run = _Run()
        self.inline(el, run)
        return _norm("".join(run.buf))

    def inline(self, el: etree._Element, run: _Run) -> None:
        """Render the content of ``el`` (its text, children and their tails) into ``run``."""
        text = el.text
        if text is not None:
            run.buf.append(text)
            run.exists = True
        for ch in el:
            self.inline_child(ch, run)
            tail = ch.tail
            if tail is not None:
                run.buf.append(tail)
                run.exists = True

    def inline_child(self, ch: etree._Element, run: _Run) -> None:
        tag = ch.tag
        run.exists = True
        if tag.__class__ is not str:  # unexpanded entity reference: renders nothing
            return
        n = self.n
        if tag == n.emphasis:
            if ch.get("role") == "italic":
                slot = len(run.italic)
                run.italic.append("")
                start = len(run.buf)
                self.inline(ch, run)
                run.italic[slot] = _norm("".join(run.buf[start:]))
            else:
                self.inline(ch, run)
        elif tag == n.xref:
            target = ch.get("linkend")
            if target:
                run.links.append(target)
                run.buf.append(self.xref_text(ch, target))
        elif tag == n.olink:
            link, generated = self.olink(ch)
            if link:
                run.links.append(link)
            if len(ch) or (ch.text and ch.text.strip()):
                self.inline(ch, run)
            else:
                run.buf.append(generated)
        elif tag == n.link:
            target = ch.get("linkend")
            href = ch.get(XLINK_HREF)
            if target:
                run.links.append(target)
            elif href:
                t = link_target(href, self.doc.part)
                if t:
                    run.links.append(t)
            if len(ch) or (ch.text and ch.text.strip()):
                self.inline(ch, run)
            elif target:
                run.buf.append(self.xref_text(ch, target))
            elif href:
                run.buf.append(href)
        elif tag == n.quote:
            run.buf.append("“")
            self.inline(ch, run)
            run.buf.append("”")
        elif tag in n.inline_silent:
            return
        else:
            self.inline(ch, run)

    # -- blocks -----------------------------------------------------------------------------
    def para(self, el: etree._Element, section_id: str, out: list[Block]) -> None:
        """A ``<para>``: one paragraph, or several around the blocks it holds."""
        if len(el) == 0:
            out.append(self.plain(el.text))
            return
        blocks = self.n.para_blocks
        if not any(ch.tag in blocks for ch in el):
            run = _Run()
            self.inline(el, run)
            out.append(run.paragraph())
            return
        for item in self._split(el):
            if isinstance(item, _Run):
                out.append(item.paragraph())
            else:
                self.block(item, section_id, out)

    def _split(self, el: etree._Element) -> list[_Run | etree._Element]:
        """The para's inline runs and block children in order, as the stylesheets split it.

        The run before the first block is always there (it carries the para's anchor); a later
        run is there when any text node, even blank, or inline element sits between blocks.
        """
        blocks = self.n.para_blocks
        items: list[_Run | etree._Element] = []
        run = _Run()
        run.exists = True
        if el.text is not None:
            run.buf.append(el.text)
        for ch in el:
            if ch.tag in blocks:
                if run.exists:
                    items.append(run)
                items.append(ch)
                run = _Run()
            else:
                self.inline_child(ch, run)
            if ch.tail is not None:
                run.buf.append(ch.tail)
                run.exists = True
        if run.exists:
            items.append(run)
        return items

    def blocks(self, parent: etree._Element, section_id: str, out: list[Block]) -> list[Block]:
        """Blocks directly in ``parent`` appended to ``out``; nested sections are skipped."""
        n = self.n
        para, simpara = n.para, n.simpara
        sections, wrappers = n.sections, n.wrappers
        glossary: list[etree._Element] = []
        for el in parent:
            tag = el.tag
            if tag == n.glossentry:
                glossary.append(el)
                continue
            if glossary:
                out.append(self.glossary_list(glossary))
                glossary = []
            if tag == para or tag == simpara:
                self.para(el, section_id, out)
            elif tag.__class__ is not str or tag in sections:
                continue
            elif tag in wrappers:
                if el.get(XML_ID) is None:
                    self.blocks(el, section_id, out)
            else:
                self.block(el, section_id, out)
        if glossary:
            out.append(self.glossary_list(glossary))
        return out

    def block(self, el: etree._Element, section_id: str, out: list[Block]) -> None:
        """One block element other than a section."""
        n = self.n
        tag = el.tag
        if tag == n.para or tag == n.simpara:
            self.para(el, section_id, out)
        elif tag == n.variablelist:
            out.append(self.variable_list(el, out))
        elif tag in n.lists:
            out.append(self.itemized_list(el))
        elif tag in n.tables:
            t = self.table(el, section_id)
            if t is not None:
                out.append(TableRef(t.id))
        elif tag in n.silent or tag in n.sections:
            return
        elif tag in n.para_blocks or tag in n.wrappers:
            # notes, examples, sidebars...: their paragraphs, without their title
            self.blocks(el, section_id, out)
        elif tag.__class__ is str:
            # inline element straight in a block container (e.g. an xref alone in a cell)
            run = _Run()
            self.inline_child(el, run)
            p = run.paragraph()
            if p.text or p.links:  # a link keeps a paragraph whose title is unknown here
                out.append(p)

    def flat_paragraphs(self, el: etree._Element) -> list[Paragraph]:
        """Every paragraph under ``el`` in document order, nested lists and notes included.

        This is how the XHTML adapter reads list items and definitions (every ``<p>`` below
        the ``<li>``/``<dd>``), reproduced on the DocBook tree.
        """
        n = self.n
        out: list[Paragraph] = []
        for p in el.iter(n.para, n.simpara, n.title):
            if p.tag == n.title:
                parent = p.getparent()
                if parent is not None and parent.tag == n.variablelist:
                    out.append(Paragraph(self.inline_text(p)))
                continue
            if len(p) == 0:
                out.append(Paragraph(_norm(p.text or "")))
            elif not any(ch.tag in n.para_blocks for ch in p):
                run = _Run()
                self.inline(p, run)
                out.append(run.paragraph())
            else:
                out.extend(x.paragraph() for x in self._split(p) if isinstance(x, _Run))
        return out

    def variable_list(self, el: etree._Element, previous: list[Block]) -> VariableList:
        n = self.n
        title = ""
        for t in el:
            if t.tag == n.title:
                title = self.inline_text(t)
                break
        intro = ""
        if not title and previous and isinstance(previous[-1], Paragraph):
            intro = previous[-1].text
        entries: list[VariableListEntry] = []
        for entry in el:
            if entry.tag != n.varlistentry:
                continue
            terms: list[str] = []
            definition: tuple[Paragraph, ...] = ()
            for part in entry:
                if part.tag == n.term:
                    terms.append(self.inline_text(part))
                elif part.tag == n.listitem:
                    definition = tuple(p for p in self.flat_paragraphs(part) if p.text or p.links)
            entries.append(VariableListEntry(", ".join(terms), definition))
        return VariableList(title, tuple(entries), intro)

    def glossary_list(self, entries: list[etree._Element]) -> VariableList:
        """Glossary entries, which the stylesheets render as a term/definition list."""
        n = self.n
        out: list[VariableListEntry] = []
        for e in entries:
            term = ""
            acronym = ""
            definition: list[Paragraph] = []
            for part in e:
                if part.tag == n.glossterm:
                    term = self.inline_text(part)
                elif part.tag == n.acronym:
                    acronym = self.inline_text(part)
                elif part.tag == n.glossdef:
                    definition.extend(p for p in self.flat_paragraphs(part) if p.text or p.links)
            if acronym:
                term = f"{term} ({acronym})"
            out.append(VariableListEntry(term, tuple(definition)))
        return VariableList("", tuple(out), "")

    def itemized_list(self, el: etree._Element) -> ItemizedList:
        n = self.n
        items: list[tuple[Paragraph, ...]] = []
        lists: list[tuple[VariableList, ...]] = []
        # Every list item below, nested ones too (the XHTML adapter reads every <li>).
        for li in el.iter(n.listitem):
            parent = li.getparent()
            if parent is not None and parent.tag == n.varlistentry:
                continue
            paras = tuple(self.flat_paragraphs(li))
            if not paras:
                run = _Run()
                self.inline(li, run)
                paras = (run.paragraph(),)
            items.append(paras)
            lists.append(tuple(self.item_variable_lists(li)))
        return ItemizedList(tuple(items), tuple(lists) if any(lists) else ())

    def item_variable_lists(self, li: etree._Element) -> list[VariableList]:
        """The variable lists of one list item, not those of the items nested in it (as the
        XHTML adapter reads them: a term/definition list inside a list item)."""
        n = self.n
        out: list[VariableList] = []
        for vl in li.iter(n.variablelist):
            owner = vl.getparent()
            while owner is not None:
                above = owner.getparent()
                if owner.tag == n.listitem and (above is None or above.tag != n.varlistentry):
                    break
                owner = above
            if owner is not li:
                continue
            prev = vl.getprevious()
            previous: list[Block] = []
            if prev is not None and prev.tag in (n.para, n.simpara):
                previous = [Paragraph(self.inline_text(prev))]
            out.append(self.variable_list(vl, previous))
        return out

    # -- tables -----------------------------------------------------------------------------
    def cell(self, el: etree._Element, header: bool, colspan: int, rowspan: int) -> Cell:
        if len(el) == 1:
            p = el[0]
            if p.tag == self.n.para:  # the common shape: <td><para>…</para></td>
                if len(p) == 0:
                    return Cell((self.plain(p.text),), colspan, rowspan, header)
                out: list[Block] = []
                self.para(p, "", out)
                return Cell(tuple(out), colspan, rowspan, header)
        blocks = self.blocks(el, "", [])
        if not blocks:
            run = _Run()
            self.inline(el, run)
            para = run.paragraph()
            if para.text or para.links:
                blocks = [para]
        return Cell(tuple(blocks), colspan, rowspan, header)

    def plain(self, text: str | None) -> Paragraph:
        """A paragraph of plain text; equal ones are shared (they are immutable)."""
        key = text or ""
        p = self._plain.get(key)
        if p is None:
            p = self._plain[key] = Paragraph(_norm(key))
        return p

    def html_rows(self, parent: etree._Element | None, header: bool) -> tuple[Row, ...]:
        if parent is None:
            return ()
        n = self.n
        td, th, para, tr_tag = n.td, n.th, n.para, n.tr
        plain, known = self.plain, self._plain
        cell = self.cell
        out: list[Row] = []
        for tr in parent:
            if tr.tag != tr_tag:
                continue
            row: list[Cell] = []
            for c in tr:
                tag = c.tag
                if tag != td and tag != th:
                    continue
                value = c.get("colspan")
                colspan = _SPAN.get(value) or _int(value)
                value = c.get("rowspan")
                rowspan = _SPAN.get(value) or _int(value)
                if len(c) == 1:
                    p = c[0]
                    if p.tag == para and len(p) == 0:
                        text = p.text or ""
                        paragraph = known.get(text) or plain(text)
                        row.append(Cell((paragraph,), colspan, rowspan, header))
                        continue
                row.append(cell(c, header, colspan, rowspan))
            out.append(tuple(row))
        return tuple(out)

    def cals_rows(self, tgroup: etree._Element, part: etree._Element, header: bool) -> list[Row]:
        """CALS rows: ``namest``/``nameend`` or ``spanname`` → colspan, ``morerows`` → rowspan."""
        n = self.n
        columns: dict[str, int] = {}
        col = 0
        for cs in (c for c in tgroup if c.tag == n.colspec):
            col = _int(cs.get("colnum"), col + 1)
            name = cs.get("colname")
            if name:
                columns[name] = col
        spans = {
            s.get("spanname"): (s.get("namest"), s.get("nameend"))
            for s in tgroup
            if s.tag == n.spanspec
        }
        out: list[Row] = []
        for row in part:
            if row.tag != n.row:
                continue
            cells: list[Cell] = []
            for entry in row:
                if entry.tag != n.entry:
                    continue
                start, end = entry.get("namest"), entry.get("nameend")
                if entry.get("spanname") in spans:
                    start, end = spans[entry.get("spanname")]
                colspan = 1
                if start in columns and end in columns:
                    colspan = max(columns[end] - columns[start] + 1, 1)
                rowspan = _int(entry.get("morerows"), 0) + 1
                cells.append(self.cell(entry, header, colspan, rowspan))
            out.append(tuple(cells))
        return out

    def table(self, el: etree._Element, section_id: str) -> Table | None:
        n = self.n
        table_id = el.get(XML_ID)
        caption = ""
        thead: etree._Element | None = None
        tbodies: list[etree._Element] = []
        tgroups: list[etree._Element] = []
        loose_rows = False
        for ch in el:
            tag = ch.tag
            if tag == n.caption or tag == n.title:
                caption = self.inline_text(ch)
            elif tag == n.thead:
                thead = ch
            elif tag == n.tbody:
                tbodies.append(ch)
            elif tag == n.tgroup:
                tgroups.append(ch)
            elif tag == n.tr:
                loose_rows = True
        if thead is None and not tbodies and not tgroups and not loose_rows:
            return None
        if table_id:
            label = (el.get("label") or "").strip() or table_id.removeprefix("table_")
        else:
            # informal tables have no id: named after their section and position, as in chtml
            label = ""
            caption = caption if el.tag == n.table else ""
            table_id = f"{section_id}#informal{self._table_count.get(section_id, 0) + 1}"
        if tgroups:
            header: list[Row] = []
            body: list[Row] = []
            for tg in tgroups:
                for part in tg:
                    if part.tag == n.thead:
                        header.extend(self.cals_rows(tg, part, True))
                    elif part.tag == n.tbody:
                        body.extend(self.cals_rows(tg, part, False))
            head_rows, body_rows = tuple(header), tuple(body)
        else:
            rows: list[Row] = []
            for tb in tbodies:
                rows.extend(self.html_rows(tb, False))
            if not tbodies:
                rows.extend(self.html_rows(el, False))
            head_rows, body_rows = self.html_rows(thead, True), tuple(rows)
        table = Table(
            id=table_id,
            label=label,
            caption=caption,
            header=head_rows,
            body=body_rows,
            section_id=section_id,
            source=self.source,
        )
        if table_id in self.doc.tables:
            self.duplicates.append(table_id)
        else:
            self.doc.tables[table_id] = table
            self._table_count[section_id] = self._table_count.get(section_id, 0) + 1
        return table

    # -- sections ---------------------------------------------------------------------------
    def section(
        self,
        el: etree._Element,
        parent: str | None,
        select: Callable[[str], bool] | None,
        selected: bool,
    ) -> None:
        n = self.n
        sid = el.get(XML_ID)
        if sid is None:
            # untitled wrappers (a glossary, a bibliography): their sections belong to the parent
            for child in el:
                if child.tag in n.sections or child.tag in n.wrappers:
                    self.section(child, parent, select, selected)
            return
        if not selected and select is not None:
            selected = select(f"{sid}.html")
        if selected:
            sec = self.doc.sections.get(sid)
            if sec is None:
                label = sid
                for prefix in ("sect_", "chapter_"):
                    if sid.startswith(prefix):
                        label = sid[len(prefix) :]
                        break
                else:
                    label = (el.get("label") or "").strip()
                sec = Section(sid, label, self._title_of(el), parent, source=self.source)
                self.doc.sections[sid] = sec
            else:
                self.duplicates.append(sid)
            self.blocks(el, sid, sec.blocks)
        for child in el:
            if child.tag in n.sections or child.tag in n.wrappers:
                self.section(child, sid, select, selected)

    def read(
        self,
        select: Callable[[str], bool] | None,
        progress: Callable[[int, int], None] | None,
    ) -> None:
        n = self.n
        book_id = self.root.get(XML_ID) or self.part_name
        tops = [c for c in self.root if c.tag in n.sections or c.tag in n.wrappers]
        for i, top in enumerate(tops):
            if progress:
                progress(i + 1, len(tops))
            self.section(top, book_id, select, select is None)
        if self.duplicates:
            shown = ", ".join(sorted(set(self.duplicates))[:10])
            more = len(set(self.duplicates)) - 10
            self.doc.problems.append(
                f"{self.source}: {len(self.duplicates)} repeated xml:id(s) ({shown}"
                f"{f', … {more} more' if more > 0 else ''}); sections merged, first table kept"
            )


def book_edition(root: etree._Element) -> tuple[int | None, str | None]:
    """(part, edition) from the book's subtitle, "DICOM PS3.3 2016c - Information Object …"."""
    ns = etree.QName(root).namespace or ""
    q = f"{{{ns}}}" if ns else ""
    sub = root.find(f"{q}subtitle")
    if sub is None:
        sub = root.find(f"{q}info/{q}subtitle")
    if sub is not None:
        m = _SUBTITLE.search(_norm("".join(str(t) for t in sub.itertext())))
        if m:
            return int(m.group(1)), m.group(2)
    m = _PART_NAME.match(root.get("label") or root.get(XML_ID) or "")
    return (int(m.group(1)) if m else None), None


def read_docbook_part(
    path: Path,
    part: int,
    edition: str | None = None,
    *,
    select: Callable[[str], bool] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Document:
    """Read one part's DocBook file (``partNN.xml``) into a :class:`Document`.

    ``edition`` defaults to the one the book's subtitle names. ``select`` is called with
    ``f"{section_id}.html"``, the name that section's page has in the chunked XHTML, so one
    predicate serves both adapters; a selected section is read with everything below it.
    ``progress(i, n)`` is called before each of the ``n`` chapters. A missing or malformed file,
    or a book of another part, raises :class:`SourceError` naming the file.
    """
    path = Path(path)
    root = parse_file(path)
    if etree.QName(root).localname != "book":
        raise SourceError(f"{path}: not a DocBook book (root element {root.tag!r})")
    found_part, found_edition = book_edition(root)
    if found_part is not None and found_part != part:
        raise SourceError(f"{path}: this is PS3.{found_part}, not PS3.{part}")
    if edition is None:
        if found_edition is None:
            raise SourceError(
                f"{path}: no edition in the book's subtitle; pass the edition explicitly"
            )
        edition = found_edition
    doc = Document(part=part, edition=edition, format="docbook")
    if found_edition is not None and found_edition != edition:
        doc.problems.append(f"{path}: subtitle names edition {found_edition}, read as {edition}")
    reader = _BookReader(doc, root, path.name)
    # The model is acyclic and built in one go: pausing the cyclic collector saves a third.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        reader.read(select, progress)
    finally:
        if was_enabled:
            gc.enable()
    return doc

"""The document model every source adapter yields.

NEMA writes the standard in DocBook 5 and renders it, among others, to chunked XHTML. Both keep the
same ids, tables, cells and nesting marks, so one small model carries everything the spec
extraction needs, and everything above the adapters is format-blind:

* a :class:`Document` per part (PS3.3, PS3.4, ...) with its edition,
* :class:`Section` (id, label such as ``C.7.1.1``, title, parent) holding a list of blocks,
* blocks: :class:`Paragraph`, :class:`VariableList` (``<variablelist>`` / ``<dl>``),
  :class:`ItemizedList`, and :class:`TableRef` pointing at a :class:`Table`,
* :class:`Table` (id, caption, header rows, body rows) of :class:`Cell` s that keep their text,
  their links to other ids, italic runs, and ``colspan``/``rowspan``.

Text is whitespace-normalised (runs of blanks become one space, stripped; zero-width break hints
dropped, see :func:`normalize_text`); nothing else is
changed, so the standard's words survive unaltered into the spec.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\ufeff\u00ad"), None)


def normalize_text(text: str) -> str:
    """Collapse whitespace and drop zero-width break hints and soft hyphens.

    NEMA sprinkles U+200B into UIDs and keywords ("1.2.840.10008.1.\u200b2") so they wrap in
    print; they are not part of the standard's words. Both adapters normalise text this way.
    """
    if not text.isascii():
        text = text.translate(_ZERO_WIDTH).replace("\u00a0", " ")
    return " ".join(text.split())


@dataclass(frozen=True, slots=True)
class Paragraph:
    """A paragraph (``<para>`` / ``<p>``) or any run of inline text."""

    text: str
    links: tuple[str, ...] = ()  # ids of the tables/sections/... it links to, in order
    italic: tuple[str, ...] = ()  # the text of each italic run


@dataclass(frozen=True, slots=True)
class VariableListEntry:
    term: str
    definition: tuple[Paragraph, ...] = ()

    @property
    def definition_text(self) -> str:
        return " ".join(p.text for p in self.definition if p.text)


@dataclass(frozen=True, slots=True)
class VariableList:
    """A term/definition list; the standard uses it for Enumerated Values and Defined Terms.

    ``title`` is the list's own title when it has one (e.g. "Enumerated Values:",
    "Enumerated Values if Segmentation Type (0062,0001) is BINARY:"); ``intro`` is the text of
    the paragraph right before it when the list has no title (older editions write
    "Enumerated Values:" as a paragraph and the list after it).
    """

    title: str
    entries: tuple[VariableListEntry, ...]
    intro: str = ""


@dataclass(frozen=True, slots=True)
class ItemizedList:
    """A bulleted or numbered list; each item is its paragraphs, nested lists flattened.

    ``item_lists`` holds, per item (same order as ``items``), the term/definition lists that
    sit in that item itself (not in a nested item). The standard writes value lists this way:
    "Value 1 shall identify the Pixel Data Characteristics" followed, inside the same list
    item, by "Enumerated Values: ORIGINAL, DERIVED" (PS3.3 C.7.6.1.1.2); flattened into
    paragraphs the terms would be lost. Empty when no item holds such a list.
    """

    items: tuple[tuple[Paragraph, ...], ...]
    item_lists: tuple[tuple[VariableList, ...], ...] = ()


@dataclass(frozen=True, slots=True)
class TableRef:
    """Marks where in a section a table sits; the table itself is in ``Document.tables``."""

    table_id: str


Block = Paragraph | VariableList | ItemizedList | TableRef


@dataclass(frozen=True, slots=True)
class Cell:
    """One table cell: its blocks, its span, and convenience views on its text and links."""

    blocks: tuple[Block, ...]
    colspan: int = 1
    rowspan: int = 1
    header: bool = False

    @property
    def paragraphs(self) -> tuple[Paragraph, ...]:
        return tuple(b for b in self.blocks if isinstance(b, Paragraph))

    @property
    def text(self) -> str:
        """The cell's whole text, blocks joined by newlines."""
        return "\n".join(t for t in (_block_text(b) for b in self.blocks) if t)

    @property
    def links(self) -> tuple[str, ...]:
        out: list[str] = []
        for b in self.blocks:
            out.extend(_block_links(b))
        return tuple(out)

    @property
    def italic(self) -> tuple[str, ...]:
        out: list[str] = []
        for b in self.blocks:
            if isinstance(b, Paragraph):
                out.extend(b.italic)
        return tuple(out)

    @property
    def variable_lists(self) -> tuple[VariableList, ...]:
        return tuple(b for b in self.blocks if isinstance(b, VariableList))


def _block_text(b: Block) -> str:
    if isinstance(b, Paragraph):
        return b.text
    if isinstance(b, VariableList):
        head = b.title or b.intro
        lines = [head] if head else []
        lines += [f"{e.term}: {e.definition_text}".rstrip(": ") for e in b.entries]
        return "\n".join(lines)
    if isinstance(b, ItemizedList):
        return "\n".join(" ".join(p.text for p in item) for item in b.items)
    return ""


def _block_links(b: Block) -> list[str]:
    if isinstance(b, Paragraph):
        return list(b.links)
    if isinstance(b, VariableList):
        return [lk for e in b.entries for p in e.definition for lk in p.links]
    if isinstance(b, ItemizedList):
        return [lk for item in b.items for p in item for lk in p.links]
    return []


Row = tuple[Cell, ...]


@dataclass(frozen=True, slots=True)
class Table:
    """A table as written: header rows and body rows of cells with their spans.

    ``caption`` is the title without its "Table X-Y." prefix (e.g. "Segmentation IOD Modules");
    ``label`` is that prefix's number ("A.51-1"). ``section_id`` is the innermost section that
    holds the table. ``source`` names the file it came from (for error messages).
    """

    id: str
    label: str
    caption: str
    header: tuple[Row, ...]
    body: tuple[Row, ...]
    section_id: str
    source: str = ""

    def grid(self, rows: tuple[Row, ...] | None = None) -> list[list[Cell]]:
        """Rows with rowspan/colspan expanded, so every row has one cell per column.

        A cell spanning several rows or columns is repeated in each slot it covers (the same
        object), which is what the extraction needs: an IE cell spanning ten module rows
        belongs to each of them.
        """
        rows = self.body if rows is None else rows
        pending: dict[int, tuple[Cell, int]] = {}  # column -> (cell, rows still to cover)
        out: list[list[Cell]] = []
        for row in rows:
            line: list[Cell] = []
            col = 0
            cells = iter(row)
            while True:
                if col in pending:
                    cell, left = pending[col]
                    line.append(cell)
                    if left > 1:
                        pending[col] = (cell, left - 1)
                    else:
                        del pending[col]
                    col += 1
                    continue
                nxt = next(cells, None)
                if nxt is None:
                    break
                for _ in range(max(nxt.colspan, 1)):
                    line.append(nxt)
                    if nxt.rowspan > 1:
                        pending[col] = (nxt, nxt.rowspan - 1)
                    col += 1
            # Trailing columns still covered by a rowspan from above.
            while col in pending:
                cell, left = pending[col]
                line.append(cell)
                if left > 1:
                    pending[col] = (cell, left - 1)
                else:
                    del pending[col]
                col += 1
            out.append(line)
        return out

    @property
    def header_texts(self) -> tuple[str, ...]:
        """The last header row's cell texts (the column names)."""
        if not self.header:
            return ()
        return tuple(c.text for c in self.grid(self.header)[-1])


@dataclass(slots=True)
class Section:
    """A section, chapter or appendix: ``label`` is its number ("C.7.1.1", "A", "10.2")."""

    id: str
    label: str
    title: str
    parent: str | None
    blocks: list[Block] = field(default_factory=list)
    source: str = ""

    @property
    def heading(self) -> str:
        return f"{self.label} {self.title}".strip()


@dataclass(slots=True)
class Document:
    """One part of one edition, as the adapters read it."""

    part: int  # 3 for PS3.3, ...
    edition: str  # "2024c"
    format: str  # "docbook" or "chtml"
    sections: dict[str, Section] = field(default_factory=dict)
    tables: dict[str, Table] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # what could not be read, with file names

    def section_of(self, target: str) -> Section | None:
        return self.sections.get(target)

    def tables_in(self, section_id: str) -> Iterator[Table]:
        """Tables placed directly in a section, in document order."""
        sec = self.sections.get(section_id)
        if sec is None:
            return
        for b in sec.blocks:
            if isinstance(b, TableRef) and b.table_id in self.tables:
                yield self.tables[b.table_id]

    def children(self, section_id: str) -> Iterator[Section]:
        for s in self.sections.values():
            if s.parent == section_id:
                yield s

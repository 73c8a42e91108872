"""PS3.3 → IODs, modules, macros and their attribute rules.

What is read, and how it is recognised (by caption and columns, never by table number, so a new
edition's tables are found without a list):

* IOD module tables — caption "… IOD Modules", columns IE / Module / Reference / Usage (composite
  IODs, Annex A) or Module / Reference / Module Description (normalized IODs, Annex B);
* functional group macro tables — caption "… Functional Group Macros", columns Functional Group
  Macro / Section / Usage;
* attribute tables — columns Attribute Name / Tag / [Type] / Attribute Description; "module"
  when the caption ends "Module Attributes", "macro" for "Macro Attributes", "other" otherwise.

A table whose columns are not the expected ones is reported (file and table id) and skipped; the
rest of the edition still builds.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from ..sources.model import Cell, Document, Paragraph, Section, Table, TableRef
from .counts import item_counts, module_vm, value_count
from .directory import extract_directory, link_record_keys
from .model import (
    AttributeRule,
    AttributeTable,
    DirectoryRecordType,
    FunctionalGroup,
    IncludeRule,
    Iod,
    IodModule,
    NoteRule,
    Rule,
    ValueSet,
)
from .overrides import overridden_modules
from .relations import about_attribute, split_sentences, value_relations
from .text import (
    cell_value_sets,
    condition_text,
    conditional_text,
    context_groups,
    parse_tag,
    split_nesting,
    starts_with_condition,
    value_sets,
)

IOD_COLUMNS = ("IE", "Module", "Reference", "Usage")
NORMALIZED_IOD_COLUMNS = ("Module", "Reference")
FG_COLUMNS = ("Functional Group Macro", "Section", "Usage")
_INCLUDE = re.compile(r"^Include\b", re.I)
_USAGE = re.compile(r"^\s*([MCU])\b\s*(?:[-–—:]\s*)?(.*)$", re.S)


def _lower(cols: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(" ".join(c.split()).lower() for c in cols)


def is_attribute_table(t: Table) -> bool:
    """Attribute Name (or Key: the Directory Record Keys of PS3.3 F.5), Tag, …"""
    h = _lower(t.header_texts)
    return len(h) >= 3 and h[0] in ("attribute name", "key") and h[1] == "tag"


def has_attribute_columns(t: Table) -> bool:
    """Attribute Name, Tag, [Type,] [Attribute] Description and nothing else: a table that starts
    like an attribute table but has another third or last column would be misread (its third
    column taken for the type or the description), so it is reported instead."""
    h = _lower(t.header_texts)
    if not h or h[-1] not in ("attribute description", "description"):
        return False
    return len(h) == 3 or (len(h) == 4 and h[2] == "type")


def is_iod_table(t: Table) -> bool:
    return t.caption.endswith("IOD Modules")


def is_fg_table(t: Table) -> bool:
    return t.caption.endswith("Functional Group Macros")


class Ps33Extractor:
    """Reads one PS3.3 document; results in ``iods``, ``tables`` and ``problems``."""

    def __init__(self, doc: Document, progress: Callable[[str], None] | None = None) -> None:
        self.doc = doc
        self.iods: dict[str, Iod] = {}
        self.tables: dict[str, AttributeTable] = {}
        self.problems: list[str] = []
        self.directory: list[DirectoryRecordType] = []
        self.progress = progress

    def problem(self, table: Table | None, message: str) -> None:
        where = f"{table.source}: {table.id}: " if table is not None else ""
        self.problems.append(f"PS3.3 {self.doc.edition}: {where}{message}")

    # -- attribute tables -----------------------------------------------------------------
    def run(self) -> None:
        for t in self.doc.tables.values():
            if is_attribute_table(t) and has_attribute_columns(t):
                try:
                    self.tables[t.id] = self.attribute_table(t)
                except Exception as exc:  # noqa: BLE001 - a broken table must not stop the edition
                    self.problem(t, f"cannot read attribute table: {exc}")
            elif is_attribute_table(t) or t.caption.endswith(
                ("Module Attributes", "Macro Attributes")
            ):
                self.problem(
                    t,
                    f"unexpected columns {t.header_texts!r} for an attribute table "
                    "(expected Attribute Name, Tag, [Type,] Attribute Description)",
                )
        for t in self.doc.tables.values():
            if is_iod_table(t):
                iod = self.iod_table(t)
                if iod is not None:
                    self.iods[iod.id] = iod
        for t in self.doc.tables.values():
            if is_fg_table(t):
                self.fg_table(t)
        self.check_includes()
        self.directory, problems = extract_directory(self.doc, self.tables)
        self.problems.extend(problems)
        for linked in link_record_keys(self.tables, self.directory):
            # the row that "does not link to a table" now links each record type's Keys
            self.problems = [
                p for p in self.problems if not (linked in p and "Record Selection Keys" in p)
            ]

    def attribute_table(self, t: Table) -> AttributeTable:
        h = _lower(t.header_texts)
        has_type = len(h) >= 4 and h[2] == "type"
        cap = t.caption
        if cap.endswith("Module Attributes"):
            kind, name = "module", cap[: -len(" Attributes")]
        elif cap.endswith("Macro Attributes"):
            kind, name = "macro", cap[: -len(" Attributes")]
        else:
            kind, name = "other", cap
        table = AttributeTable(
            id=t.id,
            label=t.label,
            name=name,
            kind=kind,  # type: ignore[arg-type]
            section=t.section_id,
            has_type_column=has_type,
        )
        # The stack holds (depth, rules list): rules at depth d go into the items of the last
        # attribute at depth d-1.
        # last[d] is the last attribute or include at depth d: rules at depth d+1 go into its
        # items (attribute) or extend the included table's last sequence (include).
        last: dict[int, AttributeRule | IncludeRule] = {}
        target: list[Rule]
        for row in t.grid():
            rule, depth = self.row(t, row, has_type)
            if rule is None:
                continue
            if depth == 0:
                target = table.rules
            else:
                parent = last.get(depth - 1)
                if isinstance(parent, AttributeRule):
                    target = parent.items
                elif isinstance(parent, IncludeRule):
                    target = parent.nested
                else:
                    self.problem(
                        t, f"row {_row_text(row)!r} is nested {depth} deep under no sequence"
                    )
                    deepest = max((d for d in last if d < depth), default=None)
                    p = last[deepest] if deepest is not None else None
                    target = (
                        p.items
                        if isinstance(p, AttributeRule)
                        else p.nested
                        if isinstance(p, IncludeRule)
                        else table.rules
                    )
            target.append(rule)
            if isinstance(rule, (AttributeRule, IncludeRule)):
                last[depth] = rule
                for d in [d for d in last if d > depth]:
                    del last[d]
        return table

    def row(self, t: Table, row: list[Cell], has_type: bool) -> tuple[Rule | None, int]:
        first = row[0]
        depth, name = split_nesting(first.text.split("\n")[0])
        distinct = _distinct(row)
        # "Include Non-DICOM Objects (2200,0008)" is an attribute whose name starts "Include":
        # a row with its own tag cell is an attribute row, whatever its name says.
        own_tag = len(row) > 1 and row[1] is not first and parse_tag(row[1].text) is not None
        if _INCLUDE.match(name) and not own_tag:
            return self.include(t, row, distinct), depth
        if len(distinct) == 1:
            return NoteRule(first.text, t.id), depth
        ncol = 4 if has_type else 3
        if len(row) < ncol:
            self.problem(t, f"row {_row_text(row)!r} has {len(row)} cells, expected {ncol}")
            return None, 0
        tag_cell = row[1]
        type_ = row[2].text.strip() if has_type else ""
        desc = row[ncol - 1]
        tag = parse_tag(tag_cell.text)
        if tag is None:
            # e.g. ">>Any Attributes" rows: kept as notes so nothing is lost
            return NoteRule(f"{first.text} {tag_cell.text} {desc.text}".strip(), t.id), depth
        if type_ not in ("1", "1C", "2", "2C", "3", ""):
            self.problem(t, f"attribute {name} {tag} has unknown type {type_!r}")
        description = desc.text
        condition, otherwise = ("", "")
        if type_ in ("1C", "2C") or not has_type:
            condition, otherwise = (
                conditional_text(description, desc.blocks)
                if has_type
                else condition_text(description, desc.blocks)
            )
        # a sequence's description speaks of its items, never of a value it would have
        prose = not name.endswith("Sequence")
        sets = cell_value_sets(desc, t.id, tag, tables=self.doc.tables, prose=prose)
        # Lists from a section the description links to complete the cell's own, never
        # contradict them: an unconditional linked list is dropped when the cell has its own
        # unconditional list for the same value (PET's Acquisition Termination Condition links
        # NM's section, whose Defined Terms lack RDD; Modality "Enumerated Values: PR" links the
        # General Series list of all modalities).
        own_plain = {v.value_index for v in sets if not v.condition}
        for vs in self.linked_value_sets(name, tag, desc, prose):
            if not vs.condition and vs.value_index in own_plain:
                continue
            if not any(
                (v.kind, v.values, v.condition, v.value_index)
                == (vs.kind, vs.values, vs.condition, vs.value_index)
                for v in sets
            ):
                sets.append(vs)
        return (
            AttributeRule(
                name=name,
                tag=tag,
                type=type_,  # type: ignore[arg-type]
                description=description,
                condition=condition,
                otherwise=otherwise,
                value_sets=sets,
                context_groups=context_groups(description),
                module_vm=module_vm(description),
                item_counts=item_counts(description),
                value_count=value_count(description),
                relations=value_relations(description, self.linked_about(name, tag, desc)),
                overrides=overridden_modules(description),
                source=t.id,
            ),
            depth,
        )

    def include(self, t: Table, row: list[Cell], distinct: list[Cell]) -> IncludeRule:
        cell = distinct[0]
        target = ""
        for link in cell.links:
            if link in self.doc.tables:
                target = link
                break
            sec = self.doc.sections.get(link)
            if sec is not None:
                found = self.first_attribute_table(sec)
                if found:
                    target = found
                    break
        first_line = cell.text.split("\n")[0]
        _, text = split_nesting(first_line)
        # the qualifier: whatever the include cell says after the table's title, and the
        # description cell when the row has one
        rest = cell.text[len(first_line) :].strip()
        tail = _after_title(text)
        described = distinct[-1].text if len(distinct) > 1 and distinct[-1] is not cell else ""
        qualifier = " ".join(x for x in (tail.strip(" ."), rest, described) if x).strip()
        cond = include_condition(tail, rest, described)
        placeholder = ""
        if not target:
            if re.search(r"Functional Group Macros", text):
                placeholder = "functional-groups"
            else:
                placeholder = "unlinked"
                self.problem(t, f"include row {text!r} does not link to a table")
        return IncludeRule(
            table=target,
            text=text,
            qualifier=qualifier,
            condition=cond,
            context_groups=context_groups(qualifier),
            placeholder=placeholder,
            source=t.id,
        )

    def linked_value_sets(
        self, name: str, tag: str, desc: Cell, prose: bool = True
    ) -> list[ValueSet]:
        """Value lists from a section the description sends the reader to ("See C.8.20.2.1"),
        and from its sub-sections (PS3.3 C.8.16.1 "Image Type and Frame Type" gives each
        value its own sub-section, C.8.16.1.1 "Pixel Data Characteristics" …).

        A list is taken when its heading (or the sentence introducing it) names this
        attribute's tag, or when the section is about this attribute alone (its title, or the
        title of the linked section it is a sub-section of, is the attribute's name).
        """
        out: list[ValueSet] = []
        key = _simplify(name)
        for link in dict.fromkeys(desc.links):
            sec = self.doc.sections.get(link)
            if sec is None:
                continue
            alone = bool(key) and _simplify(sec.title) == key
            for s in self._with_subsections(sec):
                out.extend(self._section_value_sets(s, tag, alone, prose))
                # "Defined Terms for Patient Position shall be those specified in Section
                # C.7.3.1.1.2, plus the following:" (C.8.8.12.1.2): that section's lists too
                for b in s.blocks:
                    if isinstance(b, Paragraph) and _THOSE_IN.search(b.text):
                        for other in dict.fromkeys(b.links):
                            o = self.doc.sections.get(other)
                            if o is not None and o.id != s.id:
                                same = bool(key) and _simplify(o.title) == key
                                out.extend(self._section_value_sets(o, tag, same, prose))
        return out

    def linked_about(self, name: str, tag: str, desc: Cell) -> list[str]:
        """Sentences about this attribute in the sections its description links to
        (C.8.20.2.4: "Segment Number (0062,0004) shall be unique within each Instance, start
        at a value of 1, and increase monotonically by 1.")."""
        key = _simplify(name)
        out: list[str] = []
        for link in dict.fromkeys(desc.links):
            sec = self.doc.sections.get(link)
            if sec is None:
                continue
            alone = bool(key) and _simplify(sec.title) == key
            for b in sec.blocks:
                if isinstance(b, Paragraph):
                    out.extend(about_attribute(split_sentences(b.text), name, tag, alone))
        return out

    def _section_value_sets(
        self, sec: Section, tag: str, alone: bool, prose: bool
    ) -> list[ValueSet]:
        return value_sets(
            sec.blocks, sec.id, tag=tag, owned_only=not alone, tables=self.doc.tables, prose=prose
        )

    def _with_subsections(self, sec: Section, depth: int = 0) -> Iterator[Section]:
        yield sec
        if depth < 2:
            for child in self._children().get(sec.id, []):
                yield from self._with_subsections(child, depth + 1)

    def first_attribute_table(self, sec: Section) -> str:
        """The first attribute table in a section or, failing that, in its sub-sections."""
        for b in sec.blocks:
            if isinstance(b, TableRef):
                t = self.doc.tables.get(b.table_id)
                if t is not None and is_attribute_table(t):
                    return t.id
        for child in self._children().get(sec.id, []):
            found = self.first_attribute_table(child)
            if found:
                return found
        return ""

    _child_index: dict[str, list[Section]] | None = None

    def _children(self) -> dict[str, list[Section]]:
        if self._child_index is None:
            idx: dict[str, list[Section]] = {}
            for s in self.doc.sections.values():
                if s.parent:
                    idx.setdefault(s.parent, []).append(s)
            self._child_index = idx
        return self._child_index

    # -- IODs -------------------------------------------------------------------------------
    def iod_section(self, t: Table) -> str:
        """The IOD's own section: the nearest ancestor titled "… IOD" ("A.51 Segmentation IOD")."""
        sid: str | None = t.section_id
        while sid:
            sec = self.doc.sections.get(sid)
            if sec is None:
                break
            if re.search(r"\bIOD$|Information Object Definition$", sec.title):
                return sec.id
            sid = sec.parent
        sec = self.doc.sections.get(t.section_id)
        return (sec.parent or sec.id) if sec else t.section_id

    _by_name: dict[str, list[str]] | None = None

    def _tables_by_name(self) -> dict[str, list[str]]:
        """Attribute tables by simplified name, built once (resolve_module runs per IOD and
        functional group row, after :meth:`run` has read every attribute table)."""
        if self._by_name is None:
            index: dict[str, list[str]] = {}
            for at in self.tables.values():
                index.setdefault(_simplify(at.name), []).append(at.id)
            self._by_name = index
        return self._by_name

    def resolve_module(self, t: Table, name: str, reference: str, kind: str) -> str:
        wanted = _simplify(f"{name} {kind}")
        named = self._tables_by_name().get(wanted, [])
        sec = self.doc.sections.get(reference)
        if sec is not None:
            found = self.first_attribute_table(sec)
            if found and found not in self.tables:
                return ""  # the table could not be read (reported); the row stays unresolved
            if found:
                if _simplify(self.tables[found].name) != wanted and len(named) == 1:
                    # The row's name and its link disagree, and the name is exactly one table's
                    # (2024c Table A.66.3-1: "Enhanced Contrast/Bolus" links C.7.6.4, the
                    # Contrast/Bolus Module; the Enhanced Contrast/Bolus Module is C.7.6.4b).
                    self.problem(
                        t,
                        f"{kind.lower()} {name!r} links {reference} ({self.tables[found].name}); "
                        f"using {named[0]} ({self.tables[named[0]].name}) by name",
                    )
                    return named[0]
                return found
        # fall back on the name: "<Name> Module Attributes"
        return named[0] if named else ""

    def iod_table(self, t: Table) -> Iod | None:
        h = _lower(t.header_texts)
        name = t.caption[: -len(" IOD Modules")]
        iod = Iod(id=t.id, name=name, section=self.iod_section(t))
        if h[:4] == _lower(IOD_COLUMNS):
            cols = {"ie": 0, "module": 1, "reference": 2, "usage": 3}
        elif h[:2] == _lower(NORMALIZED_IOD_COLUMNS):
            iod.normalized = True
            cols = {"module": 0, "reference": 1}
            if len(h) > 2 and h[2] == "usage":
                cols["usage"] = 2
        else:
            self.problem(t, f"unexpected columns {t.header_texts!r} for an IOD module table")
            return None
        for row in t.grid():
            if len(_distinct(row)) == 1:
                continue  # a note row spanning the table
            mname = row[cols["module"]].text
            ref_cell = row[cols["reference"]]
            reference = next((lk for lk in ref_cell.links if lk in self.doc.sections), "")
            if not reference and ref_cell.links:
                reference = ref_cell.links[0]
            usage_text = row[cols["usage"]].text if "usage" in cols else "M"
            m = _USAGE.match(usage_text)
            if m:
                usage, condition = m.group(1), " ".join(m.group(2).split())
            else:
                usage, condition = "C", usage_text
                self.problem(t, f"module {mname!r} has unreadable usage {usage_text!r}")
            table = self.resolve_module(t, mname, reference, "Module")
            if not table:
                self.problem(
                    t, f"module {mname!r} ({reference or 'no link'}) does not resolve to a table"
                )
            iod.modules.append(
                IodModule(
                    ie=row[cols["ie"]].text if "ie" in cols else "",
                    name=mname,
                    reference=reference,
                    table=table,
                    usage=usage,  # type: ignore[arg-type]
                    condition=condition,
                )
            )
        return iod

    def fg_table(self, t: Table) -> None:
        h = _lower(t.header_texts)
        if h[:3] != _lower(FG_COLUMNS):
            self.problem(t, f"unexpected columns {t.header_texts!r} for a functional group table")
            return
        section = self.iod_section(t)
        iod = next((i for i in self.iods.values() if i.section == section), None)
        if iod is None:
            # match by name: "Enhanced CT Image Functional Group Macros" → "Enhanced CT Image"
            base = t.caption[: -len(" Functional Group Macros")]
            iod = next(
                (i for i in self.iods.values() if _simplify(i.name).startswith(_simplify(base))),
                None,
            )
        if iod is None:
            self.problem(t, "functional group table belongs to no IOD module table")
            return
        iod.functional_groups_table = t.id
        for row in t.grid():
            if len(_distinct(row)) == 1:
                continue
            name = row[0].text
            ref_cell = row[1]
            reference = next(
                (lk for lk in ref_cell.links if lk in self.doc.sections or lk in self.doc.tables),
                "",
            )
            table = reference if reference in self.tables else ""
            if not table:
                table = self.resolve_module(t, name, reference, "Macro")
            m = _USAGE.match(row[2].text)
            usage, condition = (
                (m.group(1), " ".join(m.group(2).split())) if m else ("C", row[2].text)
            )
            if not table:
                self.problem(
                    t, f"functional group {name!r} ({reference}) does not resolve to a table"
                )
            iod.functional_groups.append(
                FunctionalGroup(
                    name=name,
                    reference=reference,
                    table=table,
                    usage=usage,  # type: ignore[arg-type]
                    condition=condition,
                )
            )

    def check_includes(self) -> None:
        for at in self.tables.values():
            for rule in walk_rules(at.rules):
                if isinstance(rule, IncludeRule) and rule.table and rule.table not in self.tables:
                    t = self.doc.tables.get(rule.table)
                    self.problems.append(
                        f"PS3.3 {self.doc.edition}: {at.id}: include of {rule.table} "
                        f"({t.caption if t else 'no such table'}) is not an attribute table"
                    )


def include_cycles(tables: dict[str, AttributeTable]) -> list[list[str]]:
    """Chains of includes that come back to where they started, each listed once, starting
    from its smallest table id.

    The standard recurses on purpose: Table C.17-6 (Document Relationship Macro) includes itself
    for the SR content tree, Table C.38.2-3 (Inventory Reference Macro) "Recursive inclusion to
    describe a tree". A generator that expands includes inline must stop at these; they are not
    problems of the source, so they are not reported as such."""
    edges = {
        tid: sorted(
            {
                r.table
                for r in walk_rules(t.rules)
                if isinstance(r, IncludeRule) and r.table in tables
            }
        )
        for tid, t in tables.items()
    }
    found: set[tuple[str, ...]] = set()
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(tid: str) -> None:
        state[tid] = 1
        path.append(tid)
        for nxt in edges[tid]:
            if state.get(nxt) == 1:
                loop = path[path.index(nxt) :]
                i = loop.index(min(loop))
                found.add(tuple(loop[i:] + loop[:i]))
            elif nxt not in state:
                visit(nxt)
        path.pop()
        state[tid] = 2

    for tid in sorted(edges):
        if tid not in state:
            visit(tid)
    return [[*c, c[0]] for c in sorted(found)]


_THOSE_IN = re.compile(
    r"(?i)\b(?:Enumerated\s+Values|Defined\s+Terms)\b[^.]*?\b(?:shall\s+be|are)\s+those\s+"
    r"(?:specified|defined|listed)\s+in\b"
)
_QUOTED_TITLE = re.compile(r"“[^”]*”|\"[^\"]*\"")
_TABLE_LABEL = re.compile(r"^Include\s+Table\s+[\w.-]+", re.I)
_TAIL_CONDITION = re.compile(r"^(?:if\s+and\s+only\s+if|only\s+if|if|when|unless)\b", re.I)
_INCLUDE_IF = re.compile(r"^Include(?:d)?\s+(?:only\s+)?(?=(?:if|when|unless)\b)", re.I)


def _after_title(text: str) -> str:
    """What an include's text says after the included table's title: 'Include Table C.18.1-1
    “Numeric Measurement Macro Attributes” if and only if …' → 'if and only if …'."""
    m = _QUOTED_TITLE.search(text) or _TABLE_LABEL.match(text)
    return text[m.end() :].lstrip(" .,").strip() if m else ""


def include_condition(tail: str, rest: str, described: str) -> str:
    """The words that make an inclusion conditional, or "".

    Either the include's own text goes on with "if …" / "if and only if …" (Table C.17-5), or
    a paragraph of the description starts the condition ("Required if …", "Include if …",
    Table C.7-11a). An "if" elsewhere is not the inclusion's condition: "May not be necessary
    if the anatomy is implicit …", "If Treatment Tolerance Violation Category … is CLINICAL,
    Defined CID is 9566" (a choice of context group), "In this Module, Primary Anatomic
    Structure Sequence is specialized to be Type 1C; required if …" (one attribute's type).
    """
    if _TAIL_CONDITION.match(tail):
        return tail
    for block in (rest, described):
        paras = [p for p in block.split("\n") if p]
        for i, para in enumerate(paras):
            m = _INCLUDE_IF.match(para)
            if m:
                chunk = [para[m.end() :]]
                if i + 1 < len(paras) and re.search(r"\botherwise\b", paras[i + 1], re.I):
                    chunk.append(paras[i + 1])
                return " ".join(chunk)
        cond, _ = condition_text(block)
        if cond and starts_with_condition(cond):
            return cond
    return ""


def walk_rules(rules: list[Rule]) -> Iterator[Rule]:
    """Every rule, depth first, including items of sequences and rows nested under includes."""
    for r in rules:
        yield r
        if isinstance(r, AttributeRule):
            yield from walk_rules(r.items)
        elif isinstance(r, IncludeRule):
            yield from walk_rules(r.nested)


def _distinct(row: list[Cell]) -> list[Cell]:
    out: list[Cell] = []
    for c in row:
        if not out or out[-1] is not c:
            out.append(c)
    return out


def _row_text(row: list[Cell]) -> str:
    return " | ".join(c.text[:40] for c in _distinct(row))


def _simplify(text: str) -> str:
    t = text.lower().replace("attributes", "").replace("attribute", "")
    return " ".join(re.sub(r"[^a-z0-9 ]", " ", t).split())


def extract(doc: Document) -> Ps33Extractor:
    ex = Ps33Extractor(doc)
    ex.run()
    return ex

"""Matching content items to template rows: the rows a level offers (INCLUDEs flattened into
:class:`Slot` s, indexed in a :class:`SlotIndex`), how well a concept name fits a row's
constraint, and what the choice between equally fitting rows may be remembered by (an item's
:func:`shape`, the templates that test values). Used by :mod:`iodkit.validation.templates`.
"""

from __future__ import annotations

import re
from typing import Any

from iodkit.codes import Code
from iodkit.rulemodel.coded import Constraint, Param, ValueSet, concept_key, in_group, is_extensible

from .findings import Finding
from .sr_tree import Item
from .template_book import RowNode, Template, TemplateBook, constraint

MAX_INCLUDE_DEPTH = 12


class Slot:
    """A concrete row a content item can fit, reached through ``chain`` (INCLUDE rows); what
    matching needs is worked out once: the relationship (the row's, else the nearest INCLUDE
    row's), the mode, and the row's own code when it fixes the concept name."""

    __slots__ = ("node", "chain", "key", "relationship", "by_reference", "value_type", "code")

    def __init__(self, node: RowNode, chain: tuple[RowNode, ...]) -> None:
        self.node = node
        self.chain = chain
        self.key = tuple(id(x) for x in chain)
        row = node.row
        self.relationship = row.relationship or next(
            (i.row.relationship for i in reversed(chain) if i.row.relationship), ""
        )
        self.by_reference = row.by_reference or any(i.row.by_reference for i in chain)
        self.value_type = row.value_type
        c = row.concept
        self.code = (
            (c.code[0], c.code[1]) if c is not None and c.code and c.strength == "EV" else None
        )


class SlotIndex:
    """The slots of one level by value type and mode; those fixing an EV concept name also by
    that code, so an item is scored only against the rows it can fit."""

    def __init__(self, slots: list[Slot]) -> None:
        self.slots = slots
        self.exact: dict[tuple[str, bool, tuple[str, str]], list[Slot]] = {}
        self.other: dict[tuple[str, bool], list[Slot]] = {}
        for s in slots:
            if s.code is not None:
                self.exact.setdefault((s.value_type, s.by_reference, s.code), []).append(s)
            else:
                self.other.setdefault((s.value_type, s.by_reference), []).append(s)


def flatten(
    book: TemplateBook, rows: list[RowNode], depth: int = 0
) -> list[tuple[RowNode, tuple[RowNode, ...]]]:
    """The concrete rows of a level with the INCLUDE rows leading to each (PS3.16 6.2.3: an
    included template's rows stand in for the INCLUDE row)."""
    out: list[tuple[RowNode, tuple[RowNode, ...]]] = []
    for r in rows:
        if r.row.value_type != "INCLUDE":
            out.append((r, ()))
            continue
        t = book.get(r.row.include)
        if t is None or depth > MAX_INCLUDE_DEPTH:
            continue
        out.extend((node, (r, *chain)) for node, chain in flatten(book, t.top, depth + 1))
    return out


def needs_items(book: TemplateBook, node: RowNode, depth: int = 0) -> bool:
    """Whether a row must have content items to be present: a content item row, or an
    INCLUDE of a template with a top row of its own that is M (a template all of whose rows
    are optional can be invoked with no content item at all)."""
    if node.row.value_type != "INCLUDE":
        return True
    t = book.get(node.row.include)
    if t is None or depth > MAX_INCLUDE_DEPTH:
        return False
    return any(r.row.requirement == "M" and needs_items(book, r, depth + 1) for r in t.top)


def single_top(t: Template) -> bool:
    """A template of one top row (not an INCLUDE): each item there is one invocation."""
    return len(t.top) == 1 and t.top[0].row.value_type != "INCLUDE"


# value types whose Concept Name may be absent: "Required if … the Purpose of Reference is
# conveyed in the Concept Name" (PS3.3 Table C.17-5)
UNNAMED_REFERENCES = frozenset(("COMPOSITE", "IMAGE", "WAVEFORM", "SCOORD", "SCOORD3D", "TCOORD"))


def concept_score(code: Code | None, c: Constraint, value_type: str = "") -> int:
    """3 the row's own code, 2 a member of its group, 1 an open row, 0 no fit. An unnamed
    reference (``value_type`` in :data:`UNNAMED_REFERENCES`) fits a row whose purpose of
    reference is only suggested (BCID, DT) as an open row: its purpose is not conveyed."""
    if c is None or isinstance(c, Param):
        return 1
    if code is None:
        suggested = all(
            isinstance(w, ValueSet) and w.kind in ("BCID", "DT")
            for w in (c if isinstance(c, tuple) else (c,))
        )
        return 1 if suggested and value_type in UNNAMED_REFERENCES else 0
    best = 0
    for w in c if isinstance(c, tuple) else (c,):
        if isinstance(w, ValueSet):
            if w.kind == "DT" and w.code is not None:
                best = max(best, 3 if concept_key(code) == concept_key(w.code) else 1)
            elif w.kind == "BCID":
                best = max(best, 2 if in_group(code, w.cid) else 1)
            else:
                member = in_group(code, w.cid)
                if member:
                    best = max(best, 2)
                elif member is None or is_extensible(w.cid):
                    best = max(best, 1)  # an extensible group admits it (with a warning)
        elif concept_key(code) == concept_key(w):
            best = 3
    return best


def roots_for(book: TemplateBook, title: Code, value_type: str) -> list[Template]:
    """The root templates whose row 1 admits a document of this title (its own code, or a
    member of its context group)."""
    fits = []
    for tid in book.roots:
        t = book.get(tid)
        if t is None or not t.top:
            continue
        row = t.top[0].row
        c = constraint((row.concept,) if row.concept else (), {})
        if row.value_type == value_type and concept_score(title, c) >= 2:
            fits.append(t)
    return fits


def shape(item: Item, memo: dict[int, tuple[Any, ...]]) -> tuple[Any, ...]:
    """What the rows look at in an item and below it, values of text, dates and numbers
    aside."""
    found = memo.get(id(item))
    if found is None:
        value, units = item.code_value(), item.units()
        found = (
            item.value_type,
            item.relationship,
            item.reference is not None,
            item.concept and concept_key(item.concept),
            value and concept_key(value),
            units and concept_key(units),
            item.graphic_type(),
            item.target is not None,
            tuple(shape(c, memo) for c in item.children),
        )
        memo[id(item)] = found
    return found


class ValueTests:
    """Which templates (with those they include) have conditions on values a :func:`shape`
    does not keep: a choice made for one item of a shape is not remembered for them."""

    def __init__(self, book: TemplateBook) -> None:
        self.book = book
        self.known: dict[str, bool] = {}

    def __call__(self, slot: Slot) -> bool:
        tids = [i.row.include for i in slot.chain] or [slot.node.template.tid]
        return any(self.template(t, set()) for t in tids)

    def template(self, tid: str, seen: set[str]) -> bool:
        if tid in self.known:
            return self.known[tid]
        if tid in seen:
            return False
        seen.add(tid)
        t = self.book.get(tid)
        result = t is not None and any(
            (r.predicate and VALUE_TESTS & leaves(r.predicate))
            or (r.include and self.template(r.include, seen))
            for r in t.rows
        )
        self.known[tid] = result
        return result


ROW_REF = re.compile(r"TID \w+ row \w+|TID \w+")


def signature(f: Finding, base: str) -> tuple[str, ...]:
    """A finding as it reads whichever of several equal rows the item (at ``base``) is taken
    for, its path relative to the item."""
    path = f.path[len(base) :] if f.path.startswith(base) else "/" + f.path
    return (f.severity, f.code, path, ROW_REF.sub("TID", f.message))


# predicate leaves whose verdict depends on values a shape does not keep
VALUE_TESTS = frozenset(
    "text number greater has_attribute some_value_not_in attribute tid root_concept".split()
)


def leaves(data: Any) -> set[str]:
    out: set[str] = set()
    if isinstance(data, dict):
        out.update(data)
        for v in data.values():
            out |= leaves(v)
    elif isinstance(data, list):
        for v in data:
            out |= leaves(v)
    return out

"""Conditions read at the nesting level where their attributes live.

The standard's condition sentences name attributes without saying where they are: "Required
if Waveform Originality (003A,0004) is ORIGINAL" (the Synchronization Module's usage in the
waveform IODs) speaks of an attribute that lives inside the Waveform Sequence's items, and the
evaluator, looking for it at the top level, never finds it: such a condition can never hold
(or, for "… is not present", always holds). Each condition is read here against the places its
table (or, for an IOD's module usage, the IOD's modules) defines each attribute:

* :func:`places` — tag → the sequence paths under which a table defines it (through its
  includes and items);
* :func:`misplaced` — the references a condition makes at a level where its table does not
  define the attribute, although the table defines it deeper: the static check (the spec test
  runs it over every stored predicate);
* :func:`requalify` — the fix, a pass of the spec build: a reference to an attribute that lives
  in the items of a sequence under the condition's own level reads through them ("any item":
  "any value of Crop (0070,1204) is YES"); one that lives in another branch of the table, whose
  words do not say which item they mean, becomes "cannot decide" (never a silent "not
  required"). "… for one or more fraction groups", the words of that existential, then go.

Also here: a conjunction one of whose parts speaks of another object ("Snout Sequence is
included in the RT Ion Plan referenced within …", "… was present in any of the Classic Images
that were converted") is about that object as a whole: its other parts name attributes of the
other object, so they decide nothing about this dataset — "cannot decide"
(:func:`about_another_object`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from iodkit.rulemodel import (
    NOT_IN_DATASET,
    Absent,
    And,
    Condition,
    ItemsWhere,
    Not,
    Or,
    Predicate,
    Ref,
    Unknown,
)

from .model import AttributeRule, AttributeTable, IncludeRule, Rule

Path = tuple[int, ...]
Places = dict[int, frozenset[Path]]
_MAX_DEPTH = 8

# "… for one or more fraction groups": the existential over a sequence's items, said in words
_FOR_ANY = re.compile(r"(?i)^(?:for|in)\s+(?:one\s+or\s+more|any|at\s+least\s+one|some)\s+\w+")
# a part of a conjunction that places it in another object
_ELSEWHERE = re.compile(
    r"(?i)^(?:was\s+|is\s+)?(?:present\s+|included\s+)?(?:in|of|within|from)\b.*?"
    r"\b(?:referenced|converted|classic|source|original|other|another|prior)\b"
)


def tag_of(text: str) -> int | None:
    """ "(0070,1204)" → 0x00701204; None for repeating groups ("60xx")."""
    if "x" in text.lower():
        return None
    return int(text[1:5] + text[6:10], 16)


class TablePlaces:
    """Where each table defines each tag, computed once per table."""

    def __init__(self, tables: dict[str, AttributeTable]) -> None:
        self.tables = tables
        self._done: dict[str, Places] = {}

    def __call__(self, table_id: str) -> Places:
        hit = self._done.get(table_id)
        if hit is None:
            raw: dict[int, set[Path]] = {}
            self._collect(table_id, (), frozenset(), raw)
            hit = self._done[table_id] = {t: frozenset(p) for t, p in raw.items()}
        return hit

    def rules(self, rules: list[Rule], path: Path, seen: frozenset[str]) -> Places:
        raw: dict[int, set[Path]] = {}
        self._visit(rules, path, seen, raw)
        return {t: frozenset(p) for t, p in raw.items()}

    def _collect(
        self, table_id: str, path: Path, seen: frozenset[str], out: dict[int, set[Path]]
    ) -> None:
        t = self.tables.get(table_id)
        if t is None or table_id in seen or len(path) > _MAX_DEPTH:
            return
        self._visit(t.rules, path, seen | {table_id}, out)

    def _visit(
        self, rules: list[Rule], path: Path, seen: frozenset[str], out: dict[int, set[Path]]
    ) -> None:
        for r in rules:
            if isinstance(r, AttributeRule):
                tag = tag_of(r.tag)
                if tag is None:
                    continue
                out.setdefault(tag, set()).add(path)
                if r.items and len(path) < _MAX_DEPTH:
                    self._visit(r.items, (*path, tag), seen, out)
            elif isinstance(r, IncludeRule):
                if r.table:
                    self._collect(r.table, path, seen, out)
                if r.nested:
                    self._visit(r.nested, path, seen, out)


def _visible(level: Path, paths: frozenset[Path]) -> bool:
    """Defined at ``level`` or at a level enclosing it."""
    return any(level[: len(p)] == p for p in paths if len(p) <= len(level))


def _checked(r: Ref, level: Path, places: Places, top_is_root: bool) -> frozenset[Path] | None:
    """The places of a reference that its level cannot see (None when it can, or when the
    table does not define the attribute at all: then it is another module's)."""
    if r.scope == "frame" or (r.scope == "root" and not top_is_root):
        return None
    paths = places.get(r.path[0])
    if not paths:
        return None
    here = () if r.scope == "root" else level
    return None if _visible(here, paths) else paths


def misplaced(
    p: Predicate, level: Path, places: Places, top_is_root: bool
) -> list[tuple[Ref, frozenset[Path]]]:
    """References of ``p`` (at ``level``) to attributes its table defines only elsewhere."""
    out = []
    for node in _leaves(p):
        r = getattr(node, "ref", None)
        if isinstance(r, Ref):
            paths = _checked(r, level, places, top_is_root)
            if paths is not None:
                out.append((r, paths))
    return out


def _leaves(p: Predicate) -> list[Predicate]:
    if isinstance(p, (And, Or)):
        return [leaf for q in p.items for leaf in _leaves(q)]
    if isinstance(p, Not):
        return _leaves(p.item)
    return [p]  # ItemsWhere: its own ref is checked; its inner predicate reads inside items


def requalify(p: Predicate, level: Path, places: Places, top_is_root: bool) -> Predicate:
    """``p`` with every misplaced reference read where its attribute lives (see the module's
    docstring)."""
    fixed = _requalify(p, level, places, top_is_root)
    return _drop_for_any(fixed) if fixed is not p else p


def _requalify(p: Predicate, level: Path, places: Places, top_is_root: bool) -> Predicate:
    if isinstance(p, (And, Or)):
        items = tuple(_requalify(q, level, places, top_is_root) for q in p.items)
        return p if all(a is b for a, b in zip(items, p.items, strict=True)) else type(p)(items)
    if isinstance(p, Not):
        inner = _requalify(p.item, level, places, top_is_root)
        return p if inner is p.item else Not(inner)
    r = getattr(p, "ref", None)
    if not isinstance(r, Ref):
        return p
    paths = _checked(r, level, places, top_is_root)
    if paths is None:
        return p
    here = () if r.scope == "root" else level
    if not all(q[: len(here)] == here for q in paths):
        where = " or ".join(_path_text(q) for q in sorted(paths))
        return Unknown(
            f"which Item of {where} holds ({r.path[0] >> 16:04X},{r.path[0] & 0xFFFF:04X}) "
            "(the attribute is not at this level, and the words do not say which item they "
            "mean)",
            NOT_IN_DATASET,
        )
    scope = "item" if here and r.scope == "auto" else r.scope
    variants = [_with_ref(p, Ref((*q[len(here) :], *r.path), scope)) for q in sorted(paths)]
    if len(variants) == 1:
        return variants[0]
    return And(tuple(variants)) if isinstance(p, Absent) else Or(tuple(variants))


def _with_ref(p: Predicate, r: Ref) -> Predicate:
    if isinstance(p, ItemsWhere):
        return ItemsWhere(r, p.where, p.every)
    fields = {name: getattr(p, name) for name in p.__slots__}
    fields["ref"] = r
    return p.__class__(**fields)  # type: ignore[arg-type]


def _path_text(path: Path) -> str:
    return " > ".join(f"({t >> 16:04X},{t & 0xFFFF:04X})" for t in path)


def _drop_for_any(p: Predicate) -> Predicate:
    """A requalified conjunction no longer needs its "for one or more …" words."""
    if isinstance(p, And):
        kept = tuple(
            q for q in p.items if not (isinstance(q, Unknown) and _FOR_ANY.match(q.text.strip()))
        )
        if len(kept) != len(p.items):
            return kept[0] if len(kept) == 1 else And(kept)
    return p


def about_another_object(p: Predicate) -> Predicate:
    """A conjunction with a part placing it in another object becomes one "cannot decide"."""
    if isinstance(p, And):
        other = [q for q in p.items if isinstance(q, Unknown) and _ELSEWHERE.match(q.text)]
        if other:
            return Unknown(
                f"the attributes named are those of another object ({other[0].text})",
                NOT_IN_DATASET,
            )
        return And(tuple(about_another_object(q) for q in p.items))
    if isinstance(p, Or):
        return Or(tuple(about_another_object(q) for q in p.items))
    if isinstance(p, Not):
        return Not(about_another_object(p.item))
    return p


def map_condition(cond: Condition, fn: Callable[[Predicate], Predicate]) -> Condition:
    def one(q: Predicate | None) -> Predicate | None:
        return None if q is None else fn(q)

    return replace(
        cond,
        predicate=one(cond.predicate),
        forbidden=one(cond.forbidden),
        permitted=one(cond.permitted),
    )


def check_edition(ed: Any) -> list[str]:
    """The static check over every stored predicate of an edition: each reference made at a
    level where its table (for an IOD's module usage: the IOD's other modules) does not define
    the attribute, although it does elsewhere. One line each; empty when all are in place."""
    from iodkit.rulemodel import Condition as _Condition

    places = TablePlaces(ed.tables)
    out: list[str] = []

    def report(where: str, data: Any, level: Path, spots: Places, root: bool) -> None:
        if not isinstance(data, dict):
            return
        try:
            cond = _Condition.from_data({**data, "text": ""})
        except (ValueError, KeyError, TypeError):
            return
        for p in (cond.predicate, cond.forbidden, cond.permitted):
            for r, paths in misplaced(p, level, spots, root) if p is not None else ():
                at = _path_text(level) or "the top level"
                defined = " or ".join(_path_text(q) or "the top level" for q in sorted(paths))
                out.append(f"{where}: {r.to_data()} tested at {at}, defined under {defined}")

    def visit(rules: list[Rule], table: str, level: Path, spots: Places, root: bool) -> None:
        for r in rules:
            if isinstance(r, AttributeRule):
                report(f"{table} {r.tag}", r.predicate, level, spots, root)
                tag = tag_of(r.tag)
                if r.items and tag is not None:
                    visit(r.items, table, (*level, tag), spots, root)
            elif isinstance(r, IncludeRule):
                report(f"{table} include {r.table}", r.predicate, level, spots, root)
                if r.nested:
                    visit(r.nested, table, level, spots, root)

    for tid, t in ed.tables.items():
        visit(t.rules, tid, (), places(tid), t.kind == "module")
    for iid, iod in ed.iods.items():
        for m in iod.modules:
            spots: dict[int, frozenset[Path]] = {}
            for u in iod.modules:
                if u.table != m.table:
                    for tag, paths in places(u.table).items():
                        spots[tag] = spots.get(tag, frozenset()) | paths
            report(f"{iid} {m.name} Module", m.predicate, (), spots, True)
    return out

"""Name the template row each content item of a tree was made from, where that is certain.

Given the root template (TID 1500 for a Measurement Report), each child item is matched to the
rows its parent's template allows there — INCLUDEd templates unfolded into their top rows,
which take the INCLUDE row's relationship when they have none (PS3.16 6.2.2) — by relationship,
value type and concept name: a row with a fixed concept name (EV/DT) matches only that concept,
a row whose name is a value set or a parameter matches any. An item matched by exactly one row
gets ``item.row = (tid, row)`` and its children are matched in turn against that row's
children; an item several rows fit is left unmatched (ambiguous), never guessed. The
validator's template pass judges the tree; this only labels it for readers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from iodkit.codes import Code
from iodkit.sr.content import ContentItem, same_concept

__all__ = ["annotate"]

_MAX_DEPTH = 12  # recursive includes (TID 4006 → 4006) unfold this deep at most


@dataclass(frozen=True)
class _Candidate:
    row: Any  # iodkit.sr.template.Row
    owner: Any  # the builder class holding the row
    relationship: str | None
    inner: Any  # the builder class whose rows are the matched item's children (or None)


def annotate(root: ContentItem, tid: str) -> None:
    """Set ``row`` on the items of ``root`` that match a row of template ``tid`` for sure."""
    from iodkit.templates import template_class

    try:
        cls = template_class(tid)
    except (KeyError, ImportError):
        return
    row = cls.__row__
    if row is not None:
        root.row = (_tid(cls), row.label)
        _children(root, cls, 0)
    else:
        _match(root.children, _candidates(cls.__rows__, cls, None, 0), 0)


def _tid(cls: Any) -> int:
    return int(cls.__tid__) if str(cls.__tid__).isdigit() else 0


def _candidates(rows: Any, owner: Any, inherited: str | None, depth: int) -> list[_Candidate]:
    from iodkit.sr.template import _resolve_class

    out: list[_Candidate] = []
    for r in rows:
        if r.name == "value":
            continue
        rel = r.relationship or inherited
        if r.include is not None:
            if depth >= _MAX_DEPTH:
                continue
            inc = _resolve_class(owner, r.include)
            if inc.__row__ is not None:
                out.append(_Candidate(inc.__row__, inc, inc.__row__.relationship or rel, inc))
            else:
                out.extend(_candidates(inc.__rows__, inc, rel, depth + 1))
            continue
        inner = _resolve_class(owner, r.builder) if r.builder else None
        out.append(_Candidate(r, owner, rel, inner))
    return out


def _fits(item: ContentItem, c: _Candidate) -> bool:
    vt = "NUM" if c.row.value_type == "NUMERIC" else c.row.value_type
    if item.value_type != vt or item.relationship != c.relationship:
        return False
    if isinstance(c.row.concept, Code) and c.row.concept_fixed:
        return item.name is not None and same_concept(item.name, c.row.concept)
    return True


def _match(children: list[ContentItem], candidates: list[_Candidate], depth: int) -> None:
    for item in children:
        fits = [c for c in candidates if _fits(item, c)]
        if item.template and len(fits) > 1:  # Content Template Sequence says which (C.18.8)
            fits = [c for c in fits if str(c.owner.__tid__) == item.template] or fits
        fixed = [c for c in fits if c.row.concept_fixed]
        chosen = fixed if fixed else fits
        if len({(id(c.owner), c.row.label) for c in chosen}) != 1:
            continue  # none, or ambiguous: left unmatched
        c = chosen[0]
        item.row = (_tid(c.owner), c.row.label)
        if c.inner is not None:
            _children(item, c.inner, depth + 1)


def _children(item: ContentItem, cls: Any, depth: int) -> None:
    if depth > _MAX_DEPTH * 4:
        return
    _match(item.children, _candidates(cls.__rows__, cls, None, 0), depth)

"""Absent attributes a dataset level need not look at again: the same answer as last time.

Most of a validation run is spent on attributes that are *not* there: every Type 1C/2C row of
an item's scope whose condition must be read to know that nothing is missing (an SR content
item asks "Required if Value Type is TEXT", "… is NUM", … for each value type; a code item
where its value goes). When a row's rules read only attributes (conditions made of presence
and value tests, and the include conditions it came through — not facts of the IOD, the
transfer or the whole tree), what the row says about an absent attribute is a function of the
values those tests find. So a plan (an item scope's, or an IOD's top level) remembers, for each
combination of those values it has met, which absent rows said nothing; the next item or file
with the same values (the next content item of that Value Type, the next frame's code item,
the next file of a series) skips them. A row that reported something (missing, undecided) is
not judged again either: what it said is said again, at the new item's path (an SR content
item's "cannot decide whether Observation DateTime is required", in every item of a tree).

The values are taken as the file's bytes (with the element's VR and the byte order), so a
dataset built in memory, or text outside ASCII (whose meaning depends on the character set),
is never remembered: those items are looked at in full.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from iodkit.rulemodel import Context, IndexedDataset, Ref, lookup
from iodkit.rulemodel.facts import CodeValueForm, DesignatorSufficient
from iodkit.rulemodel.predicates import (
    Absent,
    Always,
    And,
    Compare,
    Equals,
    HasValue,
    Never,
    Not,
    NotEquals,
    Or,
    Present,
    Unknown,
)

from .findings import Said
from .tree import Element

_LEAVES = (Present, Absent, HasValue, Equals, NotEquals, Compare)  # read lookup(ref) only
_CONSTANTS = (Always, Never, Unknown)
_CODE_VALUES = frozenset(Ref((t,), "item") for t in (0x00080100, 0x00080119, 0x00080120))
_CODING_SCHEME_DESIGNATOR = frozenset({Ref((0x00080102,), "item")})
MAX_KEYS = 512  # value combinations remembered per plan
Refs = frozenset[Ref]


def predicate_refs(p: Any) -> Refs | None:
    """The references a predicate's verdict depends on, when it depends on nothing but the
    elements they designate; None when it reads more (the IOD's rules, the transfer, a walk of
    the tree, the coding schemes of PS3.16 aside)."""
    if p is None or isinstance(p, _CONSTANTS):
        return frozenset()
    if isinstance(p, _LEAVES):
        return frozenset({p.ref})
    if isinstance(p, (And, Or)):
        out: set[Ref] = set()
        for q in p.items:
            d = predicate_refs(q)
            if d is None:
                return None
            out |= d
        return frozenset(out)
    if isinstance(p, Not):
        return predicate_refs(p.item)
    if isinstance(p, CodeValueForm):
        return _CODE_VALUES
    if isinstance(p, DesignatorSufficient):
        return _CODING_SCHEME_DESIGNATOR  # and PS3.16 Table 8-1, the same for every dataset
    return None


def condition_refs(condition: Any) -> Refs | None:
    """What a :class:`~iodkit.rulemodel.conditions.Condition` reads (its "if", "shall not be
    present if" and "may be present if" parts), or None."""
    out: set[Ref] = set()
    for p in (condition.predicate, condition.forbidden, condition.permitted):
        d = predicate_refs(p)
        if d is None:
            return None
        out |= d
    return frozenset(out)


def row_refs(uses: list[Any], optional_types: frozenset[str]) -> Refs | None:
    """What the verdict on one absent tag (``uses``: its rules) reads, or None when it may read
    more — or when it always reports (an unguarded Type 1 or 2 of a checked module)."""
    out: set[Ref] = set()
    for u in uses:
        a = u.attr
        for g in a.guards:
            d = condition_refs(g.condition.condition)
            if d is None:
                return None
            out |= d
        if a.type in ("1", "2") and not a.guards and u.checked:
            return None  # absent is always a finding: nothing to remember
        if a.type not in optional_types and a.type not in ("1", "2"):
            cc = a.condition
            if cc is not None:
                d = condition_refs(cc.condition)
                if d is None:
                    return None
                out |= d
    return frozenset(out)


def values_key(ctx: Context, refs: tuple[Ref, ...]) -> tuple[Any, ...] | None:
    """What ``refs`` designate in ``ctx``, as the file's bytes with their VR and byte order;
    None when a value is not bytes of a file (a dataset made in memory) or is text outside
    ASCII (whose meaning depends on the character set)."""
    key: list[Any] = []
    current = ctx.stack[-1]
    elems = current.elems if isinstance(current, IndexedDataset) else None
    for r in refs:
        part: list[Any] = []
        els: list[Any] | tuple[Any, ...]
        path = r.path
        if elems is not None and r.scope == "item" and len(path) == 1 and path[0] >> 16 != 2:
            # lookup(), for the item's own attributes (most of what rows read): one dict get
            # (group 0002 is looked up in the file meta)
            found = elems.get(path[0])
            els = () if found is None else (found,)
        else:
            els = lookup(r, ctx)
        for el in els:
            if type(el) is Element:  # the reader's: its fields at hand (as below)
                items = el.items
                if items is not None:
                    part.append(len(items))
                    continue
                enc = el.enc
                if el._buf is None or el.fragments is not None or enc is None:
                    return None
                raw = el.value_bytes()
                if not raw.isascii():
                    return None
                part.append((el.vr, enc.big_endian, raw))
                continue
            items = getattr(el, "items", None)
            if items is not None:
                part.append(len(items))
                continue
            encoded = getattr(el, "encoded", None)
            enc = getattr(el, "enc", None)
            if encoded is None or enc is None or not encoded.isascii():
                return None
            part.append((el.vr, enc.big_endian, encoded))
        key.append(tuple(part))
    return tuple(key)


# What judging one absent row said: each finding offered (:data:`.findings.Said`), its path
# relative to the dataset's
Judged = dict[int, "tuple[Said, ...] | None"]
# per row of a plan, what judging its tag absent said for one combination of values (None:
# not kept, judged each time)


def judged(
    check: Any, node: Any, tag: int, uses: list[Any], ctx: Context, path: str
) -> tuple[Said, ...] | None:
    """``check.attribute`` on an absent tag, and what it said, to be said again where the same
    values are met (:func:`replay`); None when a finding's path is not under the dataset's."""
    return recorded(check, lambda: check.attribute(node, tag, uses, ctx, path), path)


def recorded(check: Any, judge: Callable[[], None], path: str) -> tuple[Said, ...] | None:
    """``judge()``, and what it offered ``check.add``, each finding's path relative to the
    dataset's ``path`` (for :func:`replay`); None when a finding's path is not under it. Used
    for an absent row (:func:`judged`) and a whole item (:mod:`.treememo`)."""
    calls: list[Said] = []
    check.recorders.append(calls)  # add() puts every finding it is offered here too
    try:
        judge()
    finally:
        check.recorders.pop()
    out: list[Said] = []
    for severity, code, where, message, module, rule, ref, tag in calls:
        if path:
            if not where.startswith(path + "."):
                return None
            suffix = where[len(path) :]
        elif where:
            suffix = "." + where
        else:
            return None
        out.append((severity, code, suffix, message, module, rule, ref, tag))
    return tuple(out)


def replay(check: Any, said: tuple[Said, ...], path: str) -> None:
    """Offer again what a row said (:func:`judged`), at the dataset's ``path``."""
    for severity, code, suffix, message, module, rule, ref, tag in said:
        check.add(
            severity,
            code,
            path + suffix if path else suffix[1:],
            message,
            module=module,
            rule=rule,
            ref=ref,
            tag=tag,
        )

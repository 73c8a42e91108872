"""The plan of one dataset level: which tags to look at, each with every rule for it.

The engine checks a dataset level (the top level of an IOD, one sequence item, one functional
group macro inside a Shared or Per-frame item) by walking a :class:`Plan`: the tags some rule
of a checked module requires, and the optional ones the dataset has, in the rules' order, each
with its rules (:class:`Use`). Plans are made once per IOD, sequence and item scope and kept in
the rule book's ``plans`` cache, because the same levels recur in every file of a SOP Class and
in every item of a sequence (every frame); that is why they live apart from the judging
(:mod:`.attributes`), which only reads them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from iodkit.rulemodel import Context, Ref

from . import itemmemo
from .compiled import Attr, IodRules, Scope, without_overridden
from .itemmemo import Judged
from .rules import RuleBook
from .tree import Node

if TYPE_CHECKING:
    from .attributes import AttributeChecks

OPTIONAL_TYPES = frozenset(("3", ""))


class Use(NamedTuple):
    """One rule for a tag at one dataset level, and the module it belongs to.

    A named tuple rather than a frozen dataclass: plans make thousands of them when the rules
    of an IOD are first used, and a tuple is several times cheaper to make."""

    attr: Attr
    module: str
    checked: bool  # the module is checked (its required attributes must be there)


# (tag, ((rule, module number), …)): every rule for one tag of a dataset level, in order
_Rows = list[tuple[int, tuple[tuple[Attr, int], ...]]]


class Layout:
    """The tags of one dataset level in the rules' order, each with its rules and the modules
    they belong to: what the plans of that level share, whichever modules are checked.

    ``needs`` lists, for each tag some rule makes Type 1, 2, 1C or 2C, the modules of those
    rules: the tag must be looked at (even when absent) when one of them is checked."""

    __slots__ = ("rows", "positions", "needs")

    def __init__(self, rows: _Rows) -> None:
        self.rows = rows
        self.positions = {tag: i for i, (tag, _) in enumerate(rows)}
        self.needs: list[tuple[int, tuple[int, ...]]] = []
        for i, (_, rules) in enumerate(rows):
            modules = tuple(m for a, m in rules if a.type not in OPTIONAL_TYPES)
            if modules:
                self.needs.append((i, modules))


class Plan:
    """The tags of one dataset level, each with every rule for it, in the rules' order.

    ``visit`` yields the tags a dataset needs looked at: those some rule of a checked module
    requires (absent ones must be reported) and the optional ones it has. Scopes list hundreds
    of optional attributes and datasets hold a few of them, so walking the dataset's tags
    against an index beats walking the scope. The rules of a tag (:class:`Use`, with whether
    their module is checked) are made the first time a dataset needs the tag looked at: most
    tags of an IOD are never present, and making them all up front was most of the cost of
    a first file."""

    __slots__ = (
        "layout",
        "modules",
        "checked",
        "required",
        "optional",
        "_uses",
        "local",
        "deps",
        "said",
    )

    def __init__(self, layout: Layout, modules: tuple[str, ...], checked: tuple[bool, ...]) -> None:
        self.layout = layout
        self.modules = modules
        self.checked = checked
        if all(checked):
            self.required = [i for i, _ in layout.needs]
        else:
            self.required = [i for i, mods in layout.needs if any(checked[m] for m in mods)]
        self.optional = dict(layout.positions)
        rows = layout.rows
        for i in self.required:
            del self.optional[rows[i][0]]
        self._uses: list[tuple[int, list[Use]] | None] = [None] * len(layout.rows)
        # item plans: the required rows whose verdict on an absent tag reads only the item,
        # the tags they read, and per combination of their values the rows that said nothing
        # (see iodkit.validation.itemmemo); made on first use
        self.local: frozenset[int] | None = None
        self.deps: tuple[Ref, ...] = ()
        self.said: dict[tuple[Any, ...], Judged] = {}

    def visit(self, elements: dict[int, Any]) -> list[tuple[int, list[Use]]]:
        optional = self.optional
        order = [optional[t] for t in elements if t in optional]
        order += self.required
        order.sort()
        made = self._uses
        out = []
        for i in order:
            entry = made[i]
            if entry is None:
                entry = made[i] = self._make(i)
            out.append(entry)
        return out

    def memo_for(self, ctx: Context) -> tuple[frozenset[int], Judged] | None:
        """For the dataset in ``ctx``: the rows whose absent tags are remembered, and what
        each row already judged said for its values (None: nothing is remembered for it)."""
        local = self.local
        if local is None:
            local = frozenset()
            refs: set[Ref] = set()
            for i in self.required:
                entry = self._uses[i]
                if entry is None:
                    entry = self._uses[i] = self._make(i)
                d = itemmemo.row_refs(entry[1], OPTIONAL_TYPES)
                if d is not None:
                    local |= {i}
                    refs |= d
            self.local = local
            self.deps = tuple(sorted(refs, key=lambda r: (r.scope, r.path)))
        if not local:
            return None
        key = itemmemo.values_key(ctx, self.deps)
        if key is None:
            return None
        said = self.said.get(key)
        if said is None:
            if len(self.said) >= itemmemo.MAX_KEYS:
                return None
            said = self.said[key] = {}
        return local, said

    def visit_memo(self, check: AttributeChecks, node: Node, ctx: Context, path: str) -> None:
        """:meth:`visit` and judge each tag; an absent one this plan has judged before for the
        values ``ctx`` has is not judged again: what it said then is said again (nothing, most
        often; see :mod:`iodkit.validation.itemmemo`)."""
        elems = node.elems
        memo = self.memo_for(ctx)
        if memo is None:
            for tag, uses in self.visit(elems):
                check.attribute(node, tag, uses, ctx, path)
            return
        local, said = memo
        optional = self.optional
        order = [optional[t] for t in elems if t in optional]
        rows = self.layout.rows
        for i in self.required:
            if i in local and said.get(i) == () and rows[i][0] not in elems:
                continue  # absent, and a dataset with the same values said nothing here
            order.append(i)
        order.sort()
        made = self._uses
        for i in order:
            entry = made[i]
            if entry is None:
                entry = made[i] = self._make(i)
            tag, uses = entry
            if i in local and tag not in elems:
                known = said.get(i)
                if known is None:
                    said[i] = itemmemo.judged(check, node, tag, uses, ctx, path)
                else:
                    itemmemo.replay(check, known, path)  # what the same values said before
            else:
                check.attribute(node, tag, uses, ctx, path)

    def _make(self, i: int) -> tuple[int, list[Use]]:
        tag, rules = self.layout.rows[i]
        modules, checked = self.modules, self.checked
        return tag, [Use(a, modules[m], checked[m]) for a, m in rules]


def root_plan(cache: dict[Any, Any], iod: IodRules, checked: tuple[bool, ...]) -> Plan:
    """Every top-level tag with the rules of every module for it (which modules are checked
    varies with the dataset; the combinations seen are few, and share one layout)."""
    key = ("root", iod.id, checked)
    hit = cache.get(key)
    if hit is None or hit[0] is not iod:
        plan = Plan(root_layout(cache, iod), tuple(mu.name for mu in iod.modules), checked)
        hit = (iod, plan)
        cache[key] = hit
    return hit[1]


def root_layout(cache: dict[Any, Any], iod: IodRules) -> Layout:
    """Every top-level tag of an IOD with the rules of every module for it (made once per
    IOD; ``validate --jobs`` makes it before forking, for all workers)."""
    key = ("root-layout", iod.id)
    hit = cache.get(key)
    if hit is None or hit[0] is not iod:
        rows: dict[int, list[tuple[Attr, int]]] = {}
        for m, mu in enumerate(iod.modules):
            for tag, attrs in mu.scope.by_tag.items():
                rows.setdefault(tag, []).extend((a, m) for a in attrs)
        names = [mu.name for mu in iod.modules]
        for tag, r in rows.items():
            if len(r) > 1 and any(a.overrides for a, _ in r):
                named = without_overridden([(a, names[m]) for a, m in r])
                rows[tag] = [(a, m) for a, m in r if any(a is b for b, _ in named)]
        hit = cache[key] = (iod, Layout([(t, tuple(r)) for t, r in rows.items()]))
    return hit[1]


def sequence_plan(book: RuleBook, seqs: list[Use], module: str) -> tuple[Scope, Plan]:
    """The scope of a sequence's items (the item rows of every rule for it) and its plan,
    kept by the rules' identity: a sequence recurs in every item of its parent (every frame)."""
    key: tuple[Any, ...]
    if len(seqs) == 1:  # one rule for the sequence (most): no list, no zip
        attr = seqs[0].attr
        key = ("sequence", module, id(attr))
        hit = book.plans.get(key)
        if hit is not None and hit[0][0] is attr:
            return hit[1], hit[2]
    else:
        key = ("sequence", module, *[id(u.attr) for u in seqs])
        hit = book.plans.get(key)
        if hit is not None and all(a is u.attr for a, u in zip(hit[0], seqs, strict=True)):
            return hit[1], hit[2]
    segments = {(id(rows), tid): (rows, tid) for u in seqs for rows, tid in u.attr.items or ()}
    scope = book.scope(tuple(segments.values()))
    hit = (tuple(u.attr for u in seqs), scope, item_plan(book, scope, module))
    book.plans[key] = hit
    return hit[1], hit[2]


def item_plan(book: RuleBook, scope: Scope, module: str) -> Plan:
    """(tag, rules) for each tag of an item scope, built once per scope and module (scopes
    live as long as their rule book; the cache holds the scope so ids stay unique)."""
    cache = book.plans
    key = ("item", id(scope), module)
    hit = cache.get(key)
    if hit is None or hit[0] is not scope:
        lkey = ("item-layout", id(scope))
        layout = cache.get(lkey)
        if layout is None or layout[0] is not scope:
            rows = [
                (t, tuple((a, 0) for a in _item_rules(book, attrs)))
                for t, attrs in scope.by_tag.items()
            ]
            layout = cache[lkey] = (scope, Layout(rows))
        hit = (scope, Plan(layout[1], (module,), (True,)))
        cache[key] = hit
    return hit[1]


def _item_rules(book: RuleBook, attrs: tuple[Attr, ...]) -> list[Attr]:
    """The rules of one tag in an item scope, without those another overrides (an item's
    rules come from the tables of several modules: the Mask Subtraction Sequence's items of
    the Mask Module and of the XA/XRF Multi-frame Presentation Module)."""
    if len(attrs) < 2 or not any(a.overrides for a in attrs):
        return list(attrs)
    named = without_overridden([(a, _table_name(book, a.table)) for a in attrs])
    return [a for a, _ in named]


def _table_name(book: RuleBook, table_id: str) -> str:
    t = book.table(table_id)
    return t[0].name if t is not None else ""

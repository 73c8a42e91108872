"""The rules as the engine uses them: conditions, attributes, scopes, module and functional
group uses, IODs.

:class:`iodkit.validation.rules.RuleBook` makes these records from the generated rows (plain
tuples, :mod:`iodkit.rulemodel.rows`); the engine only reads them. They live apart from the
book because every layer of the engine (plans, attribute checks, functional groups, facts)
and the value relations name them, while only the book needs to know how rows are loaded and
flattened.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from iodkit.rulemodel import (
    And,
    Condition,
    Explanation,
    ItemsWhere,
    Not,
    Or,
    Predicate,
    Unknown,
    Verdict,
    evaluate,
    explanation,
    normalize_module_name,
    refs,
    walk,
)
from iodkit.rulemodel.counts import CountOf
from iodkit.rulemodel.relations import Relations

FULL_MASK = 0xFFFFFFFF
Rows = tuple[Any, ...]
Segments = tuple[tuple[Rows, str], ...]  # (rows, table id the rows come from)


class CompiledCondition:
    """A condition as the engine uses it: the standard's words, what they mean, and whether
    they could be read (``status``: executable, not-decidable, unparsed).

    The predicate is built from its plain data on first use: an IOD's tables hold thousands of
    conditions and a file asks for a few hundred (an absent optional attribute's condition is
    never looked at), so building them all when the rules load would be most of the loading.
    """

    __slots__ = (
        "text",
        "status",
        "_data",
        "_condition",
        "_opaque",
        "_mentions",
        "_requirement",
        "_explanation",
    )

    def __init__(self, text: str, data: dict[str, Any], status: str) -> None:
        self.text = text
        self.status = status
        self._data = data
        self._condition: Condition | None = None
        self._opaque: bool | None = None
        self._mentions: dict[int, bool] = {}
        self._requirement: Callable[[Any], str | None] | None = None
        self._explanation: Explanation | None = None

    @property
    def condition(self) -> Condition:
        cond = self._condition
        if cond is None:
            try:
                cond = Condition.from_data({**self._data, "text": self.text})
            except (ValueError, KeyError, TypeError):  # unreadable data: cannot decide
                cond = Condition(self.text, None)
            self._condition = cond
        return cond

    @property
    def opaque(self) -> bool:
        """Nothing but unknown words decide it: the verdict is always None."""
        if self._opaque is None:
            self._opaque = _opaque(self.condition)
        return self._opaque

    def requirement(self, ctx: Any) -> str | None:
        """The condition's requirement in ``ctx`` (None when it cannot be decided).

        Asked once per conditional attribute and item, so what to call is settled on the
        first call: the condition's own method, or nothing for an opaque condition."""
        fn = self._requirement
        if fn is None:
            fn = self._requirement = _undecided if self.opaque else self.condition.requirement
        return fn(ctx)

    @property
    def explanation(self) -> Explanation:
        """What says why the requirement cannot decide, found once (asked per undecided
        finding, and the same few conditions are undecided in every file)."""
        hit = self._explanation
        if hit is None:
            hit = self._explanation = explanation(self.condition.predicate)
        return hit

    def mentions(self, tag: int) -> bool:
        """The condition speaks of the attribute ``tag`` itself ("Required if Rescale Type is
        not HU", written for Rescale Type)."""
        hit = self._mentions.get(tag)
        if hit is None:
            hit = _mentions(self.condition.predicate, tag)
            self._mentions[tag] = hit
        return hit


def _undecided(ctx: Any) -> None:
    return None


def compile_condition(spec: Any) -> CompiledCondition | None:
    if not spec:
        return None
    text, data = spec
    if not isinstance(data, dict):
        return None
    return CompiledCondition(text, data, str(data.get("status", "unparsed")))


def _opaque(cond: Condition) -> bool:
    """The requirement depends only on Unknown leaves (so evaluating it is wasted work)."""
    if cond.predicate is None:
        return False
    leaves = [
        n
        for p in (cond.predicate, cond.forbidden, cond.permitted)
        if p is not None
        for n in walk(p)
        if not isinstance(n, (And, Or, Not, ItemsWhere))
    ]
    return bool(leaves) and all(isinstance(n, Unknown) for n in leaves)


def _mentions(pred: Predicate | None, tag: int) -> bool:
    if pred is None:
        return False
    return any(r.path[-1] == tag for r in refs(pred))


# The classes below are written out rather than made with @dataclass: making a dataclass runs
# exec() for each of its methods (~3 million instructions a class, at every start of the
# validator). They are the engine's internal records, compared by identity.


class Guard:
    """The condition of an "Include Table …" row the attribute came through."""

    __slots__ = ("condition", "table")

    def __init__(self, condition: CompiledCondition, table: str) -> None:
        self.condition = condition
        self.table = table  # the table holding the include row


class ValueSet:
    """Enumerated Values, Defined Terms or retired values of an attribute (or of one of its
    values), possibly under a condition."""

    __slots__ = ("kind", "values", "index", "predicate", "condition")

    def __init__(
        self,
        kind: str,
        values: frozenset[str],
        index: int | None,
        predicate: Predicate | None,
        condition: str,
    ) -> None:
        self.kind = kind  # "enumerated" | "defined" | "retired"
        self.values = values
        self.index = index  # 1-based value number, None for every value
        self.predicate = predicate
        self.condition = condition  # "" when unconditional

    @property
    def conditional(self) -> bool:
        return bool(self.condition)


class Attr:
    """One attribute row, flattened into the scope of a dataset level."""

    __slots__ = (
        "tag",
        "mask",
        "type",
        "name",
        "keyword",
        "vr",
        "vm",
        "condition",
        "value_sets",
        "items",
        "counts",
        "table",
        "guards",
        "code_groups",
        "module_vm",
        "overrides",
        "value_count",
        "relations",
    )

    def __init__(
        self,
        tag: int,
        mask: int,
        type: str,
        name: str,
        keyword: str,
        vr: str,
        vm: str,
        condition: CompiledCondition | None,
        value_sets: tuple[ValueSet, ...],
        items: Segments | None,
        counts: tuple[ItemCount, ...],
        table: str,
        guards: tuple[Guard, ...] = (),
        code_groups: tuple[tuple[int, str], ...] = (),
        module_vm: str = "",
        overrides: frozenset[str] = frozenset(),
        value_count: CountOf | None = None,
        relations: Relations | None = None,
    ) -> None:
        self.tag = tag
        self.mask = mask
        self.type = type
        self.name = name
        self.keyword = keyword
        self.vr = vr
        self.vm = vm
        self.condition = condition
        self.value_sets = value_sets
        self.items = items  # rows of the items of a sequence (with their tables)
        self.counts = counts  # how many items, and when
        self.table = table
        self.guards = guards
        self.code_groups = code_groups  # (CID, "defined" | "enumerated") of its items
        # the module's own VM where it narrows the dictionary's ("Only a single value shall be
        # present."): checked by the engine, since the file-level check knows only the dictionary
        self.module_vm = module_vm if module_vm and mask == FULL_MASK else ""
        self.value_count = value_count  # as many values as another attribute gives
        self.relations = relations  # unique, numbered 1, 2, 3 …, refers to another attribute
        # the modules whose rule for this tag this one replaces (normalized names)
        self.overrides = overrides

    @property
    def is_sequence(self) -> bool:
        return self.items is not None

    def rule_text(self) -> str:
        """The rule in the standard's terms: "Type 1C: Required if …"."""
        t = f"Type {self.type}" if self.type else "Attribute"
        return f"{t}: {self.condition.text}" if self.condition else t


class ItemCount:
    """How many items a sequence shall have (``maximum`` None: no upper bound), and when
    (``condition`` None: always); ``equals``: as many as another attribute gives (the value of
    Number of Frames for the Per-Frame Functional Groups Sequence)."""

    __slots__ = ("minimum", "maximum", "condition", "equals")

    def __init__(
        self,
        minimum: int,
        maximum: int | None,
        condition: CompiledCondition | None,
        equals: CountOf | None = None,
    ) -> None:
        self.minimum = minimum
        self.maximum = maximum
        self.condition = condition
        self.equals = equals

    def applies(self, ctx: Any) -> Verdict:
        """Whether the count applies in ``ctx`` (None: its condition cannot be decided)."""
        if self.condition is None:
            return True
        return evaluate(self.condition.condition.predicate, ctx)


class Scope:
    """The attributes of one dataset level (a module's top level, or a sequence's items)."""

    __slots__ = ("attrs", "by_tag", "masked", "open", "functional_groups", "related")

    def __init__(
        self,
        attrs: tuple[Attr, ...],
        by_tag: dict[int, tuple[Attr, ...]],
        masked: tuple[Attr, ...],
        open: bool,
        functional_groups: bool,
    ) -> None:
        self.attrs = attrs
        self.by_tag = by_tag
        self.masked = masked  # repeating-group rows (60xx,…): matched by mask
        # admits attributes it does not list ("Any Attribute …", unresolved includes)
        self.open = open
        # "Include one or more Functional Group Macros" (the IOD's)
        self.functional_groups = functional_groups
        # the attributes whose values are judged across the items (unique, numbered)
        self.related = tuple(a for a in attrs if a.relations and a.relations.across_items)

    @property
    def tags(self) -> frozenset[int]:
        return frozenset(self.by_tag)

    def allows(self, tag: int) -> bool:
        if self.open or tag in self.by_tag:
            return True
        return any((tag & a.mask) == a.tag for a in self.masked)


class ModuleUse:
    """A module of an IOD: its usage (M, C, U), condition and scope."""

    __slots__ = ("name", "ie", "table", "usage", "condition", "scope", "own_tags")

    def __init__(
        self,
        name: str,
        ie: str,
        table: str,
        usage: str,
        condition: CompiledCondition | None,
        scope: Scope,
        own_tags: frozenset[int] = frozenset(),
    ) -> None:
        self.name = name
        self.ie = ie
        self.table = table
        self.usage = usage
        self.condition = condition
        self.scope = scope
        self.own_tags = own_tags


class GroupUse:
    """A functional group macro of a multi-frame IOD."""

    __slots__ = ("name", "table", "usage", "condition", "placement", "scope", "tags")

    def __init__(
        self,
        name: str,
        table: str,
        usage: str,
        condition: CompiledCondition | None,
        placement: str,
        scope: Scope,
        tags: frozenset[int] = frozenset(),
    ) -> None:
        self.name = name
        self.table = table
        self.usage = usage
        self.condition = condition
        self.placement = placement  # "", "shared" or "per-frame"
        self.scope = scope
        self.tags = tags


class IodRules:
    """An IOD compiled for the engine: its modules and functional group macros."""

    __slots__ = (
        "id",
        "name",
        "section",
        "modules",
        "groups",
        "tags",
        "masked",
        "open",
        "group_tags",
    )

    def __init__(
        self,
        id: str,
        name: str,
        section: str,
        modules: tuple[ModuleUse, ...],
        groups: tuple[GroupUse, ...],
        tags: frozenset[int],
        masked: tuple[Attr, ...],
        open: bool,
        group_tags: frozenset[int] = frozenset(),
    ) -> None:
        self.id = id
        self.name = name
        self.section = section
        self.modules = modules
        self.groups = groups
        self.tags = tags  # every top-level tag of every module
        self.masked = masked
        self.open = open
        self.group_tags = group_tags

    def allows(self, tag: int) -> bool:
        if self.open or tag in self.tags:
            return True
        return any((tag & a.mask) == a.tag for a in self.masked)


def without_overridden(rules: list[tuple[Attr, str]]) -> list[tuple[Attr, str]]:
    """The rules for one tag (each with the name of its module or table) without those another
    rule of the list overrides ("This type definition shall override the definition in the
    General Series Module": SC Equipment's Modality, Type 3, replaces General Series'
    Type 1)."""
    names: set[str] = set()
    for a, _ in rules:
        names |= a.overrides
    if not names:
        return rules
    return [(a, m) for a, m in rules if normalize_module_name(m) not in names]

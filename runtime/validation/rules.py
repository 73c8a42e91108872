"""The generated validation rules (:mod:`iodkit.generated.rules`), compiled for the engine.

The generator writes each attribute table once, with its "Include Table …" rows as references,
in the row layout :mod:`iodkit.rulemodel.rows` defines (and this module checks: rules written
for another layout raise :class:`~iodkit.rulemodel.rows.StaleRulesError`). Here a table's rows
are flattened into a :class:`Scope` — the attributes one dataset level may hold, each carrying
the conditions of the includes it came through (:class:`Guard`) — and an IOD into its module
and functional group uses. Item scopes are compiled only when a file has items to check, and
everything is cached in the :class:`RuleBook`, so the rules of one IOD load in a few
milliseconds and the next file of the same IOD costs nothing.
"""

from __future__ import annotations

import importlib
import importlib.util
import marshal
import os
import sys
import types
from collections.abc import Callable
from functools import lru_cache
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
    predicate_from_data,
    refs,
    walk,
)
from iodkit.rulemodel.counts import CountOf
from iodkit.rulemodel.relations import Relations
from iodkit.rulemodel.rows import (
    AttributeRow,
    FunctionalGroupRow,
    FunctionalGroupsRow,
    IncludeRow,
    IodHead,
    ItemCountRow,
    ModuleRow,
    TableHead,
    ValueSetRow,
    check_layout,
    read_record,
    read_row,
)

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


class Anatomy:
    """PS3.16 Annex L as generated (``rules/anatomy.py``): paired structures by Body Part
    Examined Defined Term and by anatomic code. Empty (everything undecided) for generated
    rules that predate it."""

    def __init__(self, module: Any = None) -> None:
        self.body_parts: dict[str, bool] = dict(getattr(module, "BODY_PARTS", {}))
        self.codes: dict[tuple[str, str], bool] = dict(getattr(module, "CODES", {}))
        self.by_meaning: dict[tuple[str, str, str], bool] = dict(
            getattr(module, "CODES_BY_MEANING", {})
        )

    def body_part_paired(self, term: str) -> bool | None:
        return self.body_parts.get(term.strip())

    def code_paired(self, value: str, scheme: str, meaning: str) -> bool | None:
        # SNOMED codes are SCT (SRT is the retired designator of the same codes)
        schemes = ("SCT", "SRT") if scheme in ("SCT", "SRT") else (scheme,)
        for s in schemes:
            hit = self.codes.get((s, value.strip()))
            if hit is None:
                hit = self.by_meaning.get((s, value.strip(), meaning.strip().lower()))
            if hit is not None:
                return hit
        return None


class CodingSchemes:
    """PS3.16 Table 8-1 as generated (``rules/coding_schemes.py``): the Coding Scheme
    Designators the standard defines. Empty (everything undecided) for generated rules that
    predate it."""

    def __init__(self, module: Any = None) -> None:
        self.designators: dict[str, str] = dict(getattr(module, "DESIGNATORS", {}))
        self.version_required: frozenset[str] = frozenset(getattr(module, "VERSION_REQUIRED", ()))
        self.deprecated: frozenset[str] = frozenset(getattr(module, "DEPRECATED", ()))

    def designator_sufficient(self, designator: str) -> bool | None:
        """Whether a Coding Scheme Designator alone identifies its codes unambiguously: True
        for one Table 8-1 lists (PS3.3 Section 8.2: it names the scheme as currently
        published), False for one whose entry requires Coding Scheme Version (0008,0103),
        None for any other (private, local, HL7's, or no designator: nothing is known)."""
        d = designator.strip(" \x00")
        if d not in self.designators:
            return None
        return d not in self.version_required

    def problem(self, designator: str) -> str | None:
        """What PS3.16 Section 8 says against a Coding Scheme Designator, or None: deprecated
        in Table 8-1, or in neither table and not a private ("99…") one (then it is valid only
        as an HL7 Registry symbolic name, which cannot be checked here). Nothing is said when
        the tables were not generated."""
        d = designator.strip(" \x00")
        if not self.designators or not d:
            return None
        if d in self.deprecated:
            return f"Coding Scheme Designator {d!r} is deprecated (PS3.16 Table 8-1)"
        if d in self.designators or d.startswith("99"):
            return None
        return (
            f"Coding Scheme Designator {d!r} is not in PS3.16 Table 8-1 or 8-2 and does not "
            'begin with "99" (private or local schemes): it is valid only as a symbolic name of '
            "the HL7 Registry of Coding Schemes (PS3.16 Section 8)"
        )


class RuleBook:
    """All rules of one generated edition, loaded and compiled on demand, then cached."""

    def __init__(self, package: str = "iodkit.generated.rules") -> None:
        self.package = package
        index = importlib.import_module(package)
        check_layout(index, f"the rules in {package}")
        self.edition: str = index.EDITION
        self.sop_classes: dict[str, tuple[str, str]] = index.SOP_CLASSES
        self.table_modules: dict[str, str] = index.TABLES
        self._tables: dict[str, tuple[TableHead, Rows]] = {}
        self._scopes: dict[tuple[Any, ...], Scope] = {}
        self._iods: dict[str, IodRules] = {}
        self._codes: dict[int, tuple[frozenset[tuple[str, str]], bool, str] | None] = {}
        # the engine's per-scope plans, kept with the rules they are made of (and as long)
        self.plans: dict[Any, Any] = {}
        self._anatomy: Anatomy | None = None
        self._coding_schemes: CodingSchemes | None = None
        self._content_checks: dict[int, tuple[Any, ...]] | None = None

    def anatomy(self) -> Anatomy:
        """PS3.16 Annex L (paired body parts), loaded on first use."""
        if self._anatomy is None:
            try:
                module = importlib.import_module(f"{self.package}.anatomy")
            except ImportError:
                module = None
            self._anatomy = Anatomy(module)
        return self._anatomy

    def content_checks(self) -> dict[int, tuple[Any, ...]]:
        """tag → the hand-written checks of :mod:`iodkit.validation.content` that apply to it
        (from ``rules/cited.py``; none for generated rules that predate it)."""
        if self._content_checks is None:
            from .content import checks_by_tag

            try:
                cited = importlib.import_module(f"{self.package}.cited").CITED
            except (ImportError, AttributeError):
                cited = {}
            self._content_checks = checks_by_tag(cited)
        return self._content_checks

    def coding_schemes(self) -> CodingSchemes:
        """PS3.16 Table 8-1 (coding scheme designators), loaded on first use."""
        if self._coding_schemes is None:
            try:
                module = importlib.import_module(f"{self.package}.coding_schemes")
            except ImportError:
                module = None
            self._coding_schemes = CodingSchemes(module)
        return self._coding_schemes

    # -- tables -------------------------------------------------------------------------------
    def table(self, table_id: str) -> tuple[TableHead, Rows] | None:
        """(header, rows) of a table, or None when the edition has no such table."""
        hit = self._tables.get(table_id)
        if hit is None:
            mod = self.table_modules.get(table_id)
            if mod is None:
                return None
            m = _data_module(f"{self.package}.tables", mod)
            hit = (read_record(TableHead, m.TABLE), m.RULES)
            self._tables[table_id] = hit
        return hit

    def scope(self, segments: Segments) -> Scope:
        """The flattened scope of rows (cached by the identity of the row tuples)."""
        key = tuple((id(rows), tid) for rows, tid in segments)
        hit = self._scopes.get(key)
        if hit is None:
            hit = self._flatten_scope(segments)
            self._scopes[key] = hit
        return hit

    def table_scope(self, table_id: str) -> Scope:
        t = self.table(table_id)
        if t is None:
            return Scope((), {}, (), True, False)
        return self.scope(((t[1], table_id),))

    def _flatten_scope(self, segments: Segments) -> Scope:
        attrs: list[Attr] = []
        flags = {"open": False, "fg": False}
        for rows, tid in segments:
            # A table's own rows start the include stack with the table (a table that includes
            # itself directly has no end). A sequence's item rows do not: "Include Table C.17-6"
            # inside the Content Sequence items of Table C.17-6 is the SR content tree, one
            # level per item, and item scopes are made only when items are visited.
            whole = self.table(tid)
            stack = frozenset({tid}) if whole is not None and whole[1] is rows else frozenset()
            self._flatten(rows, tid, (), stack, attrs, flags)
        by_tag: dict[int, list[Attr]] = {}
        masked: list[Attr] = []
        for a in attrs:
            if a.mask != FULL_MASK:
                masked.append(a)
            else:
                by_tag.setdefault(a.tag, []).append(a)
        return Scope(
            tuple(attrs),
            {k: tuple(v) for k, v in by_tag.items()},
            tuple(masked),
            flags["open"],
            flags["fg"],
        )

    def _flatten(
        self,
        rows: Rows,
        table_id: str,
        guards: tuple[Guard, ...],
        stack: frozenset[str],
        out: list[Attr],
        flags: dict[str, bool],
    ) -> None:
        for raw in rows:
            row = read_row(raw)
            if isinstance(row, AttributeRow):
                out.append(_attr(row, table_id, guards))
            elif isinstance(row, IncludeRow):
                tid, cond, nested = row.table, row.condition, row.nested
                t = self.table(tid)
                if t is None or tid in stack:
                    flags["open"] = True  # unknown or recursive include: cannot list its rows
                    continue
                g = guards
                cc = compile_condition(cond)
                if cc is not None:
                    g = (*guards, Guard(cc, table_id))
                start = len(out)
                self._flatten(t[1], tid, g, stack | {tid}, out, flags)
                if nested:
                    _extend_last_sequence(out, start, nested, table_id)
            elif isinstance(row, FunctionalGroupsRow):
                flags["fg"] = True
            else:  # OpenRow
                flags["open"] = True

    def codes_of(self, cid: int) -> tuple[frozenset[tuple[str, str]], bool, str] | None:
        """(code value, scheme) pairs of a context group with the groups it includes, whether it
        is extensible, its name; None when the edition has no such group."""
        hit = self._codes.get(cid)
        if hit is None and cid not in self._codes:
            try:
                from iodkit.codes import context_group

                g = context_group(cid)
                codes = frozenset((c.value, c.scheme) for c in g.all_codes())
                if _open_group(g):  # includes a group given by reference only (CID 82: UCUM)
                    codes = frozenset()
                hit = (codes, bool(g.extensible), g.name)
            except Exception:  # no generated codes for this CID
                hit = None
            self._codes[cid] = hit
        return hit

    def items(self, attr: Attr) -> Scope:
        """The scope of a sequence attribute's items."""
        return self.scope(attr.items or ())

    # -- IODs ---------------------------------------------------------------------------------
    def iod_for(self, sop_class_uid: str) -> IodRules | None:
        entry = self.sop_classes.get(sop_class_uid)
        if entry is None:
            return None
        return self.iod(entry[0])

    def iod(self, module: str) -> IodRules:
        hit = self._iods.get(module)
        if hit is None:
            m = _data_module(f"{self.package}.iods", module)
            hit = self._compile_iod(m)
            self._iods[module] = hit
        return hit

    def _compile_iod(self, m: Any) -> IodRules:
        iod_id, name, section = read_record(IodHead, m.IOD)
        modules = []
        for row in m.MODULES:
            mr: ModuleRow = read_record(ModuleRow, row)
            modules.append(
                ModuleUse(
                    mr.name,
                    mr.ie,
                    mr.table,
                    mr.usage,
                    compile_condition(mr.condition),
                    self.table_scope(mr.table),
                )
            )
        counts: dict[int, int] = {}
        for mu in modules:
            for tag in mu.scope.by_tag:
                counts[tag] = counts.get(tag, 0) + 1
        for mu in modules:
            own = frozenset(t for t in mu.scope.by_tag if counts[t] == 1)
            mu.own_tags = own
        groups = []
        for row in m.FUNCTIONAL_GROUPS:
            fg: FunctionalGroupRow = read_record(FunctionalGroupRow, row)
            scope = self.table_scope(fg.table)
            groups.append(
                GroupUse(
                    fg.name,
                    fg.table,
                    fg.usage,
                    compile_condition(fg.condition),
                    fg.placement,
                    scope,
                    scope.tags,
                )
            )
        tags = frozenset(t for mu in modules for t in mu.scope.by_tag)
        masked = tuple(a for mu in modules for a in mu.scope.masked)
        return IodRules(
            iod_id,
            name,
            section,
            tuple(modules),
            tuple(groups),
            tags,
            masked,
            any(mu.scope.open or not mu.table for mu in modules),
            frozenset(t for g in groups for t in g.tags),
        )


def _attr(row: AttributeRow, table_id: str, guards: tuple[Guard, ...]) -> Attr:
    return Attr(
        row.tag,
        row.mask,
        row.type,
        row.name,
        row.keyword,
        row.vr,
        row.vm,
        compile_condition(row.condition),
        tuple(_value_set(read_record(ValueSetRow, v)) for v in row.value_sets),
        None if row.items is None else ((row.items, table_id),),
        tuple(_item_count(read_record(ItemCountRow, c)) for c in row.item_counts),
        table_id,
        guards,
        tuple(row.code_groups),
        row.module_vm,
        frozenset(normalize_module_name(m) for m in row.overrides),
        _count_of(row.value_count),
        None if row.relations is None else Relations.from_data(row.relations),
    )


def _item_count(row: ItemCountRow) -> ItemCount:
    return ItemCount(
        row.minimum, row.maximum, compile_condition(row.condition), _count_of(row.equals)
    )


def _count_of(data: Any) -> CountOf | None:
    return None if data is None else CountOf.from_data(data)


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


def _mentions(pred: Predicate | None, tag: int) -> bool:
    if pred is None:
        return False
    return any(r.path[-1] == tag for r in refs(pred))


def _value_set(v: ValueSetRow) -> ValueSet:
    kind, values, index, pred, cond = v
    predicate = None
    if pred is not None:
        try:
            predicate = predicate_from_data(pred)
        except ValueError:
            predicate = None
    return ValueSet(kind, frozenset(_spellings(values)), index, predicate, cond or "")


def _spellings(values: tuple[Any, ...]) -> set[str]:
    """The values as written, plus the decimal form of hexadecimal ones ("0001H" → "1"), which
    is how binary VRs (US, SS) decode."""
    out = set()
    for v in values:
        s = str(v)
        out.add(s)
        if len(s) > 1 and s.endswith("H"):
            try:
                out.add(str(int(s[:-1], 16)))
            except ValueError:
                pass
    return out


def _extend_last_sequence(out: list[Attr], start: int, nested: Rows, table_id: str) -> None:
    """Rows nested under an include extend the items of the included table's last sequence."""
    for i in range(len(out) - 1, start - 1, -1):
        a = out[i]
        if a.items is not None:
            out[i] = Attr(
                a.tag,
                a.mask,
                a.type,
                a.name,
                a.keyword,
                a.vr,
                a.vm,
                a.condition,
                a.value_sets,
                (*a.items, (nested, table_id)),
                a.counts,
                a.table,
                a.guards,
                a.code_groups,
                a.module_vm,
                a.overrides,
                a.value_count,
                a.relations,
            )
            return


def _data_module(package: str, name: str) -> Any:
    """A generated rules module (plain data: literals only, no imports), loaded from its cached
    byte code when that is current, else imported.

    The rules of a file's IOD are tens of such modules; importing one costs ~0.4 million
    instructions, mostly the import system's finding and bookkeeping, ~3 times what reading
    and running its byte code costs (over the test corpus: 201 modules, 83 against 31 million
    instructions, 2% of a validate run). The module is not entered in ``sys.modules`` (the
    rule book keeps what it loads). The cache is used as
    the import system would: the same file (``importlib.util.cache_from_source``, which
    follows ``PYTHONPYCACHEPREFIX``), accepted only with this Python's magic number and the
    source's modification time and size; otherwise the module is imported, which writes it.
    """
    full = f"{package}.{name}"
    hit = sys.modules.get(full)
    if hit is not None:
        return hit
    folder = _package_folder(package)
    if folder is not None:
        source = os.path.join(folder, name + ".py")
        try:
            st = os.stat(source)
            with open(importlib.util.cache_from_source(source), "rb") as fh:
                data = fh.read()
        except (OSError, NotImplementedError, ValueError):
            data = b""
        if (
            len(data) > 16
            and data[:4] == importlib.util.MAGIC_NUMBER
            and int.from_bytes(data[4:8], "little") == 0  # timestamp-validated
            and int.from_bytes(data[8:12], "little") == int(st.st_mtime) & 0xFFFFFFFF
            and int.from_bytes(data[12:16], "little") == st.st_size & 0xFFFFFFFF
        ):
            module = types.ModuleType(full)
            module.__file__ = source
            exec(marshal.loads(memoryview(data)[16:]), module.__dict__)
            return module
    return importlib.import_module(full)


@lru_cache(maxsize=16)
def _package_folder(package: str) -> str | None:
    """The folder of a (regular) package, None when it is not one."""
    paths = getattr(importlib.import_module(package), "__path__", None)
    return str(list(paths)[0]) if paths else None


@lru_cache(maxsize=4)
def rule_book(package: str = "iodkit.generated.rules") -> RuleBook:
    """The rules of the generated edition (one book per process)."""
    return RuleBook(package)


def _open_group(group: Any) -> bool:
    """Whether a group, or one it includes, lists no codes (defined by an external system)."""
    from iodkit.codes import context_group

    seen: set[int] = set()
    stack = [group]
    while stack:
        g = stack.pop()
        if g.cid in seen:
            continue
        seen.add(g.cid)
        if not g.codes and not g.includes:
            return True
        for cid in g.includes:
            try:
                stack.append(context_group(cid))
            except KeyError:
                return True  # an included group the edition does not have: cannot judge
    return False


def condition_counts(
    book: RuleBook, listing: list[tuple[str, str, str, str, str]] | None = None
) -> dict[str, dict[str, int]]:
    """How many conditions of the generated rules are executable, not decidable, unparsed:
    by kind (iod-module, functional-group, attribute, include), counted once per table row.
    With ``listing``, each condition that is not executable is appended to it as (status,
    kind, where, name, the standard's words)."""
    import importlib

    out: dict[str, dict[str, int]] = {}

    def add(kind: str, cond: Any, where: str, name: str) -> None:
        if cond:
            status = str(cond[1].get("status", "unparsed"))
            counts = out.setdefault(kind, {})
            counts[status] = counts.get(status, 0) + 1
            if listing is not None and status != "executable":
                listing.append((status, kind, where, name, str(cond[0])))

    def rows(rs: Rows, table_id: str) -> None:
        for raw in rs:
            r = read_row(raw)
            if isinstance(r, AttributeRow):
                add("attribute", r.condition, table_id, r.name)
                if r.items is not None:
                    rows(r.items, table_id)
            elif isinstance(r, IncludeRow):
                add("include", r.condition, table_id, f"Include {r.table}")
                rows(r.nested, table_id)

    for table_id in sorted(book.table_modules):
        t = book.table(table_id)
        if t is not None:
            rows(t[1], table_id)
    index = importlib.import_module(book.package)
    for module in sorted(set(index.IODS.values())):
        m = importlib.import_module(f"{book.package}.iods.{module}")
        iod_id = read_record(IodHead, m.IOD).id
        for row in m.MODULES:
            mr = read_record(ModuleRow, row)
            add("iod-module", mr.condition, iod_id, f"{mr.name} Module")
        for row in m.FUNCTIONAL_GROUPS:
            fg = read_record(FunctionalGroupRow, row)
            add("functional-group", fg.condition, iod_id, fg.name)
    return out

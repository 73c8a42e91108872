"""The generated validation rules (:mod:`iodkit.generated.rules`), compiled for the engine.

The generator writes each attribute table once, with its "Include Table …" rows as references,
in the row layout :mod:`iodkit.rulemodel.rows` defines (and this module checks: rules written
for another layout raise :class:`~iodkit.rulemodel.rows.StaleRulesError`). Here a table's rows
are flattened into a :class:`Scope` — the attributes one dataset level may hold, each carrying
the conditions of the includes it came through (:class:`Guard`) — and an IOD into its module
and functional group uses. Item scopes are compiled only when a file has items to check, and
everything is cached in the :class:`RuleBook`, so the rules of one IOD load in a few
milliseconds and the next file of the same IOD costs nothing.

The records it makes (conditions, attributes, scopes, IODs) are defined in
:mod:`iodkit.validation.compiled`; the PS3.16 tables it also loads in
:mod:`iodkit.validation.ps3_16`.
"""

from __future__ import annotations

import importlib
from functools import lru_cache
from typing import Any

from iodkit.rulemodel import normalize_module_name, predicate_from_data
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

from .compiled import (
    FULL_MASK,
    Attr,
    GroupUse,
    Guard,
    IodRules,
    ItemCount,
    ModuleUse,
    Rows,
    Scope,
    Segments,
    ValueSet,
    compile_condition,
)
from .datamodules import data_module
from .ps3_16 import Anatomy, CodingSchemes


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
            m = data_module(f"{self.package}.tables", mod)
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
            m = data_module(f"{self.package}.iods", module)
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

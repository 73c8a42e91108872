"""The rows of ``generated/rules``: one typed definition, written by the emitter, read by the
validator.

The generator (:mod:`iodkit.codegen.emit.rules`) builds each rule as one of the named tuples
below and writes it as a plain tuple literal (a generated rules module is data only: no
imports, loaded from its byte code in microseconds). The validator
(:mod:`iodkit.validation.rules`) reads a row back with :func:`read_row`, which checks its kind
and its length against this definition. The layout as a whole has a version,
:data:`LAYOUT_VERSION`, written into ``generated/rules/__init__.py`` as ``LAYOUT``;
:func:`check_layout` refuses rules written for another layout with :class:`StaleRulesError`,
so a ``generated/`` older (or newer) than the code reading it fails loudly instead of being
read by position into the wrong fields.

Change a row here, and only here; then bump :data:`LAYOUT_VERSION` and run ``make generate``.
A new kind of row (PS3.16 template rows, say) is a new named tuple with its own ``kind``
marker, added to :data:`ROW_KINDS` when it may appear among a table's rows.

Conditions are ``None`` or a :data:`ConditionSpec` ``(text, data)``: the standard's words and
the plain data of :meth:`iodkit.rulemodel.conditions.Condition.to_data` without the text,
plus ``status`` (``executable``, ``not-decidable``, ``unparsed``).
"""

from __future__ import annotations

from typing import Any, Literal, NamedTuple, TypeAlias

#: Bump when a row below changes (fields added, removed, reordered or re-typed).
#: 3: PS3.16 template rows (:class:`TemplateRuleRow`, ``rules/templates/``).
#: 4: ``AttributeRow.overrides`` (modules whose rule for the attribute it replaces).
#: 5: counts another attribute gives: ``ItemCountRow.equals``, ``AttributeRow.value_count``;
#:    ``AttributeRow.relations`` (unique, numbered, refers to another attribute).
LAYOUT_VERSION = 5

ConditionSpec: TypeAlias = "tuple[str, dict[str, Any]] | None"
Rows: TypeAlias = "tuple[tuple[Any, ...], ...]"  # rows as written: plain tuples


class StaleRulesError(RuntimeError):
    """Generated rules written for another row layout than this code reads."""


class ValueSetRow(NamedTuple):
    """Enumerated Values, Defined Terms or retired values of an attribute (or of one value)."""

    kind: Literal["enumerated", "defined", "retired"]
    values: tuple[str, ...]
    value_index: int | None  # 1-based value number; None: every value
    predicate: Any  # plain data of the qualifying clause ("if Segmentation Type is BINARY")
    condition: str  # the clause in the standard's words; "" when unconditional


class ItemCountRow(NamedTuple):
    """How many items a sequence shall have ("Only a single Item shall be included in this
    Sequence"; "two or more Items … if Dose Summation Type is MULTI_PLAN")."""

    minimum: int
    maximum: int | None  # None: no upper bound
    condition: ConditionSpec  # None: always; else when the count applies
    # as many items as another attribute gives (:meth:`iodkit.rulemodel.counts.CountOf.to_data`;
    # ``minimum`` 0 and ``maximum`` None then), or None
    equals: Any


class AttributeRow(NamedTuple):
    """An attribute of a module, macro or sequence item."""

    kind: Literal["a"]
    tag: int
    mask: int  # 0xFFFFFFFF; repeating groups (60xx,…) 0xFF00FFFF
    type: str  # "1", "1C", "2", "2C", "3", "" (normalized tables)
    name: str
    keyword: str
    vr: str  # the dictionary's
    vm: str  # the dictionary's
    module_vm: str  # the module's own, where its words narrow the dictionary's; else ""
    condition: ConditionSpec
    value_sets: tuple[ValueSetRow, ...]
    items: Rows | None  # None for a non-sequence; the rows of its items otherwise
    item_counts: tuple[ItemCountRow, ...]
    code_groups: tuple[tuple[int, str], ...]  # (CID, "defined" | "enumerated") of its items
    overrides: tuple[str, ...]  # modules whose rule for this attribute it replaces ("Mask Module")
    # as many values as another attribute gives (``CountOf.to_data()``), or None
    value_count: Any
    # unique, numbered 1, 2, 3 …, refers to another attribute (``Relations.to_data()``), or None
    relations: Any


class IncludeRow(NamedTuple):
    """ "Include Table …": kept by reference, so a macro used by a hundred tables is written
    once; ``nested`` rows extend the items of the included table's last sequence."""

    kind: Literal["i"]
    table: str
    condition: ConditionSpec
    nested: Rows


class FunctionalGroupsRow(NamedTuple):
    """ "Include one or more Functional Group Macros" (the IOD says which)."""

    kind: Literal["fg"]


class OpenRow(NamedTuple):
    """A row that admits attributes the table does not list ("Any Attribute …", an include
    the standard names only in words)."""

    kind: Literal["open"]
    text: str


Row: TypeAlias = AttributeRow | IncludeRow | FunctionalGroupsRow | OpenRow

ROW_KINDS: dict[str, type[Any]] = {
    "a": AttributeRow,
    "i": IncludeRow,
    "fg": FunctionalGroupsRow,
    "open": OpenRow,
}


class TableHead(NamedTuple):
    """``TABLE`` of ``rules/tables/<table>.py``."""

    id: str  # "table_C.8.20-2"
    label: str  # "C.8.20-2"
    name: str
    kind: str  # "module", "macro", "other"


class IodHead(NamedTuple):
    """``IOD`` of ``rules/iods/<iod>.py``."""

    id: str  # the IOD's module table id
    name: str
    section: str


class ModuleRow(NamedTuple):
    """A row of ``MODULES`` in ``rules/iods/<iod>.py``."""

    name: str
    ie: str
    table: str
    usage: str  # "M", "C", "U"
    condition: ConditionSpec


class FunctionalGroupRow(NamedTuple):
    """A row of ``FUNCTIONAL_GROUPS`` in ``rules/iods/<iod>.py``."""

    name: str
    table: str
    usage: str
    condition: ConditionSpec
    placement: str  # "", "shared" or "per-frame"


class ConstraintRow(NamedTuple):
    """A PS3.16 template row's constraint on a code (Section 6.1 conventions): ``EV``/``DT``
    with ``code`` (value, scheme, meaning); ``DCID``/``BCID``/``CID`` with ``cid``; a
    ``parameter`` ("$Measurement") the invoking template binds; ``row``: the value of another
    row ("Value of Row 4"). ``member_of``: "MemberOf {DCID n}"; ``default``: "Defaults to
    DCID n", the group that applies when the parameter before it is not bound."""

    strength: str  # "EV", "DT", "DCID", "BCID", "CID", "" (a parameter, a row value)
    code: tuple[str, str, str] | None  # (value, scheme, meaning)
    cid: int  # 0: none
    parameter: str
    row: str
    member_of: bool
    default: bool


class TemplateHead(NamedTuple):
    """``TEMPLATE`` of ``rules/templates/<tid>.py``: PS3.16's properties of the template."""

    tid: str  # "1500", "10003A"
    name: str
    extensible: bool  # Type: Extensible (True) / Non-Extensible
    order_significant: bool
    root: bool


class TemplateRuleRow(NamedTuple):
    """One row of a PS3.16 template table (a content item, or an INCLUDE of ``include``).

    ``predicate`` is the parsed Condition (plain data, the clause list documented in
    :mod:`iodkit.codegen.spec.template_conditions`) or None; ``condition`` the words.
    ``bindings``: ``((parameter, (constraint, …)), …)`` of an INCLUDE row.
    """

    kind: Literal["t"]
    row: str  # the standard's label: "1", "6b"
    nl: int  # nesting level
    relationship: str  # "CONTAINS", …; "" when the row names none
    by_reference: bool  # "R-" (PS3.16 Table 6.1.3-1)
    value_type: str  # "CONTAINER", "NUM", …, "INCLUDE"
    concept: ConstraintRow | None  # None: any concept name
    include: str  # the included TID of an INCLUDE row
    vm_min: int
    vm_max: int | None  # None: n
    requirement: str  # "M", "MC", "U", "UC"
    condition: str
    predicate: Any
    value_sets: tuple[ConstraintRow, ...]
    units: tuple[ConstraintRow, ...]
    graphic_types: tuple[str, ...]
    graphic_types_excluded: bool  # "GRAPHIC TYPE = not {…}"
    bindings: tuple[tuple[str, tuple[ConstraintRow, ...]], ...]


def read_template_row(row: tuple[Any, ...]) -> TemplateRuleRow:
    """A template row as written, typed (its constraints too); :class:`StaleRulesError` when
    it does not fit."""
    if not row or row[0] != "t" or len(row) != len(TemplateRuleRow._fields):
        raise StaleRulesError(
            f"a generated template row {str(row)[:80]} does not fit row layout "
            f"{LAYOUT_VERSION}: regenerate with `make generate`"
        )
    r = TemplateRuleRow._make(row)
    c = ConstraintRow._make
    return r._replace(
        concept=c(r.concept) if r.concept is not None else None,
        value_sets=tuple(c(x) for x in r.value_sets),
        units=tuple(c(x) for x in r.units),
        bindings=tuple((p, tuple(c(x) for x in v)) for p, v in r.bindings),
    )


def read_row(row: tuple[Any, ...]) -> Row:
    """A table row as written, typed; :class:`StaleRulesError` when it does not fit."""
    cls = ROW_KINDS.get(row[0]) if row else None
    if cls is None or len(row) != len(cls._fields):
        raise StaleRulesError(
            f"a generated rule row {str(row)[:80]} does not fit row layout {LAYOUT_VERSION}: "
            "regenerate with `make generate`"
        )
    return cls._make(row)  # type: ignore[no-any-return]


def read_record(cls: type[Any], row: tuple[Any, ...]) -> Any:
    """An IOD's module or functional group row (or a head), typed and checked."""
    if len(row) != len(cls._fields):
        raise StaleRulesError(
            f"a generated {cls.__name__} {str(row)[:80]} does not fit row layout "
            f"{LAYOUT_VERSION}: regenerate with `make generate`"
        )
    return cls._make(row)


def check_layout(index: Any, where: str = "generated rules") -> None:
    """Refuse a rules package written for another layout (its ``LAYOUT``; none is layout 1)."""
    found = getattr(index, "LAYOUT", 1)
    if found != LAYOUT_VERSION:
        raise StaleRulesError(
            f"{where} were written with rule row layout {found}; this iodkit reads layout "
            f"{LAYOUT_VERSION}. Regenerate them with `make generate` (or reinstall iodkit)."
        )

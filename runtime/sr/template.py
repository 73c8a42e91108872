"""Runtime base of the generated template builders (``iodkit.templates.tidNNNN``).

Each PS3.16 template is generated into a class whose rows are data (:class:`Row`: nesting,
relationship, value type, concept name, VM, requirement and condition, value set and units
constraints, INCLUDEs with their parameter bindings) and whose typed ``__init__`` takes what a
user supplies: the values of the rows, the concept names a row leaves open, the included
templates as builders of their own. Everything else lives here, written and tested once —
as :mod:`iodkit.builders` does for the PS3.3 modules:

* checks **at assignment**: the Python type of each value for its value type, the row's VM,
  coded values against the row's constraint by the one rule of :mod:`iodkit.sr.valuesets`
  (EV and non-extensible DCID are errors, extensible DCID, BCID and DT are accepted), units
  of NUM rows, graphic types; and once all values are in, the rows the template makes
  mandatory (M) and the conditions it can decide from which rows are present (XOR, IF/IFF
  another row, at least one of). Each error names the builder, the argument and the row:
  "PS3.16 2024c TID 1410 row 6";
* the fixed concept names (EV, and DT defaults) are filled in by the builder;
* an INCLUDEd template is a builder of its own; where it is assigned, the parameters the
  INCLUDE row binds (``$Measurement = BCID 218``) are checked against its values, and its top
  rows without a relationship take the INCLUDE row's (PS3.16 Section 6.2.2);
* :meth:`TemplateNode.content` gives the :class:`~iodkit.sr.content.ContentItem` s in the
  rows' order; a template that is a single CONTAINER records its TID in Content Template
  Sequence (PS3.3 C.18.8).

A row with children or with a concept name of the user's choosing has a nested builder class
(``PlanarROIMeasurementsAndQualitativeEvaluations.ImageRegion``) holding its value and its
children's; a template of one top row is itself that row's builder.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from iodkit.codes import Code, is_code_like
from iodkit.sr.conditions import presence_only, violations
from iodkit.sr.content import (
    ContentError,
    ContentItem,
    Numeric,
    Reference,
    Scoord,
    Scoord3D,
    Tcoord,
    as_code,
)
from iodkit.sr.valuesets import Constraint, Param, check_code, resolve

__all__ = ["NAME_REQUIRED", "Row", "TemplateError", "TemplateNode"]

#: PS3.3 C.17.3: value types whose Concept Name Code Sequence is required (and the CONTAINERs
#: templates name); references and coordinates may go unnamed.
NAME_REQUIRED = frozenset("TEXT NUM CODE DATETIME DATE TIME UIDREF PNAME CONTAINER".split())


class TemplateError(ContentError):
    """A value given to a template builder breaks a row of its PS3.16 template."""


@dataclass(frozen=True)
class Row:
    """One row of a PS3.16 template table, as the builders need it.

    ``concept``: the concept name — a :class:`Code` when the row fixes it (EV, or DT which a
    builder fills in by default), else a constraint on the name the user gives. ``values``:
    the value set constraint of a CODE row; ``units``: of a NUM row. ``predicate``: the
    condition as the spec parsed it (a list of clauses, :mod:`iodkit.sr.conditions`), decided
    on the builder's own values where they decide it; None when the words were not parsed.
    """

    label: str
    name: str
    value_type: str  # a PS3.3 value type, or "INCLUDE"
    relationship: str | None = None
    by_reference: bool = False  # "R-" relationships (PS3.16 Table 6.1.3-1)
    concept: Constraint = None
    concept_fixed: bool = False
    vm: tuple[int, int | None] = (1, 1)
    requirement: str = "U"
    condition: str = ""
    predicate: tuple[dict[str, Any], ...] | None = None
    values: Constraint = None
    units: Constraint = None
    graphic_types: tuple[str, ...] = ()
    not_graphic_types: tuple[str, ...] = ()
    include: str | None = None  # "iodkit.templates.tid1419:ROIMeasurements"
    bindings: dict[str, Constraint] = field(default_factory=dict)
    builder: str | None = None  # nested row builder: "ClassName" within the template class

    @property
    def many(self) -> bool:
        return self.vm[1] != 1


_CLASSES: dict[tuple[int, str], type[TemplateNode]] = {}


def _resolve_class(owner: type, spec: str) -> type[TemplateNode]:
    """The builder class ``spec`` names: "module:Class" (an included template), or a row
    builder nested in ``owner`` or a class enclosing it. Resolved once per (owner, spec):
    generated classes live as long as the program."""
    key = (id(owner), spec)
    found = _CLASSES.get(key)
    if found is None:
        found = _CLASSES[key] = _find_class(owner, spec)
    return found


def _find_class(owner: type, spec: str) -> type[TemplateNode]:
    if ":" in spec:
        module, _, name = spec.partition(":")
        obj: Any = importlib.import_module(module)
        for part in name.split("."):
            obj = getattr(obj, part)
        return obj  # type: ignore[no-any-return]
    cls = owner
    for klass in owner.__mro__:
        if spec in vars(klass):
            return vars(klass)[spec]  # type: ignore[no-any-return]
    outer = getattr(owner, "__outer__", None)
    while outer is not None:
        if hasattr(outer, spec):
            return getattr(outer, spec)  # type: ignore[no-any-return]
        outer = getattr(outer, "__outer__", None)
    raise AttributeError(f"{cls.__name__}: no builder class {spec!r}")


class TemplateNode:
    """A template (or a row of one with children) being built: its rows' values.

    Generated subclasses set ``__tid__``, ``__source__`` ("PS3.16 2024c TID 1410"),
    ``__row__`` (the row this node is, for a single-row template or a nested row builder) and
    ``__rows__`` (the rows whose values are arguments).
    """

    __tid__: ClassVar[str] = ""
    __source__: ClassVar[str] = ""
    __row__: ClassVar[Row | None] = None
    __rows__: ClassVar[tuple[Row, ...]] = ()
    __by_name__: ClassVar[dict[str, Row]] = {}
    __by_label__: ClassVar[dict[str, Row]] = {}
    __names__: ClassVar[dict[str, str]] = {}
    __nested__: ClassVar[tuple[type[TemplateNode], ...]] = ()
    __conditional__: ClassVar[tuple[tuple[Row, bool], ...]] = ()
    __rank__: ClassVar[dict[str, int]] = {}
    __verdicts__: ClassVar[dict[tuple[str, frozenset[str]], list[str]]] = {}
    __slots__ = ("_values", "_name", "_made")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        rows = vars(cls).get("__rows__", cls.__rows__)
        cls.__by_name__ = {r.name: r for r in rows}
        cls.__by_label__ = {r.label: r for r in rows}
        cls.__names__ = {r.label: r.name for r in rows}
        cls.__rank__ = {r.name: i for i, r in enumerate(rows)}
        # rows with a parsed condition, and whether its verdict depends only on which rows are
        # present (then it is remembered per set of present rows: builders are made by the
        # thousand with the same few shapes)
        cls.__conditional__ = tuple((r, presence_only(r.predicate)) for r in rows if r.predicate)
        cls.__verdicts__ = {}
        cls.__nested__ = tuple(
            v
            for k, v in vars(cls).items()
            if k != "__outer__" and isinstance(v, type) and issubclass(v, TemplateNode)
        )
        for value in cls.__nested__:
            value.__outer__ = cls  # type: ignore[attr-defined]

    def __init__(self, **values: Any) -> None:
        self._init(values)

    # -- assignment -------------------------------------------------------------------------
    def _init(self, args: dict[str, Any]) -> None:
        """Body of the generated typed ``__init__``: check and keep every argument given."""
        self._values: dict[str, Any] = {}
        self._name: Code | None = None
        self._made: list[ContentItem] | None = None
        cls = type(self)
        for key, value in args.items():
            if value is None or key in ("self", "_", "__class__"):
                continue
            if key == "concept_name":
                self._name = self._check_name(value)
                continue
            if key == "value" and cls.__row__ is not None:
                self._values[key] = self._check_value(cls.__row__, cls.__row__.value_type, value)
                continue
            row = cls.__by_name__.get(key)
            if row is None:
                raise TypeError(f"{cls.__name__} has no argument {key!r}")
            self._values[key] = self._check(row, value)
        if "_" in args and args["_"]:
            raise TypeError(f"{cls.__name__} has no argument {next(iter(args['_']))!r}")
        rank = cls.__rank__
        keys = [rank.get(k, -1) for k in self._values]
        if keys != sorted(keys):  # given out of the table's order (keyword arguments): sort
            self._values = dict(sorted(self._values.items(), key=lambda kv: rank.get(kv[0], -1)))
        self._check_rows()

    def where(self, row: Row | None = None) -> str:
        label = f" row {row.label}" if row is not None else ""
        return f"{type(self).__qualname__} ({self.__source__}{label})"

    def fail(self, row: Row | None, message: str) -> TemplateError:
        arg = f".{row.name}" if row is not None else ""
        source = f"{self.__source__} row {row.label}" if row is not None else self.__source__
        return TemplateError(f"{type(self).__qualname__}{arg}: {message} ({source})")

    def _check_name(self, value: Any) -> Code:
        row = self.__row__
        if row is None or row.concept_fixed:
            raise TypeError(f"{type(self).__qualname__} has a fixed concept name")
        argument = f"{type(self).__qualname__}.concept_name ({self.__source__} row {row.label})"
        code = _code(value, argument)
        check_code(code, row.concept, f"{self.where(row)} concept name")
        return code

    def _check(self, row: Row, value: Any) -> Any:
        # pydicom's Code is a NamedTuple: one code, not a sequence of values
        single = not isinstance(value, list | tuple) or is_code_like(value)
        if row.many:
            values = [value] if single else list(value)
            low, high = row.vm
            if len(values) < low or (high is not None and len(values) > high):
                raise self.fail(row, f"{len(values)} values given, VM is {_vm(row.vm)}")
            return [self._check_one(row, v) for v in values]
        if not single and not isinstance(value, Tcoord):
            raise self.fail(row, f"{len(value)} values given, VM is 1")
        return self._check_one(row, value)

    def _check_one(self, row: Row, value: Any) -> Any:
        if row.by_reference:  # "R-": the item is placed by value elsewhere in the tree
            if row.include is not None and isinstance(value, TemplateNode):
                cls = _resolve_class(type(self), row.include)
                if not isinstance(value, cls):
                    raise self.fail(
                        row,
                        f"refers to a {cls.__qualname__} (TID {cls.__tid__}), "
                        f"got {type(value).__qualname__}",
                    )
            if not isinstance(value, TemplateNode | ContentItem):
                raise self.fail(
                    row,
                    "a by-reference row takes the builder (or content item) it refers to, "
                    f"placed by value elsewhere in the document; got {type(value).__name__}",
                )
            return value
        if row.include is not None:
            cls = _resolve_class(type(self), row.include)
            if not isinstance(value, cls):
                raise self.fail(
                    row,
                    f"expected a {cls.__qualname__} (TID {cls.__tid__}), got "
                    f"{type(value).__name__}",
                )
            if _binds_checkable(row):
                value.check_bindings(row.bindings, self.where(row))
            return value
        if row.builder is not None:
            cls = _resolve_class(type(self), row.builder)
            if isinstance(value, cls):
                return value
            needed = [
                f"{r.name} (row {r.label}, M)"
                for r in cls.__rows__
                if r.requirement == "M" and not r.predicate
            ]
            if needed:
                raise self.fail(
                    row,
                    f"a bare {type(value).__name__} is not enough: {', '.join(needed)} "
                    f"is required too; give {cls.__qualname__}(value=…, {needed[0].split()[0]}=…)",
                )
            try:  # a bare value for a row builder whose other arguments may be left out
                return cls(value=value)
            except TypeError:
                pass
            raise self.fail(row, f"expected a {cls.__qualname__}, got {type(value).__name__}")
        return self._check_value(row, row.value_type, value)

    def _check_value(self, row: Row, vt: str, value: Any) -> Any:
        if vt == "CODE":
            argument = f"{type(self).__qualname__}.{row.name} ({self.__source__} row {row.label})"
            code = _code(value, argument)
            check_code(code, row.values, argument)
            return code
        if vt == "NUM":
            if isinstance(value, tuple) and len(value) == 2:
                value = Numeric(value[0], _code(value[1], f"{self.where(row)} units"))
            if not isinstance(value, Numeric):
                raise self.fail(row, f"expected a Numeric (value and units), got {value!r}")
            if value.unit is not None:
                check_code(_code(value.unit, "units"), row.units, f"{self.where(row)} units")
            return value
        if vt in ("TEXT", "UIDREF", "PNAME"):
            if not isinstance(value, str) or (vt != "TEXT" and not value):
                raise self.fail(row, f"expected a non-empty str for {vt}, got {value!r}")
            return value
        if vt in ("IMAGE", "COMPOSITE", "WAVEFORM"):
            if not isinstance(value, Reference):
                if hasattr(value, "SOPInstanceUID") and hasattr(value, "SOPClassUID"):
                    return Reference.to(value)
                raise self.fail(row, f"expected a Reference or a dataset, got {value!r}")
            return value
        if vt == "SCOORD":
            if not isinstance(value, Scoord):
                raise self.fail(row, f"expected a Scoord, got {type(value).__name__}")
            self._check_graphic(row, value.graphic_type)
            return value
        if vt == "SCOORD3D":
            if not isinstance(value, Scoord3D):
                raise self.fail(row, f"expected a Scoord3D, got {type(value).__name__}")
            self._check_graphic(row, value.graphic_type)
            return value
        if vt == "TCOORD" and not isinstance(value, Tcoord):
            raise self.fail(row, f"expected a Tcoord, got {type(value).__name__}")
        if vt == "CONTAINER" and value not in ("SEPARATE", "CONTINUOUS"):
            raise self.fail(row, "a CONTAINER's value is SEPARATE or CONTINUOUS")
        return value

    def _check_graphic(self, row: Row, graphic_type: str) -> None:
        if row.graphic_types and graphic_type not in row.graphic_types:
            raise self.fail(
                row, f"Graphic Type {graphic_type} is not one of {', '.join(row.graphic_types)}"
            )
        if graphic_type in row.not_graphic_types:
            raise self.fail(row, f"Graphic Type {graphic_type} is not allowed here")

    def _check_rows(self) -> None:
        """Mandatory rows, and the conditions (PS3.16 6.1.8) decidable from this builder's
        values (:mod:`iodkit.sr.conditions`)."""
        values = self._values
        row = self.__row__
        if row is not None and not row.concept_fixed and self._name is None:
            if row.value_type in NAME_REQUIRED:
                raise self.fail(row, "concept_name is required: the template leaves it open")
        if (
            row is not None
            and "value" not in values
            and row.value_type
            not in (
                "CONTAINER",
                "INCLUDE",
            )
        ):
            raise self.fail(row, f"value is required (the {row.value_type} of this row)")
        for r in self.__rows__:
            if r.predicate is None and r.requirement == "M" and r.name not in values:
                raise self.fail(r, f"{r.name} is required (M)")
        conditional = type(self).__conditional__
        if not conditional:
            return
        present = frozenset(r.label for r in self.__rows__ if r.name in values)
        verdicts = type(self).__verdicts__
        for r, remembered in conditional:
            key = (r.label, present)
            problems = verdicts.get(key) if remembered else None
            if problems is None:
                problems = violations(
                    r.label, r.requirement, r.predicate or (), self, self.__names__
                )
                if remembered:
                    verdicts[key] = problems
            if problems:
                raise self.fail(r, f"{r.name} {problems[0]} ({r.condition})")

    # -- the facts conditions ask (iodkit.sr.conditions.Facts) ------------------------------
    def row_count(self, label: str) -> int | None:
        if self.__row__ is not None and label == self.__row__.label:
            return 1  # the row this builder is ("IF Row 1 Concept Name = …")
        row = self.__by_label__.get(label)
        if row is None:
            return None  # a row at another nesting level, or of another template
        value = self._values.get(row.name)
        if value is None:
            return 0
        return len(value) if isinstance(value, list) else 1

    def row_values(self, label: str) -> list[Any] | None:
        if self.__row__ is not None and label == self.__row__.label:
            return [self._values.get("value")]
        row = self.__by_label__.get(label)
        if row is None:
            return None
        value = self._values.get(row.name)
        items = [] if value is None else value if isinstance(value, list) else [value]
        return [v._values.get("value") if isinstance(v, TemplateNode) else v for v in items]

    def row_concepts(self, label: str) -> list[Code] | None:
        if self.__row__ is not None and label == self.__row__.label:
            name = self.concept_name
            return [name] if name is not None else []
        row = self.__by_label__.get(label)
        if row is None:
            return None
        value = self._values.get(row.name)
        items = [] if value is None else value if isinstance(value, list) else [value]
        out: list[Code] = []
        for v in items:
            found: object = v.concept_name if isinstance(v, TemplateNode) else row.concept
            if isinstance(found, Code):
                out.append(found)
        return out

    def check_bindings(self, bindings: dict[str, Constraint], where: str) -> None:
        """Check the values whose constraint is a template parameter against what an INCLUDE
        row binds it to (PS3.16 Section 6.2.3); recurse into included templates."""
        if not bindings or not any(_checkable(c) for c in bindings.values()):
            return  # BCID, DT and unbound parameters accept every code: nothing to check
        row = self.__row__
        if row is not None and self._name is not None and isinstance(row.concept, Param):
            check_code(self._name, resolve(row.concept, bindings), f"{where}: concept name")
        for r in self.__rows__:
            value = self._values.get(r.name)
            if value is None:
                continue
            for v in value if isinstance(value, list) else [value]:
                if isinstance(v, TemplateNode):
                    inner = (
                        {k: resolve(c, bindings) for k, c in r.bindings.items()}
                        if r.include is not None
                        else bindings
                    )
                    v.check_bindings(inner, where)
                elif r.value_type == "CODE" and isinstance(r.values, Param):
                    check_code(v, resolve(r.values, bindings), f"{where} → {self.where(r)}")
                elif r.value_type == "NUM" and isinstance(r.units, Param) and v.unit is not None:
                    check_code(v.unit, resolve(r.units, bindings), f"{where} → {self.where(r)}")

    @classmethod
    def row(cls, label: str) -> Row:
        """The row ``label`` of this template, at any nesting level (``row("6")``)."""
        for r in cls.__rows__:
            if r.label == label:
                return r
        if cls.__row__ is not None and cls.__row__.label == label:
            return cls.__row__
        for value in cls.__nested__:
            try:
                return value.row(label)
            except KeyError:
                continue
        raise KeyError(f"{cls.__source__} has no row {label!r}")

    @classmethod
    def concept(cls, label: str) -> Code:
        """The concept name row ``label`` fixes (its EV or DT code)."""
        concept = cls.row(label).concept
        if not isinstance(concept, Code):
            raise KeyError(f"{cls.__source__} row {label} fixes no concept name")
        return concept

    # -- reading back -----------------------------------------------------------------------
    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if name in type(self).__by_name__:
            return self._values.get(name)
        raise AttributeError(f"{type(self).__qualname__} has no argument {name!r}")

    @property
    def concept_name(self) -> Code | None:
        row = self.__row__
        if self._name is not None:
            return self._name
        return row.concept if row is not None and isinstance(row.concept, Code) else None

    # -- content items ----------------------------------------------------------------------
    def content(self, relationship: str | None = None) -> list[ContentItem]:
        """The content items this node makes: one item when it is a row (with its children),
        the items of its top rows otherwise. ``relationship`` is the including row's, given to
        top rows that have none of their own. Made once: a by-reference row elsewhere points
        at these very items."""
        if self._made is None:
            row = self.__row__
            self._made = self._children(relationship) if row is None else [self.item(relationship)]
        return self._made

    def item(self, relationship: str | None = None) -> ContentItem:
        row = self.__row__
        assert row is not None
        value = self._values.get("value")
        if row.value_type == "CONTAINER" and value is None:
            value = "SEPARATE"
        return ContentItem(
            row.value_type,
            self.concept_name,
            value,
            relationship=row.relationship or relationship,
            children=self._children(None),
            template=self.__tid__ if self._is_template_container() else None,
            row=(int(self.__tid__) if self.__tid__.isdigit() else 0, row.label),
            check=False,
        )

    def _is_template_container(self) -> bool:
        row = self.__row__
        return (
            row is not None
            and row.value_type == "CONTAINER"
            and type(self).__dict__.get("__template_root__", False) is True
        )

    def _children(self, relationship: str | None) -> list[ContentItem]:
        # the values are kept in the rows' order (the generated signature lists the rows in
        # the table's order), so only the rows given are visited
        out: list[ContentItem] = []
        by_name = self.__by_name__
        tid = _tid(self)
        for key, value in self._values.items():
            r = by_name.get(key)
            if r is None:  # the node's own value
                continue
            rel = r.relationship or relationship
            for v in value if isinstance(value, list) else (value,):
                if r.by_reference:  # resolved to a path when the document is written
                    out.append(ContentItem(None, None, v, relationship=rel, check=False))
                elif isinstance(v, TemplateNode):
                    out.extend(v.content(rel))
                else:
                    name = r.concept if isinstance(r.concept, Code) else None
                    out.append(
                        ContentItem(
                            r.value_type, name, v, relationship=rel, row=(tid, r.label), check=False
                        )
                    )
        return out

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self._values.items())
        return f"{type(self).__qualname__}({inner})"


_BINDS: dict[int, bool] = {}


def _binds_checkable(row: Row) -> bool:
    """Whether an INCLUDE row binds any parameter to a set a code can break (EV, DCID);
    answered once per row (rows are class data, alive as long as their class)."""
    known = _BINDS.get(id(row))
    if known is None:
        known = _BINDS[id(row)] = any(_checkable(c) for c in row.bindings.values()) or any(
            isinstance(c, Param) for c in row.bindings.values()
        )
    return known


def _checkable(constraint: Constraint) -> bool:
    """Whether a code can break ``constraint`` at assignment (EV, DCID) under the one rule."""
    from iodkit.sr.valuesets import ValueSet

    if isinstance(constraint, tuple):
        return all(_checkable(c) for c in constraint)
    if isinstance(constraint, ValueSet):
        return constraint.kind == "DCID"
    return isinstance(constraint, Code)


def _tid(node: TemplateNode) -> int:
    return int(node.__tid__) if node.__tid__.isdigit() else 0


def _vm(vm: tuple[int, int | None]) -> str:
    low, high = vm
    return str(low) if high == low else f"{low}-{'n' if high is None else high}"


def _code(value: Any, argument: str) -> Code:
    try:
        return as_code(value, argument)
    except ContentError as exc:
        raise TemplateError(str(exc)) from None


def flatten(values: Iterable[Any] | None) -> Sequence[Any]:
    """``values`` as a list (None → empty)."""
    return [] if values is None else list(values)

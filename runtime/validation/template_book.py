"""The PS3.16 templates of the generated edition as the content-tree checker uses them.

Each template is loaded on first use from ``generated/rules/templates`` (plain data, see
:class:`iodkit.rulemodel.rows.TemplateRuleRow`) and its rows are arranged as the table nests
them: a :class:`RowNode` per row, with the rows nested under it (PS3.16 Section 6.1.2: the
target items of a row follow it one level deeper).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from iodkit.codes import Code
from iodkit.rulemodel.coded import Constraint, Param, ValueSet
from iodkit.rulemodel.rows import (
    ConstraintRow,
    TemplateHead,
    TemplateRuleRow,
    read_template_row,
)

PACKAGE = "iodkit.generated.rules.templates"


@dataclass(eq=False)
class RowNode:
    """A row of a template and the rows nested under it."""

    row: TemplateRuleRow
    template: Template
    children: list[RowNode] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.row.row

    @property
    def ref(self) -> str:
        """ "TID 1500 row 6" (with the edition, this is how findings cite the row)."""
        return f"TID {self.template.tid} row {self.row.row}"


@dataclass(eq=False)
class Template:
    head: TemplateHead
    rows: list[TemplateRuleRow]
    top: list[RowNode] = field(default_factory=list)
    by_label: dict[str, RowNode] = field(default_factory=dict)

    @property
    def tid(self) -> str:
        return self.head.tid

    @property
    def name(self) -> str:
        return self.head.name


def _arrange(t: Template) -> None:
    stack: list[RowNode] = []
    for r in t.rows:
        node = RowNode(r, t)
        t.by_label.setdefault(r.row, node)
        del stack[r.nl :]
        if stack and len(stack) == r.nl:
            stack[-1].children.append(node)
        else:
            t.top.append(node)  # nl 0, or a nesting the table skips: keep it at the top
            stack.clear()
        stack.append(node)


class TemplateBook:
    """Templates by TID, loaded on demand; ``None`` for a TID the edition does not define."""

    def __init__(self, package: str = PACKAGE) -> None:
        import importlib

        from .datamodules import data_module

        self.package = package
        self._load = lambda name: data_module(package, name)
        index = importlib.import_module(package)
        self.modules: dict[str, str] = dict(index.TEMPLATES)
        self.roots: tuple[str, ...] = tuple(index.ROOTS)
        self._cache: dict[str, Template | None] = {}

    def get(self, tid: str) -> Template | None:
        if tid not in self._cache:
            name = self.modules.get(tid)
            if name is None:
                self._cache[tid] = None
            else:
                module = self._load(name)
                t = Template(
                    TemplateHead._make(module.TEMPLATE),
                    [read_template_row(r) for r in module.ROWS],
                )
                _arrange(t)
                self._cache[tid] = t
        return self._cache[tid]


@lru_cache(maxsize=2)
def template_book(package: str = PACKAGE) -> TemplateBook:
    return TemplateBook(package)


# -- constraints ---------------------------------------------------------------------------
Bindings = dict[str, tuple[ConstraintRow, ...]]


def bind(row: TemplateRuleRow, outer: Bindings) -> Bindings:
    """The parameters an INCLUDE row passes, with ``$X = $Y`` resolved against the bindings
    of the invoking template (PS3.16 Section 6.2.3.1; an unbound right side leaves ``$X``
    unconstrained)."""
    out: Bindings = {}
    for name, values in row.bindings:
        resolved: list[ConstraintRow] = []
        for v in values:
            if v.parameter and not v.default:
                resolved.extend(outer.get(v.parameter, ()))
            else:
                resolved.append(v)
        if resolved:
            out[name] = tuple(resolved)
    return out


def constraint(rows: tuple[ConstraintRow, ...], bindings: Bindings) -> Constraint:
    """Template constraints as the coded-value rule takes them (:mod:`iodkit.rulemodel.coded`):
    a parameter is replaced by its binding, else by its default ("Defaults to DCID 244"), else
    left open."""
    chosen: list[ConstraintRow] = []
    params = [r for r in rows if r.parameter and not r.default]
    defaults = [r for r in rows if r.default]
    for r in rows:
        if r.default:
            continue
        if r.parameter:
            chosen.extend(x for x in bindings.get(r.parameter, ()) if not x.parameter)
        else:
            chosen.append(r)
    if params and not any(p.parameter in bindings for p in params):
        if not defaults:
            return Param(params[0].parameter.lstrip("$"))
        chosen.extend(defaults)
    out: list[Code | ValueSet] = []
    for r in chosen:
        if r.code is not None:
            code = Code(r.code[0], r.code[1], r.code[2])
            # a coded entry the row gives without EV or DT is read as DT (see the spec's repairs)
            out.append(code if r.strength == "EV" else ValueSet("DT", code=code))
        elif r.cid:
            out.append(ValueSet(r.strength if r.strength != "CID" else "DCID", r.cid))
    if not out:
        return None
    return out[0] if len(out) == 1 else tuple(out)


def shown(rows: tuple[ConstraintRow, ...] | ConstraintRow | None) -> str:
    """A constraint as the standard writes it, for messages."""
    if rows is None:
        return "any"
    items = rows if isinstance(rows, tuple) and rows and isinstance(rows[0], tuple) else (rows,)
    parts = []
    for r in items:
        assert isinstance(r, ConstraintRow)
        if r.code is not None:
            parts.append(f'{r.strength} ({r.code[0]}, {r.code[1]}, "{r.code[2]}")'.strip())
        elif r.cid:
            parts.append(f"{r.strength} {r.cid}")
        elif r.parameter:
            parts.append(r.parameter)
        elif r.row:
            parts.append(f"value of Row {r.row}")
    return " or ".join(parts) or "any"


def as_code(data: Any) -> tuple[str, str]:
    """A predicate's code ({value, scheme, meaning}) as the key codes are compared by."""
    return str(data.get("value", "")), str(data.get("scheme", ""))

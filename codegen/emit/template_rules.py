"""Spec → PS3.16 template rules as generated Python data (``generated/rules/templates/``).

Like the attribute rules (:mod:`iodkit.codegen.emit.rules`), the template rules are plain
literals the validator loads in microseconds, without YAML and without the standard: one
module per template (``t_<tid>.py``: ``TEMPLATE``, a
:class:`~iodkit.rulemodel.rows.TemplateHead`, and ``ROWS``, one
:class:`~iodkit.rulemodel.rows.TemplateRuleRow` per row of the table) and an index
(``__init__.py``: ``TEMPLATES`` TID → module, ``ROOTS``).
"""

from __future__ import annotations

import re
from typing import Any

from iodkit.rulemodel.rows import ConstraintRow, TemplateHead, TemplateRuleRow

from ..spec.model import Edition, Template, TemplateRow, ValueConstraint
from ..spec.ps3_16_templates import tid_key, vm_bounds
from .rules import RULES_PACKAGE, literal

PACKAGE = f"{RULES_PACKAGE}/templates"


def template_module(tid: str) -> str:
    """ "10003A" → ``t_10003A``."""
    return "t_" + re.sub(r"[^0-9A-Za-z]", "_", tid)


def constraint_row(c: ValueConstraint) -> ConstraintRow:
    code = (c.code.value, c.code.scheme, c.code.meaning) if c.code is not None else None
    return ConstraintRow(
        c.strength if not c.tid else "",
        code,
        c.cid or 0,
        c.parameter,
        c.row,
        c.member_of,
        c.default,
    )


def template_row(r: TemplateRow) -> TemplateRuleRow:
    low, high = vm_bounds(r.vm)
    concept = None
    include = ""
    if r.concept is not None:
        if r.value_type == "INCLUDE":
            include = r.concept.tid
        else:
            concept = constraint_row(r.concept)
    return TemplateRuleRow(
        "t",
        r.row,
        r.nl,
        r.relationship,
        r.by_reference,
        r.value_type,
        concept,
        include,
        low,
        high,
        r.requirement,
        r.condition,
        r.predicate,
        tuple(constraint_row(v) for v in r.value_sets),
        tuple(constraint_row(v) for v in r.units),
        tuple(r.graphic_types),
        r.graphic_types_excluded,
        tuple((b.parameter, tuple(constraint_row(v) for v in b.values)) for b in r.bindings),
    )


def _head(t: Template) -> TemplateHead:
    return TemplateHead(
        t.tid,
        t.name,
        t.extensible is not False,  # a template without the property is open
        bool(t.order_significant),
        t.root,
    )


def render_template_rules(ed: Edition, env: Any, header: str) -> dict[str, str]:
    """``{relative path: text}`` for ``generated/rules/templates/``."""
    out: dict[str, str] = {}
    module = env.get_template("rules_template.py.j2")
    modules: dict[str, str] = {}
    for tid in sorted(ed.templates, key=tid_key):
        t = ed.templates[tid]
        if not t.rows:
            continue  # retired, title only
        name = template_module(tid)
        modules[tid] = name
        out[f"{PACKAGE}/{name}.py"] = module.render(
            header=header,
            edition=ed.edition,
            tpl=t,
            head=literal(_head(t)),
            rows=[literal(template_row(r)) for r in t.rows],
        )
    out[f"{PACKAGE}/__init__.py"] = env.get_template("rules_templates_index.py.j2").render(
        header=header,
        edition=ed.edition,
        templates=list(modules.items()),
        roots=[tid for tid in modules if ed.templates[tid].root],
    )
    return out

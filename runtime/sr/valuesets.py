"""Value set constraints of PS3.16 template rows as the builders check them at assignment.

A row constrains a concept name, a coded value or the units of a NUM item (PS3.16 Section
6.1.2 / 6.2.4) by an EV code, a DCID/BCID context group, a DT default or a ``$Parameter``.
What a code outside the constraint is — error, accepted with a warning, accepted — is the one
rule of :mod:`iodkit.rulemodel.coded` (its docstring has the table), which the content-tree
validator applies too; this module only raises or warns by its verdict. Codes are compared by
value and coding scheme (SRT mapped to SCT), never by meaning.
"""

from __future__ import annotations

import warnings

from iodkit.codes import Code
from iodkit.rulemodel.coded import (
    Constraint,
    Param,
    ValueSet,
    in_group,
    is_extensible,
    judge_code,
)
from iodkit.sr.content import ContentError

__all__ = [
    "Constraint",
    "Param",
    "ValueSet",
    "ValueSetError",
    "check_code",
    "in_group",
    "is_extensible",
    "resolve",
]


class ValueSetError(ContentError):
    """A code breaks the value set constraint of a template row."""


def resolve(constraint: Constraint, bindings: dict[str, Constraint]) -> Constraint:
    """``constraint`` with a parameter replaced by its binding (unbound: left as it is)."""
    seen: set[str] = set()
    while isinstance(constraint, Param) and constraint.name in bindings:
        if constraint.name in seen:  # "$X = $X" at the top: nothing bound
            break
        seen.add(constraint.name)
        constraint = bindings[constraint.name]
    return constraint


def check_code(code: Code, constraint: Constraint, where: str) -> None:
    """Apply the rule (:func:`iodkit.rulemodel.coded.judge_code`, the same the validator
    applies): raise :class:`ValueSetError` for an error, warn for a retired SNOMED RT code
    standing for the required SCT one, accept a code outside an extensible DCID silently."""
    verdict = judge_code(code, constraint)
    if verdict is None:
        return
    if verdict.severity == "error":
        raise ValueSetError(f"{where}: {verdict.message}")
    if verdict.retired_srt:
        warnings.warn(f"{where}: {verdict.message}", stacklevel=4)

"""Value set constraints of PS3.16 template rows, and the one rule for a code outside them.

A row constrains a concept name, a coded value or the units of a NUM item (PS3.16 Section
6.1.2 / 6.2.4) by

* ``EV (value, scheme, "meaning")`` — exactly that code (here: a :class:`Code`; several
  alternatives: a tuple of them);
* ``DCID n`` — a Defined Context ID: the codes of context group *n*;
* ``BCID n`` — a Baseline Context ID: suggested codes, any other allowed;
* ``DT (…)`` — a Defined Term: a default, any other allowed;
* ``$Parameter`` — whatever the including template binds the parameter to.

The rule, the same for the builders (at assignment) and the validator:

=======================================  ==========================================
constraint                               a code outside it
=======================================  ==========================================
EV                                       error; a retired SNOMED RT (SRT) code whose
                                         SNOMED CT (SCT) equivalent is required is
                                         accepted with a warning
DCID, context group not extensible       error
DCID, extensible context group           accepted (the validator warns)
BCID, DT, an unbound parameter           accepted
=======================================  ==========================================

Codes are compared by value and coding scheme (SRT mapped to SCT), never by meaning.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TypeAlias

from iodkit.codes import Code, context_group
from iodkit.sr.content import ContentError, concept_key

__all__ = ["Constraint", "Param", "ValueSet", "ValueSetError", "check_code", "resolve"]


class ValueSetError(ContentError):
    """A code breaks the value set constraint of a template row."""


@dataclass(frozen=True, slots=True)
class ValueSet:
    """``DCID n`` / ``BCID n`` (a context group) or ``DT`` (a defined term, ``code`` set)."""

    kind: str  # "DCID", "BCID", "DT"
    cid: int = 0
    name: str = ""
    code: Code | None = None

    def __str__(self) -> str:
        if self.kind == "DT" and self.code is not None:
            return f"DT {self.code}"
        return f'{self.kind} {self.cid} "{self.name}"' if self.name else f"{self.kind} {self.cid}"


@dataclass(frozen=True, slots=True)
class Param:
    """``$Name``: a template parameter, bound by the INCLUDE row that includes the template."""

    name: str

    def __str__(self) -> str:
        return f"${self.name}"


Constraint: TypeAlias = "Code | tuple[Code | ValueSet, ...] | ValueSet | Param | None"


def resolve(constraint: Constraint, bindings: dict[str, Constraint]) -> Constraint:
    """``constraint`` with a parameter replaced by its binding (unbound: left as it is)."""
    seen: set[str] = set()
    while isinstance(constraint, Param) and constraint.name in bindings:
        if constraint.name in seen:  # "$X = $X" at the top: nothing bound
            break
        seen.add(constraint.name)
        constraint = bindings[constraint.name]
    return constraint


class _Groups:
    """Concept keys of each context group with its included groups, computed on first use."""

    keys: dict[int, tuple[bool, frozenset[tuple[str, str]]] | None] = {}

    @classmethod
    def get(cls, cid: int) -> tuple[bool, frozenset[tuple[str, str]]] | None:
        if cid not in cls.keys:
            try:
                group = context_group(cid)
            except KeyError:
                cls.keys[cid] = None
            else:
                cls.keys[cid] = (
                    group.extensible,
                    frozenset(concept_key(c) for c in group.all_codes()),
                )
        return cls.keys[cid]


def in_group(code: Code, cid: int) -> bool | None:
    """Whether ``code`` is in context group ``cid`` (None: the edition has no such group)."""
    entry = _Groups.get(cid)
    return None if entry is None else concept_key(code) in entry[1]


def is_extensible(cid: int) -> bool | None:
    entry = _Groups.get(cid)
    return None if entry is None else entry[0]


def check_code(code: Code, constraint: Constraint, where: str) -> None:
    """Apply the rule above: raise :class:`ValueSetError` for an error, warn for a retired
    SNOMED RT code standing for the required SCT one, else return."""
    if constraint is None or isinstance(constraint, Param):
        return
    if isinstance(constraint, tuple):  # alternatives: any one that accepts the code will do
        errors: list[str] = []
        for alternative in constraint:
            try:
                check_code(code, alternative, where)
                return
            except ValueSetError as exc:
                errors.append(str(exc).removeprefix(f"{where}: "))
        raise ValueSetError(f"{where}: {'; '.join(errors)}")
    if isinstance(constraint, Code):
        key = concept_key(code)
        if (code.value, code.scheme) == (constraint.value, constraint.scheme):
            return
        if key == concept_key(constraint):
            warnings.warn(
                f"{where}: {code} is the retired SNOMED RT spelling of {constraint}; "
                "accepted, but write the SCT code (PS3.16 Section 8)",
                stacklevel=4,
            )
            return
        raise ValueSetError(f"{where}: {code} is not EV {constraint}")
    if constraint.kind != "DCID":
        return
    entry = _Groups.get(constraint.cid)
    if entry is None or entry[0]:
        return  # unknown group, or extensible: accepted here (the validator warns)
    if concept_key(code) not in entry[1]:
        raise ValueSetError(
            f"{where}: {code} is not in {constraint}, a context group that is not extensible"
        )

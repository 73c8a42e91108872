"""Decide the parsed conditions of PS3.16 template rows (Section 6.1.8) on what is known.

The spec keeps a row's condition as plain data (``codegen/spec/template_conditions.py``): a
list of clauses that all apply — ``{"xor": rows}``, ``{"at_least_one": rows}``, ``{"if":
EXPR}``, ``{"iff": EXPR}``, ``{"only_if": EXPR}`` — over expressions on other rows
(``{"present": "5"}``, ``{"value": "4", "in": [CODE…]}``, ``{"and": […]}`` …). Evaluation is
three-valued: a fact that is not known (a row of another template invocation, an attribute of
the dataset, words no dataset records) is ``None`` and decides nothing, so a clause only fails
on what is certain.

:func:`violations` is what a template builder asks once its values are in; anything that can
answer :class:`Facts` (a builder's values, a content tree being validated) can use it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from iodkit.codes import Code
from iodkit.sr.content import concept_key

__all__ = ["Facts", "evaluate", "violations"]


class Facts(Protocol):
    """What the conditions may ask about the rows of one template invocation (None: unknown)."""

    def row_count(self, label: str) -> int | None:
        """How many items row ``label`` has (0: absent)."""

    def row_values(self, label: str) -> list[Any] | None:
        """The values of row ``label``'s items (codes of CODE rows, text of TEXT rows)."""

    def row_concepts(self, label: str) -> list[Code] | None:
        """The concept names of row ``label``'s items."""


def _key(code: Any) -> tuple[str, str] | None:
    if isinstance(code, Code):
        return concept_key(code)
    if isinstance(code, dict) and "value" in code and "scheme" in code:
        return concept_key(Code(str(code["value"]), str(code["scheme"]), ""))
    return None


def _any_in(found: list[Any] | None, wanted: Sequence[Any]) -> bool | None:
    if found is None:
        return None
    keys = {_key(w) for w in wanted} - {None}
    texts = {w for w in wanted if isinstance(w, str)}
    for value in found:
        if _key(value) in keys or (isinstance(value, str) and value in texts):
            return True
    return False


def evaluate(expr: Any, facts: Facts) -> bool | None:
    """``expr`` (one expression of the parsed form) on ``facts``: True, False or None."""
    if not isinstance(expr, dict) or "tid" in expr:
        return None  # a row of another template: not known here
    if "and" in expr:
        parts = [evaluate(e, facts) for e in expr["and"]]
        return False if False in parts else (None if None in parts else True)
    if "or" in expr:
        parts = [evaluate(e, facts) for e in expr["or"]]
        return True if True in parts else (None if None in parts else False)
    if "not" in expr:
        inner = evaluate(expr["not"], facts)
        return None if inner is None else not inner
    if "present" in expr or "absent" in expr:
        count = facts.row_count(str(expr.get("present", expr.get("absent"))))
        if count is None:
            return None
        return (count > 0) if "present" in expr else (count == 0)
    if "count" in expr:
        count = facts.row_count(str(expr["count"]))
        return None if count is None else count >= int(expr.get("at_least", 1))
    if "value" in expr and "in" in expr:
        return _any_in(facts.row_values(str(expr["value"])), expr["in"])
    if "text" in expr and "in" in expr:
        return _any_in(facts.row_values(str(expr["text"])), expr["in"])
    if "concept" in expr and "in" in expr:
        return _any_in(facts.row_concepts(str(expr["concept"])), expr["in"])
    return None


def violations(
    label: str,
    requirement: str,
    clauses: Sequence[Any],
    facts: Facts,
    names: Mapping[str, str] | None = None,
) -> list[str]:
    """Why row ``label`` (``requirement`` M, MC, U or UC) breaks its condition ``clauses``,
    as short sentences; empty when it does not or when that is not certain. ``names`` gives
    rows a name to be called by in the sentences (a builder's argument names)."""

    def rows(labels: Sequence[str]) -> str:
        return ", ".join(
            f"row {r} ({names[r]})" if names and r in names else f"row {r}" for r in labels
        )

    out: list[str] = []
    here = facts.row_count(label)
    if here is None:
        return out
    present = here > 0
    # "XOR Row 12 and IFF (Row 7 or Row 10)": the choice is required only where the other
    # clauses say the row applies
    gates = [
        evaluate(c[k], facts)
        for c in clauses
        if isinstance(c, dict)
        for k in ("if", "iff", "only_if")
        if k in c
    ]
    mandatory = requirement in ("M", "MC") and all(g is True for g in gates)
    # the XOR partners stand in for this row where another clause requires it
    peers = [str(r) for c in clauses if isinstance(c, dict) and "xor" in c for r in c["xor"]]
    satisfied = present or any(facts.row_count(r) for r in peers if r != label)
    for clause in clauses:
        if not isinstance(clause, dict):
            continue
        if "xor" in clause:
            others = [str(r) for r in clause["xor"] if str(r) != label]
            counts = [facts.row_count(r) for r in others]
            given = [r for r, c in zip(others, counts, strict=True) if c]
            if present and given:
                out.append(f"excludes {rows(given)}")
            elif mandatory and not present and not given and None not in counts:
                out.append(f"or one of {rows(others)} is required")
        elif "at_least_one" in clause:
            wanted = [str(r) for r in clause["at_least_one"]]
            counts = [facts.row_count(r) for r in wanted]
            if not any(counts) and None not in counts and (mandatory or label in wanted):
                out.append(f"or another of {rows([r for r in wanted if r != label])} is required")
        elif "if" in clause:
            holds = evaluate(clause["if"], facts)
            if holds is True and requirement in ("M", "MC") and not satisfied:
                out.append("is required: its condition holds")
            elif holds is False and requirement == "UC" and present:
                out.append("may be present only when its condition holds")
        elif "iff" in clause:
            holds = evaluate(clause["iff"], facts)
            if holds is True and requirement in ("M", "MC") and not satisfied:
                out.append("is required: its condition holds")
            elif holds is False and present:
                out.append("shall not be present: its condition does not hold")
        elif "only_if" in clause:
            if evaluate(clause["only_if"], facts) is False and present:
                out.append("shall not be present: its condition does not hold")
    return out


def presence_only(clauses: Sequence[Any]) -> bool:
    """Whether ``clauses`` ask only which rows of the invocation are present (so their verdict
    depends on nothing else and can be remembered per set of present rows)."""

    def expr(e: Any) -> bool:
        if not isinstance(e, dict) or "tid" in e:
            return False
        if "and" in e or "or" in e:
            return all(expr(x) for x in (e.get("and") or e.get("or") or ()))
        if "not" in e:
            return expr(e["not"])
        return set(e) <= {"present", "absent"}

    for clause in clauses:
        if not isinstance(clause, dict):
            return False
        if "xor" in clause or "at_least_one" in clause:
            continue
        kinds = [k for k in ("if", "iff", "only_if") if k in clause]
        if len(kinds) != 1 or len(clause) != 1 or not expr(clause[kinds[0]]):
            return False
    return True

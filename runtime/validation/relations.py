"""Rules between values the standard states in words, judged on one dataset.

The spec reads them (:mod:`iodkit.codegen.spec.counts`, :mod:`iodkit.codegen.spec.relations`);
the rows carry them; the engine calls these functions where it judges an element or a
sequence:

* :func:`value_count` — as many values as another attribute gives (Dimension Index Values:
  one per Dimension Index Sequence item, C.7.6.17.1);
* :func:`reference` — a value that names another attribute's value in this instance
  (Referenced Segment Number → a Segment Number of the Segment Sequence, C.8.20.3);
* :func:`across_items` — values unique within the sequence or instance, or numbered 1, 2, 3 …
  over the items (Segment Number, C.8.20.2.4).
"""

from __future__ import annotations

from typing import Any, Protocol

from iodkit.rulemodel import Context
from iodkit.rulemodel.datasets import values_of
from iodkit.rulemodel.relations import value_key

from .compiled import Attr
from .findings import Reference, Severity, shown
from .tree import Element, Node


class Reporter(Protocol):
    """What these checks need of the engine: to add a finding, and a table's reference."""

    def add(
        self,
        severity: Severity,
        code: str,
        path: str,
        message: str,
        *,
        module: str = "",
        rule: str = "",
        ref: Reference | None = None,
        tag: int | None = None,
    ) -> None: ...

    def ref(self, table: str) -> Reference | None: ...


def value_count(out: Reporter, el: Element, a: Attr, module: str, ctx: Context, path: str) -> bool:
    """The number of values against the count another attribute gives; True when reported."""
    count = a.value_count
    if count is None:
        return False
    want = count.number(ctx)
    have = len(values_of(el))
    if want is None or have == want:
        return False
    out.add(
        "error",
        "vm",
        path,
        f"{have} value{'s' if have != 1 else ''}; the standard says as many as "
        f"{count.words()}, {want}",
        module=module,
        rule=a.rule_text(),
        ref=out.ref(a.table),
        tag=a.tag,
    )
    return True


def reference(out: Reporter, el: Element, a: Attr, module: str, ctx: Context, path: str) -> None:
    """Each value names a value the referenced attribute has in this instance (nothing is
    judged when the sequence holding those values is not in the dataset)."""
    rel = a.relations
    if rel is None or rel.refers is None:
        return
    known = rel.referenced(ctx)
    if known is None:
        return
    for v in values_of(el):
        if value_key(v) not in known:
            out.add(
                "error",
                "reference",
                path,
                f"{shown(v)} names no {rel.refers_words()}"
                + (f" (there: {_listed(known)})" if known else " (it has none)"),
                module=module,
                rule=a.rule_text(),
                ref=out.ref(a.table),
                tag=a.tag,
            )


def across_items(
    out: Reporter, items: list[Node], attrs: tuple[Attr, ...], sequence: int, module: str, path: str
) -> None:
    """Values of the items of one sequence judged together: unique, numbered 1, 2, 3 …"""
    for a in attrs:
        rel = a.relations
        if rel is None:
            continue
        values: list[tuple[int, Any]] = []
        for i, item in enumerate(items):
            el = item.elems.get(a.tag)
            vals = values_of(el) if el is not None else ()
            if vals:
                values.append((i, vals[0]))
        if not values:
            continue
        where = f"{path}[*].{a.keyword or a.name}"
        if rel.unique_in(sequence):
            seen: dict[Any, int] = {}
            for i, v in values:
                k = value_key(v)
                if k in seen:
                    out.add(
                        "error",
                        "numbering",
                        f"{path}[{i}].{a.keyword or a.name}",
                        f"{shown(v)} is also the {a.name} of {path}[{seen[k]}]; the standard "
                        "says it shall be unique",
                        module=module,
                        rule=a.rule_text(),
                        ref=out.ref(a.table),
                        tag=a.tag,
                    )
                else:
                    seen[k] = i
        if rel.numbered:
            keys = [value_key(v) for _, v in values]
            wants = [list(range(s, s + len(items))) for s in rel.starts]
            if len(values) == len(items) and keys not in wants:
                got = ", ".join(shown(v) for _, v in values[:8]) + (
                    ", …" if len(values) > 8 else ""
                )
                out.add(
                    "error",
                    "numbering",
                    where,
                    f"{a.name} values {got} in item order; the standard says they start at "
                    f"{' or '.join(str(s) for s in rel.starts)} and increase by 1",
                    module=module,
                    rule=a.rule_text(),
                    ref=out.ref(a.table),
                    tag=a.tag,
                )


def _listed(keys: set[Any]) -> str:
    """Values as a reader expects them: whole numbers without ".0", at most eight."""
    shown_keys = sorted(
        (int(k) if isinstance(k, float) and k.is_integer() else k for k in keys),
        key=lambda k: (isinstance(k, str), k),
    )
    text = ", ".join(str(k) for k in shown_keys[:8])
    return text + (", …" if len(shown_keys) > 8 else "")

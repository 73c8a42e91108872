"""Attach executable predicates to every condition of an edition (a pass of the spec build).

:func:`iodkit.codegen.spec.build.build_edition` calls :func:`attach_predicates` once the
dictionary is known: every condition text of the spec (conditional IOD modules, functional group
macros, type 1C/2C attributes, conditional includes, qualified value lists) is parsed by
:mod:`iodkit.codegen.spec.conditions` and its plain-data form stored next to the text in
``.predicate``. The spec YAML then shows both, so a reviewer sees what the validator will do
with the standard's words, and the rules emitter (:mod:`iodkit.codegen.emit.rules`) needs no
parser at generation time.

Plain data, per kind:

* conditions (modules, functional groups, attributes, includes) hold
  :meth:`iodkit.validation.conditions.Condition.to_data` without the text (the spec keeps that
  in ``condition``), plus ``status``: ``executable``, ``not-decidable`` (the words speak of facts
  no dataset records) or ``unparsed``; the validator reports the last two as "cannot decide",
  never as "optional";
* a value list's condition holds a bare predicate (``{"equals": "0062,0001", …}``).

Parsing is cached by text: the same sentence recurs in hundreds of tables.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

from iodkit.validation.conditions import (
    And,
    Condition,
    Not,
    Or,
    Predicate,
    Present,
    Ref,
    Unknown,
    map_refs,
)

from .conditions import Names, condition_sentences, parse_clause, parse_condition
from .model import AttributeRule, Edition, IncludeRule, Rule

STATUSES = ("executable", "not-decidable", "unparsed")
KINDS = ("iod-module", "functional-group", "attribute", "include", "value-set")

# Where a functional group macro may sit is a placement rule, not a condition: "May not be used
# as a Shared Functional Group" (so: per-frame only), "Shall be used as a Shared Functional Group".
_NOT_SHARED = re.compile(r"(?i)\b(?:may|shall)\s+not\s+be\s+used\s+as\s+an?\s+shared\b")
_NOT_PER_FRAME = re.compile(r"(?i)\b(?:may|shall)\s+not\s+be\s+used\s+as\s+an?\s+per-frame\b")
_SHARED_ONLY = re.compile(r"(?i)\bshall\s+be\s+used\s+as\s+an?\s+shared\b")
_PLACEMENT_SENTENCE = re.compile(
    r"(?i)[,;.]?\s*(?:it\s+)?(?:may|shall)\s+(?:not\s+)?be\s+used\s+as\s+an?\s+"
    r"(?:shared|per-frame)\s+functional\s+group\.?"
)


def placement(text: str) -> str:
    """ "per-frame" or "shared" when a functional group's usage text confines it to one, else ""."""
    if _NOT_SHARED.search(text):
        return "per-frame"
    if _NOT_PER_FRAME.search(text) or _SHARED_ONLY.search(text):
        return "shared"
    return ""


def states_condition(text: str) -> bool:
    """Whether the words of an M/U usage cell state a condition at all ("See Section A.26.5",
    "The units for … are specified by …" do not; "May be used only if …" does)."""
    s = condition_sentences(text)
    return bool(s.required or s.forbidden or s.permitted) or s.otherwise != "unspecified"


@dataclass
class PredicateStats:
    """How many conditions of each kind became executable, not decidable, or stayed text."""

    by_kind: dict[str, Counter[str]] = field(default_factory=dict)

    def add(self, kind: str, status: str, partly: bool = False) -> None:
        counts = self.by_kind.setdefault(kind, Counter())
        counts[status] += 1
        if partly:
            counts["partly"] += 1

    def count(self, status: str, kinds: tuple[str, ...] = KINDS[:4]) -> int:
        return sum(self.by_kind.get(k, Counter())[status] for k in kinds)

    def total(self, kinds: tuple[str, ...] = KINDS[:4]) -> int:
        return sum(self.count(s, kinds) for s in STATUSES)


def names_of(ed: Edition) -> Names:
    """A name → tag resolver over the edition's own dictionary (PS3.6 of the same edition)."""
    rows = []
    for tag, e in ed.dictionary.items():
        if "x" in tag.lower() or not e.name:
            continue
        rows.append((int(tag[1:5] + tag[6:10], 16), e.name, e.keyword, e.vr))
    return Names.from_entries(rows)


def condition_data(cond: Condition) -> dict[str, Any]:
    """A condition's plain data without its text, with its status."""
    data = cond.to_data()
    data.pop("text", None)
    data["status"] = cond.status
    if cond.partly_executable:
        data["partly"] = True  # some datasets get a verdict although words remain unknown
    return data


def value_set_status(pred: Predicate) -> str:
    """Status of a bare predicate, judged as :attr:`Condition.status` judges a requirement."""
    return Condition("", pred).status


class _Parser:
    """Cached parsing with the edition's names."""

    def __init__(self, ed: Edition) -> None:
        self.ed = ed
        self.names = names_of(ed)
        self.parsed: dict[str, Condition] = {}
        self.clauses: dict[str, tuple[Any, str]] = {}
        self.levels: dict[str, frozenset[int]] = {}

    def condition(self, text: str) -> dict[str, Any]:
        return condition_data(self.parse(text))

    def parse(self, text: str) -> Condition:
        hit = self.parsed.get(text)
        if hit is None:
            hit = with_evidence(parse_condition(text, resolve=self.names))
            self.parsed[text] = hit
        return hit

    def attribute(self, r: AttributeRule, siblings: frozenset[int]) -> dict[str, Any] | None:
        """An attribute's condition, read from the whole description when that finds more.

        The spec's ``condition`` keeps the first condition paragraph; some cells state several
        ("Required if Value Type is TEXT, …. Required if Value Type is CONTAINER and …",
        Table C.17-5) or add a permission ("May be present if …"). The parser reads every such
        sentence of the description; its reading is used when it contains the spec's text
        (even when the added sentences are less executable: they are part of the condition,
        and dropping them would make a "may be present" look like "shall not"). ``text`` is
        then added to the data, so the YAML shows the words the predicate came from.

        References to ``siblings`` (attributes the same item defines) are pinned to the item.
        """
        if not r.condition:
            return None
        own = self.parse(r.condition)
        chosen = own
        if r.type in ("1C", "2C") and r.description != r.condition:
            full = self.parse(r.description)
            head = " ".join(own.text.split())[:60]
            if len(full.text) > len(own.text) and head in " ".join(full.text.split()):
                chosen = full
        data = condition_data(pin_siblings(chosen, siblings))
        if chosen is not own:
            data["text"] = " ".join(chosen.text.split())
        return data

    def clause(self, text: str) -> tuple[Any, str]:
        hit = self.clauses.get(text)
        if hit is None:
            pred = parse_clause(text, resolve=self.names)
            hit = (pred.to_data(), value_set_status(pred))
            self.clauses[text] = hit
        return hit

    def level_tags(self, rules: list[Rule], stack: frozenset[str] = frozenset()) -> frozenset[int]:
        """The tags one dataset level holds: its attribute rows and those of its includes."""
        tags: set[int] = set()
        for r in rules:
            if isinstance(r, AttributeRule):
                if "x" not in r.tag.lower():
                    tags.add(int(r.tag[1:5] + r.tag[6:10], 16))
            elif isinstance(r, IncludeRule) and r.table in self.ed.tables and r.table not in stack:
                hit = self.levels.get(r.table)
                if hit is None:
                    hit = self.level_tags(self.ed.tables[r.table].rules, stack | {r.table})
                    if not stack:
                        self.levels[r.table] = hit
                tags |= hit
        return frozenset(tags)


# Facts the words speak of that the standard's own rules let a dataset show. Each maps the
# words of an Unknown leaf to a predicate that is true when the dataset shows the fact; the
# Unknown stays as the alternative, so the absence of evidence still means "cannot decide".
_EVIDENCE: tuple[tuple[re.Pattern[str], Predicate], ...] = (
    # PS3.3 C.7.1.1: Patient Species Description / Code Sequence are Type 1C "Required if the
    # Patient is a non-human organism" with no "may be present otherwise": either one present
    # says the patient is one.
    (
        re.compile(r"(?i)^(?:the\s+)?patient\s+is\s+a\s+non-human\s+organism$"),
        Or((Present(Ref((0x00102201,))), Present(Ref((0x00102202,))))),
    ),
)


def with_evidence(cond: Condition) -> Condition:
    """Unknown leaves for which the dataset may hold evidence become "evidence or unknown"."""

    def fix(p: Predicate | None) -> Predicate | None:
        if p is None:
            return None
        if isinstance(p, Unknown):
            for pattern, evidence in _EVIDENCE:
                if pattern.match(" ".join(p.text.split()).rstrip(".")):
                    return Or((evidence, p))
            return p
        if isinstance(p, (And, Or)):
            return type(p)(tuple(fix(q) or q for q in p.items))
        if isinstance(p, Not):
            return Not(fix(p.item) or p.item)
        return p

    return replace(
        cond,
        predicate=fix(cond.predicate),
        forbidden=fix(cond.forbidden),
        permitted=fix(cond.permitted),
    )


def pin_siblings(cond: Condition, siblings: frozenset[int]) -> Condition:
    """References to attributes of the same item read in that item (scope ``item``).

    The evaluator's default scope looks in the current item, then outwards, then in the
    functional groups: right for "Image Type (0008,0008) is …" written in a nested macro, wrong
    for a sibling. "Referenced Segment Number (0062,000B) is not present" (Table 10-3, inside
    Source Image Sequence items) means in this item; looked up outwards it finds the Segment
    Identification of the frame and turns the condition false.
    """
    if not siblings:
        return cond

    def fn(ref: Ref) -> Ref:
        if ref.scope == "auto" and ref.path[0] in siblings:
            return Ref(ref.path, "item")
        return ref

    def pin(p: Predicate | None) -> Predicate | None:
        return None if p is None else map_refs(p, fn)

    return replace(
        cond,
        predicate=pin(cond.predicate),
        forbidden=pin(cond.forbidden),
        permitted=pin(cond.permitted),
    )


def attach_predicates(ed: Edition) -> PredicateStats:
    """Parse every condition of ``ed`` and set ``.predicate`` (in place); return the counts."""
    parser = _Parser(ed)
    stats = PredicateStats()

    def attach(obj: Any, kind: str, text: str | None = None) -> None:
        text = obj.condition if text is None else text
        if not text:
            return
        data = parser.condition(text)
        obj.predicate = data
        stats.add(kind, data["status"], bool(data.get("partly")))

    for iod in ed.iods.values():
        for m in iod.modules:
            if m.usage == "C" or (m.condition and states_condition(m.condition)):
                attach(m, "iod-module")
        for fg in iod.functional_groups:
            where = placement(fg.condition)
            rest = (
                _PLACEMENT_SENTENCE.sub("", fg.condition).strip(" .;,") if where else fg.condition
            )
            if fg.usage == "C" or (rest and states_condition(rest)):
                attach(fg, "functional-group", rest or fg.condition)
            if where:
                fg.predicate = {**(fg.predicate or {}), "placement": where}

    def visit(rules: list[Rule], nested: bool) -> None:
        # siblings are pinned inside sequence items and in macros (which are items wherever a
        # sequence includes them); a module's top level keeps the default scope, so a reference
        # to a module attribute an enhanced IOD keeps in a functional group is still found
        siblings = parser.level_tags(rules) if nested else frozenset()
        for r in rules:
            if isinstance(r, AttributeRule):
                data = parser.attribute(r, siblings)
                if data is not None:
                    r.predicate = data
                    stats.add("attribute", data["status"], bool(data.get("partly")))
                for vs in r.value_sets:
                    if vs.condition:
                        vs.predicate, status = parser.clause(vs.condition)
                        stats.add("value-set", status)
                if r.items:
                    visit(r.items, True)
            elif isinstance(r, IncludeRule):
                if r.condition:
                    data = condition_data(pin_siblings(parser.parse(r.condition), siblings))
                    r.predicate = data
                    stats.add("include", data["status"], bool(data.get("partly")))
                if r.nested:
                    visit(r.nested, True)

    for t in ed.tables.values():
        visit(t.rules, t.kind != "module")
    return stats


def report(stats: PredicateStats) -> str:
    """The coverage as a few lines (what ``iodkit spec`` or a reader wants to see)."""
    lines = []
    for kind in KINDS:
        c = stats.by_kind.get(kind, Counter())
        total = sum(c[s] for s in STATUSES)
        if not total:
            continue
        detail = ", ".join(f"{s} {c[s]}" for s in STATUSES)
        lines.append(f"{kind:17} {total:5}: {detail} (partly executable: {c['partly']})")
    total = stats.total()
    ex, nd, un = (stats.count(s) for s in ("executable", "not-decidable", "unparsed"))
    partly = stats.count("partly")
    lines.append(
        f"conditions {total}: executable {ex} ({ex / total:.1%}), not decidable from a dataset "
        f"{nd} ({nd / total:.1%}), unparsed {un} ({un / total:.1%}); "
        f"executable among decidable {ex / max(1, total - nd):.1%}; "
        f"{partly} of the others still decide some datasets"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """``python -m iodkit.codegen.spec.predicates --source <edition folder>``: the coverage."""
    import argparse
    from pathlib import Path

    from .build import build_edition

    ap = argparse.ArgumentParser(description="condition coverage of an edition")
    ap.add_argument("--source", required=True, type=Path, help="an edition folder")
    args = ap.parse_args(argv)
    ed = build_edition(args.source)  # attaches the predicates
    print(report(attach_predicates(ed)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""What changed between two specs: IODs, modules, attributes, types, conditions, values,
context groups, coding schemes and PS3.16 templates.

Attributes are matched by their path of tags through sequences (e.g.
``(0062,0002)/(0062,0003)``) within a table, includes by the table they include; tables and IODs
by id. The report is plain text, one change per line, grouped by table, so it can be reviewed
next to the YAML diff.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .model import (
    AttributeRule,
    AttributeTable,
    CountOf,
    Edition,
    IncludeRule,
    Iod,
    Rule,
    Template,
    TemplateRow,
    ValueConstraint,
)


@dataclass
class SpecDiff:
    old: str
    new: str
    lines: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, text: str) -> None:
        self.lines.append(text)
        self.counts[kind] = self.counts.get(kind, 0) + 1

    @property
    def empty(self) -> bool:
        return not self.lines

    def render(self) -> str:
        head = f"spec diff {self.old} → {self.new}: " + (
            ", ".join(f"{v} {k}" for k, v in sorted(self.counts.items())) or "no changes"
        )
        return "\n".join([head, *self.lines]) + "\n"


def _flatten(rules: list[Rule], prefix: str = "") -> dict[str, Rule]:
    out: dict[str, Rule] = {}
    for r in rules:
        if isinstance(r, AttributeRule):
            key = f"{prefix}{r.tag}"
            out[key] = r
            out.update(_flatten(r.items, key + "/"))
        elif isinstance(r, IncludeRule):
            key = f"{prefix}include {r.table or r.text}"
            out[key] = r
            out.update(_flatten(r.nested, key + "/"))
    return out


def _values(r: AttributeRule) -> dict[tuple[str, str, int | None], list[str]]:
    out: dict[tuple[str, str, int | None], list[str]] = {}
    for v in r.value_sets:
        kind = f"retired {v.kind}" if v.retired else v.kind
        # several lists of one kind and qualifier (e.g. a cell's own and a linked section's)
        # are compared together rather than the last hiding the others
        out.setdefault((kind, v.condition, v.value_index), []).extend(v.values)
    return out


def diff_tables(d: SpecDiff, a: AttributeTable, b: AttributeTable) -> None:
    where = f"{b.label} {b.name}"
    fa, fb = _flatten(a.rules), _flatten(b.rules)
    for key in sorted(fa.keys() - fb.keys()):
        r = fa[key]
        d.add("attributes removed", f"  {where}: removed {_rule_name(r)} [{key}]")
    for key in sorted(fb.keys() - fa.keys()):
        r = fb[key]
        d.add("attributes added", f"  {where}: added {_rule_name(r)} [{key}]")
    for key in sorted(fa.keys() & fb.keys()):
        ra, rb = fa[key], fb[key]
        if isinstance(ra, AttributeRule) and isinstance(rb, AttributeRule):
            if ra.type != rb.type:
                d.add("types changed", f"  {where}: {rb.name} {rb.tag} type {ra.type} → {rb.type}")
            if ra.condition != rb.condition:
                d.add(
                    "conditions changed",
                    f"  {where}: {rb.name} {rb.tag} condition"
                    f"\n      - {ra.condition}\n      + {rb.condition}",
                )
            old_counts, new_counts = _counts(ra), _counts(rb)
            if old_counts != new_counts:
                d.add(
                    "item counts changed",
                    f"  {where}: {rb.name} {rb.tag} items"
                    f"\n      - {old_counts or 'not stated'}\n      + {new_counts or 'not stated'}",
                )
            if ra.overrides != rb.overrides:
                d.add(
                    "overrides changed",
                    f"  {where}: {rb.name} {rb.tag} overrides "
                    f"{ra.overrides or 'nothing'} → {rb.overrides or 'nothing'}",
                )
            if ra.open_items != rb.open_items:
                d.add(
                    "open items changed",
                    f"  {where}: {rb.name} {rb.tag} items hold "
                    f"{'any attribute' if ra.open_items else 'the listed rows'} → "
                    f"{'any attribute' if rb.open_items else 'the listed rows'}",
                )
            if ra.value_count != rb.value_count:
                d.add(
                    "value counts changed",
                    f"  {where}: {rb.name} {rb.tag} number of values "
                    f"{count_words(ra.value_count) if ra.value_count else 'not stated'} → "
                    f"{count_words(rb.value_count) if rb.value_count else 'not stated'}",
                )
            if ra.module_vm != rb.module_vm:
                d.add(
                    "module VMs changed",
                    f"  {where}: {rb.name} {rb.tag} module VM "
                    f"{ra.module_vm or 'dictionary'} → {rb.module_vm or 'dictionary'}",
                )
            va, vb = _values(ra), _values(rb)
            for k in sorted(va.keys() | vb.keys(), key=str):
                old, new = va.get(k, []), vb.get(k, [])
                if old != new:
                    added = [v for v in new if v not in old]
                    removed = [v for v in old if v not in new]
                    label = (
                        k[0]
                        + (f" if {k[1]}" if k[1] else "")
                        + (f" (value {k[2]})" if k[2] else "")
                    )
                    d.add(
                        "value sets changed",
                        f"  {where}: {rb.name} {rb.tag} {label}: +{added} -{removed}",
                    )
        elif isinstance(ra, IncludeRule) and isinstance(rb, IncludeRule):
            if ra.condition != rb.condition:
                d.add(
                    "conditions changed",
                    f"  {where}: include {rb.table} condition"
                    f"\n      - {ra.condition}\n      + {rb.condition}",
                )


def _counts(r: AttributeRule) -> str:
    """The item counts as one line: "exactly 1 unless X; 2 or more if X"."""
    parts = []
    for c in r.item_counts:
        lo, hi = c.minimum, c.maximum
        if c.equals is not None:
            n = f"as many as {count_words(c.equals)}"
        else:
            n = f"exactly {lo}" if lo == hi else f"{lo} or more" if hi is None else f"{lo} to {hi}"
        if c.condition:
            n += f" {'unless' if c.negated else 'if'} {c.condition}"
        parts.append(n)
    return "; ".join(parts)


def count_words(c: CountOf) -> str:
    """A count another attribute gives, in words: "the value of Number of Frames (0028,0008)",
    "the items of X Sequence (gggg,eeee) less 1"."""
    what = {"value": "the value of", "items": "the items of", "values": "the values of"}[c.of]
    names = ", else ".join(
        f"{n} {t}".strip()
        for n, t in zip(c.attributes, c.tags or [""] * len(c.attributes), strict=True)
    )
    return f"{what} {names}" + (f" {c.offset:+d}" if c.offset else "")


def _rule_name(r: Rule) -> str:
    if isinstance(r, AttributeRule):
        return f"{r.name} {r.tag} (type {r.type or '-'})"
    if isinstance(r, IncludeRule):
        return r.text
    return "note"


def diff_iods(d: SpecDiff, a: Iod, b: Iod) -> None:
    ma = {m.name: m for m in a.modules}
    mb = {m.name: m for m in b.modules}
    for name in sorted(ma.keys() - mb.keys()):
        d.add("IOD modules removed", f"  {b.name} IOD: module {name} removed")
    for name in sorted(mb.keys() - ma.keys()):
        d.add("IOD modules added", f"  {b.name} IOD: module {name} added ({mb[name].usage})")
    for name in sorted(ma.keys() & mb.keys()):
        x, y = ma[name], mb[name]
        if x.usage != y.usage or x.condition != y.condition:
            d.add(
                "IOD module usages changed",
                f"  {b.name} IOD: module {name} usage {x.usage} {x.condition!r}"
                f" → {y.usage} {y.condition!r}",
            )
    fa = {f.name: f for f in a.functional_groups}
    fb = {f.name: f for f in b.functional_groups}
    for name in sorted(fa.keys() ^ fb.keys()):
        d.add(
            "functional groups changed",
            f"  {b.name} IOD: functional group {name} {'removed' if name in fa else 'added'}",
        )


def diff_editions(a: Edition, b: Edition) -> SpecDiff:
    d = SpecDiff(a.edition, b.edition)
    for iid in sorted(a.iods.keys() - b.iods.keys()):
        d.add("IODs removed", f"IOD removed: {a.iods[iid].name} ({iid})")
    for iid in sorted(b.iods.keys() - a.iods.keys()):
        d.add("IODs added", f"IOD added: {b.iods[iid].name} ({iid})")
    for iid in sorted(a.iods.keys() & b.iods.keys()):
        diff_iods(d, a.iods[iid], b.iods[iid])
    for tid in sorted(a.tables.keys() - b.tables.keys()):
        d.add("tables removed", f"table removed: {a.tables[tid].label} {a.tables[tid].name}")
    for tid in sorted(b.tables.keys() - a.tables.keys()):
        d.add("tables added", f"table added: {b.tables[tid].label} {b.tables[tid].name}")
    for tid in sorted(a.tables.keys() & b.tables.keys()):
        diff_tables(d, a.tables[tid], b.tables[tid])
    for uid in sorted(a.sop_classes.keys() - b.sop_classes.keys()):
        d.add("SOP classes removed", f"SOP class removed: {a.sop_classes[uid].name} ({uid})")
    for uid in sorted(b.sop_classes.keys() - a.sop_classes.keys()):
        d.add("SOP classes added", f"SOP class added: {b.sop_classes[uid].name} ({uid})")
    for cid in sorted(a.context_groups.keys() - b.context_groups.keys()):
        d.add("context groups removed", f"CID {cid} removed")
    for cid in sorted(b.context_groups.keys() - a.context_groups.keys()):
        d.add("context groups added", f"CID {cid} {b.context_groups[cid].name} added")
    for cid in sorted(a.context_groups.keys() & b.context_groups.keys()):
        ca = {(c.scheme, c.value) for c in a.context_groups[cid].codes}
        cb = {(c.scheme, c.value) for c in b.context_groups[cid].codes}
        if ca != cb:
            d.add(
                "context groups changed",
                f"CID {cid} {b.context_groups[cid].name}: "
                f"{len(cb - ca)} codes added, {len(ca - cb)} removed",
            )
    pa = {(x.scheme, x.value, x.meaning, x.term): x.paired for x in a.anatomy}
    pb = {(x.scheme, x.value, x.meaning, x.term): x.paired for x in b.anatomy}
    for key in sorted(pa.keys() ^ pb.keys(), key=str):
        what = f"{key[3] or key[2]} ({key[1]}, {key[0]})"
        d.add("body parts changed", f"body part {'removed' if key in pa else 'added'}: {what}")
    for key in sorted(pa.keys() & pb.keys(), key=str):
        if pa[key] != pb[key]:
            d.add(
                "body parts changed",
                f"body part {key[3] or key[2]} ({key[1]}): paired {pa[key]} → {pb[key]}",
            )
    diff_coding_schemes(d, a, b)
    diff_templates(d, a, b)
    diff_supplements(d, a, b)
    return d


def diff_supplements(d: SpecDiff, a: Edition, b: Edition) -> None:
    """Supplement overlays applied, dropped (the edition has them), or changed."""
    sa = {s.number: s for s in a.supplements}
    sb = {s.number: s for s in b.supplements}
    for n in sorted(sa.keys() | sb.keys()):
        x, y = sa.get(n), sb.get(n)
        if x is not None and y is not None and (x.status, x.changes) == (y.status, y.changes):
            continue
        before = f"{x.status}, {len(x.changes)} changes" if x else "not applied"
        now = f"{y.status}, {len(y.changes)} changes" if y else "not applied"
        title = (y or x).title  # type: ignore[union-attr]
        d.add("supplements changed", f"Supplement {n} {title}: {before} → {now}")


def diff_coding_schemes(d: SpecDiff, a: Edition, b: Edition) -> None:
    """PS3.16 Table 8-1: designators added or removed; a UID, name or "version required"
    that changed."""
    sa = {x.designator: x for x in a.coding_schemes}
    sb = {x.designator: x for x in b.coding_schemes}
    for key in sorted(sa.keys() - sb.keys()):
        d.add("coding schemes changed", f"coding scheme removed: {key} ({sa[key].name})")
    for key in sorted(sb.keys() - sa.keys()):
        d.add("coding schemes changed", f"coding scheme added: {key} ({sb[key].name})")
    for key in sorted(sa.keys() & sb.keys()):
        x, y = sa[key], sb[key]
        for what in ("uid", "name", "version_required", "deprecated"):
            old, new = getattr(x, what), getattr(y, what)
            if old != new:
                d.add(
                    "coding schemes changed",
                    f"coding scheme {key}: {what.replace('_', ' ')} {old!r} → {new!r}",
                )


def constraint_text(c: ValueConstraint | None) -> str:
    """A constraint as the standard writes it: EV (121058, DCM, "Procedure reported"),
    DCID 244, DTID 1204, $Measurement, MemberOf {BCID 7151}."""
    if c is None:
        return "-"
    if c.code is not None:
        version = f" [{c.code.version}]" if c.code.version else ""
        text = f'{c.strength} ({c.code.value}, {c.code.scheme}{version}, "{c.code.meaning}")'
    elif c.cid is not None:
        text = f"{c.strength} {c.cid}"
    elif c.tid:
        text = f"{c.strength} {c.tid}"
    elif c.parameter:
        text = c.parameter
    elif c.row:
        text = f"value of Row {c.row}"
    else:
        text = "?"
    text = text.strip()
    if c.member_of:
        text = f"MemberOf {{{text}}}"
    return f"defaults to {text}" if c.default else text


def _concept_key(row: TemplateRow) -> str:
    c = row.concept
    if c is None:
        return row.value_type
    if c.code is not None:
        return f"{row.value_type} ({c.code.value}, {c.code.scheme})"
    return f"{row.value_type} {constraint_text(c)}"


def template_row_keys(tpl: Template) -> dict[str, TemplateRow]:
    """Rows keyed by their place in the template rather than their number (editions renumber
    rows): the chain of concept names from the top row down, with a count for repeats."""
    out: dict[str, TemplateRow] = {}
    stack: list[str] = []
    for row in tpl.rows:
        del stack[row.nl :]
        key = " > ".join([*stack, _concept_key(row)])
        n, unique = 1, key
        while unique in out:
            n += 1
            unique = f"{key} #{n}"
        out[unique] = row
        stack.append(_concept_key(row))
    return out


def _row_facts(row: TemplateRow) -> dict[str, str]:
    rel = ("R-" if row.by_reference else "") + row.relationship
    return {
        "relationship": rel or "-",
        "VM": row.vm,
        "requirement": row.requirement,
        "condition": row.condition or "-",
        "concept name": constraint_text(row.concept),
        "value set": ", ".join(constraint_text(v) for v in row.value_sets) or "-",
        "units": ", ".join(constraint_text(v) for v in row.units) or "-",
        "parameters": "; ".join(
            f"{b.parameter} = {', '.join(constraint_text(v) for v in b.values)}"
            for b in row.bindings
        )
        or "-",
    }


def diff_templates(d: SpecDiff, a: Edition, b: Edition) -> None:
    """PS3.16 templates added or removed; per template its properties, parameters and rows
    (matched by their place, see :func:`template_row_keys`)."""
    for tid in sorted(a.templates.keys() - b.templates.keys(), key=_tid_order):
        d.add("templates removed", f"TID {tid} {a.templates[tid].name} removed")
    for tid in sorted(b.templates.keys() - a.templates.keys(), key=_tid_order):
        d.add("templates added", f"TID {tid} {b.templates[tid].name} added")
    for tid in sorted(a.templates.keys() & b.templates.keys(), key=_tid_order):
        ta, tb = a.templates[tid], b.templates[tid]
        where = f"TID {tid} {tb.name}"
        for what in ("extensible", "order_significant", "root", "retired"):
            old, new = getattr(ta, what), getattr(tb, what)
            if old != new:
                d.add("templates changed", f"  {where}: {what.replace('_', ' ')} {old} → {new}")
        pa = {p.name for p in ta.parameters}
        pb = {p.name for p in tb.parameters}
        for name in sorted(pa ^ pb):
            d.add(
                "template parameters changed",
                f"  {where}: parameter {name} {'removed' if name in pa else 'added'}",
            )
        ra, rb = template_row_keys(ta), template_row_keys(tb)
        for key in [k for k in ra if k not in rb]:
            d.add("template rows removed", f"  {where}: row {ra[key].row} removed [{key}]")
        for key in [k for k in rb if k not in ra]:
            d.add("template rows added", f"  {where}: row {rb[key].row} added [{key}]")
        for key in [k for k in rb if k in ra]:
            fa, fb = _row_facts(ra[key]), _row_facts(rb[key])
            for what in fb:
                if fa[what] != fb[what]:
                    d.add(
                        "template rows changed",
                        f"  {where}: row {rb[key].row} {what} {fa[what]} → {fb[what]} [{key}]",
                    )


def _tid_order(tid: str) -> tuple[int, str]:
    digits = "".join(ch for ch in tid if ch.isdigit())
    return int(digits or 0), tid

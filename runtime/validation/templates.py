"""Content trees of SR documents checked against their PS3.16 templates.

The root template comes from Content Template Sequence (0040,A504) at the root, else it is
inferred from the document title (the root templates whose row 1 admits that concept name) and
the finding says so. Then every level of the tree is matched against the rows of the template
that describe it (PS3.16 Section 6.1): a content item fits a row by value type, relationship
(a row that names none inherits the INCLUDE row's, Section 6.2.3), relationship mode ("R-")
and concept name; INCLUDEd templates contribute their rows with their parameters bound. What
the rows then say is checked: M/MC/U/UC presence, VM, conditions (XOR, IF, IFF, "at least one
of", values of other rows), coded values and units by the one rule of
:mod:`iodkit.rulemodel.coded`, SCOORD graphic types, extension of non-extensible templates.

Where an item fits several rows equally (TID 1500 offers TID 1410, 1411 and 1501, all
"Measurement Group" containers) and names none in its own Content Template Sequence, each is
tried on its subtree: only findings every reading shares are reported, never a guess's errors.

Findings cite "PS3.16 <edition> TID n row k" and the path of the item in the tree.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from iodkit.rulemodel.coded import Constraint, concept_key, judge_code

from .findings import Finding, Reference
from .sr_tree import Item, build_tree, root_template
from .template_book import (
    Bindings,
    RowNode,
    Template,
    TemplateBook,
    bind,
    constraint,
    shown,
    template_book,
)
from .template_match import (
    MAX_INCLUDE_DEPTH,
    Slot,
    SlotIndex,
    ValueTests,
    concept_score,
    flatten,
    needs_items,
    roots_for,
    shape,
    signature,
    single_top,
)
from .template_predicates import Evaluator

_MISSING = object()
MAX_TRIALS = 6


@dataclass(eq=False)
class Instance:
    """One invocation of a template: the items matched to each of its rows."""

    template: Template
    bindings: Bindings
    parent: Item | None
    matches: dict[str, list[Item]] = field(default_factory=dict)
    includes: dict[str, list[Instance]] = field(default_factory=dict)
    pending: list[tuple[RowNode, Item | None, int]] = field(default_factory=list)


class ContentTreeChecker:
    """Checks one document's content tree; ``findings`` holds the result."""

    def __init__(self, root: Any, edition: str, book: TemplateBook | None = None) -> None:
        self.root_node = root
        self.edition = edition
        self.book = book or template_book()
        self.findings: list[Finding] = []
        self.registry: dict[str, list[Instance]] = {}
        self.reported: set[tuple[Any, ...]] = set()
        self._slots: dict[int, SlotIndex] = {}
        self._constraints: dict[tuple[int, int], Any] = {}
        self._decisions: dict[tuple[Any, ...], Any] = {}
        self._shapes: dict[int, tuple[Any, ...]] = {}
        # item id -> (item, the row it was taken for (None: no row), whether for certain);
        # the last pass over an item wins, so trial readings of its ancestors are overwritten
        self.matched: dict[int, tuple[Item, Slot | None, bool]] = {}
        # how loosely rows describe the items so far, by depth in the tree: per item 3 - its
        # concept score (0 the row's own code … 2 an open row, 3 no row at all); equal readings
        # of an item are told apart by it, level by level from the item down
        self.looseness: dict[int, int] = {}
        self.value_tests = ValueTests(self.book)
        self.root, self.items = build_tree(root)
        self.evaluator = Evaluator(self)

    # -- findings ----------------------------------------------------------------------------
    def add(
        self, severity: str, code: str, item: Item | None, message: str, node: RowNode | None
    ) -> None:
        ref = Reference("PS3.16", node.ref, self.edition) if node is not None else None
        module = f"TID {node.template.tid} {node.template.name}" if node is not None else ""
        r = node.row if node is not None else None
        rule = f"{r.requirement}{': ' + r.condition if r.condition else ''}" if r else ""
        path = item.path if item is not None else ""
        self.findings.append(Finding(severity, code, path, message, module, rule, ref))  # type: ignore[arg-type]

    # -- entry -------------------------------------------------------------------------------
    def run(self, tid: str | None = None) -> list[Finding]:
        """Check the tree against TID ``tid`` (given), else the one Content Template Sequence
        names, else the root template the title fits."""
        named = tid or root_template(self.root_node)
        template = self.book.get(named) if named else None
        if named and template is None:
            where = "is asked for" if tid else "is named in Content Template Sequence"
            self.add(
                "warning",
                "template",
                self.root,
                f"TID {named} {where} but PS3.16 {self.edition} does not define it; the "
                "content tree is not checked against a template",
                None,
            )
            return self.findings
        if template is None:
            template = self.infer_root()
            if template is None:
                return self.findings
        inst = self.instance(template, {}, None)
        self.level(None, [self.root], template.top, inst, template, 0)
        self.close(inst)
        return self.findings

    def infer_root(self) -> Template | None:
        title = self.root.concept
        if title is None:
            self.add("info", "template", self.root, "no document title: no root template", None)
            return None
        fits = roots_for(self.book, title, self.root.value_type)
        if len(fits) != 1:
            names = ", ".join(f"TID {t.tid}" for t in fits) or "none"
            self.add(
                "info",
                "template",
                self.root,
                f"no Content Template Sequence, and the document title {title} fits {names} of "
                f"the root templates of PS3.16 {self.edition}: the content tree is not checked "
                "against a template",
                None,
            )
            return None
        t = fits[0]
        self.add(
            "info",
            "template",
            self.root,
            f"no Content Template Sequence: root template TID {t.tid} ({t.name}) inferred from "
            f"the document title {title}",
            t.top[0],
        )
        return t

    # -- instances ---------------------------------------------------------------------------
    def instance(self, template: Template, bindings: Bindings, parent: Item | None) -> Instance:
        inst = Instance(template, bindings, parent)
        self.registry.setdefault(template.tid, []).append(inst)
        return inst

    def close(self, inst: Instance) -> None:
        for node, parent, count in inst.pending:
            self.evaluator.conditions(node, inst, parent, count)
        inst.pending.clear()

    # -- matching ----------------------------------------------------------------------------
    def slots(self, rows: list[RowNode]) -> SlotIndex:
        key = id(rows)
        index = self._slots.get(key)
        if index is None:
            index = self._slots[key] = SlotIndex(
                [Slot(node, chain) for node, chain in flatten(self.book, rows)]
            )
        return index

    def candidates(self, item: Item, index: SlotIndex, bindings: Any) -> list[Slot]:
        """The slots the item fits best (empty: none)."""
        seen = item.target if item.by_reference else item
        if seen is None:
            return []
        vt, mode = seen.value_type, item.by_reference
        rel = item.relationship
        best = 0
        out: list[Slot] = []
        if seen.concept is not None:
            ck = concept_key(seen.concept)
            for s in index.exact.get((vt, mode, ck), ()):
                if not s.relationship or s.relationship == rel:
                    best, out = 3, [*out, s]
        for s in index.other.get((vt, mode), ()):
            if s.relationship and s.relationship != rel:
                continue
            row = s.node.row
            concept = self.constraint_of(row, bindings(s)) if row.concept else None
            score = concept_score(seen.concept, concept, vt)
            if score > best:
                best, out = score, [s]
            elif score == best and score > 0:
                out.append(s)
        if out:
            self.loosen(item, 3 - best)
        return out

    def loosen(self, item: Item, by: int) -> None:
        depth = item.path.count("[")
        self.looseness[depth] = self.looseness.get(depth, 0) + by

    def declared(self, item: Item, cands: list[Slot]) -> list[Slot]:
        """The candidates of the template a CONTAINER names in its own Content Template
        Sequence (PS3.3 C.18.8: iodkit's TID 1500 groups say TID 1410, 1411 or 1501): what
        the writer declares decides between equal rows. A declared template the item fits no
        row of is reported."""
        if not cands or item.value_type != "CONTAINER" or item.node is self.root_node:
            return cands
        tid = root_template(item.node)
        if not tid:
            return cands
        named = [s for s in cands if s.node.template.tid == tid]
        if named:
            return named
        self.add(
            "warning",
            "template",
            item,
            f"Content Template Sequence names TID {tid}, but {item.described()} fits "
            + ", ".join(s.node.ref for s in cands)
            + " here",
            cands[0].node,
        )
        return cands

    def constraint_of(self, row: Any, bindings: Bindings) -> Constraint:
        key = (id(row), id(bindings))
        hit = self._constraints.get(key, _MISSING)
        if hit is _MISSING:
            hit = self._constraints[key] = constraint((row.concept,), bindings)
        return hit  # type: ignore[return-value]

    def level(
        self,
        parent: Item | None,
        items: list[Item],
        rows: list[RowNode],
        inst: Instance,
        owner: Template,
        depth: int,
    ) -> None:
        """Match ``items`` (the children of ``parent``) to ``rows`` of ``inst``, check what the
        rows say, and go one level down."""
        index = self.slots(rows)
        bindings_of: dict[tuple[int, ...], Bindings] = {}

        def bindings(slot: Slot) -> Bindings:
            found = bindings_of.get(slot.key)
            if found is None:
                found = inst.bindings
                for inc in slot.chain:
                    found = bind(inc.row, found)
                bindings_of[slot.key] = found
            return found

        chosen: list[tuple[Item, Slot]] = []
        unmatched: list[Item] = []
        filters: dict[int, frozenset[tuple[str, ...]]] = {}
        for it in items:
            cands = self.declared(it, self.candidates(it, index, bindings))
            if not cands:
                unmatched.append(it)
                self.matched[id(it)] = (it, None, False)
            elif len(cands) == 1:
                chosen.append((it, cands[0]))
                self.matched[id(it)] = (it, cands[0], True)
            else:
                pick, keep, certain = self.decide(it, cands, inst, parent, bindings, depth)
                chosen.append((it, pick))
                self.matched[id(it)] = (it, pick, certain)
                if keep is not None:
                    filters[id(it)] = keep
        # record every match before going down: conditions speak of sibling rows
        placed: list[tuple[Item, Slot, Instance, list[Instance]]] = []
        pooled_created: list[Instance] = []
        pooled: dict[tuple[int, ...], Instance] = {}
        for it, slot in chosen:
            created: list[Instance] = []
            target = self.place(it, slot, inst, parent, pooled, created)
            own = [c for c in created if single_top(c.template)]
            pooled_created.extend(c for c in created if c not in own)
            placed.append((it, slot, target, own))
        for it, slot, target, own in placed:
            start = len(self.findings)
            self.check_item(it, slot, target, bindings(slot), depth)
            for c in own:  # an invocation by this item alone is complete once it is checked
                self.close(c)
            keep = filters.get(id(it))
            if keep is not None:
                self.findings[start:] = [
                    f for f in self.findings[start:] if signature(f, it.path) in keep
                ]
        for it in unmatched:
            self.unmatched(it, index.slots, owner, bindings)
        self.requirements(rows, inst, parent, 0)
        for c in pooled_created:
            self.close(c)

    def place(
        self,
        item: Item,
        slot: Slot,
        inst: Instance,
        parent: Item | None,
        pooled: dict[tuple[int, ...], Instance],
        created: list[Instance],
    ) -> Instance:
        cur = inst
        for k, inc in enumerate(slot.chain):
            t = self.book.get(inc.row.include)
            assert t is not None
            single = single_top(t)
            key = (id(cur), id(inc)) + ((id(item),) if single else ())
            nxt = pooled.get(key)
            if nxt is not None and inc.row.vm_max != 1 and not self.absorbs(nxt, slot, k + 1):
                # a row of the included template would repeat beyond its VM: the INCLUDE
                # (VM 1-n) is invoked again (TID 1001 → TID 1002 once per observer)
                nxt = None
            if nxt is None:
                nxt = self.instance(t, bind(inc.row, cur.bindings), parent)
                pooled[key] = nxt
                created.append(nxt)
                cur.includes.setdefault(inc.label, []).append(nxt)
                cur.matches.setdefault(inc.label, []).append(item)
            cur = nxt
        cur.matches.setdefault(slot.node.label, []).append(item)
        return cur

    def needs_items(self, node: RowNode) -> bool:
        return needs_items(self.book, node)

    def absorbs(self, inst: Instance, slot: Slot, k: int) -> bool:
        """Whether invocation ``inst`` can take one more item along ``slot.chain[k:]``: its row
        (or the INCLUDE on the way) has not reached its VM, or a deeper INCLUDE can be invoked
        once more."""
        if k == len(slot.chain):
            limit = slot.node.row.vm_max
            return limit is None or len(inst.matches.get(slot.node.label, ())) < limit
        inc = slot.chain[k]
        limit = inc.row.vm_max
        subs = inst.includes.get(inc.label, [])
        room = limit is None or len(subs) < limit
        t = self.book.get(inc.row.include)
        if t is None or single_top(t) or not subs:
            return room
        return room or self.absorbs(subs[-1], slot, k + 1)

    def disambiguate(
        self,
        item: Item,
        cands: list[Slot],
        inst: Instance,
        parent: Item | None,
        bindings: Any,
        depth: int,
    ) -> tuple[Slot, frozenset[tuple[str, ...]] | None, bool]:
        """Try each candidate on the item's subtree (see the module docstring). Returns the row
        to check the item against; when the candidates disagree, the findings that hold under
        each of them (only those are reported); and whether the row is certain (the one
        reading with the fewest errors) rather than one of several equal readings."""
        results: list[tuple[tuple[int, tuple[int, ...]], Slot, list[Finding]]] = []
        for slot in cands[:MAX_TRIALS]:
            saved = (self.findings, self.reported, self.registry)
            outside = dict(self.looseness)
            self.findings, self.reported = [], set(self.reported)
            self.registry = {k: list(v) for k, v in self.registry.items()}
            scratch = Instance(inst.template, inst.bindings, parent)
            created: list[Instance] = []
            target = self.place(item, slot, scratch, parent, {}, created)
            self.check_item(item, slot, target, bindings(slot), depth)
            for c in created:
                self.close(c)
            errors = sum(1 for f in self.findings if f.severity == "error")
            # fewer errors first; then, level by level below the item, the rows' own concept
            # names over open rows, and rows over extensions (PS3.16 6.2.5): the reading
            # whose rows describe the item's children best, then their children …
            levels = range(item.path.count("[") + 1, max(self.looseness, default=0) + 1)
            loose = tuple(self.looseness.get(d, 0) - outside.get(d, 0) for d in levels)
            results.append(((errors, loose), slot, self.findings))
            self.findings, self.reported, self.registry = saved
            self.looseness = outside
        width = max(len(e[1]) for e, _, _ in results)
        results = [
            ((e, (*loose, *(0,) * (width - len(loose)))), s, f) for (e, loose), s, f in results
        ]
        low = min(e for e, _, _ in results)
        best = [(s, f) for e, s, f in results if e == low]
        if len(best) == 1:
            return best[0][0], None, True
        sigs = [{signature(x, item.path) for x in f} for _, f in best]
        if all(x == sigs[0] for x in sigs):
            return best[0][0], None, False  # the same findings under each reading
        common = frozenset(set.intersection(*sigs))
        if low[0] > 0:
            listed = "; ".join(f"{s.node.ref} ({e} errors)" for (e, _), s, _ in results)
            self.add(
                "warning",
                "template-ambiguous",
                item,
                f"{item.described()} fits several rows equally and has errors under each, "
                f"not the same: {listed}; only the findings common to all are reported",
                cands[0].node,
            )
        return best[0][0], common, False

    def decide(
        self,
        item: Item,
        cands: list[Slot],
        inst: Instance,
        parent: Item | None,
        bindings: Any,
        depth: int,
    ) -> tuple[Slot, frozenset[tuple[str, ...]] | None, bool]:
        """:meth:`disambiguate`, remembered for items of the same shape (a report's thousand
        measurement groups differ in their values, not in what decides between the rows),
        unless a candidate's template has conditions on values (text, numbers, attributes)."""
        if any(self.value_tests(s) for s in cands):
            return self.disambiguate(item, cands, inst, parent, bindings, depth)
        key = (
            shape(item, self._shapes),
            tuple(id(s) for s in cands),
            id(inst.bindings),
            id(parent),
        )
        hit = self._decisions.get(key)
        if hit is not None:
            slot, keep, certain, warning = hit
            if warning is not None:
                self.findings.append(replace(warning, path=item.path))
            return slot, keep, certain
        before = len(self.findings)
        slot, keep, certain = self.disambiguate(item, cands, inst, parent, bindings, depth)
        warning = self.findings[-1] if len(self.findings) > before else None
        self._decisions[key] = (slot, keep, certain, warning)
        return slot, keep, certain

    def check_item(
        self, item: Item, slot: Slot, inst: Instance, bindings: Bindings, depth: int
    ) -> None:
        node = slot.node
        row = node.row
        seen = item.target if item.by_reference and item.target is not None else item
        if row.concept is not None and seen.concept is not None:
            verdict = judge_code(seen.concept, constraint((row.concept,), bindings))
            if verdict is not None:
                self.add(
                    verdict.severity,
                    "template-code",
                    item,
                    f"concept name: {verdict.message}",
                    node,
                )
        if item.by_reference:
            return  # the target's own content is checked where it stands
        if row.value_type == "CODE" and row.value_sets:
            value = item.code_value()
            c = constraint(row.value_sets, bindings)
            if value is not None:
                verdict = judge_code(value, c)
                if verdict is not None:
                    self.add(
                        verdict.severity, "template-code", item, f"value: {verdict.message}", node
                    )
        if row.value_type == "NUM" and row.units and item.has_measured_value():
            units = item.units()
            c = constraint(row.units, bindings)
            if units is not None:
                verdict = judge_code(units, c)
                if verdict is not None:
                    self.add(
                        verdict.severity, "template-units", item, f"units: {verdict.message}", node
                    )
        if row.graphic_types:
            g = item.graphic_type()
            listed = g in row.graphic_types
            if g and listed == row.graphic_types_excluded:
                want = (
                    ("not " if row.graphic_types_excluded else "")
                    + "{"
                    + ", ".join(row.graphic_types)
                    + "}"
                )
                self.add(
                    "error",
                    "template-graphic-type",
                    item,
                    f"Graphic Type {g}; the row wants GRAPHIC TYPE = {want}",
                    node,
                )
        if node.children or item.children:
            self.level(item, item.children, node.children, inst, node.template, depth + 1)

    def unmatched(self, item: Item, slots: list[Slot], owner: Template, bindings: Any) -> None:
        """An item no row admits: an error in a non-extensible template, else an extension
        (PS3.16 Section 6.2.5) unless it is a row's concept with the wrong value type,
        relationship or mode (extensions "shall not duplicate concepts" of the template)."""
        self.loosen(item, 3)
        seen = item.target if item.by_reference else item
        if item.by_reference and seen is None:
            self.add(
                "error",
                "template-reference",
                item,
                "Referenced Content Item Identifier points to no content item",
                None,
            )
            return
        assert seen is not None
        for slot in slots:
            row = slot.node.row
            c = constraint((row.concept,), bindings(slot)) if row.concept else None
            if seen.concept is None or c is None or concept_score(seen.concept, c) < 3:
                continue
            what = []
            if seen.value_type != row.value_type:
                what.append(f"value type {seen.value_type or '(none)'}, not {row.value_type}")
            if slot.relationship and item.relationship != slot.relationship:
                what.append(
                    f"relationship {item.relationship or '(none)'}, not {slot.relationship}"
                )
            if item.by_reference != slot.by_reference:
                what.append("by reference" if item.by_reference else "by value")
            if what:
                self.add(
                    "error",
                    "template-row",
                    item,
                    f"{item.described()} has the concept name of {slot.node.ref} but "
                    + "; ".join(what),
                    slot.node,
                )
                return
        if item.relationship == "HAS CONCEPT MOD":
            return  # post-coordination is always allowed (PS3.16 Section 6.2.4)
        if not owner.head.extensible:
            self.add(
                "error",
                "template-not-allowed",
                item,
                f"{item.described()} fits no row of TID {owner.tid} ({owner.name}), which "
                "is not extensible",
                None,
            )

    def requirements(
        self, rows: list[RowNode], inst: Instance, parent: Item | None, depth: int
    ) -> None:
        """VM and M rows here; conditions are queued for when the instance is complete."""
        for node in rows:
            row = node.row
            if row.value_type == "INCLUDE":
                subs = [i for i in inst.includes.get(node.label, []) if i.parent is parent]
                n = len(subs)
                t = self.book.get(row.include)
                if t is not None and depth < MAX_INCLUDE_DEPTH:
                    for sub in subs:
                        self.requirements(t.top, sub, parent, depth + 1)
            else:
                n = sum(1 for x in inst.matches.get(node.label, ()) if x.parent is parent)
            self.count(node, parent, n)
            if row.requirement == "M" and n == 0 and self.needs_items(node):
                what = f"TID {row.include} (INCLUDE)" if row.include else self.row_text(node)
                self.add(
                    "error",
                    "template-missing",
                    parent or self.root,
                    f"{what} is mandatory (M) and absent",
                    node,
                )
            if row.requirement in ("MC", "UC") or row.predicate:
                inst.pending.append((node, parent, n))

    def count(self, node: RowNode, parent: Item | None, n: int) -> None:
        row = node.row
        if row.vm_max is not None and n > row.vm_max:
            self.add(
                "error",
                "template-vm",
                parent or self.root,
                f"{n} of {self.row_text(node)}; VM {row.vm_min}"
                f"{'-' + str(row.vm_max) if row.vm_max != row.vm_min else ''} allows "
                f"{row.vm_max}",
                node,
            )
        elif 0 < n < row.vm_min:
            self.add(
                "error",
                "template-vm",
                parent or self.root,
                f"{n} of {self.row_text(node)}; VM needs at least {row.vm_min}",
                node,
            )

    @staticmethod
    def row_text(node: RowNode) -> str:
        row = node.row
        if row.value_type == "INCLUDE":
            return f"TID {row.include} (INCLUDE)"
        name = shown(row.concept) if row.concept else "(any concept name)"
        return f"{row.value_type} {name}"

    def rows_by_position(self) -> dict[tuple[int, ...], tuple[str, str]]:
        """After :meth:`run`: (TID, row label) of each item whose row is certain — it fits
        one row, or one reading of its subtree has fewer errors than the others, and so do
        its ancestors — keyed by position (1-based, the root is (1,), as Referenced Content
        Item Identifier counts). Items several rows fit equally are left out, never guessed."""
        out: dict[tuple[int, ...], tuple[str, str]] = {}
        stack: list[tuple[tuple[int, ...], Item]] = [((1,), self.root)]
        while stack:
            position, item = stack.pop()
            _, slot, certain = self.matched.get(id(item), (item, None, False))
            if slot is None or not certain:
                continue  # and nothing below it: its rows depend on this one's
            out[position] = (slot.node.template.tid, slot.node.label)
            stack.extend(((*position, k), c) for k, c in enumerate(item.children, 1))
        return out


def check_content_tree(root: Any, edition: str, tid: str | None = None) -> list[Finding]:
    """Findings of the template pass on a document's root dataset (a reader ``Node``); ``tid``
    checks the tree against that template instead of the document's root template."""
    return ContentTreeChecker(root, edition).run(tid)

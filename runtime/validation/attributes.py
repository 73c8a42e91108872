"""The check of one attribute and of one sequence item against the rules that list it.

For each tag a plan (:mod:`.plans`) puts before it, :meth:`AttributeChecks.attribute` decides
each rule's verdict (required, optional, forbidden, not applicable, or cannot decide: Type,
condition and the include rows it came through) and :meth:`AttributeChecks.judge` turns the
verdicts of every module for that tag into findings: absent, empty, present against its
condition, undecided; then its values (:mod:`.valuesets`), its module's VM and the relations
its words state (:mod:`.relations`), and for a sequence its item count, its items' codes and
each item, recursively, against the item's scope.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Literal

from iodkit.rulemodel import Context, Verdict, evaluate, explanation

from . import relations, treememo
from .compiled import Attr, ItemCount, Scope
from .dictionary import entry, join, tag_text
from .plans import OPTIONAL_TYPES, Plan, Use, item_plan, sequence_plan
from .tree import Element, Node
from .valuesets import ValueSetChecks
from .vr import check_vm

ALWAYS_ALLOWED = frozenset({0xFFFCFFFC, 0xFFFAFFFA})  # Data Set Trailing Padding, Digital Sig.
NO_EXPLANATION = explanation(None)
_CONDITIONAL_TYPES = frozenset(("1C", "2C"))
_UNCONDITIONAL_TYPES = frozenset(("1", "2", "3", ""))
_NOT_REQUIRED = frozenset(("forbidden", "unspecified", "n/a"))
_MISS = object()


class AttributeChecks(ValueSetChecks):
    """Attributes and sequence items against their rules (a base of the engine's check)."""

    def attribute(self, node: Node, tag: int, uses: list[Use], ctx: Context, path: str) -> None:
        """Judge one tag at one dataset level against every rule that lists it.

        Findings are per module: an attribute two checked modules require (Manufacturer: Type 2
        in General Equipment, Type 1 in Enhanced General Equipment) is reported for each, as the
        standard states two requirements.
        """
        el: Element | None = node.elems.get(tag)
        if len(uses) == 1 and not uses[0].attr.guards:
            # One rule, not behind an include's condition: most tags of most datasets. Settle
            # the cases that cannot produce a finding here, without building the verdict list.
            u = uses[0]
            a = u.attr
            t = a.type
            if el is not None:
                if a.items is not None:
                    if not a.value_sets and t in _UNCONDITIONAL_TYPES:
                        # a sequence with one plain rule: emptiness, then its items
                        if t == "1" and u.checked and _empty(el):
                            self.emptiness([("required", u)], join(path, tag), tag)
                        if el.items is not None:
                            self.sequence(el, uses, ctx, join(path, tag))
                        return
                elif (
                    not a.value_sets
                    and not a.module_vm
                    and a.value_count is None
                    and (a.relations is None or a.relations.refers is None)
                ):
                    if t == "1":
                        if u.checked and _empty(el):
                            self.emptiness([("required", u)], join(path, tag), tag)
                        return
                    if t in OPTIONAL_TYPES or t == "2":
                        return
                    if t in _CONDITIONAL_TYPES:
                        req = self.requirement(a, ctx)
                        if req in ("required", "optional", None) and not _empty(el):
                            return  # allowed and has a value: nothing else to check
                        self.judge(el, tag, [(req, u)], ctx, path)
                        return
            elif t in _CONDITIONAL_TYPES:
                if not u.checked:
                    return
                # requirement(), for an absent attribute without guards
                cc = a.condition
                req = None if cc is None else cc.requirement(ctx)
                if req == "required" and cc is not None and cc.mentions(tag):
                    req = None  # see requirement(): about the value it would have
                if req == "required" or req is None:
                    self.judge(el, tag, [(req, u)], ctx, path)
                return  # not required: an absent attribute is fine
        if el is None:
            # (loops rather than any()/all() over a generator in this module's hot paths: a
            # generator left early is closed by raising GeneratorExit into it)
            for u in uses:
                if u.checked and u.attr.type not in OPTIONAL_TYPES:
                    break
            else:
                return  # absent and nothing requires it: the common case, keep it cheap
        verdicts = [
            (
                "required"
                if u.attr.type in ("1", "2") and not u.attr.guards
                else self.requirement(u.attr, ctx),
                u,
            )
            for u in uses
        ]
        self.judge(el, tag, verdicts, ctx, path)

    def judge(
        self,
        el: Element | None,
        tag: int,
        verdicts: list[tuple[str | None, Use]],
        ctx: Context,
        path: str,
    ) -> None:
        """The findings for one tag at one dataset level, given each rule's verdict."""
        if el is None:
            reported = False
            for _, u in _per_module(verdicts, "required"):
                a = u.attr
                self.add(
                    "error",
                    "missing",
                    join(path, tag),
                    f"Type {a.type} {a.name} is absent"
                    + (" (its condition holds)" if a.type.endswith("C") else ""),
                    module=u.module,
                    rule=a.rule_text(),
                    ref=self.ref(a.table),
                    tag=tag,
                )
                reported = True
            if reported:
                return
            for req, u in verdicts:
                if req is None and u.checked and u.attr.type in ("1C", "2C", "1", "2"):
                    a = u.attr
                    explained = a.condition.explanation if a.condition else NO_EXPLANATION
                    needs = explained.wanting(ctx)
                    severity: Literal["warning", "info"]
                    if needs:
                        # the dataset leaves out what would decide: the author can fix that
                        severity, why = "warning", ": the dataset does not say " + "; ".join(needs)
                    elif because := explained.undecided_because(ctx):
                        # the standard does not say (a coding scheme it does not list)
                        severity, why = "info", ": " + "; ".join(because)
                    elif a.condition is not None and a.condition.status == "executable":
                        # every word was read, yet no verdict: say which of the known causes
                        if a.condition.condition.predicate is None:
                            detail = "the standard says only when it shall not be present"
                        elif a.condition.mentions(tag):
                            detail = "its condition speaks of its own value"
                        else:
                            detail = "its condition cannot be evaluated on this dataset"
                        severity, why = "info", f": {detail}"
                    else:
                        status = a.condition.status if a.condition else "missing"
                        words = "; ".join(f'"{w}"' for w in explained.words)
                        severity, why = "info", f" ({status}{': ' + words if words else ''})"
                    self.add(
                        severity,
                        "undecided",
                        join(path, tag),
                        f"cannot decide whether Type {a.type} {a.name} is required{why}",
                        module=u.module,
                        rule=a.rule_text(),
                        ref=self.ref(a.table),
                        tag=tag,
                    )
                    return
            return
        # present
        sub = join(path, tag)
        live = [(r, u) for r, u in verdicts if r != "n/a"]
        empty = _empty(el)
        if verdicts and _NOT_REQUIRED.issuperset([r for r, _ in verdicts]):
            for _, u in _per_module(verdicts, "forbidden", "unspecified", checked_only=False):
                a = u.attr
                self.add(
                    "error",
                    # an empty Type 1C is wrong whatever its condition (PS3.5 7.4.4): say that first
                    "empty" if empty and a.type == "1C" else "not-allowed",
                    sub,
                    f"Type {a.type} {a.name} is present"
                    + (" (empty)" if empty else "")
                    + " but its condition is not met"
                    + (
                        " (PS3.5 7.4: then it shall not be present)"
                        if a.type in ("1C", "2C")
                        else ""
                    ),
                    module=u.module,
                    rule=a.rule_text(),
                    ref=self.ref(a.table),
                    tag=tag,
                )
        elif empty:
            self.emptiness(live, sub, tag)
        uses_live = [u for _, u in live] or [verdicts[0][1]]
        if not empty:
            for u in uses_live:
                if u.attr.value_sets:
                    self.values(el, uses_live, ctx, sub)
                    break
            self.module_vm(el, uses_live, ctx, sub)
        if el.items is not None:
            self.sequence(el, uses_live, ctx, sub)

    def emptiness(self, live: list[tuple[str | None, Use]], path: str, tag: int) -> None:
        """Type 1 (and required 1C) attributes need a value; so does a Type 1C attribute that is
        present at all (PS3.5 7.4.4: when its condition is not met it shall not be there), unless
        another rule for the same tag lets it be empty (Type 2 or 3 elsewhere)."""
        strict = [u for r, u in _per_module(live, "required") if u.attr.type in ("1", "1C")]
        for u in strict:
            a = u.attr
            self.add(
                "error",
                "empty",
                path,
                f"Type {a.type} {a.name} is empty",
                module=u.module,
                rule=a.rule_text(),
                ref=self.ref(a.table),
                tag=tag,
            )
        if strict:
            return
        lenient = any(u.attr.type in ("2", "2C", "3", "") for _, u in live)
        if lenient:
            return
        for r, u in live:
            if u.attr.type == "1C" and r in (None, "optional"):
                a = u.attr
                self.add(
                    "error",
                    "empty",
                    path,
                    f"Type 1C {a.name} is present without a value "
                    "(a Type 1C attribute is either absent or has a value, PS3.5 7.4.4)",
                    module=u.module,
                    rule=a.rule_text(),
                    ref=self.ref(a.table),
                    tag=tag,
                )
                return

    def requirement(self, a: Attr, ctx: Context) -> str | None:
        """ "required", "forbidden", "optional", "unspecified", "n/a" (an include's condition
        is false), or None (cannot decide)."""
        guard: Verdict = True
        for g in a.guards:
            # one include row guards all the rows it brings (an SR content item: the rows of
            # every Value Type's macro): decided once per item, not once per row
            key = (id(g), id(ctx.current))
            v = ctx.cache.get(key, _MISS)
            if v is _MISS:
                v = ctx.cache[key] = evaluate(g.condition.condition.predicate, ctx)
            if v is False:
                # the include does not apply here; where its words say the macro "shall not be
                # present" then ("if and only if", "The Macro shall not be present if …"), its
                # attributes are forbidden, else this rule says nothing
                cond = g.condition.condition
                if cond.otherwise == "shall-not" or (
                    cond.forbidden is not None and evaluate(cond.forbidden, ctx) is True
                ):
                    return "forbidden"
                return "n/a"
            if v is None:
                guard = None
        t = a.type
        if t in ("1", "2"):
            req: str | None = "required"
        elif t in ("1C", "2C"):
            # evaluated anew for every item: conditions are compiled per table row, so a cache
            # by condition and item never hits (measured over the test corpus)
            req = a.condition.requirement(ctx) if a.condition else None
            if (
                req == "required"
                and a.tag not in ctx.current.elems
                and a.condition is not None
                and a.condition.mentions(a.tag)
            ):
                # "Required if Rescale Type is not HU": about the value it would have, so its
                # absence cannot make it required
                req = None
        else:
            req = "optional"
        if guard is None and req == "required":
            return None
        return req

    def module_vm(self, el: Element, uses: list[Use], ctx: Context, path: str) -> None:
        """The value count against a module's own VM where its words narrow the dictionary's
        ("Only a single value shall be present.": Numeric Value in the Numeric Measurement
        Macro may not carry several numbers there, though its VM in PS3.6 is 1-n), and against
        the count another attribute gives ("The number of values is equal to the number of
        Items of the Dimension Index Sequence": Dimension Index Values, C.7.6.17.1)."""
        for u in uses:
            if u.attr.relations is not None:
                relations.reference(self, el, u.attr, u.module, ctx, path)
            if relations.value_count(self, el, u.attr, u.module, ctx, path):
                return
            vm = u.attr.module_vm
            problem = check_vm(el, vm) if vm else None
            if problem is not None:
                a = u.attr
                self.add(
                    "error",
                    "vm",
                    path,
                    f"{problem[1]}: the {u.module} Module allows {vm} "
                    f'({a.name}: "Only a single value shall be present.")',
                    module=u.module,
                    rule=a.rule_text(),
                    ref=self.ref(a.table),
                    tag=a.tag,
                )
                return

    def sequence(self, el: Element, uses: list[Use], ctx: Context, path: str) -> None:
        items = el.items or []
        seqs = [u for u in uses if u.attr.items is not None]
        if not seqs:
            return
        u0 = seqs[0]
        a = u0.attr
        counts: tuple[ItemCount, ...] = ()
        groups: tuple[tuple[int, str], ...] = ()
        for u in seqs:  # the first rule that counts the items, the first that lists codes
            counts = counts or u.attr.counts
            groups = groups or u.attr.code_groups
        n = len(items)
        for count in counts if (n or a.type in ("1", "1C")) else ():
            lo, hi = count.minimum, count.maximum
            if count.equals is not None:
                # as many as another attribute gives (Number of Frames, Number of Control
                # Points, the items of another sequence); nothing to compare when it is absent
                equal = count.equals.number(ctx)
                if equal is None:
                    continue
                lo = hi = equal
            if (n < lo or (hi is not None and n > hi)) and count.applies(ctx):
                want = (
                    f"as many as {count.equals.words()}, {lo}"
                    if count.equals is not None
                    else f"exactly {lo}"
                    if lo == hi
                    else f"{lo} or more"
                    if hi is None
                    else f"{lo} to {hi}"
                )
                self.add(
                    "error",
                    "items",
                    path,
                    f"{n} item{'s' if n != 1 else ''}; the standard says {want}"
                    + (f" {count.condition.text}" if count.condition else ""),
                    module=u0.module,
                    rule=a.rule_text(),
                    ref=self.ref(a.table),
                    tag=a.tag,
                )
        if groups and items:
            self.codes(items, groups, path, u0)
        if not items:
            return
        scope, plan = sequence_plan(self.book, seqs, u0.module)
        memo = treememo.memo_for(self.book, scope, plan, ctx)
        for i, item in enumerate(items):
            ictx = ctx.child(item, i, el.tag)
            ipath = f"{path}[{i}]"
            if memo is None or not memo.live:
                self.item(item, scope, ictx, ipath, u0.module, plan)
                continue
            # the items' rules read only attributes: an item like one judged before (the
            # same bytes, and the same values where its rules read outside it) says it again
            judge = partial(self.item, item, scope, ictx, ipath, u0.module, plan)
            memo.judge(self, item, ctx, ipath, judge)
        if scope.related:
            relations.across_items(self, items, scope.related, el.tag, u0.module, path)

    def item(
        self,
        node: Node,
        scope: Scope,
        ctx: Context,
        path: str,
        module: str,
        plan: Plan | None = None,
    ) -> None:
        """One item against the scope of its sequence (``plan``: that scope's, when the caller
        has it at hand)."""
        if plan is None:
            plan = item_plan(self.book, scope, module)
        plan.visit_memo(self, node, ctx, path)
        if scope.masked:
            self.masked(node, scope.masked, ctx, path, module)
        allowed_groups: frozenset[int] = frozenset()
        if scope.functional_groups:
            allowed_groups = self.functional_group_item(node, ctx, path)
        if scope.open:
            return
        listed = scope.by_tag
        for tag in node.elems:
            if tag in listed or tag >> 16 & 1 or tag & 0xFFFF == 0 or tag in ALWAYS_ALLOWED:
                continue
            if scope.allows(tag) or tag in allowed_groups:
                continue
            e = entry(tag)
            self.add(
                "warning",
                "not-in-iod",
                join(path, tag),
                f"{e.name or tag_text(tag)} is not defined for this sequence item",
                module=module,
                tag=tag,
            )

    def masked(
        self, node: Node, rules: Iterable[Attr], ctx: Context, path: str, module: str
    ) -> None:
        """Repeating-group rows (Overlay 60xx, …): each group present is one instance of the
        module, whose Type 1 and 2 rows must then be there."""
        rules = list(rules)
        instances: dict[int, set[int]] = {}
        for a in rules:
            for tag in node.elems:
                if (tag & a.mask) == a.tag:
                    instances.setdefault(a.mask, set()).add(tag & ~a.mask & 0xFFFFFFFF)
        for a in rules:
            for inst in sorted(instances.get(a.mask, ())):
                tag = a.tag | inst
                sub = join(path, tag)
                el = node.elems.get(tag)
                if el is None:
                    if a.type in ("1", "2"):
                        self.add(
                            "error",
                            "missing",
                            sub,
                            f"Type {a.type} {a.name} is absent (group {tag >> 16:04X})",
                            module=module,
                            rule=a.rule_text(),
                            ref=self.ref(a.table),
                            tag=tag,
                        )
                    continue
                if a.type in ("1", "1C") and _empty(el):
                    self.add(
                        "error",
                        "empty",
                        sub,
                        f"Type {a.type} {a.name} is empty",
                        module=module,
                        rule=a.rule_text(),
                        ref=self.ref(a.table),
                        tag=tag,
                    )
                elif not _empty(el):
                    self.values(el, [Use(a, module, True)], ctx, sub)

    def functional_group_item(self, node: Node, ctx: Context, path: str) -> frozenset[int]:
        """The functional group macros of a Shared or Per-frame item, and the tags they allow
        there: defined by :class:`iodkit.validation.functionalgroups.FunctionalGroupChecks`."""
        raise NotImplementedError


def _per_module(
    verdicts: list[tuple[str | None, Use]], *wanted: str, checked_only: bool = True
) -> list[tuple[str | None, Use]]:
    """The first rule per module whose verdict is one of ``wanted`` (strictest type first)."""
    if len(verdicts) == 1:
        req, u = verdicts[0]
        return list(verdicts) if req in wanted and (u.checked or not checked_only) else []
    out: dict[str, tuple[str | None, Use]] = {}
    for req, u in sorted(verdicts, key=lambda v: v[1].attr.type):
        if req in wanted and (u.checked or not checked_only) and u.module not in out:
            out[u.module] = (req, u)
    return list(out.values())


def _empty(el: Element) -> bool:
    """No value: zero length, no items, or only empty values ("\\\\" alone, PS3.5 7.4.1)."""
    if el.is_empty:
        return True
    if el.items is None and el.fragments is None and el.vr in _TEXT_MULTI:
        try:
            return not any(el.strings())
        except Exception:
            return False
    return False


_TEXT_MULTI = frozenset("AE AS CS DA DS DT IS LO PN SH TM UC UI".split())

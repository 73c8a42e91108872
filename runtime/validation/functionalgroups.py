"""The functional group macros of a multi-frame IOD (PS3.3 C.7.6.16): each macro the IOD
lists is in the Shared Functional Groups Sequence's item or in every Per-frame item, never in
both, where the IOD requires it or its condition holds; only per frame where the IOD says so;
and each item's macros are checked with their rules.

They are judged at the level of the IOD (usage M/C/U and conditions, like modules) and at the
level of each frame's item (like sequence items), which is why they have a module of their own.
"""

from __future__ import annotations

from typing import Any

from iodkit.rulemodel import PER_FRAME_FG, SHARED_FG, Context

from .attributes import AttributeChecks
from .compiled import GroupUse, IodRules, Scope
from .plans import Plan, item_plan
from .tree import Node


class FunctionalGroupChecks(AttributeChecks):
    """Functional group macros of the IOD and of each item (a base of the engine's check)."""

    iod_rules: IodRules | None  # set by the engine for the dataset's IOD

    def functional_group_item(self, node: Node, ctx: Context, path: str) -> frozenset[int]:
        """Check the functional group macros present in one Shared or Per-frame item."""
        per_frame = ctx.frame is not None or "PerFrame" in path.rsplit(".", 1)[-1]
        macros, allowed = self.macros()
        present = node.elems.keys()
        for g, scope, module, plan in macros:
            if present.isdisjoint(g.tags):
                continue
            where = "per-frame" if per_frame else "shared"
            if g.placement and g.placement != where:
                self.add(
                    "error",
                    "functional-group",
                    path,
                    f"{g.name} Functional Group is in the "
                    f"{where.replace('-', ' ')} functional groups; the IOD allows it only "
                    f"{'per frame' if g.placement == 'per-frame' else 'as shared'}",
                    module=g.name,
                    ref=self.ref(self.iod_rules.id if self.iod_rules else ""),
                )
            self.item(node, scope, ctx, path, module, plan)
        return allowed

    def macros(self) -> tuple[list[tuple[GroupUse, Scope, str, Plan]], frozenset[int]]:
        """The IOD's functional group macros, each with its scope as checked inside a
        functional group item, its name as a module and its plan; and every tag they may
        put in an item. Made once per IOD: they are looked at in every frame."""
        iod = self.iod_rules
        if iod is None:
            return [], frozenset()
        key = ("macros", iod.id)
        hit = self.book.plans.get(key)
        if hit is None or hit[0] is not iod:
            macros = []
            for g in iod.groups:
                scope = _closed(self.book.plans, g.scope)
                module = f"{g.name} Functional Group"
                macros.append((g, scope, module, item_plan(self.book, scope, module)))
            hit = self.book.plans[key] = (iod, macros, iod.group_tags)
        return hit[1], hit[2]

    def functional_group_usage(
        self,
        iod: IodRules,
        ctx: Context,
        presence: dict[str, tuple[bool, list[int]]],
        n_frames: int,
    ) -> None:
        """Each macro: required ones in the shared item or in every frame, never in both."""
        ref = self.ref(iod.id)
        for g in iod.groups:
            in_shared, with_it = presence[g.name]
            anywhere = in_shared or bool(with_it)
            if in_shared and with_it:
                self.add(
                    "error",
                    "functional-group",
                    "",
                    f"{g.name} Functional Group is in the "
                    f"shared item and in {len(with_it)} per-frame item(s); it shall be in one "
                    "or the other (PS3.3 C.7.6.16)",
                    module=g.name,
                    ref=ref,
                )
            req = self.group_requirement(g, ctx)
            rule = f"{g.usage}: {g.condition.text}" if g.condition else g.usage
            if req == "required":
                if not in_shared and len(with_it) < n_frames:
                    missing = [i for i in range(n_frames) if i not in set(with_it)]
                    if not anywhere:
                        msg = (
                            f"{g.name} Functional Group is required but neither in the shared "
                            "nor in the per-frame functional groups"
                        )
                    else:
                        msg = (
                            f"{g.name} Functional Group is required but missing from "
                            f"{len(missing)} of {n_frames} frames (e.g. frame {missing[0] + 1})"
                        )
                    self.add(
                        "error",
                        "functional-group",
                        _group_path(in_shared),
                        msg,
                        module=g.name,
                        rule=rule,
                        ref=ref,
                    )
                elif not in_shared and n_frames == 0:
                    self.add(
                        "error",
                        "functional-group",
                        "",
                        f"{g.name} Functional Group is "
                        "required but there are no functional group items",
                        module=g.name,
                        rule=rule,
                        ref=ref,
                    )
            elif req in ("forbidden", "unspecified") and anywhere:
                self.add(
                    "error",
                    "module-not-allowed",
                    "",
                    f"{g.name} Functional Group is present but its condition is not met",
                    module=g.name,
                    rule=rule,
                    ref=ref,
                )
            elif req is None and not anywhere:
                status = g.condition.status if g.condition else "missing"
                words = f": {g.condition.text}" if g.condition else ""
                self.add(
                    "info",
                    "undecided",
                    "",
                    f"cannot decide whether the {g.name} Functional Group is required "
                    f"({status}){words}",
                    module=g.name,
                    rule=rule,
                    ref=ref,
                )

    def group_requirement(self, g: GroupUse, ctx: Context) -> str | None:
        if g.usage == "M":
            return "required"
        if g.usage == "U":
            return "optional"
        if g.condition is None:
            return None
        return g.condition.requirement(ctx)


def _group_path(in_shared: bool) -> str:
    return "PerFrameFunctionalGroupsSequence" if not in_shared else "SharedFunctionalGroupsSequence"


def _closed(cache: dict[Any, Any], scope: Scope) -> Scope:
    """A macro's scope checked inside a functional group item: the item holds other macros
    too, so its own unexpected-attribute check is done by the caller. (Cached: the item plan
    cache is keyed by scope identity.)"""
    key = ("closed", id(scope))
    hit = cache.get(key)
    if hit is None or hit[0] is not scope:
        hit = (scope, Scope(scope.attrs, scope.by_tag, scope.masked, True, False))
        cache[key] = hit
    return hit[1]


def fg_items(root: Node) -> tuple[list[Node], list[Node]]:
    s = root.elems.get(SHARED_FG)
    p = root.elems.get(PER_FRAME_FG)
    return ((s.items or [])[:1] if s is not None else [], (p.items or []) if p is not None else [])

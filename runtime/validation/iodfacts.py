"""What some conditions need to know beyond the dataset's values, answered from the IOD.

Conditions speak of facts of the IOD as a whole ("the Palette Color Lookup Table Module is
present", "the image does not require Image Orientation (Patient)", "an Attribute contained
within a Functional Group Sequence"), of the standard's tables (paired body parts, coding
schemes) or of how the dataset travels (STOW-RS): :class:`IodFacts` answers them for the
predicates (:class:`iodkit.rulemodel.Facts`, the ``facts`` and ``modules`` of a
:class:`iodkit.rulemodel.Context`). The answers read the IOD's rules, not the findings.
"""

from __future__ import annotations

from typing import Any

from iodkit.rulemodel import Context, Ref, Verdict, evaluate, lookup, normalize_module_name

from .compiled import GroupUse, IodRules
from .functionalgroups import FunctionalGroupChecks, fg_items

_MISS = object()


class IodFacts(FunctionalGroupChecks):
    """The facts of :class:`iodkit.rulemodel.Facts`, answered for one dataset and its IOD (a
    base of the engine's check)."""

    presence: dict[str, bool]  # set by the engine: module (and macro) name → present
    _requirements: dict[Any, Any]  # answers already given, by question

    def module_oracle(self, name: str, kind: str) -> Verdict:
        return self.presence.get(normalize_module_name(name))

    def iod_requires(self, tags: tuple[int, ...], ctx: Context) -> Verdict:
        """Whether the IOD's rules require each of ``tags`` of this dataset ("image does not
        require Image Orientation (Patient)", General Image).

        True when a module that is mandatory, or whose condition holds, lists it as Type 1 or 2
        (or 1C/2C with its condition met), or a functional group macro that is mandatory or
        whose condition holds carries it. False when no module or macro of the IOD lists it (a
        CR image has no Image Plane Module), or when the IOD allows it without requiring it
        here and the dataset does not have it (Secondary Capture: Image Plane Module "U").
        An attribute the dataset has although its IOD does not require it (a Segmentation
        whose Plane Orientation functional group is there although its condition does not
        hold) is neither: not required, yet the image has it, and which of the two "does not
        require" is about the standard does not say."""
        iod = self.iod_rules
        if iod is None:
            return None
        root_ctx = Context.of(ctx.root, modules=self.module_oracle, facts=self)
        verdicts: list[Verdict] = []
        for tag in tags:
            key = ("iod-requires", tag)
            hit = self._requirements.get(key, _MISS)
            if hit is _MISS:
                hit = self._iod_requires_one(iod, tag, root_ctx)
                self._requirements[key] = hit
            verdicts.append(hit)
        if any(v is False for v in verdicts):
            return False
        return None if any(v is None for v in verdicts) else True

    def _iod_requires_one(self, iod: IodRules, tag: int, ctx: Context) -> Verdict:
        listed = False
        for mu in iod.modules:
            attrs = mu.scope.by_tag.get(tag)
            if not attrs:
                continue
            listed = True
            if mu.usage == "M":
                used: Verdict = True
            elif mu.usage == "C":
                used = _required(mu.condition, ctx)
            else:
                used = False  # "U": the IOD allows the module, it does not require it
            if used is False:
                continue
            for a in attrs:
                if a.type in ("1", "2"):
                    need: Verdict = True
                elif a.type in ("1C", "2C"):
                    need = _required(a.condition, ctx)
                else:
                    need = False
                for guard in a.guards:  # the include rows it came through
                    v = evaluate(guard.condition.condition.predicate, ctx)
                    need = False if v is False or need is False else None if v is None else need
                if need and used:
                    return True
        for group in iod.groups:
            if not self.group_defines(group, tag):
                continue
            listed = True
            req: Verdict = True if group.usage == "M" else None
            if group.usage == "C":
                req = _required(group.condition, ctx)
            if req:
                return True
        if listed and lookup(Ref((tag,)), ctx):
            return None
        return False

    def per_frame_groups_needed(self, ctx: Context) -> Verdict:
        """Whether "for any frame, there are Per-Frame Functional Groups that are not empty":
        a frame's item holds a functional group, or the IOD requires a macro that "Shall not
        be used as a Shared Functional Group" (then every frame holds it)."""
        _, frames = fg_items(self.root)
        if any(f.elems for f in frames):
            return True
        iod = self.iod_rules
        if iod is None:
            return None
        verdicts: list[Verdict] = []
        for g in iod.groups:
            if g.placement != "per-frame":
                continue
            req = self.group_requirement(g, ctx)
            verdicts.append(None if req is None else req == "required")
        if True in verdicts:
            return True
        return None if None in verdicts else False

    def in_functional_group(self, tag: int) -> Verdict:
        """Whether one of the IOD's functional group macros defines ``tag`` (its sequence, or an
        attribute in that sequence's items): what "an Attribute that is contained within a
        Functional Group Sequence" means in the Multi-frame Dimension Module, whether or not
        this dataset has per-frame items (TILED_FULL images have none)."""
        iod = self.iod_rules
        if iod is None:
            return None
        key = ("in-functional-group", tag)
        hit = self._requirements.get(key, _MISS)
        if hit is _MISS:
            hit = self._requirements[key] = any(self.group_defines(g, tag) for g in iod.groups)
        return hit  # type: ignore[return-value]

    def group_defines(self, group: GroupUse, tag: int) -> bool:
        """A functional group macro lists ``tag``: its sequence, or an attribute in that
        sequence's items, where every macro keeps them (Plane Orientation Sequence > Image
        Orientation (Patient))."""
        return tag in group.tags or any(
            a.items is not None and tag in self.book.items(a).by_tag for a in group.scope.attrs
        )

    def body_part_paired(self, term: str) -> Verdict:
        return self.book.anatomy().body_part_paired(term)

    def code_paired(self, value: str, scheme: str, meaning: str) -> Verdict:
        return self.book.anatomy().code_paired(value, scheme, meaning)

    def transferred(self, how: str) -> Verdict:
        """How the dataset travels ("stow-rs", "metadata"): from the validation context."""
        return self.context.transferred(how)

    def designator_sufficient(self, designator: str) -> Verdict:
        return self.book.coding_schemes().designator_sufficient(designator)


def _required(cc: Any, ctx: Context) -> Verdict:
    """Whether a condition requires (its "Required if" part alone: what may be present
    otherwise does not matter here); None when it cannot be decided."""
    if cc is None or cc.opaque:
        return None
    return evaluate(cc.condition.predicate, ctx)

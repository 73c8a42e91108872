"""The validator: dataset → IOD → modules → attribute rules, recursively → findings.

One :class:`_Check` per dataset walks, in this order:

1. what the reader found wrong with the bytes (:mod:`iodkit.validation.reader`);
2. every element's VR, value format and VM against the dictionary (:mod:`iodkit.validation.vr`);
3. the File Meta Information against the dataset (PS3.10 7.1);
4. the IOD of the SOP Class UID: each module by its usage (M checked; C checked when its
   condition holds, or when it is present and allowed; U checked when present), each attribute
   rule by its type and condition, value lists, sequences and their items, recursively; the
   functional group macros in the Shared and Per-frame Functional Groups items;
5. attributes the IOD (or a sequence item) does not define.

Conditions are three-valued: a condition that cannot be decided (the standard's words speak of
facts no dataset records, or were not parsed) never passes silently as "optional"; it yields an
``undecided`` finding (severity info) when it matters, i.e. when the attribute or module is absent.

Several modules may define the same attribute (a top-level tag is one element, whatever module
lists it): the rules of every module for a tag are judged together, so an attribute one module
forbids but another allows is allowed, and one any checked module requires is required.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from typing import Any, Literal, NamedTuple

from iodkit.rulemodel import (
    CODE_VALUE_TAGS,
    PER_FRAME_FG,
    SHARED_FG,
    Context,
    Ref,
    Verdict,
    evaluate,
    explanation,
    lookup,
    normalize_module_name,
)

from . import itemmemo, relations
from .context import STORED, ValidationContext
from .dictionary import entry, join, keyword_of, tag_text
from .directory import DIRECTORY_RECORD_SEQUENCE, check_directory
from .filelevel import SOP_CLASS_UID, FileChecks
from .findings import Finding, Reference, shown
from .reader import Element, Node, ParsedFile
from .rules import Attr, GroupUse, IodRules, RuleBook, Scope, without_overridden
from .vr import check_vm

_ALWAYS_ALLOWED = frozenset({0xFFFCFFFC, 0xFFFAFFFA})  # Data Set Trailing Padding, Digital Sig.


class _Use(NamedTuple):
    """One rule for a tag at one dataset level, and the module it belongs to.

    A named tuple rather than a frozen dataclass: plans make thousands of them when the rules
    of an IOD are first used, and a tuple is several times cheaper to make."""

    attr: Attr
    module: str
    checked: bool  # the module is checked (its required attributes must be there)


NO_EXPLANATION = explanation(None)
CONTENT_SEQUENCE = 0x0040A730  # an SR document's root (PS3.3 C.17.3)
VALUE_TYPE = 0x0040A040


class _Check(FileChecks):
    """One dataset against the rules of its IOD (the file-level checks come from the base)."""

    def __init__(
        self, parsed: ParsedFile, book: RuleBook, context: ValidationContext = STORED
    ) -> None:
        super().__init__(parsed, book, context)
        self.presence: dict[str, bool] = {}
        self.iod_rules: IodRules | None = None
        self._requirements: dict[Any, Any] = {}

    # -- the whole dataset --------------------------------------------------------------------
    def run(self) -> list[Finding]:
        for issue in self.parsed.issues:
            self.read_issue(issue)
        self.encoding(self.parsed.meta, "")
        self.encoding(self.root, "")
        uid = self.sop_class()
        self.meta()
        self.pixel_data()
        self.distinct_uids()
        if uid is None:
            return self.findings
        iod = self.book.iod_for(uid)
        if iod is None:
            self.add(
                "error",
                "sop-class",
                "SOPClassUID",
                f"SOP Class {uid} is not a storage SOP Class of an IOD in PS3.3 {self.edition}; "
                "only the encoding was checked",
                ref=Reference("PS3.4", "", self.edition),
                tag=SOP_CLASS_UID,
            )
            return self.findings
        self.iod(iod)
        if DIRECTORY_RECORD_SEQUENCE in self.root.elems:
            check_directory(self)  # a DICOMDIR: its records' offsets and hierarchy
        if self.context.templates and CONTENT_SEQUENCE in self.root and VALUE_TYPE in self.root:
            from .templates import check_content_tree  # SR documents only: loaded on demand

            self.findings.extend(check_content_tree(self.root, self.edition))
        if self.context.metadata:  # a server may have left the pixel bulk data out (QA-19)
            from .omitted import server_omissions

            self.findings[:] = server_omissions(self.findings, self.root)
        return self.findings

    # -- IOD, modules ----------------------------------------------------------------------------
    def iod(self, iod: IodRules) -> None:
        root = self.root
        present = root.elems
        keys = present.keys()
        masked_present: dict[int, set[int]] = {}
        for mu in iod.modules:
            # a module all of whose attributes other modules also list is never "seen"
            here = not keys.isdisjoint(mu.own_tags)
            if not here and mu.scope.masked:
                for a in mu.scope.masked:
                    hits = masked_present.get(a.mask)
                    if hits is None:
                        hits = masked_present[a.mask] = {t & a.mask for t in present}
                    if a.tag in hits:
                        here = True
                        break
            self.presence[normalize_module_name(mu.name)] = here or mu.usage == "M"
        shared, frames = _fg_items(root)
        group_presence: dict[str, tuple[bool, list[int]]] = {}
        for g in iod.groups:
            in_shared = bool(shared) and any(t in shared[0].elems for t in g.tags)
            with_it = [i for i, f in enumerate(frames) if any(t in f.elems for t in g.tags)]
            group_presence[g.name] = (in_shared, with_it)
            self.presence[normalize_module_name(g.name)] = in_shared or bool(with_it)
        ctx = Context.of(root, modules=self.module_oracle, facts=self)
        self.iod_rules = iod

        flags = []
        names = Counter(
            normalize_module_name(n)
            for n in (*(m.name for m in iod.modules), *(g.name for g in iod.groups))
        )
        for mu in iod.modules:
            checked = self.module_checked(iod, mu, ctx)
            flags.append(checked)
            key = normalize_module_name(mu.name)
            if checked and names[key] == 1:
                # a module whose condition holds is one "the X Module is present" speaks of,
                # whether or not this dataset has it yet (ICC Profile "Required if the Palette
                # Color Lookup Table Module is present"); not where two names read alike
                # ("Multi-frame" and "Multi-frame Functional Groups")
                self.presence[key] = True
            if checked and mu.scope.masked:
                self.masked(root, mu.scope.masked, ctx, "", mu.name)
        _root_plan(self.book.plans, iod, tuple(flags)).visit_memo(self, root, ctx, "")
        if iod.groups and (shared or frames or SHARED_FG in present):
            self.functional_group_usage(iod, ctx, group_presence, len(frames))
        for tag in present:
            if tag in _ALWAYS_ALLOWED or tag >> 16 in (0x0002,) or tag >> 16 & 1:
                continue
            if tag & 0xFFFF == 0 or iod.allows(tag):
                continue
            e = entry(tag)
            what = "not in the dictionary" if not e.vr else "not defined by any module of the IOD"
            self.add(
                "warning",
                "not-in-iod",
                keyword_of(tag),
                f"{e.name or tag_text(tag)} is {what} ({iod.name})",
                ref=self.ref(iod.id),
                tag=tag,
            )

    def module_oracle(self, name: str, kind: str) -> Verdict:
        return self.presence.get(normalize_module_name(name))

    # -- facts some conditions need (iodkit.rulemodel.Facts) ---------------------
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
        _, frames = _fg_items(self.root)
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

    def module_checked(self, iod: IodRules, mu: Any, ctx: Context) -> bool:
        """Whether a module's required attributes must be there; reports C modules that are
        present against their condition, and conditions that cannot be decided."""
        here = self.presence.get(normalize_module_name(mu.name), False)
        if mu.usage == "M":
            return True
        if mu.usage != "C":
            return here
        ref = self.ref(iod.id)
        rule = f"C: {mu.condition.text}" if mu.condition else "C"
        if mu.condition is None:
            if not here:
                self.add(
                    "info",
                    "undecided",
                    "",
                    f"{mu.name} Module: conditional, but its "
                    "condition was not read from the standard",
                    module=mu.name,
                    rule=rule,
                    ref=ref,
                )
            return here
        req = mu.condition.requirement(ctx)
        if req == "required":
            return True
        if req in ("forbidden", "unspecified"):
            if here:
                self.add(
                    "error",
                    "module-not-allowed",
                    "",
                    f"{mu.name} Module is present but "
                    "its condition is not met (PS3.3 A.1.3.2: then no Attribute of it shall "
                    "be present)",
                    module=mu.name,
                    rule=rule,
                    ref=ref,
                )
            return here
        if req is None and not here:
            self.add(
                "info",
                "undecided",
                "",
                f"cannot decide whether the {mu.name} Module is "
                f"required ({mu.condition.status}): {mu.condition.text}",
                module=mu.name,
                rule=rule,
                ref=ref,
            )
        return here

    # -- attributes ------------------------------------------------------------------------------
    def attribute(self, node: Node, tag: int, uses: list[_Use], ctx: Context, path: str) -> None:
        """Judge one tag at one dataset level against every rule that lists it.

        Findings are per module: an attribute two checked modules require (Manufacturer: Type 2
        in General Equipment, Type 1 in Enhanced General Equipment) is reported for each, as the
        standard states two requirements.
        """
        el = node.elems.get(tag)
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
                    if t in _OPTIONAL_TYPES or t == "2":
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
        if el is None and all(u.attr.type in _OPTIONAL_TYPES or not u.checked for u in uses):
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
        verdicts: list[tuple[str | None, _Use]],
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
        if verdicts and all(r in ("forbidden", "unspecified", "n/a") for r, _ in verdicts):
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
        if not empty and any(u.attr.value_sets for u in uses_live):
            self.values(el, uses_live, ctx, sub)
        if not empty:
            self.module_vm(el, uses_live, ctx, sub)
        if el.items is not None:
            self.sequence(el, uses_live, ctx, sub)

    def emptiness(self, live: list[tuple[str | None, _Use]], path: str, tag: int) -> None:
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

    def module_vm(self, el: Element, uses: list[_Use], ctx: Context, path: str) -> None:
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

    def values(self, el: Element, uses: list[_Use], ctx: Context, path: str) -> None:
        """Enumerated Values (error) and Defined Terms (warning) that apply here."""
        enum: dict[int | None, set[str]] = {}
        defined: dict[int | None, set[str]] = {}
        retired: set[str] = set()
        # the module whose list a finding cites: the first that lists the value in question
        # (General Image's Value 1 list does not speak for the MR Image Module's Value 3)
        owners: dict[tuple[str, int | None], _Use] = {}
        for u in uses:
            sets = u.attr.value_sets
            if not sets:
                continue
            applying = [
                vs
                for vs in sets
                if not vs.condition
                or (vs.predicate is not None and evaluate(vs.predicate, ctx) is True)
            ]
            # a list that applies under a condition the dataset meets says more than the
            # rule's list for every case ("Enumerated Values: YES, UNDEFINED, NO" and "… if
            # Segmentation Type is LABELMAP: NO"): for its kind and value, it is the one
            specific = {(vs.kind, vs.index) for vs in applying if vs.condition}
            for vs in applying:
                if not vs.condition and (vs.kind, vs.index) in specific:
                    continue
                if vs.kind == "enumerated":
                    enum.setdefault(vs.index, set()).update(vs.values)
                    owners.setdefault(("enumerated", vs.index), u)
                elif vs.kind == "defined":
                    defined.setdefault(vs.index, set()).update(vs.values)
                    owners.setdefault(("defined", vs.index), u)
                else:
                    retired.update(vs.values)
        if not owners:
            return
        try:
            vals = el.strings()
        except Exception:
            return
        numeric = el.vr in _NUMERIC_VRS
        if el.vr == "AT":
            # tags are listed by name and tag: "Frame Time (0018,1063)"
            vals = tuple(_tag_text(v) for v in el.numbers())
            enum = {k: {_at_term(x) for x in v} for k, v in enum.items()}
            defined = {k: {_at_term(x) for x in v} for k, v in defined.items()}
            retired = {_at_term(x) for x in retired}
        for i, v in enumerate(vals):
            if not v:
                continue
            idx = i + 1
            ek = idx if idx in enum else None
            dk = idx if idx in defined else None
            e = enum.get(ek)
            d = defined.get(dk)
            where = f"value {idx} " if len(vals) > 1 else ""
            # an Enumerated list is the whole of what is allowed: another module's Defined
            # Terms do not add to it (Segmentation Image's MONOCHROME2 against Image Pixel's
            # Defined Terms for Photometric Interpretation)
            known = (e | retired) if e is not None else (d or set()) | retired
            if numeric and _number_in(v, known):
                continue
            owner = owners.get(("enumerated", ek) if e is not None else ("defined", dk))
            if owner is None:
                continue
            a = owner.attr
            if e is not None and v not in known:
                self.add(
                    "error",
                    "enumerated",
                    path,
                    f"{where}{shown(v)} is not an Enumerated Value "
                    f"of {a.name} ({', '.join(sorted(e)[:12])}{', …' if len(e) > 12 else ''})",
                    module=owner.module,
                    rule=a.rule_text(),
                    ref=self.ref(a.table),
                    tag=a.tag,
                )
            elif e is None and d is not None and v not in known:
                self.add(
                    "warning",
                    "defined-term",
                    path,
                    f"{where}{shown(v)} is not a Defined Term of {a.name}",
                    module=owner.module,
                    rule=a.rule_text(),
                    ref=self.ref(a.table),
                    tag=a.tag,
                )

    def sequence(self, el: Element, uses: list[_Use], ctx: Context, path: str) -> None:
        items = el.items or []
        seqs = [u for u in uses if u.attr.items is not None]
        if not seqs:
            return
        u0 = seqs[0]
        a = u0.attr
        counts = next((u.attr.counts for u in seqs if u.attr.counts), ())
        n = len(items)
        for count in counts if (n or a.type in ("1", "1C")) else ():
            lo, hi = count.minimum, count.maximum
            if count.equals is not None:
                # as many as another attribute gives (Number of Frames, Number of Control
                # Points, the items of another sequence); nothing to compare when it is absent
                lo = hi = count.equals.number(ctx)  # type: ignore[assignment]
                if lo is None:
                    continue
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
        groups = next((u.attr.code_groups for u in seqs if u.attr.code_groups), ())
        if groups and items:
            self.codes(items, groups, path, u0)
        if not items:
            return
        scope, plan = _sequence_plan(self.book, seqs, u0.module)
        for i, item in enumerate(items):
            ictx = ctx.child(item, i, el.tag)
            ipath = f"{path}[{i}]"
            self.item(item, scope, ictx, ipath, u0.module, plan)
        if scope.related:
            relations.across_items(self, items, scope.related, el.tag, u0.module, path)

    def codes(
        self, items: list[Node], groups: tuple[tuple[int, str], ...], path: str, use: _Use
    ) -> None:
        """Codes of a sequence's items against its Defined/Enumerated context groups (PS3.16
        Conventions): not in an Enumerated group or a non-extensible Defined one is an error;
        not in an extensible Defined group, a warning (the group may be extended)."""
        # (cid, strength, codes, extensible, name); a group listed without codes (CID 82:
        # "any UCUM unit") cannot be checked
        known: list[tuple[int, str, frozenset[tuple[str, str]], bool, str]] = []
        for cid, strength in groups:
            found = self.book.codes_of(cid)
            if found is not None and found[0]:
                known.append((cid, strength, *found))
        if not known:
            return
        for i, item in enumerate(items):
            code = _item_code(item)
            if code is None or any(code in k[2] for k in known):
                continue
            strict = any(k[1] == "enumerated" or not k[3] for k in known)
            legacy = code[1] in _LEGACY_SCHEMES
            strict = strict and not legacy
            names = " or ".join(
                f"{'CID' if k[1] == 'enumerated' else 'DCID'} {k[0]} {k[4]}" for k in known
            )
            self.add(
                "error" if strict else "warning",
                "context-group",
                f"{path}[{i}]",
                f"({code[0]}, {code[1]}) is not in {names}"
                + (
                    f" ({code[1]} is a retired coding scheme; the group now uses SCT)"
                    if legacy
                    else ""
                    if strict
                    else " (an extensible group: other codes are allowed)"
                ),
                module=use.module,
                rule=use.attr.rule_text(),
                ref=self.ref(use.attr.table),
                tag=use.attr.tag,
            )

    def item(
        self,
        node: Node,
        scope: Scope,
        ctx: Context,
        path: str,
        module: str,
        plan: _Plan | None = None,
    ) -> None:
        """One item against the scope of its sequence (``plan``: that scope's, when the caller
        has it at hand)."""
        if plan is None:
            plan = _item_plan(self.book, scope, module)
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
            if tag in listed or tag >> 16 & 1 or tag & 0xFFFF == 0 or tag in _ALWAYS_ALLOWED:
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
                    self.values(el, [_Use(a, module, True)], ctx, sub)

    # -- functional groups -------------------------------------------------------------------------
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

    def macros(self) -> tuple[list[tuple[GroupUse, Scope, str, _Plan]], frozenset[int]]:
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
                macros.append((g, scope, module, _item_plan(self.book, scope, module)))
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


def _required(cc: Any, ctx: Context) -> Verdict:
    """Whether a condition requires (its "Required if" part alone: what may be present
    otherwise does not matter here); None when it cannot be decided."""
    if cc is None or cc.opaque:
        return None
    return evaluate(cc.condition.predicate, ctx)


_OPTIONAL_TYPES = frozenset(("3", ""))
_CONDITIONAL_TYPES = frozenset(("1C", "2C"))
_UNCONDITIONAL_TYPES = frozenset(("1", "2", "3", ""))
_MISS = object()


# (tag, ((rule, module number), …)): every rule for one tag of a dataset level, in order
_Rows = list[tuple[int, tuple[tuple[Attr, int], ...]]]


class _Layout:
    """The tags of one dataset level in the rules' order, each with its rules and the modules
    they belong to: what the plans of that level share, whichever modules are checked.

    ``needs`` lists, for each tag some rule makes Type 1, 2, 1C or 2C, the modules of those
    rules: the tag must be looked at (even when absent) when one of them is checked."""

    __slots__ = ("rows", "positions", "needs")

    def __init__(self, rows: _Rows) -> None:
        self.rows = rows
        self.positions = {tag: i for i, (tag, _) in enumerate(rows)}
        self.needs: list[tuple[int, tuple[int, ...]]] = []
        for i, (_, rules) in enumerate(rows):
            modules = tuple(m for a, m in rules if a.type not in _OPTIONAL_TYPES)
            if modules:
                self.needs.append((i, modules))


class _Plan:
    """The tags of one dataset level, each with every rule for it, in the rules' order.

    ``visit`` yields the tags a dataset needs looked at: those some rule of a checked module
    requires (absent ones must be reported) and the optional ones it has. Scopes list hundreds
    of optional attributes and datasets hold a few of them, so walking the dataset's tags
    against an index beats walking the scope. The rules of a tag (:class:`_Use`, with whether
    their module is checked) are made the first time a dataset needs the tag looked at: most
    tags of an IOD are never present, and making them all up front was most of the cost of
    a first file."""

    __slots__ = (
        "layout",
        "modules",
        "checked",
        "required",
        "optional",
        "_uses",
        "local",
        "deps",
        "silent",
    )

    def __init__(
        self, layout: _Layout, modules: tuple[str, ...], checked: tuple[bool, ...]
    ) -> None:
        self.layout = layout
        self.modules = modules
        self.checked = checked
        if all(checked):
            self.required = [i for i, _ in layout.needs]
        else:
            self.required = [i for i, mods in layout.needs if any(checked[m] for m in mods)]
        self.optional = dict(layout.positions)
        rows = layout.rows
        for i in self.required:
            del self.optional[rows[i][0]]
        self._uses: list[tuple[int, list[_Use]] | None] = [None] * len(layout.rows)
        # item plans: the required rows whose verdict on an absent tag reads only the item,
        # the tags they read, and per combination of their values the rows that said nothing
        # (see iodkit.validation.itemmemo); made on first use
        self.local: frozenset[int] | None = None
        self.deps: tuple[Ref, ...] = ()
        self.silent: dict[tuple[Any, ...], set[int]] = {}

    def visit(self, elements: dict[int, Any]) -> list[tuple[int, list[_Use]]]:
        optional = self.optional
        order = [optional[t] for t in elements if t in optional]
        order += self.required
        order.sort()
        made = self._uses
        out = []
        for i in order:
            entry = made[i]
            if entry is None:
                entry = made[i] = self._make(i)
            out.append(entry)
        return out

    def memo_for(self, ctx: Context) -> tuple[frozenset[int], set[int]] | None:
        """For the dataset in ``ctx``: the rows whose absent tags are remembered, and those
        known to say nothing for its values (None: nothing is remembered for it)."""
        local = self.local
        if local is None:
            local = frozenset()
            refs: set[Ref] = set()
            for i in self.required:
                entry = self._uses[i]
                if entry is None:
                    entry = self._uses[i] = self._make(i)
                d = itemmemo.row_refs(entry[1], _OPTIONAL_TYPES)
                if d is not None:
                    local |= {i}
                    refs |= d
            self.local = local
            self.deps = tuple(sorted(refs, key=lambda r: (r.scope, r.path)))
        if not local:
            return None
        key = itemmemo.values_key(ctx, self.deps)
        if key is None:
            return None
        silent = self.silent.get(key)
        if silent is None:
            if len(self.silent) >= itemmemo.MAX_KEYS:
                return None
            silent = self.silent[key] = set()
        return local, silent

    def visit_memo(self, check: _Check, node: Node, ctx: Context, path: str) -> None:
        """:meth:`visit` and judge each tag, skipping the absent ones this plan remembers as
        silent for the values ``ctx`` has (:mod:`iodkit.validation.itemmemo`)."""
        elems = node.elems
        memo = self.memo_for(ctx)
        if memo is None:
            for tag, uses in self.visit(elems):
                check.attribute(node, tag, uses, ctx, path)
            return
        local, silent = memo
        positions = self.layout.positions
        for tag, uses in self.visit(elems):
            i = positions[tag]
            if i in local and tag not in elems:
                if i in silent:
                    continue  # a dataset with the same values said nothing here
                before = check.attempts
                check.attribute(node, tag, uses, ctx, path)
                if check.attempts == before:
                    silent.add(i)
            else:
                check.attribute(node, tag, uses, ctx, path)

    def _make(self, i: int) -> tuple[int, list[_Use]]:
        tag, rules = self.layout.rows[i]
        modules, checked = self.modules, self.checked
        return tag, [_Use(a, modules[m], checked[m]) for a, m in rules]


def _root_plan(cache: dict[Any, Any], iod: IodRules, checked: tuple[bool, ...]) -> _Plan:
    """Every top-level tag with the rules of every module for it (which modules are checked
    varies with the dataset; the combinations seen are few, and share one layout)."""
    key = ("root", iod.id, checked)
    hit = cache.get(key)
    if hit is None or hit[0] is not iod:
        plan = _Plan(root_layout(cache, iod), tuple(mu.name for mu in iod.modules), checked)
        hit = (iod, plan)
        cache[key] = hit
    return hit[1]


def root_layout(cache: dict[Any, Any], iod: IodRules) -> _Layout:
    """Every top-level tag of an IOD with the rules of every module for it (made once per
    IOD; ``validate --jobs`` makes it before forking, for all workers)."""
    key = ("root-layout", iod.id)
    hit = cache.get(key)
    if hit is None or hit[0] is not iod:
        rows: dict[int, list[tuple[Attr, int]]] = {}
        for m, mu in enumerate(iod.modules):
            for tag, attrs in mu.scope.by_tag.items():
                rows.setdefault(tag, []).extend((a, m) for a in attrs)
        names = [mu.name for mu in iod.modules]
        for tag, r in rows.items():
            if len(r) > 1 and any(a.overrides for a, _ in r):
                named = without_overridden([(a, names[m]) for a, m in r])
                rows[tag] = [(a, m) for a, m in r if any(a is b for b, _ in named)]
        hit = cache[key] = (iod, _Layout([(t, tuple(r)) for t, r in rows.items()]))
    return hit[1]


def _sequence_plan(book: RuleBook, seqs: list[_Use], module: str) -> tuple[Scope, _Plan]:
    """The scope of a sequence's items (the item rows of every rule for it) and its plan,
    kept by the rules' identity: a sequence recurs in every item of its parent (every frame)."""
    key = ("sequence", module, *[id(u.attr) for u in seqs])
    hit = book.plans.get(key)
    if hit is None or any(a is not u.attr for a, u in zip(hit[0], seqs, strict=True)):
        segments = {(id(rows), tid): (rows, tid) for u in seqs for rows, tid in u.attr.items or ()}
        scope = book.scope(tuple(segments.values()))
        hit = (tuple(u.attr for u in seqs), scope, _item_plan(book, scope, module))
        book.plans[key] = hit
    return hit[1], hit[2]


def _item_plan(book: RuleBook, scope: Scope, module: str) -> _Plan:
    """(tag, rules) for each tag of an item scope, built once per scope and module (scopes
    live as long as their rule book; the cache holds the scope so ids stay unique)."""
    cache = book.plans
    key = ("item", id(scope), module)
    hit = cache.get(key)
    if hit is None or hit[0] is not scope:
        lkey = ("item-layout", id(scope))
        layout = cache.get(lkey)
        if layout is None or layout[0] is not scope:
            rows = [
                (t, tuple((a, 0) for a in _item_rules(book, attrs)))
                for t, attrs in scope.by_tag.items()
            ]
            layout = cache[lkey] = (scope, _Layout(rows))
        hit = (scope, _Plan(layout[1], (module,), (True,)))
        cache[key] = hit
    return hit[1]


def _item_rules(book: RuleBook, attrs: tuple[Attr, ...]) -> list[Attr]:
    """The rules of one tag in an item scope, without those another overrides (an item's
    rules come from the tables of several modules: the Mask Subtraction Sequence's items of
    the Mask Module and of the XA/XRF Multi-frame Presentation Module)."""
    if len(attrs) < 2 or not any(a.overrides for a in attrs):
        return list(attrs)
    named = without_overridden([(a, _table_name(book, a.table)) for a in attrs])
    return [a for a, _ in named]


def _table_name(book: RuleBook, table_id: str) -> str:
    t = book.table(table_id)
    return t[0].name if t is not None else ""


# SNOMED designators of earlier editions (PS3.16 8.1): codes under them were once valid members
_LEGACY_SCHEMES = frozenset(("SRT", "SNM3", "99SDM"))


def _item_code(item: Node) -> tuple[str, str] | None:
    """(code value, coding scheme designator) of a code sequence item, None when incomplete."""
    scheme = item.elems.get(0x00080102)
    scheme_text = scheme.strings()[0] if scheme is not None and scheme.strings() else ""
    for tag in CODE_VALUE_TAGS:
        el = item.elems.get(tag)
        if el is not None and el.strings():
            return (el.strings()[0], scheme_text) if scheme_text or tag == 0x00080120 else None
    return None


def _per_module(
    verdicts: list[tuple[str | None, _Use]], *wanted: str, checked_only: bool = True
) -> list[tuple[str | None, _Use]]:
    """The first rule per module whose verdict is one of ``wanted`` (strictest type first)."""
    if len(verdicts) == 1:
        req, u = verdicts[0]
        return list(verdicts) if req in wanted and (u.checked or not checked_only) else []
    out: dict[str, tuple[str | None, _Use]] = {}
    for req, u in sorted(verdicts, key=lambda v: v[1].attr.type):
        if req in wanted and (u.checked or not checked_only) and u.module not in out:
            out[u.module] = (req, u)
    return list(out.values())


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


def _fg_items(root: Node) -> tuple[list[Node], list[Node]]:
    s = root.elems.get(SHARED_FG)
    p = root.elems.get(PER_FRAME_FG)
    return ((s.items or [])[:1] if s is not None else [], (p.items or []) if p is not None else [])


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


_AT_TAG = re.compile(r"\(([0-9A-Fa-f]{4}),([0-9A-Fa-f]{4})\)")


def _tag_text(v: Any) -> str:
    try:
        t = int(v)
    except (TypeError, ValueError):
        return str(v)
    return tag_text(t)


def _at_term(term: str) -> str:
    """ "Frame Time (0018,1063)" and "00181063" → "(0018,1063)" (other terms stay as they are)."""
    m = _AT_TAG.search(term) or re.fullmatch(r"([0-9A-Fa-f]{4})([0-9A-Fa-f]{4})H?", term.strip())
    return f"({m.group(1).upper()},{m.group(2).upper()})" if m else term


_NUMERIC_VRS = frozenset("DS IS US SS UL SL FL FD SV UV".split())


def _number_in(value: str, allowed: set[str]) -> bool:
    """Numeric VRs compare by value: DS "1.0" is the Enumerated Value "1", SS 1 is "+1"."""
    try:
        x = float(value)
    except ValueError:
        return False
    for a in allowed:
        try:
            if float(a) == x:
                return True
        except ValueError:
            continue
    return False


_TEXT_MULTI = frozenset("AE AS CS DA DS DT IS LO PN SH TM UC UI".split())

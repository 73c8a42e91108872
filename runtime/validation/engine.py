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

This module holds the walk of the whole dataset and the decision which modules are checked;
the check is one class built in layers, each in its own module, each layer using those below:

* :mod:`.filelevel` — the file as a whole (steps 1–3) and the reporting of findings;
* :mod:`.valuesets` — Enumerated Values, Defined Terms, context groups of one element;
* :mod:`.attributes` — one tag against every rule that lists it, sequences and their items;
* :mod:`.functionalgroups` — the functional group macros, per IOD and per frame;
* :mod:`.iodfacts` — what conditions need to know of the IOD (:class:`iodkit.rulemodel.Facts`);

and :mod:`.plans` says, for each dataset level, which tags to look at with which rules.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from iodkit.rulemodel import SHARED_FG, Context, normalize_module_name

from .attributes import ALWAYS_ALLOWED
from .compiled import IodRules
from .context import STORED, ValidationContext
from .dictionary import entry, keyword_of, tag_text
from .directory import DIRECTORY_RECORD_SEQUENCE, check_directory
from .filelevel import SOP_CLASS_UID
from .findings import Finding, Reference
from .functionalgroups import fg_items
from .iodfacts import IodFacts
from .plans import root_plan
from .rules import RuleBook
from .tree import ParsedFile

CONTENT_SEQUENCE = 0x0040A730  # an SR document's root (PS3.3 C.17.3)
VALUE_TYPE = 0x0040A040


class _Check(IodFacts):
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
        shared, frames = fg_items(root)
        group_presence: dict[str, tuple[bool, list[int]]] = {}
        for g in iod.groups:
            # (a set test rather than any() over a generator: once per macro and frame)
            in_shared = bool(shared) and not shared[0].elems.keys().isdisjoint(g.tags)
            with_it = [i for i, f in enumerate(frames) if not f.elems.keys().isdisjoint(g.tags)]
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
        root_plan(self.book.plans, iod, tuple(flags)).visit_memo(self, root, ctx, "")
        if iod.groups and (shared or frames or SHARED_FG in present):
            self.functional_group_usage(iod, ctx, group_presence, len(frames))
        for tag in present:
            if tag in ALWAYS_ALLOWED or tag >> 16 in (0x0002,) or tag >> 16 & 1:
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

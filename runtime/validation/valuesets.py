"""Values against the lists the standard gives for them: Enumerated Values and Defined Terms
of an attribute (PS3.3 "Enumerated Values:", "Defined Terms:", per value index and, where the
words say so, per condition), and the codes of a sequence's items against its context groups
(PS3.16 CIDs, Defined or Enumerated, extensible or not).

These checks look at one element's values and the lists its rules carry; whether the element
must be there at all is decided in :mod:`.attributes`, which calls them for present, non-empty
elements.
"""

from __future__ import annotations

import re
from typing import Any

from iodkit.rulemodel import CODE_VALUE_TAGS, Context, evaluate

from .dictionary import tag_text
from .filelevel import FileChecks
from .findings import shown
from .plans import Use
from .tree import Element, Node


class ValueSetChecks(FileChecks):
    """Enumerated Values, Defined Terms and context groups (a base of the engine's check)."""

    def values(self, el: Element, uses: list[Use], ctx: Context, path: str) -> None:
        """Enumerated Values (error) and Defined Terms (warning) that apply here."""
        enum: dict[int | None, set[str]] = {}
        defined: dict[int | None, set[str]] = {}
        retired: set[str] = set()
        # the module whose list a finding cites: the first that lists the value in question
        # (General Image's Value 1 list does not speak for the MR Image Module's Value 3)
        owners: dict[tuple[str, int | None], Use] = {}
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

    def codes(
        self, items: list[Node], groups: tuple[tuple[int, str], ...], path: str, use: Use
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

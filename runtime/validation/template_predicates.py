"""Conditions of template rows, evaluated on a matched template instance.

The clauses are the plain data of :mod:`iodkit.codegen.spec.template_conditions` ("xor",
"at_least_one", "at_least", "if", "iff", "only_if"); an expression evaluates to True, False or
None (undecided: a fact no dataset records, a row of a template not in the document). What a
clause's verdict means depends on the row's requirement (PS3.16 Section 6.1.7, 6.1.8):

* MC + IF true, absent: error (missing). IFF false, present: error (not allowed).
* UC: "may be present according to the condition" — present while an IF/IFF condition is false
  is reported: an error for IFF and "only if", a warning for IF (whose words are weaker).
* XOR: two rows of the group present is an error; none of an MC group is an error too.
* "At least one of Rows …": none present is an error.
* an undecided condition that matters (MC absent, UC present) is an "undecided" note.

Each finding names the row ("PS3.16 2024c TID n row k") and quotes the condition.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from iodkit.rulemodel.coded import concept_key, in_group

from .template_book import RowNode, as_code

if TYPE_CHECKING:
    from .sr_tree import Item
    from .templates import ContentTreeChecker, Instance


def _keys(codes: Any) -> set[tuple[str, str]]:
    return {as_code(c) for c in codes or ()}


def _key(code: Any) -> tuple[str, str] | None:
    return concept_key(code) if code is not None else None


def _and(values: list[bool | None]) -> bool | None:
    if any(v is False for v in values):
        return False
    return None if any(v is None for v in values) else True


def _or(values: list[bool | None]) -> bool | None:
    if any(v is True for v in values):
        return True
    return None if any(v is None for v in values) else False


class Evaluator:
    def __init__(self, checker: ContentTreeChecker) -> None:
        self.checker = checker

    # -- expressions -------------------------------------------------------------------------
    def items(self, e: dict[str, Any], key: str, inst: Instance) -> list[Item] | None:
        """The items of the row an expression names (None: a template not in the document)."""
        label = e[key]
        tid = e.get("tid")
        if not tid or tid == inst.template.tid:
            return list(inst.matches.get(label, ()))
        others = self.checker.registry.get(tid)
        if not others:
            return None
        out: list[Item] = []
        for o in others:
            out.extend(o.matches.get(label, ()))
        return out

    def value(self, e: Any, inst: Instance, parent: Item | None) -> bool | None:
        if not isinstance(e, dict):
            return None
        if "and" in e:
            return _and([self.value(x, inst, parent) for x in e["and"]])
        if "or" in e:
            return _or([self.value(x, inst, parent) for x in e["or"]])
        if "not" in e:
            v = self.value(e["not"], inst, parent)
            return None if v is None else not v
        if "unknown" in e:
            return None
        for key in ("present", "absent", "count"):
            if key in e:
                found = self.items(e, key, inst)
                if found is None:
                    return None
                if key == "present":
                    return bool(found)
                if key == "absent":
                    return not found
                return len(found) >= int(e.get("at_least", 1))
        if "value" in e or "concept" in e or "text" in e or "number" in e:
            return self.row_value(e, inst)
        if "some_value_not_in" in e:
            found = self.items(e, "some_value_not_in", inst)
            if found is None:
                return None
            keys = _keys(e.get("in"))
            return any(_key(i.code_value()) not in keys for i in found)
        if "has_attribute" in e:
            found = self.items(e, "has_attribute", inst)
            if not found:
                return None if found is None else False
            tag = int(e["tag"][1:5] + e["tag"][6:10], 16)
            return any(tag in i.node for i in found)
        if "greater" in e:
            a, b = (self.items({"r": x}, "r", inst) for x in e["greater"])
            na = a[0].number() if a else None
            nb = b[0].number() if b else None
            return None if na is None or nb is None else na > nb
        if "parent_value" in e:
            code = parent.code_value() if parent is not None else None
            return None if code is None else _key(code) in _keys(e["parent_value"])
        if "root_concept" in e:
            return _key(self.checker.root.concept) in _keys(e["root_concept"])
        if "concept_present" in e:
            keys = _keys(e["concept_present"])
            return any(_key(i.concept) in keys for i in self.scope(inst))
        if "concept_value" in e:
            want = as_code(e["concept_value"])
            keys = _keys(e.get("in"))
            hits = [i for i in self.scope(inst) if _key(i.concept) == want]
            return None if not hits else any(_key(i.code_value()) in keys for i in hits)
        if "parameter" in e:
            bound = inst.bindings.get(e["parameter"])
            codes = [b.code for b in bound or () if b.code is not None and b.strength == "EV"]
            if not codes or len(codes) != len(bound or ()):
                return None
            return any((c[0], c[1]) in _keys(e.get("in")) for c in codes)
        if "bound" in e:
            return e["bound"] in inst.bindings
        if "attribute" in e:
            tag = int(e["attribute"][1:5] + e["attribute"][6:10], 16)
            el = self.checker.root_node.get(tag)
            if el is None:
                return False
            values = el.strings()
            return bool(values) and values[0].strip() in e.get("in", ())
        return None

    def row_value(self, e: dict[str, Any], inst: Instance) -> bool | None:
        kind = next(k for k in ("value", "concept", "text", "number") if k in e)
        found = self.items(e, kind, inst)
        if found is None:
            return None
        if not found:
            return False
        results: list[bool | None] = []
        for item in found:
            if kind == "number":
                n = item.number()
                results.append(None if n is None else n > float(e.get("gt", 0)))
                continue
            if kind == "text":  # "present with a value of "CT"": a TEXT, or a CODE's value
                code = item.code_value() if item.value_type == "CODE" else None
                text = code.value if code is not None else item.text()
                results.append(text in e.get("in", ()))
                continue
            code = item.code_value() if kind == "value" else item.concept
            if code is None:
                results.append(None)
            elif "cid" in e:
                results.append(in_group(code, int(e["cid"])))
            else:
                results.append(_key(code) in _keys(e.get("in")))
        return _or(results)

    def scope(self, inst: Instance) -> list[Item]:
        """The items of an invocation and everything below them."""
        out: list[Item] = []
        for items in inst.matches.values():
            for i in items:
                out.append(i)
                out.extend(i.descendants())
        return out

    # -- clauses -----------------------------------------------------------------------------
    def conditions(self, node: RowNode, inst: Instance, parent: Item | None, n: int) -> None:
        row = node.row
        where = parent or self.checker.root
        if not row.predicate:
            if row.requirement == "MC" and n == 0 and row.condition:
                self.note(node, where, "is absent")
            return
        # "XOR Row 12 and IFF (Row 7 or Row 10)": the IF/IFF governs the alternatives as one;
        # the group is required when it holds, and may be absent when it does not
        group = next(([row.row, *c["xor"]] for c in row.predicate if "xor" in c), None)
        governed = group is not None and any(
            k in c for c in row.predicate for k in ("if", "iff", "only_if")
        )
        for clause in row.predicate:
            if "xor" in clause:
                self.xor(node, inst, parent, [row.row, *clause["xor"]], governed)
            elif "at_least_one" in clause or "at_least" in clause:
                rows = clause.get("at_least_one") or clause.get("rows", [])
                need = int(clause.get("at_least", 1))
                total = sum(self.count(inst, r, parent) for r in rows)
                key = ("least", id(inst), id(parent), tuple(sorted(rows)))
                if total < need and key not in self.checker.reported:
                    self.checker.reported.add(key)
                    self.checker.add(
                        "error",
                        "template-condition",
                        where,
                        f"{row.condition!r}: {total} present",
                        node,
                    )
            else:
                kind = next(iter(clause))
                verdict = self.value(clause[kind], inst, parent)
                if governed and group is not None:
                    present = sum(self.count(inst, r, parent) for r in group)
                    if verdict and present == 0 and kind in ("if", "iff"):
                        self.group_missing(node, inst, where, group, row.requirement)
                    elif verdict is False and n > 0 and kind in ("iff", "only_if"):
                        self.clause(node, kind, verdict, n, where, clause[kind], inst)
                    continue
                self.clause(node, kind, verdict, n, where, clause[kind], inst)

    def group_missing(
        self, node: RowNode, inst: Instance, where: Item, group: list[str], req: str
    ) -> None:
        if req != "MC":
            return
        rows = tuple(sorted(set(group)))
        key = ("one-of", id(inst), id(where), rows)
        if key in self.checker.reported:
            return
        self.checker.reported.add(key)
        self.checker.add(
            "error",
            "template-missing",
            where,
            f"one of rows {', '.join(rows)} of TID {node.template.tid} is required: its "
            f"condition {node.row.condition!r} holds, and none is present",
            node,
        )

    def count(self, inst: Instance, label: str, parent: Item | None) -> int:
        items = inst.matches.get(label, ())
        direct = sum(1 for i in items if i.parent is parent)
        return direct or len(items)

    def xor(
        self,
        node: RowNode,
        inst: Instance,
        parent: Item | None,
        rows: list[str],
        governed: bool = False,
    ) -> None:
        """One finding per clash (the rows present together) and one per group of rows none
        of which is present, however many rows of the group repeat the XOR (their lists are
        not always the same: TID 1410 row 5 says "XOR Rows 7, 7b, 8b", row 7 "XOR Rows 5,
        7b")."""
        group = set(rows)
        present = tuple(sorted(r for r in group if self.count(inst, r, parent)))
        where = parent or self.checker.root
        if len(present) > 1:
            key = ("xor", id(inst), id(parent), present)
            if key in self.checker.reported:
                return
            self.checker.reported.add(key)
            self.checker.add(
                "error",
                "template-condition",
                where,
                f"rows {', '.join(present)} of TID {node.template.tid} are mutually exclusive "
                f"({node.row.condition!r}) and are all present",
                node,
            )
        elif not present and node.row.requirement == "MC" and not governed:
            done = self.checker.reported
            head: tuple[Any, ...] = ("xor-none", id(inst), id(parent))
            if any(k[:3] == head and group & set(k[3]) for k in done if len(k) == 4):
                return
            done.add((*head, tuple(sorted(group))))
            self.checker.add(
                "error",
                "template-missing",
                where,
                f"one of rows {', '.join(sorted(group))} of TID {node.template.tid} shall be "
                "present (XOR, MC); none is",
                node,
            )

    @staticmethod
    def absences(expr: Any) -> list[str]:
        """The rows of an expression made only of "Row k is absent" tests joined by "and"."""
        parts = expr.get("and", [expr]) if isinstance(expr, dict) else []
        if parts and all(isinstance(p, dict) and set(p) == {"absent"} for p in parts):
            return [p["absent"] for p in parts]
        return []

    def clause(
        self,
        node: RowNode,
        kind: str,
        verdict: bool | None,
        n: int,
        where: Item,
        expr: Any = None,
        inst: Instance | None = None,
    ) -> None:
        req = node.row.requirement
        text = f"{node.row.condition!r}"
        name = self.checker.row_text(node)
        if verdict is None:
            if (req == "MC" and n == 0) or (req == "UC" and n > 0 and kind != "if"):
                self.note(node, where, "is absent" if n == 0 else "is present")
            return
        required = req == "MC" and kind in ("if", "iff")
        if verdict and n == 0 and required and self.checker.needs_items(node):
            group = self.absences(expr)
            if group:  # "IF Row 10 and 12 are absent" on each of rows 6, 10, 12: one finding
                rows = tuple(sorted({node.row.row, *group}))
                key = ("one-of", id(inst), id(where), rows)
                if key in self.checker.reported:
                    return
                self.checker.reported.add(key)
                self.checker.add(
                    "error",
                    "template-missing",
                    where,
                    f"none of rows {', '.join(rows)} of TID {node.template.tid} is present; "
                    f"each is required when the others are absent ({name}: {text})",
                    node,
                )
                return
            self.checker.add(
                "error",
                "template-missing",
                where,
                f"{name} is required: its condition {text} holds",
                node,
            )
        elif not verdict and n > 0 and (kind in ("iff", "only_if") or req == "UC"):
            severity = "warning" if kind == "if" else "error"
            self.checker.add(
                severity,
                "template-not-allowed",
                where,
                f"{name} is present, but its condition {text} does not hold",
                node,
            )

    def note(self, node: RowNode, where: Item, state: str) -> None:
        self.checker.add(
            "info",
            "undecided",
            where,
            f"{self.checker.row_text(node)} {state}; its condition {node.row.condition!r} "
            "cannot be decided from the document",
            node,
        )

"""Spec → validation rules as generated Python data (``generated/rules/``).

The validator (:mod:`iodkit.validation`) must run without the standard, without YAML and
without the condition parser, and must load the rules of one IOD in milliseconds. So the
generator writes them as plain Python literals (tuples, strings, ints, and the predicates'
plain data), one module per attribute table and one per IOD, plus an index:

``rules/__init__.py``
    ``EDITION``, ``SOP_CLASSES`` (UID → IOD module, SOP Class name), ``IODS`` (IOD table id →
    module), ``TABLES`` (table id → module).
``rules/iods/<iod>.py``
    ``IOD = (table id, name, section)``, ``MODULES`` rows ``(name, IE, table id, usage,
    condition)`` and ``FUNCTIONAL_GROUPS`` rows ``(name, table id, usage, condition,
    placement)``.
``rules/tables/<table>.py``
    ``TABLE = (table id, label, name, kind)`` and ``RULES``, a tuple of rows:

    * ``("a", tag, mask, type, name, keyword, VR, VM, condition, value_sets, items, count)``
      — an attribute; ``mask`` is ``0xFFFFFFFF`` except for repeating groups (``60xx``:
      ``0xFF00FFFF``); ``items`` is ``None`` for a non-sequence, else the rows of its items;
      ``count`` the number of items the description demands, ``(min, max or None)``; a code
      sequence whose items the standard draws from Defined or Enumerated context groups has a
      13th element, ``((cid, "defined" | "enumerated"), …)``;
    * ``("i", table id, condition, nested rows)`` — an "Include Table …" row, kept by
      reference (the runtime resolves and caches it);
    * ``("fg",)`` — "Include one or more Functional Group Macros" (the IOD says which);
    * ``("open", text)`` — a row that admits attributes the table does not list ("Any
      Attribute …", an include the standard names only in words).

    A ``condition`` is ``None`` or ``(text, data)``: the standard's words and the parsed
    predicate (see :mod:`iodkit.codegen.spec.predicates`). A value set is ``(kind, values,
    value index or None, predicate or None, condition text)`` with kind ``enumerated``,
    ``defined`` or ``retired``.

Includes stay references so a macro used by a hundred modules is written once.
"""

from __future__ import annotations

import re
from typing import Any

from ..spec.model import AttributeRule, Edition, IncludeRule, NoteRule, Rule, ValueSet
from .names import snake

RULES_PACKAGE = "rules"

# "Only a single Item shall be included in this Sequence" and its siblings, as PS3.3 writes them.
_COUNT_PHRASES: tuple[tuple[re.Pattern[str], tuple[int, int | None]], ...] = tuple(
    (re.compile(p, re.I), c)
    for p, c in (
        (r"\bzero\s+or\s+one\s+items?\s+(?:shall|may)\s+be\s+(?:included|present)", (0, 1)),
        (r"\bzero\s+or\s+more\s+items?\s+(?:shall|may)\s+be\s+(?:included|present)", (0, None)),
        (
            r"\b(?:one|1)\s+or\s+more\s+items?\s+(?:shall|may)\s+be\s+(?:included|present)",
            (1, None),
        ),
        (r"\bat\s+least\s+one\s+item\s+shall\s+be\s+(?:included|present)", (1, None)),
        (r"\btwo\s+or\s+more\s+items?\s+shall\s+be\s+(?:included|present)", (2, None)),
        (r"\bexactly\s+two\s+items\s+shall\s+be\s+(?:included|present)", (2, 2)),
        (
            r"(?<!zero or )(?<!more than )\b(?:only\s+a\s+single|only\s+one|exactly\s+one"
            r"|a\s+single|^one)\s+item\s+shall\s+be\s+(?:included|present|permitted)",
            (1, 1),
        ),
    )
)
# a count that holds only in some cases is not a constraint on every dataset
_COUNT_QUALIFIED = re.compile(r"(?i)\b(?:if|unless|when|for\s+each|per)\b")


# "Only a single value shall be present." (Numeric Value in the Numeric Measurement Macro, Contrast
# Flow Rate …): the module allows one value where the dictionary's VM allows more
_SINGLE_VALUE = re.compile(r"(?i)(?:^|[.\n]\s*)only a single value shall be present\s*(?:\.|$)")


def module_vm(description: str) -> str:
    """The VM a module's own words give an attribute, when narrower than the dictionary's
    ("1" for "Only a single value shall be present."); "" when they say nothing."""
    return "1" if _SINGLE_VALUE.search(description) else ""


def item_count(description: str) -> tuple[int, int | None] | None:
    """The number of items a sequence's description demands, when it says so unconditionally."""
    for sentence in re.split(r"(?<=\.)\s+|\n", description):
        for pattern, count in _COUNT_PHRASES:
            m = pattern.search(sentence)
            if m and not _COUNT_QUALIFIED.search(sentence[m.end() :]):
                return count
    return None


def table_module(table_id: str) -> str:
    """``table_C.8.20-2`` → ``t_C_8_20__2`` (a file name that keeps the label readable)."""
    label = table_id.removeprefix("table_")
    return "t_" + re.sub(r"[^0-9A-Za-z]", "_", label.replace("-", "__"))


def _tag_and_mask(tag: str) -> tuple[int, int]:
    """ "(60xx,0010)" → (0x60000010, 0xFF00FFFF)."""
    digits = tag.strip("()").replace(",", "")
    mask = 0
    value = 0
    for ch in digits:
        mask <<= 4
        value <<= 4
        if ch.lower() != "x":
            mask |= 0xF
            value |= int(ch, 16)
    return value, mask


def _condition(text: str, predicate: Any) -> tuple[str, Any] | None:
    if not text or not isinstance(predicate, dict):
        return None
    data = {k: v for k, v in predicate.items() if k not in ("placement", "text", "partly")}
    if not data.get("status"):
        return None
    return (" ".join(str(predicate.get("text") or text).split()), data)


def _value_set(vs: ValueSet) -> tuple[Any, ...]:
    kind = "retired" if vs.retired else vs.kind
    return (kind, tuple(vs.values), vs.value_index, vs.predicate, vs.condition)


class _Tables:
    """Rows of each table as plain data, with the edition's dictionary at hand."""

    def __init__(self, ed: Edition) -> None:
        self.ed = ed

    def rows(self, rules: list[Rule]) -> tuple[Any, ...]:
        out: list[Any] = []
        for r in rules:
            if isinstance(r, AttributeRule):
                out.append(self.attribute(r))
            elif isinstance(r, IncludeRule):
                if r.placeholder == "functional-groups":
                    out.append(("fg",))
                elif r.table in self.ed.tables:
                    out.append(
                        ("i", r.table, _condition(r.condition, r.predicate), self.rows(r.nested))
                    )
                else:
                    out.append(("open", " ".join(r.text.split())))
            elif isinstance(r, NoteRule) and re.search(r"(?i)\bany\b|\boptionally\b", r.text):
                out.append(("open", " ".join(r.text.split())))
        return tuple(out)

    def attribute(self, r: AttributeRule) -> tuple[Any, ...]:
        tag, mask = _tag_and_mask(r.tag)
        entry = self.ed.dictionary.get(r.tag)
        vr = entry.vr if entry else ""
        vm = module_vm(r.description) or (entry.vm if entry else "")
        sequence = vr == "SQ" or bool(r.items)
        row: tuple[Any, ...] = (
            "a",
            tag,
            mask,
            r.type,
            r.name,
            r.keyword,
            vr,
            vm,
            _condition(r.condition, r.predicate),
            tuple(_value_set(vs) for vs in r.value_sets),
            self.rows(r.items) if sequence else None,
            item_count(r.description) if sequence else None,
        )
        groups = code_groups(r) if sequence else ()
        return (*row, groups) if groups else row


def code_groups(r: AttributeRule) -> tuple[tuple[int, str], ...]:
    """The context groups a code sequence's items are drawn from, when the standard makes it a
    constraint: Defined (DCID) or Enumerated (CID), on the sequence row or on the "Include Table
    8.8-1 …" row of its items. Baseline groups (BCID) are suggestions and are left out."""
    refs = list(r.context_groups)
    for item in r.items:
        if isinstance(item, IncludeRule):
            refs.extend(item.context_groups)
    out: dict[int, str] = {}
    for g in refs:
        if g.strength in ("defined", "enumerated"):
            out.setdefault(g.cid, g.strength)
    return tuple(sorted(out.items()))


def literal(value: Any, indent: int = 0) -> str:
    """A deterministic Python literal: double quotes, rule rows one per line, nested rows
    indented under their sequence."""
    pad = "    " * indent
    if isinstance(value, tuple) and value and all(_is_row(v) for v in value):
        inner = "".join(f"{pad}    {literal(v, indent + 1)},\n" for v in value)
        return f"(\n{inner}{pad})"
    if isinstance(value, tuple):
        body = ", ".join(literal(v, indent) for v in value)
        return f"({body},)" if len(value) == 1 else f"({body})"
    if isinstance(value, list):
        return "[" + ", ".join(literal(v, indent) for v in value) + "]"
    if isinstance(value, dict):
        return (
            "{" + ", ".join(f"{literal(k)}: {literal(v, indent)}" for k, v in value.items()) + "}"
        )
    if isinstance(value, str):
        r = repr(value)
        if r.startswith("'") and '"' not in value:
            r = '"' + r[1:-1].replace("\\'", "'") + '"'
        return r
    if isinstance(value, int) and not isinstance(value, bool) and value > 0xFFFF:
        return f"0x{value:08X}"
    return repr(value)


def _is_row(v: Any) -> bool:
    return isinstance(v, tuple) and bool(v) and v[0] in ("a", "i", "fg", "open")


def iod_module_names(ed: Edition) -> dict[str, str]:
    """IOD table id → file name (from the IOD's name; unique)."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for iod_id in sorted(ed.iods):
        iod = ed.iods[iod_id]
        base = "i_" + snake(iod.name)
        name, n = base, 2
        while name in taken:
            name, n = f"{base}_{n}", n + 1
        taken.add(name)
        names[iod_id] = name
    return names


def render_rules(ed: Edition, env: Any, header: str) -> dict[str, str]:
    """``{relative path: text}`` for ``generated/rules/``."""
    tables = _Tables(ed)
    out: dict[str, str] = {}
    t_table = env.get_template("rules_table.py.j2")
    table_modules: dict[str, str] = {}
    for tid in sorted(ed.tables):
        t = ed.tables[tid]
        mod = table_module(tid)
        table_modules[tid] = mod
        out[f"{RULES_PACKAGE}/tables/{mod}.py"] = t_table.render(
            header=header,
            edition=ed.edition,
            table=t,
            head=literal((t.id, t.label, t.name, t.kind)),
            rules=literal(tables.rows(t.rules)),
        )
    t_iod = env.get_template("rules_iod.py.j2")
    iod_modules = iod_module_names(ed)
    composite = {k: v for k, v in ed.iods.items() if not v.normalized}
    for iod_id, iod in sorted(composite.items()):
        modules = tuple(
            (m.name, m.ie, m.table, m.usage, _condition(m.condition, m.predicate))
            for m in iod.modules
        )
        groups = tuple(
            (
                fg.name,
                fg.table,
                fg.usage,
                _condition(fg.condition, fg.predicate),
                fg.predicate.get("placement", "") if isinstance(fg.predicate, dict) else "",
            )
            for fg in iod.functional_groups
        )
        out[f"{RULES_PACKAGE}/iods/{iod_modules[iod_id]}.py"] = t_iod.render(
            header=header,
            edition=ed.edition,
            iod=iod,
            head=literal((iod.id, iod.name, iod.section)),
            modules=_rows_literal(modules),
            groups=_rows_literal(groups),
        )
    sop_classes = {
        uid: (iod_modules[sc.iod], sc.name)
        for uid, sc in sorted(ed.sop_classes.items())
        if sc.iod in composite
    }
    out[f"{RULES_PACKAGE}/__init__.py"] = env.get_template("rules_index.py.j2").render(
        header=header,
        edition=ed.edition,
        sop_classes=sorted(sop_classes.items()),
        iods=sorted((k, iod_modules[k]) for k in composite),
        tables=sorted(table_modules.items()),
        lit=literal,
    )
    out[f"{RULES_PACKAGE}/anatomy.py"] = render_anatomy(ed, env, header)
    out[f"{RULES_PACKAGE}/coding_schemes.py"] = render_coding_schemes(ed, env, header)
    out[f"{RULES_PACKAGE}/iods/__init__.py"] = f'{header}\n"""Validation rules per IOD."""\n'
    out[f"{RULES_PACKAGE}/tables/__init__.py"] = f'{header}\n"""Validation rules per table."""\n'
    return out


def render_anatomy(ed: Edition, env: Any, header: str) -> str:
    """``rules/anatomy.py``: PS3.16 Annex L as three lookup tables (see the template). A term
    or code whose rows say both paired and unpaired is left out (undecided)."""
    terms: dict[str, set[bool]] = {}
    codes: dict[tuple[str, str], set[bool]] = {}
    meanings: dict[tuple[str, str, str], set[bool]] = {}
    for b in ed.anatomy:
        if b.paired is None:
            continue
        if b.term:
            terms.setdefault(b.term, set()).add(b.paired)
        codes.setdefault((b.scheme, b.value), set()).add(b.paired)
        meanings.setdefault((b.scheme, b.value, b.meaning.lower()), set()).add(b.paired)
    body_parts = {k: next(iter(v)) for k, v in sorted(terms.items()) if len(v) == 1}
    plain = {k: next(iter(v)) for k, v in sorted(codes.items()) if len(v) == 1}
    by_meaning = {
        k: next(iter(v))
        for k, v in sorted(meanings.items())
        if len(v) == 1 and len(codes[k[:2]]) > 1
    }
    return str(
        env.get_template("rules_anatomy.py.j2").render(
            header=header,
            edition=ed.edition,
            body_parts=_dict_literal(body_parts),
            codes=_dict_literal(plain),
            by_meaning=_dict_literal(by_meaning),
        )
    )


def render_coding_schemes(ed: Edition, env: Any, header: str) -> str:
    """``rules/coding_schemes.py``: PS3.16 Table 8-1's designators with their UIDs, and those
    whose entry requires Coding Scheme Version (0008,0103) (see the template). A designator
    listed twice keeps its first UID."""
    designators: dict[str, str] = {}
    for c in ed.coding_schemes:
        designators.setdefault(c.designator, c.uid)
    version_required = sorted({c.designator for c in ed.coding_schemes if c.version_required})
    deprecated = sorted({c.designator for c in ed.coding_schemes if c.deprecated})
    return str(
        env.get_template("rules_coding_schemes.py.j2").render(
            header=header,
            edition=ed.edition,
            designators=_dict_literal(dict(sorted(designators.items()))),
            version_required=_set_literal(version_required),
            deprecated=_set_literal(deprecated),
        )
    )


def _set_literal(items: list[Any]) -> str:
    if not items:
        return "frozenset()"
    return "frozenset({" + ", ".join(literal(x) for x in items) + "})"


def _dict_literal(d: dict[Any, Any]) -> str:
    if not d:
        return "{}"
    return "{\n" + "".join(f"    {literal(k, 1)}: {literal(v, 1)},\n" for k, v in d.items()) + "}"


def _rows_literal(rows: tuple[Any, ...]) -> str:
    if not rows:
        return "()"
    return "(\n" + "".join(f"    {literal(r, 1)},\n" for r in rows) + ")"

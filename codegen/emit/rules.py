"""Spec → validation rules as generated Python data (``generated/rules/``).

The validator (:mod:`iodkit.validation`) must run without the standard, without YAML and
without the condition parser, and must load the rules of one IOD in milliseconds. So the
generator writes them as plain Python literals (tuples, strings, ints, and the predicates'
plain data), one module per attribute table and one per IOD, plus an index:

``rules/__init__.py``
    ``LAYOUT`` (the row layout version), ``EDITION``, ``SOP_CLASSES`` (UID → IOD module, SOP
    Class name), ``IODS`` (IOD table id → module), ``TABLES`` (table id → module).
``rules/iods/<iod>.py``
    ``IOD`` (an :class:`~iodkit.rulemodel.rows.IodHead`), ``MODULES``
    (:class:`~iodkit.rulemodel.rows.ModuleRow`) and ``FUNCTIONAL_GROUPS``
    (:class:`~iodkit.rulemodel.rows.FunctionalGroupRow`).
``rules/tables/<table>.py``
    ``TABLE`` (a :class:`~iodkit.rulemodel.rows.TableHead`) and ``RULES``, a tuple of rows.

Every row is one of the named tuples of :mod:`iodkit.rulemodel.rows` (attribute, include,
functional groups, open), written as a plain tuple literal; the validator reads them back
through the same definitions and refuses rules of another layout version (``LAYOUT`` in the
index). Item counts and module VMs come from the spec (``item_counts``, ``module_vm``), like
every other rule, so the YAML shows them.

Includes stay references so a macro used by a hundred modules is written once.
"""

from __future__ import annotations

import re
from typing import Any

from iodkit.rulemodel.cited import CITED_SECTIONS
from iodkit.rulemodel.counts import CountOf as CountOfRule
from iodkit.rulemodel.relations import Relations
from iodkit.rulemodel.rows import (
    LAYOUT_VERSION,
    ROW_KINDS,
    AttributeRow,
    ConditionSpec,
    FunctionalGroupRow,
    FunctionalGroupsRow,
    IncludeRow,
    IodHead,
    ItemCountRow,
    ModuleRow,
    OpenRow,
    Row,
    TableHead,
    ValueSetRow,
)
from iodkit.rulemodel.values import Ref, parse_tag

from ..spec.model import (
    AttributeRule,
    CountOf,
    Edition,
    IncludeRule,
    ItemCount,
    NoteRule,
    Rule,
    ValueRelations,
    ValueSet,
)
from .names import snake

RULES_PACKAGE = "rules"
_BULK_VRS = frozenset({"OB", "OD", "OF", "OL", "OV", "OW", "UN"})


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


def _condition(text: str, predicate: Any) -> ConditionSpec:
    if not text or not isinstance(predicate, dict):
        return None
    data = {k: v for k, v in predicate.items() if k not in ("placement", "text", "partly")}
    if not data.get("status"):
        return None
    return (" ".join(str(predicate.get("text") or text).split()), data)


def _value_set(vs: ValueSet) -> ValueSetRow:
    kind = "retired" if vs.retired else vs.kind
    return ValueSetRow(kind, tuple(vs.values), vs.value_index, vs.predicate, vs.condition)


def _item_count(c: ItemCount) -> ItemCountRow:
    condition: ConditionSpec = None
    if c.condition:
        words = f"unless {c.condition}" if c.negated else f"if {c.condition}"
        condition = (words, {"if": c.predicate, "status": c.status or "unparsed"})
    return ItemCountRow(c.minimum, c.maximum, condition, _count_of(c.equals))


def _count_of(c: CountOf | None) -> dict[str, Any] | None:
    """A count another attribute gives, as :class:`iodkit.rulemodel.counts.CountOf` data; None
    when the spec could not say where that attribute is."""
    if c is None or not c.tags:
        return None
    refs = tuple(Ref((parse_tag(t),)) for t in c.tags)
    return CountOfRule(c.of, refs, tuple(c.attributes), c.offset).to_data()


def _relations(v: ValueRelations | None) -> dict[str, Any] | None:
    """Unique, numbered, refers to: :class:`iodkit.rulemodel.relations.Relations` data."""
    if v is None:
        return None
    refers = None
    if v.refers_to and v.refers_within:
        refers = Ref((parse_tag(v.refers_within), parse_tag(v.refers_to)))
    data = Relations(
        v.unique, v.numbered, refers, tuple(v.refers_names), tuple(v.starts)
    ).to_data()
    return data or None


class _Tables:
    """Rows of each table as plain data, with the edition's dictionary at hand."""

    def __init__(self, ed: Edition) -> None:
        self.ed = ed

    def rows(self, rules: list[Rule]) -> tuple[Row, ...]:
        out: list[Row] = []
        for r in rules:
            if isinstance(r, AttributeRule):
                out.append(self.attribute(r))
            elif isinstance(r, IncludeRule):
                if r.placeholder == "functional-groups":
                    out.append(FunctionalGroupsRow("fg"))
                elif r.table in self.ed.tables:
                    cond = _condition(r.condition, r.predicate)
                    out.append(IncludeRow("i", r.table, cond, self.rows(r.nested)))
                else:
                    out.append(OpenRow("open", " ".join(r.text.split())))
            elif isinstance(r, NoteRule) and re.search(r"(?i)\bany\b|\boptionally\b", r.text):
                out.append(OpenRow("open", " ".join(r.text.split())))
        return tuple(out)

    def attribute(self, r: AttributeRule) -> AttributeRow:
        tag, mask = _tag_and_mask(r.tag)
        entry = self.ed.dictionary.get(r.tag)
        vr = entry.vr if entry else ""
        vm = entry.vm if entry else ""
        sequence = vr == "SQ" or bool(r.items)
        return AttributeRow(
            kind="a",
            tag=tag,
            mask=mask,
            type=r.type,
            name=r.name,
            keyword=r.keyword,
            vr=vr,
            vm=vm,
            module_vm=r.module_vm if r.module_vm != vm else "",
            condition=_condition(r.condition, r.predicate),
            value_sets=tuple(_value_set(vs) for vs in r.value_sets),
            items=(
                (*self.rows(r.items), *((OpenRow("open", r.open_items),) if r.open_items else ()))
                if sequence
                else None
            ),
            item_counts=tuple(_item_count(c) for c in r.item_counts) if sequence else (),
            code_groups=code_groups(r) if sequence else (),
            overrides=tuple(r.overrides),
            # the values of bulk VRs are not what a VM counts (Surface Point Color CIELab
            # Value Data: "number of values" means triplets of its OW words)
            value_count=None if vr in _BULK_VRS or sequence else _count_of(r.value_count),
            relations=None if sequence else _relations(r.relations),
        )


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
    return isinstance(v, tuple) and bool(v) and isinstance(v[0], str) and v[0] in ROW_KINDS


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
            head=literal(TableHead(t.id, t.label, t.name, t.kind)),
            rules=literal(tables.rows(t.rules)),
        )
    t_iod = env.get_template("rules_iod.py.j2")
    iod_modules = iod_module_names(ed)
    composite = {k: v for k, v in ed.iods.items() if not v.normalized or k in _media_iods(ed)}
    for iod_id, iod in sorted(composite.items()):
        modules = tuple(
            ModuleRow(m.name, m.ie, m.table, m.usage, _condition(m.condition, m.predicate))
            for m in iod.modules
        )
        groups = tuple(
            FunctionalGroupRow(
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
            head=literal(IodHead(iod.id, iod.name, iod.section)),
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
        layout=LAYOUT_VERSION,
        sop_classes=sorted(sop_classes.items()),
        iods=sorted((k, iod_modules[k]) for k in composite),
        tables=sorted(table_modules.items()),
        lit=literal,
    )
    out[f"{RULES_PACKAGE}/anatomy.py"] = render_anatomy(ed, env, header)
    out[f"{RULES_PACKAGE}/coding_schemes.py"] = render_coding_schemes(ed, env, header)
    out[f"{RULES_PACKAGE}/directory.py"] = render_directory(ed, env, header)
    out[f"{RULES_PACKAGE}/cited.py"] = render_cited(ed, header)
    out[f"{RULES_PACKAGE}/iods/__init__.py"] = f'{header}\n"""Validation rules per IOD."""\n'
    out[f"{RULES_PACKAGE}/tables/__init__.py"] = f'{header}\n"""Validation rules per table."""\n'
    return out


def render_anatomy(ed: Edition, env: Any, header: str) -> str:
    """``rules/anatomy.py``: PS3.16 Annex L as four lookup tables (see the template). A term
    or code whose rows say both paired and unpaired is left out (undecided); a term with
    more than one code has no code."""
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
    term_codes: dict[str, set[tuple[str, str, str]]] = {}
    for b in ed.anatomy:
        if b.term:
            term_codes.setdefault(b.term, set()).add((b.scheme, b.value, b.meaning))
    body_part_codes = {k: next(iter(v)) for k, v in sorted(term_codes.items()) if len(v) == 1}
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
            body_part_codes=_dict_literal(body_part_codes),
        )
    )


def _media_iods(ed: Edition) -> set[str]:
    """IODs that are stored in files though their module table has the layout of a normalized
    IOD (Module, Reference, Usage): the Basic Directory IOD of a DICOMDIR (PS3.3 Annex F), whose
    SOP Class, Media Storage Directory Storage, PS3.4 lists with the storage SOP Classes of
    media (Table I.4-1)."""
    return {sc.iod for sc in ed.sop_classes.values() if sc.source == "table_I.4-1"}


def render_directory(ed: Edition, env: Any, header: str) -> str:
    """``rules/directory.py``: PS3.3 Table F.4-1, the Directory Record Types each Directory
    Entity may hold (see the template)."""
    from ..spec.directory import ROOT

    children = {("" if r.name == ROOT else r.name): tuple(r.children) for r in ed.directory}
    keys = {r.name: r.keys for r in ed.directory if r.keys}
    return str(
        env.get_template("rules_directory.py.j2").render(
            header=header,
            edition=ed.edition,
            children=_dict_literal(children),
            keys=_dict_literal(keys),
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


def render_cited(ed: Edition, header: str) -> str:
    """``rules/cited.py``: for each section the validator checks by hand
    (:data:`iodkit.rulemodel.cited.CITED_SECTIONS`), the tags of the attributes whose
    description cites it ("See Section 10.7.1.3 for further explanation …")."""
    found: dict[str, set[int]] = {s: set() for s in CITED_SECTIONS}
    patterns = {s: re.compile(rf"\b{re.escape(s)}(?![.\d])") for s in CITED_SECTIONS}

    def walk(rules: list[Rule]) -> None:
        for r in rules:
            if isinstance(r, AttributeRule):
                tag = _tag_and_mask(r.tag)
                for s, pattern in patterns.items():
                    if tag[1] == 0xFFFFFFFF and pattern.search(r.description):
                        found[s].add(tag[0])
                walk(r.items)
            elif isinstance(r, IncludeRule):
                walk(r.nested)

    for t in ed.tables.values():
        walk(t.rules)
    lines = [
        header,
        '"""The attributes whose description cites a section the validator checks by hand',
        f'(iodkit.rulemodel.cited), PS3.3 {ed.edition}: section → tags."""',
        "",
        f"EDITION = {literal(ed.edition)}",
        "",
        "CITED: dict[str, tuple[int, ...]] = {",
    ]
    for s, tags in found.items():
        lines.append(f"    {literal(s)}: ({''.join(f'0x{t:08X}, ' for t in sorted(tags))}),")
    lines.append("}")
    return "\n".join(lines) + "\n"


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

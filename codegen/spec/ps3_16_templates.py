"""PS3.16 templates (TIDs) → :class:`~iodkit.codegen.spec.model.Template` with their rows.

A template is a section ``sect_TID_<n>`` holding a variable list of properties (Type, Order,
Root), an optional Parameters table and the template table (Section 6.1). NEMA renders the
2024c chunked XHTML with 410 template tables: 276 on pages of their own, 67 inline in
``chapter_A.html`` and the rest on the ``sect_*Templates.html`` pages of each group; a few table
ids are malformed (``table_TID__1604``), so tables are recognised by their label ("TID 1604")
and placed in their section, never by id.

Three table forms occur (Section 6.1): with NL and "Rel with Parent" (SR templates), with NL
only (Protocol Context) and with neither (Acquisition Context). Columns are found by name.

Each cell is read by the small parsers below; words none of them reads are kept on the row with
a reason from :data:`REASONS` (:class:`~iodkit.codegen.spec.model.TemplateText`), and irregular
words that are read anyway (a typo, a missing quotation mark) are listed as repairs, so nothing
is dropped silently and both can be counted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, cast

from ..sources.model import Cell, Document, Table, TableRef, VariableList
from .model import (
    Code,
    CodeMeaning,
    ContextGroup,
    ParameterBinding,
    Template,
    TemplateParameter,
    TemplateRow,
    TemplateText,
    ValueConstraint,
)
from .template_conditions import parse_template_condition, walk

_TID_SECTION = re.compile(r"^sect_TID_(\d+[A-Z]?)$")
# "TID 1500" (the rendering's label); DocBook without a label attribute gives the id's
# "TID_1500" and "TID_1500_Parameters"
_TID_LABEL = re.compile(r"^TID[\s_]+(\d+[A-Z]?)(?P<parameters>[\s_]+Parameters)?$")

# Why words of a row were kept as written rather than read into the model.
REASONS = {
    "table": "TABLE content constraint (PS3.16 6.1.9.4), kept as words",
    "value": "constraint on the value in words",
    "reference": "constraint on the referenced object or content item in words",
    "words": "explanatory words",
    "not-a-binding": "parameter value on a row that includes no template",
    "undecidable": "condition on facts a dataset does not record",
    "unparsed": "condition the parser does not read",
    "cell": "cell the parser does not read",
}

RELATIONSHIPS = frozenset(
    {
        "CONTAINS",
        "HAS PROPERTIES",
        "HAS CONCEPT MOD",
        "HAS OBS CONTEXT",
        "HAS ACQ CONTEXT",
        "INFERRED FROM",
        "SELECTED FROM",
    }
)
VALUE_TYPES = frozenset(
    {
        "CONTAINER",
        "TEXT",
        "CODE",
        "NUM",
        "NUMERIC",  # Acquisition / Protocol Context templates (Content Item Macro, PS3.3 10.2)
        "DATETIME",
        "DATE",
        "TIME",
        "UIDREF",
        "PNAME",
        "COMPOSITE",
        "IMAGE",
        "WAVEFORM",
        "SCOORD",
        "SCOORD3D",
        "TCOORD",
        "TABLE",
        "INCLUDE",
    }
)
_VM = re.compile(r"^(\d+)(?:-(\d+|n))?$")

# -- coded entries, context groups, templates, parameters (Section 6.1 conventions) ----------
_CODE = re.compile(
    r"""(?:(?P<strength>EV|DT)\s*)?
    \(\s*(?P<value>"[^"]*"|[^,()"]*?)\s*,\s*
    (?P<scheme>[^,\[\]()"]*?)\s*(?:\[\s*(?P<version>[^\]]*?)\s*\])?\s*(?P<comma>,)?\s*
    "(?P<meaning>[^"]*)(?P<close>"\s*\)|\)$|"$)""",
    re.X,
)
_NAME = r"\s*(?:[“\"](?P<name>[^”\"]*)[”\"])?"
_GROUP = re.compile(r"(?P<strength>DCID|BCID|CID)\s*\(?\s*(?P<cid>\d+)\s*\)?" + _NAME)
_TEMPLATE = re.compile(r"(?P<strength>DTID|BTID|TID)\s*\(?\s*(?P<tid>\d+[A-Z]?)\s*\)?" + _NAME)
_MEMBER_OF = re.compile(r"Member\s*Of\s*\{\s*", re.I)
_PARAMETER = re.compile(r"\$\s*(?P<parameter>[A-Za-z][\w-]*)")
_ROW_VALUE = re.compile(r"(?:the\s+)?value\s+of\s+Row\s+(?P<row>\d+[a-z]?\d*)", re.I)
_SEPARATOR = re.compile(r"\s*(?:,|\bor\b|;)\s*", re.I)


def _code(m: re.Match[str]) -> Code:
    value = m.group("value").strip()
    if value.startswith('"') and value.endswith('"'):
        value = value[1:-1]
    return Code(
        m.group("scheme").strip(), value, m.group("meaning").strip(), m.group("version") or ""
    )


def parse_constraints(
    text: str,
) -> tuple[list[ValueConstraint], list[tuple[str, str]]] | None:
    """Read a list of constraints ("DCID 6018 “…”, DCID 6020 “…”", "DT (…) or DT (…)") that
    makes up all of ``text``; None when words are left over. The second item lists repairs:
    (what was irregular, the words), e.g. ("no closing quotation mark", 'EV (…, "Radionuclide)')."""
    parsed = _constraints(text.strip().rstrip(".").strip())
    if parsed is None or parsed[2]:
        return None
    return parsed[0], parsed[1]


def parse_leading_constraints(
    text: str,
) -> tuple[list[ValueConstraint], list[tuple[str, str]], str] | None:
    """Like :func:`parse_constraints`, but words may follow the constraints after a comma or
    a full stop ("UNITS = DT ({1:n}, UCUM, "range: 1:n"), where n is …"); they are returned
    third."""
    return _constraints(text.strip())


_TAIL = re.compile(r"\s*[,.;]\s+(?=[A-Za-z])")


def _constraints(text: str) -> tuple[list[ValueConstraint], list[tuple[str, str]], str] | None:
    out: list[ValueConstraint] = []
    repairs: list[tuple[str, str]] = []  # (what was irregular, the words)
    pos = 0
    while pos < len(text):
        if out:
            tail = _TAIL.match(text, pos)
            sep = _SEPARATOR.match(text, pos)
            if tail and (sep is None or _starts_constraint(text, sep.end()) is False):
                return out, repairs, text[tail.end() :].strip()
            if not sep or sep.end() == pos:
                return (out, repairs, text[pos:].strip()) if out else None
            pos = sep.end()
        member = _MEMBER_OF.match(text, pos)
        if member:
            g = _GROUP.match(text, member.end())
            if not g:
                return None
            close = re.compile(r"\s*\}").match(text, g.end())
            if not close:
                if text[g.end() :].strip():
                    return None
                repairs.append(("no closing brace", text[member.start() :]))
            out.append(
                ValueConstraint(
                    strength=g.group("strength"),
                    cid=int(g.group("cid")),
                    member_of=True,
                    name=(g.group("name") or "").strip(),
                )
            )
            pos = close.end() if close else len(text)
            continue
        m = _CODE.match(text, pos)
        if m:
            if m.group("close") == '"':
                repairs.append(("no closing parenthesis", m.group(0)))
            elif not m.group("close").startswith('"'):
                repairs.append(("no closing quotation mark", m.group(0)))
            if not m.group("comma"):
                repairs.append(("no comma before the code meaning", m.group(0)))
            out.append(ValueConstraint(strength=m.group("strength") or "", code=_code(m)))
            pos = m.end()
            continue
        m = _GROUP.match(text, pos)
        if m:
            out.append(
                ValueConstraint(
                    strength=m.group("strength"),
                    cid=int(m.group("cid")),
                    name=(m.group("name") or "").strip(),
                )
            )
            pos = m.end()
            continue
        m = _TEMPLATE.match(text, pos)
        if m:
            out.append(
                ValueConstraint(
                    strength=m.group("strength"),
                    tid=m.group("tid"),
                    name=(m.group("name") or "").strip(),
                )
            )
            pos = m.end()
            continue
        m = _PARAMETER.match(text, pos)
        if m:
            if m.group(0) != "$" + m.group("parameter"):
                repairs.append(("blank after $", m.group(0)))
            out.append(ValueConstraint(parameter="$" + m.group("parameter")))
            pos = m.end()
            continue
        m = _ROW_VALUE.match(text, pos)
        if m:
            out.append(ValueConstraint(row=m.group("row")))
            pos = m.end()
            continue
        return (out, repairs, text[pos:].strip()) if out else None
    return (out, repairs, "") if out else None


def _starts_constraint(text: str, pos: int) -> bool:
    return any(
        p.match(text, pos) for p in (_MEMBER_OF, _CODE, _GROUP, _TEMPLATE, _PARAMETER, _ROW_VALUE)
    )


# -- the Value Set Constraint column ---------------------------------------------------------
_ROOT = re.compile(r"^Root\s+node$", re.I)
_UNITS = re.compile(r"^(?P<word>UNITS?|Units?)\s*(?P<eq>=)?\s*(?P<rest>.+)$")
_GRAPHIC = re.compile(r"^GRAPHIC\s+TYPE\s*=\s*(?P<not>not\s*)?\{(?P<types>[^}]*)\}\.?$", re.I)
_BINDING = re.compile(r"^(?P<dollar>\$)?\s*(?P<name>[A-Za-z][\w-]*)\s*=\s*(?P<rest>.+)$")
_DEFAULTS = re.compile(r"^Defaults\s+to\s+(?P<rest>.+)$", re.I)
_TABLE_WORDS = re.compile(r"^(?:NCOLUMNS|NROWS|COLUMN\s+\d|ROW\s+\d|CELL\b)", re.I)
_VALUE_WORDS = re.compile(
    r"^(?:Values?\s*(?:=|shall|is)|Up to|Shall be (?:equal|later|taken|computed|derived|a value|"
    r"as defined|the value)|If present, shall be|must be|A string|.*\binteger\b|"
    r"The unit of measure|The value shall)",
    re.I,
)
_REFERENCE_WORDS = re.compile(
    r"\b(?:references?|referenced|SOP Class UID shall|SOP Instances?|Must reference|"
    r"shall reference|Reference shall)\b",
    re.I,
)


def _logical_lines(text: str) -> list[str]:
    """The column's lines, with "… or" / "or" / "…," continuations joined to the next line."""
    out: list[str] = []
    carry = ""
    for raw in text.split("\n"):
        line = raw.strip()
        if not line:
            continue
        if carry:
            line = f"{carry} {line}"
            carry = ""
        elif out and re.match(r"or\b", line, re.I) and len(line) > 2:
            out[-1] = f"{out[-1]} {line}"
            continue
        if re.fullmatch(r"or", line, re.I) and out:
            carry = out.pop() + " or"
            continue
        if re.search(r"(?:\bor|,)$", line):
            carry = line
            continue
        out.append(line)
    if carry:
        out.append(carry)
    return out


def _word_reason(line: str) -> str:
    if _TABLE_WORDS.match(line):
        return REASONS["table"]
    if re.search(r"GRAPHIC\s+TYPE|\bUNITS\b|unit of measure", line, re.I):
        return REASONS["value"]
    if _TABLE_WORDS.match(line):
        return REASONS["table"]
    if _REFERENCE_WORDS.search(line):
        return REASONS["reference"]
    if _VALUE_WORDS.match(line):
        return REASONS["value"]
    return REASONS["words"]


def read_constraint_column(row: TemplateRow, text: str) -> None:
    """Split the Value Set Constraint column into the row's value sets, units, graphic types,
    parameter bindings, root mark and defaults; keep what none of them reads as words."""
    column = "Value Set Constraint"
    row.constraint = text
    last: list[ValueConstraint] | None = None  # where a "Defaults to <value set>" belongs
    for line in _logical_lines(text):
        if _ROOT.match(line):
            row.root = True
            continue
        m = _GRAPHIC.match(line)
        if m:
            row.graphic_types = [
                t.strip().upper() for t in re.split(r",|\bor\b", m.group("types")) if t.strip()
            ]
            row.graphic_types_excluded = bool(m.group("not"))
            continue
        m = _UNITS.match(line)
        if m:
            lead = parse_leading_constraints(m.group("rest"))
            if lead is not None:
                row.units.extend(lead[0])
                row.repairs.extend(TemplateText(column, r[1], r[0]) for r in lead[1])
                if not m.group("eq"):
                    row.repairs.append(TemplateText(column, line, "no = after UNITS"))
                if lead[2]:
                    row.unparsed.append(TemplateText(column, lead[2], _word_reason(lead[2])))
                continue
        m = _BINDING.match(line)
        if m:
            parsed = parse_constraints(m.group("rest"))
            if parsed is not None:
                if row.value_type != "INCLUDE":
                    # "$Preferred = MemberOf {DCID 12301 …}" on a CODE row (TID 5301, 5302):
                    # no template to pass it to; the right-hand side constrains the value
                    row.value_sets.extend(parsed[0])
                    row.repairs.append(
                        TemplateText(
                            column,
                            line,
                            "parameter assignment on a row that includes no "
                            "template: the right-hand side read as the value set",
                        )
                    )
                    last = row.value_sets
                    continue
                binding = ParameterBinding("$" + m.group("name"), parsed[0])
                if not m.group("dollar"):
                    row.repairs.append(TemplateText(column, line, "no $ before the parameter"))
                row.bindings.append(binding)
                row.repairs.extend(TemplateText(column, r[1], r[0]) for r in parsed[1])
                last = binding.values
                continue
        m = _DEFAULTS.match(line)
        if m:
            parsed = parse_constraints(m.group("rest"))
            if parsed is not None and last is not None and any(v.cid for v in parsed[0]):
                for v in parsed[0]:
                    v.default = True
                last.extend(parsed[0])
                continue
            row.defaults.append(line)
            continue
        parsed = parse_constraints(line)
        if parsed is not None:
            row.value_sets.extend(parsed[0])
            row.repairs.extend(TemplateText(column, r[1], r[0]) for r in parsed[1])
            last = row.value_sets
            continue
        row.unparsed.append(TemplateText(column, line, _word_reason(line)))


# -- rows ------------------------------------------------------------------------------------
_COLUMNS = {
    "": "row",
    "nl": "nl",
    "rel with parent": "relationship",
    "vt": "value_type",
    "concept name": "concept",
    "vm": "vm",
    "req type": "requirement",
    "condition": "condition",
    "value set constraint": "constraint",
}


def _column_map(table: Table) -> dict[str, int] | None:
    out: dict[str, int] = {}
    for i, h in enumerate(table.header_texts):
        key = _COLUMNS.get(" ".join(h.split()).lower())
        if key is None or key in out:
            return None
        out[key] = i
    if not {"row", "value_type", "concept", "vm", "requirement"} <= set(out):
        return None
    return out


def read_row(cells: dict[str, Cell], layout: str) -> TemplateRow:
    def text(key: str) -> str:
        cell = cells.get(key)
        return cell.text.strip() if cell is not None else ""

    row = TemplateRow(row=text("row"))
    nl = text("nl")
    if nl:
        if set(nl.replace(" ", "")) == {">"}:
            row.nl = nl.count(">")
        else:
            row.unparsed.append(TemplateText("NL", nl, REASONS["cell"]))
    rel = " ".join(text("relationship").split())
    if rel:
        fixed = re.sub(r"^R\s*-\s*", "R-", rel)
        if fixed != rel:
            row.repairs.append(TemplateText("Rel with Parent", rel, f"read as {fixed}"))
        if fixed.startswith("R-"):
            row.by_reference = True
            fixed = fixed[2:]
        if fixed in RELATIONSHIPS:
            row.relationship = fixed
        else:
            row.by_reference = False
            row.unparsed.append(TemplateText("Rel with Parent", rel, REASONS["cell"]))
    vt = text("value_type")
    if vt in VALUE_TYPES:
        row.value_type = vt
    else:
        row.unparsed.append(TemplateText("VT", vt, REASONS["cell"]))
    concept = text("concept")
    if concept:
        parsed = parse_constraints(concept)
        if parsed is not None and len(parsed[0]) == 1:
            row.concept = parsed[0][0]
            row.repairs.extend(TemplateText("Concept Name", r[1], r[0]) for r in parsed[1])
            if row.concept.code is not None and not row.concept.strength:
                row.repairs.append(
                    TemplateText(
                        "Concept Name",
                        concept,
                        "a coded entry without EV or DT: kept without strength (checked as DT)",
                    )
                )
            if (row.value_type == "INCLUDE") != bool(row.concept.tid):
                row.unparsed.append(TemplateText("Concept Name", concept, REASONS["cell"]))
                row.concept = None
        else:
            row.unparsed.append(TemplateText("Concept Name", concept, REASONS["cell"]))
    vm = text("vm")
    if _VM.match(vm):
        row.vm = vm
    else:
        row.unparsed.append(TemplateText("VM", vm, REASONS["cell"]))
    req = text("requirement")
    if req in ("M", "MC", "U", "UC"):
        row.requirement = req
    else:
        row.unparsed.append(TemplateText("Req Type", req, REASONS["cell"]))
    row.condition = text("condition")
    read_constraint_column(row, text("constraint"))
    return row


def vm_bounds(vm: str) -> tuple[int, int | None]:
    """ "1" → (1, 1); "1-n" → (1, None); "2-4" → (2, 4)."""
    m = _VM.match(vm)
    if not m:
        return 1, None
    low = int(m.group(1))
    high = m.group(2)
    if high is None:
        return low, low
    return low, None if high == "n" else int(high)


# -- templates -------------------------------------------------------------------------------
def _properties(blocks: Iterable[object]) -> dict[str, str]:
    out: dict[str, str] = {}
    for b in blocks:
        if isinstance(b, VariableList) and not b.title:
            for e in b.entries:
                out[e.term.rstrip(":").strip().lower()] = e.definition_text.strip().lower()
    return out


def _parameters(table: Table) -> list[TemplateParameter]:
    out: list[TemplateParameter] = []
    for line in table.grid():
        name = line[0].text.strip() if line else ""
        if not name.startswith("$"):
            continue  # a header row written as a body row ("Parameter Name")
        usage = line[1].text.strip() if len(line) > 1 else ""
        out.append(TemplateParameter(name, usage))
    return out


def extract_templates(doc: Document) -> tuple[dict[str, Template], list[str]]:
    """Every template section of PS3.16 with its properties, parameters and rows."""
    out: dict[str, Template] = {}
    problems: list[str] = []
    where = f"PS3.16 {doc.edition}"
    for sec in doc.sections.values():
        m = _TID_SECTION.match(sec.id)
        if not m:
            continue
        tid = m.group(1)
        title = re.sub(r"^TID\s+\S+\s*", "", sec.title)
        tpl = Template(tid, title, sec.id, retired="(Retired)" in title)
        props = _properties(sec.blocks)
        if "type" in props:
            tpl.extensible = not props["type"].startswith("non")
        if "order" in props:
            tpl.order_significant = not props["order"].startswith("non")
        tpl.root = props.get("root") == "yes"
        for b in sec.blocks:
            if not isinstance(b, TableRef) or b.table_id not in doc.tables:
                continue
            table = doc.tables[b.table_id]
            lm = _TID_LABEL.match(table.label)
            if not lm:
                continue
            if lm.group(1) != tid:
                problems.append(
                    f"{where}: {table.source}: {table.id} is labelled {table.label} "
                    f"in the section of TID {tid}"
                )
                continue
            if lm.group("parameters") or table.caption.strip().lower() == "parameters":
                tpl.parameters_table = table.id
                tpl.parameters = _parameters(table)
                continue
            columns = _column_map(table)
            if columns is None:
                problems.append(
                    f"{where}: {table.source}: {table.id}: unknown template columns "
                    f"{list(table.header_texts)!r}"
                )
                continue
            tpl.table = table.id
            tpl.layout = (
                ""
                if "relationship" in columns
                else "protocol"
                if "nl" in columns
                else "acquisition"
            )
            for line in table.grid():
                cells = {k: line[i] for k, i in columns.items() if i < len(line)}
                tpl.rows.append(read_row(cells, tpl.layout))
        if not tpl.table and not tpl.retired:
            problems.append(f"{where}: {sec.source}: {sec.id}: no template table")
        attach_conditions(tpl)
        out[tid] = tpl
    problems.extend(check_includes(out, where))
    return dict(sorted(out.items(), key=lambda kv: tid_key(kv[0]))), problems


def attach_conditions(tpl: Template) -> None:
    """Parse each row's Condition; a condition whose every test is a fact no dataset records
    ("IFF anatomy has laterality") or that the parser does not read is kept as words with the
    reason, and has no predicate."""
    labels = [r.row for r in tpl.rows]
    for row in tpl.rows:
        if not row.condition:
            continue
        parsed = parse_template_condition(row.condition, labels, row.row)
        if parsed.clauses is not None and not all(_only_unknown(c) for c in parsed.clauses):
            row.predicate = parsed.clauses
            continue
        reason = parsed.reason or "undecidable"
        row.unparsed.append(TemplateText("Condition", row.condition, REASONS[reason]))


def _only_unknown(clause: dict[str, Any]) -> bool:
    if "xor" in clause or "at_least_one" in clause or "at_least" in clause:
        return False
    leaves = [n for n in walk(clause) if not ({"and", "or", "not"} & n.keys())]
    leaves = [n for n in leaves if not ({"if", "iff", "only_if"} & n.keys())]
    return all("unknown" in n for n in leaves)


def tid_key(tid: str) -> tuple[int, str]:
    """Sort key: numeric, then the letter of "10003A"."""
    m = re.match(r"(\d+)(.*)", tid)
    return (int(m.group(1)), m.group(2)) if m else (0, tid)


def check_includes(templates: dict[str, Template], where: str) -> list[str]:
    """Problems for INCLUDE rows naming no template of the edition, and for parameters bound
    that the included template does not declare."""
    problems: list[str] = []
    for tpl in templates.values():
        for row in tpl.rows:
            if row.value_type != "INCLUDE" or row.concept is None:
                continue
            target = templates.get(row.concept.tid)
            if target is None:
                problems.append(
                    f"{where}: TID {tpl.tid} row {row.row} includes TID {row.concept.tid}, "
                    "which the edition does not define"
                )
                continue
            declared = {p.name for p in target.parameters}
            for b in row.bindings:
                if b.parameter not in declared:
                    problems.append(
                        f"{where}: TID {tpl.tid} row {row.row} binds {b.parameter}, which "
                        f"TID {target.tid} does not declare"
                    )
    return problems


# -- DCM code meanings -----------------------------------------------------------------------
def template_codes(tpl: Template) -> Iterable[tuple[Code, str]]:
    """Every coded entry a template's rows name (concept names, value sets, units, bindings),
    with the row it is on."""
    for row in tpl.rows:
        where = f"TID {tpl.tid} row {row.row}"
        constraints = [row.concept, *row.value_sets, *row.units]
        constraints += [v for b in row.bindings for v in b.values]
        for c in constraints:
            if c is not None and c.code is not None:
                yield c.code, where


def dcm_meanings(
    templates: dict[str, Template], groups: dict[int, ContextGroup]
) -> dict[str, CodeMeaning]:
    """Code Meanings of the DCM codes the templates use (PS3.16 Annex D is not in the 2024c
    chunked rendering): from the first context group listing the code, else pydicom's concept
    dictionary, else the template row itself; each says where it came from."""
    from_groups: dict[str, CodeMeaning] = {}
    for cid in sorted(groups):
        for c in groups[cid].codes:
            if c.scheme == "DCM" and c.value not in from_groups:
                from_groups[c.value] = CodeMeaning(c.value, c.meaning, f"CID {cid}")
    pydicom_meanings, pydicom_version = _pydicom_dcm()
    out: dict[str, CodeMeaning] = {}
    for tid in sorted(templates, key=tid_key):
        for code, where in template_codes(templates[tid]):
            if code.scheme != "DCM" or not code.value or code.value in out:
                continue
            if code.value in from_groups:
                out[code.value] = from_groups[code.value]
            elif code.value in pydicom_meanings:
                out[code.value] = CodeMeaning(
                    code.value, pydicom_meanings[code.value], f"pydicom {pydicom_version}"
                )
            else:
                out[code.value] = CodeMeaning(code.value, code.meaning, where)
    return dict(sorted(out.items(), key=lambda kv: (len(kv[0]), kv[0])))


def _pydicom_dcm() -> tuple[dict[str, str], str]:
    try:
        import pydicom
        from pydicom.sr._concepts_dict import concepts
    except ImportError:  # pragma: no cover - pydicom is a dependency
        return {}, ""
    out: dict[str, str] = {}
    dcm = cast(dict[str, dict[str, tuple[str, list[int]]]], concepts.get("DCM", {}))
    for entry in dcm.values():
        for value, (meaning, _cids) in entry.items():
            out.setdefault(value, meaning)
    return out, pydicom.__version__

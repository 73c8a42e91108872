"""Spec → template builders: one module per PS3.16 template (``iodkit.templates.tid1500``).

This pass makes every decision about the generated template builders; ``template.py.j2``
lays them out and :mod:`iodkit.sr.template` gives them their behaviour. The passes:

1. the rows of each template become a tree by their nesting level (">" marks);
2. each row gets a Python name from the standard's words — its EV/DT concept's meaning
   ("Image Region" → ``image_region``), the included template's name, the parameter
   (``$QualType`` → ``qual_type``), the context group, else its value type — made unique
   among its siblings by the value type, then by the row label;
3. a row with children, or whose concept name is the user's to give, gets a nested builder
   class; a template of one top row (not an INCLUDE) is that row's builder;
4. the row's constraints become runtime data (:class:`iodkit.sr.template.Row`): EV/DT codes
   as :class:`~iodkit.codes.Code` s, DCID/BCID as ``ValueSet``, ``$Parameter`` as ``Param``,
   INCLUDEs as a lazy "module:Class" reference with their bindings;
5. typed ``__init__`` arguments and docstrings citing "PS3.16 <edition> TID n, row k".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .names import class_name, snake

PACKAGE = "iodkit.templates"

_ANNOTATIONS = {
    "CODE": "CodeLike",  # iodkit's, pydicom's or highdicom's code (iodkit.codes.as_code)
    "NUM": "Numeric | tuple[float, CodeLike]",
    "NUMERIC": "Numeric | tuple[float, CodeLike]",
    "TEXT": "str",
    "UIDREF": "str",
    "PNAME": "str",
    "DATE": "str | datetime.date",
    "TIME": "str | datetime.time",
    "DATETIME": "str | datetime.datetime",
    "IMAGE": "Reference | Dataset",
    "COMPOSITE": "Reference | Dataset",
    "WAVEFORM": "Reference | Dataset",
    "SCOORD": "Scoord",
    "SCOORD3D": "Scoord3D",
    "TCOORD": "Tcoord",
    "CONTAINER": 'Literal["SEPARATE", "CONTINUOUS"]',
    "TABLE": "Any",
}
_RESERVED = frozenset(
    "value concept_name content item where fail check_bindings row_count row_values "
    "row_concepts".split()
)


@dataclass
class ArgDef:
    name: str
    annotation: str
    required: bool
    doc: str


@dataclass
class RowDef:
    label: str
    name: str
    expr: str  # the Row(...) expression
    doc: str


@dataclass
class NodeDef:
    """A builder class: a template, or a row with children / an open concept name."""

    name: str
    qualname: str
    doc: str
    row: RowDef | None
    rows: list[RowDef] = field(default_factory=list)
    args: list[ArgDef] = field(default_factory=list)
    nested: list[NodeDef] = field(default_factory=list)
    template_root: bool = False


@dataclass
class TemplateDef:
    tid: str
    module: str  # "tid1500"
    node: NodeDef
    imports: list[str] = field(default_factory=list)  # template modules used in annotations
    uses: dict[str, bool] = field(default_factory=dict)
    code: str = ""  # the generated expressions and annotations (what the imports serve)


def module_name(tid: str) -> str:
    return "tid" + tid.lower()


def _code_expr(code: Any) -> str:
    args = [repr(code.value), repr(code.scheme), repr(code.meaning)]
    if getattr(code, "version", ""):
        args.append(repr(code.version))
    return "Code(" + ", ".join(_q(a) for a in args) + ")"


def _q(text: str) -> str:
    """Double quotes, as the rest of the generated code."""
    if text.startswith("'") and '"' not in text:
        return '"' + text[1:-1].replace("\\'", "'") + '"'
    return text


def _one(vc: Any, concept: bool = False) -> str | None:
    if vc.code is not None and (vc.strength in ("EV", "") or concept):
        return _code_expr(vc.code)  # a DT concept name is the builder's default name
    if vc.code is not None and vc.strength == "DT":
        return f'ValueSet("DT", code={_code_expr(vc.code)})'
    if vc.cid is not None and not vc.member_of:
        kind = "DCID" if vc.strength in ("DCID", "CID") else "BCID"
        return f"ValueSet({_q(repr(kind))}, {vc.cid}, {_q(repr(vc.name))})"
    if vc.parameter:
        return f"Param({_q(repr(vc.parameter.lstrip('$')))})"
    return None


def constraint_expr(values: list[Any]) -> str:
    """Runtime constraint for a list of spec constraints; words it cannot use leave it open."""
    if not values:
        return "None"
    found = [_one(v) for v in values if not v.default]
    parts = [p for p in found if p is not None]
    if not parts or len(parts) != len(found):
        return "None"
    return parts[0] if len(parts) == 1 else "(" + ", ".join(parts) + ",)"


def describe(vc: Any) -> str:
    if vc is None:
        return ""
    if vc.code is not None:
        c = vc.code
        return f'{vc.strength + " " if vc.strength else ""}({c.value}, {c.scheme}, "{c.meaning}")'
    if vc.cid is not None:
        return f"{vc.strength} {vc.cid} “{vc.name}”".strip()
    if vc.tid:
        return f"{vc.strength} {vc.tid} “{vc.name}”".strip()
    if vc.parameter:
        return vc.parameter
    if vc.row:
        return f"value of Row {vc.row}"
    return ""


def _vm(vm: str) -> tuple[int, int | None]:
    m = re.fullmatch(r"(\d+)(?:-(\d+|n))?", vm.strip())
    if not m:
        return (1, None)
    low = int(m.group(1))
    high = m.group(2)
    return (low, low if high is None else (None if high == "n" else int(high)))


def predicate_expr(row: Any) -> str:
    """The row's parsed condition (the spec's list of clauses, plain data) as a Python
    literal for :mod:`iodkit.sr.conditions`; "None" when the words were not parsed."""
    clauses = row.predicate
    if not clauses or not isinstance(clauses, list):
        return "None"
    from .render import _pyrepr

    return _pyrepr(tuple(_frozen(c) for c in clauses))


def _frozen(value: Any) -> Any:
    """Lists as tuples (so the generated data is immutable); dicts keep their keys' order."""
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, dict):
        return {k: _frozen(v) for k, v in value.items()}
    return value


class TemplatePlanner:
    def __init__(self, ed: Any) -> None:
        self.ed = ed
        self.templates = ed.templates
        self.source = f"PS3.16 {ed.edition}"

    def plan(self) -> list[TemplateDef]:
        return [self.template(t) for _, t in sorted(self.templates.items(), key=_tid_key)]

    # -- names ------------------------------------------------------------------------------
    def class_of(self, tid: str) -> str:
        t = self.templates.get(tid)
        return class_name(t.name) if t is not None else f"TID{tid}"

    def _base_name(self, row: Any) -> str:
        c = row.concept
        if row.value_type == "INCLUDE" and c is not None and c.tid:
            t = self.templates.get(c.tid)
            return snake(t.name if t is not None else c.name or f"tid {c.tid}")
        if c is not None:
            if c.code is not None:
                return snake(c.code.meaning.replace("'", ""))
            if c.parameter:
                return snake(c.parameter.lstrip("$"))
            if c.cid is not None and c.name:
                return snake(c.name)
        rel = snake(row.relationship) + "_" if row.relationship else ""
        return f"{rel}{snake(row.value_type)}" if row.value_type else f"row_{row.row}"

    def _names(self, rows: list[Any]) -> list[str]:
        """Sibling rows named alike are told apart by value type and by "R-" (by reference)
        where that suffices, else by their row label (a few tables repeat a label: then by
        position too). One name per row, in order."""
        base = [self._base_name(r) for r in rows]
        groups: dict[str, list[int]] = {}
        for i, name in enumerate(base):
            groups.setdefault(name, []).append(i)
        out = [""] * len(rows)
        for name, members in groups.items():
            keys = [(rows[i].value_type, rows[i].by_reference) for i in members]
            types = [vt for vt, _ in keys]
            if len(members) == 1 and name not in _RESERVED:
                out[members[0]] = name
            elif len(set(keys)) == len(keys):
                for i in members:
                    r = rows[i]
                    suffix = f"_{snake(r.value_type)}" if len(set(types)) > 1 else ""
                    if name in _RESERVED and not suffix:
                        suffix = f"_{snake(r.value_type)}"
                    out[i] = name + suffix + ("_by_reference" if r.by_reference else "")
            else:
                for k, i in enumerate(members):
                    out[i] = (
                        name if k == 0 and name not in _RESERVED else f"{name}_row{rows[i].row}"
                    )
        seen: dict[str, int] = {}
        for i, name in enumerate(out):  # repeated row labels: number what is left alike
            seen[name] = seen.get(name, 0) + 1
            if seen[name] > 1:
                out[i] = f"{name}_{seen[name]}"
        return out

    # -- rows -------------------------------------------------------------------------------
    def template(self, t: Any) -> TemplateDef:
        tdef = TemplateDef(t.tid, module_name(t.tid), NodeDef("", "", "", None))
        self._imports: set[str] = set()
        self._module = tdef.module
        self._code: list[str] = []
        self._uses = {"datetime": False, "dataset": False, "literal": False, "any": False}
        children = _tree(t.rows)
        top = children[None]
        cls = self.class_of(t.tid)
        if len(top) == 1 and top[0].value_type != "INCLUDE":
            node = self.node(t, cls, cls, top[0], children.get(id(top[0]), []), children)
            node.template_root = top[0].value_type == "CONTAINER"
        else:
            node = self.node(t, cls, cls, None, top, children)
        node.doc = self.template_doc(t) + ("\n\n" + node.doc if node.doc else "")
        tdef.node = node
        tdef.imports = sorted(self._imports - {tdef.module})
        tdef.uses = self._uses
        tdef.code = "\n".join([*self._code, *(a.annotation for a in _all_args(node))])
        return tdef

    def node(
        self,
        t: Any,
        name: str,
        qualname: str,
        row: Any,
        rows: list[Any],
        children: dict[int | None, list[Any]],
    ) -> NodeDef:
        names = self._names(rows)
        node = NodeDef(name, qualname, "", self.row_def(t, row, "value", None) if row else None)
        if row is not None:
            if _open_name(row):
                node.args.append(
                    ArgDef(
                        "concept_name",
                        "CodeLike",
                        _name_required(row),
                        f"the concept name of row {row.row}: {describe(row.concept) or 'any'}",
                    )
                )
            if row.value_type not in ("CONTAINER", "INCLUDE"):
                node.args.append(
                    ArgDef(
                        "value",
                        self._annotation(row.value_type),
                        True,
                        f"the value of row {row.row} ({row.value_type})",
                    )
                )
            node.doc = f"Row {row.row} of {self.source} TID {t.tid}: {self.summary(row)}."
        for r, name in zip(rows, names, strict=True):
            nested: NodeDef | None = None
            kids = children.get(id(r), [])
            if r.value_type != "INCLUDE" and not r.by_reference and (kids or _name_required(r)):
                cname = class_name(name.replace("_", " "))
                if cname in qualname.split("."):  # a row named as its template: no shadowing
                    cname += "Row"
                nested = self.node(t, cname, f"{qualname}.{cname}", r, kids, children)
                node.nested.append(nested)
            rd = self.row_def(t, r, name, nested.name if nested else None)
            node.rows.append(rd)
            ann = self._arg_annotation(r, nested)
            self._code.append(ann)
            node.args.append(ArgDef(name, ann, _required(r), rd.doc))
        return node

    def _annotation(self, vt: str) -> str:
        ann = _ANNOTATIONS.get(vt, "Any")
        self._uses["datetime"] |= "datetime." in ann
        self._uses["dataset"] |= "Dataset" in ann
        self._uses["literal"] |= "Literal" in ann
        self._uses["any"] |= "Any" in ann
        return ann

    def _arg_annotation(self, r: Any, nested: NodeDef | None) -> str:
        if r.value_type == "INCLUDE" and r.concept is not None and r.concept.tid:
            mod = module_name(r.concept.tid)
            if mod == self._module:  # a template that includes itself (TID 4006 → 4006)
                one = self.class_of(r.concept.tid)
            else:
                self._imports.add(mod)
                one = f"{mod}.{self.class_of(r.concept.tid)}"
        elif nested is not None:
            one = nested.qualname
            if _fixed(r) and r.value_type not in ("CONTAINER", "INCLUDE"):
                one += " | " + self._annotation(r.value_type)  # a bare value: children left out
        else:
            one = self._annotation(r.value_type)
        if r.by_reference:
            one = "TemplateNode | ContentItem"
        return f"Sequence[{one}]" if _vm(r.vm)[1] != 1 else one

    def row_def(self, t: Any, r: Any, name: str, builder: str | None) -> RowDef:
        vt = "NUM" if r.value_type == "NUMERIC" else r.value_type
        args = [f"{_q(repr(r.row))}", f"{_q(repr(name))}", f"{_q(repr(vt))}"]
        kw: list[str] = []
        if r.relationship:
            kw.append(f"relationship={_q(repr(r.relationship))}")
        if r.by_reference:
            kw.append("by_reference=True")
        c = r.concept
        if vt == "INCLUDE" and c is not None and c.tid:
            mod = module_name(c.tid)
            kw.append(f'include="{PACKAGE}.{mod}:{self.class_of(c.tid)}"')
            if r.bindings:
                merged: dict[str, list[Any]] = {}
                for b in r.bindings:  # a parameter bound twice gets both values
                    merged.setdefault(b.parameter.lstrip("$"), []).extend(b.values)
                pairs = ", ".join(
                    f"{_q(repr(name))}: {constraint_expr(values)}"
                    for name, values in merged.items()
                )
                kw.append(f"bindings={{{pairs}}}")
        elif c is not None:
            expr = _one(c, concept=True) or "None"
            if expr != "None":
                kw.append(f"concept={expr}")
            if _fixed(r):
                kw.append("concept_fixed=True")
        if r.vm.strip() not in ("", "1"):
            kw.append(f"vm={_vm(r.vm)!r}")
        if r.requirement and r.requirement != "U":
            kw.append(f"requirement={_q(repr(r.requirement))}")
        if r.condition:
            kw.append(f"condition={_q(repr(r.condition))}")
        pred = predicate_expr(r)
        if pred != "None":
            kw.append(f"predicate={pred}")
        if vt != "INCLUDE":
            values = constraint_expr(r.value_sets)
            if values != "None" and vt in ("CODE",):
                kw.append(f"values={values}")
            units = constraint_expr(r.units)
            if units != "None":
                kw.append(f"units={units}")
        if r.graphic_types:
            key = "not_graphic_types" if r.graphic_types_excluded else "graphic_types"
            kw.append(f"{key}={tuple(r.graphic_types)!r}".replace("'", '"'))
        if builder:
            kw.append(f"builder={_q(repr(builder))}")
        expr = "Row(" + ", ".join(args + kw) + ")"
        self._code.append(expr)
        return RowDef(
            r.row, name, expr, f"{self.source} TID {t.tid}, row {r.row}: {self.summary(r)}."
        )

    def summary(self, r: Any) -> str:
        parts = [
            p
            for p in (
                r.relationship and ("R-" if r.by_reference else "") + r.relationship,
                r.value_type,
                describe(r.concept),
            )
            if p
        ]
        text = " ".join(parts) + f"; VM {r.vm or '1'}; {r.requirement or 'U'}"
        if r.condition:
            text += f" ({r.condition})"
        constraint = " ".join(r.constraint.split())
        if constraint:
            text += f"; {constraint}"
        return text.rstrip(".")

    def template_doc(self, t: Any) -> str:
        props = []
        if t.extensible is not None:
            props.append("Extensible" if t.extensible else "Non-extensible")
        if t.order_significant is not None:
            props.append("order significant" if t.order_significant else "order not significant")
        if t.root:
            props.append("root template")
        doc = f"TID {t.tid} {t.name} — {self.source} TID {t.tid}."
        if props:
            doc += "\n\n" + ", ".join(props) + "."
        if t.parameters:
            doc += (
                "\n\nParameters (bound by the INCLUDE row that includes this template): "
                + "; ".join(f"{p.name}: {p.usage}" for p in t.parameters)
                + "."
            )
        return doc


def _fixed(row: Any) -> bool:
    c = row.concept
    return c is not None and c.code is not None and c.strength in ("EV", "DT")


# PS3.3 C.17.3 Concept Name Code Sequence is required for these value types (and for the
# containers templates name); references and coordinates may go unnamed (the same set as
# iodkit.sr.template's, which checks it at run time)
_NAME_REQUIRED = frozenset(
    "TEXT NUM NUMERIC CODE DATETIME DATE TIME UIDREF PNAME CONTAINER".split()
)


def _open_name(row: Any) -> bool:
    """The user gives this row's concept name (required or optional)."""
    return not _fixed(row)


def _name_required(row: Any) -> bool:
    return not _fixed(row) and row.value_type in _NAME_REQUIRED


def _required(row: Any) -> bool:
    return row.requirement == "M" and not row.predicate and _vm(row.vm)[0] >= 1


def _all_args(node: NodeDef) -> list[ArgDef]:
    return [*node.args, *(a for inner in node.nested for a in _all_args(inner))]


def _tree(rows: list[Any]) -> dict[int | None, list[Any]]:
    """Children of each row (by ``id``: a few tables repeat a label) by nesting level (None:
    the template's top rows)."""
    out: dict[int | None, list[Any]] = {None: []}
    stack: list[Any] = []
    for r in rows:
        while stack and stack[-1].nl >= r.nl:
            stack.pop()
        parent = id(stack[-1]) if stack and r.nl > 0 else None
        out.setdefault(parent, []).append(r)
        stack.append(r)
    return out


def _tid_key(item: tuple[str, Any]) -> tuple[int, str]:
    m = re.match(r"(\d+)(.*)", item[0])
    return (int(m.group(1)), m.group(2)) if m else (0, item[0])


# -- rendering ---------------------------------------------------------------------------------
def _args_doc(node: NodeDef) -> str:
    from .render import _docstring

    lines = ["Arguments (checked as they are given; see :mod:`iodkit.sr.template`):", ""]
    for a in node.args:
        lines.append(f"{a.name}: {a.doc}")
    return _docstring("\n".join(lines), 8)


_RUNTIME_NAMES = {
    "iodkit.codes": ("Code", "CodeLike"),
    "iodkit.sr.content": ("ContentItem", "Numeric", "Reference", "Scoord", "Scoord3D", "Tcoord"),
    "iodkit.sr.template": ("Row", "TemplateNode"),
    "iodkit.sr.valuesets": ("Param", "ValueSet"),
}


def _import_block(tdef: TemplateDef) -> str:
    """Exactly the imports the generated expressions and annotations use (ruff checks
    generated code too; docstrings are not searched)."""
    # every class is a TemplateNode and every __init__ takes **_: Any; string literals in the
    # rows (concept meanings, conditions) are no use of a name
    body = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'', '""', tdef.code)
    body += "\nTemplateNode"
    lines: list[str] = []
    if "datetime." in body:
        lines.append("import datetime")
    if "Sequence[" in body:
        lines.append("from collections.abc import Sequence")
    needs = {
        "TYPE_CHECKING": any(re.search(rf"\b{m}\.", body) for m in tdef.imports),
        "Any": bool(re.search(r"\bAny\b", body)),
        "Literal": "Literal[" in body,
    }
    typing = [n for n, used in needs.items() if used]
    if typing:
        lines.append(f"from typing import {', '.join(typing)}")
    if re.search(r"\bDataset\b", body):
        lines += ["", "from pydicom.dataset import Dataset"]
    lines.append("")
    for module, names in _RUNTIME_NAMES.items():
        used = [n for n in names if re.search(rf"(?<![\w.]){n}\b", body)]
        if used:
            lines.append(f"from {module} import {', '.join(used)}")
    used = [m for m in tdef.imports if re.search(rf"\b{m}\.", body)]
    if used:
        lines += ["", "if TYPE_CHECKING:"]
        lines += [f"    from {PACKAGE} import {m}" for m in used]
    return "\n".join(lines)


def render_templates(ed: Any, env: Any, head: str) -> dict[str, str]:
    """``templates/tidNNNN.py`` for every template of the edition, and the package index."""
    env.filters["args_doc"] = _args_doc
    tmpl = env.get_template("template.py.j2")
    planner = TemplatePlanner(ed)
    out: dict[str, str] = {}
    entries: list[tuple[str, str, str]] = []
    for tdef in planner.plan():
        t = ed.templates[tdef.tid]
        context = dict(
            t=tdef,
            source=f"{planner.source} TID {tdef.tid}",
            header=head,
            doc=f"TID {tdef.tid} {t.name} — {planner.source}.",
        )
        out[f"templates/{tdef.module}.py"] = tmpl.render(imports=_import_block(tdef), **context)
        entries.append((tdef.tid, tdef.module, tdef.node.name))
    index = [
        head,
        f'"""Template builders of PS3.16 {ed.edition}, one module per template: '
        "``from iodkit.templates import tid1500``.\n\n"
        "Generated into ``generated/templates/`` and installed as ``iodkit.templates``; see "
        ':mod:`iodkit.sr.template` for how the builders behave."""',
        "",
        "from __future__ import annotations",
        "",
        "import importlib",
        "from typing import Any",
        "",
        "#: TID → (module, builder class)",
        "TEMPLATES: dict[str, tuple[str, str]] = {",
        *(f'    "{tid}": ("{mod}", "{cls}"),' for tid, mod, cls in entries),
        "}",
        "",
        "",
        "def template_class(tid: str | int) -> Any:",
        '    """The builder class of template ``tid`` ("1500", 1410, "10003A")."""',
        "    key = str(tid).upper()",
        "    if key not in TEMPLATES:",
        '        raise KeyError(f"TID {tid} is not a template of the generated edition")',
        "    module, name = TEMPLATES[key]",
        '    return getattr(importlib.import_module(f"{__name__}.{module}"), name)',
        "",
    ]
    out["templates/__init__.py"] = "\n".join(index)
    return out

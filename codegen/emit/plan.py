"""Spec → render model: which classes, in which files, with which attributes and bases.

This pass makes every decision about the generated code (names, files, inheritance, item
types, Python types, docstrings); the Jinja templates only lay the result out. The passes:

1. name every attribute table's class and file (:func:`plan_tables`);
2. per table, turn rules into a class: top-level includes become base classes, attribute rows
   become :class:`AttrDef` s, sequences get item classes (or reuse the included macro's class
   when an item is exactly one macro);
3. check each class's bases linearise (C3); bases that would not are flattened instead;
4. IODs compose module classes; multi-frame IODs get a functional-groups item class made of
   their functional group macros;
5. context groups become code tables.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field

from ..spec.model import (
    AttributeRule,
    AttributeTable,
    ContextGroup,
    Edition,
    IncludeRule,
    Iod,
    Rule,
)
from .names import class_name, constant_name, snake, unique

PACKAGE = "iodkit.generated"

# VR → (annotation for one value)
_ANNOTATION = {
    **dict.fromkeys("AE AS CS LO LT SH ST UC UT UR UI".split(), "str"),
    **dict.fromkeys("IS SS US SL UL SV UV AT".split(), "int"),
    **dict.fromkeys("DS FL FD".split(), "float"),
    **dict.fromkeys("OB OW OD OF OL OV UN".split(), "bytes"),
    "PN": "PersonName | str",
    "DA": "datetime.date | str",
    "TM": "datetime.time | str",
    "DT": "datetime.datetime | str",
    "US or SS": "int",
    "OB or OW": "bytes",
    "US or OW": "int | bytes",
    "US or SS or OW": "int | bytes",
}


@dataclass
class AttrDef:
    name: str
    tag: int
    keyword: str
    vr: str
    vm: str
    type: str
    annotation: str
    doc: str
    enum: tuple[str, ...] | None = None
    enum_by_value: dict[int, tuple[str, ...]] | None = None
    item_class: ClassDef | None = None  # the item's class, to order definitions
    # the descriptor class: "Attr", or for a sequence with an item class "SequenceAttr" (takes
    # items, Datasets and dicts) or "CodeSequenceAttr" (items holding the Code Sequence Macro:
    # also codes)
    kind: str = "Attr"


@dataclass
class ClassDef:
    name: str
    module: str  # python module (file) that defines it, relative to iodkit.generated
    kind: str  # "ModuleBuilder" | "ItemBuilder"
    doc: str
    table: str  # "PS3.3 2024c Table C.8.20-2"
    bases: list[ClassDef] = field(default_factory=list)
    attrs: list[AttrDef] = field(default_factory=list)
    order: list[int] = field(default_factory=list)
    # tags brought in by conditional includes ("if and only if Value Type is NUM"): their Type 2
    # attributes are not written empty by default, since the include may not apply
    conditional: list[int] = field(default_factory=list)
    params: list[AttrDef] = field(default_factory=list)  # typed __init__ (all attributes)
    # tags whose attribute here narrows a base's (an included sequence extended with more rows:
    # its item class is a subclass of the base's), which a type checker sees as an override
    narrowed: set[int] = field(default_factory=set)
    source_table: str = ""  # spec table id for table classes; "" for items
    flattened: list[ClassDef] = field(default_factory=list)  # bases copied in (see fix_bases)

    @property
    def qualname(self) -> str:
        return f"{PACKAGE}.{self.module}:{self.name}"


@dataclass
class FileDef:
    module: str  # "modules.segmentation_image_module"
    classes: list[ClassDef] = field(default_factory=list)
    doc: str = ""


@dataclass
class ModuleRef:
    attr: str
    cls: ClassDef
    ie: str
    usage: str
    condition: str
    name: str


@dataclass
class IodDef:
    name: str
    module: str
    iod: Iod
    doc: str
    modules: list[ModuleRef] = field(default_factory=list)
    functional_groups: ClassDef | None = None
    fg_macros: list[tuple[str, ClassDef]] = field(default_factory=list)
    sop_class_uids: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class CodeDef:
    constant: str
    value: str
    scheme: str
    meaning: str


@dataclass
class CodeTableDef:
    module: str  # "codes.cid7150"
    group: ContextGroup
    codes: list[CodeDef]


@dataclass
class Plan:
    edition: str
    files: dict[str, FileDef] = field(default_factory=dict)
    table_classes: dict[str, ClassDef] = field(default_factory=dict)  # spec table id → class
    iods: list[IodDef] = field(default_factory=list)
    code_tables: list[CodeTableDef] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # attributes not emitted, and why


def table_ref(edition: str, t: AttributeTable) -> str:
    return f"PS3.3 {edition} Table {t.label}"


def annotation_in(a: AttrDef, module: str) -> str:
    """The attribute's annotation as written in ``module``: item classes of other files are
    named through their module (``code_sequence_macro.CodeSequenceMacro``),
    since item class names are unique only within their file."""
    if a.item_class is not None and a.item_class.module != module:
        return f"list[{a.item_class.module.rsplit('.', 1)[-1]}.{a.item_class.name}]"
    return a.annotation


#: Code Value, Coding Scheme Designator, Code Meaning: an item class holding them takes codes.
CODE_ITEM_TAGS = frozenset({0x00080100, 0x00080102, 0x00080104})


def item_ref(a: AttrDef, module: str) -> str:
    """The item class of a sequence attribute as named in ``module`` (see annotation_in)."""
    assert a.item_class is not None
    if a.item_class.module != module:
        return f"{a.item_class.module.rsplit('.', 1)[-1]}.{a.item_class.name}"
    return a.item_class.name


def descriptor_in(a: AttrDef, module: str) -> str:
    """The class attribute's annotation: ``Attr[int]``, ``SequenceAttr[Item]``, …"""
    if a.kind == "Attr":
        return f"Attr[{annotation_in(a, module)}]"
    return f"{a.kind}[{item_ref(a, module)}]"


def parameter_in(a: AttrDef, module: str) -> str:
    """The ``__init__`` parameter's annotation: what assignment accepts, EMPTY and None."""
    if a.kind == "Attr":
        return f"{annotation_in(a, module)} | Empty | None"
    alias = "CodeItems" if a.kind == "CodeSequenceAttr" else "Items"
    return f"{alias}[{item_ref(a, module)}] | Empty | None"


def _quote(text: str) -> str:
    r = repr(text)
    return '"' + r[1:-1].replace("\\'", "'") + '"' if '"' not in text else r


def _tag_int(tag: str) -> int:
    return int(tag[1:5] + tag[6:10], 16)


def _doc_first_paragraph(text: str, limit: int = 600) -> str:
    first = text.split("\n")[0].strip()
    if len(first) > limit:
        first = first[: limit - 1].rsplit(" ", 1)[0] + " …"
    return first


def _wrap(text: str, indent: str = "") -> str:
    return "\n".join(
        textwrap.fill(
            p,
            96,
            initial_indent=indent,
            subsequent_indent=indent,
            break_long_words=False,
            break_on_hyphens=False,
        )
        for p in text.split("\n")
        if p.strip()
    )


class Planner:
    def __init__(self, ed: Edition) -> None:
        self.ed = ed
        self.plan = Plan(ed.edition)
        self.global_names: set[str] = set()
        self.file_names: dict[str, set[str]] = {}

    # -- entry ------------------------------------------------------------------------------
    def run(self) -> Plan:
        # 1. names for every table class, in a stable order (by table id)
        modules: set[str] = set()
        for tid in sorted(self.ed.tables):
            t = self.ed.tables[tid]
            name = unique(class_name(t.name), self.global_names, class_name(t.label))
            module = unique(
                f"modules.{snake(name if name != class_name(t.name) else t.name)}", modules, "_"
            )
            cls = ClassDef(
                name=name,
                module=module,
                kind="ModuleBuilder",
                doc="",
                table=table_ref(self.ed.edition, t),
                source_table=tid,
            )
            self.plan.table_classes[tid] = cls
            self.plan.files[module] = FileDef(
                module, doc=f"{t.name} — {table_ref(self.ed.edition, t)}."
            )
            self.file_names[module] = {name}
        # 2. fill each table class
        for tid in sorted(self.ed.tables):
            self.fill_table(tid)
        # 3. linearisation check; then sequences that several bases define get the union item
        for cls in list(self.all_classes()):
            self.fix_bases(cls)
        done: set[int] = set()
        for cls in list(self.all_classes()):
            self.merge_reused_items(cls, done)
        for cls in self.all_classes():
            self.set_kinds(cls)
        for cls in self.all_classes():
            self.compute_params(cls)
            self.find_narrowed(cls)
        # 4. IODs
        taken: set[str] = set()
        for iid in sorted(self.ed.iods):
            iod = self.ed.iods[iid]
            self.plan.iods.append(self.plan_iod(iod, taken))
        # 5. code tables
        for cid in sorted(self.ed.context_groups):
            self.plan.code_tables.append(self.plan_codes(self.ed.context_groups[cid]))
        return self.plan

    def all_classes(self) -> Iterator[ClassDef]:
        for f in self.plan.files.values():
            yield from f.classes

    # -- tables -----------------------------------------------------------------------------
    def fill_table(self, tid: str) -> None:
        t = self.ed.tables[tid]
        cls = self.plan.table_classes[tid]
        file = self.plan.files[cls.module]
        includes = [r for r in t.rules if isinstance(r, IncludeRule)]
        inc_text = ", ".join(
            f"{self.ed.tables[r.table].name} (Table {self.ed.tables[r.table].label})"
            for r in includes
            if r.table in self.ed.tables
        )
        cls.doc = f"{t.name}.\n\n{cls.table} (Section {self.section_label(t.section)})."
        if t.kind == "other":
            where = self.section_label(t.section)
            cls.doc = f"{t.name} (attribute table).\n\n{cls.table} (Section {where})."
        if inc_text:
            cls.doc += f"\n\nIncludes {inc_text}."
        self.fill_class(cls, t.rules, file, t)
        file.classes.append(cls)

    def section_label(self, section_id: str) -> str:
        return section_id.removeprefix("sect_").removeprefix("chapter_")

    def fill_class(
        self, cls: ClassDef, rules: list[Rule], file: FileDef, t: AttributeTable
    ) -> None:
        """Bases from includes, attributes from rows, items for sequences; ``order`` is the
        standard's order of every attribute the class has (its own and its bases')."""
        order: list[int] = []
        for rule in rules:
            if isinstance(rule, IncludeRule):
                if not rule.table or rule.table not in self.plan.table_classes:
                    continue
                base = self.plan.table_classes[rule.table]
                if base is cls or rule.table == cls.source_table:
                    continue
                if base not in cls.bases:
                    cls.bases.append(base)
                tags = self.table_order(rule.table)
                order.extend(tags)
                if rule.condition:
                    cls.conditional.extend(t for t in tags if t not in cls.conditional)
                if rule.nested:
                    self.extend_included_sequence(cls, rule, file, t)
            elif isinstance(rule, AttributeRule):
                a = self.attr(cls, rule, file, t)
                if a is None:
                    continue
                cls.attrs = [x for x in cls.attrs if x.tag != a.tag] + [a]
                order.append(a.tag)
        seen: set[int] = set()
        cls.order = [x for x in order if not (x in seen or seen.add(x))]  # type: ignore[func-returns-value]

    def table_order(self, tid: str, stack: frozenset[str] = frozenset()) -> list[int]:
        if tid in stack:
            return []
        out: list[int] = []
        for rule in self.ed.tables[tid].rules:
            if isinstance(rule, AttributeRule):
                if rule.keyword and "x" not in rule.tag:
                    out.append(_tag_int(rule.tag))
            elif isinstance(rule, IncludeRule) and rule.table in self.ed.tables:
                out.extend(self.table_order(rule.table, stack | {tid}))
        return out

    def extend_included_sequence(
        self, cls: ClassDef, rule: IncludeRule, file: FileDef, t: AttributeTable
    ) -> None:
        """Rows nested under an include extend the included table's last sequence: override
        that sequence here with an item class that adds them (see IncludeRule.nested)."""
        inc = self.ed.tables[rule.table]
        seq = next(
            (r for r in reversed(inc.rules) if isinstance(r, AttributeRule) and r.items), None
        )
        if seq is None or not seq.keyword:
            self.plan.skipped.append(
                f"{t.id}: rows nested under include of {rule.table} have no sequence to extend"
            )
            return
        base_attr = self.attr(cls, seq, file, t, build_items=False)
        if base_attr is None:
            return
        # the included table's own item class for that sequence, built when that table is filled
        name = unique(f"{seq.keyword}Item", self.file_names[file.module], f"In{cls.name}")
        item = ClassDef(
            name=name,
            module=file.module,
            kind="ItemBuilder",
            doc=f"Item of {seq.name} {seq.tag} as extended by {t.name} ({cls.table}).",
            table=cls.table,
        )
        # the included sequence's own item rules, then the rows this table nests under them
        self.fill_class(item, [*seq.items, *rule.nested], file, t)
        file.classes.append(item)
        base_attr.item_class = item
        base_attr.annotation = f"list[{item.name}]"
        cls.attrs = [x for x in cls.attrs if x.tag != base_attr.tag] + [base_attr]

    def attr(
        self,
        owner: ClassDef,
        rule: AttributeRule,
        file: FileDef,
        t: AttributeTable,
        build_items: bool = True,
    ) -> AttrDef | None:
        if "x" in rule.tag:
            self.plan.skipped.append(
                f"{t.id}: {rule.name} {rule.tag}: repeating group, not emitted"
            )
            return None
        entry = self.ed.dictionary.get(rule.tag)
        if entry is None or not rule.keyword:
            self.plan.skipped.append(f"{t.id}: {rule.name} {rule.tag}: not in any dictionary")
            return None
        vr, vm = entry.vr, entry.vm
        if vr in ("", "See Note"):
            self.plan.skipped.append(f"{t.id}: {rule.name} {rule.tag}: no VR in the dictionary")
            return None
        name = snake(rule.keyword)
        enum, enum_by_value = self.enums(rule, vr)
        base = _ANNOTATION.get(vr, "object")
        multi = vm != "1" and vr != "SQ"
        if enum is not None and base == "str":
            base = "Literal[" + ", ".join(_quote(v) for v in enum) + "]"
        item_class: ClassDef | None = None
        if vr == "SQ" and build_items:
            item_class = self.item_for(owner, rule, file, t)
        if vr == "SQ":
            annotation = f"list[{item_class.name}]" if item_class else "list[Dataset]"
        else:
            annotation = f"list[{base}]" if multi else base
        return AttrDef(
            name=name,
            tag=_tag_int(rule.tag),
            keyword=rule.keyword,
            vr=vr,
            vm=vm,
            type=rule.type,
            annotation=annotation,
            doc=self.attr_doc(rule, vr, vm),
            enum=enum,
            enum_by_value=enum_by_value,
            item_class=item_class,
        )

    def enums(
        self, rule: AttributeRule, vr: str
    ) -> tuple[tuple[str, ...] | None, dict[int, tuple[str, ...]] | None]:
        """Enumerated Values the builder enforces at assignment: the unconditional lists, and
        only where a value's text can be compared (string VRs, or integers written in decimal).
        Conditional lists ("if Segmentation Type is BINARY") are the validator's: with no
        unconditional list nothing is enforced here; beside one (Segmentation Type's BINARY,
        FRACTIONAL, LABELMAP and its lists per SOP Class) they only narrow it."""
        sets = [
            v
            for v in rule.value_sets
            if v.kind == "enumerated" and not getattr(v, "retired", False)
        ]
        if not sets or all(v.condition for v in sets):
            return None, None
        sets = [v for v in sets if not v.condition]
        comparable = vr in ("CS", "SH", "LO", "AE", "UI", "AS") or (
            vr in ("US", "SS", "UL", "SL", "IS", "US or SS")
            and all(x.lstrip("-").isdigit() for v in sets for x in v.values)
        )
        if not comparable:
            return None, None
        plain = [v for v in sets if v.value_index is None]
        indexed = [v for v in sets if v.value_index is not None]
        enum = tuple(dict.fromkeys(x for v in plain for x in v.values)) if plain else None
        by_value: dict[int, tuple[str, ...]] = {}
        for v in indexed:
            assert v.value_index is not None
            by_value[v.value_index] = tuple(
                dict.fromkeys([*by_value.get(v.value_index, ()), *v.values])
            )
        if enum is not None and indexed:
            return None, None  # mixed forms: leave it to the validator
        return enum, (by_value or None)

    def attr_doc(self, rule: AttributeRule, vr: str, vm: str) -> str:
        head = f"{rule.name} {rule.tag}: Type {rule.type or '-'}, VR {vr}, VM {vm}.\n"
        parts = [head]
        first = _doc_first_paragraph(rule.description)
        if first and not first.startswith(("Enumerated Values", "Defined Terms")):
            parts.append(first)
        if rule.condition and rule.condition not in first:
            parts.append(rule.condition)
        for vs in rule.value_sets:
            label = "Enumerated Values" if vs.kind == "enumerated" else "Defined Terms"
            if getattr(vs, "retired", False):
                label = "Retired " + label
            if vs.value_index:
                label += f" for Value {vs.value_index}"
            if vs.condition:
                lead = vs.condition.split(" ", 1)[0].lower()
                label += (
                    f" {vs.condition}"
                    if lead in ("for", "of", "if", "when")
                    else f" if {vs.condition}"
                )
            vals = ", ".join(vs.values)
            if len(vals) > 400:
                vals = vals[:400].rsplit(",", 1)[0] + ", …"
            parts.append(f"{label}: {vals}.")
        for cg in rule.context_groups:
            parts.append(f"{cg.strength.capitalize()} CID {cg.cid}.")
        return "\n".join(parts)

    def item_for(
        self, owner: ClassDef, rule: AttributeRule, file: FileDef, t: AttributeTable
    ) -> ClassDef | None:
        """The item class of a sequence: the included macro's class when the item is exactly
        one include, else a new item class in this file (None: the items are not described)."""
        items = rule.items
        if not items:
            return None
        if len(items) == 1 and isinstance(items[0], IncludeRule) and not items[0].nested:
            inc = items[0]
            # how the item class is named in this file (directly or lazily) is render's choice
            return self.plan.table_classes.get(inc.table)
        name = unique(f"{rule.keyword}Item", self.file_names[file.module], f"In{owner.name}")
        item = ClassDef(
            name=name,
            module=file.module,
            kind="ItemBuilder",
            doc=f"Item of {rule.name} {rule.tag} in {t.name} ({owner.table}).",
            table=owner.table,
        )
        self.fill_class(item, items, file, t)
        file.classes.append(item)
        return item

    # -- inheritance ------------------------------------------------------------------------
    def fix_bases(self, cls: ClassDef) -> None:
        """Drop bases whose MRO would not linearise (and bases that would make the class inherit
        from itself); their attributes are then copied as the class's own."""
        while True:
            if _c3(cls) is not None:
                return
            bad = cls.bases.pop()
            cls.flattened.append(bad)
            for a in self.flat_attrs(bad):
                if all(x.tag != a.tag for x in cls.attrs):
                    cls.attrs.append(a)
            for t in self.all_conditional(bad):
                if t not in cls.conditional:
                    cls.conditional.append(t)
            self.plan.skipped.append(f"{cls.name}: base {bad.name} flattened (MRO)")

    def sequence_definitions(
        self, cls: ClassDef, seen: frozenset[int] = frozenset()
    ) -> dict[int, list[AttrDef]]:
        """Every definition of each sequence a class has, from its own rows and from all its
        bases (flattened ones included), deepest first: tag → AttrDefs with an item class."""
        if id(cls) in seen:
            return {}
        out: dict[int, list[AttrDef]] = {}
        # flattened bases were taken from the end of the list: reversed, the standard's order
        for b in [*cls.bases, *reversed(cls.flattened)]:
            for tag, defs in self.sequence_definitions(b, seen | {id(cls)}).items():
                out.setdefault(tag, []).extend(d for d in defs if d not in out[tag])
        for a in cls.attrs:
            if a.item_class is not None and a not in out.get(a.tag, []):
                out.setdefault(a.tag, []).append(a)
        return out

    def merge_reused_items(self, cls: ClassDef, done: set[int]) -> None:
        """A sequence that several included macros define with different items (PS3.3 Table
        C.17-5 includes the Composite Object, Image and Waveform Reference Macros, each with its
        Referenced SOP Sequence (0008,1199)) gets an item class inheriting all of them, so the
        item accepts whatever each macro allows; the first or last definition alone would refuse
        the others' attributes and drop them on a read → write round trip."""
        if id(cls) in done:
            return
        done.add(id(cls))
        for b in [*cls.bases, *cls.flattened]:
            self.merge_reused_items(b, done)
        file = self.plan.files[cls.module]
        for tag, defs in self.sequence_definitions(cls).items():
            items: list[ClassDef] = []
            for d in defs:
                assert d.item_class is not None
                if d.item_class not in items:
                    items.append(d.item_class)
            # an item class that another one already inherits adds nothing
            items = [c for c in items if not any(o is not c and self.inherits(o, c) for o in items)]
            first = defs[-1]
            if len(items) == 1:
                # the class may still hold a definition copied from a flattened base before
                # that base's item was merged: point it at the item that covers them all
                have = next((a for a in self.flat_attrs(cls) if a.tag == tag), None)
                if have is not None and have.item_class is not items[0]:
                    attr = AttrDef(**{**vars(have), "item_class": items[0]})
                    attr.annotation = f"list[{items[0].name}]"
                    cls.attrs = [x for x in cls.attrs if x.tag != tag] + [attr]
                continue
            name = unique(f"{first.keyword}Item", self.file_names[cls.module], f"In{cls.name}")
            merged = ClassDef(
                name=name,
                module=cls.module,
                kind="ItemBuilder",
                doc=(
                    f"Item of {first.keyword} ({tag >> 16:04X},{tag & 0xFFFF:04X}) in "
                    f"{cls.name}: the items of "
                    + ", ".join(c.table for c in items)
                    + " together (each included macro defines the sequence)."
                ),
                table=cls.table,
                bases=list(items),
            )
            for c in items:
                merged.order.extend(t for t in c.order if t not in merged.order)
            self.fix_bases(merged)
            file.classes.append(merged)
            attr = AttrDef(**{**vars(first), "item_class": merged})
            attr.annotation = f"list[{merged.name}]"
            cls.attrs = [x for x in cls.attrs if x.tag != tag] + [attr]
            if tag not in cls.order:
                cls.order.append(tag)

    def inherits(self, cls: ClassDef, base: ClassDef, seen: frozenset[int] = frozenset()) -> bool:
        if id(cls) in seen:
            return False
        return any(
            b is base or self.inherits(b, base, seen | {id(cls)})
            for b in [*cls.bases, *cls.flattened]
        )

    def all_conditional(self, cls: ClassDef, seen: frozenset[int] = frozenset()) -> list[int]:
        if id(cls) in seen:
            return []
        out = list(cls.conditional)
        for b in cls.bases:
            out.extend(t for t in self.all_conditional(b, seen | {id(cls)}) if t not in out)
        return out

    def flat_attrs(self, cls: ClassDef, seen: frozenset[int] = frozenset()) -> list[AttrDef]:
        if id(cls) in seen:
            return []
        out: dict[int, AttrDef] = {}
        for b in cls.bases:
            for a in self.flat_attrs(b, seen | {id(cls)}):
                out[a.tag] = a
        for a in cls.attrs:
            out[a.tag] = a
        return list(out.values())

    def compute_params(self, cls: ClassDef) -> None:
        attrs = {a.tag: a for a in self.flat_attrs(cls)}
        rank = {t: i for i, t in enumerate(cls.order)}
        ordered = sorted(attrs.values(), key=lambda a: rank.get(a.tag, len(rank)))
        names: set[str] = set()
        cls.params = []
        for a in ordered:
            if a.name in names:
                continue
            names.add(a.name)
            cls.params.append(a)

    def set_kinds(self, cls: ClassDef) -> None:
        """Sequences with an item class get a sequence descriptor; a code one when the item
        holds Code Value, Coding Scheme Designator and Code Meaning."""
        for a in cls.attrs:
            if a.item_class is None:
                continue
            tags = {x.tag for x in self.flat_attrs(a.item_class)}
            a.kind = "CodeSequenceAttr" if CODE_ITEM_TAGS <= tags else "SequenceAttr"

    def find_narrowed(self, cls: ClassDef) -> None:
        inherited = {a.tag: a for b in cls.bases for a in self.flat_attrs(b)}
        cls.narrowed = {
            a.tag
            for a in cls.attrs
            if a.tag in inherited
            and (
                inherited[a.tag].annotation != a.annotation
                or inherited[a.tag].item_class is not a.item_class
            )
        }

    # -- IODs -------------------------------------------------------------------------------
    def plan_iod(self, iod: Iod, taken: set[str]) -> IodDef:
        name = unique(class_name(iod.name) + "IOD", taken)
        module = f"iods.{snake(iod.name)}"
        sops = [
            (uid, self.ed.sop_classes[uid].name)
            for uid in iod.sop_classes
            if uid in self.ed.sop_classes
        ]
        sop_text = "; ".join(f"{n} ({u})" for u, n in sops) or "none in PS3.4"
        doc = (
            f"{iod.name} IOD.\n\nPS3.3 {self.ed.edition} Table {iod.id.removeprefix('table_')} "
            f"(Section {self.section_label(iod.section)}). SOP Classes: {sop_text}."
        )
        d = IodDef(name=name, module=module, iod=iod, doc=doc, sop_class_uids=sops)
        attrs: set[str] = set()
        for m in iod.modules:
            cls = self.plan.table_classes.get(m.table)
            if cls is None:
                self.plan.skipped.append(f"{iod.id}: module {m.name} has no table")
                continue
            attr = unique(snake(m.name), attrs)
            d.modules.append(ModuleRef(attr, cls, m.ie, m.usage, m.condition, m.name))
        if iod.functional_groups:
            fg_bases: list[ClassDef] = []
            for fg in iod.functional_groups:
                cls = self.plan.table_classes.get(fg.table)
                if cls is None:
                    continue
                d.fg_macros.append((fg.name, cls))
                if cls not in fg_bases:
                    fg_bases.append(cls)
            fg_label = iod.functional_groups_table.removeprefix("table_")
            fg_cls = ClassDef(
                name=f"{class_name(iod.name)}FunctionalGroups",
                module=module,
                kind="ItemBuilder",
                doc=(
                    f"An item of the Shared or Per-Frame Functional Groups Sequence of the "
                    f"{iod.name} IOD: the functional group macros of PS3.3 {self.ed.edition} "
                    f"Table {iod.functional_groups_table.removeprefix('table_')}."
                ),
                table=f"PS3.3 {self.ed.edition} Table {fg_label}",
                bases=fg_bases,
            )
            for b in fg_bases:
                fg_cls.order.extend(b.order)
            # Which functional groups an item holds is decided per item (shared or per-frame,
            # each macro's own usage), so no macro's Type 2 attributes are written by default.
            fg_cls.conditional = list(dict.fromkeys(fg_cls.order))
            self.fix_bases(fg_cls)
            self.compute_params(fg_cls)
            d.functional_groups = fg_cls
        return d

    # -- codes ------------------------------------------------------------------------------
    def plan_codes(self, g: ContextGroup) -> CodeTableDef:
        taken: set[str] = {"GROUP", "CID", "CODES"}
        codes = []
        for c in g.codes:
            const = unique(
                constant_name(c.meaning) or constant_name(c.value),
                taken,
                "_" + constant_name(c.value).lstrip("_"),
            )
            codes.append(CodeDef(const, c.value, c.scheme, c.meaning))
        return CodeTableDef(module=f"codes.cid{g.cid}", group=g, codes=codes)


def _c3(
    cls: ClassDef, memo: dict[int, list[int]] | None = None, stack: frozenset[int] = frozenset()
) -> list[int] | None:
    """C3 linearisation of the generated class graph (ids), or None when it does not exist."""
    memo = {} if memo is None else memo
    key = id(cls)
    if key in memo:
        return memo[key]
    if key in stack:
        return None
    seqs: list[list[int]] = []
    for b in cls.bases:
        lin = _c3(b, memo, stack | {key})
        if lin is None:
            return None
        seqs.append(list(lin))
    seqs.append([id(b) for b in cls.bases])
    out = [key]
    while True:
        seqs = [s for s in seqs if s]
        if not seqs:
            break
        for s in seqs:
            head = s[0]
            if not any(head in other[1:] for other in seqs):
                break
        else:
            return None
        out.append(head)
        for s in seqs:
            if s and s[0] == head:
                s.pop(0)
    memo[key] = out
    return out


def make_plan(ed: Edition) -> Plan:
    return Planner(ed).run()

"""The spec: one edition of the standard as plain dataclasses.

Everything the generator and the validator need, in the standard's own vocabulary and words, each
object remembering where in the standard it came from (part, table or section id). The spec is
format-blind (it does not know whether it was read from DocBook or XHTML) and dumps to YAML
deterministically (see :mod:`iodkit.codegen.spec.yamlio`), so a new edition is a readable diff.

Conditions are stored as the standard's text (``condition``); the parsed, executable form
(``predicate``) is filled in by :mod:`iodkit.codegen.spec.conditions` when the parser can.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Usage = Literal["M", "C", "U"]
AttributeType = Literal["1", "1C", "2", "2C", "3", ""]  # "" for normalized (DIMSE-N) tables


@dataclass
class ValueSet:
    """Enumerated Values (kind "enumerated") or Defined Terms ("defined") of an attribute.

    ``condition`` keeps the words after "if"/"when" when the standard qualifies the list (e.g.
    "Segmentation Type (0062,0001) is BINARY"), or the "for …" phrase when the list covers only
    part of the value or some cases ("for Bit 0 (lsb)", "for CT"): a list with a condition is
    never a constraint on the whole value. ``value_index`` is set for lists that apply to one
    value of a multi-valued attribute ("Value 1"); ``retired`` for "Retired Defined Terms";
    ``source`` is the table or section id the list was read from (the attribute's own cell, or
    a section its description links to).
    """

    kind: Literal["enumerated", "defined"]
    values: list[str]
    condition: str = ""
    value_index: int | None = None
    source: str = ""
    retired: bool = False
    predicate: Any = None  # parsed form of ``condition`` (plain data), or None when not parsed


@dataclass
class ContextGroupRef:
    """A context group an attribute or macro inclusion is constrained to.

    ``strength`` follows PS3.16 "Conventions": baseline (BCID), defined (DCID) or enumerated
    (CID alone: the codes shall be drawn from the group).
    """

    cid: int
    strength: Literal["baseline", "defined", "enumerated"]


@dataclass
class CountOf:
    """A number another attribute gives, which a sequence's items or an attribute's values
    shall match, as the words say: the value of an attribute ("shall equal the value of Number
    of Control Points (300A,0110)", "the same as the number of frames": Number of Frames),
    the items of a sequence ("… the same as the number of Items in the Radiation Dose
    Identification Sequence (300A,0618)") or the values of an attribute ("The same number of
    values as Numeric Value (0040,A30A) shall be present").

    ``of``: "value", "items" or "values"; ``attributes``: the names as written ("Number of
    frames" for "the number of frames"), alternatives in order ("Samples per Pixel Used
    (0028,0003) if present, or otherwise … Samples per Pixel (0028,0002)": the first present
    counts); ``tags``: theirs, from the words or the edition's dictionary; ``offset``: added
    to the number ("one less than the number of Items in …": -1)."""

    of: Literal["value", "items", "values"]
    attributes: list[str]
    tags: list[str] = field(default_factory=list)
    offset: int = 0


@dataclass
class ValueRelations:
    """What the words say a value has to do with other values of the same instance
    (:mod:`iodkit.codegen.spec.relations`): ``unique`` among the items of its sequence
    ("sequence"; a sequence's tag when the words name it) or in the instance ("instance");
    ``numbered`` 1, 2, 3 … in item order ("shall start at 1 and increase monotonically by 1");
    ``refers_to`` the tag of the attribute whose values it names, held in the items of the
    sequence ``refers_within`` ("… described in Segment Sequence (0062,0002) by reference to
    Segment Number (0062,0004)"), ``refers_names`` their names; ``words`` the sentences read."""

    unique: str = ""
    numbered: bool = False
    # the first values a numbering may start at: [1] as the words say; a supplement overlay may
    # widen it (Supplement 243: a label map's background segment 0)
    starts: list[int] = field(default_factory=lambda: [1])
    refers_to: str = ""
    refers_within: str = ""
    refers_names: list[str] = field(default_factory=list)
    words: list[str] = field(default_factory=list)


@dataclass
class ItemCount:
    """How many items a sequence shall have, as its description says ("Only a single Item shall
    be included in this Sequence"), and when: ``condition`` keeps the qualifying clause in the
    standard's words ("Dose Summation Type (3004,000A) is MULTI_PLAN"), ``negated`` when the
    count holds *unless* it does ("Only a single Item …, unless …, in which case two or more
    Items …" is two counts: one negated, one not). ``predicate`` is the clause parsed (plain
    data), ``status`` as for any condition. ``maximum`` None: no upper bound."""

    minimum: int
    maximum: int | None = None
    condition: str = ""
    negated: bool = False
    predicate: Any = None
    status: str = ""
    # as many items as another attribute says (``minimum`` 0, ``maximum`` None then)
    equals: CountOf | None = None


@dataclass
class AttributeRule:
    """One attribute row of a module or macro table, with its nested items for sequences."""

    name: str
    tag: str  # "(0062,0001)"; repeating groups keep the standard's "xx": "(60xx,0010)"
    type: AttributeType
    description: str = ""
    condition: str = ""  # the condition sentences, in the standard's words
    predicate: Any = None  # parsed form of ``condition`` (plain data), or None when not parsed
    otherwise: str = ""  # "may" when "may be present otherwise", "shall-not", "" unknown
    value_sets: list[ValueSet] = field(default_factory=list)
    context_groups: list[ContextGroupRef] = field(default_factory=list)
    # the module's own VM where its words narrow the dictionary's ("1" for "Only a single value
    # shall be present."); "" when they say nothing
    module_vm: str = ""
    item_counts: list[ItemCount] = field(default_factory=list)  # of a sequence's items
    # as many values as another attribute says ("The number of values is equal to the number
    # of Items of the Dimension Index Sequence")
    value_count: CountOf | None = None
    # the words saying a sequence's items hold attributes its table does not list ("Contains
    # all of the Standard and Private Attributes that are present in all of the converted
    # Classic images …"): any attribute may be in them; "" otherwise
    open_items: str = ""
    relations: ValueRelations | None = None  # unique, numbered 1, 2, 3 …, refers to another
    # other modules whose rule for the same attribute this row replaces, by name ("General
    # Series Module"): "This type definition shall override the definition in …"
    overrides: list[str] = field(default_factory=list)
    items: list[Rule] = field(default_factory=list)  # content of a sequence's items
    source: str = ""  # table id of the row
    keyword: str = ""  # from the dictionary; "" when the tag is not in any dictionary

    @property
    def is_sequence(self) -> bool:
        return bool(self.items) or self.name.endswith("Sequence")


@dataclass
class IncludeRule:
    """An "Include Table …" row: the rules of another table inserted at this place.

    ``qualifier`` keeps the rest of the row's words ("if and only if …", "Defined Context ID is
    CID 7151", …); ``condition``/``predicate`` hold the part that makes the inclusion
    conditional.
    """

    table: str  # the included table's id; "" for the placeholders below
    text: str = ""  # the include cell's text, e.g. "Include Table 10-12 “Content Identification…”"
    qualifier: str = ""
    condition: str = ""
    predicate: Any = None
    context_groups: list[ContextGroupRef] = field(default_factory=list)
    # Rows nested one level deeper right after the include: they extend the items of the
    # included table's last sequence (e.g. Table C.18.4-1 adds ">Referenced Frame Number" to the
    # Referenced SOP Sequence that Table C.18.3-1 brings).
    nested: list[Rule] = field(default_factory=list)
    # "functional-groups": "Include one or more Functional Group Macros …" (the IOD's
    # functional group table says which); "unlinked": an include the standard names in words only.
    placeholder: str = ""
    source: str = ""


@dataclass
class NoteRule:
    """A row that says something other than an attribute (e.g. "Any Attribute from … may be
    present"), kept so nothing of the table is lost."""

    text: str
    source: str = ""


Rule = AttributeRule | IncludeRule | NoteRule


@dataclass
class AttributeTable:
    """A module, macro or other attribute table of PS3.3.

    ``kind`` is "module" (caption ends "Module Attributes"), "macro" ("Macro Attributes") or
    "other" (any other table with the attribute columns that something includes).
    """

    id: str  # "table_C.8.20-2"
    label: str  # "C.8.20-2"
    name: str  # "Segmentation Image Module" (the caption without "Attributes")
    kind: Literal["module", "macro", "other"]
    section: str  # id of the section holding the table
    rules: list[Rule] = field(default_factory=list)
    has_type_column: bool = True
    description: str = ""


@dataclass
class IodModule:
    """One row of an IOD's module table."""

    ie: str
    name: str  # "Segmentation Image"
    reference: str  # the section the row links to ("sect_C.8.20.2")
    table: str  # the module's attribute table id ("table_C.8.20-2"); "" when unresolved
    usage: Usage
    condition: str = ""  # usage text after "C - " in the standard's words
    predicate: Any = None


@dataclass
class FunctionalGroup:
    """One row of a multi-frame IOD's functional group macro table."""

    name: str  # "Pixel Measures"
    reference: str  # section id
    table: str  # the macro's attribute table id
    usage: Usage
    condition: str = ""
    predicate: Any = None


@dataclass
class Iod:
    id: str  # the IOD's module table id ("table_A.51-1")
    name: str  # "Segmentation"
    section: str  # the IOD's section ("sect_A.51")
    modules: list[IodModule] = field(default_factory=list)
    functional_groups: list[FunctionalGroup] = field(default_factory=list)
    functional_groups_table: str = ""
    sop_classes: list[str] = field(default_factory=list)  # SOP Class UIDs from PS3.4
    normalized: bool = False  # a DIMSE-N IOD (Annex B) without IEs and usage


@dataclass
class SopClass:
    uid: str
    name: str
    iod_reference: str  # the PS3.3 section id PS3.4 names ("sect_A.51")
    iod: str  # the IOD's module table id, "" when unresolved
    source: str  # PS3.4 table id
    iod_name: str = ""  # the IOD as PS3.4 names it ("Segmentation IOD")


@dataclass
class DictionaryEntry:
    tag: str  # "(0062,0001)"
    name: str
    keyword: str
    vr: str
    vm: str
    retired: bool = False
    source: str = ""  # "PS3.6 table_6-1" or "pydicom 3.0.2 (PS3.6 chapter 6 missing)"


@dataclass
class Uid:
    value: str
    name: str
    keyword: str
    type: str  # "SOP Class", "Transfer Syntax", ...
    part: str = ""  # the part of the standard that defines it
    retired: bool = False


@dataclass
class Code:
    scheme: str
    value: str
    meaning: str
    version: str = ""  # Coding Scheme Version when the standard gives one: (CV, CSD [CSV], "CM")


@dataclass
class ContextGroup:
    cid: int
    name: str
    keyword: str = ""
    uid: str = ""
    extensible: bool = True
    version: str = ""
    codes: list[Code] = field(default_factory=list)
    includes: list[int] = field(default_factory=list)  # CIDs included by reference
    retired: bool = False
    section: str = ""


@dataclass
class BodyPart:
    """One anatomic concept of PS3.16 Annex L "Correspondence of Anatomic Region Codes and Body
    Part Examined Defined Terms": its code, the Body Part Examined (0018,0015) Defined Term for
    it (Tables L-1 to L-3; "" for a concept only Table L-5 lists), and whether it is a paired
    structure (Table L-5 "Pairedness of Anatomic Concepts"; None when Table L-5 does not list it).

    ``paired_by`` says how the Table L-5 row was found: by "code and meaning", by "code" (one
    row for the code), or by "meaning" (Table L-5 lists the same concept under a newer code:
    Chest, Thorax and Intra-thoracic are 43799004 in Table L-1 and 816094009 in Table L-5).
    """

    scheme: str
    value: str
    meaning: str
    term: str = ""
    paired: bool | None = None
    paired_by: str = ""
    source: str = ""  # table id of the row ("table_L-1" …, or "table_L-5")


@dataclass
class CodingScheme:
    """One row of PS3.16 Table 8-1 "Coding Schemes": a Coding Scheme Designator (0008,0102)
    the standard defines for use in DICOM, with the coding scheme's UID (0008,010C; "" where
    the table gives none), name (0008,0115), responsible organization (0008,0116) and the
    table's description.

    ``version_required``: the description says Coding Scheme Version (0008,0103) is required
    (BI-RADS, "BI"): for that scheme the designator alone does not identify a code
    unambiguously (PS3.3 Section 8.2, Table 8.8-1a). For the others the designator names the
    scheme "as a whole as currently published by the responsible organization".
    ``deprecated``: the description says the scheme is deprecated, retired or not used (SRT,
    SNM3, 99SDM, ISO5218_1): listed for the codes of older objects, not for new ones.
    """

    designator: str
    uid: str = ""
    name: str = ""
    organization: str = ""
    description: str = ""
    version_required: bool = False
    deprecated: bool = False
    source: str = ""  # table id of the row ("table_8-1")


@dataclass
class ValueConstraint:
    """A coded concept, value set, template or parameter as a template row writes it
    (PS3.16 Section 6.1 conventions, Section 6.2.3.1 parameters).

    One of ``code`` (``EV``/``DT`` (CV, CSD, "CM"): an enumerated or defined coded term),
    ``cid`` (``DCID``/``BCID``/``CID`` n: a context group, defined, baseline or enumerated),
    ``tid`` (``DTID``/``BTID`` n: an included template), ``parameter`` ("$Measurement": a
    value the invoking template binds) or ``row`` ("Value of Row 4": the value of another row
    of the invoking template) is set. ``member_of``: "MemberOf {DCID n}" binds one term of the
    group, not the group. ``default``: "Defaults to …", the value set that applies when the
    parameter before it is not bound. ``name`` is the group's or template's name as written.
    """

    strength: str = ""  # EV DT DCID BCID CID DTID BTID TID, or "" where the row gives none
    code: Code | None = None
    cid: int | None = None
    tid: str = ""
    parameter: str = ""
    row: str = ""
    member_of: bool = False
    default: bool = False
    name: str = ""


@dataclass
class ParameterBinding:
    """``$parameter = value`` in the Value Set Constraint column of an INCLUDE row: the
    included template's parameter (left) and what the invoking template passes (right; one
    or more constraints, "DCID 6018 …, DCID 6020 …" passes both groups)."""

    parameter: str
    values: list[ValueConstraint] = field(default_factory=list)


@dataclass
class TemplateText:
    """Words of a row that the extraction kept as written: ``column`` is the column they came
    from, ``reason`` one of a small set of phrases (see
    :data:`iodkit.codegen.spec.ps3_16_templates.REASONS`) so they can be listed and counted."""

    column: str
    text: str
    reason: str


@dataclass
class TemplateRow:
    """One row of a PS3.16 template table (Section 6.1): a content item or an INCLUDE.

    ``row`` is the standard's row label ("1", "6b", "10d"); ``nl`` the nesting level (the
    number of ">", 0 for the template's top rows: they take the relationship of the INCLUDE
    row that includes the template when they give none); ``relationship`` the Relationship
    Type with ``by_reference`` for "R-" (Table 6.1.3-1); ``value_type`` the VT or "INCLUDE";
    ``concept`` the Concept Name constraint (the included template for INCLUDE rows; None:
    any concept name); ``vm`` as written ("1", "1-n", "2"); ``requirement`` M, MC, U or UC;
    ``condition`` the Condition column's words and ``predicate`` its parsed form (plain data,
    see :mod:`iodkit.codegen.spec.template_conditions`) where a dataset can decide it.

    The Value Set Constraint column is split into ``value_sets`` (of a CODE item's value, or
    of what the row otherwise constrains), ``units`` (NUM, "UNITS = …"), ``graphic_types``
    (SCOORD/SCOORD3D, with ``graphic_types_excluded`` for "not {…}"), ``bindings`` (INCLUDE
    rows), ``root`` ("Root node") and ``defaults`` (Section 6.1.9 default values, words).
    ``constraint`` keeps the column as written. ``unparsed`` holds the words read into none
    of these, each with a reason; ``repairs`` says where irregular words were read anyway
    ("R- INFERRED FROM" read as R-INFERRED FROM).
    """

    row: str
    nl: int = 0
    relationship: str = ""
    by_reference: bool = False
    value_type: str = ""
    concept: ValueConstraint | None = None
    vm: str = ""
    requirement: str = ""
    condition: str = ""
    predicate: Any = None
    value_sets: list[ValueConstraint] = field(default_factory=list)
    units: list[ValueConstraint] = field(default_factory=list)
    graphic_types: list[str] = field(default_factory=list)
    graphic_types_excluded: bool = False
    bindings: list[ParameterBinding] = field(default_factory=list)
    root: bool = False
    defaults: list[str] = field(default_factory=list)
    constraint: str = ""
    unparsed: list[TemplateText] = field(default_factory=list)
    repairs: list[TemplateText] = field(default_factory=list)


@dataclass
class TemplateParameter:
    """One row of a template's Parameters table (Section 6.2.3.1)."""

    name: str  # "$Measurement"
    usage: str = ""


@dataclass
class Template:
    """A PS3.16 template (TID): its properties (Type: Extensible / Non-Extensible, Order:
    Significant / Non-Significant, Root: Yes / No), its parameters and its rows.

    ``tid`` is the number as the standard writes it ("1500", "10003A"). ``layout`` names
    which of the three table forms of Section 6.1 the table uses: "" for SR templates (NL and
    Rel with Parent columns), "protocol" (NL, no Rel: Protocol Context and UPS Processing
    Parameter templates), "acquisition" (neither: Acquisition Context templates).
    ``table`` / ``parameters_table`` are the table ids (kept as NEMA wrote them, malformed
    ones included: "table_TID__1604").
    """

    tid: str
    name: str
    section: str = ""
    table: str = ""
    extensible: bool | None = None
    order_significant: bool | None = None
    root: bool = False
    retired: bool = False
    layout: str = ""
    parameters_table: str = ""
    parameters: list[TemplateParameter] = field(default_factory=list)
    rows: list[TemplateRow] = field(default_factory=list)

    def row(self, label: str) -> TemplateRow | None:
        return next((r for r in self.rows if r.row == label), None)


@dataclass
class CodeMeaning:
    """The Code Meaning of a DCM code the templates use, and where it was taken from: PS3.16
    Annex D is missing from the 2024c chunked rendering, so the meaning comes from a context
    group that lists the code ("CID 7021"), else from pydicom's concept dictionary
    ("pydicom 3.0.2"), else from the template row that names it ("TID 1500 row 6")."""

    value: str
    meaning: str
    source: str


@dataclass
class DirectoryRecordType:
    """A Directory Record Type of the Basic Directory IOD (PS3.3 Table F.4-1): the Keys table
    of its F.5 section and the types its lower-level Directory Entity may hold. The root's row
    has the name "(Root Directory Entity)" and no Keys."""

    name: str  # "STUDY"
    section: str = ""  # "sect_F.5.2"
    keys: str = ""  # "table_F.5-2"
    children: list[str] = field(default_factory=list)
    source: str = ""


@dataclass
class SupplementRecord:
    """A supplement overlay (``standard_xml/supplements/``) as it met this edition: ``status``
    "applied" (its changes are in the spec, each listed in ``changes``) or "in the edition"
    (the edition already has it, decided from the edition's own content, ``evidence``: the
    overlay was dropped). ``sources`` cite where each change was read from."""

    number: int
    title: str
    status: str
    changes: list[str] = field(default_factory=list)
    evidence: str = ""
    sources: dict[str, str] = field(default_factory=dict)


@dataclass
class Edition:
    """One edition of the standard, as far as the generator reads it."""

    edition: str  # "2024c"
    formats: dict[str, str] = field(default_factory=dict)  # part -> "chtml" | "docbook"
    iods: dict[str, Iod] = field(default_factory=dict)  # by table id
    tables: dict[str, AttributeTable] = field(default_factory=dict)  # by table id
    sop_classes: dict[str, SopClass] = field(default_factory=dict)  # by UID
    dictionary: dict[str, DictionaryEntry] = field(default_factory=dict)  # by tag
    uids: dict[str, Uid] = field(default_factory=dict)  # by UID
    context_groups: dict[int, ContextGroup] = field(default_factory=dict)
    templates: dict[str, Template] = field(default_factory=dict)  # by TID ("1500", "10003A")
    dcm_meanings: dict[str, CodeMeaning] = field(default_factory=dict)  # DCM codes of templates
    anatomy: list[BodyPart] = field(default_factory=list)  # PS3.16 Annex L
    coding_schemes: list[CodingScheme] = field(default_factory=list)  # PS3.16 Table 8-1
    directory: list[DirectoryRecordType] = field(default_factory=list)  # PS3.3 Table F.4-1
    supplements: list[SupplementRecord] = field(default_factory=list)  # overlays met
    unknown_tags: list[str] = field(default_factory=list)  # in PS3.3 but in no dictionary
    problems: list[str] = field(default_factory=list)  # what could not be read, and where

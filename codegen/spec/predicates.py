"""Attach executable predicates to every condition of an edition (a pass of the spec build).

:func:`iodkit.codegen.spec.build.build_edition` calls :func:`attach_predicates` once the
dictionary is known: every condition text of the spec (conditional IOD modules, functional group
macros, type 1C/2C attributes, conditional includes, qualified value lists) is parsed by
:mod:`iodkit.codegen.spec.conditions` and its plain-data form stored next to the text in
``.predicate``. The spec YAML then shows both, so a reviewer sees what the validator will do
with the standard's words, and the rules emitter (:mod:`iodkit.codegen.emit.rules`) needs no
parser at generation time.

Plain data, per kind:

* conditions (modules, functional groups, attributes, includes) hold
  :meth:`iodkit.rulemodel.Condition.to_data` without the text (the spec keeps that
  in ``condition``), plus ``status``: ``executable``, ``not-decidable`` (the words speak of facts
  no dataset records) or ``unparsed``; the validator reports the last two as "cannot decide",
  never as "optional";
* a value list's condition holds a bare predicate (``{"equals": "0062,0001", …}``).

Parsing is cached by text: the same sentence recurs in hundreds of tables.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from iodkit.rulemodel import (
    NOT_IN_DATASET,
    And,
    CodeValueForm,
    Condition,
    ContentTreeReferences,
    Equals,
    IodRequires,
    ItemsWhere,
    Not,
    NotEquals,
    Or,
    PerFrameGroupsNeeded,
    Predicate,
    Present,
    Ref,
    Unknown,
    map_refs,
)

from . import fork
from .conditions import Names, condition_sentences, parse_clause, parse_condition
from .levels import Places, TablePlaces, about_another_object, requalify, tag_of
from .model import (
    AttributeRule,
    AttributeTable,
    Edition,
    IncludeRule,
    ItemCount,
    Rule,
    ValueSet,
)
from .overrides import without_override

STATUSES = ("executable", "not-decidable", "unparsed")
KINDS = ("iod-module", "functional-group", "attribute", "include", "value-set", "item-count")

# Where a functional group macro may sit is a placement rule, not a condition: "May not be used
# as a Shared Functional Group" (so: per-frame only), "Shall be used as a Shared Functional Group".
_NOT_SHARED = re.compile(r"(?i)\b(?:may|shall)\s+not\s+be\s+used\s+as\s+an?\s+shared\b")
_NOT_PER_FRAME = re.compile(r"(?i)\b(?:may|shall)\s+not\s+be\s+used\s+as\s+an?\s+per-frame\b")
_SHARED_ONLY = re.compile(r"(?i)\bshall\s+be\s+used\s+as\s+an?\s+shared\b")
_PLACEMENT_SENTENCE = re.compile(
    r"(?i)[,;.]?\s*(?:it\s+)?(?:may|shall)\s+(?:not\s+)?be\s+used\s+as\s+an?\s+"
    r"(?:shared|per-frame)\s+functional\s+group\.?"
)


def placement(text: str) -> str:
    """ "per-frame" or "shared" when a functional group's usage text confines it to one, else ""."""
    if _NOT_SHARED.search(text):
        return "per-frame"
    if _NOT_PER_FRAME.search(text) or _SHARED_ONLY.search(text):
        return "shared"
    return ""


def states_condition(text: str) -> bool:
    """Whether the words of an M/U usage cell state a condition at all ("See Section A.26.5",
    "The units for … are specified by …" do not; "May be used only if …" does)."""
    s = condition_sentences(text)
    return bool(s.required or s.forbidden or s.permitted) or s.otherwise != "unspecified"


@dataclass
class PredicateStats:
    """How many conditions of each kind became executable, not decidable, or stayed text."""

    by_kind: dict[str, Counter[str]] = field(default_factory=dict)

    def add(self, kind: str, status: str, partly: bool = False) -> None:
        counts = self.by_kind.setdefault(kind, Counter())
        counts[status] += 1
        if partly:
            counts["partly"] += 1

    def count(self, status: str, kinds: tuple[str, ...] = KINDS[:4]) -> int:
        return sum(self.by_kind.get(k, Counter())[status] for k in kinds)

    def total(self, kinds: tuple[str, ...] = KINDS[:4]) -> int:
        return sum(self.count(s, kinds) for s in STATUSES)


def names_of(ed: Edition) -> Names:
    """A name → tag resolver over the edition's own dictionary (PS3.6 of the same edition)."""
    rows = []
    for tag, e in ed.dictionary.items():
        if "x" in tag.lower() or not e.name:
            continue
        rows.append((int(tag[1:5] + tag[6:10], 16), e.name, e.keyword, e.vr))
    return Names.from_entries(rows)


def condition_data(cond: Condition) -> dict[str, Any]:
    """A condition's plain data without its text, with its status."""
    data = cond.to_data()
    data.pop("text", None)
    data["status"] = cond.status
    if cond.partly_executable:
        data["partly"] = True  # some datasets get a verdict although words remain unknown
    return data


# The standard's own phrasings of conditions the parser reads in another, equivalent wording.
# The spec keeps the standard's words (``condition``); only what is parsed is reworded. Each
# pair says the same thing about the same attributes, looked up the same way.
_REWORDINGS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p, re.I), r)
    for p, r in (
        # "(7FE0,0010) contains more than one frame": Number of Frames says how many
        (
            r"Pixel Data \(7FE0,0010\) contains more than one frame",
            "Number of Frames (0028,0008) is greater than 1",
        ),
        # Table C.11.13-1: "specifies more than one frame (i.e., is multi-valued)"
        (r"specifies more than one frame \(i\.e\., is multi-valued\)", "has more than one value"),
        # Table A.75-1: "Required if 32 bit floating point pixels" (the VRs of PS3.5 Table 6.2-1)
        (
            r"Required if 32 bit floating point pixels",
            "Required if Float Pixel Data (7FE0,0008) is present",
        ),
        (
            r"Required if 64 bit floating point pixels",
            "Required if Double Float Pixel Data (7FE0,0009) is present",
        ),
        # "a value is present in A or B"
        (
            r"if a value is present in (?P<a>[^()]+\([0-9A-F]{4},[0-9A-F]{4}\)) or "
            r"(?P<b>[^()]+\([0-9A-F]{4},[0-9A-F]{4}\))",
            r"if \g<a> is present with a value or \g<b> is present with a value",
        ),
        # Table C.7.6.23-1: "one or more Items of the Data Path Assignment Sequence (0028,1402)
        # other than PRIMARY_PVALUES" — (0028,1402) is the Data Path Assignment of those items
        (
            r"there are one or more Items of the Data Path Assignment Sequence \(0028,1402\) "
            r"other than",
            "Data Path Assignment (0028,1402) is present with a value other than",
        ),
        # qualifiers that name where the evaluator looks anyway: this dataset, its functional
        # groups, the module the attribute is in
        (r",? of this [A-Za-z/ -]+? SOP Instance", ""),
        (r" in this Module or in a Functional Group Macro of the current SOP Instance", ""),
        (r"(\([0-9A-F]{4},[0-9A-F]{4}\)) in the [A-Za-z/ -]+? Module (equals|is|has)", r"\1 \2"),
        (r" \(Section [A-Z0-9.]+\)", ""),
        # Table C.21.2-1: "One triplet (x,y,z) shall be present for each point …": how many
        # values, not when (the condition is the next sentence)
        (r"(?:^|(?<=\. ))[^.]*\bshall be present for each [^.]*\.\s*", ""),
        (
            r" in this Item of the [A-Za-z/ -]+? Sequence \([0-9A-F]{4},[0-9A-F]{4}\)",
            " in this Sequence Item",
        ),
        # Table C.8.28.2-1: "contains an Item with the value or (111931, DCM, …)"
        (r"with the value or \(", "with the value ("),
        # Table C.8-92: "Only required for MR Spectroscopy SOP Instances."
        (
            r"^Only required for MR Spectroscopy SOP Instances\.?$",
            "Required if SOP Class UID (0008,0016) is 1.2.840.10008.5.1.4.1.1.4.2.",
        ),
        # Table C.29.3-1: "… is present in the Instance referenced in the … Sequence … Item"
        (
            r" is present in the Instance referenced in the [^.]+? Item",
            " is present in the referenced SOP Instance",
        ),
        # Table C.10-11: "Mutually exclusive with X."
        (r"^Mutually exclusive with (.+?)\.?$", r"Shall not be present if \1 is present."),
    )
)


def reworded(text: str) -> str:
    """A condition's words as the parser reads them (see :data:`_REWORDINGS`)."""
    for pattern, replacement in _REWORDINGS:
        text = pattern.sub(replacement, text)
    return text


_EITHER = re.compile(
    r"(?i)^Either one or both of (?P<a>.+?\([0-9A-F]{4},[0-9A-F]{4}\)) or "
    r"(?P<b>.+?\([0-9A-F]{4},[0-9A-F]{4}\)) are required\.?$"
)


def either_or_both(condition: str, own_tag: str) -> str:
    """ "Either one or both of A or B are required" (Table C.10-5, on both rows): for row A,
    "Required if B is not present. May be present otherwise."; for B the same with A — both
    may be present ("or both"), so neither is "shall not" when the other is there."""
    m = _EITHER.match(" ".join(condition.split()))
    if m is None:
        return condition
    a, b = m.group("a"), m.group("b")
    other = b if a.endswith(own_tag) else a if b.endswith(own_tag) else None
    if other is None:
        return condition
    return f"Required if {other} is not present. May be present otherwise."


def value_set_status(pred: Predicate) -> str:
    """Status of a bare predicate, judged as :attr:`Condition.status` judges a requirement."""
    return Condition("", pred).status


class _Parser:
    """Cached parsing with the edition's names."""

    def __init__(self, ed: Edition) -> None:
        self.ed = ed
        self.names = names_of(ed)
        self.parsed: dict[str, Condition] = {}
        self.clauses: dict[str, tuple[Any, str]] = {}
        self.levels: dict[str, frozenset[int]] = {}

    def condition(self, text: str) -> dict[str, Any]:
        return condition_data(self.parse(text))

    def parse(self, text: str) -> Condition:
        hit = self.parsed.get(text)
        if hit is None:
            # an override said inside the condition is the rule's, not the condition's
            # (AttributeRule.overrides); the condition's words are read without it
            words = reworded(without_override(text))
            hit = with_evidence(parse_condition(words, resolve=self.names))
            hit = _map_condition(hit, about_another_object)
            self.parsed[text] = hit
        return hit

    def attribute(
        self,
        r: AttributeRule,
        siblings: frozenset[int],
        terms: dict[int, frozenset[str]] | None = None,
        where: Any = None,
    ) -> dict[str, Any] | None:
        """An attribute's condition, read from the whole description when that finds more.

        The spec's ``condition`` keeps the first condition paragraph; some cells state several
        ("Required if Value Type is TEXT, …. Required if Value Type is CONTAINER and …",
        Table C.17-5) or add a permission ("May be present if …"). The parser reads every such
        sentence of the description; its reading is used when it contains the spec's text
        (even when the added sentences are less executable: they are part of the condition,
        and dropping them would make a "may be present" look like "shall not"). ``text`` is
        then added to the data, so the YAML shows the words the predicate came from.

        References to ``siblings`` (attributes the same item defines) are pinned to the item.
        """
        if not r.condition:
            return None
        own = self.parse(either_or_both(r.condition, r.tag))
        chosen = own
        if r.type in ("1C", "2C") and r.description != r.condition:
            full = self.parse(r.description)
            head = " ".join(own.text.split())[:60]
            if len(full.text) > len(own.text) and head in " ".join(full.text.split()):
                chosen = full
        whole = chosen is not own
        chosen = _map_condition(chosen, lambda p: control_point_changes(p, r.tag))
        if terms:
            chosen = _map_condition(chosen, lambda p: known_terms(p, terms))
        if where is not None:  # read at the level where the attributes live
            chosen = _map_condition(chosen, where)
        data = condition_data(pin_siblings(chosen, siblings))
        if whole:
            data["text"] = " ".join(chosen.text.split())
        return data

    def clause(self, text: str) -> tuple[Any, str]:
        hit = self.clauses.get(text)
        if hit is None:
            pred = parse_clause(text, resolve=self.names)
            hit = (pred.to_data(), value_set_status(pred))
            self.clauses[text] = hit
        return hit

    def level_tags(self, rules: list[Rule], stack: frozenset[str] = frozenset()) -> frozenset[int]:
        """The tags one dataset level holds: its attribute rows and those of its includes."""
        tags: set[int] = set()
        for r in rules:
            if isinstance(r, AttributeRule):
                if "x" not in r.tag.lower():
                    tags.add(int(r.tag[1:5] + r.tag[6:10], 16))
            elif isinstance(r, IncludeRule) and r.table in self.ed.tables and r.table not in stack:
                hit = self.levels.get(r.table)
                if hit is None:
                    hit = self.level_tags(self.ed.tables[r.table].rules, stack | {r.table})
                    if not stack:
                        self.levels[r.table] = hit
                tags |= hit
        return frozenset(tags)


# Facts the words speak of that the standard's own rules let a dataset show. Each maps the
# words of an Unknown leaf to a predicate that is true when the dataset shows the fact; the
# Unknown stays as the alternative, so the absence of evidence still means "cannot decide".
_EVIDENCE: tuple[tuple[re.Pattern[str], Predicate], ...] = (
    # PS3.3 C.7.1.1: Patient Species Description / Code Sequence are Type 1C "Required if the
    # Patient is a non-human organism" with no "may be present otherwise": either one present
    # says the patient is one.
    (
        re.compile(r"(?i)^(?:the\s+)?patient\s+is\s+a\s+non-human\s+organism$"),
        Or((Present(Ref((0x00102201,))), Present(Ref((0x00102202,))))),
    ),
)

# Words that name facts the dataset records in full: the Unknown leaf is replaced outright.
_FACTS: tuple[tuple[re.Pattern[str], Predicate], ...] = (
    # SR Document General Module, Current Requested Procedure Evidence Sequence: "… or if
    # Instances are referenced in the Content Tree" (the creator's awareness stays unknown)
    (
        re.compile(
            r"(?i)^(?P<rest>the\s+creator\s+is\s+aware\s+of\s+.+?)\s+or\s+if\s+instances\s+are\s+"
            r"referenced\s+in\s+the\s+content\s+tree$"
        ),
        ContentTreeReferences(),
    ),
    # Code Sequence Macro (Table 8.8-1a): where a code's value goes
    (
        re.compile(
            r"(?i)^the\s+code\s+value\s+length\s+is\s+16\s+characters\s+or\s+less,?\s+and\s+"
            r"the\s+code\s+value\s+is\s+not\s+a\s+urn\s+or\s+url$"
        ),
        CodeValueForm("short"),
    ),
    (
        re.compile(r"(?i)^the\s+code\s+value\s+is\s+not\s+a\s+urn\s+or\s+url$"),
        CodeValueForm("long"),
    ),
    (re.compile(r"(?i)^the\s+code\s+value\s+is\s+a\s+urn\s+or\s+url$"), CodeValueForm("urn")),
    # Directory Information Module (Table F.3-3): a Directory Record references a SOP Instance
    # when it has a Referenced File ID (0004,1500), "the File ID containing a … Referenced SOP
    # Instance", which "shall not be present" when the record references none
    (
        re.compile(r"(?i)^the\s+directory\s+record\s+references\s+a\s+sop\s+instance$"),
        Present(Ref((0x00041500,), "item")),
    ),
    # Multi-frame Functional Groups Module: the Per-Frame Functional Groups Sequence
    (
        re.compile(
            r"(?i)^for\s+any\s+frame(?:\s+of\s+the\s+selected\s+subset\s+of\s+frames)?,?\s+there\s+"
            r"are\s+per-frame\s+functional\s+groups\s+that\s+are\s+not\s+empty$"
        ),
        PerFrameGroupsNeeded(),
    ),
)


def _fact(leaf: Unknown) -> Predicate | None:
    words = " ".join(leaf.text.split()).rstrip(".")
    for pattern, fact in _FACTS:
        m = pattern.match(words)
        if m:
            rest = m.groupdict().get("rest")
            return Or((fact, Unknown(rest, NOT_IN_DATASET))) if rest else fact
    return None


def defined_terms(rules: list[Rule]) -> dict[int, frozenset[str]]:
    """The values a table lists for its attributes (unconditional Enumerated Values and Defined
    Terms), by tag: the values whose meaning the table itself states. Per table, because the
    same attribute's terms differ between modules (Scan Options EKG is ECG gating in one
    module's list and absent from the MR Image Module's)."""
    from .ps3_3 import walk_rules

    out: dict[int, set[str]] = {}
    for r in walk_rules(rules):
        if isinstance(r, AttributeRule) and "x" not in r.tag.lower():
            tag = int(r.tag[1:5] + r.tag[6:10], 16)
            for vs in r.value_sets:
                if not vs.condition and not vs.retired:
                    out.setdefault(tag, set()).update(vs.values)
    return {k: frozenset(v) for k, v in out.items()}


_ANOTHER_VALUE = " has another value that means "


def known_terms(p: Predicate, terms: dict[int, frozenset[str]]) -> Predicate:
    """ "Scan Options (0018,0022) that include heart gating (e.g., CG, PPG, etc.)": the parser
    leaves "a value other than the examples means heart gating too" undecided. A value the
    standard defines has a stated meaning (Scan Options: PER Phase Encode Reordering, RG
    Respiratory Gating, …, none of them heart gating besides CG and PPG), so only a value it
    does not define leaves the question open: the "other value" becomes "a value other than
    the examples and the edition's Enumerated Values and Defined Terms of the attribute"."""
    if isinstance(p, And) and len(p.items) == 2:
        first, second = p.items
        if (
            isinstance(first, NotEquals)
            and isinstance(second, Unknown)
            and _ANOTHER_VALUE in second.text
            and first.ref.tag in terms
        ):
            known = tuple(dict.fromkeys([*first.values, *sorted(terms[first.ref.tag])]))
            return And((NotEquals(first.ref, known, first.index), second))
    return _map_children(p, lambda q: known_terms(q, terms))


_CONTROL_POINT_CONDITIONS = re.compile(
    r"(?i)^(?:if\s+)?the\s+conditions\s+in\s+Section\s+C\.36\.2\.2\.5\.1\.1\s*are\s+satisfied$"
)
_RT_CONTROL_POINT_INDEX = 0x300A0600


def control_point_changes(p: Predicate, own_tag: str) -> Predicate:
    """ "… and the conditions in Section C.36.2.2.5.1.1 are satisfied" (26 rows of the RT
    Radiation modules) as a predicate over the attribute's own item.

    PS3.3 C.36.2.2.5.1.1: "At the first Sequence Item in RT Control Point Sequences (i.e., with
    an RT Control Point Index (300A,0600) equal to 1) all Attributes affected by this Section
    shall be present if applicable conditions are met. For Sequence Items other than the first
    Sequence Item, Attributes shall be present if applicable conditions are met and the value
    is different from the previously populated value … This means that for an Item in which an
    Attribute is absent, the application stays at the value of the previously populated Item."

    So: true at RT Control Point Index 1; elsewhere an absent attribute means "unchanged"
    (false: not required), and a present one may or may not differ from the previous value,
    which another item holds (cannot decide from this item).
    """
    if isinstance(p, Unknown) and _CONTROL_POINT_CONDITIONS.match(" ".join(p.text.split())):
        try:
            tag = int(own_tag[1:5] + own_tag[6:10], 16)
        except ValueError:
            return p
        differs = Unknown(
            "the value differs from the previously populated value (Section C.36.2.2.5.1.1)",
            NOT_IN_DATASET,
        )
        return Or(
            (
                Equals(Ref((_RT_CONTROL_POINT_INDEX,)), (1,)),
                And((Present(Ref((tag,), "item")), differs)),
            )
        )
    return _map_children(p, lambda q: control_point_changes(q, own_tag))


def patient_orientation_readings(p: Predicate) -> Predicate:
    """General Image, Patient Orientation (0020,0020): "Required if image does not require
    Image Orientation (Patient) (0020,0037) and Image Position (Patient) (0020,0032) or if image
    does not require Image Orientation (Slide) (0048,0102)."

    Read as written ("or"), the sentence requires Patient Orientation in every image that does
    not require Image Orientation (Slide): every CT and MR image; read as meant by the
    amendment that added the slide clause ("neither … nor"), only in images that need neither
    the patient's nor the slide's orientation attributes. The description's own note ("IODs may
    have Attributes other than Patient Orientation, Image Orientation, or Image Position
    (Patient) to describe orientation in which case this Attribute will be zero length") fits
    either. So the condition decides where both readings agree (an image that requires neither
    — CR, Secondary Capture: required; one that requires both: not) and is undecided where
    they differ (CT, MR, slide images).
    """
    if (
        isinstance(p, Or)
        and len(p.items) == 2
        and all(isinstance(q, Not) and isinstance(q.item, IodRequires) for q in p.items)
    ):
        ambiguous = Unknown(
            "the sentence's 'or' read as written, or as 'neither … nor' (the two readings "
            "differ for this image)",
            NOT_IN_DATASET,
        )
        return Or((And(p.items), And((p, ambiguous))))
    return _map_children(p, patient_orientation_readings)


def _map_children(p: Predicate, fn: Any) -> Predicate:
    if isinstance(p, (And, Or)):
        return type(p)(tuple(fn(q) for q in p.items))
    if isinstance(p, Not):
        return Not(fn(p.item))
    if isinstance(p, ItemsWhere):
        return ItemsWhere(p.ref, fn(p.where), p.every)
    return p


def _map_condition(cond: Condition, fn: Any) -> Condition:
    def one(p: Predicate | None) -> Predicate | None:
        return None if p is None else fn(p)

    return replace(
        cond,
        predicate=one(cond.predicate),
        forbidden=one(cond.forbidden),
        permitted=one(cond.permitted),
    )


def with_evidence(cond: Condition) -> Condition:
    """Unknown leaves for which the dataset may hold evidence become "evidence or unknown"."""

    def fix(p: Predicate | None) -> Predicate | None:
        if p is None:
            return None
        if isinstance(p, Unknown):
            fact = _fact(p)
            if fact is not None:
                return fact
            for pattern, evidence in _EVIDENCE:
                if pattern.match(" ".join(p.text.split()).rstrip(".")):
                    return Or((evidence, p))
            return p
        if isinstance(p, (And, Or)):
            return type(p)(tuple(fix(q) or q for q in p.items))
        if isinstance(p, Not):
            return Not(fix(p.item) or p.item)
        return p

    cond = replace(
        cond,
        predicate=fix(cond.predicate),
        forbidden=fix(cond.forbidden),
        permitted=fix(cond.permitted),
    )
    return _map_condition(cond, patient_orientation_readings)


def pin_siblings(cond: Condition, siblings: frozenset[int]) -> Condition:
    """References to attributes of the same item read in that item (scope ``item``).

    The evaluator's default scope looks in the current item, then outwards, then in the
    functional groups: right for "Image Type (0008,0008) is …" written in a nested macro, wrong
    for a sibling. "Referenced Segment Number (0062,000B) is not present" (Table 10-3, inside
    Source Image Sequence items) means in this item; looked up outwards it finds the Segment
    Identification of the frame and turns the condition false.
    """
    if not siblings:
        return cond

    def fn(ref: Ref) -> Ref:
        if ref.scope == "auto" and ref.path[0] in siblings:
            return Ref(ref.path, "item")
        return ref

    def pin(p: Predicate | None) -> Predicate | None:
        return None if p is None else map_refs(p, fn)

    return replace(
        cond,
        predicate=pin(cond.predicate),
        forbidden=pin(cond.forbidden),
        permitted=pin(cond.permitted),
    )


def attach_predicates(
    ed: Edition, *, split: bool = False, only: set[str] | None = None
) -> PredicateStats:
    """Parse every condition of ``ed`` and set ``.predicate`` (in place); return the counts.

    ``only``: the ids of the tables and IODs to parse (the others keep their predicates), as
    when a supplement overlay changed a few of them after the edition was built.

    ``split``: parse the attribute tables of the second half in a forked child while this
    process parses the IODs and the first half. The pass is the last step of reading PS3.3
    and the longest serial stretch of a spec build; by then the PS3.16/PS3.4 reader is done
    and its core idle. The child inherits the spec and the parser (no pickling of tables) and
    sends back only the plain-data predicates, which are set here in the order the child's
    walk found them. The result is the same either way (parsing is a pure function of the
    text and the table); where :func:`~iodkit.codegen.spec.fork.start` declines (no fork,
    other threads running) or the child fails, the second half is parsed here.
    """
    parser = _Parser(ed)
    stats = PredicateStats()

    def attach(obj: Any, kind: str, text: str | None = None, where: Any = None) -> None:
        text = obj.condition if text is None else text
        if not text:
            return
        cond = parser.parse(text)
        if where is not None:
            cond = _map_condition(cond, where)
        data = condition_data(cond)
        obj.predicate = data
        stats.add(kind, data["status"], bool(data.get("partly")))

    places = TablePlaces(ed.tables)

    def visit(
        rules: list[Rule],
        nested: bool,
        terms: dict[int, frozenset[str]],
        into: PredicateStats,
        path: tuple[int, ...],
        spots: Places,
        root: bool,
    ) -> None:
        # siblings are pinned inside sequence items and in macros (which are items wherever a
        # sequence includes them); a module's top level keeps the default scope, so a reference
        # to a module attribute an enhanced IOD keeps in a functional group is still found
        siblings = parser.level_tags(rules) if nested else frozenset()

        def where(p: Predicate) -> Predicate:
            return requalify(p, path, spots, root)

        for r in rules:
            if isinstance(r, AttributeRule):
                data = parser.attribute(r, siblings, terms, where)
                if data is not None:
                    r.predicate = data
                    into.add("attribute", data["status"], bool(data.get("partly")))
                for vs in r.value_sets:
                    if vs.condition:
                        vs.predicate, status = parser.clause(vs.condition)
                        into.add("value-set", status)
                for count in r.item_counts:
                    if count.condition:
                        data, count.status = parser.clause(count.condition)
                        count.predicate = {"not": data} if count.negated else data
                        into.add("item-count", count.status)
                tag = tag_of(r.tag)
                if r.items and tag is not None:
                    visit(r.items, True, terms, into, (*path, tag), spots, root)
            elif isinstance(r, IncludeRule):
                if r.condition:
                    cond = _map_condition(parser.parse(r.condition), where)
                    data = condition_data(pin_siblings(cond, siblings))
                    r.predicate = data
                    into.add("include", data["status"], bool(data.get("partly")))
                if r.nested:
                    visit(r.nested, True, terms, into, path, spots, root)

    def visit_tables(tables: list[AttributeTable], into: PredicateStats) -> None:
        for t in tables:
            root = t.kind == "module"
            visit(t.rules, not root, defined_terms(t.rules), into, (), places(t.id), root)

    tables = [t for t in ed.tables.values() if only is None or t.id in only]
    first, second = _halves(tables) if split else (tables, [])

    def child_work() -> tuple[dict[str, Counter[str]], list[list[Any]]]:
        own = PredicateStats()
        visit_tables(second, own)
        return own.by_kind, [_table_predicates(t) for t in second]

    waiting = fork.start(child_work) if second else None
    for iod in ed.iods.values():
        if only is not None and iod.id not in only:
            continue
        for m in iod.modules:
            if m.usage == "C" or (m.condition and states_condition(m.condition)):
                # the IOD's level is the dataset's: its modules say where attributes live (a
                # module's condition speaks of the others', never of its own)
                spots = _merged(places(u.table) for u in iod.modules if u.table != m.table)
                attach(m, "iod-module", where=lambda p, s=spots: requalify(p, (), s, True))
        for fg in iod.functional_groups:
            where = placement(fg.condition)
            rest = (
                _PLACEMENT_SENTENCE.sub("", fg.condition).strip(" .;,") if where else fg.condition
            )
            if fg.usage == "C" or (rest and states_condition(rest)):
                content = places(fg.table)
                macro = tuple(sorted(t for t, paths in content.items() if () in paths))
                attach(
                    fg,
                    "functional-group",
                    rest or fg.condition,
                    where=lambda p, m=macro: not_empty(p, m),
                )
            if where:
                fg.predicate = {**(fg.predicate or {}), "placement": where}
    visit_tables(first, stats)
    result = waiting() if waiting is not None else None
    if result is None:
        visit_tables(second, stats)
    else:
        by_kind, predicates = result
        for t, preds in zip(second, predicates, strict=True):
            _set_table_predicates(t, preds)
        for kind, counts in by_kind.items():
            stats.by_kind.setdefault(kind, Counter()).update(counts)
    return stats


def not_empty(p: Predicate, macro: tuple[int, ...]) -> Predicate:
    """A functional group macro "Required if not empty" (Frame Content in the Segmentation
    IOD): its content is its sequence, at the top of the macro's table, in the Shared or the
    frame's item — present means not empty (its items are judged by the macro's own rules)."""
    if isinstance(p, Unknown) and " ".join(p.text.split()).rstrip(".").lower() == "not empty":
        if not macro:
            return p
        tests = tuple(Present(Ref((t,), "frame")) for t in macro)
        return tests[0] if len(tests) == 1 else Or(tests)
    return _map_children(p, lambda q: not_empty(q, macro))


def _merged(parts: Iterator[Places]) -> Places:
    out: dict[int, frozenset[tuple[int, ...]]] = {}
    for part in parts:
        for tag, paths in part.items():
            out[tag] = out.get(tag, frozenset()) | paths
    return out


def _condition_count(t: AttributeTable) -> int:
    return sum(bool(obj.condition) for obj in _rule_slots(t.rules))


def _halves(tables: list[AttributeTable]) -> tuple[list[AttributeTable], list[AttributeTable]]:
    """Split in table order (neighbouring tables share sentences, which each process parses
    once) so that the second part holds half of the tables' conditions (measured on 2024c:
    with the IODs' conditions on the first side, the two sides then take about as long)."""
    counts = [_condition_count(t) for t in tables]
    target, running = sum(counts) * 0.5, 0
    for i in range(len(tables) - 1, -1, -1):
        running += counts[i]
        if running >= target:
            return tables[:i], tables[i:]
    return tables, []


def _rule_slots(
    rules: list[Rule],
) -> Iterator[AttributeRule | IncludeRule | ValueSet | ItemCount]:
    """Every object of a rule list that can carry a predicate, in the order of the walk."""
    for r in rules:
        if isinstance(r, AttributeRule):
            yield r
            yield from r.value_sets
            yield from r.item_counts
            if r.items:
                yield from _rule_slots(r.items)
        elif isinstance(r, IncludeRule):
            yield r
            if r.nested:
                yield from _rule_slots(r.nested)


def _table_predicates(t: AttributeTable) -> list[Any]:
    return [
        (obj.predicate, obj.status) if isinstance(obj, ItemCount) else obj.predicate
        for obj in _rule_slots(t.rules)
    ]


def _set_table_predicates(t: AttributeTable, predicates: list[Any]) -> None:
    for obj, value in zip(_rule_slots(t.rules), predicates, strict=True):
        if isinstance(obj, ItemCount):
            obj.predicate, obj.status = value or (None, "")
        else:
            obj.predicate = value


def report(stats: PredicateStats) -> str:
    """The coverage as a few lines (what ``iodkit spec`` or a reader wants to see)."""
    lines = []
    for kind in KINDS:
        c = stats.by_kind.get(kind, Counter())
        total = sum(c[s] for s in STATUSES)
        if not total:
            continue
        detail = ", ".join(f"{s} {c[s]}" for s in STATUSES)
        lines.append(f"{kind:17} {total:5}: {detail} (partly executable: {c['partly']})")
    total = stats.total()
    ex, nd, un = (stats.count(s) for s in ("executable", "not-decidable", "unparsed"))
    partly = stats.count("partly")
    lines.append(
        f"conditions {total}: executable {ex} ({ex / total:.1%}), not decidable from a dataset "
        f"{nd} ({nd / total:.1%}), unparsed {un} ({un / total:.1%}); "
        f"executable among decidable {ex / max(1, total - nd):.1%}; "
        f"{partly} of the others still decide some datasets"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """``python -m iodkit.codegen.spec.predicates --source <edition folder>``: the coverage."""
    import argparse
    from pathlib import Path

    from .build import build_edition

    ap = argparse.ArgumentParser(description="condition coverage of an edition")
    ap.add_argument("--source", required=True, type=Path, help="an edition folder")
    args = ap.parse_args(argv)
    ed = build_edition(args.source)  # attaches the predicates
    print(report(attach_predicates(ed)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

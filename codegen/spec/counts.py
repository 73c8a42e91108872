"""What a description says about counts — a sequence's number of items, a module's own VM —
and about what a sequence's items may hold.

Read from the words of the attribute's description at spec time, so the YAML shows them and
``spec diff`` reports when a new edition changes them:

* item counts — "Only a single Item shall be included in this Sequence", "One or more Items
  shall be included …", "exactly two Items …", with their qualifiers: "If Constraint Type is
  RANGE_INCL or RANGE_EXCL, exactly two Items shall be included", "One or more Items shall be
  included in this Sequence if …", "Only a single Item shall be included in this Sequence,
  unless Dose Summation Type (3004,000A) is MULTI_PLAN, in which case two or more Items shall be
  included" (two counts, each with its case). A count said "for each" or "per" something
  (one Item per Display Subsystem) is not a count of the sequence as a whole and is left out;
* a module VM — "Only a single value shall be present." narrows the dictionary's VM to 1
  (Numeric Value in the Numeric Measurement Macro, whose PS3.6 VM is 1-n).

* counts another attribute gives (:class:`~iodkit.codegen.spec.model.CountOf`) — "The
  number of Items shall be the same as the number of frames in the Multi-frame image" (Number
  of Frames), "… shall equal the value of Number of Control Points (300A,0110)", "… shall be
  one less than the number of Items in Presentation State Classification Component Sequence
  (0070,1801)", and for values "The number of values is equal to the number of Items of the
  Dimension Index Sequence". A referent named without a tag ("the number of frames") is
  found in the edition's own dictionary by :func:`resolve_counts`; one that names no
  attribute ("the number of RT Radiation SOP Instances in the referenced RT Radiation Set",
  "the number of relationships traversed in the Content Tree plus one") is not a count a
  dataset can check and is dropped there. A sentence qualified in a way these readings do
  not know ("In the first Control Point the number of Items …", "… and be equal or less in
  subsequent Control Points") is left out.

* open items (:func:`mark_open_items`) — a sequence whose words say its items hold
  attributes of a kind ("Contains all of the Standard and Private Attributes that are present
  in all of the converted Classic images …", Unassigned Shared Converted Attributes Sequence,
  Table C.7.6.16.2.25.1-1) and whose table lists no rows of its own for them: any attribute
  may be in its items. Where the table lists the items' rows (Original Attributes Sequence,
  "Sequence of Items containing all Attributes that were added, removed or replaced …",
  whose items hold the Modified Attributes Sequence and its companions), the rows are the
  items' content.

The qualifying clauses are parsed into predicates later, with every other condition
(:func:`iodkit.codegen.spec.predicates.attach_predicates`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from .model import AttributeRule, CountOf, DictionaryEntry, ItemCount, Rule

_ITEMS = r"items?\s+(?:shall|may)\s+be\s+(?:included|present|permitted)"

# the count phrases as PS3.3 writes them, most specific first
_COUNT_PHRASES: tuple[tuple[re.Pattern[str], tuple[int, int | None]], ...] = tuple(
    (re.compile(p, re.I), c)
    for p, c in (
        (rf"\bzero\s+or\s+one\s+{_ITEMS}", (0, 1)),
        (rf"\bzero\s+or\s+more\s+{_ITEMS}", (0, None)),
        (rf"\b(?:one|1)\s+or\s+more\s+{_ITEMS}", (1, None)),
        (r"\bat\s+least\s+one\s+item\s+shall\s+be\s+(?:included|present)", (1, None)),
        (rf"\btwo\s+or\s+more\s+{_ITEMS}", (2, None)),
        (r"\bexactly\s+two\s+items\s+shall\s+be\s+(?:included|present)", (2, 2)),
        (
            r"(?<!zero or )(?<!more than )\b(?:only\s+a\s+single|only\s+one|exactly\s+one"
            r"|a\s+single|^one)\s+item\s+shall\s+be\s+(?:included|present|permitted)",
            (1, 1),
        ),
    )
)
# "… for each Display Subsystem", "… per frame": a count of something else
_PER = re.compile(r"(?i)^\s*(?:in\s+th(?:is|e)\s+sequence\s+)?(?:for\s+each|per)\b")
_IF_HEAD = re.compile(r"(?i)^\s*(?:if|when)\s+(?P<cond>.+?),?\s*$")
_IF_TAIL = re.compile(
    r"(?i)^(?:\s+in\s+th(?:is|e)\s+sequence)?\s*,?\s+(?:if|when)\s+(?P<cond>.+?)\s*\.?\s*$"
)
_UNLESS = re.compile(
    r"(?i)^(?:\s+in\s+th(?:is|e)\s+sequence)?\s*,?\s+unless\s+(?P<cond>.+?),\s*in\s+which\s+case\s+"
    r"(?P<then>.+)$"
)
_SENTENCES = re.compile(r"(?<=\.)\s+|\n")
_SINGLE_VALUE = re.compile(r"(?i)(?:^|[.\n]\s*)only a single value shall be present\s*(?:\.|$)")


def module_vm(description: str) -> str:
    """The VM a module's own words give an attribute when narrower than the dictionary's
    ("1" for "Only a single value shall be present."); "" when they say nothing."""
    return "1" if _SINGLE_VALUE.search(description) else ""


def _phrase(text: str) -> tuple[re.Match[str], tuple[int, int | None]] | None:
    """The first count phrase of ``text`` (the earliest; the most specific where two start
    at the same place)."""
    best: tuple[re.Match[str], tuple[int, int | None]] | None = None
    for pattern, count in _COUNT_PHRASES:
        m = pattern.search(text)
        if m and (best is None or m.start() < best[0].start()):
            best = (m, count)
    return best


def _clause(text: str) -> str:
    return " ".join(text.split()).rstrip(" .,;")


# -- counts another attribute gives ---------------------------------------------------------

_TAG_TEXT = r"\(\s*[0-9A-Fa-f]{4}\s*,\s*[0-9A-Fa-f]{4}\s*\)"
_ATTR = re.compile(rf"(?P<name>[A-Za-z][\w'/ -]*?)\s*(?P<tag>{_TAG_TEXT})?")
_MATCH = r"(?:be\s+)?(?:equal(?:\s+to)?|the\s+same\s+as|identical\s+to|match|correspond\s+to)"
_SUBJECT = (
    r"(?:the\s+)?number\s+of\s+(?:sequence\s+)?items(?:\s+included)?"
    r"(?:\s+in\s+th(?:is|e)\s+sequence)?"
)
_ITEMS_EQUAL = (
    # "The number of Items [included] [in this Sequence] shall equal / be the same as / …"
    re.compile(rf"(?i)^{_SUBJECT}\s+shall\s+{_MATCH}\s+(?P<rest>.+)$"),
    # "… shall be [the] one less than the number of Items in …"
    re.compile(
        rf"(?i)^{_SUBJECT}\s+shall\s+be\s+(?:the\s+)?(?P<less>one\s+less\s+than)\s+(?P<rest>.+)$"
    ),
    # "Shall have the same number of Items as the value of …"
    re.compile(r"(?i)^shall\s+have\s+the\s+same\s+number\s+of\s+items\s+as\s+(?P<rest>.+)$"),
)
_VALUES_EQUAL = (
    re.compile(
        r"(?i)^(?:the\s+)?number\s+of\s+values\s+(?:shall\s+|is\s+)?" + _MATCH + r"\s+(?P<rest>.+)$"
    ),
    re.compile(
        r"(?i)^(?:this\s+attribute\s+)?shall\s+(?:have|contain)\s+the\s+same\s+number\s+of\s+"
        r"values\s+as\s+(?:are\s+in\s+)?(?P<rest>.+)$"
    ),
    re.compile(
        r"(?i)^the\s+same\s+number\s+of\s+values\s+as\s+(?P<rest>.+?)\s+shall\s+be\s+present$"
    ),
)
# what may follow the referent: where it is defined, or a second requirement of its own
_TAIL = re.compile(
    r"(?i)\s+(?:in\s+the\s+multi-frame\s+image|in\s+the\s+[\w -]+?\s+(?:macro|module)"
    r"|and\s+shall\s+.*)$"
)
_ALTERNATIVE = re.compile(r"(?i)\s+if\s+present\s*,?\s+or\s+otherwise\s+")


def _referent(text: str, values: bool) -> tuple[str, str, str] | None:
    """("value" | "items" | "values" | "", name, tag) of one referent; kind "" when the words
    name only the attribute (its VR decides: a sequence's items, else its value)."""
    text = text.strip()
    m = re.match(r"(?i)^the\s+value\s+of\s+(?P<a>.+)$", text)
    if m:
        kind, text = "value", m.group("a")
    else:
        m = re.match(
            r"(?i)^the\s+(?:number\s+of\s+items\s+(?:in|of)|items\s+in)\s+(?:the\s+)?(?P<a>.+)$",
            text,
        )
        if m:
            kind, text = "items", m.group("a")
        else:
            m = re.match(r"(?i)^the\s+number\s+of\s+(?P<what>[a-z][\w -]*)$", text)
            if m and not re.search(r"(?i)\b(?:items?|values?)\b", m.group("what")):
                # "the number of frames": the attribute the standard names Number of Frames
                return "value", "Number of " + m.group("what"), ""
            kind = "values" if values else ""
    a = _ATTR.fullmatch(text.strip())
    if a is None:
        return None
    tag = a.group("tag") or ""
    if tag:
        tag = "(" + "".join(tag[1:-1].split()).upper() + ")"
    name = re.sub(r"^(?:the|a)\s+", "", a.group("name"), flags=re.I).strip()
    return (kind, name, tag) if name else None


def _count_of(rest: str, values: bool, offset: int = 0) -> CountOf | None:
    rest = _TAIL.sub("", rest.strip().rstrip(". "))
    found = [_referent(part, values) for part in _ALTERNATIVE.split(rest)]
    if not found or any(f is None for f in found):
        return None
    kinds = {f[0] for f in found if f}
    if len(kinds) != 1:
        return None
    (kind,) = kinds
    return CountOf(
        of=kind or "value",  # type: ignore[arg-type]
        attributes=[f[1] for f in found if f],
        tags=[f[2] for f in found if f] if all(f and f[2] for f in found) else [],
        offset=offset,
    )


def _equal_count(
    sentence: str, patterns: tuple[re.Pattern[str], ...], values: bool
) -> CountOf | None:
    for pattern in patterns:
        m = pattern.match(sentence.strip().rstrip(". "))
        if m:
            less = "less" in pattern.groupindex and m.group("less")
            return _count_of(m.group("rest"), values, -1 if less else 0)
    return None


def value_count(description: str) -> CountOf | None:
    """The count of values another attribute gives this one, if its words state one."""
    for sentence in _SENTENCES.split(description):
        found = _equal_count(sentence, _VALUES_EQUAL, True)
        if found is not None:
            return found
    return None


def item_counts(description: str) -> list[ItemCount]:
    """The item counts a sequence's description states, each with its case."""
    out: list[ItemCount] = []
    for sentence in _SENTENCES.split(description):
        head = _IF_HEAD.match(sentence.split(",", 1)[0] + ",") if "," in sentence else None
        body = sentence.split(",", 1)[1] if head else sentence
        equal = _equal_count(body, _ITEMS_EQUAL, False)
        if equal is not None:
            cond = _clause(head.group("cond")) if head else ""
            out.append(ItemCount(0, None, cond, equals=equal))
            continue
        hit = _phrase(sentence)
        if hit is None:
            continue
        m, (lo, hi) = hit
        before, after = sentence[: m.start()], sentence[m.end() :]
        if _PER.match(after):
            continue
        head = _IF_HEAD.match(before)
        unless = _UNLESS.match(after)
        tail = _IF_TAIL.match(after)
        if head:
            out.append(ItemCount(lo, hi, _clause(head.group("cond"))))
        elif unless:
            cond = _clause(unless.group("cond"))
            out.append(ItemCount(lo, hi, cond, negated=True))
            then = _phrase(unless.group("then"))
            if then is not None:
                out.append(ItemCount(then[1][0], then[1][1], cond))
        elif tail:
            out.append(ItemCount(lo, hi, _clause(tail.group("cond"))))
        elif before.strip() and not re.search(r"(?i)(?:^|\.\s*)$", before.strip()):
            continue  # the count is inside a clause this reading does not know: leave it
        elif re.match(r"(?i)^[\s.]*(?:in\s+th(?:is|e)\s+sequence)?[\s.]*(?:see\b.*)?$", after):
            out.append(ItemCount(lo, hi))
    return out


def _rules(rules: Iterable[Rule]) -> Iterable[AttributeRule]:
    for r in rules:
        if isinstance(r, AttributeRule):
            yield r
            yield from _rules(r.items)
        else:
            yield from _rules(getattr(r, "nested", None) or ())


def resolve_counts(tables: Iterable[object], dictionary: Mapping[str, DictionaryEntry]) -> int:
    """Give each :class:`CountOf` of ``tables`` its tags and kind from the edition's own
    dictionary (tag → entry with ``name``, ``keyword``, ``vr``), matching names without regard
    to case ("Number of frames"); drop the counts whose words name no attribute. Returns how
    many were dropped."""
    by_name: dict[str, str] = {}
    for tag, e in dictionary.items():
        name = " ".join(str(getattr(e, "name", "")).split()).lower()
        if name and "x" not in tag.lower():
            by_name.setdefault(name, tag)

    def vr(tag: str) -> str:
        return str(getattr(dictionary.get(tag), "vr", ""))

    def resolve(c: CountOf) -> bool:
        if not c.tags:
            tags = [by_name.get(" ".join(n.split()).lower()) for n in c.attributes]
            if not all(tags):
                return False
            c.tags = [t for t in tags if t]
            c.attributes = [
                str(getattr(dictionary[t], "name", n))
                for t, n in zip(c.tags, c.attributes, strict=True)
            ]
        if c.of == "value" and all(vr(t) == "SQ" for t in c.tags):
            c.of = "items"  # "… equal to Number of X" where X is a sequence: its items
        return True

    dropped = 0
    for t in tables:
        for r in _rules(getattr(t, "rules", ())):
            keep = [c for c in r.item_counts if c.equals is None or resolve(c.equals)]
            dropped += len(r.item_counts) - len(keep)
            r.item_counts = keep
            if r.value_count is not None and not resolve(r.value_count):
                r.value_count = None
                dropped += 1
    return dropped


_HOLDS_ANY = re.compile(
    r"(?i)(?:^|[.\n]\s*)(?:[\w ]*?\b)?(?:contains?|containing)\s+all\s+(?:of\s+)?(?:the\s+)?"
    r"(?:standard\s+and\s+private\s+)?attributes\b[^.\n]*"
)


def mark_open_items(tables: Iterable[object]) -> int:
    """Set :attr:`AttributeRule.open_items` of the sequences whose words say their items hold
    attributes of a kind and whose table lists no rows for them; returns how many."""
    marked = 0
    for t in tables:
        for r in _rules(getattr(t, "rules", ())):
            if r.items or not r.is_sequence:
                continue
            m = _HOLDS_ANY.search(r.description)
            if m:
                r.open_items = " ".join(m.group(0).lstrip(". \n").split())
                marked += 1
    return marked

"""What the words say a value has to do with other values of the same instance.

Read at spec time from an attribute's description and from the sentences about it in a section
the description links to ("See Section C.8.20.2.4"), so the YAML shows them and ``spec diff``
reports when a new edition changes them (:class:`~iodkit.codegen.spec.model.ValueRelations`):

* unique — "The value of Segment Number (0062,0004) shall be unique within the Segmentation
  Instance in which it is created", "Shall be unique within the Sequence", "The value of Wedge
  Number (300A,00D2) shall be unique within the Wedge Sequence", "Uniquely identifies a surface
  within this SOP Instance". "Within a Series", "within the domain in which it is used" and
  other scopes larger than the instance are not read: one instance cannot show them;
* numbered — "The value shall start at 1 and increase monotonically by 1", "Segment Number
  (0062,0004) shall … start at a value of 1, and increase monotonically by 1" (C.8.20.2.4): the
  values of the items of its sequence are 1, 2, 3 … in item order;
* refers to — "Uniquely identifies the segment described in Segment Sequence (0062,0002) by
  reference to Segment Number (0062,0004)", "Reference to a Surface Number (0066,0003) present
  in Surface Sequence (0066,0002)", "Value of the Mating Feature ID (0068,63F0) present in the
  Mating Feature Sequence (0068,63E0) …", "Reference to an Item identified by the Device Index
  (3010,0039) in the General Accessory Definition Sequence (300A,0671)": the value is one of
  the values that attribute has in the items of that sequence. A reference into another
  instance ("… of the Instance that is referenced in …", "in the referenced …") is not one
  the instance can show, and is not read.
"""

from __future__ import annotations

import re

from .model import ValueRelations

_TAG = r"\(\s*[0-9A-Fa-f]{4}\s*,\s*[0-9A-Fa-f]{4}\s*\)"
_NAMED = rf"(?P<{{g}}>[A-Z][\w'/ -]*?)\s*(?P<{{g}}_tag>{_TAG})"


def _named(group: str) -> str:
    return _NAMED.replace("{g}", group)


_SENTENCES = re.compile(r"(?<=\.)\s+|\n")
_UNIQUE = re.compile(
    r"(?i)\b(?:shall\s+be\s+unique|uniquely\s+identifies\s+(?:an?|the)\s+[\w ]+?)\s+within\s+"
    r"(?P<scope>(?:[^.,;(]|\([^)]*\))*)"
)
_INSTANCE = re.compile(
    r"(?i)^(?:the|this|each)?\s*(?:(?:sop|segmentation|[\w]+)\s+)?instance\b(?:\s+in\s+which\s+it\s+"
    r"is\s+created)?\s*$"
)
_SEQUENCE = re.compile(r"(?i)^(?:the|this)\s+sequence\s*$")
_NAMED_SEQUENCE = re.compile(rf"(?i)^(?:the\s+)?[\w'/ -]+?sequence\s*(?P<tag>{_TAG})?\s*$")
_NUMBERED = re.compile(
    r"(?i)\bstart\s+at\s+(?:a\s+value\s+of\s+)?1\s*,?\s*and\s+increase\s+monotonically\s+by\s+1\b"
)
_REFERS = (
    # "… described in Segment Sequence (0062,0002) by reference to Segment Number (0062,0004)";
    # "… by reference to an Item with the same Optical Path Identifier (0048,0106) value"
    re.compile(
        rf"described\s+in\s+(?:the\s+)?{_named('seq')}\s+by\s+reference\s+to\s+"
        rf"(?:an\s+Item\s+with\s+the\s+same\s+)?{_named('attr')}"
    ),
    # "Reference to a Surface Number (0066,0003) present in Surface Sequence (0066,0002)";
    # "Reference to a Dosimetric Objective UID (3010,006E) in the Dosimetric Objective Sequence"
    # "Reference to an Item identified by the Device Index (3010,0039) in the … Sequence (…)"
    re.compile(
        rf"^Reference\s+to\s+(?:an?\s+Item\s+identified\s+by\s+the\s+|an?\s+)?{_named('attr')}"
        rf"\s+(?:present\s+)?in\s+(?:the\s+)?{_named('seq')}\s*\.?$"
    ),
    # "Value of the Mating Feature ID (0068,63F0) present in the Mating Feature Sequence
    # (0068,63E0) that contains the Mating Features."
    re.compile(
        rf"^Value\s+of\s+(?:the\s+)?{_named('attr')}\s+present\s+in\s+(?:the\s+)?{_named('seq')}"
        r"(?:\s+that\s+contains\s+[^.]*)?\s*\.?$"
    ),
)
# a sentence about the attribute's own value ("The pulse numbers for a treatment start at 1 …"
# speaks of numbers across a treatment, not of this attribute in this instance)
_OWN_SUBJECT = re.compile(
    rf"(?i)^(?:the\s+value(?:\s+of\s+[\w'/ -]+?\s*{_TAG})?|this\s+value|it|shall"
    rf"|uniquely\s+identifies|[\w'/ -]+?\s*{_TAG}\s+shall)\b"
)
# a reference into another instance: not one this instance can show
_ELSEWHERE = re.compile(
    r"(?i)\bof\s+the\s+instance\s+that\s+is\s+referenced\b|\bin\s+the\s+referenced\b"
)


def _tag(text: str) -> str:
    return "(" + "".join(text[1:-1].split()).upper() + ")"


def value_relations(description: str, about: list[str] | None = None) -> ValueRelations | None:
    """The relations ``description`` (and ``about``, sentences about this attribute from the
    sections it links to) state; None when they state none."""
    found = ValueRelations()
    for sentence in [*_SENTENCES.split(description), *(about or [])]:
        sentence = " ".join(sentence.split())
        if not sentence or _ELSEWHERE.search(sentence):
            continue
        read = False
        m = _UNIQUE.search(sentence)
        if m:
            scope = m.group("scope").strip()
            if _INSTANCE.match(scope):
                found.unique, read = "instance", True
            elif _SEQUENCE.match(scope):
                found.unique, read = "sequence", True
            else:
                named = _NAMED_SEQUENCE.match(scope)
                if named and named.group("tag"):
                    found.unique, read = _tag(named.group("tag")), True
        if _NUMBERED.search(sentence) and _OWN_SUBJECT.match(sentence):
            found.numbered, read = True, True
        for pattern in _REFERS:
            r = pattern.search(sentence)
            if r:
                found.refers_to = _tag(r.group("attr_tag"))
                found.refers_within = _tag(r.group("seq_tag"))
                found.refers_names = [r.group("seq").strip(), r.group("attr").strip()]
                read = True
                break
        if read and sentence not in found.words:
            found.words.append(sentence)
    return found if found.words else None


def about_attribute(sentences: list[str], name: str, tag: str, alone: bool) -> list[str]:
    """The sentences of a linked section that speak of the attribute ``name`` ``tag``: those
    whose subject is it ("Segment Number (0062,0004) shall be unique within each Instance …"),
    or, in a section about it alone, whose subject is "the value" or "it"."""
    tag_text = re.escape(tag).replace(",", r"\s*,\s*")
    own = re.compile(rf"(?i)^(?:the\s+(?:value\s+of\s+)?)?(?:{re.escape(name)}\s*)?{tag_text}")
    out = []
    for s in sentences:
        s = " ".join(s.split())
        if own.match(s) or (alone and re.match(r"(?i)^(?:the\s+value|it)\b", s)):
            out.append(s)
    return out


def split_sentences(text: str) -> list[str]:
    return [s for s in _SENTENCES.split(text) if s.strip()]

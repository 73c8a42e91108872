"""What a description says about counts: a sequence's number of items, a module's own VM.

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

The qualifying clauses are parsed into predicates later, with every other condition
(:func:`iodkit.codegen.spec.predicates.attach_predicates`).
"""

from __future__ import annotations

import re

from .model import ItemCount

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


def item_counts(description: str) -> list[ItemCount]:
    """The item counts a sequence's description states, each with its case."""
    out: list[ItemCount] = []
    for sentence in _SENTENCES.split(description):
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

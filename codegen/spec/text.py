"""Small readers of the standard's recurring phrases: tags, nesting marks, CIDs, value lists.

These work on text and on the document model's blocks, so they serve every part's extraction.
"""

from __future__ import annotations

import re

from ..sources.model import Cell, Paragraph, VariableList
from .model import ContextGroupRef, ValueSet

TAG = re.compile(r"\(\s*([0-9A-Fa-fxX]{4})\s*,\s*([0-9A-Fa-fxX]{4})\s*\)")
_NESTING = re.compile(r"^((?:\s*>)*)\s*")
_CID = re.compile(
    r"\b(?:(?P<short>[BD])?CID|(?P<long>Baseline|Defined|Enumerated)\s+(?:Context\s+(?:Group\s+)?ID|CID)"
    r"(?:\s+is)?(?:\s+CID)?)\s*(?P<num>\d+)"
)
_CONDITION_START = re.compile(
    r"(?:\b(?:Required|Shall\s+be\s+present|Shall\s+be\s+included|Shall\s+be\s+provided|"
    r"Shall\s+only\s+be\s+present|May\s+only\s+be\s+present|Shall\s+not\s+be\s+present|"
    r"Required\s+only|Present\s+only|Only\s+present|May\s+be\s+present)\b[^.]*?\b(?:if|when|unless|for)(?![a-z]))"
    r"|\bRequired\s+as\s+described\b|\bMutually\s+exclusive\b|\b(?:is|are)\s+required\b",
    re.I,
)
_OTHERWISE_MAY = re.compile(r"\bmay\s+be\s+present\s+otherwise\b|\botherwise\s+(?:it\s+)?may\s+be\s+present\b", re.I)
_OTHERWISE_NOT = re.compile(
    r"\bshall\s+not\s+be\s+present\s+otherwise\b|\botherwise\s+(?:it\s+)?shall\s+not\s+be\s+present\b",
    re.I,
)
_SENTENCE_END = re.compile(r"(?<=[.;])\s+(?=[A-Z])")
_VALUES_HEAD = re.compile(
    r"^(?P<kind>Enumerated\s+Values?|Defined\s+Terms?)(?P<rest>[^:]*):?\s*$", re.I
)
_VALUE_INDEX = re.compile(r"\b(?:for\s+)?Value\s+(\d+)\b", re.I)


def format_tag(group: str, element: str) -> str:
    return f"({group.upper().replace('X', 'x')},{element.upper().replace('X', 'x')})"


def parse_tag(text: str) -> str | None:
    """"(0062,0001)" → "(0062,0001)" (normalised); None when the cell holds no tag."""
    m = TAG.search(text)
    return format_tag(m.group(1), m.group(2)) if m else None


def split_nesting(text: str) -> tuple[int, str]:
    """">>Referenced SOP Class UID" → (2, "Referenced SOP Class UID")."""
    m = _NESTING.match(text)
    marks = m.group(1) if m else ""
    return marks.count(">"), text[m.end() if m else 0 :].strip()


def context_groups(text: str) -> list[ContextGroupRef]:
    """Every "BCID n", "DCID n", "CID n", "Defined Context ID is CID n" in the text, in order."""
    out: list[ContextGroupRef] = []
    seen: set[int] = set()
    for m in _CID.finditer(text):
        num = int(m.group("num"))
        if num in seen:
            continue
        seen.add(num)
        word = (m.group("short") or m.group("long") or "").lower()
        strength = {"b": "baseline", "baseline": "baseline", "d": "defined", "defined": "defined"}.get(
            word, "enumerated"
        )
        out.append(ContextGroupRef(num, strength))  # type: ignore[arg-type]
    return out


def condition_text(description: str) -> tuple[str, str]:
    """The condition sentences of a description and what holds otherwise.

    Returns ``(condition, otherwise)``: the sentences from the first "Required if …"-like phrase
    to the end of its paragraph (plus an immediately following "May be present otherwise."
    paragraph), and "may" / "shall-not" / "" for the otherwise clause. The words are the
    standard's; interpreting them is the condition parser's job.
    """
    paras = description.split("\n")
    for i, para in enumerate(paras):
        m = _CONDITION_START.search(para)
        if not m:
            continue
        # start at the beginning of the sentence holding the phrase
        start = 0
        for sm in _SENTENCE_END.finditer(para[: m.start() + 1]):
            start = sm.end()
        chunk = [para[start:]]
        for nxt in paras[i + 1 : i + 3]:
            if re.match(r"^(May|Shall|Otherwise)\b.*\botherwise\b", nxt, re.I) or re.match(
                r"^Otherwise\b", nxt, re.I
            ):
                chunk.append(nxt)
            else:
                break
        text = " ".join(chunk).strip()
        otherwise = ""
        if _OTHERWISE_MAY.search(text):
            otherwise = "may"
        elif _OTHERWISE_NOT.search(text):
            otherwise = "shall-not"
        return text, otherwise
    return "", ""


def conditional_text(description: str) -> tuple[str, str]:
    """:func:`condition_text` for a type 1C/2C row: falls back on the whole description, so a
    condition phrased in an unforeseen way is kept (and reported unparsed), never lost."""
    text, otherwise = condition_text(description)
    if text:
        return text, otherwise
    return " ".join(description.split("\n")), ""


_OWNER = re.compile(r"^\s*(?:of|for)\s+[^(]*\(\s*([0-9A-Fa-fxX]{4})\s*,\s*([0-9A-Fa-fxX]{4})\s*\)", re.I)


def value_sets(
    blocks: tuple | list, source: str, *, tag: str | None = None, owned_only: bool = False
) -> list[ValueSet]:
    """Enumerated Values / Defined Terms lists among blocks (a cell's or a section's).

    A list whose heading names its attribute ("Enumerated Values of Segmentation Fractional
    Type (0062,0010):") is kept only for that attribute's ``tag``; with ``owned_only``, lists
    that name no attribute are dropped too (used for sections that discuss several attributes).
    """
    out: list[ValueSet] = []
    for b in blocks:
        if not isinstance(b, VariableList):
            continue
        head = b.title or b.intro
        m = _VALUES_HEAD.match(head.strip()) if head else None
        if not m:
            # "Enumerated Values for Value 1 are:" written as an intro sentence
            m2 = re.search(r"(Enumerated\s+Values?|Defined\s+Terms?)([^:]*):?\s*$", head or "", re.I)
            if not m2:
                continue
            kind_word, rest = m2.group(1), m2.group(2)
        else:
            kind_word, rest = m.group("kind"), m.group("rest")
        kind = "enumerated" if kind_word.lower().startswith("enum") else "defined"
        values = [e.term for e in b.entries if e.term]
        if not values:
            continue
        rest = rest.strip()
        owner = _OWNER.match(rest)
        if owner is not None:
            if tag is not None and format_tag(owner.group(1), owner.group(2)) != tag:
                continue
            rest = rest[owner.end() :]
        elif owned_only:
            continue
        vi = _VALUE_INDEX.search(rest)
        cond = ""
        cm = re.search(r"\b(?:if|when)\b\s*(.*)$", rest, re.I)
        if cm:
            cond = cm.group(1).strip().rstrip(":").strip()
        out.append(
            ValueSet(kind, values, cond, int(vi.group(1)) if vi else None, source)  # type: ignore[arg-type]
        )
    return out


def cell_value_sets(cell: Cell, source: str, tag: str | None = None) -> list[ValueSet]:
    return value_sets(cell.blocks, source, tag=tag)


def first_paragraph_text(blocks: list | tuple) -> str:
    for b in blocks:
        if isinstance(b, Paragraph) and b.text:
            return b.text
    return ""

"""Small readers of the standard's recurring phrases: tags, nesting marks, CIDs, value lists.

These work on text and on the document model's blocks, so they serve every part's extraction.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..sources.model import Block, Cell, ItemizedList, Paragraph, VariableList
from .model import ContextGroupRef, ValueSet

TAG = re.compile(r"\(\s*([0-9A-Fa-fxX]{4})\s*,\s*([0-9A-Fa-fxX]{4})\s*\)")
_NESTING = re.compile(r"^((?:\s*>)*)\s*")
_CID = re.compile(
    r"\b(?:(?P<short>[BD])?CID|(?P<long>Baseline|Defined|Enumerated)\s+(?:Context\s+(?:Group\s+)?ID|CID)"
    r"(?:\s+is)?(?:\s+CID)?)\s*(?P<num>\d+)"
)
_STRONG_CONDITION = (
    r"(?:\b(?:Required|Shall\s+be\s+present|Shall\s+be\s+included|Shall\s+be\s+provided|"
    r"Shall\s+only\s+be\s+present|May\s+only\s+be\s+present|Shall\s+not\s+be\s+present|"
    r"Required\s+only|Present\s+only|Only\s+present|May\s+be\s+present)\b[^.]*?"
    r"\b(?:if|when|unless|for)(?![a-z]))"
    r"|\bRequired\s+as\s+described\b"
)
_CONDITION_START = re.compile(
    _STRONG_CONDITION + r"|\bMutually\s+exclusive\b|\b(?:is|are)\s+required\b", re.I
)
# "Required if …" anywhere in a description wins over a weaker "… is required …" before it
# (Table C.8-125 Filter Material: a note "At least one value is required to be present." comes
# before "Required if Frame Type (0008,9007) Value 1 …").
_CONDITION_STRONG = re.compile(_STRONG_CONDITION, re.I)
_OTHERWISE_MAY = re.compile(
    r"\bmay\s+be\s+present\s+otherwise\b|\botherwise\s+(?:it\s+)?may\s+be\s+present\b", re.I
)
_OTHERWISE_NOT = re.compile(
    r"\bshall\s+not\s+be\s+present\s+otherwise\b|\botherwise\s+(?:it\s+)?shall\s+not\s+be\s+present\b",
    re.I,
)
_SENTENCE_END = re.compile(r"(?<=[.;])\s+(?=[A-Z])")


def format_tag(group: str, element: str) -> str:
    return f"({group.upper().replace('X', 'x')},{element.upper().replace('X', 'x')})"


def parse_tag(text: str) -> str | None:
    """ "(0062,0001)" → "(0062,0001)" (normalised); None when the cell holds no tag."""
    m = TAG.search(text)
    return format_tag(m.group(1), m.group(2)) if m else None


def split_nesting(text: str) -> tuple[int, str]:
    """ ">>Referenced SOP Class UID" → (2, "Referenced SOP Class UID")."""
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
        strength = {
            "b": "baseline",
            "baseline": "baseline",
            "d": "defined",
            "defined": "defined",
        }.get(word, "enumerated")
        out.append(ContextGroupRef(num, strength))  # type: ignore[arg-type]
    return out


_CONTINUES = re.compile(r":\s*$")
# Sentences after the condition's own in its paragraph are kept only when they still speak of
# presence ("May be present otherwise.", "Required if …", "It shall not be present otherwise.");
# "See Section …", "Location of the left edge …", "One or more Items shall be included …" are
# the attribute's description, not its condition.
_STILL_CONDITION = re.compile(
    r"\b(?:required|present|otherwise|absent|mutually\s+exclusive)\b", re.I
)
_SENTENCE_SPLIT = re.compile(r"(?<!e\.g\.)(?<!i\.e\.)(?<=\.)\s+(?=[A-Z\"“])")


def _lines(description: str, blocks: Sequence[Block] | None) -> list[tuple[str, str]]:
    """(kind, text) per paragraph ("p"), list item ("li") or value list ("vl")."""
    if blocks is None:
        return [("p", line) for line in description.split("\n")]
    out: list[tuple[str, str]] = []
    for b in blocks:
        if isinstance(b, Paragraph):
            if b.text:
                out.append(("p", b.text))
        elif isinstance(b, ItemizedList):
            out.extend(("li", " ".join(p.text for p in item if p.text)) for item in b.items)
        elif isinstance(b, VariableList):
            out.append(("vl", " ".join((b.title or "").split())))
    return out


def condition_text(description: str, blocks: Sequence[Block] | None = None) -> tuple[str, str]:
    """The condition sentences of a description and what holds otherwise.

    Returns ``(condition, otherwise)``: the sentence holding the first "Required if …"-like
    phrase and those after it in its paragraph that still speak of presence; when it ends with a
    colon ("Required if:", "… and the SOP Class UID is not:"), what it introduces (the list
    items, or the paragraphs up to one ending with a full stop); then an immediately following
    "May be present otherwise." paragraph. ``otherwise`` is "may" / "shall-not" / "" for the
    otherwise clause. Pass the cell's ``blocks`` so list items are told from paragraphs. The
    words are the standard's; interpreting them is the condition parser's job.
    """
    lines = _lines(description, blocks)
    pattern = _CONDITION_START
    if any(kind != "vl" and _CONDITION_STRONG.search(para) for kind, para in lines):
        pattern = _CONDITION_STRONG
    for i, (kind, para) in enumerate(lines):
        if kind == "vl":
            continue
        m = pattern.search(para)
        if not m:
            continue
        # start at the beginning of the sentence holding the phrase
        start = 0
        for sm in _SENTENCE_END.finditer(para[: m.start() + 1]):
            start = sm.end()
        sentences = _SENTENCE_SPLIT.split(para[start:])
        kept = [x for x in sentences[1:] if _STILL_CONDITION.search(x)]
        chunk = [" ".join([sentences[0], *kept])]
        j = i + 1
        if _CONTINUES.search(chunk[0]):
            if j < len(lines) and lines[j][0] == "li":
                while j < len(lines) and lines[j][0] == "li":
                    chunk.append(lines[j][1])
                    j += 1
            else:
                while j < len(lines) and lines[j][0] == "p" and j - i <= 8:
                    chunk.append(lines[j][1])
                    j += 1
                    if chunk[-1].rstrip().endswith("."):
                        break
        for _, nxt in lines[j : j + 2]:
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


def starts_with_condition(text: str) -> bool:
    """Whether the text opens with a condition phrase ("Required if …", "Shall be present
    only if …") rather than mentioning one later in a sentence."""
    return _CONDITION_START.match(text) is not None


def conditional_text(description: str, blocks: Sequence[Block] | None = None) -> tuple[str, str]:
    """:func:`condition_text` for a type 1C/2C row: falls back on the whole description, so a
    condition phrased in an unforeseen way is kept (and reported unparsed), never lost."""
    text, otherwise = condition_text(description, blocks)
    if text:
        return text, otherwise
    return " ".join(description.split("\n")), ""


_HEAD = re.compile(
    r"^(?:(?:for\s+)?Value\s+(?P<vi>\d+)\s*,?\s+)?(?P<retired>Retired\s+)?"
    r"(?P<kind>Enumerated\s+Values?|Defined\s+Terms?)\b(?P<rest>[^:]*):?\s*$",
    re.I,
)
_HEAD_ANYWHERE = re.compile(
    r"(?P<retired>Retired\s+)?(?P<kind>Enumerated\s+Values?|Defined\s+Terms?)\b"
    r"(?P<rest>[^:]*):?\s*$",
    re.I,
)
_IF_WHEN = re.compile(r"\b(?:if|when)\b", re.I)
_OWNER_START = re.compile(r"^\s*(?:of|for)\s", re.I)
_LEADING_VALUE = re.compile(r"^\s*(?:for\s+)?Value\s+(\d+)\b", re.I)


@dataclass(frozen=True)
class ValueListHead:
    """What a value list's heading says: "Value 1 Enumerated Values:", "Defined Terms for Image
    Type (0008,0008) Value 3:", "Enumerated Values if Segmentation Type (0062,0001) is BINARY:",
    "Enumerated Values for Bit 0 (lsb):", "Retired Defined Terms:"."""

    kind: str  # "enumerated" | "defined"
    owners: tuple[str, ...] = ()  # tags it is for: "for Strain Nomenclature (…) and …"
    value_index: int | None = None
    condition: str = ""  # words after if/when, or the "for …" phrase that restricts the list
    retired: bool = False


def parse_value_list_head(head: str) -> ValueListHead | None:
    """Read a value list's heading; None when it is not an Enumerated Values / Defined Terms list.

    The value index comes only from "Value n" before the kind or right after it (or after the
    owner), never from inside the condition ("if Image Type (0008,0008) Value 3 is …" qualifies
    the list, it does not say which value the list is for). A "for …" phrase that names no
    attribute and no value ("for Bit 0 (lsb)", "for CT") restricts the list to part of the value
    or to some cases; it is kept as the condition, so consumers never enforce such a list as
    the whole attribute's values.
    """
    text = " ".join(head.split())
    m = _HEAD.match(text) or _HEAD_ANYWHERE.search(text)
    if m is None:
        return None
    kind = "enumerated" if m.group("kind").lower().startswith("enum") else "defined"
    vi_text = m.groupdict().get("vi")
    value_index = int(vi_text) if vi_text else None
    rest = m.group("rest").strip().rstrip(":").strip()
    rest = re.sub(r"\s+are$", "", rest)
    cm = _IF_WHEN.search(rest)
    pre, cond = (rest[: cm.start()], rest[cm.end() :]) if cm else (rest, "")
    cond = cond.strip().rstrip(":").strip()
    owners: tuple[str, ...] = ()
    if _OWNER_START.match(pre):
        tags = list(TAG.finditer(pre))
        if tags:
            owners = tuple(format_tag(t.group(1), t.group(2)) for t in tags)
            pre = pre[tags[-1].end() :]
    pre = pre.strip().rstrip(",").strip()
    vm = _LEADING_VALUE.match(pre)
    if vm:
        if value_index is None:
            value_index = int(vm.group(1))
        pre = pre[vm.end() :].strip()
    if pre and not cond:
        cond = pre  # "for Bit 0 (lsb)", "for CT", "for Multi-energy CT Images"
    elif pre:
        cond = f"{pre} if {cond}"
    return ValueListHead(kind, owners, value_index, cond, bool(m.group("retired")))


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
        head = parse_value_list_head(b.title or b.intro or "")
        if head is None:
            continue
        values = [e.term for e in b.entries if e.term]
        if not values:
            continue
        if head.owners:
            if tag is not None and tag not in head.owners:
                continue
        elif owned_only:
            continue
        out.append(
            ValueSet(
                head.kind,  # type: ignore[arg-type]
                values,
                head.condition,
                head.value_index,
                source,
                retired=head.retired,
            )
        )
    return out


def cell_value_sets(cell: Cell, source: str, tag: str | None = None) -> list[ValueSet]:
    return value_sets(cell.blocks, source, tag=tag)


def first_paragraph_text(blocks: list | tuple) -> str:
    for b in blocks:
        if isinstance(b, Paragraph) and b.text:
            return b.text
    return ""

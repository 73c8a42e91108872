"""Small readers of the standard's recurring phrases: tags, nesting marks, CIDs, value lists.

These work on text and on the document model's blocks, so they serve every part's extraction.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..sources.model import Block, Cell, ItemizedList, Paragraph, Table, TableRef, VariableList
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
# "More than one value may be present if the Annotations apply to more than one (but not all)
# Optical Paths." (Table C.37.1-2): how many values, not whether the attribute is present
_VM_NOTE = re.compile(
    r"(?i)(?:^|(?<=[.;])\s+)(?:more\s+than\s+one|one\s+or\s+more|multiple)\s+values?\s+"
    r"(?:may|can|shall)\b[^.]*\.(?=\s|$)"
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
    lines = [(kind, _VM_NOTE.sub("", para)) for kind, para in _lines(description, blocks)]
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
    blocks: tuple | list,
    source: str,
    *,
    tag: str | None = None,
    owned_only: bool = False,
    tables: Mapping[str, Table] | None = None,
    prose: bool = False,
) -> list[ValueSet]:
    """Enumerated Values / Defined Terms lists among blocks (a cell's or a section's).

    A list whose heading names its attribute ("Enumerated Values of Segmentation Fractional
    Type (0062,0010):") is kept only for that attribute's ``tag``; with ``owned_only``, lists
    that name no attribute are dropped too (used for sections that discuss several attributes).

    Besides "Enumerated Values:" term lists, the standard gives value lists in three other
    shapes, all read here:

    * a term list inside a list item that names the value ("Value 1 shall identify the Pixel
      Data Characteristics" → "Enumerated Values: ORIGINAL, DERIVED", PS3.3 C.7.6.1.1.2): the
      item's "Value n" is the list's value index;
    * a table of terms (header "Enumerated Value(s) [Name]" / "Defined Term(s) [Name]", or no
      header and a sentence "… shall have the Defined Terms in Table …"), introduced by a
      sentence that says which value and attribute it is for ("Value 1 of Image Type
      (0008,0008) and Frame Type (0008,9007) shall use one of the following Enumerated Values
      from Table C.8-127"); pass ``tables``;
    * with ``prose``, a sentence that requires one value or a closed list: "Value 1 shall be
      DERIVED.", "Value 1 shall have a value of ORIGINAL or DERIVED", "The value shall be NONE."
      (after "Value 4 of Image Type (0008,0008) … is discussed in …"), "If Frame Type Value 1 …
      is ORIGINAL …, the value shall be HU (Hounsfield Units)." (the "if" clause becomes the
      list's condition), "… where the Enumerated Values are defined to be ORIGINAL or DERIVED".
      These are Enumerated Values in all but name: the standard allows that value and no
      other. Sentences whose "value" is a description ("shall be unique", "shall be
      positive", "shall be the same as …") or that carry an exception ("… except for …") are
      not lists and are left alone.
    """
    out: list[ValueSet] = []

    def keep(owners: tuple[str, ...]) -> bool:
        if owners:
            return tag is None or tag in owners
        return not owned_only

    def add(vs: ValueSet) -> None:
        key = (vs.kind, vs.values, vs.condition, vs.value_index)
        if not any((v.kind, v.values, v.condition, v.value_index) == key for v in out):
            out.append(vs)

    def from_list(
        b: VariableList, index: int | None, owners: tuple[str, ...], condition: str = ""
    ) -> None:
        head = parse_value_list_head(b.title or b.intro or "")
        if head is None:
            return
        values = [e.term for e in b.entries if e.term]
        if not values or not keep(head.owners or owners):
            return
        vi = head.value_index if head.value_index is not None else index
        cond = head.condition or condition
        add(ValueSet(head.kind, values, cond, vi, source, retired=head.retired))  # type: ignore[arg-type]

    for i, b in enumerate(blocks):
        if isinstance(b, VariableList):
            from_list(b, None, ())
        elif isinstance(b, ItemizedList):
            for item, lists in zip(b.items, b.item_lists, strict=False):
                lead = next((p.text for p in item if p.text), "")
                m = _ITEM_VALUE.match(lead)
                index = int(m.group(1)) if m else None
                owners = _owner_tags(lead) if m else ()
                # "If View Code Sequence (0054,0220) indicates a short axis view …:" → the
                # item's list holds under that condition (PS3.3 10.20.1.1)
                c = _ITEM_IF.match(lead)
                condition = c.group(1).strip() if c else ""
                for vl in lists:
                    from_list(vl, index, owners, condition)
        elif isinstance(b, TableRef) and tables is not None:
            vs, owners = _table_value_set(b.table_id, blocks[:i], tables, source)
            if vs is not None and keep(owners):
                add(vs)
        elif isinstance(b, Paragraph) and prose:
            for vs, owners in prose_value_sets(b.text, source):
                if keep(owners):
                    add(vs)
    return out


_ITEM_VALUE = re.compile(r"^\s*Value\s+(\d+)\b")
_ITEM_IF = re.compile(r"^\s*(?:If|When)\s+(.+?):?\s*$")
_KIND_WORDS = re.compile(r"(?i)\b(Enumerated\s+Values?|Defined\s+Terms?)\b")
_TABLE_HEAD = re.compile(r"(?i)^(Enumerated\s+Values?|Defined\s+Terms?)(?:\s+Name)?$")
_VALUE_IN_TEXT = re.compile(r"\bValue\s+(\d+)\b")


def _owner_tags(sentence: str) -> tuple[str, ...]:
    """The attributes a "Value n of A (gggg,eeee) and B (gggg,eeee) …" sentence is about: the
    tags before its verb ("shall", "is", "specifies", "follows")."""
    m = re.search(r"\b(?:shall|is|are|follows|specif(?:y|ies))\b", sentence)
    head = sentence[: m.start()] if m else sentence
    return tuple(format_tag(t.group(1), t.group(2)) for t in TAG.finditer(head))


def _table_value_set(
    table_id: str, before: Sequence[Block], tables: Mapping[str, Table], source: str
) -> tuple[ValueSet | None, tuple[str, ...]]:
    """A table of Enumerated Values or Defined Terms, read with the sentence that introduces it.

    The kind comes from the header ("Enumerated Value Name", "Defined Terms"), or, for a table
    without a header, from the introducing sentence, which must then link to the table ("Value
    3 (Image Flavor) shall have the Defined Terms in Table C.8.12.4-2"). The value index and the
    attributes come from the caption ("… of Image Type (0008,0008) Value 3 …") or that sentence.
    Words that restrict the list to kinds of images ("for Stereotactic Mammography", "for CT")
    are not kept as a condition: the section holding the table is about those images, and
    where a value has several such lists (PS3.3 C.8.11.7.1.4: Value 3 is empty "except when
    used to identify a stereotactic mammography image, digital breast tomosynthesis projection
    … or contrast enhanced image") their union is the value's list.
    """
    t = tables.get(table_id)
    if t is None or not t.body:
        return None, ()
    intro, linked = "", False
    for b in reversed(before):
        if isinstance(b, Paragraph) and table_id in b.links:
            intro, linked = b.text, True
            break
    if not intro and before and isinstance(before[-1], Paragraph):
        prev = before[-1]
        if not any(lk.startswith("table_") and lk != table_id for lk in prev.links):
            intro = prev.text
    sentence = next(
        (x for x in _SENTENCE_SPLIT.split(intro) if _KIND_WORDS.search(x) or t.label in x), ""
    )
    header = t.header_texts
    if header:
        m = _TABLE_HEAD.match(" ".join(header[0].split()))
    elif linked:  # no header: the sentence that links to the table says what it lists
        m = _KIND_WORDS.search(sentence)
    else:
        m = None
    if m is None:
        return None, ()
    kind = "enumerated" if m.group(1).lower().startswith("enum") else "defined"
    vm = _VALUE_IN_TEXT.search(t.caption) or _VALUE_IN_TEXT.search(sentence)
    owners = tuple(format_tag(g.group(1), g.group(2)) for g in TAG.finditer(t.caption))
    if not owners:
        owners = tuple(format_tag(g.group(1), g.group(2)) for g in TAG.finditer(sentence))
    # a row that is one cell across the table is a heading ("Contrast", "Tomosynthesis" in
    # Table C.8.21.6-1a), not a value
    values = [
        row[0].text.strip()
        for row in t.grid()
        if row and row[0].text.strip() and any(c is not row[0] for c in row[1:])
    ]
    if not values:
        return None, ()
    vs = ValueSet(kind, values, "", int(vm.group(1)) if vm else None, table_id)  # type: ignore[arg-type]
    return vs, owners


# One value as the standard writes required values: a code in capitals (with digits, "_", "-",
# spaces between words) or a number; a parenthesised meaning may follow ("HU (Hounsfield
# Units)").
_PV = r"(?:[A-Z][A-Z0-9_\-]*(?: [A-Z][A-Z0-9_\-]*)*|-?\d+(?:\.\d+)?)(?: \([^()]*\))?"
_PV_LIST = rf"(?P<vals>{_PV}(?:(?:, | or |, or ){_PV})*)"
_PROSE = (
    # "Value 1 shall be DERIVED." / "Value 1 shall have a value of ORIGINAL or DERIVED" /
    # "Value 3 (Image Flavor) shall have the value VOLUME"
    re.compile(
        r"^(?P<lead>Value (?P<n>\d+)(?: \([^()]*\))?(?P<of> (?:of|for) [^.]*?)?) shall "
        rf"(?:be|have a value of|have the value|have the value of|be one of) {_PV_LIST}"
        r"(?: (?P<when>if|when) (?P<cond>.+?))?\.?$"
    ),
    # "The 2nd value of Image Type and Frame Type shall be PRIMARY."
    re.compile(
        r"^The (?P<ord>first|second|third|fourth|1st|2nd|3rd|4th) ?value(?P<of> of [^.]*?)? "
        rf"shall be {_PV_LIST}\.?$"
    ),
    # "The value shall be NONE." / "This value shall be 1." / "If X is Y, the value shall be HU."
    re.compile(
        r"^(?:If (?P<pre>.+?), )?(?:[Tt]he|[Tt]his) value shall be "
        rf"{_PV_LIST}(?: (?P<when>if|when) (?P<cond>.+?))?\.?$"
    ),
    # "Value 1 shall identify … in accordance with Section C.7.6.1.1.2 where the Enumerated
    # Values are defined to be ORIGINAL or DERIVED."
    re.compile(
        r"^(?P<lead>Value (?P<n>\d+)(?P<of> (?:of|for) [^.]*?)?) shall .*? where the "
        rf"Enumerated Values are defined to be {_PV_LIST}\.?$"
    ),
)
_ORDINALS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "1st": 1,
    "2nd": 2,
    "3rd": 3,
    "4th": 4,
}
_PROSE_SPLIT = re.compile(r"(?<=\.)\s+(?=[A-Z])")


def prose_value_sets(text: str, source: str) -> list[tuple[ValueSet, tuple[str, ...]]]:
    """Required values stated in sentences (see :func:`value_sets`), with the attributes each
    sentence names ("Value 4 of Image Type (0008,0008) and Frame Type (0008,9007) …"); a
    sentence "The value shall be …" takes the value and attributes of the sentence before it
    in the paragraph when that one starts "Value n of …"."""
    out: list[tuple[ValueSet, tuple[str, ...]]] = []
    index: int | None = None
    owners: tuple[str, ...] = ()
    for sentence in _PROSE_SPLIT.split(" ".join(text.split())):
        lead = re.match(r"^Value (\d+) (?:of|for) ", sentence)
        if lead:
            index, owners = int(lead.group(1)), _owner_tags(sentence)
        for pattern in _PROSE:
            m = pattern.match(sentence)
            if m is None:
                continue
            gd = m.groupdict()
            vals = [
                re.sub(r" \([^()]*\)$", "", v).strip()
                for v in re.split(r", or |, | or ", gd["vals"])
            ]
            if any(v.lower() in ("present", "absent", "empty") for v in vals):
                break
            cond = gd.get("cond") or gd.get("pre") or ""
            if gd.get("cond") and gd.get("pre"):
                cond = f"{gd['pre']} and {gd['cond']}"
            if re.search(r"\bshall\b", cond):
                break  # "… shall be 1 if A, and shall be 2 if B": two rules in one sentence
            if gd.get("n"):
                vi: int | None = int(gd["n"])
                who = _owner_tags(sentence) if gd.get("of") else ()
            elif gd.get("ord"):
                vi = _ORDINALS[gd["ord"].lower()]
                who = _owner_tags(sentence)
            else:
                vi, who = index, owners  # "The value shall be …": the last "Value n of …"
            vs = ValueSet("enumerated", vals, cond.strip(), vi, source)
            out.append((vs, who))
            break
    return out


def cell_value_sets(
    cell: Cell,
    source: str,
    tag: str | None = None,
    *,
    tables: Mapping[str, Table] | None = None,
    prose: bool = False,
) -> list[ValueSet]:
    return value_sets(cell.blocks, source, tag=tag, tables=tables, prose=prose)


def first_paragraph_text(blocks: list | tuple) -> str:
    for b in blocks:
        if isinstance(b, Paragraph) and b.text:
            return b.text
    return ""

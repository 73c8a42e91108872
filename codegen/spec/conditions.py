"""The standard's condition sentences → executable predicates (:mod:`iodkit.rulemodel`).

PS3.3 states when a type 1C/2C attribute, a "C" module or functional group macro, or an
"Include Table …" row applies in plain English: "Required if Image Type (0008,0008) Value 1 is
ORIGINAL or MIXED. May be present otherwise." This module reads those words:

1. :func:`condition_sentences` cuts the condition out of a longer cell (the "Required if …" /
   "Shall be present if …" sentences, "May be present otherwise", "Shall not be present if …").
2. :func:`tokenize` replaces the things the sentence talks about by placeholders: attributes
   (``Name (gggg,eeee)``, or a bare name the resolver knows), modules and macros, coded values
   ``(code, scheme, "meaning")``, quoted strings and UIDs, parenthesised remarks.
3. :class:`_Parser`, a small recursive-descent parser over those tokens, builds the predicate:
   subjects ("A", "A and B", "either A or B", "A Value 2", "A in this Sequence Item", "A within
   B"), verb phrases ("is present", "is absent", "has a value", "is V1, V2 or V3", "is not V",
   "equals other than V", "is greater than N", "is non-zero", "contains an Item with the value
   (…)", "points to B", "contains more than one Item"), connectives with the usual reading of
   the standard's commas (", or" binds loosest, then ", and", then "or", then "and").

Whatever it cannot read becomes an :class:`Unknown` leaf, never a guess: ``reason="dataset"``
when the words speak of facts no dataset records ("if contrast was applied", "in the referenced
SOP Instance"), ``"unparsed"`` otherwise. Three-valued evaluation keeps the rest useful.

:func:`coverage` runs all of this over an edition's PS3.3 tables and reports how much became
executable; ``python -m iodkit.codegen.spec.conditions --source <edition folder>`` prints it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache

from iodkit.rulemodel import (
    CODE_VALUE_TAGS,
    CODING_SCHEME_DESIGNATOR,
    NOT_IN_DATASET,
    PER_FRAME_FG,
    SHARED_FG,
    UNPARSED,
    Absent,
    And,
    CodeIn,
    Compare,
    Condition,
    Count,
    DesignatorSufficient,
    Equals,
    ExtendedCharacters,
    FirstItem,
    HasValue,
    InAnnexL,
    IodRequires,
    Module,
    NonHumanPatient,
    Not,
    NotEquals,
    Or,
    Otherwise,
    PairedBodyPart,
    PointsInto,
    PointsTo,
    Predicate,
    Present,
    Ref,
    Transferred,
    Unknown,
)

Resolver = Callable[[str], int | None]

# ---------------------------------------------------------------------------------------------
# Attribute names ↔ tags


@lru_cache(maxsize=1)
def _dictionary() -> tuple[dict[str, int], dict[int, str]]:
    """pydicom's data dictionary as name → tag and tag → name.

    Names resolve current attributes only (a bare name in 2024c text means a current one) and
    keywords only when they cannot be mistaken for an English word (two capitals or more).
    """
    from pydicom.datadict import DicomDictionary

    by_name: dict[str, int] = {}
    by_tag: dict[int, str] = {}
    for tag, (_vr, _vm, name, retired, keyword) in DicomDictionary.items():
        if not name or name.startswith("Retired"):
            continue
        by_tag[tag] = name
        if retired or tag >> 16 == 0xFFFE:  # "Item", "Sequence Delimitation Item"
            continue
        by_name.setdefault(name, tag)
        if keyword and sum(c.isupper() for c in keyword) > 1 and " " not in keyword:
            by_name.setdefault(keyword, tag)
    return by_name, by_tag


def dictionary_resolver(name: str) -> int | None:
    """Resolve an attribute name or keyword with pydicom's dictionary (exact spelling)."""
    return _dictionary()[0].get(" ".join(name.split()))


def _dictionary_name(tag: int) -> str | None:
    return _dictionary()[1].get(tag)


@dataclass(frozen=True)
class Names:
    """A resolver over the spec's own dictionary (PS3.6 of the same edition).

    Pass it as ``resolve=``: it maps names and keywords to tags, and also tells the tokenizer
    an attribute's name (to find where a name written before its tag starts) and whether it
    is a sequence. Whatever it does not know falls back on pydicom's dictionary.
    """

    by_name: dict[str, int]
    by_tag: dict[int, tuple[str, str]]  # tag → (name, VR)

    @classmethod
    def from_entries(cls, entries: Iterable[tuple[int, str, str, str]]) -> Names:
        """From (tag, name, keyword, VR) rows."""
        by_name: dict[str, int] = {}
        by_tag: dict[int, tuple[str, str]] = {}
        for tag, name, keyword, vr in entries:
            by_tag[tag] = (name, vr)
            for key in (name, keyword):
                if key:
                    by_name.setdefault(" ".join(key.split()), tag)
        return cls(by_name, by_tag)

    def __call__(self, name: str) -> int | None:
        found = self.by_name.get(" ".join(name.split()))
        return found if found is not None else dictionary_resolver(name)

    def name_of(self, tag: int) -> str | None:
        entry = self.by_tag.get(tag)
        return entry[0] if entry else _dictionary_name(tag)

    def is_sequence(self, tag: int, name: str) -> bool:
        entry = self.by_tag.get(tag)
        return entry[1] == "SQ" if entry else _is_sequence_tag(tag, name)


def _is_sequence_tag(tag: int, name: str) -> bool:
    from pydicom.datadict import dictionary_VR

    try:
        return bool(dictionary_VR(tag) == "SQ")
    except KeyError:
        return name.rstrip().endswith("Sequence")


# ---------------------------------------------------------------------------------------------
# Cutting the condition out of a cell

_SPACE = re.compile(r"[ \t\u00a0\u2009\u202f]+")
_TRANSLATE = str.maketrans(
    {"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'", "\u2013": "-", "\u2014": "-"}
)


_GLUED = re.compile(r"\b(if|when|where)(?=[A-Z])")


@lru_cache(maxsize=4096)
def normalize(text: str) -> str:
    """Straight quotes, plain dashes, single spaces (newlines kept: they end sentences).
    Cached: a condition's text is normalised by each stage that reads it."""
    text = _GLUED.sub(r"\1 ", text.translate(_TRANSLATE))
    return "\n".join(_SPACE.sub(" ", line).strip() for line in text.splitlines()).strip()


# A sentence ends at a newline, or at ". " / "; " before a capital (not inside a UID or a
# section number, which have no space after the dot).
_SENTENCE = re.compile(r"(?<=[.])\s+(?=[A-Z\"(])|\n|\s+(?=[CMU]\s+-\s+[A-Z])")
_REQUIRED = re.compile(
    r"(?i)(?:\bis\s+)?(?<![a-z] )\b(?:required|shall\s+be\s+present|is\s+required|"
    r"shall\s+be\s+included|(?:must|shall)\s+be\s+(?:present|sent))"
    r"(?:,)?\s+(?:only\s+)?(?:if\s+and\s+only\s+if|if|when|for|unless|in\s+the\s+case)\b"
)
_MAY_OTHERWISE = re.compile(
    r"(?i)[,;.]?\s*(?:and\s+|it\s+|otherwise,?\s+(?:it\s+)?)?(?:may|can)\s+be\s+present"
    r"(?:\s+otherwise|\s+for\s+other\s+[^.;]*?|\s+in\s+other\s+cases)?(?=$|[.;,]|\s+if\b)"
    r"|[,;.]?\s*otherwise,?\s+(?:it\s+)?may\s+be\s+(?:present|included)\b"
)
_SHALL_NOT_OTHERWISE = re.compile(
    r"(?i)[,;.]?\s*(?:and\s+)?(?:(?:it|this\s+\w+)\s+)?shall\s+not\s+be\s+"
    r"(?:present|included|used|sent)\s+otherwise"
    r"|[,;.]?\s*otherwise,?\s+(?:it\s+|this\s+\w+\s+)?shall\s+not\s+be\s+(?:present|included|used)"
    r"|[,;.]?\s*otherwise\s+not\s+used"
)
# "More than one value may be present if …" (VM notes): the subject is values, not the attribute
_COUNT_NOTE = re.compile(
    r"(?i)\s*(?:more\s+than\s+one|one\s+or\s+more|multiple)\s+values?\s+(?:may|can|shall)\b"
)
_MAY_IF = re.compile(
    r"(?i)[,;.]?\s*(?:U\s+-\s+)?(?:otherwise,?\s+)?(?:it\s+)?"
    r"(?:may\s+be\s+(?:present|included|used)|optional)"
    # "May be present for other SOP Classes if …" (General Series, Patient Position): a
    # permission with its own condition, not "may be present otherwise"
    r"(?:\s+otherwise|\s+for\s+other\s+[^.;,]*?)?,?\s+(?:only\s+)?if\s+(?P<cond>.+)$"
)
_FORBIDDEN = re.compile(
    r"(?i)\b(?:(?:it|this\s+\w+|the\s+macro)\s+)?shall\s+not\s+be\s+(?:present|included|used)"
    r",?\s+(?:if|when)\b"
)
# Where a functional group macro may be used is a placement rule, not part of its condition.
_PLACEMENT = re.compile(
    r"(?i)[,;.]?\s*(?:it\s+)?(?:may|shall)\s+not\s+be\s+used\s+as\s+an?\s+"
    r"(?:shared|per-frame)\s+functional\s+group\.?"
)
# "… - See Section A.26.4", "…; see A.76.4.2": a pointer to more text, not part of the condition
_SEE_ALSO = re.compile(
    r"(?i)\s*[-;,.]?\s*\(?\bsee\s+(?:section\s+|table\s+|annex\s+|note\s+|ps3\.?)?"
    r"[A-Z]?[\d.]+[^()]*\)?\.?$"
)
_LEAD_IF = re.compile(r"(?i)^.*?\bif\s+")
_BARE_IF_IFF = re.compile(r"(?i)^(?:include\s+)?(?:only\s+)?if\s+and\s+only\s+if\b")
_BARE_IF = re.compile(r"(?i)^(?:include\s+)?(?:only\s+)?(?:if|when)\b")
_USAGE = re.compile(r"^\s*([CMU])\s*(?:[-:]\s*|\n|$)", re.S)
_INCLUDE = re.compile(r'^[>\s]*Include\s+(?:Table\s+)?[\w.\-]+(?:,)?\s*(?:"[^"]*")?\.?\s*', re.S)


@dataclass(frozen=True, slots=True)
class Sentences:
    """The parts of a cell that make up its condition, in the standard's words."""

    required: tuple[str, ...]  # "Required if …" clauses, trigger words removed
    otherwise: Otherwise
    forbidden: tuple[str, ...]  # "Shall not be present if …" clauses, trigger removed
    text: str  # the sentences the condition was read from, verbatim (normalised spaces)
    iff: bool = False  # "if and only if"
    permitted: tuple[str, ...] = ()  # "May be present if …" clauses, trigger removed


_CONTINUES = re.compile(r"(?i)(?::|,|;|\b(?:and|or|and/or|if))$")


def _sentences(text: str) -> list[str]:
    """Split into sentences, re-joining a line that ends in ':' or a connective (", or",
    ", and") with the lines of the list that follows it."""
    out: list[str] = []
    for part in _SENTENCE.split(text):
        part = part.strip()
        if not part:
            continue
        if out and _CONTINUES.search(out[-1]) and not _REQUIRED.search(part):
            out[-1] = f"{out[-1]} {part}"
        else:
            out.append(part)
    return out


# Literal words without which none of the patterns of condition_sentences can match.
_REQUIRED_WORDS = ("requir", "shall", "must")
_TRIGGER_WORDS = ("otherwise", "may", "optional", "can", "shall", "requir", "must")


def condition_sentences(text: str) -> Sentences:
    """Find the condition inside a cell of the standard (description, usage or include row)."""
    text = normalize(text)
    required: list[str] = []
    forbidden: list[str] = []
    permitted: list[str] = []
    used: list[str] = []
    otherwise: Otherwise = "unspecified"
    iff = False
    for sentence in _sentences(text):
        rest = sentence
        hit = False
        # each pattern below needs one of these words; most sentences of a description have
        # none, and the patterns (which may start at any position) are the parser's hot spot
        low = sentence.lower()
        if not any(w in low for w in _TRIGGER_WORDS):
            continue
        if "otherwise" in low and _SHALL_NOT_OTHERWISE.search(rest):
            otherwise = "shall-not"
            rest = _SHALL_NOT_OTHERWISE.sub("", rest)
            hit = True
        if _COUNT_NOTE.match(sentence):
            continue  # "More than one value may be present if …": how many values, not whether
        may_if = _MAY_IF.search(rest) if "may" in low or "optional" in low else None
        if may_if:
            # "May be present (otherwise) if X": a permission with its own condition
            permitted.append(may_if.group("cond").strip(" .;,"))
            rest = rest[: may_if.start()]
            hit = True
        elif ("may" in low or "can" in low) and _MAY_OTHERWISE.search(rest):
            otherwise = "may" if otherwise == "unspecified" else otherwise
            rest = _MAY_OTHERWISE.split(rest, maxsplit=1)[0]
            hit = True
        f = _FORBIDDEN.search(rest) if "shall" in low else None
        if f:
            forbidden.append(rest[f.end() :].strip(" .;,"))
            rest = rest[: f.start()]
            hit = True
        if "functional" in low:
            rest = _PLACEMENT.sub("", rest)
        m = _REQUIRED.search(rest) if any(w in low for w in _REQUIRED_WORDS) else None
        if m:
            trigger = m.group(0).lower()
            if "if and only if" in trigger or re.search(r"present\s+only\s+if", trigger):
                iff = True
            clause = rest[m.end() :].strip(" .;,")
            last = trigger.split()[-1]
            if last == "unless":
                clause = f"not ({clause})"
            elif last == "for":
                clause = f"for {clause}"
            lead = rest[: m.start()].strip(" ,;")
            if re.search(r"(?i)\bif\b", lead) and not re.match(r"(?i)^(otherwise|type|it)", lead):
                # "If X is present, Y is required" / "If required by …, shall be present for …"
                cond = _LEAD_IF.sub("", lead).strip(" ,")
                clause = f"{cond} and {clause}"
            required.append(_SEE_ALSO.sub("", clause))
            hit = True
        if hit:
            used.append(sentence)
    if iff and otherwise == "unspecified":
        otherwise = "shall-not"
    return Sentences(
        tuple(required), otherwise, tuple(forbidden), " ".join(used), iff, tuple(permitted)
    )


# ---------------------------------------------------------------------------------------------
# Tokens


@dataclass(frozen=True, slots=True)
class Tok:
    """One token: ``kind`` is word, num, attr, module, code, str, paren, punct."""

    kind: str
    text: str  # as written (for Unknown leaves and error messages)
    value: object = None
    start: int = 0  # where in the placeholder text (see _Tokens.span)
    end: int = 0

    @property
    def low(self) -> str:
        return self.text.lower() if self.kind == "word" else ""

    @property
    def attr(self) -> AttrRef:
        """The attribute of an ``attr`` token."""
        assert isinstance(self.value, AttrRef)
        return self.value

    @property
    def modules(self) -> ModuleNames:
        """The module names of a ``module`` token."""
        assert isinstance(self.value, ModuleNames)
        return self.value


@dataclass(frozen=True, slots=True)
class AttrRef:
    tag: int
    name: str
    sequence: bool


@dataclass(frozen=True, slots=True)
class ModuleNames:
    """Module names of "X or Y Functional Group Macros": names, kind, how they are joined."""

    names: tuple[str, ...]
    kind: str
    conj: str


_TAG = re.compile(r"\(\s*([0-9A-Fa-f]{2}[0-9A-Fa-fxX]{2})\s*,\s*([0-9A-Fa-fxX]{4})\s*\)")
_CODE = re.compile(r'\(\s*([^(),"]+?)\s*,\s*([A-Za-z0-9_.:\-]+)\s*,\s*"([^"]*)"\s*\)')
_QUOTED = re.compile(r'"([^"]*)"')
_UID = re.compile(r"\b\d+(?:\.\d+){3,}\b")
_NAME_WORD = re.compile(r"[A-Za-z0-9][\w\-/'&]*$")
_CONNECTOR = {"of", "for", "in", "to", "by", "on", "with", "per", "from", "at", "vs", "vs."}
_NAME_STOP = {
    "if", "when", "required", "shall", "the", "a", "an", "and", "or", "either", "both",
    "neither", "unless", "otherwise", "only", "where", "whose", "value", "values", "is", "are",
    "that", "which", "this", "then", "but", "not", "nor", "see", "within", "however",
}  # fmt: skip
_MODULE = re.compile(
    r"(?:\b[Tt]he\s+)?"
    r"((?:[A-Z0-9][\w/\-]*|\([A-Z][\w ,\-]*\))"
    r"(?:\s+(?:[A-Z0-9][\w/\-]*|of|for|in|and|or|image|\([A-Z][\w ,\-]*\)))*?)"
    r"\s+(Modules?|Macros?|Functional\s+Group\s+Macros?|Functional\s+Groups?|IODs?)\b"
    r"(?:\s*\(\s*(?:Section\s+)?[A-Z]?\.?[\d.]+\s*\))?"
)
_SENTINEL = re.compile("\x01(\\d+)\x01")
_PAREN = re.compile(r"\([^()\x00-\x08]*\)")
_LEX = re.compile(
    r"\x01(\d+)\x01|(-?\d+(?:\.\d+)?)(?![\w.])|(and/or)|([A-Za-z0-9][\w\-/'+.]*[\w+]|[A-Za-z0-9])"
    r"|(>=|<=|!=|[=<>,;:()])"
)


def _name_start(prefix: str, tag: int, name_of: Callable[[int], str | None]) -> int:
    """Where the attribute name written before a tag starts in ``prefix``.

    The dictionary's name is matched first (case-insensitive); the standard's name may be
    longer (renamed attributes, "Imaging Energy Derivation Code Sequence"), so capitalised words
    right before it are taken too, as they are when the dictionary does not know the tag:
    backwards while they look like a name (capitalised words, joined by "of", "for", …).
    """
    stripped = prefix.rstrip()
    end = len(stripped)
    known = name_of(tag)
    if known and stripped.lower().endswith(known.lower()):
        start = len(stripped) - len(known)
        if start == 0 or not stripped[start - 1].isalnum():
            end = start
    words = list(re.finditer(r"\S+", stripped[:end]))
    taken: list[re.Match[str]] = []
    for w in reversed(words):
        word = w.group(0)
        if "\x01" in word or not _NAME_WORD.match(word):
            break
        if word.lower() in _NAME_STOP and not (taken and word[0].isupper() and word != "If"):
            break
        if end < len(stripped) and not (word[0].isupper() or word[0].isdigit()):
            break  # extending a dictionary name: capitalised words only
        if not (word[0].isupper() or word[0].isdigit() or word.lower() in _CONNECTOR):
            break
        taken.append(w)
    while taken and (taken[-1].group(0).lower() in _CONNECTOR | _NAME_STOP):
        taken.pop()  # a name does not start with "of" or "The"
    return taken[-1].start() if taken else end


class _Tokens:
    """Turns a clause into tokens, remembering the placeholders' values."""

    def __init__(self, text: str, resolve: Resolver) -> None:
        self.resolve = resolve
        self.slots: list[Tok] = []
        s = text
        s = _CODE.sub(lambda m: self._slot("code", m.group(0), (m.group(1), m.group(2))), s)
        s = _QUOTED.sub(lambda m: self._slot("str", m.group(0), m.group(1)), s)
        s = self._attributes(s)
        s = _MODULE.sub(self._module, s)
        s = self._bare_names(s)
        s = _UID.sub(lambda m: self._slot("str", m.group(0), m.group(0)), s)
        s = _PAREN.sub(self._paren, s)
        self.source = s
        self.tokens = self._lex(s)

    def restore(self, segment: str) -> str:
        """The words as written for a stretch of the placeholder text."""
        return _SENTINEL.sub(lambda m: self.slots[int(m.group(1))].text, segment)

    def span(self, toks: list[Tok]) -> str:
        """The words as written from the first to the last of ``toks``."""
        if not toks:
            return ""
        return self.restore(self.source[toks[0].start : toks[-1].end]).strip()

    def _slot(self, kind: str, text: str, value: object) -> str:
        self.slots.append(Tok(kind, text, value))
        return f"\x01{len(self.slots) - 1}\x01"

    def _attributes(self, s: str) -> str:
        out: list[str] = []
        pos = 0
        for m in _TAG.finditer(s):
            group, elem = m.group(1).upper(), m.group(2).upper()
            tag = int((group + elem).replace("X", "0"), 16)
            prefix = s[pos : m.start()]
            start = _name_start(prefix, tag, getattr(self.resolve, "name_of", _dictionary_name))
            name = prefix[start:].strip()
            out.append(prefix[:start])
            seq = self._is_sequence(tag, name)
            written = self.restore(s[pos + start : m.end()])
            out.append(self._slot("attr", written, AttrRef(tag, name, seq)))
            pos = m.end()
        out.append(s[pos:])
        return "".join(out)

    def _is_sequence(self, tag: int, name: str) -> bool:
        check = getattr(self.resolve, "is_sequence", _is_sequence_tag)
        return bool(check(tag, name))

    def _module(self, m: re.Match[str]) -> str:
        names = re.split(r"\s*,\s*(?:or\s+|and\s+)?|\s+or\s+|\s+and\s+", m.group(1))
        kind_word = m.group(2).lower()
        kind = (
            "functional-group"
            if "functional" in kind_word
            else ("macro" if "macro" in kind_word else "iod" if "iod" in kind_word else "module")
        )
        if len(names) > 1 and any(self.resolve(n) for n in names):
            return m.group(0)  # "X and Y Module": X is an attribute, not a module
        conj = "and" if re.search(r"\s+and\s+", m.group(1)) else "or"
        names = [n.strip() for n in names if n.strip()]
        if not names or any(n.lower() in _NAME_STOP for n in names):
            return m.group(0)
        return self._slot("module", m.group(0), ModuleNames(tuple(names), kind, conj))

    def _bare_names(self, s: str) -> str:
        """Attribute names written without a tag ("Number of Frames is greater than 1")."""
        parts = re.split(r"(\x01\d+\x01)", s)
        for n, part in enumerate(parts):
            if n % 2:
                continue
            words = list(re.finditer(r"[A-Za-z0-9][\w\-/']*", part))
            out: list[str] = []
            pos = 0
            i = 0
            while i < len(words):
                w = words[i].group(0)
                found = None
                if w[0].isupper() and w.lower() not in _NAME_STOP:
                    for j in range(min(len(words), i + 10), i, -1):
                        span = part[words[i].start() : words[j - 1].end()]
                        if "\n" in span or "," in span or ";" in span:
                            continue
                        after = part[words[j - 1].end() :].lstrip()
                        nxt_word = words[j].group(0) if j < len(words) else ""
                        if nxt_word[:1].isupper() and not after.startswith(("(", ",")):
                            continue  # only the start of a longer name
                        if i and words[i - 1].group(0)[:1].isupper():
                            continue
                        if j - i == 1:
                            nxt = "=" if after.startswith("=") else nxt_word.lower()
                            prev = words[i - 1].group(0).lower() if i else ("if" if n == 0 else "")
                            if nxt not in {"is", "equals", "has", "value", "contains", "=", "are"}:
                                continue
                            if prev not in {"if", "when", "and", "or", "the", "that", "where"}:
                                continue
                        tag = self.resolve(span)
                        if tag is not None:
                            found = (j, tag, span)
                            break
                if found:
                    j, tag, span = found
                    out.append(part[pos : words[i].start()])
                    seq = self._is_sequence(tag, span)
                    out.append(self._slot("attr", span, AttrRef(tag, span, seq)))
                    pos = words[j - 1].end()
                    i = j
                else:
                    i += 1
            out.append(part[pos:])
            parts[n] = "".join(out)
        return "".join(parts)

    def _paren(self, m: re.Match[str]) -> str:
        inner = m.group(0)
        if "\x01" in inner and not re.match(r"(?i)\(\s*(?:i\.e\.|e\.g\.|see\b)", inner):
            return f"({inner[1:-1]})"
        return self._slot("paren", inner, inner)

    def _lex(self, s: str) -> list[Tok]:
        toks: list[Tok] = []
        for m in _LEX.finditer(s):
            a, b = m.span()
            if m.group(1) is not None:
                slot = self.slots[int(m.group(1))]
                toks.append(Tok(slot.kind, slot.text, slot.value, a, b))
            elif m.group(2) is not None:
                text = m.group(2)
                toks.append(Tok("num", text, float(text) if "." in text else int(text), a, b))
            elif m.group(3) is not None:
                toks.append(Tok("word", m.group(3), None, a, b))
            elif m.group(4) is not None:
                toks.append(Tok("word", m.group(4).rstrip("."), None, a, b))
            else:
                toks.append(Tok("punct", m.group(5), None, a, b))
        return toks


def tokenize(text: str, resolve: Resolver | None = None) -> list[Tok]:
    """The tokens of one clause (exposed for tests and debugging)."""
    return _Tokens(normalize(text), resolve or dictionary_resolver).tokens


# ---------------------------------------------------------------------------------------------
# The parser

_ACRONYMS = {
    "sop", "iod", "uid", "rt", "ct", "mr", "vr", "vm", "dicom", "lut", "voi", "ie", "stow-rs",
}  # fmt: skip
# "an expanded or replacement character set is used" (SOP Common), "… in one of the Keys"
# (Directory Records), "Attributes within the Sequence Item use …" (Inventory)
_CHARSET_USED = (
    "an expanded or replacement character set is used",
    "an extended or replacement character set is used",
    "expanded or replacement character set is used",
    "extended or replacement character set is used",
    "attributes within the sequence item use an expanded or replacement character set",
)
_BY_VALUE = ("the target content item is included by-value in the source content item",)
_BY_REFERENCE = ("the relationship is by-reference",)
_DENOTED_BY_REFERENCE = ("the target content item is denoted by-reference",)
_REFERENCED_CONTENT_ITEM_IDENTIFIER = 0x0040DB73
_VALUE_TYPE = 0x0040A040
_SPACING_NOT_SPECIFIED = (
    "the physical pixel spacing is not specified by",
    "physical pixel spacing is not specified by",
)
_SPACING_SPECIFIED = (
    "the physical pixel spacing is specified by",
    "physical pixel spacing is specified by",
)
# Image Pixel Module (Table C.7-11a): "Required if the IOD is not being transferred in a STOW-RS
# Request and is not encoded as metadata and compressed bulk pixel data."
_STOW_RS = (
    "the iod is being transferred in a stow-rs request",
    "iod is being transferred in a stow-rs request",
    "being transferred in a stow-rs request",
)
_NOT_STOW_RS = (
    "the iod is not being transferred in a stow-rs request",
    "iod is not being transferred in a stow-rs request",
    "not being transferred in a stow-rs request",
)
_METADATA = (
    "the iod is encoded as metadata and compressed bulk pixel data",
    "is encoded as metadata and compressed bulk pixel data",
    "encoded as metadata and compressed bulk pixel data",
)
_NOT_METADATA = (
    "the iod is not encoded as metadata and compressed bulk pixel data",
    "is not encoded as metadata and compressed bulk pixel data",
    "not encoded as metadata and compressed bulk pixel data",
)
_NON_HUMAN = (
    "the patient is a non-human organism",
    "patient is a non-human organism",
)
# "Body Part Examined (0018,0015) is present and contains a value defined in Annex L …"
_IN_ANNEX_L = (
    "is present and contains a value defined in annex l",
    "contains a value defined in annex l",
)
# "Dimension Index Pointer (0020,9165) value is the Data Element Tag of a Private Attribute"
_TAG_OF_PRIVATE = (
    "value is the data element tag of a private attribute",
    "is the data element tag of a private attribute",
)
_TAG_IN_FUNCTIONAL_GROUPS = (
    "is the data element tag of an attribute that is contained within a functional group sequence",
)
# "Coding Scheme Designator (0008,0102) is (not) sufficient to identify the Code Value …"
_NOT_SUFFICIENT = (
    "is not sufficient to identify", "are not sufficient to identify",
    "is insufficient to identify", "does not suffice to identify",
    "is not sufficient to unambiguously identify",
)  # fmt: skip
_SUFFICIENT = (
    "is sufficient to identify", "are sufficient to identify", "suffices to identify",
    "is sufficient to unambiguously identify",
)  # fmt: skip
_CODE_VALUE_SEPARATORS = frozenset((",", "or", "and", "and/or"))
_ELLIPSIS_VERBS = {"is", "are", "has", "have", "equals", "contains", "includes", "does", "was"}
_ELLIPSIS_START = _ELLIPSIS_VERBS | {"not", "value", "=", "equal", "with"}
_UID_NAMED = re.compile(r"^(\d+(?:\.\d+){3,})\s*\(")
_VALUE_END = {",", ";", ".", "or", "and", ")", "and/or", ":"}
_FRAGMENT_START = {
    "is", "are", "has", "have", "equals", "of", "greater", "less", "value", "values", "or",
    "and", "not", "=", "with", "contains", "includes", ">", "<", "was", "does",
}  # fmt: skip
_VALUE_WORD = re.compile(r"^[A-Z0-9][A-Z0-9_\-+/.]*$")
_NUMBER_WORDS = {"zero": 0, "one": 1, "two": 2, "three": 3}
# Words saying the condition is about another SOP Instance, about what the device or the
# creator did or knows, or about how the data will be used: facts no dataset records.
_ELSEWHERE = re.compile(
    r"(?i)\b(referenced\s+(?:sop\s+)?instance|instance\s+referenced|in\s+the\s+referenced|"
    r"of\s+the\s+referenced|classic\s+images?|source\s+images?|contributing|"
    r"original\s+image|in\s+the\s+source|converted|other\s+sop\s+instance|another\s+sop|"
    r"capable\s+of|insufficient\s+precision|does\s+not\s+fully\s+(?:describe|specify)|"
    r"(?:does|do)\s+not\s+apply\s+to|applies\s+to\s+a\s+subset|is\s+known|"
    r"may\s+be\s+retrieved|derived\s+from\s+an\s+instance|is\s+to\s+be\s+transferred|"
    r"differs\s+from|is\s+being\s+transmitted|not\s+to\s+be\s+used\s+for|"
    r"the\s+referenced\s+plan|referenced\s+by\s+the|is\s+not\s+that\s+which|"
    r"standard\s+palette|one-way\s+interaction|whose\s+treatment\s+position|"
    r"represents\s+a\s+dose|frame\s+level\s+retrieve|a\s+template|"
    r"associated\s+with\s+only|associated\s+to\s+only|"
    r"the\s+directory\s+record\s+references|contains\s+a\s+reference\s+to|"
    r"in\s+the\s+(?:rt\s+ion\s+)?plan\s+referenced|changes?\s+during|referenced\s+by\b|"
    r"corresponds\s+to\s+a\s+planned|the\s+date\s+and\s+time\s+are\s+different|"
    r"conveyed\s+by\s+a|combines\s+segments|instances\s+are\s+spatially\s+related)"
)


@dataclass(slots=True)
class _Subject:
    refs: list[tuple[tuple[int, ...], str]]  # (path, scope)
    conj: str = "and"  # how a verb phrase over several subjects combines
    negate: bool = False  # "neither … nor …"
    index: int | None = None
    count: bool = False  # "the number of Items in X"
    sequence: bool = False
    guards: list[Predicate] = field(default_factory=list)  # "… in the CT Image IOD"
    conns: list[str] = field(default_factory=list)  # between subjects: "A or B, and C"
    either: bool = False  # "either A or B …": the alternatives stay alternatives


class _Fail(Exception):
    """A unit could not be read; the caller turns its words into an Unknown leaf."""


class _NotInDataset(_Fail):
    """A unit was read, and it speaks of something no dataset records."""


@lru_cache(maxsize=512)
def _phrase_index(phrases: tuple[str, ...]) -> dict[str, list[tuple[str, ...]]]:
    """Phrases by first word, longest first: the parser asks for them thousands of times."""
    index: dict[str, list[tuple[str, ...]]] = {}
    for p in phrases:
        words = tuple(p.split())
        index.setdefault(words[0], []).append(words)
    for group in index.values():
        group.sort(key=len, reverse=True)
    return index


def _word_of(tok: Tok) -> str:
    if tok.kind == "word":
        # An all-capital word is a value (PRESENT, NONE), never a verb; acronyms excepted.
        low = tok.text.lower()
        if len(tok.text) > 1 and tok.text.isupper() and low not in _ACRONYMS:
            return ""
        return low
    return tok.text if tok.kind in ("punct", "num") else ""


class _Parser:
    def __init__(self, toks: list[Tok], src: _Tokens | None = None) -> None:
        self.src = src
        self.t = toks
        # each token's word form, computed once: word() is asked hundreds of thousands of times
        self.words = [_word_of(tok) for tok in toks]
        self.i = 0
        self.last: _Subject | None = None
        self.elliptic = False  # the last unit reused the previous subject

    # -- token helpers --------------------------------------------------------------------

    def peek(self, k: int = 0) -> Tok | None:
        j = self.i + k
        return self.t[j] if j < len(self.t) else None

    def at_end(self) -> bool:
        return self.i >= len(self.t)

    def word(self, k: int = 0) -> str:
        j = self.i + k
        return self.words[j] if j < len(self.words) else ""

    def phrase(self, *phrases: str) -> str | None:
        """Consume the longest of ``phrases`` (space-separated words) that follows."""
        i, ws = self.i, self.words
        if i >= len(ws):
            return None
        candidates = _phrase_index(phrases).get(ws[i])
        if not candidates:
            return None
        for words in candidates:  # longest first
            if ws[i : i + len(words)] == list(words):
                self.i += len(words)
                return " ".join(words)
        return None

    def skip_noise(self) -> None:
        while (tok := self.peek()) is not None and tok.kind == "paren":
            self.i += 1

    def text(self, a: int, b: int) -> str:
        if self.src is not None:
            return self.src.span(self.t[a:b])
        return " ".join(t.text for t in self.t[a:b]).replace(" ,", ",").strip()

    # -- expressions ----------------------------------------------------------------------

    def parse(self) -> Predicate:
        items: list[tuple[str | None, Predicate]] = []
        conn: str | None = None
        while True:
            start = self.i
            self.elliptic = False
            try:
                p = self.unit()
                if self.elliptic and conn is not None:
                    conn = "~" + conn.lstrip(",")  # "A is absent, or is present and …"
            except _NotInDataset:
                self.i = start
                p = self.recover(start)
                if isinstance(p, Unknown):
                    p = Unknown(p.text, NOT_IN_DATASET)
            except _Fail:
                self.i = start
                p = self.recover(start)
            items.append((conn, p))
            self.skip_noise()
            if self.at_end():
                break
            save = self.i
            conn = self.connective()
            if conn is None or self.at_end():
                self.i = save
                rest = self.text(self.i, len(self.t))
                if rest.strip(" .,;:"):
                    items.append(("and", self.unknown(self.i, len(self.t))))
                break
        return _combine(items)

    def connective(self) -> str | None:
        comma = False
        while self.word() in (",", ";"):
            comma = True
            self.i += 1
        w = self.phrase("and", "or", "and/or", "but", "nor", "and also", "as well as")
        if w is None:
            return "," if comma else None
        w = {
            "and/or": "or",
            "but": "and",
            "nor": "and",
            "and also": "and",
            "as well as": "and",
        }.get(w, w)
        if self.word() in ("if", "when"):
            comma = True  # "… and if …" starts a new clause, like a comma
        return f",{w}" if comma else w

    def recover(self, start: int) -> Predicate:
        """Skip to the next connective that starts something readable; the skipped words
        become an Unknown leaf."""
        j = start + 1
        while j < len(self.t):
            if self.t[j].text in (",", ";", "and", "or") and self._starts_unit(j + 1):
                break
            j += 1
        self.i = j
        return self.unknown(start, j)

    def _starts_unit(self, j: int) -> bool:
        """Does a readable unit start at token ``j``? (Tried, not guessed.)"""
        while j < len(self.t) and self.t[j].text.lower() in (",", "and", "or"):
            j += 1
        if j >= len(self.t):
            return False
        trial = _Parser(self.t[j:], self.src)
        try:
            trial.unit()
        except _Fail:
            return False
        return trial.i > 0

    def unknown(self, a: int, b: int) -> Unknown:
        toks = self.t[a:b]
        text = self.text(a, b).strip(" ,;.")
        refers = any(t.kind in ("attr", "module") for t in toks)
        elsewhere = bool(_ELSEWHERE.search(text))
        fragment = bool(toks) and (
            toks[0].low in _FRAGMENT_START
            or toks[0].kind in ("num", "str", "code")
            or (toks[0].kind == "word" and toks[0].text.isupper() and len(toks[0].text) > 1)
        )
        if re.search(r"\b(?:Section|Annex|Table)\s+[A-Z0-9]", text):
            refers = True  # the condition is spelled out elsewhere in the standard
        reason = NOT_IN_DATASET if (elsewhere or not (refers or fragment)) else UNPARSED
        return Unknown(text, reason)

    # -- units ----------------------------------------------------------------------------

    def unit(self) -> Predicate:
        while self.word() == ":":
            self.i += 1
        self.phrase("required if", "if", "when", "where", "whose", "that", "the case that",
                    "that is", "i.e.", "i.e.,")  # fmt: skip
        save = self.i
        if self.phrase("not") and self.word() == "(":
            self.i += 1
            inner = self._until_close()
            return Not(inner)
        self.i = save  # "… is absent or not TILED_FULL": an elliptic clause, read below
        if self.word() == "(":
            self.i += 1
            return self._until_close()
        if self.phrase("for"):
            return self.for_unit()
        special = self.special_unit()
        if special is not None:
            return special
        tok = self.peek()
        if tok is None:
            raise _Fail
        if tok.kind == "module" or (
            self.word() == "the" and (n := self.peek(1)) and n.kind == "module"
        ):
            return self.module_unit()
        subject = self.subject()
        if subject is None:
            if self.last is None or self.word() not in _ELLIPSIS_START:
                raise _Fail
            last = self.last
            subject = _Subject(
                last.refs, last.conj, False, last.index, guards=list(last.guards),
                conns=list(last.conns),
            )  # fmt: skip
            # "… is absent, or is TIME": a bare verb phrase continues the previous clause
            self.elliptic = self.word() in _ELLIPSIS_VERBS
        else:
            self.last = subject
        base = list(subject.refs)
        self.subject_modifiers(subject)
        build = self.verb_phrase(subject)
        self.subject_modifiers(subject)
        self.skip_noise()
        pred = self._build(subject, build)
        # "… is not present in this Sequence Item nor in the containing … Item"
        while True:
            save = self.i
            conn = self.phrase("nor", "or", "and", ", nor", ", or", ", and")
            if conn is None or self.word() not in ("in", "within", "at"):
                self.i = save
                break
            again = replace(subject, refs=list(base), guards=list(subject.guards))
            before = self.i
            self.subject_modifiers(again)
            if self.i == before:
                self.i = save
                break
            other = self._build(again, build)
            pred = _join(Or if conn.lstrip(", ") == "or" else And, pred, other)
        return pred

    def _build(self, subject: _Subject, build: Callable[[Ref, int | None], Predicate]) -> Predicate:
        preds = [build(Ref(path, scope), subject.index) for path, scope in subject.refs]
        if subject.negate:
            preds = [Not(p) for p in preds]
        if subject.guards:
            preds = [And((*subject.guards, p)) for p in preds]
        if len(preds) == 1:
            return preds[0]
        conns: list[str | None] = [None, *subject.conns]
        if len(conns) != len(preds):
            conns = [None] + [subject.conj] * (len(preds) - 1)
        if not subject.either and all(isinstance(p, Absent) for p in preds):
            # "Image Laterality (0020,0062) or Frame Laterality (0020,9072) or Measurement
            # Laterality (0024,0113) are not present" (General Series): none of them is;
            # "either A or B is not present" keeps its "or"
            conns = [None if c is None else c.replace("or", "and") for c in conns]
        return _combine(list(zip(conns, preds, strict=True)))

    def _until_close(self) -> Predicate:
        depth = 1
        j = self.i
        while j < len(self.t) and depth:
            depth += {"(": 1, ")": -1}.get(self.t[j].text, 0)
            j += 1
        inner = _Parser(self.t[self.i : j - 1], self.src)
        self.i = j
        return inner.parse()

    def special_unit(self) -> Predicate | None:
        """Clauses whose subject is not an attribute named with its tag:

        * "there is more than one Item in Exposure Sequence (3002,0030)" (RT Image) → a count;
        * "image is a multi-frame image" → Number of Frames (0028,0008) greater than 1 (a
          multi-frame image "contains multiple two-dimensional pixel planes"; an image without
          Number of Frames has one frame);
        * "SOP Class is one of the following: CT ("1.2.840.10008.5.1.4.1.1.2") or MR (…) …
          Storage SOP Classes" (General Series, Patient Position) → SOP Class UID (0008,0016);
        * "image does not require Image Orientation (Patient) (0020,0037) and …" (General
          Image, Patient Orientation) → what the IOD's rules require of this dataset;
        * "the body part examined is a paired structure" (General Series, Laterality) →
          PS3.16 Annex L, from Body Part Examined or Anatomic Region Sequence.
        """
        save = self.i
        if self.phrase("there is", "there are"):
            counted = next(((op, n) for words, op, n in _COUNTS if self.phrase(words)), None)
            if counted is None:
                self.i = save
                return None
            op, n = counted
            if self.phrase("item", "items", "sequence item", "sequence items") is None:
                self.i = save
                return None
            self.phrase("in the", "in", "of the", "of", "within the", "within")
            tok = self.peek()
            if tok is None or tok.kind != "attr":
                self.i = save
                return None
            self.i += 1
            self.phrase("sequence")
            if self.word() not in ("", ",", ";", ".", "and", "or"):
                # "… one or more Items of X other than PRIMARY_PVALUES": items of some kind,
                # not a count of all of them
                self.i = save
                return None
            return Count(Ref((tok.attr.tag,)), op, n)
        if self.phrase(
            "image is a multi-frame image", "the image is a multi-frame image",
            "the image is multi-frame", "image is multi-frame",
        ):  # fmt: skip
            return Compare(Ref((_NUMBER_OF_FRAMES,), "root"), ">", 1)
        if self.phrase(
            "sop class is one of the following", "the sop class is one of the following",
            "sop class is one of", "the sop class is one of",
            "sop class uid is one of the following",
        ):  # fmt: skip
            while self.word() == ":":
                self.i += 1
            vals = self.values()
            self.phrase("storage sop classes", "storage sop class", "sop classes", "sop class")
            return _value_pred(Ref((_SOP_CLASS_UID,), "root"), None, vals, other=False)
        negated = self.phrase("image does not require", "the image does not require")
        if negated or self.phrase("image requires", "the image requires"):
            tags: list[int] = []
            while (tok := self.peek()) is not None and tok.kind == "attr":
                tags.append(tok.attr.tag)
                self.i += 1
                nxt = self.peek(1)
                if self.word() == "and" and nxt is not None and nxt.kind == "attr":
                    self.i += 1
                    continue
                break
            if not tags:
                self.i = save
                return None
            req = IodRequires(tuple(tags))
            return Not(req) if negated else req
        if self.phrase(
            "the body part examined is a paired structure",
            "body part examined is a paired structure",
        ):  # fmt: skip
            return PairedBodyPart()
        if self.phrase(*_CHARSET_USED):
            self.phrase("in one of the keys", "in the keys")
            return ExtendedCharacters()
        if self.phrase(*_NON_HUMAN):
            return NonHumanPatient()
        for phrases, how, denied in (
            (_NOT_STOW_RS, "stow-rs", True),
            (_STOW_RS, "stow-rs", False),
            (_NOT_METADATA, "metadata", True),
            (_METADATA, "metadata", False),
        ):
            if self.phrase(*phrases):
                return Not(Transferred(how)) if denied else Transferred(how)
        by_value = self.phrase(*_BY_VALUE)
        if by_value or self.phrase(*_BY_REFERENCE):
            # Document Relationship Macro (Table C.17-6): a Content Sequence item is by-value or
            # by-reference, and by-reference is what Referenced Content Item Identifier
            # (0040,DB73) denotes; an item without it includes the content macros
            rcii = Ref((_REFERENCED_CONTENT_ITEM_IDENTIFIER,), "item")
            return Absent(rcii) if by_value else Present(rcii)
        if self.phrase(*_DENOTED_BY_REFERENCE):
            # "…, i.e., the Document Relationship Macro and Document Content Macro are not
            # included" (Referenced Content Item Identifier): the standard's own definition,
            # read from the Document Content Macro's Type 1 Value Type (0040,A040)
            j = self.i
            while j < len(self.t) and j - self.i < 12 and self.words[j] != "included":
                j += 1
            if j < len(self.t) and self.words[j] == "included":
                self.i = j + 1
            return Absent(Ref((_VALUE_TYPE,), "item"))
        negated = self.phrase(*_SPACING_NOT_SPECIFIED)
        if negated or self.phrase(*_SPACING_SPECIFIED):
            return self.spacing_unit(negated is not None, save)
        return None

    def spacing_unit(self, negated: bool, save: int) -> Predicate | None:
        """ "the physical pixel spacing is (not) specified by Pixel Spacing (0028,0030), or
        Imager Pixel Spacing (0018,1164) or Nominal Scanned Pixel Spacing (0018,2010), either
        for the entire Image or per-frame in a Functional Group Macro" (Image Pixel, Pixel
        Aspect Ratio): some (none) of them is present, at the top level or in a functional
        group (where a reference looks anyway)."""
        tags: list[int] = []
        while (tok := self.peek()) is not None and tok.kind == "attr":
            tags.append(tok.attr.tag)
            self.i += 1
            self.phrase(",")
            if self.phrase("or", ", or") is None and (n := self.peek()) is not None:
                if n.kind != "attr":
                    break
        if not tags:
            self.i = save
            return None
        self.phrase(",")
        if (
            self.phrase(
                "either for the entire image or per-frame in a",
                "for the entire image or per-frame in a",
            )
            and (tok := self.peek()) is not None
            and tok.kind == "module"
        ):
            self.i += 1  # "… Functional Group Macro"
        preds = [Absent(Ref((t,))) if negated else Present(Ref((t,))) for t in tags]
        if len(preds) == 1:
            return preds[0]
        return And(tuple(preds)) if negated else Or(tuple(preds))

    def for_unit(self) -> Predicate:
        """Reads "Required for first Item of X", "for images where …", "for Control Point 0",
        "for Scan Options (0018,0022) that include heart gating (e.g., CG, PPG, etc.)"."""
        self.phrase("the")
        tok = self.peek()
        if tok is not None and tok.kind == "attr" and self.word(1) in ("that", "which"):
            return self.examples_unit(tok)
        if self.phrase("first item", "first control point", "control point 0", "first items"):
            if self.phrase("of", "in") is not None:
                self.phrase("the", "this")
                tok = self.peek()
                if tok is not None and tok.kind == "attr":
                    self.i += 1
                elif self.phrase("sequence", "sequence item") is None:
                    raise _Fail
            cond = FirstItem()
            if self.phrase("if", "when"):
                return And((cond, self.unit()))
            return cond
        if self.phrase("images", "images where", "instances where", "frames where", "images that"):
            return self.unit()
        raise _Fail

    def examples_unit(self, tok: Tok) -> Predicate:
        """ "Scan Options (0018,0022) that include heart gating (e.g., CG, PPG, etc.)": the
        examples decide "yes"; a value other than the examples may or may not mean the same
        (the list is open), so that case stays undecided. The spec pass narrows it to values
        the edition does not define (:func:`iodkit.codegen.spec.predicates.known_terms`)."""
        self.i += 1
        if self.phrase("that include", "that includes", "which include", "which includes",
                       "that contain", "that contains") is None:  # fmt: skip
            raise _Fail
        start = self.i
        while (t := self.peek()) is not None and t.kind == "word":
            self.i += 1
        paren = self.peek()
        if paren is None or paren.kind != "paren":
            raise _Fail
        m = re.match(r"(?i)^\(\s*e\.g\.,?\s*(.+?)(?:,?\s*etc\.?)?\s*\)$", str(paren.value))
        if m is None:
            raise _Fail
        examples = tuple(v.strip() for v in m.group(1).split(",") if v.strip())
        if not examples or not all(_VALUE_WORD.match(v) for v in examples):
            raise _Fail
        self.i += 1
        what = " ".join(t.text for t in self.t[start : self.i - 1])
        r = Ref((tok.attr.tag,))
        other = Unknown(f"{tok.text} has another value that means {what}", NOT_IN_DATASET)
        return Or((Equals(r, examples), And((NotEquals(r, examples), other))))

    def module_unit(self) -> Predicate:
        self.phrase("the")
        tok = self.t[self.i]
        self.i += 1
        names, kind, conj = tok.modules.names, tok.modules.kind, tok.modules.conj
        mods = [(n, kind) for n in names]
        while True:  # "the Display Shutter Module or Bitmap Display Shutter Module"
            save = self.i
            sep = self.connective()
            self.phrase("the")
            nxt = self.peek()
            if sep is None or nxt is None or nxt.kind != "module":
                self.i = save
                break
            self.i += 1
            conj = "or" if sep.endswith("or") else "and"
            mods += [(n, nxt.modules.kind) for n in nxt.modules.names]
        present = self.presence()
        if present is None:
            raise _Fail
        if self.phrase("in the", "in") and (t := self.peek()) is not None and t.kind == "module":
            self.i += 1  # "… Macro is present in the Current Frame Functional Groups Module"
        preds: list[Predicate] = [Module(n, k) for n, k in mods]
        if not present:
            preds = [Not(p) for p in preds]
        if len(preds) == 1:
            return preds[0]
        return And(tuple(preds)) if conj == "and" else Or(tuple(preds))

    def presence(self) -> bool | None:
        if self.phrase(*_ABSENT):
            return False
        if self.phrase(*_PRESENT):
            return True
        return None

    def subject(self) -> _Subject | None:
        save = self.i
        negate = False
        either = False
        conj = "and"
        count = False
        index: int | None = None
        if self.phrase("neither"):
            negate = True
        elif self.phrase("either", "one of", "any of", "at least one of"):
            conj = "or"
            either = True
        else:
            self.phrase("both", "all of")
        if self.phrase("the number of items in", "the number of items of", "the number of items",
                       "number of items in", "the number of values in", "the number of values of",
                       "the number of values", "the vm of"):  # fmt: skip
            count = True
        idx = self.phrase(
            "the value of", "the value for", "the values of", "value of", "any value of",
            "the first value of", "the second value of", "the third value of",
            "the fourth value of",
            "the value 1 of", "value 1 of", "value 2 of", "value 3 of", "value 4 of",
            "the value 2 of", "the value 3 of", "the value 4 of", "the value in", "the content of",
            "the contents of", "the", "a value of", "attribute", "the attribute",
            "any of the values of",
            "attributes", "the attributes", "value", "the values", "the value", "one", "any",
            "an item of", "any item of", "any item in",
            "one of the values of", "a value in", "any value in",
        )  # fmt: skip
        if idx:
            index = _index_of(idx)
        refs: list[tuple[tuple[int, ...], str]] = []
        conns: list[str] = []
        seq = False
        while (tok := self.peek()) is not None and tok.kind == "attr":
            a = tok.attr
            refs.append(((a.tag,), "auto"))
            seq = a.sequence
            self.i += 1
            save2 = self.i
            sep = self.connective()
            self.phrase("the", "any value of", "the value of", "a value of", "either")
            nxt = self.peek()
            if sep in ("and", ",and", "or", ",or", ",") and nxt is not None and nxt.kind == "attr":
                if sep.endswith("or"):
                    conj = "or"
                conns.append(sep)
                continue
            self.i = save2
            break
        if not refs:
            self.i = save
            return None
        if negate:
            conj = "and"
        elif either:  # "either A or B", "one of A, B and C"
            conns = [c.replace("and", "or") for c in conns]
        return _Subject(refs, conj, negate, index, count, seq, conns=conns, either=either)

    def subject_modifiers(self, s: _Subject) -> None:
        """Reads "Value 2", "in this Sequence Item", "within X", "of this frame", "at the image
        level"."""
        while True:
            self.skip_noise()
            save = self.i
            if self.word() == "," and self.word(1) == "value":
                self.i += 1
            if self.phrase("value", "value number") and (tok := self.peek()) and tok.kind == "num":
                s.index = int(tok.value)  # type: ignore[call-overload]
                self.i += 1
                if self.word() == ",":
                    self.i += 1
                continue
            self.i = save
            if self.phrase(*_FRAME_WORDS):
                continue
            if self.phrase("sequence", "attribute", "item", "items") and self.word() != "of":
                continue
            self.i = save
            if self.phrase(*_FG_SCOPE):
                s.refs = [(p, "frame") for p, _ in s.refs]
                continue
            if self.phrase(*_ITEM_SCOPE):
                s.refs = [(p, "item") for p, _ in s.refs]
                continue
            if self.phrase(*_ROOT_SCOPE):
                s.refs = [(p, "root") for p, _ in s.refs]
                continue
            if self.phrase(*_PARENT_SCOPE):
                tok = self.peek()
                if tok is not None and tok.kind == "attr":
                    self.i += 1
                self.phrase("item", "sequence item", "sequence")
                s.refs = [(p, "parent") for p, _ in s.refs]
                continue
            if self.phrase(*_WITHIN):
                tok = self.peek()
                if tok is not None and tok.kind == "attr" and tok.attr.sequence:
                    outer = tok.attr.tag
                    self.i += 1
                    self.phrase("item", "items", "sequence item", "sequence items")
                    if (outer in (SHARED_FG, PER_FRAME_FG) and self.word() == "or"
                            and (t2 := self.peek(1)) is not None and t2.kind == "attr"
                            and t2.attr.tag in (SHARED_FG, PER_FRAME_FG)):  # fmt: skip
                        self.i += 2
                    if outer in (SHARED_FG, PER_FRAME_FG):
                        s.refs = [(p, "frame") for p, _ in s.refs]
                    else:
                        s.refs = [((outer, *p), sc) for p, sc in s.refs]
                    continue
                if tok is not None and tok.kind == "module":
                    self.i += 1
                    names, kind = tok.modules.names, tok.modules.kind
                    while (self.word() in ("or", ",") and (t2 := self.peek(1)) is not None
                           and t2.kind == "module"):  # fmt: skip
                        self.i += 2
                    if kind == "iod":
                        s.guards.append(Module(names[0], "iod"))
                    elif kind == "functional-group":
                        s.refs = [(p, "frame") for p, _ in s.refs]
                    else:
                        s.refs = [(p, "root") for p, _ in s.refs]
                    continue
                self.i = save
            break

    # -- verb phrases ---------------------------------------------------------------------

    def verb_phrase(self, s: _Subject) -> Callable[[Ref, int | None], Predicate]:
        if s.count:
            op_n = self.comparison(require_verb=True)
            if op_n is None:
                raise _Fail
            op, n = op_n
            return lambda r, i: Count(r, op, int(n))
        if self.phrase(*_CHANGES):
            # "changes during Beam": compares items with each other and with what the
            # device did; no single dataset answers it.
            raise _NotInDataset
        counted = self.count_phrase()
        if counted is not None:
            op, count = counted
            return lambda r, i: Count(r, op, count)
        if self.phrase(*_IN_ANNEX_L):
            # … "Correspondence of Anatomic Region Codes and Body Part Examined Defined Terms"
            # in PS3.16: the title and the part are the reference, not more condition
            title = self.peek()
            if title is not None and title.kind == "str":
                self.i += 1
            part = self.peek(1)
            if self.word() == "in" and part is not None and part.text.startswith("PS3"):
                self.i += 2
            return lambda r, i: InAnnexL(r)
        if self.phrase(*_TAG_OF_PRIVATE):
            return lambda r, i: PointsInto(r, "private")
        if self.phrase(*_TAG_IN_FUNCTIONAL_GROUPS):
            return lambda r, i: PointsInto(r, "functional-group")
        sufficient = self.designator_sufficiency(s)
        if sufficient is not None:
            return sufficient
        if self.phrase(*_EMPTY):
            return lambda r, i: And((Present(r), Not(HasValue(r))))
        save = self.i
        if self.phrase(*_NO_VALUE):
            if not self._value_follows():
                return lambda r, i: Not(HasValue(r))
            self.i = save
        save = self.i
        if self.phrase(*_HAS_VALUE):
            if not self._value_follows():
                return lambda r, i: HasValue(r)
            self.i = save
        if self.phrase(*_NON_ZERO):
            return lambda r, i: Compare(r, "!=", 0, i)
        if self.phrase(*_ZERO):
            return lambda r, i: Compare(r, "==", 0, i)
        save = self.i
        pres = self.presence()
        if pres is not None and not self._continues_with_value():
            return (lambda r, i: Present(r)) if pres else (lambda r, i: Absent(r))
        self.i = save
        # "is present and …" / "is present with …" before a value test
        self.phrase(
            "is present and", "is present, and", "are present and",
            "is present and the value", "is present and its value", "is present in this item and",
            "is sent and", "exists and", "is provided and", "is included and",
        )  # fmt: skip
        cmp = self.comparison(require_verb=False)
        if cmp is not None:
            op, n = cmp
            return lambda r, i: Compare(r, op, n, i)
        if self.phrase(*_OTHER_THAN):
            vals = self.values()
            return lambda r, i: _value_pred(r, i, vals, other=True, sequence=s.sequence)
        neg = self.phrase(*_IS_NOT)
        if neg is None and self.phrase(*_IS) is None:
            raise _Fail
        self.phrase(*_BEFORE_VALUES)
        if self.word() == ":":
            self.i += 1
        if neg is None and (tok := self.peek()) is not None and tok.kind == "num":
            # "is 2 or 3"; but "is 0 or more" is not a value list
            pass
        vals = self.values()
        if neg is not None:
            return lambda r, i: Not(_value_pred(r, i, vals, other=False, sequence=s.sequence))
        return lambda r, i: _value_pred(r, i, vals, other=False, sequence=s.sequence)

    def designator_sufficiency(self, s: _Subject) -> Callable[[Ref, int | None], Predicate] | None:
        """ "[the value of] Coding Scheme Designator (0008,0102) [is present and] is (not)
        sufficient to identify the Code Value (0008,0100) or Long Code Value (0008,0119) [or
        URN Code Value (0008,0120)] unambiguously" (Code Sequence Macro, Coding Scheme Version)
        → the designator is present and (not) :class:`DesignatorSufficient` (PS3.16 Table
        8-1, PS3.3 Section 8.2). Only with the designator as subject and code values as
        object; None (nothing consumed) otherwise."""
        save = self.i
        if s.count or not s.refs or any(path[-1] != CODING_SCHEME_DESIGNATOR for path, _ in s.refs):
            return None
        self.phrase("is present and", "is present , and")
        negated = self.phrase(*_NOT_SUFFICIENT) is not None
        if not negated and self.phrase(*_SUFFICIENT) is None:
            self.i = save
            return None
        identified = 0
        while True:
            self.phrase("the")
            tok = self.peek()
            if tok is None or tok.kind != "attr" or tok.attr.tag not in CODE_VALUE_TAGS:
                break
            identified += 1
            self.i += 1
            if not self._code_value_follows():
                break
            while self.word() in _CODE_VALUE_SEPARATORS:
                self.i += 1
        if not identified:
            self.i = save
            return None
        self.phrase("unambiguously")
        if negated:
            return lambda r, i: And((Present(r), Not(DesignatorSufficient())))
        return lambda r, i: And((Present(r), DesignatorSufficient()))

    def _code_value_follows(self) -> bool:
        """After a code value: "or [the] <another code value>"."""
        j = 0
        if self.word(j) not in _CODE_VALUE_SEPARATORS:
            return False
        while self.word(j) in _CODE_VALUE_SEPARATORS or self.word(j) == "the":
            j += 1
        tok = self.peek(j)
        return tok is not None and tok.kind == "attr" and tok.attr.tag in CODE_VALUE_TAGS

    def _value_follows(self) -> bool:
        """After "has a value": is it "has a value of X" / "has a value greater than"?"""
        w = self.word()
        tok = self.peek()
        if w in ("of", "equal", "greater", "less", "other", "that", "=", "not", ">", "<"):
            return True
        return tok is not None and (
            tok.kind in ("str", "code", "num") or (tok.kind == "word" and tok.text.isupper())
        )

    def _continues_with_value(self) -> bool:
        """After "is present", does "with a value of …"/"and equals …" follow?"""
        save = self.i
        ok = self.phrase("and", ", and", "with", "and has", "and the value") is not None and (
            self.word() in _VALUE_VERBS | {"not", "other"}
            or self.phrase(
                "a value",
                "the value",
                "value",
                "an item value",
                "values",
                "a non-zero value",
                "an item",
                "the values",
            )
            is not None  # fmt: skip
        )
        self.i = save
        return ok

    def comparison(self, *, require_verb: bool) -> tuple[str, float | int] | None:
        save = self.i
        verb = self.phrase("is", "are", "has a value", "has a value that is", "value is", "has",
                           "is a value", "has value", "with a value", "equals", "of",
                           "has a value of", "is present and", "is present with a value",
                           "contains a value")  # fmt: skip
        if require_verb and verb is None and self.word() not in ("greater", "less", ">", "<"):
            self.i = save
            return None
        op = None
        for words, o in _COMPARISONS:
            if self.phrase(words):
                op = o
                break
        if op is None:
            self.i = save
            return None
        tok = self.peek()
        n: float | int | None = None
        if tok is not None and tok.kind == "num":
            n = tok.value  # type: ignore[assignment]
        elif tok is not None and tok.low in _NUMBER_WORDS:
            n = _NUMBER_WORDS[tok.low]
        if n is None:
            self.i = save
            return None
        self.i += 1
        return op, n

    def count_phrase(self) -> tuple[str, int] | None:
        save = self.i
        if self.phrase("contains", "has", "includes", "contain", "have", "is present and contains",
                       "is present and has", "consists of") is None:  # fmt: skip
            return None
        for words, op, n in _COUNTS:
            if self.phrase(words):
                if self.phrase("item", "items", "value", "values", "sequence item",
                               "sequence items", "entries", "entry") is not None:  # fmt: skip
                    return op, n
                break
        self.i = save
        return None

    def values(self) -> tuple[object, ...]:
        vals: list[object] = []
        v = self.value()
        if v is None:
            raise _Fail
        vals.append(v)
        while True:
            save = self.i
            sep = False
            while self.word() in (",", ";"):
                self.i += 1
                sep = True
            if self.phrase("or", "and/or", "or to", "or one of", "or is"):
                sep = True
            elif (t := self.peek()) is not None and t.kind == "str" and isinstance(vals[-1], _Str):
                sep = True  # a list of UIDs, one per line, without separators
            elif sep and self.phrase("and") is not None and self._value_then_end():
                pass  # "A, B, and C" inside a value list
            if not sep:
                break
            v = self.value()
            if v is None:
                self.i = save
                break
            vals.append(v)
        return tuple(vals)

    def _value_then_end(self) -> bool:
        tok = self.peek()
        nxt = self.peek(1)
        return (
            tok is not None
            and tok.kind in ("word", "str", "num", "code")
            and (nxt is None or nxt.text in (".", ",", ";") or nxt.kind == "paren")
        )

    def value(self) -> object | None:
        save = self.i
        if self.phrase(*_TAG_OF) and (tok := self.peek()) is not None and tok.kind == "attr":
            after = self.peek(1)
            if after is None or after.kind == "paren" or after.text.lower() in _VALUE_END:
                self.i += 1
                self.skip_noise()
                return _Tag(tok.attr.tag)
        self.i = save
        tok = self.peek()
        if tok is None:
            return None
        # "CT ("1.2.840…")": a name, then the value in parentheses
        if tok.kind == "word":
            j = self.i
            while j < len(self.t) and j < self.i + 12 and self.t[j].kind == "word":
                j += 1
            if j + 2 < len(self.t) and self.t[j].text == "(" and self.t[j + 1].kind == "str":
                if self.t[j + 2].text == ")":
                    self.i = j + 3
                    return _Str(str(self.t[j + 1].value))
            if not _VALUE_WORD.match(tok.text):
                return None
        nxt = self.peek(1)
        if nxt is not None and nxt.kind == "word" and nxt.low in _VALUE_VERBS | {"are"}:
            if tok.kind in ("attr", "word"):
                return None  # the subject of the next clause, not a value
        if tok.kind == "str":
            self.i += 1
            self.skip_noise()
            # '"1.2.840.10008.5.1.4.1.1.2.2 (Legacy Converted …)"': the UID, not its name
            uid = _UID_NAMED.match(str(tok.value))
            return _Str(uid.group(1) if uid else str(tok.value))
        if tok.kind == "num":
            self.i += 1
            self.skip_noise()
            return tok.value
        if tok.kind == "code":
            self.i += 1
            self.skip_noise()
            return _Code(*tok.value)  # type: ignore[misc]
        if tok.kind == "attr":
            if nxt is not None and nxt.kind != "paren" and nxt.text.lower() not in _VALUE_END:
                return None  # an attribute with more to say is the next clause's subject
            self.i += 1
            self.skip_noise()
            return _Tag(tok.attr.tag)
        if tok.kind == "word" and _VALUE_WORD.match(tok.text) and tok.text not in ("a", "I"):
            words = [tok.text]
            self.i += 1
            while (t := self.peek()) is not None and t.kind == "word" and _VALUE_WORD.match(t.text):
                n2 = self.peek(1)
                if n2 is not None and n2.kind == "word" and n2.low in _VALUE_VERBS:
                    break
                words.append(t.text)
                self.i += 1
            self.skip_noise()
            return " ".join(words)
        if tok.kind == "word" and tok.low in _NUMBER_WORDS:
            self.i += 1
            return _NUMBER_WORDS[tok.low]
        return None


@dataclass(frozen=True, slots=True)
class _Str:
    """A quoted value: a string even when it looks like a number ("01")."""

    s: str


@dataclass(frozen=True, slots=True)
class _Code:
    value: str
    scheme: str


@dataclass(frozen=True, slots=True)
class _Tag:
    tag: int


def _value_pred(
    r: Ref, index: int | None, vals: tuple[object, ...], *, other: bool, sequence: bool = False
) -> Predicate:
    tags = tuple(v.tag for v in vals if isinstance(v, _Tag))
    if sequence and tags and len(tags) == len(vals):
        # "Study Access End Points Sequence does not include Retrieve AE Title (0008,0054)":
        # an attribute inside the sequence's items, not a tag value
        found = [Present(Ref((*r.path, t), r.scope)) for t in tags]
        one = found[0] if len(found) == 1 else Or(tuple(found))
        return Not(one) if other else one
    codes = tuple((v.value, v.scheme) for v in vals if isinstance(v, _Code))
    plain = tuple(
        v.s if isinstance(v, _Str) else v for v in vals if not isinstance(v, (_Code, _Tag))
    )
    preds: list[Predicate] = []
    if codes:
        preds.append(CodeIn(r, codes))
    if tags:
        preds.append(PointsTo(r, tags))
    if plain:
        cls = NotEquals if other else Equals
        preds.append(cls(r, plain, index))  # type: ignore[arg-type]
    if other and (codes or tags):
        preds = [Not(p) if not isinstance(p, NotEquals) else p for p in preds]
        return preds[0] if len(preds) == 1 else And(tuple(preds))
    return preds[0] if len(preds) == 1 else Or(tuple(preds))


def _index_of(phrase: str) -> int | None:
    for word, n in (("first", 1), ("second", 2), ("third", 3), ("fourth", 4)):
        if word in phrase:
            return n
    m = re.search(r"value (\d)", phrase)
    return int(m.group(1)) if m else None


def _combine(items: list[tuple[str | None, Predicate]]) -> Predicate:
    """Build the tree from units and the connectives between them.

    The standard's sentences read like this: an elliptical continuation ("A is absent, or is
    present and has the value NO") binds tightest to its subject; then bare "and" before bare
    "or"; clauses separated by commas (or by "and if"/"or if") combine left to right, as in
    "Required for the first Item, or if B changes, and if C is absent" = (first or B) and C.
    A bare comma takes the kind of the next explicit connective ("A, B and C").
    """
    conns = [c or "and" for c, _ in items[1:]]
    for k, c in enumerate(conns):
        if c == ",":
            nxt = next((d for d in conns[k + 1 :] if d != ","), ",and")
            conns[k] = "," + nxt.lstrip(",~")
    preds = [p for _, p in items]
    # 1. elliptical continuations
    merged: list[Predicate] = [preds[0]]
    outer: list[str] = []
    for c, p in zip(conns, preds[1:], strict=True):
        if c.startswith("~"):
            merged[-1] = _join(Or if c == "~or" else And, merged[-1], p)
        else:
            merged.append(p)
            outer.append(c)
    # 2. segments between comma-level connectives, "and" before "or"
    segments: list[list[Predicate]] = [[merged[0]]]
    seg_conns: list[list[str]] = [[]]
    joins: list[str] = []
    for c, p in zip(outer, merged[1:], strict=True):
        if c.startswith(","):
            joins.append(c[1:])
            segments.append([p])
            seg_conns.append([])
        else:
            segments[-1].append(p)
            seg_conns[-1].append(c)
    parts = [_split(sp, sc) for sp, sc in zip(segments, seg_conns, strict=True)]
    # 3. left to right
    acc = parts[0]
    for c, p in zip(joins, parts[1:], strict=True):
        acc = _join(Or if c == "or" else And, acc, p)
    return acc


def _join(cls: type[And] | type[Or], a: Predicate, b: Predicate) -> Predicate:
    items = [*(a.items if isinstance(a, cls) else (a,)), *(b.items if isinstance(b, cls) else (b,))]
    return cls(tuple(items))


def _split(preds: list[Predicate], conns: list[str]) -> Predicate:
    """Bare connectives: split at "or" first, so "and" binds tighter."""
    if len(preds) == 1:
        return preds[0]
    for level, cls in (("or", Or), ("and", And)):
        if level in conns:
            groups: list[Predicate] = []
            start = 0
            for k, c in enumerate(conns):
                if c == level:
                    groups.append(_split(preds[start : k + 1], conns[start:k]))
                    start = k + 1
            groups.append(_split(preds[start:], conns[start:]))
            flat: list[Predicate] = []
            for g in groups:
                flat.extend(g.items if isinstance(g, cls) else (g,))
            return cls(tuple(flat))
    return And(tuple(preds))


_PRESENT = (
    "is present", "are present", "is also present", "are both present", "exists", "exist",
    "is included", "are included", "is sent", "is used", "are used", "is provided",
    "are provided", "was present", "were present", "is specified", "are specified",
    "has been included", "present", "is given", "is encoded", "has been sent", "is defined",
    "is present in the dataset", "is present in the data set", "has been provided", "is available",
    "is not absent", "are not absent", "is populated", "has been populated", "is valued",
)  # fmt: skip
_ABSENT = (
    "is not present", "are not present", "is absent", "are absent", "does not exist",
    "do not exist", "is not included", "are not included", "is not sent", "is not used",
    "are not used", "is not provided", "are not provided", "are both absent",
    "are both not present", "is not specified", "are not specified", "is not given",
    "is missing", "are missing", "was not present", "were not present", "not present",
    "is not encoded", "has not been sent", "is not defined", "has not been included",
    "is not available", "are neither present", "is not populated", "absent",
)  # fmt: skip
_HAS_VALUE = (
    "is non-null", "is not null", "are non-null",
    "is non-zero length", "has non-zero length", "is of non-zero length", "is not of zero length",
    "has a value", "is present with a value", "is present and has a value", "is not empty",
    "is present and not empty", "is present and is not empty", "has a non-empty value",
    "is non-empty", "is present with a non-empty value", "is not zero length",
    "is present and has a non-null value", "has a non-zero length", "has a value present",
    "is present and non-empty", "is present with value", "has value", "have a value",
    "have values", "has values", "is not zero-length", "is present and is non-empty",
    "is present and has a non-empty value",
)  # fmt: skip
_EMPTY = (
    "is empty", "is zero length", "is zero-length", "has no value", "is present but empty",
    "is present and empty", "has zero length", "is present with no value",
    "is present and has no value",
    "are empty", "has an empty value", "is present but has no value",
)  # fmt: skip
_NON_ZERO = (
    "is non-zero", "is nonzero", "is not zero", "is non zero",
    "is present and has a non-zero value",
    "has a non-zero value", "is present and non-zero", "is present and is non-zero",
    "has a nonzero value",
    "is present with a non-zero value", "are non-zero", "is not 0", "is present and not zero",
    "has a value other than zero", "is other than zero", "non-zero", "is present and is not zero",
)  # fmt: skip
_NO_VALUE = (
    "do not contain a value", "does not contain a value", "do not have a value",
    "does not have a value", "is absent or empty", "is not present or empty",
    "is not present or has no value", "is absent or has no value", "are absent or empty",
    "is null", "is not present or is empty", "is empty or absent", "is empty or not present",
)  # fmt: skip
_ZERO = ("is zero", "equals zero", "has a value of zero", "is equal to zero")
_CHANGES = (
    "changes",
    "change",
    "changes during beam",
    "has changed",
    "varies",
    "vary",
    "is changed",
    "are changed",
)
_VALUE_VERBS = {"is", "equals", "has", "contains", "includes", "=", "value", "are", "was", "does"}
_IS = (
    "is", "are", "equals", "equal", "=", "is equal to", "has a value of", "has the value",
    "has the value of", "has value", "has a value", "value is", "is set to", "contains the value",
    "has values of", "is one of", "equals one of", "is either", "has a value equal to",
    "with a value of", "with value", "with the value", "is present with a value of",
    "is present with value", "is present and has a value of", "the value is", "and the value is",
    "is present and equals", "is present and is", "is present and has the value",
    "is present and has value", "is present and contains", "includes", "include", "contains",
    "contain", "values are", "has a value of either", "is present with the value",
    "points to", "point to", "references", "is present and the value is", "has the values",
    "value equals", "is present with a value equal to", "was", "were", "contains a value of",
    "includes the value", "include the value", "contains the values", "is specified as",
    "is set as", "is present and set to", "has been set to", "is of", "has an item with",
    "contains an item with", "includes an item with", "has an item", "contains an item",
    "values include", "value includes", "value contains", "is present and includes",
    "with a value", "of", "has a value that is", "is present and its value is",
    "is present and values are", "are present and have the value", "are present and equal",
    "with values", "has values", "includes value", "include value", "contains value",
    "equals one of the following values", "is one of the following values", "has a value of one of",
    "is of value", "is of the value",
)  # fmt: skip
_IS_NOT = (
    "not", "is not", "are not", "does not equal", "is not equal to", "value is not",
    "does not have a value of", "does not have the value", "is neither", "is not one of",
    "is present and is not", "is present and not", "does not contain", "does not include",
    "do not contain", "do not include", "is present and does not equal",
    "does not have the value of", "is present and not equal to", "is present with a value not",
    "is not set to", "is present but not", "is present and has a value that is not",
    "does not point to", "is not equal", "not equal to", "!=", "is present and does not contain",
    "has a value that is not",
)  # fmt: skip
_OTHER_THAN = (
    "equals other than", "is other than", "has a value other than",
    "is present with a value other than",
    "is present and has a value other than", "is present and is other than",
    "is present and other than",
    "other than", "equals a value other than", "is present and equals other than",
    "has value other than",
    "contains a value other than", "is any value other than", "is present with value other than",
    "is anything other than", "is a value other than", "is present and has any value other than",
    "is present with an item value other than", "with an item value other than",
    "has an item value other than",
    "contains an item with a value other than", "with a value other than",
    "is present and contains a value other than", "has any value other than",
)  # fmt: skip
_COMPARISONS = (
    ("greater than or equal to", ">="),
    ("more than or equal to", ">="),
    ("equal to or greater than", ">="),
    ("less than or equal to", "<="),
    ("equal to or less than", "<="),
    ("at least", ">="),
    ("not greater than", "<="),
    ("not less than", ">="),
    ("greater than", ">"),
    ("more than", ">"),
    ("larger than", ">"),
    ("less than", "<"),
    ("smaller than", "<"),
    (">=", ">="),
    ("<=", "<="),
    (">", ">"),
    ("<", "<"),
)
_COUNTS = (
    ("more than one", ">", 1),
    ("two or more", ">=", 2),
    ("one or more", ">=", 1),
    ("at least one", ">=", 1),
    ("at least two", ">=", 2),
    ("more than two", ">", 2),
    ("only one", "==", 1),
    ("exactly one", "==", 1),
    ("a single", "==", 1),
    ("one", "==", 1),
    ("no", "==", 0),
    ("zero", "==", 0),
    ("any", ">=", 1),
)
_WITHIN = (
    "in", "within", "of", "in the", "within the", "in an item of", "in every item of",
    "in control points specified within", "in all items of", "in every item of the",
    "in all items of the", "in any of the items in", "in any of the items in the",
    "in any item of the", "in an item of the", "in any of the items of",
    "in any of the items of the", "in any item of", "in an item in", "in any item in",
    "in the item of", "in a", "in any", "in an", "included in", "in the same item of",
)  # fmt: skip
_BEFORE_VALUES = (
    "an item with the value of", "an item with the value", "an item with the code",
    "an item with value", "an item with", "an item whose value is", "the value", "the code",
    "the value of", "a value", "one of the following", "one of", "either", "any of",
    "the following",
)  # fmt: skip
_TAG_OF = (
    "the tag for", "the tag of", "the data element tag of", "the attribute tag of", "the tag",
    "the", "the data element tag for", "the attribute",
)  # fmt: skip
_FRAME_WORDS = (
    "of this frame", "for this frame", "in this frame", "for the frame", "of the frame",
    "for this image", "of this image", "in this image", "in this instance",
    "in this sop instance", "in the image", "of the image", "in the instance", "in the dataset",
    "in the data set", "in this data set", "in this dataset", "in the sop instance",
    "for any frame in the sop instance", "for any frame", "in any frame",
    "for any frame in the instance",
    "item value", "in this functional group", "for the current frame", "of the current frame",
)  # fmt: skip
_ITEM_SCOPE = (
    "in this sequence item", "in this item", "in the same item", "in the same sequence item",
    "of this item", "in the sequence item", "within this item", "within this sequence item",
    "in this sequence", "of this sequence item", "within the same item", "in the item",
    "in the current item", "of the current item", "in this same item", "at the same level",
    "in the same sequence", "within the sequence item",
)  # fmt: skip
# "Plane Position (Slide) Sequence (0048,021A) is present within a Functional Group Sequence"
# (Microscope Slide Layer Tile Organization): in the Shared or a Per-frame Functional Groups item
_FG_SCOPE = (
    "within a functional group sequence", "in a functional group sequence",
    "within a functional groups sequence", "in a functional groups sequence",
    "within the functional group sequences", "in the functional group sequences",
    "within a functional group", "in a functional group",
)  # fmt: skip
_NUMBER_OF_FRAMES = 0x00280008
_SOP_CLASS_UID = 0x00080016
_ROOT_SCOPE = (
    "at the image level", "in the top level data set", "in the top-level data set",
    "in the top level dataset", "in the top-level dataset", "at the top level",
    "in the top level", "at the instance level", "at the top-level", "in the main data set",
    "at the series level", "in the enclosing data set",
)  # fmt: skip
_PARENT_SCOPE = (
    "in the containing", "of the containing", "in the enclosing", "of the enclosing",
    "in the parent", "of the parent", "in the higher level", "in the enclosing sequence item",
    "in the parent sequence item", "in the containing item", "in the enclosing item",
)  # fmt: skip


# ---------------------------------------------------------------------------------------------
# API


def parse_clause(text: str, *, resolve: Resolver | None = None) -> Predicate:
    """One condition clause (trigger words already removed) → predicate."""
    src = _Tokens(normalize(text), resolve or dictionary_resolver)
    if not src.tokens:
        return Unknown(text, NOT_IN_DATASET)
    return _Parser(src.tokens, src).parse()


def parse_condition(text: str, *, resolve: Resolver | None = None) -> Condition:
    """A cell of the standard (attribute description, IOD/functional-group usage, include row)
    → :class:`Condition`.

    ``resolve`` maps attribute names (as written) to tags for names written without a tag;
    the default uses pydicom's dictionary. The condition keeps the sentences it was read from.
    """
    norm = normalize(text)
    head = _INCLUDE.match(norm)
    if head:
        norm = norm[head.end() :]
    else:
        usage = _USAGE.match(norm)
        if usage:
            norm = norm[usage.end() :]
    if not _REQUIRED.search(norm):
        # a bare qualifier, as include rows and the spec's extracted texts have it:
        # "if and only if Value Type (0040,A040) is NUM", "Include if …", "when …"
        norm = _BARE_IF_IFF.sub("Required if and only if", norm, count=1)
        norm = _BARE_IF.sub("Required if", norm, count=1)
    s = condition_sentences(norm)
    return Condition(
        s.text or norm,
        _any_of(s.required, resolve),
        s.otherwise,
        _any_of(s.forbidden, resolve),
        _any_of(s.permitted, resolve),
    )


def _any_of(clauses: tuple[str, ...], resolve: Resolver | None) -> Predicate | None:
    preds = [parse_clause(c, resolve=resolve) for c in clauses]
    if not preds:
        return None
    return preds[0] if len(preds) == 1 else Or(tuple(preds))


# ---------------------------------------------------------------------------------------------
# Corpus and coverage


@dataclass(frozen=True, slots=True)
class Occurrence:
    """Where a condition was found: kind (attribute, iod-module, functional-group, include),
    the table id, the row's first cell (attribute or module name) and the cell text."""

    kind: str
    table: str
    name: str
    text: str


def corpus(doc: object) -> list[Occurrence]:
    """Every condition of a PS3.3 document (:class:`iodkit.codegen.sources.model.Document`)."""
    out: list[Occurrence] = []
    for table in doc.tables.values():  # type: ignore[attr-defined]
        header = table.header_texts
        if not header:
            continue
        grid = table.grid()
        first = header[0].lower()
        if first in ("attribute name", "key", "nesting") or "Tag" in header:
            tcol = header.index("Type") if "Type" in header else None
            for row in grid:
                if not row:
                    continue
                name = row[0].text
                if name.lstrip("> ").startswith("Include"):
                    tail = _INCLUDE.sub("", normalize(name), count=1)
                    if tail and re.search(r"(?i)\b(if|required|unless|when)\b", tail):
                        out.append(Occurrence("include", table.id, name, name))
                    continue
                if tcol is not None and len(row) > tcol and row[tcol].text.strip() in ("1C", "2C"):
                    out.append(Occurrence("attribute", table.id, name, row[-1].text))
        elif header in (("IE", "Module", "Reference", "Usage"),):
            for row in grid:
                if row and row[-1].text.strip().startswith("C"):
                    out.append(Occurrence("iod-module", table.id, row[1].text, row[-1].text))
        elif header == ("Functional Group Macro", "Section", "Usage"):
            for row in grid:
                if row and row[-1].text.strip().startswith("C"):
                    out.append(Occurrence("functional-group", table.id, row[0].text, row[-1].text))
    return out


@dataclass(slots=True)
class Coverage:
    total: int
    by_kind: dict[str, dict[str, int]]
    unparsed: list[tuple[Occurrence, Condition]]
    not_decidable: list[tuple[Occurrence, Condition]]
    partly: int

    def count(self, status: str) -> int:
        return sum(k.get(status, 0) for k in self.by_kind.values())

    @property
    def executable_share(self) -> float:
        """Executable conditions among those a dataset can decide at all."""
        decidable = self.total - self.count("not-decidable")
        return self.count("executable") / decidable if decidable else 0.0


def coverage(occurrences: Iterable[Occurrence], resolve: Resolver | None = None) -> Coverage:
    """Parse every occurrence and count executable / not decidable / unparsed per kind."""
    by_kind: dict[str, dict[str, int]] = {}
    unparsed: list[tuple[Occurrence, Condition]] = []
    nd: list[tuple[Occurrence, Condition]] = []
    partly = 0
    total = 0
    for occ in occurrences:
        cond = parse_condition(occ.text, resolve=resolve)
        status = cond.status
        total += 1
        kind = by_kind.setdefault(occ.kind, {})
        kind[status] = kind.get(status, 0) + 1
        if status == "unparsed":
            unparsed.append((occ, cond))
        elif status == "not-decidable":
            nd.append((occ, cond))
        partly += cond.partly_executable
    return Coverage(total, by_kind, unparsed, nd, partly)


def shape(text: str) -> str:
    """A condition with its particulars blanked, to group unparsed conditions by shape."""
    s = _CODE.sub("(CODE)", " ".join(normalize(text).split()))
    s = _QUOTED.sub('"…"', s)
    s = re.sub(r"[A-Z][\w/\-]*(?:\s+(?:of|for|in|[A-Z][\w/\-]*))*\s*" + _TAG.pattern, "ATTR", s)
    s = re.sub(r"\b[A-Z][A-Z0-9_]+\b", "V", s)
    return s


def report(cov: Coverage, *, examples: int = 40) -> str:
    lines = [f"conditions found: {cov.total}"]
    for status in ("executable", "not-decidable", "unparsed"):
        n = cov.count(status)
        lines.append(f"  {status:14} {n:5}  ({n / cov.total:.1%})" if cov.total else status)
    lines.append(f"  partly executable (among not-decidable/unparsed): {cov.partly}")
    lines.append(f"executable among decidable: {cov.executable_share:.1%}")
    for kind, counts in sorted(cov.by_kind.items()):
        total = sum(counts.values())
        detail = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        lines.append(f"  {kind:17} {total:5}: {detail}")
    groups: dict[str, list[str]] = {}
    for _occ, cond in cov.unparsed:
        for leaf in _unknown_leaves(cond, UNPARSED):
            groups.setdefault(shape(leaf), []).append(leaf)
    lines.append(f"unparsed shapes ({len(groups)}):")
    for sh, texts in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:examples]:
        lines.append(f"  {len(texts):4}  {sh[:160]}")
    nd_groups: dict[str, int] = {}
    for _occ, cond in cov.not_decidable:
        for leaf in _unknown_leaves(cond, NOT_IN_DATASET):
            nd_groups[leaf[:100]] = nd_groups.get(leaf[:100], 0) + 1
    lines.append(f"not decidable from the dataset, most frequent ({len(nd_groups)} texts):")
    for text, n in sorted(nd_groups.items(), key=lambda kv: (-kv[1], kv[0]))[:examples]:
        lines.append(f"  {n:4}  {text}")
    return "\n".join(lines)


def _unknown_leaves(cond: Condition, reason: str) -> list[str]:
    from iodkit.rulemodel import walk

    out = []
    for p in (cond.predicate, cond.forbidden):
        if p is not None:
            out += [n.text for n in walk(p) if isinstance(n, Unknown) and n.reason == reason]
    if cond.predicate is None and reason == UNPARSED:
        out.append(cond.text)
    return out


def main(argv: list[str] | None = None) -> int:
    import argparse
    from pathlib import Path

    from iodkit.codegen.sources.chtml import read_chtml_part

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--source", required=True, type=Path, help="an edition folder (with chtml/)")
    ap.add_argument("--examples", type=int, default=40)
    ap.add_argument("--list", choices=("unparsed", "not-decidable"), help="print every one")
    args = ap.parse_args(argv)
    src: Path = args.source
    edition = src.name
    doc = read_chtml_part(src / "chtml" / "part03", 3, edition)
    cov = coverage(corpus(doc))
    print(report(cov, examples=args.examples))
    if args.list:
        rows = cov.unparsed if args.list == "unparsed" else cov.not_decidable
        for occ, cond in rows:
            print(f"\n[{occ.kind} {occ.table} {occ.name!r}]\n  {cond.text}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

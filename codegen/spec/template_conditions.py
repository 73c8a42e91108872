"""The Condition column of PS3.16 template rows → a predicate a content tree can decide.

PS3.16 Section 6.1.8 defines three words: XOR ("one and only one row shall be selected from
mutually-exclusive options"), IF ("shall be present if the condition is TRUE; may be present
otherwise") and IFF ("shall be present if the condition is TRUE; shall not be present
otherwise"); the tables also write "Shall be present unless …", "May be present only if …",
"At least one of Rows … shall be present", and tests on other rows ("IF Row 6 and 12 are
absent", "IFF value of Row 1 = (121007, DCM, "Device")"), on the parent's value, on the
root's concept name, on rows of other templates ("TID 10001 Row 2 = …"), on parameters and on
attributes of the dataset.

The parsed form is plain data (it goes into the YAML spec and, through the emitter, into the
generated rules): a list of clauses that all apply, each a one-key mapping::

    {"xor": ["10", "12"]}             # this row and rows 10, 12: at most one (exactly one if M/MC)
    {"at_least_one": ["1", "2"]}      # at least one of these rows is present
    {"at_least": 2, "rows": [...]}    # at least n items of these rows
    {"if": EXPR}                      # present if EXPR (MC); UC: may be present only if EXPR
    {"iff": EXPR}                     # present if and only if EXPR
    {"only_if": EXPR}                 # shall not be present unless EXPR

and an expression is one of::

    {"present": "5"} / {"absent": "5"}              a row of the same template invocation
    {"count": "4", "at_least": 2}                   items of a row
    {"value": "4", "in": [CODE, …]}                 the coded value of a row
    {"concept": "1", "in": [CODE, …]}               the concept name of a row
    {"text": "1", "in": ["CT", …]}                  the text value of a row
    {"parent_value": [CODE, …]}                     the coded value of the parent item
    {"root_concept": [CODE, …]}                     the document's root concept name
    {"concept_present": [CODE, …]}                  an item with this concept name in the invocation
    {"concept_value": CODE, "in": [CODE, …]}        the value of the item with concept name CODE
    {"parameter": "$X", "in": [CODE, …]}            a parameter's bound value
    {"bound": "$X"}                                 the parameter is bound
    {"attribute": "(0040,A491)", "in": ["COMPLETE"]}  an attribute of the dataset
    {"and": [...]} / {"or": [...]} / {"not": EXPR}
    {"unknown": "words"}                            a fact no dataset records

Row tests may carry ``"tid": "10001"`` when they name a row of another template. A CODE is
``{"value": …, "scheme": …, "meaning": …}``; codes match on value and scheme (Section 6.1.8).
Evaluation is three-valued: an ``unknown`` leaf makes a clause undecided only where the other
parts do not decide it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

Expr = dict[str, Any]

_ROW = r"\d+[a-z]?\d*"
_CODE = re.compile(
    r"(?:EV\s*)?\(\s*(?P<value>[^,()\"]+?)\s*,\s*(?P<scheme>[^,()\"]+?)\s*,\s*"
    r"\"(?P<meaning>[^\"]*)\"\s*\)?",
)
_TID = r"TID\s*\(?\s*(?P<tid>\d+[A-Z]?)\s*\)?(?:\s*“[^”]*”)?"


class ConditionError(ValueError):
    """The words are not read by this parser."""


@dataclass
class ParsedCondition:
    """``clauses`` (None when not parsed) and, when not parsed, why: "undecidable" (the words
    name no row, code, parameter or attribute) or "unparsed"."""

    clauses: list[Expr] | None
    reason: str = ""


def code(m: re.Match[str]) -> dict[str, str]:
    return {
        "value": m.group("value").strip(),
        "scheme": m.group("scheme").strip(),
        "meaning": m.group("meaning").strip(),
    }


class _Reader:
    """A cursor over one clause's words, with the template's row labels to check against."""

    def __init__(self, text: str, rows: list[str]) -> None:
        self.text = text
        self.pos = 0
        self.rows = rows
        self.any_of = False

    # -- low level ---------------------------------------------------------------------------
    def skip(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in " \t\n":
            self.pos += 1

    def at_end(self) -> bool:
        self.skip()
        return self.pos >= len(self.text) or self.text[self.pos :].strip(" .") == ""

    def word(self, pattern: str) -> re.Match[str] | None:
        self.skip()
        m = re.compile(pattern, re.I).match(self.text, self.pos)
        if m:
            self.pos = m.end()
        return m

    def peek(self, pattern: str) -> bool:
        self.skip()
        return re.compile(pattern, re.I).match(self.text, self.pos) is not None

    # -- pieces ------------------------------------------------------------------------------
    def codes(self) -> list[dict[str, str]] | None:
        """ "(a)", "(a) or (b)", "(a), (b) or equals (c)"."""
        out: list[dict[str, str]] = []
        save = self.pos
        mark = self.pos
        while True:
            self.skip()
            m = _CODE.match(self.text, self.pos)
            if not m:
                self.pos = mark  # a separator not followed by a code is not ours
                break
            out.append(code(m))
            self.pos = m.end()
            mark = self.pos
            if self.word(r"(?:,\s*)?(?:or\s+)?(?:equals\s+)?(?=(?:EV\s*)?\()"):
                continue
            self.pos = mark
            break
        if not out:
            self.pos = save
            return None
        return out

    def row_label(self) -> str:
        m = self.word(_ROW)
        if not m:
            raise ConditionError("row number expected")
        return m.group(0)

    def row_list(self) -> list[str]:
        """ "1, 2, 3", "10 and 12", "22, 25, 26, and 27", "8, 9 or 10", "6 & 7", "3-7";
        ``self.any_of`` tells whether the list was joined by "or"."""
        self.any_of = False
        first = self.row_label()
        if self.word(r"(?:-|through)\s*(?=\d)"):
            last = self.row_label()
            return self.span(first, last)
        out = [first]
        while True:
            mark = self.pos
            m = self.word(r"(?:,\s*(?:and|or)?|and|or|&)\s*(?:Rows?\s*)?(?=\d)")
            if m:
                self.any_of = self.any_of or bool(re.search(r"\bor\b", m.group(0)))
                out.append(self.row_label())
                continue
            self.pos = mark
            return out

    def span(self, first: str, last: str) -> list[str]:
        if first in self.rows and last in self.rows:
            i, j = self.rows.index(first), self.rows.index(last)
            if i <= j:
                return self.rows[i : j + 1]
        raise ConditionError(f"row range {first}-{last}")

    def row_ref(self) -> tuple[str, str]:
        """ "Row 4", "TID 10001 Row 4", "TID 10013 “…” Row 4", "Row 9 of TID 4017 “…”" →
        (tid or "", row)."""
        tid = ""
        m = self.word(_TID + r"\s+")
        if m:
            tid = m.group("tid")
        if not self.word(r"Rows?\s*"):
            raise ConditionError("Row expected")
        row = self.row_label()
        m = self.word(r"of\s+" + _TID)
        if m:
            tid = m.group("tid")
        return tid, row


def _row_test(kind: str, tid: str, row: str, **more: Any) -> Expr:
    out: Expr = {kind: row, **more}
    if tid:
        out["tid"] = tid
    return out


class _Parser:
    def __init__(self, rows: list[str], this_row: str) -> None:
        self.rows = rows
        self.this_row = this_row

    def check_rows(self, labels: list[str], tid: str = "") -> None:
        if tid:
            return
        for r in labels:
            if r not in self.rows:
                raise ConditionError(f"Row {r} is not a row of this template")

    # -- expressions -------------------------------------------------------------------------
    def expr(self, r: _Reader) -> Expr:
        parts = [self.conj(r)]
        while r.word(r"\bor\b\s*(?!equals)"):
            parts.append(self.conj(r))
        return parts[0] if len(parts) == 1 else {"or": parts}

    def conj(self, r: _Reader) -> Expr:
        parts = [self.atom(r)]
        while True:
            mark = r.pos
            if r.word(r",?\s*and\b\s*(?:if\b|iff\b)?\s*"):
                try:
                    parts.append(self.atom(r))
                    continue
                except ConditionError:
                    r.pos = mark
            break
        return parts[0] if len(parts) == 1 else {"and": parts}

    def atom(self, r: _Reader) -> Expr:
        if r.word(r"\(\s*(?=\(?\s*(?:TID|Row|the|value|root|\$))"):
            inner = self.expr(r)
            if not r.word(r"\)"):
                raise ConditionError("unbalanced parenthesis")
            return inner
        for attempt in (
            self.value_of,
            self.row_tests,
            self.parent_value,
            self.root_concept,
            self.parameter,
            self.concept_tests,
            self.count,
            self.compare,
            self.attribute,
        ):
            mark = r.pos
            try:
                found = attempt(r)
            except ConditionError:
                found = None
            if found is not None and self.ends_atom(r):
                return found
            r.pos = mark
        # words no dataset decides ("the position is known"): an unknown leaf up to the next
        # "and"/"or" at this level, so the rest of the condition can still decide
        m = r.word(r"(?:(?!\b(?:and|or|AND|OR)\b)[^()])+")
        if m and m.group(0).strip(" ,."):
            return {"unknown": m.group(0).strip(" ,.")}
        raise ConditionError(f"cannot read {r.text[r.pos :]!r}")

    def ends_atom(self, r: _Reader) -> bool:
        return r.at_end() or r.peek(r"(?:,\s*)?(?:and|or)\b|\)|,\s*and\b")

    def value_of(self, r: _Reader) -> Expr | None:
        """ "[the] [concept] value of Row 4 = (…) [or (…)]", "… is EV (…)", "… equals (…)",
        "concept name of Row 1 = (…)", "value of Row 2 is from DCID 6114", "value of Row 12 is
        > 0"."""
        if r.word(r"concept\s+name\s+of\s+"):
            tid, row = r.row_ref()
            self.check_rows([row], tid)
            if not r.word(r"(?:=|is)\s*"):
                return None
            values = r.codes()
            return _row_test("concept", tid, row, **{"in": values}) if values else None
        m = r.word(r"(?:the\s+)?(?:concept\s+)?value\s+of\s+")
        if not m:
            return None
        if r.peek(r"Row\s*" + _ROW + r"\s+is\s+(?:>|greater)"):
            tid, row = r.row_ref()
            g = r.word(r"is\s+(?:>|greater\s+than)\s*(?P<n>\d+)")
            if not g:
                return None
            return _row_test("number", tid, row, gt=int(g.group("n")))
        if r.peek(r"\$"):
            return None
        if r.peek(r"\("):  # "the value of (111064, DCM, …) is (…)"
            concept = r.codes()
            if not concept or len(concept) != 1:
                return None
            if not r.word(r"(?:is|=|equals)\s*"):
                return None
            values = r.codes()
            if not values:
                return None
            return {"concept_value": concept[0], "in": values}
        tid, row = r.row_ref()
        self.check_rows([row], tid)
        g = r.word(r"is\s+from\s+(?:[BD]?CID)\s*(?P<cid>\d+)(?:\s*“[^”]*”)?")
        if g:
            return _row_test("value", tid, row, cid=int(g.group("cid")))
        negate = bool(r.word(r"(?:is\s+not(?:\s+equal\s+to)?|does\s+not\s+equal|!=)\s*"))
        if not negate and not r.word(r"(?:=|is|equals)\s*"):
            return None
        values = r.codes()
        if not values:
            return None
        test = _row_test("value", tid, row, **{"in": values})
        return {"not": test} if negate else test

    def row_tests(self, r: _Reader) -> Expr | None:
        tid = ""
        m = r.word(_TID + r"\s+")
        if m:
            tid = m.group("tid")
        if not r.word(r"Rows?\s*"):
            return None
        rows = r.row_list()
        m = r.word(r"of\s+" + _TID)
        if m:
            tid = m.group("tid")
        self.check_rows(rows, tid)
        # "Row 1 value = …", "Row 3 Processing Type value is …", "Row 4 = …"
        if len(rows) == 1:
            mark = r.pos
            if (
                r.word(r"(?:[A-Z][A-Za-z]*(?:\s+[A-Za-z]+)?\s+)?value\s*(?:=|is|equals)\s*")
                or r.word(r"(?:[A-Z][A-Za-z]*\s+){1,3}equals\s*")
                or r.word(r"(?:=|equals)\s*")
            ):
                values = r.codes()
                if values:
                    r.word(r"for\s+at\s+least\s+one\s+irradiation\s+event")
                    return _row_test("value", tid, rows[0], **{"in": values})
            r.pos = mark
            g = r.word(
                r"(?:measurement\s+)?concept\s+is\s+in\s+[BD]?CID\s*(?P<cid>\d+)(?:\s*“[^”]*”)?"
            )
            if g:
                return _row_test("concept", tid, rows[0], cid=int(g.group("cid")))
            r.pos = mark
            if r.word(r"does\s+not\s+equal\s*"):
                values = r.codes()
                if values:
                    return {"not": _row_test("value", tid, rows[0], **{"in": values})}
            r.pos = mark
            if r.word(r"(?:Concept\s+Name|Concept|measurement\s+concept)\s*(?:=|is)\s*"):
                values = r.codes()
                if values:
                    return _row_test("concept", tid, rows[0], **{"in": values})
            r.pos = mark
            if r.word(r"is\s+absent\s+or\s+(?:value\s+is|has\s+a\s+value\s+of)\s*"):
                values = r.codes()
                if values:
                    return {
                        "or": [
                            _row_test("absent", tid, rows[0]),
                            _row_test("value", tid, rows[0], **{"in": values}),
                        ]
                    }
            r.pos = mark
            if r.word(r"is\s+present\s+(?:with\s+a\s+value\s+of|and\s+equals)\s*"):
                values = r.codes()
                if values:
                    return {
                        "and": [
                            _row_test("present", tid, rows[0]),
                            _row_test("value", tid, rows[0], **{"in": values}),
                        ]
                    }
                rest = r.text[r.pos :]
                texts = [t.strip(' "') for t in re.split(r",|\bor\b", rest) if t.strip(' "')]
                if texts and all(re.fullmatch(r"[A-Z0-9_ ]+", t) for t in texts):
                    r.pos = len(r.text)
                    return {
                        "and": [
                            _row_test("present", tid, rows[0]),
                            _row_test("text", tid, rows[0], **{"in": texts}),
                        ]
                    }
            r.pos = mark
        any_of = r.any_of
        g = r.word(r"is\s+present\s+and\s+contains\s+a\s+number\s+greater\s+than\s+(?P<n>\d+)")
        if len(rows) == 1 and g:
            return {
                "and": [
                    _row_test("present", tid, rows[0]),
                    _row_test("number", tid, rows[0], gt=int(g.group("n"))),
                ]
            }
        if len(rows) == 1 and r.word(
            r"(?:is\s+present\s+and\s+)?does\s+not\s+contain\s+[A-Z][A-Za-z ]*"
            r"\((?P<g>[0-9A-F]{4}),(?P<e>[0-9A-F]{4})\)"
        ):
            m = re.search(r"\((\w{4}),(\w{4})\)\s*$", r.text[: r.pos])
            assert m is not None
            tag = f"({m.group(1)},{m.group(2)})"
            return {
                "and": [
                    _row_test("present", tid, rows[0]),
                    {"not": _row_test("has_attribute", tid, rows[0], tag=tag)},
                ]
            }
        if r.word(
            r"(?:is|are)\s+(?:absent|not\s+present)|(?:does|do)\s+not\s+exist|not\s+present|absent"
        ):
            kind = "absent"
        elif r.word(r"(?:is|are)\s+present|present"):
            kind = "present"
        else:
            if not self.ends_atom(r):
                return None
            kind = "present"  # "IFF Row 7", "IFF (Row 7 or Row 10)"
        tests = [_row_test(kind, tid, x) for x in rows]
        if len(tests) == 1:
            return tests[0]
        return {"or" if any_of else "and": tests}

    def parent_value(self, r: _Reader) -> Expr | None:
        if not r.word(r"(?:the\s+)?value\s+of\s+(?:the\s+)?parent\s+(?:Content\s+Item\s+)?is\s*"):
            return None
        negate = bool(r.word(r"not\s*"))
        values = r.codes()
        if not values:
            return None
        test: Expr = {"parent_value": values}
        return {"not": test} if negate else test

    def root_concept(self, r: _Reader) -> Expr | None:
        if not r.word(r"root\s+Concept\s+Name\s+Code\s+Sequence\s*=?\s*"):
            return None
        values = r.codes()
        return {"root_concept": values} if values else None

    def parameter(self, r: _Reader) -> Expr | None:
        m = r.word(r"(?:the\s+)?value\s+of\s*\$(?P<p>[\w-]+)\s+equals\s*") or r.word(
            r"\$(?P<p>[\w-]+)\s+selected\s+in\s+Row\s+\S+\s*=\s*"
        )
        if m:
            values = r.codes()
            if not values:
                return None
            r.word(r"or\s+subsite\s+thereof")
            return {"parameter": "$" + m.group("p"), "in": values}
        m = r.word(r"\$(?P<p>[\w-]+)\s+has\s+a\s+value")
        if m:
            return {"bound": "$" + m.group("p")}
        return None

    def concept_tests(self, r: _Reader) -> Expr | None:
        """ "(111005, DCM, …), (…) or (…) is present", "any of (…) are present",
        "1 or more (…) or (…) Content Items are reported", "(…) is not present"."""
        r.word(r"any\s+of\s+|1\s+or\s+more\s+")
        values = r.codes()
        if not values:
            return None
        if r.word(r"(?:is|are)\s+not\s+present"):
            return {"not": {"concept_present": values}}
        if r.word(r"(?:is|are)\s+present|Content\s+Items\s+are\s+reported"):
            return {"concept_present": values}
        return None

    def compare(self, r: _Reader) -> Expr | None:
        """ "Accumulated DLP Forward Estimate (Row 6) exceeds DLP Alert Value (Row 4)"."""
        m = r.word(
            r"[A-Za-z][\w ]*?\(Row\s*(?P<a>" + _ROW + r")\)\s+exceeds\s+[A-Za-z][\w ]*?"
            r"\(Row\s*(?P<b>" + _ROW + r")\)"
        )
        if not m:
            return None
        self.check_rows([m.group("a"), m.group("b")])
        return {"greater": [m.group("a"), m.group("b")]}

    def count(self, r: _Reader) -> Expr | None:
        m = r.word(r"any\s+of\s+the\s+values\s+of\s+")
        if m:
            tid, row = r.row_ref()
            self.check_rows([row], tid)
            if not r.word(r"are\s+not\s*"):
                return None
            values = r.codes()
            return _row_test("some_value_not_in", tid, row, **{"in": values}) if values else None
        m = r.word(r"(?P<n>\d+)\s+or\s+more\s+items\s+of\s+")
        if not m:
            return None
        tid, row = r.row_ref()
        self.check_rows([row], tid)
        if not r.word(r"are\s+present"):
            return None
        return _row_test("count", tid, row, at_least=int(m.group("n")))

    def attribute(self, r: _Reader) -> Expr | None:
        m = r.word(
            r"[A-Z][A-Za-z ]*?\((?P<g>[0-9A-F]{4}),(?P<e>[0-9A-F]{4})\)\s*=\s*(?P<v>[A-Z0-9_]+)"
        )
        if not m:
            return None
        return {"attribute": f"({m.group('g')},{m.group('e')})", "in": [m.group("v")]}

    # -- clauses -----------------------------------------------------------------------------
    def clause(self, text: str) -> Expr:
        r = _Reader(text, self.rows)
        if r.word(r"XOR\s+(?:with\s+)?Rows?\s*"):
            rows = r.row_list()
            self.check_rows(rows)
            more: list[Expr] = []
            if r.word(r"and\s+IFF\s*"):
                more.append({"iff": self.expr(r)})
            if not r.at_end():
                raise ConditionError(f"words after XOR: {r.text[r.pos :]!r}")
            xor: Expr = {"xor": rows}
            return {"all": [xor, *more]} if more else xor
        m = r.word(r"(?:At\s+least\s+one\s+of|One\s+or\s+both\s+of)\s+Rows?\s*")
        if m:
            rows = r.row_list()
            self.check_rows(rows)
            if not r.word(r"(?:shall|must)\s+be\s+present"):
                raise ConditionError("at least one of … without 'shall be present'")
            if not r.at_end():
                raise ConditionError("words after 'shall be present'")
            return {"at_least_one": rows}
        m = r.word(r"At\s+least\s+(?P<n>two|\d+)\s+items\s+shall\s+be\s+present\s*:\s*")
        if m:
            rows = re.findall(r"(?:two|one)\s+of\s+Row\s+(" + _ROW + ")", text)
            self.check_rows(rows)
            n = 2 if m.group("n") == "two" else int(m.group("n"))
            return {"at_least": n, "rows": sorted(set(rows), key=rows.index)}
        lead = [
            (r"(?:Shall|May)\s+be\s+present\s+only\s+if\b", "only_if", False),
            (r"Shall\s+not\s+be\s+present\s+if\b", "only_if", True),
            (r"May\s+be\s+present\s+unless\b", "only_if", True),
            (r"Shall\s+be\s+present\s+unless\b", "if", True),
            (r"(?:Shall|May)\s+be\s+present\s+IFF\b|IFF\b", "iff", False),
            (r"Shall\s+be\s+present\s+if\b|Required\s+if\b|IF\b", "if", False),
            (r"May\s+be\s+present\s+if\b", "only_if", False),
        ]
        for pattern, kind, negate in lead:
            if r.word(pattern):
                e = self.expr(r)
                if not r.at_end():
                    raise ConditionError(f"words left: {r.text[r.pos :]!r}")
                return {kind: {"not": e} if negate else e}
        raise ConditionError(f"no condition word at {text!r}")


_SPLIT = re.compile(r"\n|(?<=\.)\s+(?=[A-Z])|;\s*(?=[A-Z])")
# facts of other objects (the referenced images) or of the world: never decided from the SR
_ELSEWHERE = re.compile(r"\bin\s+the\s+image\s+instances?\b|\bin\s+the\s+images\b", re.I)
_DECIDABLE = re.compile(r"\bRows?\s+\d|\(\s*\w[^()]*,\s*\w+\s*,\s*\"|\$\w|\(\w{4},\w{4}\)|\bTID\b")


def parse_template_condition(text: str, rows: list[str], this_row: str = "") -> ParsedCondition:
    """Parse a template row's Condition column (see the module docstring). ``rows`` are the
    row labels of the template, for checking references and ranges."""
    text = text.strip()
    if not text:
        return ParsedCondition(None)
    if _ELSEWHERE.search(text):
        return ParsedCondition(None, "undecidable")
    if text.rstrip(" .").endswith(")") and text.count(")") > text.count("("):
        text = text.rstrip(" .")[:-1]  # "… and TID 10001 Row 4 is absent)" (TID 10002)
    p = _Parser(rows, this_row)
    pieces = [s.strip() for s in _SPLIT.split(text) if s.strip()]
    clauses: list[Expr] = []
    joined: list[str] = []
    for s in pieces:  # "IF … \nAND\n IFF …": one clause over the conjunction
        if re.fullmatch(r"AND|OR", s) and joined:
            joined[-1] += f" {s.lower()} "
            continue
        if joined and joined[-1].endswith((" and ", " or ")):
            joined[-1] += re.sub(r"^(?:IFF?|If)\s+", "", s)
            continue
        joined.append(s)
    try:
        for s in joined:
            c = p.clause(s.rstrip(" ."))
            clauses.extend(c["all"] if "all" in c else [c])
    except ConditionError:
        reason = "unparsed" if _DECIDABLE.search(text) else "undecidable"
        return ParsedCondition(None, reason)
    return ParsedCondition(clauses)


def walk(expr: Any) -> list[Expr]:
    """Every expression node below ``expr`` (clauses included), depth first."""
    out: list[Expr] = []
    if isinstance(expr, dict):
        out.append(expr)
        for v in expr.values():
            out.extend(walk(v))
    elif isinstance(expr, list):
        for v in expr:
            out.extend(walk(v))
    return out

"""Findings: what the validator reports, each naming where and which rule of the standard.

A finding is plain data (frozen, JSON-ready through :meth:`Finding.to_dict`) so the CLI, tests and
users can sort, filter and compare them. ``code`` is a stable machine-readable category (the
list is :data:`CODES`); ``message`` is for people.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]
#: one finding as a check offers it (:meth:`.filelevel.FileChecks.add`): severity, code, path,
#: message, module, rule, reference, tag. :mod:`.itemmemo` keeps it with the path made relative
#: to the dataset judged, to offer it again elsewhere.
Said = tuple[str, str, str, str, str, str, Any, "int | None"]

# code -> what it means (documentation, and the CLI's --list-codes)
CODES: dict[str, str] = {
    "read": "the file could not be read at all",
    "encoding": "the bytes break PS3.5's encoding rules (truncation, odd length, bad VR, order)",
    "meta": "File Meta Information missing or inconsistent with the dataset (PS3.10)",
    "sop-class": "no SOP Class UID, or one no IOD of this edition describes",
    "missing": "a Type 1/2 attribute, or a 1C/2C one whose condition holds, is absent",
    "empty": "a Type 1/1C attribute is present without a value (or a sequence without items)",
    "not-allowed": "present although its condition is not met (and then it shall not be)",
    "module-not-allowed": "a conditional module or functional group present against its condition",
    "undecided": "a condition that cannot be decided on this dataset (reported, never assumed)",
    "enumerated": "a value not among the Enumerated Values",
    "defined-term": "a value not among the Defined Terms",
    "vr": "the VR differs from the dictionary's",
    "value": "a value does not follow the format of its VR (PS3.5 6.2)",
    "vm": "the number of values differs from the dictionary's VM (or the module's, where its "
    'words narrow it: "Only a single value shall be present.")',
    "items": "a sequence has fewer or more items than the standard says",
    "numbering": "values the standard wants unique within their sequence or instance, or "
    'numbered 1, 2, 3 … over the items ("shall start at 1 and increase monotonically by 1"), '
    "that are not",
    "reference": "a value naming no value of the attribute it refers to in this instance "
    "(Referenced Segment Number → Segment Number)",
    "functional-group": "a functional group macro missing, both shared and per-frame, or misplaced",
    "not-in-iod": "an attribute the IOD (or this sequence item) does not define",
    "retired": "a retired attribute",
    "context-group": "a code not in the Defined or Enumerated context group of its sequence",
    "coding-scheme": "a Coding Scheme Designator PS3.16 deprecates, or one in neither Table 8-1 "
    'nor 8-2 and not private ("99…")',
    "capped": "more findings for one element than are listed (the rest counted in one line)",
    "uid": "one UID used for two different things (study, series, instance, frame of reference)",
    "template": "an SR document's root template: named but unknown, or inferred from its title",
    "template-missing": "a content item an M row (or an MC row whose condition holds) of the "
    "document's PS3.16 templates requires is absent",
    "template-vm": "more (or fewer) content items for a template row than its VM allows",
    "template-row": "a content item with a template row's concept name but another value type, "
    "relationship or relationship mode",
    "template-not-allowed": "a content item no row of a non-extensible template admits, or one "
    "present although its row's condition does not hold",
    "template-condition": "a template condition between rows broken (XOR, at least one of …)",
    "template-code": "a concept name or coded value outside its row's constraint (EV, DCID; "
    "a warning for an extensible DCID or a retired SNOMED RT code)",
    "template-units": "NUM units outside the row's units constraint",
    "template-graphic-type": "a SCOORD Graphic Type the row does not allow",
    "template-ambiguous": "a content item fits several template rows and has errors under each",
    "template-reference": "a by-reference content item pointing to no content item",
}


SHOWN = 64  # characters of a value a finding quotes (a whole UID)


def shown(value: object, limit: int = SHOWN) -> str:
    """A value as a finding quotes it: ``repr`` of its text, shortened visibly when long
    ("'ABCDEFGH…' (1,250 characters)"), never cut without saying so."""
    text = str(value)
    if len(text) <= limit:
        return repr(text)
    quoted = repr(text[: limit - 1])
    return f"{quoted[:-1]}…{quoted[-1]} ({len(text):,} characters)"


@dataclass(frozen=True, slots=True)
class Reference:
    """Where in the standard the rule is: part, table (or section) id, edition."""

    part: str  # "PS3.3"
    target: str = ""  # "table_C.8.20-2", "sect_6.2"
    edition: str = ""

    def __str__(self) -> str:
        t = self.target
        label = (
            f"Table {t.removeprefix('table_')}"
            if t.startswith("table_")
            else f"Section {t.removeprefix('sect_')}"
            if t.startswith("sect_")
            else t
        )
        head = f"{self.part} {self.edition}".strip()
        return f"{head} {label}".strip()


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem (or undecided question) found in a dataset.

    ``path`` names the attribute through its sequences and items
    (``SharedFunctionalGroupsSequence[0].PixelMeasuresSequence[0].PixelSpacing``); ``module`` is
    the module (or functional group macro) the rule belongs to; ``rule`` says the rule in the
    standard's terms ("Type 1C: Required if …").
    """

    severity: Severity
    code: str
    path: str
    message: str
    module: str = ""
    rule: str = ""
    reference: Reference | None = None
    tag: int | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["reference"] = str(self.reference) if self.reference else ""
        d["tag"] = f"({self.tag >> 16:04X},{self.tag & 0xFFFF:04X})" if self.tag is not None else ""
        return d

    def __str__(self) -> str:
        where = f" {self.path}" if self.path else ""
        module = f" [{self.module}]" if self.module else ""
        ref = f" ({self.reference})" if self.reference else ""
        return f"{self.severity.upper()} {self.code}{where}: {self.message}{module}{ref}"


def errors(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == "error"]

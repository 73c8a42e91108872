"""The one rule for coded values in PS3.16 templates, shared by the template builders (at
assignment, :mod:`iodkit.sr.valuesets`) and the content-tree validator
(:mod:`iodkit.validation.templates`).

A template row constrains a concept name, a coded value or the units of a NUM item
(PS3.16 Section 6.1.5, 6.1.9) by

* ``EV (value, scheme, "meaning")`` — exactly that code (a :class:`~iodkit.codes.Code`; several
  alternatives: a tuple of them);
* ``DCID n`` — a Defined Context ID: the codes of context group *n*;
* ``BCID n`` — a Baseline Context ID: suggested codes, any other allowed;
* ``DT (…)`` — a Defined Term: a default, any other allowed;
* ``$Parameter`` — whatever the including template binds the parameter to.

=======================================  ==========================================
constraint                               a code outside it
=======================================  ==========================================
EV                                       error; a retired SNOMED RT (SRT) code whose
                                         SNOMED CT (SCT) equivalent is required is
                                         accepted with a warning
DCID, context group not extensible       error
DCID, extensible context group           builder accepts; validator warns
BCID, DT, an unbound parameter           accepted, no finding
=======================================  ==========================================

Codes are compared by value and coding scheme (PS3.16 Section 6.1.8), SRT mapped to SCT
(pydicom ships the mapping, loaded only when an SRT code is met), never by meaning. This
module imports neither pydicom nor NumPy at load, so the validator stays cheap to start.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias

from iodkit.codes import Code, context_group
from iodkit.pydicomdata import data_module

__all__ = [
    "CodeVerdict",
    "Constraint",
    "Param",
    "ValueSet",
    "concept_key",
    "in_group",
    "is_extensible",
    "judge_code",
]


@dataclass(frozen=True, slots=True)
class ValueSet:
    """``DCID n`` / ``BCID n`` / ``CID n`` (a context group) or ``DT`` (a defined term,
    ``code`` set)."""

    kind: str  # "DCID", "BCID", "CID", "DT"
    cid: int = 0
    name: str = ""
    code: Code | None = None

    def __str__(self) -> str:
        if self.kind == "DT" and self.code is not None:
            return f"DT {self.code}"
        return f'{self.kind} {self.cid} "{self.name}"' if self.name else f"{self.kind} {self.cid}"


@dataclass(frozen=True, slots=True)
class Param:
    """``$Name``: a template parameter, bound by the INCLUDE row that includes the template."""

    name: str

    def __str__(self) -> str:
        return f"${self.name}"


Constraint: TypeAlias = "Code | tuple[Code | ValueSet, ...] | ValueSet | Param | None"


class _Srt:
    """SNOMED RT → CT code values, loaded on first use (PS3.16 Section 8: SRT is retired in
    favour of SCT)."""

    table: dict[str, str] | None = None

    @classmethod
    def sct(cls, value: str) -> str | None:
        if cls.table is None:
            # pydicom's table on its own: importing pydicom.sr.coding costs ~0.5 s of CPU
            cls.table = dict(data_module("pydicom.sr._snomed_dict").mapping["SRT"])
        return cls.table.get(value)


def concept_key(code: Code) -> tuple[str, str]:
    """What identifies a concept: value and scheme, with retired SNOMED RT (SRT) codes mapped to
    their SNOMED CT (SCT) equivalents, so either spelling matches the other."""
    if code.scheme == "SRT":
        sct = _Srt.sct(code.value)
        if sct is not None:
            return sct, "SCT"
    return code.value, code.scheme


class _Groups:
    """Concept keys of each context group with its included groups, computed on first use."""

    keys: dict[int, tuple[bool, frozenset[tuple[str, str]], bool] | None] = {}

    @classmethod
    def get(cls, cid: int) -> tuple[bool, frozenset[tuple[str, str]], bool] | None:
        """(extensible, codes, open): ``open`` when the group or one it includes lists no codes
        (PS3.16 defers to another system: languages, countries, UCUM, LOINC titles)."""
        if cid not in cls.keys:
            try:
                group = context_group(cid)
            except KeyError:
                cls.keys[cid] = None
            else:
                cls.keys[cid] = (
                    group.extensible,
                    frozenset((c.value, c.scheme) for c in group.all_codes()),
                    _open(cid, set()),
                )
        return cls.keys[cid]


def _open(cid: int, seen: set[int]) -> bool:
    if cid in seen:
        return False
    seen.add(cid)
    try:
        group = context_group(cid)
    except KeyError:
        return True
    return (not group.codes and not group.includes) or any(_open(i, seen) for i in group.includes)


def in_group(code: Code, cid: int) -> bool | None:
    """Whether ``code`` is in context group ``cid`` with its included groups (None: the edition
    has no such group, or the group defers to codes it does not list). An SRT code counts when
    its SCT equivalent is listed."""
    entry = _Groups.get(cid)
    if entry is None:
        return None
    if (code.value, code.scheme) in entry[1]:
        return True
    if code.scheme == "SRT" and concept_key(code) in entry[1]:
        return True
    return None if entry[2] else False


def is_extensible(cid: int) -> bool | None:
    entry = _Groups.get(cid)
    return None if entry is None else entry[0]


@dataclass(frozen=True, slots=True)
class CodeVerdict:
    """What the rule says about a code outside (or only nominally inside) its constraint.

    ``severity`` "error": refused by builders, an error of the validator; "warning": accepted
    by builders with a Python warning (``retired_srt``) or silently (an extensible DCID),
    a warning of the validator.
    """

    severity: Literal["error", "warning"]
    message: str
    retired_srt: bool = False


def judge_code(code: Code, constraint: Constraint) -> CodeVerdict | None:
    """Apply the rule above; None when the code is accepted without a finding."""
    if constraint is None or isinstance(constraint, Param):
        return None
    alternatives = constraint if isinstance(constraint, tuple) else (constraint,)
    verdicts: list[CodeVerdict] = []
    for wanted in alternatives:
        verdict = _judge_one(code, wanted)
        if verdict is None:
            return None
        verdicts.append(verdict)
    # several alternatives: the mildest verdict wins (accepted by any one of them)
    warning = next((v for v in verdicts if v.severity == "warning"), None)
    if warning is not None:
        return warning
    if len(verdicts) == 1:
        return verdicts[0]
    shown = " or ".join(_shown(w) for w in alternatives)
    return CodeVerdict("error", f"{code} is not {shown}")


def _shown(c: Code | ValueSet) -> str:
    return f"EV {c}" if isinstance(c, Code) else str(c)


def _judge_one(code: Code, wanted: Code | ValueSet) -> CodeVerdict | None:
    if isinstance(wanted, Code):
        if (code.value, code.scheme) == (wanted.value, wanted.scheme):
            return None
        if code.scheme == "SRT" and concept_key(code) == concept_key(wanted):
            return CodeVerdict(
                "warning",
                f"{code} is the retired SNOMED RT spelling of {wanted}; accepted, but write "
                "the SCT code (PS3.16 Section 8)",
                retired_srt=True,
            )
        return CodeVerdict("error", f"{code} is not EV {wanted}")
    if wanted.kind not in ("DCID", "CID"):
        return None  # BCID, DT: any code is allowed
    member = in_group(code, wanted.cid)
    if member is None or member:
        return None  # a group this edition does not list cannot be judged
    if is_extensible(wanted.cid):
        return CodeVerdict("warning", f"{code} is not in {wanted} (an extensible context group)")
    return CodeVerdict(
        "error", f"{code} is not in {wanted}, a context group that is not extensible"
    )

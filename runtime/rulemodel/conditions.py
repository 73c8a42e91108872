"""Conditions: the standard's "Required if …" sentences as data the validator evaluates.

The spec stores each condition of a type 1C/2C attribute, of a conditional module (usage "C")
or functional group macro, and of a conditional "Include Table …" row as a :class:`Condition`:
the standard's own words (``text``) plus predicate trees (:mod:`.predicates`, :mod:`.facts`)
for when it is required, forbidden or permitted. The trees are data, not code, so they live in
YAML and in generated Python literals (:meth:`Condition.to_data` / :func:`predicate_from_data`
use only dicts, lists, str, int, float, bool).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple, TypeAlias

from .datasets import Context, Otherwise, Verdict
from .facts import (
    CodeValueForm,
    ContentTreeReferences,
    DesignatorSufficient,
    ExtendedCharacters,
    InAnnexL,
    IodRequires,
    NonHumanPatient,
    PairedBodyPart,
    PerFrameGroupsNeeded,
    PointsInto,
    Transferred,
)
from .predicates import (
    UNPARSED,
    Absent,
    Always,
    And,
    CodeIn,
    Compare,
    Count,
    Equals,
    FirstItem,
    HasValue,
    ItemsWhere,
    Module,
    Never,
    Not,
    NotEquals,
    Or,
    PointsTo,
    Present,
    Unknown,
)
from .values import Ref, parse_tag

Predicate: TypeAlias = (
    Always
    | Never
    | FirstItem
    | Present
    | Absent
    | HasValue
    | Equals
    | NotEquals
    | Compare
    | Count
    | CodeIn
    | PointsTo
    | ItemsWhere
    | Module
    | IodRequires
    | PairedBodyPart
    | InAnnexL
    | DesignatorSufficient
    | ExtendedCharacters
    | NonHumanPatient
    | PointsInto
    | Transferred
    | ContentTreeReferences
    | CodeValueForm
    | PerFrameGroupsNeeded
    | And
    | Or
    | Not
    | Unknown
)


def evaluate(predicate: Predicate | Condition | None, ctx: Context) -> Verdict:
    """The verdict of a predicate (or of a condition's predicate) on a context.

    ``None`` (cannot decide) for ``None``, for unknown words, and, as a last resort, for any
    error an odd dataset might provoke: validation must produce findings, not tracebacks.
    """
    if isinstance(predicate, Condition):
        predicate = predicate.predicate
    if predicate is None:
        return None
    try:
        return predicate.eval(ctx)
    except Exception:
        return None


class Explanation(NamedTuple):
    """What can say why a predicate cannot decide, found once per predicate (see
    :func:`explanation`): its leaves with a ``needs`` text, those with a ``because`` text, and
    the standard's words it could not turn into a test (its Unknown leaves)."""

    needs: tuple[Predicate, ...]
    because: tuple[Predicate, ...]
    words: tuple[str, ...]

    def wanting(self, ctx: Context) -> list[str]:
        """Why it cannot decide *for want of data the dataset could carry*.

        Some predicates read facts that an optional attribute records (the body part examined,
        for "paired structure"): when it is absent they cannot decide, and the dataset's author
        can fix that. Their ``needs`` text for each such leaf that cannot decide here; empty
        when the undecided verdict comes from the words of the standard themselves."""
        return _texts(self.needs, "needs", ctx)

    def undecided_because(self, ctx: Context) -> list[str]:
        """Why it cannot decide when neither unknown words nor missing data are the cause: the
        ``because`` text of each leaf that has one and cannot decide here (a Coding Scheme
        Designator the standard does not list)."""
        return _texts(self.because, "because", ctx)


def _texts(nodes: tuple[Predicate, ...], attr: str, ctx: Context) -> list[str]:
    out: list[str] = []
    for node in nodes:
        text = getattr(type(node), attr)
        if text not in out and evaluate(node, ctx) is None:
            out.append(text)
    return out


def explanation(predicate: Predicate | None) -> Explanation:
    """The :class:`Explanation` of a predicate (the validator keeps one per condition)."""
    if predicate is None:
        return Explanation((), (), ())
    nodes = list(walk(predicate))
    return Explanation(
        tuple(n for n in nodes if isinstance(getattr(type(n), "needs", None), str)),
        tuple(n for n in nodes if isinstance(getattr(type(n), "because", None), str)),
        tuple(n.text for n in nodes if isinstance(n, Unknown) and n.text),
    )


def walk(p: Predicate) -> Iterator[Predicate]:
    """Every node of a predicate tree, depth first (for coverage and checks)."""
    yield p
    if isinstance(p, (And, Or)):
        for q in p.items:
            yield from walk(q)
    elif isinstance(p, Not):
        yield from walk(p.item)
    elif isinstance(p, ItemsWhere):
        yield from walk(p.where)


def refs(p: Predicate) -> Iterator[Ref]:
    """Every attribute reference in a predicate (what a condition depends on)."""
    for node in walk(p):
        r = getattr(node, "ref", None)
        if isinstance(r, Ref):
            yield r


def map_refs(p: Predicate, fn: Callable[[Ref], Ref]) -> Predicate:
    """A copy of ``p`` with every reference replaced by ``fn(ref)``.

    The parser only knows the words; the spec knows where an attribute lives. Spec
    extraction uses this to qualify references, e.g. to give the path of an attribute nested
    in a sequence of the same module (``Ref((0x300A0070, 0x300A00A0))`` for "Number of Brachy
    Application Setups … for one or more fraction groups") or to pin a scope.
    """
    if isinstance(p, (And, Or)):
        return type(p)(tuple(map_refs(q, fn) for q in p.items))
    if isinstance(p, Not):
        return Not(map_refs(p.item, fn))
    if isinstance(p, ItemsWhere):
        return ItemsWhere(fn(p.ref), map_refs(p.where, fn), p.every)
    r = getattr(p, "ref", None)
    if not isinstance(r, Ref):
        return p
    fields = {name: getattr(p, name) for name in p.__slots__}
    fields["ref"] = fn(r)
    return p.__class__(**fields)  # type: ignore[arg-type]


Status: TypeAlias = Literal["executable", "not-decidable", "unparsed"]
Requirement: TypeAlias = Literal["required", "forbidden", "optional", "unspecified"] | None


@dataclass(frozen=True, slots=True)
class Condition:
    """One condition as the standard states it, and what it means.

    ``predicate`` is when the attribute/module/macro is *required* (``None``: no condition
    text was found). ``otherwise`` is what holds when it is false: ``may`` be present ("May be
    present otherwise"), ``shall-not`` ("shall not be present otherwise", "if and only if"), or
    ``unspecified`` (the text says nothing). ``forbidden`` is an explicit "Shall not be present
    if …"; ``permitted`` an explicit "May be present if …" (which implies: not otherwise).
    ``text`` keeps the standard's words the predicates were read from.
    """

    text: str
    predicate: Predicate | None
    otherwise: Otherwise = "unspecified"
    forbidden: Predicate | None = None
    permitted: Predicate | None = None

    @property
    def status(self) -> Status:
        """``executable`` (no unknown words), ``not-decidable`` (only facts the dataset does
        not record are unknown), or ``unparsed`` (some words were not understood).

        Judged on what decides presence: the requirement and the prohibition. A permission
        ("May be present if …") only softens a finding and counts only when it is all there is
        ("U - May be used only if …").
        """
        judged = (self.predicate, self.forbidden)
        if self.predicate is None and self.forbidden is None:
            judged = (self.permitted, None)  # "U - May be used only if …"
        reasons = {
            n.reason for p in judged if p is not None for n in walk(p) if isinstance(n, Unknown)
        }
        if judged == (None, None):
            return "unparsed"
        if UNPARSED in reasons:
            return "unparsed"
        return "not-decidable" if reasons else "executable"

    @property
    def partly_executable(self) -> bool:
        """Some verdicts are possible although unknown words remain."""
        nodes = [n for p in (self.predicate, self.forbidden) if p is not None for n in walk(p)]
        leaves = [n for n in nodes if not isinstance(n, (And, Or, Not, ItemsWhere))]
        return any(isinstance(n, Unknown) for n in leaves) and any(
            not isinstance(n, Unknown) for n in leaves
        )

    def requirement(self, ctx: Context) -> Requirement:
        """What the condition demands of the dataset in ``ctx``.

        ``required`` when the predicate holds. Otherwise ``forbidden`` when an explicit "shall
        not be present if" holds, when a "may be present if" does not, or when the text says
        "shall not be present otherwise"; ``optional`` when a "may be present (if …)" holds;
        ``unspecified`` when the text says nothing about that case (PS3.3 writes "May be
        present otherwise" when it means it, so a validator may warn). ``None`` when the words
        cannot be decided on this dataset.
        """
        predicate = self.predicate
        try:  # evaluate(), inlined: this runs for every conditional attribute of every item
            verdict = None if predicate is None else predicate.eval(ctx)
        except Exception:
            verdict = None
        if verdict:
            return "required"
        if verdict is None:
            return None
        if self.forbidden is not None:
            f = evaluate(self.forbidden, ctx)
            if f:
                return "forbidden"
            if f is None:
                return None
        if self.permitted is not None:
            p = evaluate(self.permitted, ctx)
            if p is None:
                return None
            return "optional" if p else "forbidden"
        if self.otherwise == "shall-not":
            return "forbidden"
        return "optional" if self.otherwise == "may" else "unspecified"

    def to_data(self) -> dict[str, Any]:
        d: dict[str, Any] = {"text": self.text}
        if self.predicate is not None:
            d["if"] = self.predicate.to_data()
        if self.otherwise != "unspecified":
            d["otherwise"] = self.otherwise
        if self.forbidden is not None:
            d["forbidden_if"] = self.forbidden.to_data()
        if self.permitted is not None:
            d["permitted_if"] = self.permitted.to_data()
        return d

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Condition:
        def opt(key: str) -> Predicate | None:
            return None if data.get(key) is None else predicate_from_data(data[key])

        return cls(
            text=data["text"],
            predicate=opt("if"),
            otherwise=data.get("otherwise", "unspecified"),
            forbidden=opt("forbidden_if"),
            permitted=opt("permitted_if"),
        )


_CONSTANTS: dict[str, Predicate] = {
    "always": Always(),
    "never": Never(),
    "first_item": FirstItem(),
    "paired_body_part": PairedBodyPart(),
    "designator_sufficient": DesignatorSufficient(),
    "extended_characters": ExtendedCharacters(),
    "non_human_patient": NonHumanPatient(),
    "content_tree_references": ContentTreeReferences(),
    "per_frame_groups_needed": PerFrameGroupsNeeded(),
}


_OPERATORS = frozenset(
    "present absent has_value equals other_than compare count code points_to any_item "
    "every_item module iod_requires points_into annex_l transferred code_value_form and or not "
    "unknown".split()
)


def predicate_from_data(data: Any) -> Predicate:
    """Inverse of ``to_data()`` for every predicate; raises ValueError on unknown shapes."""
    if isinstance(data, str):
        if data in _CONSTANTS:
            return _CONSTANTS[data]
        raise ValueError(f"unknown predicate {data!r}")
    if not isinstance(data, dict) or not data:
        raise ValueError(f"unknown predicate {data!r}")
    keys = [k for k in data if k in _OPERATORS]  # YAML may have sorted the keys
    if len(keys) != 1:
        raise ValueError(f"unknown predicate {data!r}")
    key = keys[0]
    idx = data.get("index")
    if key == "present":
        return Present(Ref.from_data(data[key]))
    if key == "absent":
        return Absent(Ref.from_data(data[key]))
    if key == "has_value":
        return HasValue(Ref.from_data(data[key]))
    if key == "equals":
        return Equals(Ref.from_data(data[key]), tuple(data["values"]), idx)
    if key == "other_than":
        return NotEquals(Ref.from_data(data[key]), tuple(data["values"]), idx)
    if key == "compare":
        return Compare(Ref.from_data(data[key]), data["op"], data["value"], idx)
    if key == "count":
        return Count(Ref.from_data(data[key]), data["op"], data["value"])
    if key == "code":
        return CodeIn(Ref.from_data(data[key]), tuple((c[0], c[1]) for c in data["values"]))
    if key == "points_to":
        return PointsTo(Ref.from_data(data[key]), tuple(parse_tag(t) for t in data["values"]))
    if key in ("any_item", "every_item"):
        return ItemsWhere(
            Ref.from_data(data[key]), predicate_from_data(data["where"]), key == "every_item"
        )
    if key == "annex_l":
        return InAnnexL(Ref.from_data(data[key]))
    if key == "code_value_form":
        return CodeValueForm(data[key])
    if key == "transferred":
        return Transferred(data[key])
    if key == "points_into":
        return PointsInto(Ref.from_data(data[key]), data["where"])
    if key == "module":
        return Module(data[key], data.get("kind", "module"))
    if key == "iod_requires":
        return IodRequires(tuple(parse_tag(t) for t in data[key]))
    if key == "and":
        return And(tuple(predicate_from_data(p) for p in data[key]))
    if key == "or":
        return Or(tuple(predicate_from_data(p) for p in data[key]))
    if key == "not":
        return Not(predicate_from_data(data[key]))
    if key == "unknown":
        return Unknown(data.get("text", ""), data[key])
    raise ValueError(f"unknown predicate {data!r}")

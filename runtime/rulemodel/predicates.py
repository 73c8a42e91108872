"""The predicates a condition is made of: presence, values, codes, items, modules, logic.

Each is a small immutable value (:class:`~iodkit.rulemodel.values.FrozenValue`) with
``eval(ctx)`` — a three-valued verdict on a :class:`~iodkit.rulemodel.datasets.Context` — and
``to_data()``, its plain-data form (dicts, lists, str, int, float, bool) kept in the YAML spec
and the generated rules; :func:`iodkit.rulemodel.conditions.predicate_from_data` reverses it.
``None`` (cannot decide) is what :class:`Unknown` leaves yield: words the parser could not turn
into a predicate, or facts that are not in the dataset at all ("if the image has been
calibrated"); the validator reports those as such and never treats them as optional.
``And``/``Or`` still decide when the known part settles the question ("A is present or
<unknown>" is true as soon as A is present).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeAlias

from .datasets import (
    CODE_VALUE_TAGS,
    CODING_SCHEME_DESIGNATOR,
    CONCEPT_CODE_SEQUENCE,
    OPS,
    Context,
    Verdict,
    all3,
    any3,
    as_number,
    get_element,
    is_empty,
    items_of,
    lookup,
    matches,
    selected,
    values_of,
)
from .values import FrozenValue, Ref, parse_tag, set_field, tag_str

if TYPE_CHECKING:
    from .conditions import Predicate
    from .datasets import Dataset

Value: TypeAlias = str | int | float


class Always(FrozenValue):
    """Unconditionally true (e.g. a condition the text states as always applying)."""

    __slots__ = ()

    def eval(self, ctx: Context) -> Verdict:
        return True

    def to_data(self) -> Any:
        return "always"


class Never(FrozenValue):
    """Unconditionally false."""

    __slots__ = ()

    def eval(self, ctx: Context) -> Verdict:
        return False

    def to_data(self) -> Any:
        return "never"


class FirstItem(FrozenValue):
    """The current item is the first of its sequence ("Required for first Item of …")."""

    __slots__ = ()

    def eval(self, ctx: Context) -> Verdict:
        return None if ctx.index is None else ctx.index == 0

    def to_data(self) -> Any:
        return "first_item"


class Present(FrozenValue):
    """Reads "X is present" (an empty type 2 value counts as present, as in PS3.5)."""

    __slots__ = ("ref",)
    ref: Ref

    def __init__(self, ref: Ref) -> None:
        set_field(self, "ref", ref)

    def eval(self, ctx: Context) -> Verdict:
        return bool(lookup(self.ref, ctx))

    def to_data(self) -> Any:
        return {"present": self.ref.to_data()}


class Absent(FrozenValue):
    """Reads "X is not present" / "is absent"."""

    __slots__ = ("ref",)
    ref: Ref

    def __init__(self, ref: Ref) -> None:
        set_field(self, "ref", ref)

    def eval(self, ctx: Context) -> Verdict:
        return not lookup(self.ref, ctx)

    def to_data(self) -> Any:
        return {"absent": self.ref.to_data()}


class HasValue(FrozenValue):
    """Reads "X is present with a value" / "has a value" / "is not empty" (non-zero length)."""

    __slots__ = ("ref",)
    ref: Ref

    def __init__(self, ref: Ref) -> None:
        set_field(self, "ref", ref)

    def eval(self, ctx: Context) -> Verdict:
        return any(not is_empty(e) for e in lookup(self.ref, ctx))

    def to_data(self) -> Any:
        return {"has_value": self.ref.to_data()}


class Equals(FrozenValue):
    """Reads "X is V1 or V2" / "X Value N is V": some (the N-th, 1-based) value is in ``values``.

    Strings compare exactly after stripping padding; numbers compare numerically. An absent or
    empty attribute is not equal to anything (so "X is not V" = ``Not(Equals)`` is true then).
    """

    __slots__ = ("ref", "values", "index")
    ref: Ref
    values: tuple[Value, ...]
    index: int | None

    def __init__(self, ref: Ref, values: tuple[Value, ...], index: int | None = None) -> None:
        set_field(self, "ref", ref)
        set_field(self, "values", values)
        set_field(self, "index", index)

    def eval(self, ctx: Context) -> Verdict:
        for elem in lookup(self.ref, ctx):
            for actual in selected(elem, self.index):
                for expected in self.values:
                    if matches(actual, expected):
                        return True
        return False

    def to_data(self) -> Any:
        d: dict[str, Any] = {"equals": self.ref.to_data(), "values": list(self.values)}
        if self.index is not None:
            d["index"] = self.index
        return d


class NotEquals(FrozenValue):
    """Reads "X equals other than V" / "has a value other than V": X has a value, and it is none of
    ``values``. Unlike ``Not(Equals)``, an absent or empty X makes this false."""

    __slots__ = ("ref", "values", "index")
    ref: Ref
    values: tuple[Value, ...]
    index: int | None

    def __init__(self, ref: Ref, values: tuple[Value, ...], index: int | None = None) -> None:
        set_field(self, "ref", ref)
        set_field(self, "values", values)
        set_field(self, "index", index)

    def eval(self, ctx: Context) -> Verdict:
        for elem in lookup(self.ref, ctx):
            for actual in selected(elem, self.index):
                if not any(matches(actual, expected) for expected in self.values):
                    return True
        return False

    def to_data(self) -> Any:
        d: dict[str, Any] = {"other_than": self.ref.to_data(), "values": list(self.values)}
        if self.index is not None:
            d["index"] = self.index
        return d


class Compare(FrozenValue):
    """Reads "X is greater than N", "is non-zero" (``!=`` 0), "is less than or equal to N".

    Absent or empty → false; a value that is not a number → cannot decide.
    """

    __slots__ = ("ref", "op", "value", "index")
    ref: Ref
    op: str
    value: float | int
    index: int | None

    def __init__(self, ref: Ref, op: str, value: float | int, index: int | None = None) -> None:
        set_field(self, "ref", ref)
        set_field(self, "op", op)
        set_field(self, "value", value)
        set_field(self, "index", index)

    def eval(self, ctx: Context) -> Verdict:
        test = OPS[self.op]
        unknown = False
        for elem in lookup(self.ref, ctx):
            for actual in selected(elem, self.index):
                n = as_number(actual)
                if n is None:
                    unknown = True
                elif test(n, self.value):
                    return True
        return None if unknown else False

    def to_data(self) -> Any:
        d: dict[str, Any] = {"compare": self.ref.to_data(), "op": self.op, "value": self.value}
        if self.index is not None:
            d["index"] = self.index
        return d


class Count(FrozenValue):
    """Reads "Sequence X contains more than one Item" / "X has more than one value".

    Counts the items of a sequence, or the values of any other element; absent counts 0.
    """

    __slots__ = ("ref", "op", "value")
    ref: Ref
    op: str
    value: int

    def __init__(self, ref: Ref, op: str, value: int) -> None:
        set_field(self, "ref", ref)
        set_field(self, "op", op)
        set_field(self, "value", value)

    def eval(self, ctx: Context) -> Verdict:
        elems = lookup(self.ref, ctx)
        counts = [len(items_of(e)) if is_sequence(e) else len(values_of(e)) for e in elems] or [0]
        test = OPS[self.op]
        return any(test(c, self.value) for c in counts)

    def to_data(self) -> Any:
        return {"count": self.ref.to_data(), "op": self.op, "value": self.value}


def is_sequence(elem: Any) -> bool:
    return getattr(elem, "VR", None) == "SQ"


class CodeIn(FrozenValue):
    """Reads "Code Sequence X contains an Item with the value (V, S, "meaning")", "X is (V, S, …)".

    ``codes`` are (code value, coding scheme designator) pairs; the meaning is not compared
    (it may legitimately differ). An item matches through its Code Value, Long Code Value or URN
    Code Value, or, for content items, through its Concept Code Sequence.
    """

    __slots__ = ("ref", "codes")
    ref: Ref
    codes: tuple[tuple[str, str], ...]

    def __init__(self, ref: Ref, codes: tuple[tuple[str, str], ...]) -> None:
        set_field(self, "ref", ref)
        set_field(self, "codes", codes)

    def eval(self, ctx: Context) -> Verdict:
        for elem in lookup(self.ref, ctx):
            for item in items_of(elem):
                if self._match(item) or any(
                    self._match(c) for c in items_of(get_element(item, CONCEPT_CODE_SEQUENCE))
                ):
                    return True
        return False

    def _match(self, item: Dataset) -> bool:
        scheme = get_element(item, CODING_SCHEME_DESIGNATOR)
        schemes = values_of(scheme) if scheme is not None else ()
        for t in CODE_VALUE_TAGS:
            e = get_element(item, t)
            if e is None:
                continue
            for v in values_of(e):
                for cv, cs in self.codes:
                    if matches(v, cv) and any(matches(s, cs) for s in schemes):
                        return True
        return False

    def to_data(self) -> Any:
        return {"code": self.ref.to_data(), "values": [list(c) for c in self.codes]}


class PointsTo(FrozenValue):
    """Reads "Frame Increment Pointer points to Frame Time (0018,1063)": an AT value in ``tags``."""

    __slots__ = ("ref", "tags")
    ref: Ref
    tags: tuple[int, ...]

    def __init__(self, ref: Ref, tags: tuple[int, ...]) -> None:
        set_field(self, "ref", ref)
        set_field(self, "tags", tags)

    def eval(self, ctx: Context) -> Verdict:
        for elem in lookup(self.ref, ctx):
            for v in values_of(elem):
                t = as_tag(v)
                if t is not None and t in self.tags:
                    return True
        return False

    def to_data(self) -> Any:
        return {"points_to": self.ref.to_data(), "values": [tag_str(t) for t in self.tags]}


def as_tag(v: Any) -> int | None:
    if isinstance(v, int):
        return int(v)
    if isinstance(v, str):
        try:
            return parse_tag(v)
        except ValueError:
            return None
    return None


class ItemsWhere(FrozenValue):
    """A condition on the items of a sequence: some item (or, with ``every``, every item).

    The inner predicate is evaluated with each item as the current dataset, so its own
    references find siblings inside the item first.
    """

    __slots__ = ("ref", "where", "every")
    ref: Ref
    where: Predicate
    every: bool

    def __init__(self, ref: Ref, where: Predicate, every: bool = False) -> None:
        set_field(self, "ref", ref)
        set_field(self, "where", where)
        set_field(self, "every", every)

    def eval(self, ctx: Context) -> Verdict:
        verdicts = (
            self.where.eval(ctx.child(item, i, elem.tag))
            for elem in lookup(self.ref, ctx)
            for i, item in enumerate(items_of(elem))
        )
        return all3(verdicts) if self.every else any3(verdicts)

    def to_data(self) -> Any:
        key = "every_item" if self.every else "any_item"
        return {key: self.ref.to_data(), "where": self.where.to_data()}


class Module(FrozenValue):
    """Reads "the X Module is present", "X Functional Group Macro is present": asked of the engine.

    ``kind`` is "module", "macro" or "functional-group"; the context's module oracle answers,
    ``None`` when it does not know.
    """

    __slots__ = ("name", "kind")
    name: str
    kind: str

    def __init__(self, name: str, kind: str = "module") -> None:
        set_field(self, "name", name)
        set_field(self, "kind", kind)

    def eval(self, ctx: Context) -> Verdict:
        if ctx.modules is None:
            return None
        return ctx.modules(self.name, self.kind)

    def to_data(self) -> Any:
        if self.kind == "module":
            return {"module": self.name}
        return {"module": self.name, "kind": self.kind}


class And(FrozenValue):
    __slots__ = ("items",)
    items: tuple[Predicate, ...]

    def __init__(self, items: tuple[Predicate, ...]) -> None:
        set_field(self, "items", items)

    def eval(self, ctx: Context) -> Verdict:
        # all3() over the items, written out: no generator for each of the many evaluations
        unknown = False
        for p in self.items:
            v = p.eval(ctx)
            if v is False:
                return False
            if v is None:
                unknown = True
        return None if unknown else True

    def to_data(self) -> Any:
        return {"and": [p.to_data() for p in self.items]}


class Or(FrozenValue):
    __slots__ = ("items",)
    items: tuple[Predicate, ...]

    def __init__(self, items: tuple[Predicate, ...]) -> None:
        set_field(self, "items", items)

    def eval(self, ctx: Context) -> Verdict:
        # any3() over the items, written out (as in And.eval)
        unknown = False
        for p in self.items:
            v = p.eval(ctx)
            if v is True:
                return True
            if v is None:
                unknown = True
        return None if unknown else False

    def to_data(self) -> Any:
        return {"or": [p.to_data() for p in self.items]}


class Not(FrozenValue):
    __slots__ = ("item",)
    item: Predicate

    def __init__(self, item: Predicate) -> None:
        set_field(self, "item", item)

    def eval(self, ctx: Context) -> Verdict:
        v = self.item.eval(ctx)
        return None if v is None else not v

    def to_data(self) -> Any:
        return {"not": self.item.to_data()}


UNPARSED = "unparsed"
NOT_IN_DATASET = "dataset"


class Unknown(FrozenValue):
    """Words that are not (yet) a predicate: always *cannot decide*.

    ``reason`` is ``"unparsed"`` (the parser did not understand the words) or ``"dataset"``
    (the words speak of facts the dataset does not record, e.g. "if contrast was applied").
    """

    __slots__ = ("text", "reason")
    text: str
    reason: str

    def __init__(self, text: str, reason: str = UNPARSED) -> None:
        set_field(self, "text", text)
        set_field(self, "reason", reason)

    def eval(self, ctx: Context) -> Verdict:
        return None

    def to_data(self) -> Any:
        return {"unknown": self.reason, "text": self.text}

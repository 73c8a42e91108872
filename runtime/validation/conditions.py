"""Executable conditions: the standard's "Required if …" sentences as predicates over datasets.

The spec stores each condition of a type 1C/2C attribute, of a conditional module (usage "C")
or functional group macro, and of a conditional "Include Table …" row as a :class:`Condition`:
the standard's own words (``text``) plus a predicate tree built from a handful of small
immutable value classes. The tree is data, not code, so it can live in YAML and in generated
Python literals (:meth:`to_data` / :func:`predicate_from_data` use only dicts, lists, str,
int, float, bool).

Verdicts are three-valued (Kleene logic): ``True``, ``False``, or ``None`` = *cannot decide*.
``None`` is what :class:`Unknown` leaves yield (text the parser could not turn into a predicate,
or facts that are not in the dataset at all, such as "if the image has been calibrated"); the
validator reports those as such and never silently treats them as optional. ``And``/``Or``
still decide when the known part settles the question ("A is present or <unknown>" is true as soon
as A is present).

Attributes are referenced by tag through :class:`Ref`: a path of tags (outer sequences first)
and a scope. The standard's conditions speak about siblings in the same item, attributes of an
enclosing item or of the top-level dataset, and attributes inside the Shared/Per-frame Functional
Groups, usually without saying which, so the default scope ``auto`` looks in the current item,
then outwards to the root, then in the functional groups (shared first, then the current frame,
or any frame when no frame is current). Lookups are existential: a path through a sequence with
several items matches when any item does.

Evaluation never raises on odd datasets (wrong VR, bytes, multi-valued where single was meant,
empty sequences): it answers ``None`` or the sensible verdict.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import FrozenInstanceError, dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, Protocol, TypeAlias

from .reader import CHARSET_VRS, SPECIFIC_CHARACTER_SET, Node

if TYPE_CHECKING:
    import pydicom.dataset

    # what conditions are evaluated on: the reader's Node or a pydicom Dataset
    Dataset: TypeAlias = Node | pydicom.dataset.Dataset

Verdict: TypeAlias = bool | None
Otherwise: TypeAlias = Literal["may", "shall-not", "unspecified"]
ModuleOracle: TypeAlias = Callable[[str, str], Verdict]


class Facts(Protocol):
    """What some conditions need beyond the dataset: the IOD's rules and the standard's tables.

    The validation engine provides it (:class:`iodkit.validation.engine._Check`); without it
    (``Context.facts`` is None) the predicates that need it cannot decide.
    """

    def iod_requires(self, tags: tuple[int, ...], ctx: Context) -> Verdict:
        """Whether the IOD's rules require every one of ``tags`` in this dataset."""
        ...

    def in_functional_group(self, tag: int) -> Verdict:
        """Whether a functional group macro of the IOD defines ``tag``."""
        ...

    def body_part_paired(self, term: str) -> Verdict:
        """PS3.16 Annex L: whether a Body Part Examined Defined Term is a paired structure."""
        ...

    def code_paired(self, value: str, scheme: str, meaning: str) -> Verdict:
        """PS3.16 Annex L Table L-5: whether an anatomic code is a paired structure."""
        ...

    def designator_sufficient(self, designator: str) -> Verdict:
        """PS3.16 Table 8-1: whether a Coding Scheme Designator alone identifies a code
        unambiguously (True: listed; False: listed, but its entry requires Coding Scheme
        Version; None: not listed)."""
        ...


SHARED_FG = 0x52009229  # Shared Functional Groups Sequence
PER_FRAME_FG = 0x52009230  # Per-Frame Functional Groups Sequence
CODE_VALUE_TAGS = (0x00080100, 0x00080119, 0x00080120)  # Code Value, Long, URN
CODING_SCHEME_DESIGNATOR = 0x00080102
_CODING_SCHEME = CODING_SCHEME_DESIGNATOR
_CONCEPT_CODE_SEQUENCE = 0x0040A168
SCOPES = ("auto", "item", "parent", "root", "frame")
_OPS: dict[str, Callable[[float, float], bool]] = {
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}


# ---------------------------------------------------------------------------------------------
# Tags and references


def tag_str(tag: int) -> str:
    """``0x00280009`` → ``"0028,0009"``: readable in YAML diffs, unambiguous, fixed width."""
    return f"{tag >> 16:04X},{tag & 0xFFFF:04X}"


_TAG_TEXT = re.compile(r"^\(?([0-9A-Fa-f]{4}),?([0-9A-Fa-f]{4})\)?$")


def parse_tag(text: str) -> int:
    """Inverse of :func:`tag_str`; also accepts ``(0028,0009)`` and ``00280009``."""
    m = _TAG_TEXT.match(text.strip())
    if not m:
        raise ValueError(f"not a tag: {text!r}")
    return int(m.group(1) + m.group(2), 16)


_set = object.__setattr__


class _Value:
    """Base of :class:`Ref` and the predicate classes: immutable values, equal and hashed by
    class and fields, with the ``repr`` and the errors on assignment of a frozen dataclass.

    Written out rather than made with ``@dataclass(frozen=True, slots=True)``: a dataclass runs
    ``exec`` for each method it makes, ~3 million instructions a class, and these 21 classes
    are made at every start of the validator (3% of a ``validate`` run over the test corpus).
    Each subclass lists its fields in ``__slots__``, in the order of its ``__init__``.
    """

    __slots__: tuple[str, ...] = ()

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            return self._values() == other._values()  # type: ignore[attr-defined]
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{self.__class__.__qualname__}({fields})"

    def __setattr__(self, name: str, value: Any) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (self.__class__, self._values())


class Ref(_Value):
    """Where an attribute named in a condition is looked up.

    ``path`` is one tag, or several when the text names the sequences on the way ("Content Item
    Modifier Sequence within Performed Protocol Code Sequence" → outer sequence first). ``scope``
    says where the first tag is looked for: ``auto`` (current item, then enclosing datasets,
    then functional groups), ``item`` ("in this Sequence Item"), ``parent`` ("in the
    containing … Item"), ``root`` ("at the image level"; root, then functional groups),
    ``frame`` (the functional groups only).
    """

    __slots__ = ("path", "scope")
    path: tuple[int, ...]
    scope: str

    def __init__(self, path: tuple[int, ...], scope: str = "auto") -> None:
        _set(self, "path", path)
        _set(self, "scope", scope)

    @property
    def tag(self) -> int:
        return self.path[-1]

    def to_data(self) -> str:
        body = "/".join(tag_str(t) for t in self.path)
        return body if self.scope == "auto" else f"{self.scope}:{body}"

    @classmethod
    def from_data(cls, data: str) -> Ref:
        hit = _REFS.get(data) if cls is Ref else None
        if hit is not None:
            return hit
        scope, _, body = data.rpartition(":")
        if scope and scope not in SCOPES:
            raise ValueError(f"unknown scope {scope!r} in {data!r}")
        made = cls(tuple(parse_tag(t) for t in body.split("/")), scope or "auto")
        if cls is Ref and len(_REFS) < 65536:
            _REFS[data] = made
        return made


# References as written in the rules → the same (immutable) Ref: the rules name the same
# attributes again and again, and parsing each tag is most of building a condition
_REFS: dict[str, Ref] = {}


def ref(*tags: int, scope: str = "auto") -> Ref:
    """Shorthand used by tests and generated code: ``ref(0x00280009)``."""
    return Ref(tuple(tags), scope)


# ---------------------------------------------------------------------------------------------
# Evaluation context


def modules_from_names(names: Iterable[str], *, complete: bool = True) -> ModuleOracle:
    """A module oracle from the names of the modules (and macros) known to be present.

    With ``complete`` the list is taken as the whole truth (absent names → False); otherwise
    names not listed are unknown (→ None). Names compare case-insensitively without a trailing
    "Module"/"Macro"/"Functional Group (Macro)" so the standard's spelling variants meet.
    """
    present = frozenset(normalize_module_name(n) for n in names)

    def oracle(name: str, kind: str) -> Verdict:
        if normalize_module_name(name) in present:
            return True
        return False if complete else None

    return oracle


_MODULE_SUFFIX = re.compile(
    r"\s+(module|macro|functional group macro|functional group|functional groups)s?$"
)


@lru_cache(maxsize=4096)
def normalize_module_name(name: str) -> str:
    """Lower-case, single spaces, no leading "the", no trailing kind word."""
    n = " ".join(name.lower().split())
    n = n.removeprefix("the ")
    return _MODULE_SUFFIX.sub("", n)


class Context:
    """What a predicate is evaluated against.

    ``stack`` holds the datasets from the root (the top-level dataset) to the current item.
    ``modules`` answers "is module/macro X present" (``None`` → unknown). ``frame`` is the
    index of the current frame when evaluating inside a Per-frame Functional Groups item (or for
    a per-frame requirement); ``index`` is the current item's position in its sequence ("first
    Item of Control Point Sequence"). ``cache`` is shared between a context and its children so
    functional-group lookups are done once per file.

    Treated as immutable (a child is a new context). A plain slotted class rather than a frozen
    dataclass: the engine makes one for every sequence item, and a frozen dataclass sets each
    field through ``object.__setattr__`` (and costs ~3 million instructions to define).
    """

    __slots__ = ("stack", "modules", "frame", "index", "cache", "facts")

    def __init__(
        self,
        stack: tuple[Dataset, ...],
        modules: ModuleOracle | None = None,
        frame: int | None = None,
        index: int | None = None,
        cache: dict[Any, Any] | None = None,
        facts: Facts | None = None,
    ) -> None:
        self.stack = stack
        self.modules = modules
        self.frame = frame
        self.index = index
        self.cache: dict[Any, Any] = {} if cache is None else cache
        self.facts = facts

    def __repr__(self) -> str:
        return (
            f"Context(stack={self.stack!r}, modules={self.modules!r}, frame={self.frame!r}, "
            f"index={self.index!r})"
        )

    @classmethod
    def of(
        cls,
        root: Dataset,
        *,
        modules: ModuleOracle | Iterable[str] | None = None,
        frame: int | None = None,
        facts: Facts | None = None,
    ) -> Context:
        """A context at the top level of ``root``; ``modules`` may be an oracle or names."""
        if modules is not None and not callable(modules):
            modules = modules_from_names(modules)
        return cls((root,), modules, frame, facts=facts)

    @property
    def root(self) -> Dataset:
        return self.stack[0]

    @property
    def current(self) -> Dataset:
        return self.stack[-1]

    def child(
        self, item: Dataset, index: int | None = None, sequence: int | None = None
    ) -> Context:
        """The context inside ``item`` (the ``index``-th item of sequence tag ``sequence``).

        Stepping into the Per-frame Functional Groups Sequence sets the current frame.
        """
        frame = index if sequence == PER_FRAME_FG and len(self.stack) == 1 else self.frame
        return Context((*self.stack, item), self.modules, frame, index, self.cache, self.facts)


# ---------------------------------------------------------------------------------------------
# Lookup helpers (never raise; callers catch as a last resort)


def is_dataset(obj: Any) -> bool:
    """A dataset the evaluator can read: the validation reader's ``Node`` or a pydicom
    ``Dataset``. pydicom is consulted only when it is already loaded (a pydicom Dataset cannot
    exist otherwise), so evaluating conditions never imports it."""
    if isinstance(obj, Node):
        return True
    pydicom_dataset = sys.modules.get("pydicom.dataset")
    return pydicom_dataset is not None and isinstance(obj, pydicom_dataset.Dataset)


def _get(ds: Any, tag: int) -> Any:
    """The data element ``tag`` of ``ds`` or None; tolerates non-datasets and broken values."""
    if type(ds) is Node and tag >> 16 != 0x0002:  # the validator's own tree: a dict lookup
        return ds.elems.get(tag)
    if not is_dataset(ds):
        return None
    try:
        if tag >> 16 == 0x0002:
            meta: Any = getattr(ds, "file_meta", None)
            if is_dataset(meta) and tag in meta:
                return meta[tag]
        if tag in ds:
            return ds[tag]
    except Exception:
        return None
    return None


def _items(elem: Any) -> list[Dataset]:
    """The items of a sequence element (empty for anything else)."""
    try:
        value = elem.value
    except Exception:
        return []
    if type(value) is list and all(type(it) is Node for it in value):
        return value  # the reader's items
    if isinstance(value, (list, tuple)) or type(value).__name__ == "Sequence":
        return [it for it in value if is_dataset(it)]
    return []


_Index: TypeAlias = dict[int, list[Any]]


def _group_index(items: list[Dataset]) -> _Index:
    """tag → elements in functional group items: the macros' sequences themselves and the
    attributes one item down (where every functional group macro keeps them)."""
    index: _Index = {}
    for group in items:
        try:
            macros = list(group)
        except Exception:
            continue
        for macro in macros:
            index.setdefault(int(macro.tag), []).append(macro)
            for inner in _items(macro):
                try:
                    elems = list(inner)
                except Exception:
                    continue
                for elem in elems:
                    index.setdefault(int(elem.tag), []).append(elem)
    return index


def _fg_index(ctx: Context) -> tuple[_Index, _Index]:
    """(shared, per-frame) indexes for the current frame (or all frames), once per file."""
    key = ("fg", ctx.frame)
    hit = ctx.cache.get(key)
    if hit is None:
        root = ctx.root
        shared = ctx.cache.get("fg-shared")  # the same for every frame
        if shared is None:
            shared = ctx.cache["fg-shared"] = _group_index(_items(_get(root, SHARED_FG))[:1])
        frames = ctx.cache.get("fg-frames")  # the items once, not once per frame
        if frames is None:
            frames = ctx.cache["fg-frames"] = _items(_get(root, PER_FRAME_FG))
        if ctx.frame is not None:
            frames = frames[ctx.frame : ctx.frame + 1]
        hit = (shared, _group_index(frames))
        ctx.cache[key] = hit
    return hit


def _functional_groups(ctx: Context, tag: int) -> list[Any]:
    """``tag`` in the Shared Functional Groups, else in the (current or any) frame's."""
    if tag >> 16 == 0x0002:
        return []
    shared, frames = _fg_index(ctx)
    return shared.get(tag) or frames.get(tag) or []


def _first(ctx: Context, tag: int, scope: str) -> list[Any]:
    """The elements for the first tag of a path, following the scope rules of :class:`Ref`.

    (:func:`lookup` reads one-tag paths of scope "item" and "auto" itself.)"""
    if scope == "item":
        e = _get(ctx.current, tag)
        return [e] if e is not None else []
    if scope == "parent":
        e = _get(ctx.stack[-2] if len(ctx.stack) > 1 else ctx.root, tag)
        return [e] if e is not None else []
    if scope == "frame":
        return _functional_groups(ctx, tag)
    if scope == "root":
        e = _get(ctx.root, tag)
        return [e] if e is not None else _functional_groups(ctx, tag)
    for ds in reversed(ctx.stack):  # "auto" (an unknown scope reads as "auto")
        e = _get(ds, tag)
        if e is not None:
            return [e]
    return _functional_groups(ctx, tag)


def lookup(r: Ref, ctx: Context) -> list[Any]:
    """All data elements a reference designates (empty when absent anywhere on its path)."""
    path = r.path
    if len(path) == 1 and path[0] >> 16 != 0x0002:
        # _first(), inlined for the common cases: the current item, or it and its parents
        tag = path[0]
        scope = r.scope
        if scope == "item":
            ds = ctx.stack[-1]
            e = ds.elems.get(tag) if type(ds) is Node else _get(ds, tag)
            return [e] if e is not None else []
        if scope == "auto":
            for ds in reversed(ctx.stack):
                e = ds.elems.get(tag) if type(ds) is Node else _get(ds, tag)
                if e is not None:
                    return [e]
            return _functional_groups(ctx, tag)
        return _first(ctx, tag, scope)
    elems = _first(ctx, path[0], r.scope)
    for tag in path[1:]:
        found = (_get(item, tag) for el in elems for item in _items(el))
        elems = [e for e in found if e is not None]
    return elems


def _is_empty(elem: Any) -> bool:
    try:
        value = elem.value
    except Exception:
        return False
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip(" \x00")
    if isinstance(value, (bytes, bytearray)):
        return not bytes(value).strip(b" \x00")
    try:
        return len(value) == 0
    except TypeError:
        return False


def values_of(elem: Any) -> tuple[Any, ...]:
    """An element's values as a tuple (strings stripped; bytes decoded and split on "\\")."""
    try:
        value = elem.value
    except Exception:
        return ()
    if value is None:
        return ()
    if isinstance(value, (bytes, bytearray)):
        text = bytes(value).decode("latin-1").strip(" \x00")
        return tuple(v.strip(" \x00") for v in text.split("\\")) if text else ()
    if isinstance(value, str):
        value = value.strip(" \x00")
        return (value,) if value else ()
    if isinstance(value, (list, tuple)) or type(value).__name__ in ("MultiValue", "Sequence"):
        return tuple(v.strip(" \x00") if isinstance(v, str) else v for v in value)
    return (value,)


def _first_text(ds: Any, tag: int) -> str:
    """The first value of ``tag`` in ``ds`` as text ("" when absent or empty)."""
    return str(next(iter(values_of(_get(ds, tag))), ""))


def _as_number(v: Any) -> float | None:
    if isinstance(v, bool):
        return float(v)
    if isinstance(v, (int, float)):
        f = float(v)
        return None if math.isnan(f) else f
    if isinstance(v, (bytes, bytearray)):
        v = bytes(v).decode("latin-1")
    try:
        f = float(str(v).strip(" \x00"))
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def _matches(actual: Any, expected: str | int | float) -> bool:
    if isinstance(expected, str):
        if isinstance(actual, str):
            return actual == expected
        if isinstance(actual, (bytes, bytearray)):
            return bytes(actual).decode("latin-1").strip(" \x00") == expected
        return str(actual).strip(" \x00") == expected
    n = _as_number(actual)
    return n is not None and n == float(expected)


def _selected(elem: Any, index: int | None) -> tuple[Any, ...]:
    vals = values_of(elem)
    if index is None:
        return vals
    return (vals[index - 1],) if 0 < index <= len(vals) else ()


def _any3(verdicts: Iterable[Verdict]) -> Verdict:
    """Kleene OR over an iterable (True wins, then None, else False)."""
    unknown = False
    for v in verdicts:
        if v is True:
            return True
        if v is None:
            unknown = True
    return None if unknown else False


def _all3(verdicts: Iterable[Verdict]) -> Verdict:
    """Kleene AND (False wins, then None, else True)."""
    unknown = False
    for v in verdicts:
        if v is False:
            return False
        if v is None:
            unknown = True
    return None if unknown else True


# ---------------------------------------------------------------------------------------------
# Predicates


Value: TypeAlias = str | int | float


class Always(_Value):
    """Unconditionally true (e.g. a condition the text states as always applying)."""

    __slots__ = ()

    def eval(self, ctx: Context) -> Verdict:
        return True

    def to_data(self) -> Any:
        return "always"


class Never(_Value):
    """Unconditionally false."""

    __slots__ = ()

    def eval(self, ctx: Context) -> Verdict:
        return False

    def to_data(self) -> Any:
        return "never"


class FirstItem(_Value):
    """The current item is the first of its sequence ("Required for first Item of …")."""

    __slots__ = ()

    def eval(self, ctx: Context) -> Verdict:
        return None if ctx.index is None else ctx.index == 0

    def to_data(self) -> Any:
        return "first_item"


class Present(_Value):
    """Reads "X is present" (an empty type 2 value counts as present, as in PS3.5)."""

    __slots__ = ("ref",)
    ref: Ref

    def __init__(self, ref: Ref) -> None:
        _set(self, "ref", ref)

    def eval(self, ctx: Context) -> Verdict:
        return bool(lookup(self.ref, ctx))

    def to_data(self) -> Any:
        return {"present": self.ref.to_data()}


class Absent(_Value):
    """Reads "X is not present" / "is absent"."""

    __slots__ = ("ref",)
    ref: Ref

    def __init__(self, ref: Ref) -> None:
        _set(self, "ref", ref)

    def eval(self, ctx: Context) -> Verdict:
        return not lookup(self.ref, ctx)

    def to_data(self) -> Any:
        return {"absent": self.ref.to_data()}


class HasValue(_Value):
    """Reads "X is present with a value" / "has a value" / "is not empty" (non-zero length)."""

    __slots__ = ("ref",)
    ref: Ref

    def __init__(self, ref: Ref) -> None:
        _set(self, "ref", ref)

    def eval(self, ctx: Context) -> Verdict:
        return any(not _is_empty(e) for e in lookup(self.ref, ctx))

    def to_data(self) -> Any:
        return {"has_value": self.ref.to_data()}


class Equals(_Value):
    """Reads "X is V1 or V2" / "X Value N is V": some (the N-th, 1-based) value is in ``values``.

    Strings compare exactly after stripping padding; numbers compare numerically. An absent or
    empty attribute is not equal to anything (so "X is not V" = ``Not(Equals)`` is true then).
    """

    __slots__ = ("ref", "values", "index")
    ref: Ref
    values: tuple[Value, ...]
    index: int | None

    def __init__(self, ref: Ref, values: tuple[Value, ...], index: int | None = None) -> None:
        _set(self, "ref", ref)
        _set(self, "values", values)
        _set(self, "index", index)

    def eval(self, ctx: Context) -> Verdict:
        for elem in lookup(self.ref, ctx):
            for actual in _selected(elem, self.index):
                for expected in self.values:
                    if _matches(actual, expected):
                        return True
        return False

    def to_data(self) -> Any:
        d: dict[str, Any] = {"equals": self.ref.to_data(), "values": list(self.values)}
        if self.index is not None:
            d["index"] = self.index
        return d


class NotEquals(_Value):
    """Reads "X equals other than V" / "has a value other than V": X has a value, and it is none of
    ``values``. Unlike ``Not(Equals)``, an absent or empty X makes this false."""

    __slots__ = ("ref", "values", "index")
    ref: Ref
    values: tuple[Value, ...]
    index: int | None

    def __init__(self, ref: Ref, values: tuple[Value, ...], index: int | None = None) -> None:
        _set(self, "ref", ref)
        _set(self, "values", values)
        _set(self, "index", index)

    def eval(self, ctx: Context) -> Verdict:
        for elem in lookup(self.ref, ctx):
            for actual in _selected(elem, self.index):
                if not any(_matches(actual, expected) for expected in self.values):
                    return True
        return False

    def to_data(self) -> Any:
        d: dict[str, Any] = {"other_than": self.ref.to_data(), "values": list(self.values)}
        if self.index is not None:
            d["index"] = self.index
        return d


class Compare(_Value):
    """Reads "X is greater than N", "is non-zero" (``!=`` 0), "is less than or equal to N".

    Absent or empty → false; a value that is not a number → cannot decide.
    """

    __slots__ = ("ref", "op", "value", "index")
    ref: Ref
    op: str
    value: float | int
    index: int | None

    def __init__(self, ref: Ref, op: str, value: float | int, index: int | None = None) -> None:
        _set(self, "ref", ref)
        _set(self, "op", op)
        _set(self, "value", value)
        _set(self, "index", index)

    def eval(self, ctx: Context) -> Verdict:
        test = _OPS[self.op]
        unknown = False
        for elem in lookup(self.ref, ctx):
            for actual in _selected(elem, self.index):
                n = _as_number(actual)
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


class Count(_Value):
    """Reads "Sequence X contains more than one Item" / "X has more than one value".

    Counts the items of a sequence, or the values of any other element; absent counts 0.
    """

    __slots__ = ("ref", "op", "value")
    ref: Ref
    op: str
    value: int

    def __init__(self, ref: Ref, op: str, value: int) -> None:
        _set(self, "ref", ref)
        _set(self, "op", op)
        _set(self, "value", value)

    def eval(self, ctx: Context) -> Verdict:
        elems = lookup(self.ref, ctx)
        counts = [len(_items(e)) if _is_sequence(e) else len(values_of(e)) for e in elems] or [0]
        test = _OPS[self.op]
        return any(test(c, self.value) for c in counts)

    def to_data(self) -> Any:
        return {"count": self.ref.to_data(), "op": self.op, "value": self.value}


def _is_sequence(elem: Any) -> bool:
    return getattr(elem, "VR", None) == "SQ"


class CodeIn(_Value):
    """Reads "Code Sequence X contains an Item with the value (V, S, "meaning")", "X is (V, S, …)".

    ``codes`` are (code value, coding scheme designator) pairs; the meaning is not compared
    (it may legitimately differ). An item matches through its Code Value, Long Code Value or URN
    Code Value, or, for content items, through its Concept Code Sequence.
    """

    __slots__ = ("ref", "codes")
    ref: Ref
    codes: tuple[tuple[str, str], ...]

    def __init__(self, ref: Ref, codes: tuple[tuple[str, str], ...]) -> None:
        _set(self, "ref", ref)
        _set(self, "codes", codes)

    def eval(self, ctx: Context) -> Verdict:
        for elem in lookup(self.ref, ctx):
            for item in _items(elem):
                if self._match(item) or any(
                    self._match(c) for c in _items(_get(item, _CONCEPT_CODE_SEQUENCE))
                ):
                    return True
        return False

    def _match(self, item: Dataset) -> bool:
        scheme = _get(item, _CODING_SCHEME)
        schemes = values_of(scheme) if scheme is not None else ()
        for t in CODE_VALUE_TAGS:
            e = _get(item, t)
            if e is None:
                continue
            for v in values_of(e):
                for cv, cs in self.codes:
                    if _matches(v, cv) and any(_matches(s, cs) for s in schemes):
                        return True
        return False

    def to_data(self) -> Any:
        return {"code": self.ref.to_data(), "values": [list(c) for c in self.codes]}


class PointsTo(_Value):
    """Reads "Frame Increment Pointer points to Frame Time (0018,1063)": an AT value in ``tags``."""

    __slots__ = ("ref", "tags")
    ref: Ref
    tags: tuple[int, ...]

    def __init__(self, ref: Ref, tags: tuple[int, ...]) -> None:
        _set(self, "ref", ref)
        _set(self, "tags", tags)

    def eval(self, ctx: Context) -> Verdict:
        for elem in lookup(self.ref, ctx):
            for v in values_of(elem):
                t = _as_tag(v)
                if t is not None and t in self.tags:
                    return True
        return False

    def to_data(self) -> Any:
        return {"points_to": self.ref.to_data(), "values": [tag_str(t) for t in self.tags]}


def _as_tag(v: Any) -> int | None:
    if isinstance(v, int):
        return int(v)
    if isinstance(v, str):
        try:
            return parse_tag(v)
        except ValueError:
            return None
    return None


class ItemsWhere(_Value):
    """A condition on the items of a sequence: some item (or, with ``every``, every item).

    The inner predicate is evaluated with each item as the current dataset, so its own
    references find siblings inside the item first.
    """

    __slots__ = ("ref", "where", "every")
    ref: Ref
    where: Predicate
    every: bool

    def __init__(self, ref: Ref, where: Predicate, every: bool = False) -> None:
        _set(self, "ref", ref)
        _set(self, "where", where)
        _set(self, "every", every)

    def eval(self, ctx: Context) -> Verdict:
        verdicts = (
            self.where.eval(ctx.child(item, i, elem.tag))
            for elem in lookup(self.ref, ctx)
            for i, item in enumerate(_items(elem))
        )
        return _all3(verdicts) if self.every else _any3(verdicts)

    def to_data(self) -> Any:
        key = "every_item" if self.every else "any_item"
        return {key: self.ref.to_data(), "where": self.where.to_data()}


class Module(_Value):
    """Reads "the X Module is present", "X Functional Group Macro is present": asked of the engine.

    ``kind`` is "module", "macro" or "functional-group"; the context's module oracle answers,
    ``None`` when it does not know.
    """

    __slots__ = ("name", "kind")
    name: str
    kind: str

    def __init__(self, name: str, kind: str = "module") -> None:
        _set(self, "name", name)
        _set(self, "kind", kind)

    def eval(self, ctx: Context) -> Verdict:
        if ctx.modules is None:
            return None
        return ctx.modules(self.name, self.kind)

    def to_data(self) -> Any:
        if self.kind == "module":
            return {"module": self.name}
        return {"module": self.name, "kind": self.kind}


class IodRequires(_Value):
    """Reads "image requires X (gggg,eeee) and Y (gggg,eeee)": the IOD's own rules require each
    of ``tags`` in this dataset (a mandatory module, or a module or functional group macro whose
    condition holds, lists it as Type 1 or 2, or as 1C/2C with its condition met). Asked of the
    engine (``Context.facts``); cannot decide without it."""

    __slots__ = ("tags",)
    tags: tuple[int, ...]

    def __init__(self, tags: tuple[int, ...]) -> None:
        _set(self, "tags", tags)

    def eval(self, ctx: Context) -> Verdict:
        if ctx.facts is None:
            return None
        return ctx.facts.iod_requires(self.tags, ctx)

    def to_data(self) -> Any:
        return {"iod_requires": [tag_str(t) for t in self.tags]}


_BODY_PART_EXAMINED = 0x00180015
_ANATOMIC_REGION_SEQUENCE = 0x00082218
_CODE_MEANING = 0x00080104


class PairedBodyPart(_Value):
    """Reads "the body part examined is a paired structure" (General Series, Laterality).

    PS3.16 Annex L says which body parts are paired: Table L-5 by anatomic code, Tables L-1 to
    L-3 give the Body Part Examined Defined Term of each code. The coded Anatomic Region
    Sequence (0008,2218) speaks first; else Body Part Examined (0018,0015). Neither recorded,
    or not in the tables: cannot decide (the dataset does not say what was examined).
    """

    __slots__ = ()

    def eval(self, ctx: Context) -> Verdict:
        facts = ctx.facts
        if facts is None:
            return None
        verdicts: set[Verdict] = set()
        for elem in lookup(Ref((_ANATOMIC_REGION_SEQUENCE,)), ctx):
            for item in _items(elem):
                scheme = _first_text(item, _CODING_SCHEME)
                meaning = _first_text(item, _CODE_MEANING)
                for t in CODE_VALUE_TAGS:
                    for v in values_of(_get(item, t)):
                        verdicts.add(facts.code_paired(str(v), scheme, meaning))
        known = verdicts - {None}
        if len(known) == 1:
            return known.pop()
        if known:
            return None  # the items disagree
        for elem in lookup(Ref((_BODY_PART_EXAMINED,)), ctx):
            for term in values_of(elem):
                verdicts.add(facts.body_part_paired(str(term)))
        known = verdicts - {None}
        return known.pop() if len(known) == 1 else None

    def to_data(self) -> Any:
        return "paired_body_part"

    #: what the dataset lacks when this cannot decide (see :meth:`Explanation.wanting`)
    needs = (
        "whether the body part examined is a paired structure: record it in Body Part "
        "Examined (0018,0015) or Anatomic Region Sequence (0008,2218) (PS3.16 Annex L)"
    )


class InAnnexL(_Value):
    """Reads "Body Part Examined (0018,0015) is present and contains a value defined in Annex L
    "Correspondence of Anatomic Region Codes and Body Part Examined Defined Terms" in PS3.16"
    (the Frame Anatomy functional group of the Legacy Converted Enhanced IODs): a value of
    ``ref`` is one of the Body Part Examined Defined Terms of PS3.16 Tables L-1 to L-3, asked
    of the engine (which holds them with their pairedness); absent → false; cannot decide
    without the engine."""

    __slots__ = ("ref",)
    ref: Ref

    def __init__(self, ref: Ref) -> None:
        _set(self, "ref", ref)

    def eval(self, ctx: Context) -> Verdict:
        terms = [str(v) for e in lookup(self.ref, ctx) for v in values_of(e) if str(v).strip()]
        if not terms:
            return False
        facts = ctx.facts
        if facts is None:
            return None
        return any(facts.body_part_paired(t) is not None for t in terms)

    def to_data(self) -> Any:
        return {"annex_l": self.ref.to_data()}


class DesignatorSufficient(_Value):
    """Reads "the value of Coding Scheme Designator (0008,0102) is sufficient to identify the
    Code Value (0008,0100) or Long Code Value (0008,0119) unambiguously" (Code Sequence Macro,
    Coding Scheme Version (0008,0103); the parser writes the standard's "is present and is not
    sufficient …" as ``And(Present(CSD), Not(DesignatorSufficient()))``).

    Read from the item in hand and asked of the engine (PS3.16 Table 8-1, through
    ``Context.facts``): a designator the table lists names its scheme "as a whole as currently
    published by the responsible organization" (PS3.3 Section 8.2), so it suffices (True),
    unless its entry requires the version (BI-RADS: False). Of any other designator (private
    "99…", local "L", HL7's registry) the standard says nothing: cannot decide; likewise
    without a designator or without the engine. No ``needs``: what a private scheme requires
    is not something the dataset's author fixes by adding an attribute.
    """

    __slots__ = ()

    def eval(self, ctx: Context) -> Verdict:
        facts = ctx.facts
        if facts is None:
            return None
        elem = _get(ctx.current, _CODING_SCHEME)
        designators = {str(v) for v in values_of(elem)} if elem is not None else set()
        verdicts = {facts.designator_sufficient(d) for d in designators if d}
        return verdicts.pop() if len(verdicts) == 1 else None

    def to_data(self) -> Any:
        return "designator_sufficient"

    #: why it cannot decide, for the validator's note (see :meth:`Explanation.undecided_because`)
    because = (
        "the Coding Scheme Designator is not one PS3.16 Table 8-1 defines, so the standard "
        "does not say whether it identifies the code without a Coding Scheme Version"
    )


class ExtendedCharacters(_Value):
    """Reads "an expanded or replacement character set is used" (SOP Common, Specific Character
    Set), also "… in one of the Keys" and "Attributes within the Sequence Item use …".

    Decided from the dataset at the attribute's own level (the current item, with its nested
    items): true when Specific Character Set (0008,0005) there declares a character set (a
    declared set is the one in use, PS3.5 6.1.2.5), or when a value of a VR that the character
    set governs (SH, LO, ST, LT, UT, PN, UC; PS3.5 6.1.2.3) holds a byte outside the default
    repertoire (ISO-IR 6: 7-bit, and no ESC, which only code extensions use); false otherwise.
    """

    __slots__ = ()

    def eval(self, ctx: Context) -> Verdict:
        ds = ctx.current
        key = ("extended-characters", id(ds))
        hit = ctx.cache.get(key, _MISSING)
        if hit is _MISSING:
            if _declares_charset(ds):
                hit = True
            elif not _non_default_text(ds, 0):
                hit = False
            elif any(_declares_charset(outer) for outer in ctx.stack[:-1]):
                # an item's text in the set its dataset declares: whether the item must say
                # it again is not this sentence's to tell
                hit = None
            else:
                hit = True
            ctx.cache[key] = hit
        return hit  # type: ignore[no-any-return]

    def to_data(self) -> Any:
        return "extended_characters"


_MISSING = object()


def _declares_charset(ds: Any) -> bool:
    elem = _get(ds, SPECIFIC_CHARACTER_SET)
    return elem is not None and any(
        str(v).strip(" \x00") not in ("", "ISO_IR 6") for v in values_of(elem)
    )


def _non_default_text(ds: Any, depth: int) -> bool:
    """Any text value outside ISO-IR 6 in ``ds`` or its items (items with their own Specific
    Character Set excepted: their text is theirs to declare). Read from the values as decoded
    (the reader keeps the bytes it cannot decode as Latin-1, so they stay non-ASCII)."""
    if depth > 16:
        return False
    try:
        elems = list(ds)
    except Exception:
        return False
    for el in elems:
        vr = getattr(el, "VR", None)
        if vr == "SQ":
            for item in _items(el):
                if _get(item, SPECIFIC_CHARACTER_SET) is None and _non_default_text(
                    item, depth + 1
                ):
                    return True
        elif vr in CHARSET_VRS:
            for v in values_of(el):
                text = str(v)
                if not text.isascii() or "\x1b" in text:
                    return True
    return False


_PATIENT_SPECIES_DESCRIPTION = 0x00102201
_PATIENT_SPECIES_CODE_SEQUENCE = 0x00102202
_HOMO_SAPIENS = (("337915000", "SCT"), ("L-85B00", "SRT"))  # CID 7454's human, old and new


class NonHumanPatient(_Value):
    """Reads "the Patient is a non-human organism" (Patient Module and the attributes of
    veterinary imaging that depend on it: breed, responsible person, neutering …).

    A dataset records a non-human patient by its species: Patient Species Description
    (0010,2201) or Patient Species Code Sequence (0010,2202), Type 1C "Required if the Patient
    is a non-human organism" (PS3.3 Table C.7-1). So: a species other than Homo sapiens → true;
    no species recorded, or Homo sapiens → false (were the patient an animal, the missing
    species would itself be the error, and no dataset could show it).
    """

    __slots__ = ()

    def eval(self, ctx: Context) -> Verdict:
        codes = lookup(Ref((_PATIENT_SPECIES_CODE_SEQUENCE,), "root"), ctx)
        descriptions = lookup(Ref((_PATIENT_SPECIES_DESCRIPTION,), "root"), ctx)
        species = [
            (_first_text(item, t), _first_text(item, _CODING_SCHEME))
            for elem in codes
            for item in _items(elem)
            for t in CODE_VALUE_TAGS
            if _get(item, t) is not None
        ]
        if species:
            return not all(code in _HOMO_SAPIENS for code in species)
        words = [str(v).strip().lower() for e in descriptions for v in values_of(e)]
        words = [w for w in words if w]
        if words:
            return not all(w in ("homo sapiens", "human") for w in words)
        return False

    def to_data(self) -> Any:
        return "non_human_patient"


class PointsInto(_Value):
    """Reads "X value is the Data Element Tag of a Private Attribute" (``private``: an AT value
    whose group number is odd, PS3.5 7.8) and "the value of X is the Data Element Tag of an
    Attribute that is contained within a Functional Group Sequence" (``functional-group``: the
    tag is one a functional group macro of the IOD defines, asked of the engine; without it,
    found in this dataset's functional groups, else cannot decide)."""

    __slots__ = ("ref", "where")
    ref: Ref
    where: str

    def __init__(self, ref: Ref, where: str) -> None:
        _set(self, "ref", ref)
        _set(self, "where", where)

    def eval(self, ctx: Context) -> Verdict:
        tags = [
            t for elem in lookup(self.ref, ctx) for v in values_of(elem)
            if (t := _as_tag(v)) is not None
        ]  # fmt: skip
        if self.where == "private":
            return any(t >> 16 & 1 for t in tags)
        if self.where == "functional-group":
            defined = getattr(ctx.facts, "in_functional_group", None)
            if defined is not None:  # the IOD's macros say it (the engine knows them)
                verdicts = [defined(t) for t in tags]
                return _any3(verdicts) if verdicts else False
            shared, frames = _fg_index(ctx)  # without the engine: what this dataset has
            return True if any(t in shared or t in frames for t in tags) else None
        return None

    def to_data(self) -> Any:
        return {"points_into": self.ref.to_data(), "where": self.where}


class And(_Value):
    __slots__ = ("items",)
    items: tuple[Predicate, ...]

    def __init__(self, items: tuple[Predicate, ...]) -> None:
        _set(self, "items", items)

    def eval(self, ctx: Context) -> Verdict:
        return _all3(p.eval(ctx) for p in self.items)

    def to_data(self) -> Any:
        return {"and": [p.to_data() for p in self.items]}


class Or(_Value):
    __slots__ = ("items",)
    items: tuple[Predicate, ...]

    def __init__(self, items: tuple[Predicate, ...]) -> None:
        _set(self, "items", items)

    def eval(self, ctx: Context) -> Verdict:
        return _any3(p.eval(ctx) for p in self.items)

    def to_data(self) -> Any:
        return {"or": [p.to_data() for p in self.items]}


class Not(_Value):
    __slots__ = ("item",)
    item: Predicate

    def __init__(self, item: Predicate) -> None:
        _set(self, "item", item)

    def eval(self, ctx: Context) -> Verdict:
        v = self.item.eval(ctx)
        return None if v is None else not v

    def to_data(self) -> Any:
        return {"not": self.item.to_data()}


UNPARSED = "unparsed"
NOT_IN_DATASET = "dataset"


class Unknown(_Value):
    """Words that are not (yet) a predicate: always *cannot decide*.

    ``reason`` is ``"unparsed"`` (the parser did not understand the words) or ``"dataset"``
    (the words speak of facts the dataset does not record, e.g. "if contrast was applied").
    """

    __slots__ = ("text", "reason")
    text: str
    reason: str

    def __init__(self, text: str, reason: str = UNPARSED) -> None:
        _set(self, "text", text)
        _set(self, "reason", reason)

    def eval(self, ctx: Context) -> Verdict:
        return None

    def to_data(self) -> Any:
        return {"unknown": self.reason, "text": self.text}


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


# ---------------------------------------------------------------------------------------------
# Conditions


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
}


_OPERATORS = frozenset(
    "present absent has_value equals other_than compare count code points_to any_item "
    "every_item module iod_requires points_into annex_l and or not unknown".split()
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

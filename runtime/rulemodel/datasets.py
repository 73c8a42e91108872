"""What predicates are evaluated on: datasets, the evaluation :class:`Context`, lookups.

A dataset is either an :class:`IndexedDataset` — the validator's own tree, whose elements sit
in a dict by tag — or a pydicom ``Dataset``. Elements need only ``tag``, ``VR`` and ``value``
(a sequence's value is its list of items). Lookups follow the scopes of
:class:`~iodkit.rulemodel.values.Ref`: the current item, then outwards to the root, then the
Shared/Per-frame Functional Groups (shared first, then the current frame, or any frame when no
frame is current). Lookups are existential: a path through a sequence with several items
matches when any item does. Nothing here raises on odd datasets (wrong VR, bytes,
multi-valued where single was meant, empty sequences).

Verdicts are three-valued (Kleene logic): ``True``, ``False``, or ``None`` = *cannot decide*.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeAlias

from .values import Ref

if TYPE_CHECKING:
    import pydicom.dataset

    # what conditions are evaluated on: the validator's tree or a pydicom Dataset
    Dataset: TypeAlias = "IndexedDataset | pydicom.dataset.Dataset"

Verdict: TypeAlias = bool | None
Otherwise: TypeAlias = Literal["may", "shall-not", "unspecified"]
ModuleOracle: TypeAlias = Callable[[str, str], Verdict]

SPECIFIC_CHARACTER_SET = 0x00080005
# VRs whose text the Specific Character Set governs (PS3.5 6.1.2.3)
CHARSET_VRS = frozenset(("SH", "LO", "ST", "LT", "UT", "PN", "UC"))


class IndexedDataset:
    """The layout a dataset needs for the evaluator's fast path: its elements in ``elems``, a
    dict by tag (the validator's reader builds its tree on this base). Group 0002 (File Meta
    Information) is looked up through ``file_meta``, as on a pydicom Dataset."""

    elems: dict[int, Any]
    # Whether a value of a VR the character set governs, here or in an item (items that
    # declare their own Specific Character Set excepted), holds a byte outside ISO-IR 6 (over
    # 0x7F, or ESC): noted by a reader as it reads the bytes, so "an extended character set
    # is used" need not walk the tree again; None when not known (values made in memory).
    extended_text: bool | None = None

    def __iter__(self) -> Iterator[Any]:
        return iter(self.elems.values())


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

    def transferred(self, how: str) -> Verdict:
        """How the dataset travels: "stow-rs" (in a STOW-RS Request) or "metadata" (encoded
        as metadata with compressed bulk pixel data), from the validation context."""
        ...

    def per_frame_groups_needed(self, ctx: Context) -> Verdict:
        """Whether some frame holds, or must hold, a functional group (the IOD's macros)."""
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
CONCEPT_CODE_SEQUENCE = 0x0040A168
OPS: dict[str, Callable[[float, float], bool]] = {
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}


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
    """A dataset the evaluator can read: an :class:`IndexedDataset` (the validator's tree) or
    a pydicom ``Dataset``. pydicom is consulted only when it is already loaded (a pydicom
    Dataset cannot exist otherwise), so evaluating conditions never imports it."""
    if isinstance(obj, IndexedDataset):
        return True
    pydicom_dataset = sys.modules.get("pydicom.dataset")
    return pydicom_dataset is not None and isinstance(obj, pydicom_dataset.Dataset)


def get_element(ds: Any, tag: int) -> Any:
    """The data element ``tag`` of ``ds`` or None; tolerates non-datasets and broken values."""
    if isinstance(ds, IndexedDataset) and tag >> 16 != 0x0002:  # a dict lookup
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


def items_of(elem: Any) -> list[Dataset]:
    """The items of a sequence element (empty for anything else)."""
    try:
        value = elem.value
    except Exception:
        return []
    if type(value) is list:
        for it in value:  # (a loop: any()/all() over a generator left early costs more)
            if not isinstance(it, IndexedDataset):
                break
        else:
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
            for inner in items_of(macro):
                if isinstance(inner, IndexedDataset):  # the validator's tree: its tags at hand, no
                    # int() and no new list for every element
                    for tag, elem in inner.elems.items():
                        hit = index.get(tag)
                        if hit is None:
                            index[tag] = [elem]
                        else:
                            hit.append(elem)
                    continue
                try:
                    elems = list(inner)
                except Exception:
                    continue
                for elem in elems:
                    index.setdefault(int(elem.tag), []).append(elem)
    return index


def fg_index(ctx: Context) -> tuple[_Index, _Index]:
    """(shared, per-frame) indexes for the current frame (or all frames), once per file."""
    key = ("fg", ctx.frame)
    hit = ctx.cache.get(key)
    if hit is None:
        root = ctx.root
        shared = ctx.cache.get("fg-shared")  # the same for every frame
        if shared is None:
            first = items_of(get_element(root, SHARED_FG))[:1]
            shared = ctx.cache["fg-shared"] = _group_index(first)
        frames = ctx.cache.get("fg-frames")  # the items once, not once per frame
        if frames is None:
            frames = ctx.cache["fg-frames"] = items_of(get_element(root, PER_FRAME_FG))
        if ctx.frame is not None:
            frames = frames[ctx.frame : ctx.frame + 1]
        hit = (shared, _group_index(frames))
        ctx.cache[key] = hit
    return hit


def _functional_groups(ctx: Context, tag: int) -> list[Any]:
    """``tag`` in the Shared Functional Groups, else in the (current or any) frame's."""
    if tag >> 16 == 0x0002:
        return []
    shared, frames = fg_index(ctx)
    return shared.get(tag) or frames.get(tag) or []


def _first(ctx: Context, tag: int, scope: str) -> list[Any]:
    """The elements for the first tag of a path, following the scope rules of :class:`Ref`.

    (:func:`lookup` reads one-tag paths of scope "item" and "auto" itself.)"""
    if scope == "item":
        e = get_element(ctx.current, tag)
        return [e] if e is not None else []
    if scope == "parent":
        e = get_element(ctx.stack[-2] if len(ctx.stack) > 1 else ctx.root, tag)
        return [e] if e is not None else []
    if scope == "frame":
        return _functional_groups(ctx, tag)
    if scope == "root":
        e = get_element(ctx.root, tag)
        return [e] if e is not None else _functional_groups(ctx, tag)
    for ds in reversed(ctx.stack):  # "auto" (an unknown scope reads as "auto")
        e = get_element(ds, tag)
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
            e = ds.elems.get(tag) if isinstance(ds, IndexedDataset) else get_element(ds, tag)
            return [e] if e is not None else []
        if scope == "auto":
            for ds in reversed(ctx.stack):
                e = ds.elems.get(tag) if isinstance(ds, IndexedDataset) else get_element(ds, tag)
                if e is not None:
                    return [e]
            return _functional_groups(ctx, tag)
        return _first(ctx, tag, scope)
    elems = _first(ctx, path[0], r.scope)
    for tag in path[1:]:
        found = (get_element(item, tag) for el in elems for item in items_of(el))
        elems = [e for e in found if e is not None]
    return elems


def is_empty(elem: Any) -> bool:
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
    if elem is None:  # an absent element (get_element's None): no exception raised and caught
        return ()
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


def first_text(ds: Any, tag: int) -> str:
    """The first value of ``tag`` in ``ds`` as text ("" when absent or empty)."""
    return str(next(iter(values_of(get_element(ds, tag))), ""))


def as_number(v: Any) -> float | None:
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


def matches(actual: Any, expected: str | int | float) -> bool:
    if isinstance(expected, str):
        if isinstance(actual, str):
            return actual == expected
        if isinstance(actual, (bytes, bytearray)):
            return bytes(actual).decode("latin-1").strip(" \x00") == expected
        return str(actual).strip(" \x00") == expected
    n = as_number(actual)
    return n is not None and n == float(expected)


def selected(elem: Any, index: int | None) -> tuple[Any, ...]:
    vals = values_of(elem)
    if index is None:
        return vals
    return (vals[index - 1],) if 0 < index <= len(vals) else ()


def any3(verdicts: Iterable[Verdict]) -> Verdict:
    """Kleene OR over an iterable (True wins, then None, else False)."""
    unknown = False
    for v in verdicts:
        if v is True:
            return True
        if v is None:
            unknown = True
    return None if unknown else False


def all3(verdicts: Iterable[Verdict]) -> Verdict:
    """Kleene AND (False wins, then None, else True)."""
    unknown = False
    for v in verdicts:
        if v is False:
            return False
        if v is None:
            unknown = True
    return None if unknown else True

"""Tags, references and the immutable value base of the predicates.

Attributes are referenced by tag through :class:`Ref`: a path of tags (outer sequences first)
and a scope. The standard's conditions speak about siblings in the same item, attributes of an
enclosing item or of the top-level dataset, and attributes inside the Shared/Per-frame Functional
Groups, usually without saying which, so the default scope ``auto`` looks in the current item,
then outwards to the root, then in the functional groups.
"""

from __future__ import annotations

import re
from dataclasses import FrozenInstanceError
from typing import Any

SCOPES = ("auto", "item", "parent", "root", "frame")


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


set_field = object.__setattr__


class FrozenValue:
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


class Ref(FrozenValue):
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
        set_field(self, "path", path)
        set_field(self, "scope", scope)

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

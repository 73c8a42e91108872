"""What a value has to do with other values of the same instance, as the standard's words say
(read by :mod:`iodkit.codegen.spec.relations`, carried by the rows as
:meth:`Relations.to_data`, judged by the validator).

* ``unique``: "The value of Segment Number (0062,0004) shall be unique within the Segmentation
  Instance …" ("instance"), "Shall be unique within the Sequence" ("sequence"), "… unique
  within the Wedge Sequence" (that sequence's tag);
* ``numbered``: "The value shall start at 1 and increase monotonically by 1": 1, 2, 3 … over
  the items of its sequence, in item order (``starts``: the first values allowed, 1 unless a
  supplement overlay says otherwise);
* ``refers``: "Uniquely identifies the segment described in Segment Sequence (0062,0002) by
  reference to Segment Number (0062,0004)": the value is one the referenced attribute has in
  the items of that sequence (:meth:`Relations.referenced`).
"""

from __future__ import annotations

from typing import Any

from .datasets import Context, as_number, lookup, values_of
from .values import FrozenValue, Ref, parse_tag, set_field, tag_str


def value_key(v: Any) -> Any:
    """A value as compared across attributes: a number for numbers ("1" (IS) and 1 (US) are
    the same segment), else the stripped text."""
    n = as_number(v)
    if n is not None:
        return n
    return str(v).strip(" \x00")


class Relations(FrozenValue):
    """``unique`` ("", "instance", "sequence" or a sequence's tag), ``numbered``, ``refers``
    (the path sequence → attribute of the values it names, or None) and ``names`` (theirs, as
    the standard writes them)."""

    __slots__ = ("unique", "numbered", "refers", "names", "starts")
    unique: str
    numbered: bool
    refers: Ref | None
    names: tuple[str, ...]
    starts: tuple[int, ...]

    def __init__(
        self,
        unique: str = "",
        numbered: bool = False,
        refers: Ref | None = None,
        names: tuple[str, ...] = (),
        starts: tuple[int, ...] = (1,),
    ) -> None:
        set_field(self, "unique", unique)
        set_field(self, "numbered", numbered)
        set_field(self, "refers", refers)
        set_field(self, "names", names)
        set_field(self, "starts", starts)  # where a numbering may start (1; 0 or 1 …)

    @property
    def across_items(self) -> bool:
        """Whether the items of a sequence are judged together (unique, numbered)."""
        return bool(self.unique) or self.numbered

    def unique_in(self, sequence: int) -> bool:
        """Whether uniqueness is to be judged among the items of ``sequence``."""
        u = self.unique
        return bool(u) and (u in ("instance", "sequence") or parse_tag(u) == sequence)

    def referenced(self, ctx: Context) -> set[Any] | None:
        """The values the referenced attribute has in the items of its sequence, as
        :func:`value_key`; None when that sequence is not in the dataset (nothing to judge)."""
        r = self.refers
        if r is None:
            return None
        holders = lookup(Ref(r.path[:1], r.scope), ctx)
        if not holders:
            return None
        # asked for every frame of a multi-frame image (Referenced Segment Number in each
        # Segment Identification item): the values are made once per sequence and file
        key = ("refers", r, *map(id, holders))
        hit: set[Any] | None = ctx.cache.get(key)
        if hit is None:
            hit = ctx.cache[key] = {value_key(v) for e in lookup(r, ctx) for v in values_of(e)}
        return hit

    def refers_words(self) -> str:
        if self.refers is None:
            return ""
        seq, attr = (*self.names, "", "")[:2]
        return f"{attr} ({tag_str(self.refers.tag)}) in {seq} ({tag_str(self.refers.path[0])})"

    def to_data(self) -> dict[str, Any]:
        d: dict[str, Any] = {}
        if self.unique:
            d["unique"] = self.unique
        if self.numbered:
            d["numbered"] = True
            if self.starts != (1,):
                d["starts"] = list(self.starts)
        if self.refers is not None:
            d["refers"] = self.refers.to_data()
            d["names"] = list(self.names)
        return d

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Relations:
        refers = data.get("refers")
        return cls(
            str(data.get("unique", "")),
            bool(data.get("numbered", False)),
            Ref.from_data(refers) if refers else None,
            tuple(data.get("names", ())),
            tuple(data.get("starts", (1,))),
        )

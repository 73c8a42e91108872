"""Counts that another attribute gives: the number a sequence's items or an attribute's values
shall match.

PS3.3 ties counts to other attributes in words: "The number of Items shall be the same as the
number of frames in the Multi-frame image" (Per-Frame Functional Groups Sequence, Table
C.7.6.16-1), "… shall equal the value of Number of Control Points (300A,0110)", "… shall be one
less than the number of Items in Presentation State Classification Component Sequence
(0070,1801)", "The number of values is equal to the number of Items of the Dimension Index
Sequence" (Dimension Index Values, C.7.6.17.1). The spec reads them
(:mod:`iodkit.codegen.spec.counts`); the rows carry :meth:`CountOf.to_data`; the validator
asks :meth:`CountOf.number` for the number in the dataset at hand.
"""

from __future__ import annotations

import math
from typing import Any

from .datasets import Context, as_number, items_of, lookup, values_of
from .values import FrozenValue, Ref, set_field, tag_str

OF = ("value", "items", "values")


class CountOf(FrozenValue):
    """The number another attribute gives: its ``value`` (Number of Frames), its ``items`` (a
    sequence) or the number of its ``values``; ``refs`` are alternatives in order (the first
    present counts: "Samples per Pixel Used if present, or otherwise Samples per Pixel"),
    ``names`` theirs as the standard writes them, ``offset`` is added ("one less than": -1).
    """

    __slots__ = ("of", "refs", "names", "offset")
    of: str
    refs: tuple[Ref, ...]
    names: tuple[str, ...]
    offset: int

    def __init__(
        self, of: str, refs: tuple[Ref, ...], names: tuple[str, ...], offset: int = 0
    ) -> None:
        if of not in OF:
            raise ValueError(f"unknown count {of!r} (expected one of {', '.join(OF)})")
        set_field(self, "of", of)
        set_field(self, "refs", refs)
        set_field(self, "names", names)
        set_field(self, "offset", offset)

    def number(self, ctx: Context) -> int | None:
        """The count in ``ctx``; None when the attribute is absent, empty or not a whole
        number (then nothing can be compared with it; its own rules report it)."""
        for r in self.refs:
            elems = lookup(r, ctx)
            if not elems:
                continue
            elem = elems[0]
            if self.of == "items":
                return len(items_of(elem)) + self.offset
            values = values_of(elem)
            if self.of == "values":
                return len(values) + self.offset
            n = as_number(values[0]) if values else None
            if n is None or not math.isfinite(n) or n != int(n):
                return None
            return int(n) + self.offset
        return None

    def words(self) -> str:
        """ "the value of Number of Frames (0028,0008)", "the number of Items of X (…) less 1"."""
        what = {
            "value": "the value of",
            "items": "the number of Items of",
            "values": "the number of values of",
        }[self.of]
        names = ", or else ".join(
            f"{n} ({tag_str(r.tag)})" for n, r in zip(self.names, self.refs, strict=True)
        )
        less = f" less {-self.offset}" if self.offset < 0 else ""
        more = f" plus {self.offset}" if self.offset > 0 else ""
        return f"{what} {names}{less}{more}"

    def to_data(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "of": self.of,
            "refs": [r.to_data() for r in self.refs],
            "names": list(self.names),
        }
        if self.offset:
            d["offset"] = self.offset
        return d

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> CountOf:
        return cls(
            data["of"],
            tuple(Ref.from_data(r) for r in data["refs"]),
            tuple(data["names"]),
            int(data.get("offset", 0)),
        )

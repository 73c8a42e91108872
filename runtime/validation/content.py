"""Rules the standard states in prose that no table row carries, checked by hand: each check
is named here, cites its section, and applies to the attributes whose description sends the
reader to that section (``generated/rules/cited.py``, written by the generator from the
descriptions; see :mod:`iodkit.rulemodel.cited`).

* :func:`direction_cosines` — PS3.3 C.7.6.2.1.1 "Image Position and Image Orientation": "The
  row and column direction cosine vectors shall be orthogonal, i.e., their dot product shall
  be zero. The row and column direction cosine vectors shall be normal, i.e., the dot product
  of each direction cosine vector with itself shall be unity." Applies to the attributes citing
  C.7.6.2.1.1 whose VM is 6, a row and a column vector (Image Orientation (Patient)); the
  points that cite it (Image Position (Patient), Contour Data …) are not direction cosines.
* :func:`pixel_spacing` — PS3.3 10.7.1.3 "Pixel Spacing Value Order and Valid Values": "All
  pixel spacing related Attributes shall have positive non-zero values, except when there is
  only a single row or column or pixel of data present, in which case the corresponding value
  may be zero." Applies to every attribute citing 10.7.1.3 (Pixel Spacing, Imager Pixel
  Spacing, Nominal Scanned Pixel Spacing, Compensator Pixel Spacing …).

Tolerances: DS values are decimal strings of at most 16 characters, and writers round
direction cosines to six decimals or fewer; a vector is taken as normal when its squared length
is within 1.5e-4 of 1 and two vectors as orthogonal when their dot product is within 5e-4 of 0
(more lenient than dciodvfy, which reports a component of 1.00008 — a squared length off by
1.6e-4 — and a dot product of 0.0002, and accepts 1.00001 and 0.0001).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from iodkit.rulemodel.datasets import as_number, values_of

from .dictionary import entry
from .findings import Reference
from .tree import Element, Node

ROWS, COLUMNS = 0x00280010, 0x00280011
NORMAL_TOLERANCE = 1.5e-4
ORTHOGONAL_TOLERANCE = 5e-4

Add = Callable[..., None]
Check = Callable[[Add, Element, Node, str, int, str], None]


def _numbers(el: Element) -> list[float] | None:
    out = []
    for v in values_of(el):
        n = as_number(v)
        if n is None:
            return None  # not a number: the value check says so
        out.append(n)
    return out


def direction_cosines(add: Add, el: Element, root: Node, path: str, tag: int, ed: str) -> None:
    """C.7.6.2.1.1: row and column direction cosines normal and orthogonal."""
    if entry(tag).vm != "6":
        return  # a point or a list of points citing the section (Contour Data: 3-3n)
    v = _numbers(el)
    if v is None or len(v) != 6:
        return
    row, col = v[:3], v[3:]
    ref = Reference("PS3.3", "sect_C.7.6.2.1.1", ed)
    for name, vec in (("row", row), ("column", col)):
        length = sum(x * x for x in vec)
        if abs(length - 1) > NORMAL_TOLERANCE:
            add(
                "error",
                "value",
                path,
                f"the {name} direction cosines {_vector(vec)} are not a unit vector (squared "
                f"length {length:.6g}); C.7.6.2.1.1: the dot product of each direction cosine "
                "vector with itself shall be unity",
                ref=ref,
                tag=tag,
            )
    dot = sum(a * b for a, b in zip(row, col, strict=True))
    if abs(dot) > ORTHOGONAL_TOLERANCE:
        add(
            "error",
            "value",
            path,
            f"the row {_vector(row)} and column {_vector(col)} direction cosines are not "
            f"orthogonal (dot product {dot:.6g}); C.7.6.2.1.1: their dot product shall be zero",
            ref=ref,
            tag=tag,
        )


def pixel_spacing(add: Add, el: Element, root: Node, path: str, tag: int, ed: str) -> None:
    """10.7.1.3: pixel spacing values positive; zero only along a single row or column."""
    v = _numbers(el)
    if not v:
        return
    single = (_whole(root, ROWS) == 1, _whole(root, COLUMNS) == 1)
    for i, x in enumerate(v[:2]):
        if x > 0 or (x == 0 and single[i]):
            continue
        what = "row spacing (value 1)" if i == 0 else "column spacing (value 2)"
        add(
            "error",
            "value",
            path,
            f"the {what} is {x:g}; 10.7.1.3: pixel spacing values shall be positive and non-"
            "zero (zero only where there is a single row or column)",
            ref=Reference("PS3.3", "sect_10.7.1.3", ed),
            tag=tag,
        )


def _vector(v: list[float]) -> str:
    return "(" + ", ".join(f"{x:g}" for x in v) + ")"


def _whole(node: Node, tag: int) -> int | None:
    el = node.elems.get(tag)
    vals = values_of(el) if el is not None else ()
    n = as_number(vals[0]) if vals else None
    return int(n) if n is not None and math.isfinite(n) else None


CHECKS: dict[str, Check] = {
    "C.7.6.2.1.1": direction_cosines,
    "10.7.1.3": pixel_spacing,
}


def checks_by_tag(cited: dict[str, tuple[int, ...]]) -> dict[int, tuple[Check, ...]]:
    """tag → the hand-written checks that apply to it, from the generated ``CITED``
    (section → tags of the attributes citing it)."""
    out: dict[int, list[Check]] = {}
    for section, tags in cited.items():
        check = CHECKS.get(section)
        if check is not None:
            for t in tags:
                out.setdefault(t, []).append(check)
    return {t: tuple(c) for t, c in out.items()}

"""Values of a data set read from a file, checked as they are taken.

A file says what it says: a damaged one (a flipped bit in a length, a changed VR) hands pydicom
bytes where a number was, a string of control characters, a person name, several values where
the standard has one, or a value where a sequence should be. Code that reads ``int(ds.Rows)``
then fails inside ``int()`` with a message that names neither the attribute nor the file. The
functions here take the value *and* what it is (``"Bits Allocated (0028,0100)"``), and raise
:class:`DamagedValueError` saying which attribute holds what instead of the number or sequence
the standard defines; the reader's guard (:mod:`iodkit.derived.readguard`) puts the file's
name in front. They accept every form pydicom gives an intact value (``int``, ``IS``,
``DSfloat``, a numeric string, a one-value ``MultiValue``) at the cost of a type check.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import Any

from pydicom.datadict import dictionary_description, tag_for_keyword
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.sequence import Sequence as DicomSequence


class DamagedValueError(ValueError):
    """A value read from a data set is not what its attribute holds (PS3.6's VR and VM): not a
    number, several values where there is one, not a sequence, or a required one missing."""


#: ``default`` of the ``…_of`` functions: the attribute must be there
REQUIRED: Any = object()


@functools.cache  # called per frame by the frame table: a dictionary lookup and a format each
def describe(attribute: str | int) -> str:
    """``"Bits Allocated (0028,0100)"`` for ``"BitsAllocated"`` or ``0x00280100``."""
    tag = tag_for_keyword(attribute) if isinstance(attribute, str) else attribute
    if tag is None:
        return str(attribute)
    try:
        name = dictionary_description(tag)
    except KeyError:  # private or unknown
        name = "element"
    return f"{name} ({tag >> 16:04X},{tag & 0xFFFF:04X})"


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"


def _one(value: Any, what: str) -> Any:
    if isinstance(value, MultiValue | list | tuple):
        if len(value) != 1:
            raise DamagedValueError(f"{what} holds {len(value)} values where it has one")
        return value[0]
    return value


def integer(value: Any, what: str) -> int:
    """``value`` (one value of an integer VR, IS or a whole DS) as an int."""
    value = _one(value, what)
    if isinstance(value, int) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):  # IS read as text, or text a changed VR gave
        try:
            return int(value.strip(" \x00"))
        except ValueError:
            pass
    raise DamagedValueError(f"{what} is {_shown(value)}, not an integer")


def decimal(value: Any, what: str) -> float:
    """``value`` (one value of DS, FL or FD) as a finite float."""
    value = _one(value, what)
    number: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip(" \x00"))
        except ValueError:
            number = None
    if number is None or not math.isfinite(number):
        raise DamagedValueError(f"{what} is {_shown(value)}, not a finite number")
    return number


def _many(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    if isinstance(value, MultiValue | list | tuple):
        return list(value)
    return [value]


def integers(value: Any, what: str, count: int | None = None) -> list[int]:
    """Every value of a multi-valued integer attribute (``count`` of them, when given)."""
    values = [integer(v, what) for v in _many(value)]
    _count(values, what, count)
    return values


def decimals(value: Any, what: str, count: int | None = None) -> list[float]:
    """Every value of a multi-valued DS/FL/FD attribute (``count`` of them, when given)."""
    values = [decimal(v, what) for v in _many(value)]
    _count(values, what, count)
    return values


def _count(values: Sequence[Any], what: str, count: int | None) -> None:
    if count is not None and len(values) != count:
        raise DamagedValueError(f"{what} holds {len(values)} values where it has {count}")


def items(value: Any, what: str) -> list[Dataset]:
    """The items of a sequence value (none when absent or empty)."""
    if value is None or value == "" or value == b"":
        return []
    if isinstance(value, DicomSequence) or (
        isinstance(value, list) and all(isinstance(v, Dataset) for v in value)
    ):
        return list(value)
    raise DamagedValueError(f"{what} is {_shown(value)}, not a sequence")


# -- by keyword, from a Dataset ------------------------------------------------------------


def _value(ds: Dataset, keyword: str, default: Any) -> Any:
    value = ds.get(keyword)
    if value is None or value == "":
        if default is REQUIRED:
            raise DamagedValueError(f"{describe(keyword)} is missing")
        return default
    return value


def int_of(ds: Dataset, keyword: str, default: Any = REQUIRED) -> Any:
    """``ds``'s integer ``keyword``; ``default`` when absent or empty (an error if REQUIRED)."""
    value = _value(ds, keyword, default)
    return value if value is default else integer(value, describe(keyword))


def float_of(ds: Dataset, keyword: str, default: Any = REQUIRED) -> Any:
    """``ds``'s number ``keyword``; ``default`` when absent or empty (an error if REQUIRED)."""
    value = _value(ds, keyword, default)
    return value if value is default else decimal(value, describe(keyword))


def ints_of(ds: Dataset, keyword: str, count: int | None = None, default: Any = REQUIRED) -> Any:
    """Every integer of ``ds``'s ``keyword`` (``count`` of them, when given)."""
    value = _value(ds, keyword, default)
    return value if value is default else integers(value, describe(keyword), count)


def floats_of(ds: Dataset, keyword: str, count: int | None = None, default: Any = REQUIRED) -> Any:
    """Every number of ``ds``'s ``keyword`` (``count`` of them, when given)."""
    value = _value(ds, keyword, default)
    return value if value is default else decimals(value, describe(keyword), count)


def items_of(ds: Dataset, keyword: str) -> list[Dataset]:
    """The items of ``ds``'s sequence ``keyword`` (none when absent)."""
    return items(ds.get(keyword), describe(keyword))

"""Python values for DICOM Value Representations (PS3.5 Section 6.2): what a builder accepts for
a VR, the range a binary VR can hold, and how a value is handed to pydicom.

:func:`coerce` checks one value when it is assigned, so a number that cannot be written (``rows=
70000`` for US, 16 bits) fails at the assignment that made it, naming the attribute, instead of at
``save()`` with ``ushort format requires …``. NumPy scalars are taken as the Python numbers they
hold (model outputs are NumPy).
"""

from __future__ import annotations

import datetime
import math
from numbers import Integral, Real
from typing import Any

from iodkit.vrformat import MAX_LEN, format_problem
from pydicom.valuerep import DA, DT, TM, DSfloat, PersonName

STR_VRS = frozenset("AE AS CS LO LT SH ST UC UT UR UI".split())
INT_VRS = frozenset("IS SS US SL UL SV UV AT".split())
FLOAT_VRS = frozenset("DS FL FD".split())
BYTES_VRS = frozenset("OB OW OD OF OL OV UN".split())
TEXT_VRS = STR_VRS | {"PN", "DA", "TM", "DT"}  # pydicom reads an empty IS/DS as None

#: The integers a VR can hold (PS3.5 Table 6.2-1); IS is a decimal string of a signed 32-bit
#: integer. Ambiguous VRs accept what either reading holds.
INT_RANGE: dict[str, tuple[int, int]] = {
    "US": (0, 2**16 - 1),
    "SS": (-(2**15), 2**15 - 1),
    "UL": (0, 2**32 - 1),
    "SL": (-(2**31), 2**31 - 1),
    "UV": (0, 2**64 - 1),
    "SV": (-(2**63), 2**63 - 1),
    "AT": (0, 2**32 - 1),
    "IS": (-(2**31), 2**31 - 1),
    "US or SS": (-(2**15), 2**16 - 1),
    "US or OW": (0, 2**16 - 1),
    "US or SS or OW": (-(2**15), 2**16 - 1),
}

#: The largest finite IEEE 754 single-precision value: an FL beyond it cannot be written.
FL_MAX = 3.4028234663852886e38


class Empty:
    """The type of :data:`EMPTY`: the attribute is present with an empty value (zero length)."""

    _instance: Empty | None = None

    def __new__(cls) -> Empty:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "EMPTY"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self) -> str:
        return "EMPTY"


EMPTY = Empty()


class ValueProblem(ValueError):
    """A value does not fit its VR; the message says how (the caller adds which attribute)."""


def vm_bounds(vm: str) -> tuple[int, int | None, int]:
    """ "1" → (1, 1, 1); "1-n" → (1, None, 1); "2-2n" → (2, None, 2); "3-3n" → (3, None, 3)."""
    if "-" not in vm:
        n = int(vm)
        return n, n, 1
    lo, hi = vm.split("-", 1)
    low = int(lo)
    if hi.endswith("n"):
        step = int(hi[:-1]) if hi[:-1] else 1
        return low, None, step
    return low, int(hi), 1


def _in_range(vr: str, v: int) -> int:
    bounds = INT_RANGE.get(vr)
    if bounds is not None and not bounds[0] <= v <= bounds[1]:
        raise ValueProblem(f"{v} is out of range for VR {vr} ({bounds[0]} to {bounds[1]})")
    return v


def _integer(v: Any) -> int | None:
    """``v`` as a Python int when it is an integer (int, NumPy integer), else None."""
    if isinstance(v, bool) or not isinstance(v, Integral):
        return None
    return int(v)


def coerce(vr: str, v: Any) -> Any:
    """One value for ``vr``, converted as the builders store it; :class:`ValueProblem` when
    it has the wrong type or cannot be held by the VR."""
    if " or " in vr:
        # ambiguous VR ("US or SS", "OB or OW"): accept what either side accepts
        if isinstance(v, bytes | bytearray | memoryview):
            return bytes(v)
        number = _integer(v)
        if number is not None:
            return _in_range(vr, number)
        raise ValueProblem(f"expected int or bytes for VR {vr}, got {type(v).__name__}")
    if vr in STR_VRS:
        return _string(vr, v)
    if vr in INT_VRS:
        number = _integer(v)
        if number is None:
            if vr == "IS" and isinstance(v, str) and v.strip().lstrip("+-").isdigit():
                return _in_range(vr, int(v))
            raise ValueProblem(f"expected int for VR {vr}, got {type(v).__name__} {v!r}")
        return _in_range(vr, number)
    if vr in FLOAT_VRS:
        return _float(vr, v)
    if vr == "PN":
        if isinstance(v, PersonName):
            return v
        if isinstance(v, str):
            return PersonName(v)
        raise ValueProblem(f"expected PersonName or str, got {type(v).__name__}")
    if vr in ("DA", "TM", "DT"):
        return _temporal(vr, v)
    if vr in BYTES_VRS:
        if isinstance(v, bytes | bytearray | memoryview):
            return bytes(v)
        raise ValueProblem(f"expected bytes for VR {vr}, got {type(v).__name__}")
    return v


def _string(vr: str, v: Any) -> str:
    if not isinstance(v, str):
        raise ValueProblem(f"expected str for VR {vr}, got {type(v).__name__} {v!r}")
    limit = MAX_LEN.get(vr)
    if limit is not None and len(v) > limit:
        raise ValueProblem(f"{v[:20]!r}… is {len(v)} characters, VR {vr} allows {limit}")
    if "\\" in v and vr not in ("LT", "ST", "UT", "UR"):
        raise ValueProblem("contains a backslash (the value delimiter); pass a list")
    _check_format(vr, v)
    return v


def _check_format(vr: str, v: str) -> None:
    """A string value in the format of its VR (AS, CS, DA, DS, DT, IS, TM, UI), as the
    validator judges a file's values (:mod:`iodkit.vrformat`), or :class:`ValueProblem`."""
    problem = format_problem(vr, v)
    if problem is not None:
        shown = repr(v) if len(v) <= 40 else f"{v[:20]!r}…"
        give = _GIVE.get(vr, "")
        raise ValueProblem(f"{shown} {problem} (PS3.5 Table 6.2-1){give}")


_GIVE = {
    "DA": ": give 'YYYYMMDD' or a datetime.date",
    "TM": ": give 'HHMMSS' or a datetime.time",
    "DT": ": give 'YYYYMMDDHHMMSS' or a datetime.datetime",
    "UI": ": pydicom.uid.generate_uid() makes one",
}


def _float(vr: str, v: Any) -> Any:
    if isinstance(v, bool) or not isinstance(v, Real):
        if vr == "DS" and isinstance(v, str):
            _check_format(vr, v)
            return v
        raise ValueProblem(f"expected float for VR {vr}, got {type(v).__name__} {v!r}")
    number = v if isinstance(v, int | float) else float(v)  # NumPy floats and integers
    if vr == "FL" and math.isfinite(number) and abs(number) > FL_MAX:
        raise ValueProblem(
            f"{number!r} is out of range for VR FL (a 32-bit float: at most ±{FL_MAX:.7g})"
        )
    if vr == "DS" and not math.isfinite(number):
        raise ValueProblem(f"{number!r} cannot be written as a decimal string (VR DS)")
    return number


def _temporal(vr: str, v: Any) -> Any:
    if vr == "DA":
        if isinstance(v, datetime.date) and not isinstance(v, datetime.datetime):
            return v
        if isinstance(v, str):
            _check_format(vr, v)
            return parse(DA, v)
        raise ValueProblem(f"expected datetime.date or 'YYYYMMDD', got {type(v).__name__}")
    if vr == "TM":
        if isinstance(v, datetime.time):
            return v
        if isinstance(v, str):
            _check_format(vr, v)
            return parse(TM, v)
        raise ValueProblem(f"expected datetime.time or 'HHMMSS', got {type(v).__name__}")
    if isinstance(v, datetime.datetime):
        return v
    if isinstance(v, str):
        _check_format(vr, v)
        return parse(DT, v)
    raise ValueProblem(f"expected datetime.datetime or DT string, got {type(v).__name__}")


def parse(cls: type, text: str) -> Any:
    """pydicom's DA/TM/DT keep the original string; text they cannot read stays text."""
    try:
        v = cls(text)
    except (ValueError, TypeError, OverflowError):
        return text
    return text if v is None else v


def empty_value(vr: str) -> Any:
    """The value pydicom itself gives an empty element of this VR, so read-write is exact."""
    if vr == "SQ":
        return []
    return "" if vr in TEXT_VRS else None


def encode(vr: str, v: Any) -> Any:
    """A checked value as pydicom writes it (dates and times as DICOM strings)."""
    if isinstance(v, DA | TM | DT):
        return str(v)  # pydicom's types keep the string they were read from
    if vr == "DA" and isinstance(v, datetime.date):
        return v.strftime("%Y%m%d")
    if vr == "TM" and isinstance(v, datetime.time):
        return v.strftime("%H%M%S.%f") if v.microsecond else v.strftime("%H%M%S")
    if vr == "DT" and isinstance(v, datetime.datetime):
        s = v.strftime("%Y%m%d%H%M%S.%f") if v.microsecond else v.strftime("%Y%m%d%H%M%S")
        if v.utcoffset() is not None:
            s += v.strftime("%z")
        return s
    if vr == "PN" and isinstance(v, str) and not isinstance(v, PersonName):
        return PersonName(v)
    if vr == "DS" and type(v) is float:
        # at most 16 characters (PS3.5 Table 6.2-1): 0.1 + 0.2 is written 0.3, not the 19
        # characters of its repr; values read from a file (DSfloat) keep their own string
        return DSfloat(v, auto_format=True)
    return v

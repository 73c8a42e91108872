"""The formats and lengths of DICOM's string Value Representations (PS3.5 Table 6.2-1), as
tables, patterns and checks with no other dependency: one rule for the validator
(:mod:`iodkit.validation.vr`, values read from files) and the builders (:mod:`iodkit.vrvalues`,
values as they are set).
"""

from __future__ import annotations

import re

#: The longest one value of a string VR may be, in characters (bytes for the VRs restricted to
#: the default repertoire); None: only the 2^32-2 limit of the length field. PN: 64 for each
#: component group, which the validator checks on its own.
MAX_LEN: dict[str, int | None] = {
    "AE": 16,
    "AS": 4,
    "CS": 16,
    "DA": 8,
    "DS": 16,
    "DT": 26,
    "IS": 12,
    "LO": 64,
    "LT": 10240,
    "PN": None,
    "SH": 16,
    "ST": 1024,
    "TM": 14,
    "UC": None,
    "UI": 64,
    "UR": None,
    "UT": None,
}

FORMAT: dict[str, re.Pattern[str]] = {
    "AS": re.compile(r"\d{3}[DWMY]"),
    "CS": re.compile(r"[A-Z0-9_ ]*"),
    "DA": re.compile(r"\d{8}"),
    "DS": re.compile(r" *[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)? *"),
    "DT": re.compile(
        r"\d{4}(?:\d{2}(?:\d{2}(?:\d{2}(?:\d{2}(?:\d{2}(?:\.\d{1,6})?)?)?)?)?)?"
        r"(?:[+-]\d{4})?"
    ),
    "IS": re.compile(r" *[+-]?\d+ *"),
    "TM": re.compile(r"\d{2}(?:\d{2}(?:\d{2}(?:\.\d{1,6})?)?)?"),
    "UI": re.compile(r"(?:0|[1-9]\d*)(?:\.(?:0|[1-9]\d*))*"),
}
_UI_CHARS = re.compile(r"[0-9.]*")


def hint(vr: str, v: str) -> str:
    """Why ``v`` does not match ``vr``'s format, in words, for the common mistakes."""
    if "\x00" in v:
        return " (NUL padding is for UI values only; others pad with a space)"
    if vr == "UI":
        if not _UI_CHARS.fullmatch(v):
            return " (only digits and dots)"
        return " (empty or leading-zero component)"
    if vr in ("DA", "TM") and re.search(r"[.:/-]", v):
        return " (ACR-NEMA style separators are not DICOM)"
    if vr == "CS" and v.upper() == v:
        return ""
    if vr == "CS":
        return " (upper case, digits, space and underscore only)"
    return ""


def valid_date(v: str) -> bool:
    """Whether ``v`` (8 digits) is a day of the Gregorian calendar."""
    y, m, d = int(v[:4]), int(v[4:6]), int(v[6:8])
    if not (1 <= m <= 12 and 1 <= d <= 31):
        return False
    days = [31, 29 if (y % 4 == 0 and y % 100 != 0) or y % 400 == 0 else 28]
    days += [31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    return d <= days[m - 1]


def valid_time(v: str) -> bool:
    """Whether ``v`` (HH[MM[SS[.F]]]) is a time of day (60 seconds: a leap second)."""
    hh = int(v[:2])
    mm = int(v[2:4]) if len(v) >= 4 else 0
    ss = int(v[4:6]) if len(v) >= 6 else 0
    return hh < 24 and mm < 60 and ss < 61


def format_problem(vr: str, v: str) -> str | None:
    """What is wrong with the format of one value ``v`` of ``vr`` (not its length), or None.
    The words start after the value: "is not a valid DA (ACR-NEMA style separators …)"."""
    pattern = FORMAT.get(vr)
    if pattern is None or not v:
        return None
    text = v if vr in ("DS", "IS") else v.strip(" ") if vr != "UI" else v
    if not pattern.fullmatch(text):
        return f"is not a valid {vr}{hint(vr, text)}"
    if vr == "DA" and not valid_date(text):
        return "is not a calendar date"
    if vr == "TM" and not valid_time(text):
        return "is not a valid time of day"
    return None

"""Value formats and multiplicities: PS3.5 Table 6.2-1 and the dictionary's VM, as checks.

Each check takes an :class:`~iodkit.validation.tree.Element` and returns problems as
``(code, message)`` pairs; nothing here raises on odd input. Lengths count characters after
decoding with the dataset's Specific Character Set (which is what PS3.5 limits), bytes for the
VRs restricted to the default repertoire.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from iodkit.rulemodel.datasets import CHARSET_VRS
from iodkit.vrformat import FORMAT, MAX_LEN, hint, valid_date, valid_time

from .findings import shown
from .tree import KEPT_BYTES, TEXT_VRS, Element

Problem = tuple[str, str]

_BINARY_SIZE = {
    "US": 2,
    "SS": 2,
    "UL": 4,
    "SL": 4,
    "FL": 4,
    "FD": 8,
    "AT": 4,
    "SV": 8,
    "UV": 8,
    "OW": 2,
    "OF": 4,
    "OL": 4,
    "OD": 8,
    "OV": 8,
}
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1a\x1c-\x1f\x7f]")  # ESC (1B) allowed for ISO 2022
_TEXT_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f\x7f]")  # + TAB, LF, FF, CR


def check_value(el: Element) -> list[Problem]:
    """Format and length of each value of ``el`` for its VR."""
    vr = el.vr
    out: list[Problem] = []
    if el.items is not None or el.fragments is not None:
        return out
    if el.decode_error and el._buf is None:  # an in-memory value pydicom could not give
        return [("value", el.decode_error)]
    size = _BINARY_SIZE.get(vr)
    if size is not None:
        if el.length % size and el._buf is not None:
            out.append(("value", f"length {el.length} is not a multiple of {size} for {vr}"))
        return out
    if vr not in TEXT_VRS:
        return out
    values = el.strings()
    if el.decode_error:
        out.append(("value", f"cannot be decoded: {el.decode_error}"))
    limit = MAX_LEN.get(vr)
    pattern = FORMAT.get(vr)
    for i, v in enumerate(values):
        if not v:
            continue
        where = f"value {i + 1} " if len(values) > 1 else ""
        if pattern is not None:
            text = v if vr in ("DS", "IS") else v.strip(" ") if vr != "UI" else v
            if not pattern.fullmatch(text):
                out.append(("value", f"{where}{shown(v)} is not a valid {vr}{hint(vr, text)}"))
                continue
        if limit is not None and len(v) > limit:
            out.append(("value", f"{where}{shown(v)} is {len(v)} long, more than {limit} for {vr}"))
        if pattern is not None:
            if vr == "DA" and not valid_date(text):
                out.append(("value", f"{where}{shown(v)} is not a calendar date"))
            elif vr == "TM" and not valid_time(text):
                out.append(("value", f"{where}{shown(v)} is not a valid time of day"))
            elif vr == "IS" and not -(2**31) <= int(text) <= 2**31 - 1:
                out.append(("value", f"{where}{shown(v)} is out of the IS range"))
        elif vr == "PN":
            for group in v.split("="):
                if len(group) > 64:
                    out.append(("value", f"{where}a name component group is {len(group)} long"))
            if v.count("=") > 2 or any(g.count("^") > 4 for g in v.split("=")):
                out.append(("value", f"{where}{shown(v)} has too many components"))
        control = _TEXT_CONTROL if vr in ("LT", "ST", "UT") else _CONTROL
        if pattern is None and control.search(v):  # a format pattern excludes them already
            out.append(("value", f"{where}{shown(v)} contains control characters"))
    return out


def value_count(el: Element) -> int:
    """Number of values (0 for an empty element); sequences and OB-like values count 1."""
    if el.items is not None or el.fragments is not None:
        return 1
    vr = el.vr
    size = _BINARY_SIZE.get(vr)
    if el._buf is None:
        v = el.value
        if v is None or v == "" or v == b"":
            return 0
        return len(v) if isinstance(v, list) else 1
    if el.length == 0:
        return 0
    if vr in ("OB", "OW", "OF", "OD", "OL", "OV", "UN"):
        return 1
    if size is not None:
        return el.length // size
    if vr in ("LT", "ST", "UT", "UR"):
        return 1
    return len(el.strings()) or (1 if el.length else 0)


@lru_cache(maxsize=512)
def _vm_bounds(vm: str) -> tuple[tuple[int, int | None, int], ...]:
    """(min, max, step) bounds: "1-n" → ((1, None, 1),); "2-2n" → ((2, None, 2),);
    "1-3" → ((1, 3, 1),)."""
    out: list[tuple[int, int | None, int]] = []
    for part in vm.replace(" ", "").split("or"):
        m = re.fullmatch(r"(\d+)(?:-(\d*)(n)?)?", part)
        if not m:
            continue
        lo = int(m.group(1))
        if m.group(3):
            out.append((lo, None, int(m.group(2) or 1)))
        elif m.group(2):
            out.append((lo, int(m.group(2)), 1))
        else:
            out.append((lo, lo, 1))
    return tuple(out)


def check_vm(el: Element, vm: str) -> Problem | None:
    """The value count against a VM such as "1", "1-n", "2-2n", "3-3n", "1-32"."""
    if not vm or el.vr in ("SQ", "OB", "OW", "OF", "OD", "OL", "OV", "UN", "UT", "LT", "ST"):
        return None
    n = value_count(el)
    if n == 0:
        return None
    bounds = _vm_bounds(vm)
    if not bounds:
        return None
    for lo, hi, step in bounds:
        if n < lo or (hi is not None and n > hi) or (hi is None and n % step):
            continue
        return None
    return ("vm", f"{n} value{'s' if n != 1 else ''} where VM is {vm}")


# Text VRs whose values are read as ASCII whatever the character set: their checks depend on the
# VR, the VM and the bytes alone (UIDs, codes, dates, numbers recur in every item of a file)
_BYTES_DECIDE = TEXT_VRS - CHARSET_VRS
Verdict = tuple[list[Problem], Problem | None]
# (VR, VM) → the verdicts for that VR and VM, by what decides them (see check_element)
_VERDICTS: dict[tuple[str, str], dict[Any, Verdict]] = {}
_CHECKED_MAX = 50_000  # verdicts kept in all
_kept = 0


def verdicts_for(vr: str, vm: str) -> dict[Any, Verdict]:
    """The remembered verdicts of :func:`check_element` for one VR and VM (a caller that
    knows the VR and VM of many elements, such as the encoding check's plan of a tag, passes
    it back, and no key holds them)."""
    memo = _VERDICTS.get((vr, vm))
    if memo is None:
        memo = _VERDICTS[(vr, vm)] = {}
    return memo


def check_element(el: Element, vm: str, memo: dict[Any, Verdict] | None = None) -> Verdict:
    """:func:`check_value` and :func:`check_vm` (with the dictionary's ``vm``, "" for none).

    The same values recur across a file's items and across files (the same UIDs in every
    per-frame item, the same codes, dates and numbers), so for the text VRs whose bytes alone
    decide (no character set involved) the verdicts are remembered by VR, VM and bytes; for
    the text VRs a character set governs, by VR, VM, bytes and the Python encodings they are
    decoded with (all that decoding and the checks read); for binary VRs, by VR, VM and
    length, which is all their checks look at. ``memo``: :func:`verdicts_for` of the
    element's VR and ``vm``, when the caller has it."""
    global _kept
    buf = el._buf
    if buf is None or el.items is not None or el.fragments is not None:
        return check_value(el), check_vm(el, vm) if vm else None
    vr = el.vr
    if memo is None:
        memo = verdicts_for(vr, vm)
    key: Any
    if vr not in TEXT_VRS:  # binary: the length alone decides (its multiple, the count)
        key = el.length
    elif el.length > KEPT_BYTES:  # a long text rarely recurs (nor are its bytes kept): not kept
        return check_value(el), check_vm(el, vm) if vm else None
    else:
        raw = el._bytes  # (kept by the reader; its length is the element's)
        if raw is None:
            raw = el.value_bytes()
        if vr in _BYTES_DECIDE:
            key = raw
        else:
            # text in the character set: the bytes and the set they are decoded with decide
            # (the same names, descriptions and code meanings recur in every item); the bytes
            # alone in the default repertoire
            enc = el.enc
            encodings = enc.encodings() if enc is not None else None
            key = (raw, tuple(encodings)) if encodings else raw
    hit = memo.get(key)
    if hit is None:
        hit = (check_value(el), check_vm(el, vm) if vm else None)
        if _kept >= _CHECKED_MAX:
            for kept in _VERDICTS.values():
                kept.clear()
            _kept = 0
        memo[key] = hit
        _kept += 1
    return hit


def vr_matches(written: str, dictionary: str) -> bool:
    """Whether an explicit VR fits the dictionary's ("US or SS", "OB or OW" allow either)."""
    if not dictionary or written == dictionary:
        return True
    return written in dictionary.split(" or ")

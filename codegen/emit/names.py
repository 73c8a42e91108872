"""Python names for the standard's things: classes, attributes, files.

Names come from the standard's own vocabulary: a module table "Segmentation Image Module
Attributes" becomes class ``SegmentationImageModule`` in file ``segmentation_image_module.py``;
attribute keywords from PS3.6 become snake_case (``SegmentationType`` → ``segmentation_type``);
a context group CID 7150 becomes ``cid7150``.
"""

from __future__ import annotations

import keyword
import re

_WORD = re.compile(r"[A-Za-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def class_name(text: str) -> str:
    """ "Plane Position (Patient) Macro" → "PlanePositionPatientMacro"."""
    words = _WORD.findall(text.replace("'", ""))
    out = "".join(w[:1].upper() + w[1:] for w in words)
    if not out or out[0].isdigit():
        out = "T" + out
    return out


def snake(text: str) -> str:
    """ "SegmentationType" → "segmentation_type"; "RTPlan" → "rt_plan"; "Comprehensive 3D SR" →
    "comprehensive_3d_sr" (digits stay with their word); Python keywords get a trailing "_"."""
    # plurals of acronyms and lower-case units stay one word: "IDs", "UIDs", "InmA", "InuAs"
    text = re.sub(r"(UID|ID)s(?=[A-Z]|$)", lambda m: m.group(1).capitalize() + "s", text)
    text = re.sub(
        r"In([mu])(As|A)(?=[A-Z]|$)", lambda m: f"In{m.group(1).upper()}{m.group(2).lower()}", text
    )
    parts: list[str] = []
    for word in _WORD.findall(text):
        parts.extend(p for p in _CAMEL.split(word) if p)
    out = "_".join(p.lower() for p in parts)
    if not out or out[0].isdigit():
        out = "t" + out  # like class_name's "T" prefix: "3D Spatial…" → T3DSpatial…, t3d_spatial…
    if keyword.iskeyword(out):
        out += "_"
    return out


def constant_name(text: str) -> str:
    """ "Tissue" → "TISSUE"; "T1 weighted (MR)" → "T1_WEIGHTED_MR"."""
    words = _WORD.findall(text)
    out = "_".join(w.upper() for w in words)
    if not out or out[0].isdigit():
        out = "_" + out
    return out


def unique(name: str, taken: set[str], suffix: str = "") -> str:
    """``name``, or ``name`` + ``suffix`` / a counter when already taken; records the result."""
    if name not in taken:
        taken.add(name)
        return name
    if suffix and name + suffix not in taken:
        taken.add(name + suffix)
        return name + suffix
    i = 2
    while f"{name}{i}" in taken:
        i += 1
    taken.add(f"{name}{i}")
    return f"{name}{i}"

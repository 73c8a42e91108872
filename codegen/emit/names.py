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
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def class_name(text: str) -> str:
    """"Plane Position (Patient) Macro" → "PlanePositionPatientMacro"."""
    words = _WORD.findall(text.replace("'", ""))
    out = "".join(w[:1].upper() + w[1:] for w in words)
    if not out or out[0].isdigit():
        out = "T" + out
    return out


def snake(text: str) -> str:
    """"SegmentationType" → "segmentation_type"; "RTPlan" → "rt_plan"; keywords safe."""
    parts = []
    for word in _WORD.findall(text):
        parts.extend(p for p in _CAMEL.split(word) if p)
    out = "_".join(p.lower() for p in parts)
    if not out or out[0].isdigit():
        out = "_" + out
    if keyword.iskeyword(out):
        out += "_"
    return out


def constant_name(text: str) -> str:
    """"Tissue" → "TISSUE"; "T1 weighted (MR)" → "T1_WEIGHTED_MR"."""
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

"""Sections of PS3.3 whose rules the validator checks by hand (:mod:`iodkit.validation.content`),
and for each the attributes it applies to: those whose description sends the reader there.

The generator writes, for each section named here, the tags of every attribute whose
description cites it (``generated/rules/cited.py``), so a new edition that sends another
attribute to the same section has it checked without a change here.
"""

from __future__ import annotations

#: section label → its title (as PS3.3 2024c has it)
CITED_SECTIONS: dict[str, str] = {
    "10.7.1.3": "Pixel Spacing Value Order and Valid Values",
    "C.7.6.2.1.1": "Image Position and Image Orientation",
}

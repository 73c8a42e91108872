"""A module's words that replace another module's rule for the same attribute.

Some modules restate an attribute another module of the same IOD defines, and say that their
rule wins: the SC Equipment Module makes Modality Type 3, "This type definition shall override
the definition in the General Series Module" (PS3.3 Table C.8-24); the Encapsulated Document
Series Module makes it Type 1 again over the SC Equipment Module; the Multi-frame SC Image
Modules make Frame Increment Pointer 1C, "overriding (specializing) the Type 1 requirement on
this Attribute in the Multi-frame Module". The spec keeps the modules a row overrides
(``AttributeRule.overrides``); the validator then judges the attribute by the overriding rule
alone where both modules are in force.

Only statements about the rule (type, definition, requirements) count: "this value shall
override the value of Recommended Viewing Mode … specified in the Mask Module" speaks of what
a display does with two values, not of which rule applies.
"""

from __future__ import annotations

import re

_MODULE = r"[A-Z][\w/-]*(?:\s+[A-Z0-9][\w/-]*)*?\s+Module"
_RULE = (
    r"(?:(?:the\s+)?type\s+\w+(?:\s+requirements?)?(?:\s+on\s+this\s+attribute)?"
    r"|(?:the\s+)?(?:optional\s+)?requirements?(?:\s+on\s+this\s+attribute)?"
    r"|(?:the\s+)?definition)"
)
_OVERRIDE = re.compile(
    rf"(?i:\boverrid(?:es?|ing)\b(?:\s*\([^)]*\))?\s+{_RULE}\s+(?:in|of)\s+(?:the\s+)?)"
    rf"(?P<modules>{_MODULE}(?:\s+and\s+(?:the\s+)?{_MODULE})*)"
)
# the override said inside a condition ("Shall be present if …, overriding (specializing) the
# Type 1 requirement on this Attribute in the Multi-frame Module."): not part of the condition
_CLAUSE = re.compile(
    rf"(?i:,?\s*overriding\b(?:\s*\([^)]*\))?\s+{_RULE}\s+(?:in|of)\s+(?:the\s+)?)"
    rf"{_MODULE}(?:\s+and\s+(?:the\s+)?{_MODULE})*"
)


def overridden_modules(description: str) -> list[str]:
    """The modules whose rule for this attribute the description says it overrides, by name
    ("General Series Module"), in order, each once."""
    out: list[str] = []
    for m in _OVERRIDE.finditer(" ".join(description.split())):
        for name in re.split(r"\s+and\s+(?:the\s+)?", m.group("modules")):
            if name not in out:
                out.append(name)
    return out


def without_override(text: str) -> str:
    """A condition's words without the override clause they carry."""
    return _CLAUSE.sub("", text)

"""Two PS3.16 tables some conditions and checks need, as the generator writes them: Annex L
(which body parts and anatomic codes are paired structures: "Required if … is a paired
structure", Laterality) and Table 8-1 (the Coding Scheme Designators the standard defines, and
which of them require a Coding Scheme Version).

They are loaded by the rule book on first use (``rules/anatomy.py``, ``rules/coding_schemes.py``)
and are data, not rules, hence their own module.
"""

from __future__ import annotations

from typing import Any


class Anatomy:
    """PS3.16 Annex L as generated (``rules/anatomy.py``): paired structures by Body Part
    Examined Defined Term and by anatomic code. Empty (everything undecided) for generated
    rules that predate it."""

    def __init__(self, module: Any = None) -> None:
        self.body_parts: dict[str, bool] = dict(getattr(module, "BODY_PARTS", {}))
        self.codes: dict[tuple[str, str], bool] = dict(getattr(module, "CODES", {}))
        self.by_meaning: dict[tuple[str, str, str], bool] = dict(
            getattr(module, "CODES_BY_MEANING", {})
        )

    def body_part_paired(self, term: str) -> bool | None:
        return self.body_parts.get(term.strip())

    def code_paired(self, value: str, scheme: str, meaning: str) -> bool | None:
        # SNOMED codes are SCT (SRT is the retired designator of the same codes)
        schemes = ("SCT", "SRT") if scheme in ("SCT", "SRT") else (scheme,)
        for s in schemes:
            hit = self.codes.get((s, value.strip()))
            if hit is None:
                hit = self.by_meaning.get((s, value.strip(), meaning.strip().lower()))
            if hit is not None:
                return hit
        return None


class CodingSchemes:
    """PS3.16 Table 8-1 as generated (``rules/coding_schemes.py``): the Coding Scheme
    Designators the standard defines. Empty (everything undecided) for generated rules that
    predate it."""

    def __init__(self, module: Any = None) -> None:
        self.designators: dict[str, str] = dict(getattr(module, "DESIGNATORS", {}))
        self.version_required: frozenset[str] = frozenset(getattr(module, "VERSION_REQUIRED", ()))
        self.deprecated: frozenset[str] = frozenset(getattr(module, "DEPRECATED", ()))

    def designator_sufficient(self, designator: str) -> bool | None:
        """Whether a Coding Scheme Designator alone identifies its codes unambiguously: True
        for one Table 8-1 lists (PS3.3 Section 8.2: it names the scheme as currently
        published), False for one whose entry requires Coding Scheme Version (0008,0103),
        None for any other (private, local, HL7's, or no designator: nothing is known)."""
        d = designator.strip(" \x00")
        if d not in self.designators:
            return None
        return d not in self.version_required

    def problem(self, designator: str) -> str | None:
        """What PS3.16 Section 8 says against a Coding Scheme Designator, or None: deprecated
        in Table 8-1, or in neither table and not a private ("99…") one (then it is valid only
        as an HL7 Registry symbolic name, which cannot be checked here). Nothing is said when
        the tables were not generated."""
        d = designator.strip(" \x00")
        if not self.designators or not d:
            return None
        if d in self.deprecated:
            return f"Coding Scheme Designator {d!r} is deprecated (PS3.16 Table 8-1)"
        if d in self.designators or d.startswith("99"):
            return None
        return (
            f"Coding Scheme Designator {d!r} is not in PS3.16 Table 8-1 or 8-2 and does not "
            'begin with "99" (private or local schemes): it is valid only as a symbolic name of '
            "the HL7 Registry of Coding Schemes (PS3.16 Section 8)"
        )

"""Coded concepts and context groups (PS3.16), with the generated code tables behind them.

``from iodkit.codes import cid7150`` loads the generated table of CID 7150 on first use; its
constants are :class:`Code` s (``cid7150.TISSUE``) and ``cid7150.GROUP`` is the
:class:`ContextGroup`. A :class:`Code` can be given wherever a builder expects an item of a
code sequence (the item is filled in per the Code Sequence Macro, PS3.3 Table 8.8-1).

Codes from elsewhere are accepted wherever an iodkit :class:`Code` is: pydicom's
(``pydicom.sr.codedict.codes.SCT.Liver``) and highdicom's ``CodedConcept`` (a pydicom Dataset
holding the Code Sequence Macro). :func:`as_code` is the one place that converts them, and it
refuses anything else with an error saying what a code may be. :data:`CodeLike` is that set
as a type: every public API that takes a coded concept is annotated with it, so a type checker
accepts ``codes.SCT.Liver`` there as the runtime does.
"""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeAlias

__all__ = [
    "Code",
    "CodeError",
    "CodeLike",
    "CodedConceptLike",
    "ContextGroup",
    "as_code",
    "as_codes",
    "context_group",
]


class CodeError(TypeError):
    """A value given as a coded concept is none of the kinds of code iodkit accepts."""


@dataclass(frozen=True, slots=True)
class Code:
    """A coded concept: value, coding scheme designator, meaning (PS3.3 Section 8.1)."""

    value: str
    scheme: str
    meaning: str
    scheme_version: str | None = field(default=None, compare=False)

    def to_item(self, item_class: type) -> Any:
        """This code as an item of ``item_class`` (a class holding the Code Sequence Macro).

        Per PS3.3 8.8, values longer than 16 characters go into Long Code Value, URNs/URLs
        into URN Code Value.
        """
        fields: dict[str, Any] = {
            "coding_scheme_designator": self.scheme,
            "code_meaning": self.meaning,
        }
        if re.match(r"^[a-z][a-z0-9+.-]*:", self.value) and self.scheme != "UCUM":
            fields["urn_code_value"] = self.value
        elif len(self.value) > 16:
            fields["long_code_value"] = self.value
        else:
            fields["code_value"] = self.value
        if self.scheme_version:
            fields["coding_scheme_version"] = self.scheme_version
        return item_class(**fields)

    def to_dataset(self) -> Any:
        """A pydicom Dataset holding this code (one item of a code sequence)."""
        from pydicom.dataset import Dataset

        ds = Dataset()
        if len(self.value) > 16:
            ds.LongCodeValue = self.value
        else:
            ds.CodeValue = self.value
        ds.CodingSchemeDesignator = self.scheme
        if self.scheme_version:
            ds.CodingSchemeVersion = self.scheme_version
        ds.CodeMeaning = self.meaning
        return ds

    @classmethod
    def from_dataset(cls, ds: Any) -> Code:
        value = ds.get("CodeValue") or ds.get("LongCodeValue") or ds.get("URNCodeValue") or ""
        return cls(
            str(value),
            str(ds.get("CodingSchemeDesignator", "")),
            str(ds.get("CodeMeaning", "")),
            ds.get("CodingSchemeVersion"),
        )

    def __str__(self) -> str:
        return f'({self.value}, {self.scheme}, "{self.meaning}")'


class CodedConceptLike(Protocol):
    """A code from elsewhere as :func:`as_code` reads it: pydicom's ``Code`` (a NamedTuple)
    and highdicom's ``CodedConcept`` (a Dataset with these properties) both have them."""

    @property
    def value(self) -> str: ...
    @property
    def scheme_designator(self) -> str: ...
    @property
    def meaning(self) -> str: ...
    @property
    def scheme_version(self) -> str | None: ...


#: What a public API that takes a coded concept accepts, all turned into an iodkit
#: :class:`Code` by :func:`as_code` when the object is made: an iodkit ``Code``
#: (``cid7150.TISSUE``), pydicom's ``Code`` (``codes.SCT.Liver``) or highdicom's
#: ``CodedConcept``. (A bare pydicom Dataset holding the Code Sequence Macro is accepted at
#: run time too; type it as one of these.)
CodeLike: TypeAlias = Code | CodedConceptLike


def as_code(value: object, what: str = "code") -> Code:
    """``value`` as an iodkit :class:`Code`: an iodkit ``Code`` as it is, pydicom's ``Code``
    (``codes.SCT.Liver``) and a Dataset with Code Value (or Long/URN Code Value), Coding Scheme
    Designator and Code Meaning — highdicom's ``CodedConcept`` is one — converted.

    Raises :class:`CodeError` (a ``TypeError``) naming ``what`` for anything else.
    """
    if isinstance(value, Code):
        return value
    # pydicom's class is checked only when its module is loaded (a pydicom Code implies it)
    coding = sys.modules.get("pydicom.sr.coding")
    if coding is not None and isinstance(value, coding.Code):
        return Code(str(value.value), value.scheme_designator, value.meaning, value.scheme_version)
    dataset = sys.modules.get("pydicom.dataset")
    if dataset is not None and isinstance(value, dataset.Dataset):
        has_value = any(k in value for k in ("CodeValue", "LongCodeValue", "URNCodeValue"))
        if has_value and "CodingSchemeDesignator" in value and "CodeMeaning" in value:
            return Code.from_dataset(value)
        raise CodeError(
            f"{what}: the Dataset lacks Code Value, Coding Scheme Designator or Code Meaning "
            "(PS3.3 Table 8.8-1)"
        )
    if is_code_like(value):  # any other CodedConceptLike
        version = getattr(value, "scheme_version", None)
        code, scheme, meaning = (
            str(getattr(value, k)) for k in ("value", "scheme_designator", "meaning")
        )
        return Code(code, scheme, meaning, version if isinstance(version, str) else None)
    raise CodeError(
        f"{what}: expected a code — iodkit.codes.Code (e.g. cid7150.TISSUE), pydicom's Code "
        f"(pydicom.sr.codedict.codes.SCT.Liver) or highdicom's CodedConcept — got "
        f"{type(value).__name__} {short_repr(value)}"
    )


def as_codes(values: object, what: str = "codes") -> list[Code]:
    """``values`` — one code or a sequence of them — as a list of iodkit codes
    (each through :func:`as_code`). A string is refused whole: iterated, it would be a
    sequence of one-letter "codes" and the error would name only its first character."""
    if isinstance(values, str):
        raise CodeError(
            f"{what}: a code or a list of codes is needed, not the string {short_repr(values)} "
            '— e.g. [Code("value", "scheme", "meaning")] or constants of iodkit.codes'
        )
    if is_code_like(values):
        return [as_code(values, what)]
    if not isinstance(values, Iterable):
        return [as_code(values, what)]  # raises, naming what it got
    return [as_code(v, f"{what}[{i}]") for i, v in enumerate(values)]


def is_code_like(value: object) -> bool:
    """Whether ``value`` is one code (an iodkit :class:`Code` or a :class:`CodedConceptLike`)
    rather than a sequence of them — pydicom's ``Code`` is a NamedTuple, so ``isinstance(x,
    Sequence)`` cannot tell."""
    if isinstance(value, Code):
        return True
    return all(
        isinstance(getattr(value, k, None), str) for k in ("value", "scheme_designator", "meaning")
    )


def short_repr(value: object) -> str:
    """``repr(value)``, cut to 60 characters with a visible "…" (for error messages)."""
    text = repr(value)
    return text if len(text) <= 60 else text[:59] + "…"


@dataclass(frozen=True, slots=True)
class ContextGroup:
    """A PS3.16 context group: its own codes and the groups it includes."""

    cid: int
    name: str
    keyword: str = ""
    uid: str = ""
    extensible: bool = True
    version: str = ""
    codes: tuple[Code, ...] = ()
    includes: tuple[int, ...] = ()

    def all_codes(self) -> tuple[Code, ...]:
        """Own codes and those of included groups, recursively, without repeats."""
        seen: dict[tuple[str, str], Code] = {}
        stack = [self]
        visited: set[int] = set()
        while stack:
            g = stack.pop(0)
            if g.cid in visited:
                continue
            visited.add(g.cid)
            for c in g.codes:
                seen.setdefault((c.value, c.scheme), c)
            stack.extend(context_group(i) for i in g.includes if _exists(i))
        return tuple(seen.values())

    def __contains__(self, code: object) -> bool:
        try:
            wanted = as_code(code)
        except CodeError:
            return False
        return any(c == wanted for c in self.all_codes())

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.all_codes())

    def __len__(self) -> int:
        return len(self.all_codes())


def _exists(cid: int) -> bool:
    try:
        importlib.import_module(f"iodkit.generated.codes.cid{cid}")
    except ModuleNotFoundError:
        return False
    return True


def context_group(cid: int) -> ContextGroup:
    """The generated context group ``cid`` (e.g. ``context_group(7150)``)."""
    try:
        module = importlib.import_module(f"iodkit.generated.codes.cid{int(cid)}")
    except ModuleNotFoundError:
        raise KeyError(f"CID {cid} is not a context group of the generated edition") from None
    return module.GROUP  # type: ignore[no-any-return]


def __getattr__(name: str) -> Any:
    m = re.fullmatch(r"cid(\d+)", name)
    if m is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    try:
        module = importlib.import_module(f"iodkit.generated.codes.{name}")
    except ModuleNotFoundError:
        raise AttributeError(
            f"CID {m.group(1)} is not a context group of the generated edition"
        ) from None
    globals()[name] = module
    return module

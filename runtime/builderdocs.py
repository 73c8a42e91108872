"""How the generated builders explain themselves at run time (``help()``, ``pydoc``, IDEs).

* each attribute is a descriptor whose ``__doc__`` is the standard's words for it (tag, Type,
  VR, VM, description, condition, value sets; given by the generator);
* each builder's typed ``__init__`` gets a docstring listing every parameter with its rules,
  composed here from the attributes when the class is created (written out in the generated
  files it would repeat every macro's attributes in every class that includes it);
* ``dir()`` on a builder class leaves out the bookkeeping (tag tables, attribute order), so
  ``help()`` and interactive completion show what a user calls.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from iodkit.builders import Attr, Builder, IODBuilder


def fmt_tag(tag: int) -> str:
    return f"({tag >> 16:04X},{tag & 0xFFFF:04X})"


#: Bookkeeping of the builder classes that ``dir()`` (and so ``help()`` and interactive
#: completion) leaves out: tag tables and attribute order say nothing a user calls.
_INTERNALS = frozenset(
    "__order__ __conditional__ __nofill__ __attrs__ __by_tag__ __slots__ __modules__ "
    "__functional_groups__ __weakref__ __dict__ __annotations__ __init_subclass__".split()
)


class BuilderType(type):
    """Metaclass of the builders: ``dir(cls)`` without :data:`_INTERNALS`."""

    def __dir__(cls) -> list[str]:
        return sorted(name for name in super().__dir__() if name not in _INTERNALS)


_CONDITION = re.compile(
    r"(?:^|(?<=[.;] ))((?:Required|Shall be present|Shall not be present|May be present)\b"
    r"[^\n]*?(?:\.(?= |$)|$))",
    re.M,
)


def rules(attr: Attr[Any]) -> str:
    """One line of an attribute's rules for the ``__init__`` docstring."""
    line = f"{fmt_tag(attr.tag)} Type {attr.type or '-'}, VR {attr.vr}, VM {attr.vm}"
    if attr.enum:
        line += f"; Enumerated Values {', '.join(attr.enum)}"
    for position, allowed in (attr.enum_by_value or {}).items():
        line += f"; Value {position}: {', '.join(allowed)}"
    if attr.type.endswith("C"):
        found = _CONDITION.search(attr.__doc__ or "")
        if found:
            condition = found.group(1)
            line += f"; {condition[:197] + '…' if len(condition) > 200 else condition}"
    item = attr._item
    if item is not None:
        name = item.rpartition(":")[2] if isinstance(item, str) else item.__name__
        line += f"; items: {name}"
    return line


def init_doc(cls: type[Builder]) -> str:
    head = cls.__doc__.strip().splitlines()[0].rstrip(".") if cls.__doc__ else cls.__name__
    lines = [
        f"Build {head}: each parameter sets the attribute of that name.",
        "",
        "Parameters are keyword-only; None (or leaving one out) leaves the attribute absent,",
        "EMPTY writes it with no value (Type 2). Each value is checked as it is set and a value",
        "the rules forbid raises AttributeValueError; presence (Type 1, 2, conditions) is the",
        "validator's to judge. help() on the class shows each attribute in the standard's words.",
        "",
        f"Parameters ({cls.__table__}):" if cls.__table__ else "Parameters:",
    ]
    names: set[str] = set()
    for attr in cls.__attrs__:
        if attr.name not in names:
            names.add(attr.name)
            lines.append(f"    {attr.name}: {rules(attr)}")
    return "\n".join(lines)


def iod_init_doc(cls: type[IODBuilder]) -> str:
    """The ``__init__`` docstring of an IOD builder: its modules, IE and usage."""
    lines = [
        f"Compose {cls.__name__} from module builders, each given by its name "
        "(keyword-only; a module left out is absent).",
        "",
        f"Modules ({cls.__table__}; usage M mandatory, C conditional, U optional):",
    ]
    lines += [
        f"    {name}: {module.__name__} ({ie} IE, {usage})"
        for name, (module, ie, usage) in cls.__modules__.items()
    ]
    return "\n".join(lines)

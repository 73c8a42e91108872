"""A small, fast YAML writer for the spec's plain data (dicts, lists, str, int, bool, None).

PyYAML's representer walks every node in Python and was most of the time of writing the spec
(≈ 2.5 s for 2,300 files). The spec's data is simple, so this writer emits block YAML directly:
plain scalars where YAML reads them back as the same string, literal blocks (``|-``) for
multi-line text, JSON-style double quotes otherwise (JSON strings are valid YAML). The output
loads with any YAML 1.1 loader to exactly the input; the tests check that on the whole spec.
"""

from __future__ import annotations

import json
import re
from typing import Any

# What a YAML 1.1 resolver would read as something other than a string, or what needs quotes.
_NOT_STR = re.compile(
    r"^(?:[-+.0-9].*"  # anything that starts like a number (ints, floats, 0x.., dates, 1:20)
    r"|y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE"
    r"|on|On|ON|off|Off|OFF|null|Null|NULL|~|<<|=)\Z",
    re.S,
)
_UNSAFE_START = set("-?:,[]{}#&*!|>'\"%@` ")
_PRINTABLE = re.compile(r"^[^\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff]*\Z")


def _plain_ok(s: str) -> bool:
    return bool(
        s
        and s[0] not in _UNSAFE_START
        and s[-1] not in " :"
        and ": " not in s
        and " #" not in s
        and "\t" not in s
        and _PRINTABLE.match(s)
        and not _NOT_STR.match(s)
    )


def scalar(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value if _plain_ok(value) else json.dumps(value, ensure_ascii=False)
    raise TypeError(f"cannot write {type(value).__name__} to the spec YAML")


def _literal_ok(s: str) -> bool:
    lines = s.split("\n")
    return (
        "\n" in s
        and not s.endswith("\n")
        and not lines[0].startswith(" ")
        and all(line == line.rstrip() and _PRINTABLE.match(line) for line in lines)
        and all(line for line in lines)
    )


def _value_lines(value: Any, indent: int) -> tuple[str, list[str]]:
    """(text after "key:" or "-", following lines) for one value."""
    pad = " " * indent
    if isinstance(value, dict):
        if not value:
            return " {}", []
        return "", _dict_lines(value, indent)
    if isinstance(value, list):
        if not value:
            return " []", []
        return "", _list_lines(value, indent)
    if isinstance(value, str) and _literal_ok(value):
        return " |-", [pad + line for line in value.split("\n")]
    return " " + scalar(value), []


def _dict_lines(d: dict[Any, Any], indent: int) -> list[str]:
    pad = " " * indent
    out: list[str] = []
    for k, v in d.items():
        head, rest = _value_lines(v, indent + 2)
        out.append(f"{pad}{scalar(k)}:{head}")
        out.extend(rest)
    return out


def _list_lines(items: list[Any], indent: int) -> list[str]:
    pad = " " * indent
    out: list[str] = []
    for v in items:
        if isinstance(v, dict | list) and v:
            block = (
                _dict_lines(v, indent + 2) if isinstance(v, dict) else _list_lines(v, indent + 2)
            )
            out.append(pad + "- " + block[0][indent + 2 :])
            out.extend(block[1:])
        else:
            head, rest = _value_lines(v, indent + 2)
            out.append(f"{pad}-{head}")
            out.extend(rest)
    return out


def dumps(data: Any) -> str:
    """Block YAML for ``data`` (a dict or list at the top), ending with a newline."""
    if isinstance(data, dict):
        lines = _dict_lines(data, 0) if data else ["{}"]
    elif isinstance(data, list):
        lines = _list_lines(data, 0) if data else ["[]"]
    else:
        lines = [scalar(data)]
    return "\n".join(lines) + "\n"

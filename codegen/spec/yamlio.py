"""Dump an :class:`Edition` to YAML files and load it back, deterministically.

Layout under the output folder (one file per reviewable unit, so an edition change is a small,
readable diff):

    edition.yaml            edition, formats, counts, unknown tags, problems
    iods/<IOD name>.yaml    one per IOD: modules with IE, usage and condition; functional groups
    tables/<label>.yaml     one per module/macro/other attribute table, rules nested as in PS3.3
    sop_classes.yaml, uids.yaml, dictionary.yaml
    templates/<tid>.yaml    one per PS3.16 template: properties, parameters, rows
    dcm_meanings.yaml       Code Meanings of the DCM codes the templates use, with their source
    anatomy.yaml            PS3.16 Annex L: body part terms, codes, paired structures
    coding_schemes.yaml     PS3.16 Table 8-1: coding scheme designators, UIDs, names
    context_groups/<cid>.yaml

Dataclass fields are written in declaration order, empty/default fields omitted, mappings
sorted; floats never occur. Loading reverses it exactly: ``load(dump(x)) == x``.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from pathlib import Path
from typing import Any, Union, get_args, get_origin, get_type_hints

import yaml

from . import model as m
from .yamlwrite import dumps

try:  # libyaml when available: ~10× faster
    _Dumper: type = yaml.CSafeDumper
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _Dumper, _Loader = yaml.SafeDumper, yaml.SafeLoader

FORMAT_VERSION = 2  # 2: templates/<tid>.yaml with their rows (was one templates.yaml)


def _tid_key(tid: str) -> tuple[int, str]:
    m = re.match(r"(\d+)(.*)", tid)
    return (int(m.group(1)), m.group(2)) if m else (0, tid)


# -- to plain data ---------------------------------------------------------------------------
def to_data(obj: Any) -> Any:
    if isinstance(obj, m.AttributeRule | m.IncludeRule | m.NoteRule):
        return _rule_to_data(obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out: dict[str, Any] = {}
        for f in dataclasses.fields(obj):
            value = getattr(obj, f.name)
            if _is_default(f, value):
                continue
            out[f.name] = to_data(value)
        return out
    if isinstance(obj, list):
        return [to_data(x) for x in obj]
    if isinstance(obj, dict):
        return {k: to_data(obj[k]) for k in sorted(obj)}
    return obj


def _is_default(f: dataclasses.Field, value: Any) -> bool:
    if f.default is not dataclasses.MISSING:
        return bool(value == f.default)
    if f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
        return bool(value == f.default_factory())  # type: ignore[misc]
    return False


_RULE_KEY = {m.AttributeRule: "attribute", m.IncludeRule: "include", m.NoteRule: "note"}


def _rule_to_data(rule: m.Rule) -> dict[str, Any]:
    data = {f.name: getattr(rule, f.name) for f in dataclasses.fields(rule)}
    out: dict[str, Any] = {}
    # the discriminating key first, so a reader sees "include: table_10-12" at a glance
    if isinstance(rule, m.IncludeRule):
        out["include"] = rule.table
        data.pop("table")
    elif isinstance(rule, m.NoteRule):
        out["note"] = rule.text
        data.pop("text")
    for f in dataclasses.fields(rule):
        if f.name not in data or _is_default(f, data[f.name]):
            continue
        out[f.name] = to_data(data[f.name])
    return out


# -- from plain data -------------------------------------------------------------------------
def from_data(tp: Any, data: Any) -> Any:
    origin = get_origin(tp)
    if tp is Any or data is None:
        return data
    if tp is m.Rule or (origin in (Union, types.UnionType) and m.AttributeRule in get_args(tp)):
        return _rule_from_data(data)
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        return from_data(args[0], data) if len(args) == 1 else data
    if origin is list:
        (item,) = get_args(tp)
        return [from_data(item, x) for x in data]
    if origin is dict:
        kt, vt = get_args(tp)
        return {(int(k) if kt is int else k): from_data(vt, v) for k, v in data.items()}
    if origin is typing.Literal:
        return data
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        hints = _hints(tp)
        kwargs = {k: from_data(hints[k], v) for k, v in data.items()}
        return tp(**kwargs)
    return data


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(tp: type) -> dict[str, Any]:
    if tp not in _HINTS:
        _HINTS[tp] = get_type_hints(tp, vars(m))
    return _HINTS[tp]


def _rule_from_data(data: dict[str, Any]) -> m.Rule:
    data = dict(data)
    if "include" in data:
        data["table"] = data.pop("include")
        return from_data(m.IncludeRule, data)  # type: ignore[no-any-return]
    if "note" in data:
        data["text"] = data.pop("note")
        return from_data(m.NoteRule, data)  # type: ignore[no-any-return]
    return from_data(m.AttributeRule, data)  # type: ignore[no-any-return]


# -- files -----------------------------------------------------------------------------------
class _SpecDumper(_Dumper):  # type: ignore[misc, valid-type]
    """Multi-line strings (descriptions with lists) as literal blocks, so they read as written."""


def _str_representer(dumper: yaml.BaseDumper, value: str) -> yaml.Node:
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_SpecDumper.add_representer(str, _str_representer)


def _strip_source(node: Any, table_id: str) -> None:
    """Rules carry their source table id; in a table's own file it is the file's table."""
    if isinstance(node, dict):
        if node.get("source") == table_id:
            del node["source"]
        for v in node.values():
            _strip_source(v, table_id)
    elif isinstance(node, list):
        for v in node:
            _strip_source(v, table_id)


def _restore_source(rules: list[m.Rule], table_id: str) -> None:
    for r in rules:
        if not r.source:
            r.source = table_id
        if isinstance(r, m.AttributeRule):
            for vs in r.value_sets:
                if not vs.source:
                    vs.source = table_id
            _restore_source(r.items, table_id)
        elif isinstance(r, m.IncludeRule):
            _restore_source(r.nested, table_id)


def _dump(data: Any) -> str:
    # yamlwrite emits the same data ~4× faster than PyYAML's representer; _dump_pyyaml is kept
    # as the reference the tests compare against.
    return dumps(data)


def _dump_pyyaml(data: Any) -> str:
    return yaml.dump(data, Dumper=_SpecDumper, sort_keys=False, allow_unicode=True, width=100)


def _load(path: Path) -> Any:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)


def safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_")


def render_edition(ed: m.Edition) -> dict[str, str]:
    """Relative path → YAML text for every file of the dump (what :func:`dump_edition` writes)."""
    files: dict[str, str] = {}
    counts = {
        "iods": len(ed.iods),
        "attribute_tables": len(ed.tables),
        "sop_classes": len(ed.sop_classes),
        "uids": len(ed.uids),
        "dictionary_entries": len(ed.dictionary),
        "context_groups": len(ed.context_groups),
        "templates": len(ed.templates),
        "template_rows": sum(len(t.rows) for t in ed.templates.values()),
        "body_parts": len(ed.anatomy),
        "coding_schemes": len(ed.coding_schemes),
        "directory_record_types": len(ed.directory),
    }
    files["edition.yaml"] = _dump(
        {
            "format_version": FORMAT_VERSION,
            "edition": ed.edition,
            "formats": to_data(ed.formats),
            "counts": counts,
            "unknown_tags": ed.unknown_tags,
            "problems": ed.problems,
            **({"supplements": to_data(ed.supplements)} if ed.supplements else {}),
        }
    )
    names: dict[str, str] = {}
    for iod in sorted(ed.iods.values(), key=lambda i: i.id):
        base = safe_name(iod.name)
        name = base if base not in names.values() else f"{base}_{safe_name(iod.id)}"
        names[iod.id] = name
        files[f"iods/{name}.yaml"] = _dump(to_data(iod))
    for t in ed.tables.values():
        data = to_data(t)
        _strip_source(data, t.id)
        files[f"tables/{safe_name(t.id.removeprefix('table_'))}.yaml"] = _dump(data)
    files["sop_classes.yaml"] = _dump(to_data(ed.sop_classes))
    files["uids.yaml"] = _dump(to_data(ed.uids))
    files["dictionary.yaml"] = _dump(to_data(ed.dictionary))
    for tid, tpl in ed.templates.items():
        files[f"templates/{safe_name(tid)}.yaml"] = _dump(to_data(tpl))
    files["dcm_meanings.yaml"] = _dump(to_data(ed.dcm_meanings))
    files["anatomy.yaml"] = _dump(to_data(ed.anatomy))
    files["coding_schemes.yaml"] = _dump(to_data(ed.coding_schemes))
    if ed.directory:
        files["directory.yaml"] = _dump(to_data(ed.directory))
    for cid, group in ed.context_groups.items():
        files[f"context_groups/{cid}.yaml"] = _dump(to_data(group))
    return files


def dump_edition(ed: m.Edition, out: Path) -> list[Path]:
    """Write the spec under ``out``; files of an earlier dump that are no longer produced are
    removed, so the folder always equals the spec. Returns the files written."""
    out = Path(out)
    files = render_edition(ed)
    written: list[Path] = []
    keep = set(files)
    stale = out / "templates.yaml"  # one file per template since format 2
    if stale.is_file():
        stale.unlink()
    for sub in ("iods", "tables", "context_groups", "templates"):
        folder = out / sub
        if folder.is_dir():
            for old in folder.glob("*.yaml"):
                if f"{sub}/{old.name}" not in keep:
                    old.unlink()
    for rel, text in sorted(files.items()):
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def load_edition(folder: Path) -> m.Edition:
    folder = Path(folder)
    head_path = folder / "edition.yaml"
    if not head_path.is_file():
        raise FileNotFoundError(f"{folder}: no edition.yaml (not a spec folder)")
    head = _load(head_path)
    ed = m.Edition(edition=head["edition"])
    ed.formats = dict(head.get("formats") or {})
    ed.unknown_tags = list(head.get("unknown_tags") or [])
    ed.problems = list(head.get("problems") or [])
    ed.supplements = from_data(list[m.SupplementRecord], head.get("supplements") or [])
    for p in sorted((folder / "iods").glob("*.yaml")):
        iod = from_data(m.Iod, _load(p))
        ed.iods[iod.id] = iod
    tables = [from_data(m.AttributeTable, _load(p)) for p in (folder / "tables").glob("*.yaml")]
    for t in tables:
        _restore_source(t.rules, t.id)
    ed.tables = {t.id: t for t in sorted(tables, key=lambda t: t.id)}
    ed.sop_classes = from_data(dict[str, m.SopClass], _load(folder / "sop_classes.yaml") or {})
    ed.uids = from_data(dict[str, m.Uid], _load(folder / "uids.yaml") or {})
    ed.dictionary = from_data(dict[str, m.DictionaryEntry], _load(folder / "dictionary.yaml") or {})
    templates = [from_data(m.Template, _load(p)) for p in (folder / "templates").glob("*.yaml")]
    ed.templates = {t.tid: t for t in sorted(templates, key=lambda t: _tid_key(t.tid))}
    meanings = folder / "dcm_meanings.yaml"
    ed.dcm_meanings = (
        from_data(dict[str, m.CodeMeaning], _load(meanings) or {}) if meanings.is_file() else {}
    )
    anatomy = folder / "anatomy.yaml"
    ed.anatomy = from_data(list[m.BodyPart], _load(anatomy) or []) if anatomy.is_file() else []
    schemes = folder / "coding_schemes.yaml"
    ed.coding_schemes = (
        from_data(list[m.CodingScheme], _load(schemes) or []) if schemes.is_file() else []
    )
    directory = folder / "directory.yaml"
    ed.directory = (
        from_data(list[m.DirectoryRecordType], _load(directory) or [])
        if directory.is_file()
        else []
    )
    groups = [
        from_data(m.ContextGroup, _load(p)) for p in (folder / "context_groups").glob("*.yaml")
    ]
    ed.context_groups = {g.cid: g for g in sorted(groups, key=lambda g: g.cid)}
    return ed

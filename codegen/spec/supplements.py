"""Supplements newer than the edition, applied as reviewed spec overlays.

A Final Text supplement changes the standard between editions: Supplement 243 (Label Map
Segmentation) adds a SOP Class and the LABELMAP Segmentation Type after 2024c, so every LABELMAP
Segmentation fails against the 2024c spec. An overlay writes such a supplement's changes in the
spec's own YAML form, kept as input next to the editions (``standard_xml/supplements/*.yaml``,
never under ``generated/``), each change with the sources it was read from. The spec build
applies every overlay (:func:`apply_supplements`, called by
:func:`~iodkit.codegen.spec.build.build_edition`), so ``make generate`` carries it into the
builders and the validator's rules, and ``iodkit spec diff`` shows it like any edition change.

An overlay is dropped when the edition already contains the supplement, decided from the
edition's own content (``contained_when``: a SOP Class UID the edition's PS3.4 lists, or an
Enumerated Value a PS3.3 table already has); the spec records that it did so and why
(:class:`~iodkit.codegen.spec.model.SupplementRecord`).

The form::

    supplement: 243
    title: Label Map Segmentation
    sources: {key: citation, …}
    contained_when:
      - sop_class: "1.2.840.10008.5.1.4.1.1.66.7"
      - enumerated: {table: table_C.8.20-2, tag: "(0062,0001)", value: LABELMAP}
    sop_classes:                       # as in sop_classes.yaml
      - {uid: …, name: …, iod: table_A.51-1, iod_reference: sect_A.51, iod_name: …,
         sources: [key, …]}
    tables:
      - table: table_C.8.20-2
        rules:                         # attribute rules as in tables/*.yaml
          - {path: "(0028,0004)", sources: […], rule: {name: …, tag: …, type: …, …}}
    iods:
      - iod: table_A.51-1
        modules: [{sources: […], module: {ie: …, name: …, table: …, usage: …, condition: …}}]
        functional_groups: [{sources: […], group: {name: …, table: …, usage: …, …}}]

A rule with the ``path`` of an existing attribute (tags through its sequences, ``/``-separated)
replaces it; with a new path it is added at the end of its level. A module or functional group
replaces the one of the same name, or is added. Every source key a change cites must be in
``sources``, or the overlay is refused (:class:`SupplementError`). An overlay naming a table or
IOD the edition lacks (a partial build, or an overlay written for another edition) is recorded
as "not applicable", with what is missing, and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from . import model as m
from .yamlio import from_data

DEFAULT_FOLDER = Path(__file__).resolve().parent.parent.parent / "standard_xml" / "supplements"


class SupplementError(ValueError):
    """An overlay that cannot be applied; the message names the file and the problem."""


@dataclass
class Overlay:
    """One overlay file, read."""

    path: Path
    number: int
    title: str
    sources: dict[str, str]
    contained_when: list[dict[str, Any]] = field(default_factory=list)
    sop_classes: list[dict[str, Any]] = field(default_factory=list)
    tables: list[dict[str, Any]] = field(default_factory=list)
    iods: list[dict[str, Any]] = field(default_factory=list)


def read_overlay(path: Path) -> Overlay:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise SupplementError(f"{path}: cannot read the overlay: {exc}") from exc
    if not isinstance(data, dict) or "supplement" not in data:
        raise SupplementError(f"{path}: not a supplement overlay (no 'supplement:')")
    o = Overlay(
        Path(path),
        int(data["supplement"]),
        str(data.get("title", "")),
        {str(k): str(v) for k, v in (data.get("sources") or {}).items()},
        list(data.get("contained_when") or []),
        list(data.get("sop_classes") or []),
        list(data.get("tables") or []),
        list(data.get("iods") or []),
    )
    for change in _changes(o):
        cited = change.get("sources") or []
        unknown = [s for s in cited if s not in o.sources]
        if not cited or unknown:
            what = f"unknown sources {unknown}" if unknown else "no sources"
            raise SupplementError(f"{path}: a change cites {what}: {change}")
    return o


def _changes(o: Overlay) -> list[dict[str, Any]]:
    out = list(o.sop_classes)
    for t in o.tables:
        out.extend(t.get("rules") or [])
    for i in o.iods:
        out.extend(i.get("modules") or [])
        out.extend(i.get("functional_groups") or [])
    return out


def contained(o: Overlay, ed: m.Edition) -> str:
    """What in the edition shows it already has the supplement ("" when nothing does)."""
    for test in o.contained_when:
        uid = test.get("sop_class")
        if uid and uid in ed.sop_classes:
            return f"PS3.4 lists SOP Class {uid} ({ed.sop_classes[uid].name})"
        enum = test.get("enumerated")
        if enum:
            t = ed.tables.get(enum["table"])
            rule = _find(t.rules, _path(enum["tag"])) if t is not None else None
            if isinstance(rule, m.AttributeRule) and any(
                enum["value"] in vs.values for vs in rule.value_sets if vs.kind == "enumerated"
            ):
                return (
                    f"{t.label if t else ''} {rule.name} {rule.tag} already has the Enumerated "
                    f"Value {enum['value']}"
                )
    return ""


def _path(text: str) -> list[str]:
    return [p.strip() for p in str(text).split("/") if p.strip()]


def _level(rules: list[m.Rule], path: list[str]) -> list[m.Rule] | None:
    """The rules of the level a path's last tag sits at."""
    for tag in path[:-1]:
        hit = next((r for r in rules if isinstance(r, m.AttributeRule) and r.tag == tag), None)
        if hit is None:
            return None
        rules = hit.items
    return rules


def _find(rules: list[m.Rule], path: list[str]) -> m.AttributeRule | None:
    level = _level(rules, path)
    if level is None:
        return None
    hits = (r for r in level if isinstance(r, m.AttributeRule) and r.tag == path[-1])
    return next(hits, None)


def apply(o: Overlay, ed: m.Edition) -> m.SupplementRecord:
    """Apply one overlay to ``ed`` (in place) unless the edition already contains it."""
    record = m.SupplementRecord(o.number, o.title, "applied", sources=dict(o.sources))
    evidence = contained(o, ed)
    if evidence:
        record.status, record.evidence = "in the edition", evidence
        return record
    lacking = _lacking(o, ed)
    if lacking:  # a partial build, or an overlay written for another edition: nothing applied
        record.status, record.evidence = "not applicable", lacking
        return record
    where = f"Supplement {o.number}"
    for sc in o.sop_classes:
        data = {k: v for k, v in sc.items() if k != "sources"}
        data.setdefault("source", where)
        if data.get("iod") not in ed.iods:
            uid, iod_id = data.get("uid"), data.get("iod")
            raise SupplementError(f"{o.path}: SOP Class {uid}: the edition has no IOD {iod_id}")
        ed.sop_classes[data["uid"]] = from_data(m.SopClass, data)
        iod = ed.iods[data["iod"]]
        if data["uid"] not in iod.sop_classes:
            iod.sop_classes.append(data["uid"])
        record.changes.append(f"SOP Class {data['uid']} {data['name']} → {data['iod']}")
    for t in o.tables:
        table = ed.tables.get(t["table"])
        if table is None:
            raise SupplementError(f"{o.path}: the edition has no table {t['table']}")
        for change in t.get("rules") or []:
            path = _path(change["path"])
            rule = from_data(m.AttributeRule, {"source": table.id, **change["rule"]})
            level = _level(table.rules, path)
            if level is None:
                raise SupplementError(f"{o.path}: {table.id} has no sequence on {change['path']}")
            old = _find(table.rules, path)
            if old is not None:
                entry = ed.dictionary.get(rule.tag)
                rule.keyword = rule.keyword or (entry.keyword if entry else old.keyword)
                level[level.index(old)] = rule
                record.changes.append(f"{table.label} {rule.name} {rule.tag} replaced")
            else:
                level.append(rule)
                record.changes.append(f"{table.label} {rule.name} {rule.tag} added")
    for i in o.iods:
        target = ed.iods.get(i["iod"])
        if target is None:
            raise SupplementError(f"{o.path}: the edition has no IOD {i['iod']}")
        iod = target
        for change in i.get("modules") or []:
            mod = from_data(m.IodModule, change["module"])
            if mod.table and mod.table not in ed.tables:
                raise SupplementError(f"{o.path}: module {mod.name}: no table {mod.table}")
            _put(iod.modules, mod, record, f"{iod.name} IOD module")
        for change in i.get("functional_groups") or []:
            group = from_data(m.FunctionalGroup, change["group"])
            _put(iod.functional_groups, group, record, f"{iod.name} IOD functional group")
    return record


def _lacking(o: Overlay, ed: m.Edition) -> str:
    """What the overlay names that the edition does not have ("" when it has everything)."""
    missing = [t["table"] for t in o.tables if t["table"] not in ed.tables]
    missing += [i["iod"] for i in o.iods if i["iod"] not in ed.iods]
    missing += [sc.get("iod", "") for sc in o.sop_classes if sc.get("iod") not in ed.iods]
    for i in o.iods:
        for change in i.get("modules") or []:
            table = change["module"].get("table", "")
            if table and table not in ed.tables:
                missing.append(table)
    if not missing:
        return ""
    return "the edition has no " + ", ".join(dict.fromkeys(missing))


def _put(rows: list[Any], new: Any, record: m.SupplementRecord, what: str) -> None:
    for k, old in enumerate(rows):
        if old.name == new.name:
            rows[k] = new
            record.changes.append(f"{what} {new.name} replaced")
            return
    rows.append(new)
    record.changes.append(f"{what} {new.name} added")


def apply_supplements(ed: m.Edition, folder: Path | None = DEFAULT_FOLDER) -> set[str]:
    """Apply every overlay of ``folder`` (by file name order) to ``ed``; record each in
    ``ed.supplements``; return the ids of the tables and IODs changed (whose conditions must
    be parsed again)."""
    changed: set[str] = set()
    if folder is None or not Path(folder).is_dir():
        return changed
    for path in sorted(Path(folder).glob("*.yaml")):
        o = read_overlay(path)
        record = apply(o, ed)
        ed.supplements.append(record)
        if record.status == "applied":
            changed |= {t["table"] for t in o.tables} | {i["iod"] for i in o.iods}
    return changed

"""Sequence item classes accept every attribute the standard puts in the item.

When several included macros define the same sequence (PS3.3 Table C.17-5 includes the Composite
Object, Image and Waveform Reference Macros, each with its own Referenced SOP Sequence
(0008,1199) item), the generated class must take the union of their items: otherwise a builder
refuses ``referenced_frame_number`` on an IMAGE content item and a read → write round trip
drops it. The expected item content is computed here from the YAML spec, independently of the
planner, for every sequence of every module and macro class, at every depth.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

GENERATED = Path(__file__).resolve().parent.parent / "generated"


@cache
def spec_tables() -> dict[str, dict[str, Any]]:
    out = {}
    for p in (GENERATED / "spec" / "tables").glob("*.yaml"):
        data = yaml.load(p.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
        out[data["id"]] = data
    return out


@cache
def emitted_tags() -> frozenset[str]:
    """Tags that have a builder attribute (the dictionary knows them; no repeating groups)."""
    data = yaml.load(
        (GENERATED / "spec" / "dictionary.yaml").read_text(encoding="utf-8"),
        Loader=yaml.CSafeLoader,
    )
    return frozenset(
        tag for tag, e in data.items() if "x" not in tag and e.get("keyword") and e.get("vr")
    )


def _tag(text: str) -> int:
    return int(text[1:5] + text[6:10], 16)


def sequences(rules: list[dict], seen: frozenset[str] = frozenset()) -> dict[int, list[list]]:
    """Every definition of each top-level sequence the rules bring (their own rows, and those of
    included tables, with rows nested under an include extending the included table's last
    sequence): tag → list of item rule lists."""
    out: dict[int, list[list]] = {}
    for r in rules:
        if "include" in r:
            table = spec_tables().get(r["include"])
            if table is None or table["id"] in seen:
                continue
            inner = sequences(table["rules"], seen | {table["id"]})
            for tag, defs in inner.items():
                out.setdefault(tag, []).extend(defs)
            if r.get("nested"):
                last = next(
                    (x for x in reversed(table["rules"]) if "tag" in x and x.get("items")), None
                )
                if last is not None:
                    out.setdefault(_tag(last["tag"]), []).append(last["items"] + r["nested"])
        elif "tag" in r and r.get("items") and r["tag"] in emitted_tags():
            out.setdefault(_tag(r["tag"]), []).append(r["items"])
    return out


def item_tags(rules: list[dict], seen: frozenset[str] = frozenset()) -> set[int]:
    tags: set[int] = set()
    for r in rules:
        if "include" in r:
            table = spec_tables().get(r["include"])
            if table is not None and table["id"] not in seen:
                # (rows nested under the include belong to the included table's last sequence,
                # which sequences() accounts for, not to this level)
                tags |= item_tags(table["rules"], seen | {table["id"]})
        elif "tag" in r and r["tag"] in emitted_tags():
            tags.add(_tag(r["tag"]))
    return tags


def check(cls: type, rules: list[dict], where: str, problems: list[str], depth: int = 0) -> None:
    if depth > 4:
        return
    attrs = {a.tag: a for a in cls.__attrs__}  # type: ignore[attr-defined]
    for tag, definitions in sequences(rules).items():
        attr = attrs.get(tag)
        if attr is None or attr.item is None:
            continue
        expected: set[int] = set()
        for items in definitions:
            expected |= item_tags(items)
        have = {a.tag for a in attr.item.__attrs__}
        missing = expected - have
        if missing:
            problems.append(
                f"{where} > {attr.keyword}: item {attr.item.__qualname__} lacks "
                + ", ".join(f"({t >> 16:04X},{t & 0xFFFF:04X})" for t in sorted(missing))
            )
        merged = [x for items in definitions for x in items]
        check(attr.item, merged, f"{where} > {attr.keyword}", problems, depth + 1)


def test_every_item_class_accepts_every_definition_of_its_sequence() -> None:
    import iodkit.generated.modules as modules

    by_label = {t["label"]: t for t in spec_tables().values()}
    problems: list[str] = []
    for name in modules.__all__:
        cls = getattr(modules, name)
        table = by_label[cls.__table__.split(" Table ")[-1]]
        check(cls, table["rules"], name, problems)
    assert problems == []


@pytest.mark.parametrize(
    "module", ["DocumentContentMacro", "SRDocumentContentModule", "DocumentRelationshipMacro"]
)
def test_image_reference_round_trips_in_sr_content(module: str) -> None:
    """PS3.3 Table C.18.4-1 attributes on an IMAGE content item's Referenced SOP Sequence."""
    import iodkit.generated.modules as modules
    from pydicom.dataset import Dataset

    cls = getattr(modules, module)
    if module == "DocumentRelationshipMacro":  # a content item, one level down
        cls = cls.item_type("content_sequence")
    item_cls = cls.item_type("referenced_sop_sequence")
    item = item_cls(
        referenced_sop_class_uid="1.2.840.10008.5.1.4.1.1.66.4",
        referenced_sop_instance_uid="1.2.3.4",
        referenced_frame_number=[1, 2],
        referenced_segment_number=[3],
    )
    ds = Dataset()
    ds.ReferencedSOPSequence = [item.to_dataset()]
    ds.ReferencedSOPSequence[0].ReferencedWaveformChannels = [1, 1]
    back = cls.from_dataset(ds).to_dataset()
    out = back.ReferencedSOPSequence[0]
    assert list(out.ReferencedFrameNumber) == [1, 2]
    assert out.ReferencedSegmentNumber == 3
    assert list(out.ReferencedWaveformChannels) == [1, 1]

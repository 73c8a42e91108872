"""Series-level checks: what no single instance can show (findings of scope "series").

* **Shared attributes** (code ``series``): the instances of a series agree on the attributes of
  the Patient, General Study, General Series and Frame of Reference Modules (PS3.3 A.1.2: a
  series belongs to one patient, one study and at most one frame of reference, and "All
  Composite Instances within a Series shall have the same Series information"). Different
  values are an error; an attribute some instances have and others lack, a warning.
* **Volume positions** (code ``volume``, warnings: nothing obliges a series to be a volume, but
  a gap or two slices in one place is what breaks a reader that stacks one): single-frame
  images of one orientation are ordered along its normal (Image Plane Module, C.7.6.2.1.1);
  a spacing more than 1.5 times the median is a gap, spacings that differ by more than 1% of
  the median are irregular, and two instances at one position with nothing telling them
  apart in time (Acquisition Number, Temporal Position, Trigger or Acquisition Time) overlap.
* **Duplicate SOP Instance UIDs** (code ``duplicate-uid``, error) across the whole run: two
  files holding one SOP Instance UID (PS3.3 C.12.1.1.1: it identifies one instance).

The checks take :class:`~iodkit.scale.facts.InstanceFacts` and are pure functions, so a serial
run and a Dask run (partitioned by series, and by SOP Instance UID for the duplicates) give
the same findings.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from iodkit.validation.dictionary import entry
from iodkit.validation.findings import Finding, Reference

from .facts import InstanceFacts, series_modules

#: Positions closer than this (mm) along the normal are one position.
SAME_POSITION_MM = 1e-3
GAP_FACTOR = 1.5
IRREGULAR_FRACTION = 0.01
#: Instance names listed in a finding's message (all are in ``SeriesFinding.files``).
SHOWN = 3


@dataclass(frozen=True, slots=True)
class SeriesFinding:
    """A finding about several instances: their series (and study), the finding, and the
    instances it concerns (file names, addresses or metadata lines)."""

    study: str
    series: str
    finding: Finding
    files: tuple[str, ...]

    def sort_key(self) -> tuple[str, ...]:
        f = self.finding
        return (self.series, f.code, f.path, f.severity, f.message, *self.files)

    def __str__(self) -> str:
        return f"{self.finding} [series {self.series}]"

    def to_dict(self) -> dict[str, object]:
        return {
            "study": self.study,
            "series": self.series,
            "files": list(self.files),
            **self.finding.to_dict(),
        }


def _keyword(tag: int) -> str:
    e = entry(tag)
    return e.keyword if e is not None and e.keyword else f"({tag >> 16:04X},{tag & 0xFFFF:04X})"


def _listed(names: list[str]) -> str:
    shown = ", ".join(names[:SHOWN])
    return shown + (f" and {len(names) - SHOWN} more" if len(names) > SHOWN else "")


def check_series(facts: Iterable[InstanceFacts]) -> list[SeriesFinding]:
    """The findings of one series (the instances given all have its Series Instance UID)."""
    instances = _unique(facts)
    if not instances:
        return []
    out = _shared_attributes(instances)
    out.extend(_volume(instances))
    return out


def _unique(facts: Iterable[InstanceFacts]) -> list[InstanceFacts]:
    """One fact per name (a path listed twice is one instance), in name order."""
    by_name = {f.name: f for f in facts}
    return [by_name[n] for n in sorted(by_name)]


def _shared_attributes(instances: list[InstanceFacts]) -> list[SeriesFinding]:
    study, series = instances[0].study, instances[0].series
    out: list[SeriesFinding] = []
    held = [dict(f.values) for f in instances]
    done: set[int] = set()
    for module in series_modules():
        ref = Reference("PS3.3", module.section, "")
        for tag in module.tags:
            if tag in done:
                continue
            done.add(tag)
            by_value: dict[str, list[str]] = defaultdict(list)
            lacking: list[str] = []
            for f, values in zip(instances, held, strict=True):
                if tag in values:
                    by_value[values[tag]].append(f.name)
                else:
                    lacking.append(f.name)
            if not by_value:
                continue
            keyword = _keyword(tag)
            rule = f"all instances of a series share its {module.entity} information"
            if len(by_value) > 1:
                groups = sorted(by_value.items(), key=lambda kv: (-len(kv[1]), kv[0]))
                told = "; ".join(
                    f"{value!r} in {len(names)} ({_listed(names)})" for value, names in groups
                )
                message = f"{keyword} differs between the instances of the series: {told}"
                files = tuple(n for _, names in groups for n in names)
                out.append(
                    SeriesFinding(
                        study,
                        series,
                        Finding("error", "series", keyword, message, module.name, rule, ref, tag),
                        files,
                    )
                )
            elif lacking:
                ((value, names),) = by_value.items()
                message = (
                    f"{keyword} is {value!r} in {len(names)} instances and absent in "
                    f"{len(lacking)} ({_listed(lacking)})"
                )
                out.append(
                    SeriesFinding(
                        study,
                        series,
                        Finding("warning", "series", keyword, message, module.name, rule, ref, tag),
                        tuple(lacking),
                    )
                )
    return out


def _normal(orientation: tuple[float, ...]) -> tuple[float, float, float]:
    r, c = orientation[:3], orientation[3:]
    n = (r[1] * c[2] - r[2] * c[1], r[2] * c[0] - r[0] * c[2], r[0] * c[1] - r[1] * c[0])
    length = math.sqrt(sum(x * x for x in n)) or 1.0
    return (n[0] / length, n[1] / length, n[2] / length)


def _volume(instances: list[InstanceFacts]) -> list[SeriesFinding]:
    groups: dict[tuple[float, ...], list[InstanceFacts]] = defaultdict(list)
    for f in instances:
        if f.position is not None and f.orientation is not None:
            groups[tuple(round(v, 4) for v in f.orientation)].append(f)
    out: list[SeriesFinding] = []
    for orientation, members in sorted(groups.items()):
        if len(members) >= 2:
            out.extend(_stack(orientation, members))
    return out


def _stack(orientation: tuple[float, ...], members: list[InstanceFacts]) -> list[SeriesFinding]:
    study, series = members[0].study, members[0].series
    normal = _normal(orientation)
    ref = Reference("PS3.3", "sect_C.7.6.2.1.1", "")
    rule = "single-frame images of one orientation, ordered along its normal"
    placed = sorted(
        ((sum(p * n for p, n in zip(f.position or (), normal, strict=True)), f) for f in members),
        key=lambda df: (df[0], df[1].name),
    )
    out: list[SeriesFinding] = []

    def add(message: str, files: tuple[str, ...]) -> None:
        finding = Finding(
            "warning",
            "volume",
            "ImagePositionPatient",
            message,
            "ImagePlaneModule",
            rule,
            ref,
            0x00200032,
        )
        out.append(SeriesFinding(study, series, finding, files))

    # positions: one per distinct place (instances there apart in time count once)
    positions: list[tuple[float, list[InstanceFacts]]] = []
    for d, f in placed:
        if positions and abs(d - positions[-1][0]) < SAME_POSITION_MM:
            positions[-1][1].append(f)
        else:
            positions.append((d, [f]))
    for d, together in positions:
        by_time: dict[str, list[str]] = defaultdict(list)
        for f in together:
            by_time[f.temporal].append(f.name)
        clashes = [names for names in by_time.values() if len(names) > 1]
        for names in clashes:
            add(
                f"{len(names)} instances at one position ({d:.3f} mm along the normal) with "
                f"nothing telling them apart in time: {_listed(names)}",
                tuple(names),
            )
    if len(positions) < 3:
        return out
    spacings = [b[0] - a[0] for a, b in zip(positions, positions[1:], strict=False)]
    median = statistics.median(spacings)
    gaps = [i for i, s in enumerate(spacings) if s > GAP_FACTOR * median]
    for i in gaps:
        before, after = positions[i][1][0].name, positions[i + 1][1][0].name
        add(
            f"gap of {spacings[i]:.3f} mm between {before} and {after} where the other "
            f"positions are {median:.3f} mm apart (median)",
            (before, after),
        )
    tolerance = max(SAME_POSITION_MM, IRREGULAR_FRACTION * median)
    irregular = [i for i, s in enumerate(spacings) if i not in gaps and abs(s - median) > tolerance]
    if irregular:
        shown = ", ".join(f"{spacings[i]:.3f}" for i in irregular[:SHOWN])
        add(
            f"irregular spacing: {len(irregular)} of {len(spacings)} spacings differ from the "
            f"median {median:.3f} mm by more than {tolerance:.3f} mm ({shown} mm)",
            tuple(positions[i][1][0].name for i in irregular),
        )
    return out


def check_duplicates(facts: Iterable[InstanceFacts]) -> list[SeriesFinding]:
    """Duplicate SOP Instance UIDs among ``facts`` (all those with the UIDs to compare)."""
    by_uid: dict[str, dict[str, InstanceFacts]] = defaultdict(dict)
    for f in facts:
        by_uid[f.sop_instance][f.name] = f
    out: list[SeriesFinding] = []
    ref = Reference("PS3.3", "sect_C.12.1.1.1", "")
    rule = "a SOP Instance UID identifies one instance"
    for uid, named in sorted(by_uid.items()):
        if len(named) < 2:
            continue
        names = sorted(named)
        first = named[names[0]]
        message = f"SOP Instance UID {uid} is held by {len(names)} files: {_listed(names)}"
        finding = Finding(
            "error",
            "duplicate-uid",
            "SOPInstanceUID",
            message,
            "SOPCommonModule",
            rule,
            ref,
            0x00080018,
        )
        out.append(SeriesFinding(first.study, first.series, finding, tuple(names)))
    return out


def check_all(facts: Iterable[InstanceFacts]) -> list[SeriesFinding]:
    """Every series check over one run's facts, serially (the Dask runner partitions)."""
    listed = list(facts)
    by_series: dict[str, list[InstanceFacts]] = defaultdict(list)
    for f in listed:
        by_series[f.series].append(f)
    out = [finding for key in sorted(by_series) for finding in check_series(by_series[key])]
    out.extend(check_duplicates(listed))
    return sorted(out, key=SeriesFinding.sort_key)

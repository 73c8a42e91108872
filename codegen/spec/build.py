"""Build an :class:`~iodkit.codegen.spec.model.Edition` from a folder of the standard's sources.

An edition folder holds DocBook (``docbook/partNN.xml``) and/or NEMA's chunked XHTML
(``chtml/partNN/*.html``); for each part the DocBook is preferred when present (it is the
source), the XHTML otherwise. PS3.3 (with PS3.6) is read in this process and PS3.16/3.4 in a
forked child, which on two cores nearly halves the time (parsing and model building are
CPU-bound and hold the GIL); the condition predicates, the last pass over PS3.3, are again
shared with a child (:mod:`iodkit.codegen.spec.fork`).

A part that is missing or unreadable is reported in ``Edition.problems`` and the rest still
builds; only a missing PS3.3 stops the build (there is nothing to generate without it).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ..sources.model import Document
from ..sources.xmlsafe import SourceError
from . import fork
from .model import (
    AttributeRule,
    AttributeTable,
    BodyPart,
    CodeMeaning,
    CodingScheme,
    ContextGroup,
    DictionaryEntry,
    DirectoryRecordType,
    Edition,
    Iod,
    SopClass,
    Template,
    Uid,
)
from .supplements import DEFAULT_FOLDER as DEFAULT_SUPPLEMENTS
from .supplements import apply_supplements

Progress = Callable[[str], None]

# Pages of each chunked-XHTML part that hold what the spec needs.
_CHTML_SELECT: dict[int, Callable[[str], bool] | None] = {
    3: None,
    4: lambda n: n.startswith(
        (
            "sect_B",
            "chapter_B",
            "sect_GG",
            "chapter_GG",
            "sect_I.",
            "chapter_I.",
            "sect_KK",
            "chapter_KK",
        )
    ),
    6: lambda n: n.startswith(
        ("chapter_A", "sect_A", "chapter_6", "chapter_7", "chapter_8", "sect_6", "sect_7", "sect_8")
    ),
    # context groups, templates, Annex L (body parts), Chapter 8 (Table 8-1, coding schemes)
    # templates also sit inline in the pages of Annex A (SR) and C (acquisition and protocol
    # context) and on the sect_*Templates.html pages of each group of templates
    16: lambda n: (
        n.startswith(("sect_CID_", "sect_TID_", "chapter_L", "sect_L", "chapter_8"))
        or n in ("chapter_A.html", "chapter_C.html")
        or n.endswith("Templates.html")
    ),
}


class BuildError(Exception):
    """The edition cannot be built at all (e.g. no PS3.3 in the source folder)."""


@dataclass
class PartSource:
    part: int
    format: str  # "docbook" | "chtml"
    path: Path


def find_parts(source: Path) -> dict[int, PartSource]:
    """Which parts an edition folder provides, and in which format."""
    found: dict[int, PartSource] = {}
    for part in (3, 4, 6, 16):
        db = source / "docbook" / f"part{part:02d}.xml"
        ch = source / "chtml" / f"part{part:02d}"
        if db.is_file():
            found[part] = PartSource(part, "docbook", db)
        elif ch.is_dir():
            found[part] = PartSource(part, "chtml", ch)
    return found


def read_part(ps: PartSource, edition: str | None, progress: Progress | None = None) -> Document:
    started = time.perf_counter()
    if ps.format == "docbook":
        from ..sources.docbook import read_docbook_part

        doc = read_docbook_part(ps.path, ps.part, edition)
    else:
        from ..sources.chtml import detect_edition, read_chtml_part

        doc = read_chtml_part(
            ps.path,
            ps.part,
            edition or detect_edition(ps.path) or "",
            select=_CHTML_SELECT.get(ps.part),
        )
    if progress:
        progress(
            f"PS3.{ps.part} ({ps.format}): {len(doc.sections)} sections, {len(doc.tables)} tables "
            f"read in {time.perf_counter() - started:.2f} s"
        )
    return doc


@dataclass
class _Ps3Result:
    edition: str
    iods: dict[str, Iod]
    tables: dict[str, AttributeTable]
    directory: list[DirectoryRecordType]
    parents: dict[str, str | None]
    problems: list[str]
    dictionary: dict[str, DictionaryEntry]
    unknown_tags: list[str]
    ps3_6: _OtherResult


@dataclass
class _OtherResult:
    editions: dict[int, str] = field(default_factory=dict)
    sop_classes: dict[str, SopClass] = field(default_factory=dict)
    uids: dict[str, Uid] = field(default_factory=dict)
    dictionary: dict[str, DictionaryEntry] = field(default_factory=dict)
    context_groups: dict[int, ContextGroup] = field(default_factory=dict)
    templates: dict[str, Template] = field(default_factory=dict)
    dcm_meanings: dict[str, CodeMeaning] = field(default_factory=dict)
    anatomy: list[BodyPart] = field(default_factory=list)
    coding_schemes: list[CodingScheme] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _stderr(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _job_ps3_3(
    ps: PartSource, ps6: PartSource | None, edition: str | None, verbose: bool, split: bool = False
) -> _Ps3Result:
    """PS3.3 and everything that needs only PS3.3 and PS3.6: extraction, the dictionary of the
    tags PS3.3 uses, keywords, and the condition predicates (the slowest pass after parsing),
    so that all of it runs in parallel with reading PS3.16. ``split``: the predicate pass forks
    a second process for half of the tables (by then the PS3.16 worker is done)."""
    from .counts import mark_open_items, resolve_counts
    from .ps3_3 import Ps33Extractor, walk_rules
    from .ps3_6 import fill_from_pydicom

    progress = _stderr if verbose else None
    doc = read_part(ps, edition, progress)
    ex = Ps33Extractor(doc)
    ex.run()
    parents = {s.id: s.parent for s in doc.sections.values()}
    r6 = _job_others([ps6] if ps6 else [], edition, verbose)

    # Dictionary: PS3.6's own registry where the rendering has it, pydicom's for the rest.
    used: set[str] = set()
    for t in ex.tables.values():
        for r in walk_rules(t.rules):
            if isinstance(r, AttributeRule):
                used.add(r.tag)
    registry = r6.dictionary
    dictionary = {tag: registry[tag] for tag in sorted(used) if tag in registry}
    added, unknown = fill_from_pydicom(dictionary, used)
    dictionary.update(added)
    partial = Edition(edition=doc.edition, iods=ex.iods, tables=ex.tables)
    partial.dictionary = dict(sorted(dictionary.items()))
    for t in ex.tables.values():
        for r in walk_rules(t.rules):
            if isinstance(r, AttributeRule):
                entry = partial.dictionary.get(r.tag)
                r.keyword = entry.keyword if entry else ""
    # counts another attribute gives ("as many Items as the number of frames"): their tags
    # and kinds from this edition's dictionary
    resolve_counts(ex.tables.values(), partial.dictionary)
    mark_open_items(ex.tables.values())
    _attach_predicates(partial, split)
    return _Ps3Result(
        doc.edition,
        ex.iods,
        ex.tables,
        ex.directory,
        parents,
        doc.problems + ex.problems,
        partial.dictionary,
        unknown,
        r6,
    )


def _job_others(parts: list[PartSource], edition: str | None, verbose: bool) -> _OtherResult:
    from .ps3_4 import extract_sop_classes
    from .ps3_6 import extract_dictionary, extract_uids
    from .ps3_16 import extract_anatomy, extract_coding_schemes, extract_context_groups
    from .ps3_16_templates import dcm_meanings, extract_templates

    progress = _stderr if verbose else None
    res = _OtherResult()
    for ps in parts:
        try:
            doc = read_part(ps, edition, progress)
        except SourceError as exc:
            res.problems.append(f"PS3.{ps.part}: {exc}")
            continue
        res.editions[ps.part] = doc.edition
        res.problems.extend(doc.problems)
        if ps.part == 4:
            res.sop_classes, probs = extract_sop_classes(doc)
            res.problems.extend(probs)
        elif ps.part == 6:
            res.uids, probs = extract_uids(doc)
            res.problems.extend(probs)
            res.dictionary = extract_dictionary(doc)
        elif ps.part == 16:
            res.context_groups, probs = extract_context_groups(doc)
            res.problems.extend(probs)
            res.templates, probs = extract_templates(doc)
            res.problems.extend(probs)
            res.dcm_meanings = dcm_meanings(res.templates, res.context_groups)
            res.anatomy, probs = extract_anatomy(doc)
            res.problems.extend(probs)
            if not res.anatomy:
                res.problems.append(
                    f"PS3.16 {doc.edition}: Annex L (body parts, paired structures) not found"
                )
            res.coding_schemes, probs = extract_coding_schemes(doc)
            res.problems.extend(probs)
    return res


def build_edition(
    source: Path,
    *,
    jobs: int | None = None,
    verbose: bool = False,
    edition: str | None = None,
    supplements: Path | None = DEFAULT_SUPPLEMENTS,
) -> Edition:
    """Read an edition folder into a spec. ``jobs`` = processes (default: 2 when the machine
    has two or more cores). ``supplements``: a folder of supplement overlays applied to the
    edition (:mod:`iodkit.codegen.spec.supplements`; default ``standard_xml/supplements/``;
    None for the edition as published)."""
    from .ps3_4 import link_sop_classes

    source = Path(source)
    if not source.is_dir():
        raise BuildError(
            f"{source}: not a folder (expected an edition folder with chtml/ or docbook/)"
        )
    parts = find_parts(source)
    if 3 not in parts:
        raise BuildError(
            f"{source}: no PS3.3 found (looked for docbook/part03.xml and chtml/part03/); "
            "download an edition with `make standard EDITION=…`"
        )
    others = [parts[p] for p in (16, 4) if p in parts]
    missing = [p for p in (4, 6, 16) if p not in parts]
    if jobs is None:
        jobs = 2 if (os.cpu_count() or 1) >= 2 else 1
    started = time.perf_counter()
    waiting = fork.start(lambda: _job_others(others, edition, verbose)) if jobs > 1 else None
    if waiting is not None:
        # PS3.16 and PS3.4 in a forked child, PS3.3 here: only the child's (smaller) result
        # is pickled, not the PS3.3 tables
        r3 = _job_ps3_3(parts[3], parts.get(6), edition, verbose, True)
        ro = waiting()
        if ro is None:
            raise BuildError(f"{source}: reading PS3.16/PS3.4 in a child process failed (above)")
    elif jobs > 1:  # no fork on this platform
        with ProcessPoolExecutor(max_workers=2) as pool:
            f3 = pool.submit(_job_ps3_3, parts[3], parts.get(6), edition, verbose, True)
            fo = pool.submit(_job_others, others, edition, verbose)
            r3, ro = f3.result(), fo.result()
    else:
        r3 = _job_ps3_3(parts[3], parts.get(6), edition, verbose)
        ro = _job_others(others, edition, verbose)
    r6 = r3.ps3_6

    ed = Edition(edition=edition or r3.edition or source.name)
    ed.formats = {f"PS3.{p}": parts[p].format for p in sorted(parts)}
    ed.iods, ed.tables = r3.iods, r3.tables
    ed.directory = r3.directory
    ed.problems = list(r3.problems) + list(r6.problems) + list(ro.problems)
    for p in missing:
        ed.problems.append(
            f"PS3.{p}: not in {source} (neither docbook/part{p:02d}.xml nor chtml/part{p:02d}/)"
        )
    for part, ed_name in sorted({**r6.editions, **ro.editions}.items()):
        if ed_name and ed_name != ed.edition:
            ed.problems.append(f"PS3.{part} is edition {ed_name}, PS3.3 is {ed.edition}")
    ed.sop_classes, ed.uids = ro.sop_classes, r6.uids
    ed.context_groups, ed.templates = ro.context_groups, ro.templates
    ed.dcm_meanings = ro.dcm_meanings
    ed.anatomy = ro.anatomy
    ed.coding_schemes = ro.coding_schemes
    ed.problems.extend(link_sop_classes(ed.sop_classes, ed.iods, r3.parents))
    ed.dictionary, ed.unknown_tags = r3.dictionary, r3.unknown_tags
    changed = apply_supplements(ed, supplements)
    if changed:
        _attach_predicates(ed, only=changed)
    if verbose:
        for s in ed.supplements:
            _stderr(f"Supplement {s.number} ({s.title}): {s.status} {s.evidence}".rstrip())
        _stderr(
            f"spec {ed.edition}: {len(ed.iods)} IODs, {len(ed.tables)} attribute tables, "
            f"{len(ed.sop_classes)} SOP classes, {len(ed.context_groups)} context groups, "
            f"{len(ed.problems)} problems, built in {time.perf_counter() - started:.2f} s"
        )
    return ed


def _attach_predicates(ed: Edition, split: bool = False, only: set[str] | None = None) -> None:
    """Parse condition texts into predicates where the condition parser is available
    (``split``: on two processes, see :func:`~iodkit.codegen.spec.predicates.attach_predicates`;
    ``only``: these tables and IODs)."""
    try:
        from .predicates import attach_predicates
    except ImportError:
        return
    attach_predicates(ed, split=split, only=only)

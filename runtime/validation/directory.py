"""A DICOMDIR's records: the offsets that chain them and the hierarchy they form (PS3.3 Annex F).

The Directory Record Sequence (0004,1220) of the Directory Information Module (Table F.3-3)
holds every record of a File-set as one flat list; what makes it a tree are byte offsets, each
the position in the file of a record's Item tag (counted from the file's first byte, preamble
and "DICM" included): the root's first and last records (0004,1200)/(0004,1202), each record's
next record in its Directory Entity (0004,1400) and the first record of its lower-level Entity
(0004,1420); zero means none. The keys of each record are checked by the IOD's rules (the
record's Keys table is included under its Directory Record Type, see
:mod:`iodkit.codegen.spec.directory`); here:

* every offset is zero or the position of a record of the sequence;
* following them from the root reaches no record twice (a loop, or a record in two Entities),
  the root's chain ends at its last record, and every record is reached (else it is in no
  Directory Entity: a warning, since readers that follow the offsets never see it);
* the type of each record is one its parent's Directory Entity may hold (Table F.4-1).

Offsets are known only for a file read from its bytes: for a dataset built in memory they
cannot be checked, and an ``undecided`` note says so.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .dictionary import join
from .tree import Element, Node

if TYPE_CHECKING:
    from .filelevel import FileChecks

DIRECTORY_RECORD_SEQUENCE = 0x00041220
FIRST_RECORD = 0x00041200  # of the Root Directory Entity
LAST_RECORD = 0x00041202
NEXT_RECORD = 0x00041400
LOWER_LEVEL = 0x00041420
RECORD_TYPE = 0x00041430
ANY = "*"  # a lower-level entity that may hold records of any type (PRIVATE)
TABLE_F33 = "table_F.3-3"
TABLE_F41 = "table_F.4-1"


def check_directory(chk: FileChecks) -> None:
    """The records of ``chk``'s dataset (a DICOMDIR): offsets and hierarchy, as findings."""
    seq = chk.root.elems.get(DIRECTORY_RECORD_SEQUENCE)
    if seq is None:
        return
    records = seq.items or []
    if seq.item_offsets is None:
        if records:
            chk.add(
                "info",
                "undecided",
                "DirectoryRecordSequence",
                "the record offsets cannot be checked: the dataset was not read from a file "
                "(they are positions in the file)",
                ref=chk.ref(TABLE_F33),
                tag=DIRECTORY_RECORD_SEQUENCE,
            )
        return
    _Records(chk, records, seq.item_offsets, _children(chk)).check()


def _children(chk: FileChecks) -> dict[str, tuple[str, ...]]:
    try:
        module: Any = importlib.import_module(f"{chk.book.package}.directory")
    except ImportError:  # rules generated without Annex F: the hierarchy is not checked
        return {}
    children: dict[str, tuple[str, ...]] = module.CHILDREN
    return children


def _offset(node: Node, tag: int) -> int | None:
    el: Element | None = node.elems.get(tag)
    if el is None or el.is_empty:
        return None  # a missing Type 1 offset is the IOD rules' finding
    try:
        value = el.numbers()[0]
    except (IndexError, ValueError, TypeError):
        return None  # a malformed value is the value check's finding
    return value if isinstance(value, int) else None


class _Records:
    def __init__(
        self,
        chk: FileChecks,
        records: list[Node],
        offsets: list[int],
        children: dict[str, tuple[str, ...]],
    ) -> None:
        self.chk = chk
        self.records = records
        self.at = {off: i for i, off in enumerate(offsets)}
        self.children = children
        self.reached: set[int] = set()

    def path(self, i: int, tag: int | None = None) -> str:
        item = f"DirectoryRecordSequence[{i}]"
        return join(item, tag) if tag is not None else item

    def error(self, path: str, message: str, tag: int, table: str = TABLE_F33) -> None:
        self.chk.add("error", "directory", path, message, ref=self.chk.ref(table), tag=tag)

    def target(self, value: int | None, path: str, tag: int, what: str) -> int | None:
        """The record an offset points at (None: zero, absent, or pointing at no record)."""
        if not value:
            return None
        i = self.at.get(value)
        if i is None:
            self.error(
                path,
                f"{what} {value} (0x{value:08X}) is not the position of any Directory Record "
                f"(records start at {self._examples()})",
                tag,
            )
        return i

    def _examples(self) -> str:
        starts = sorted(self.at)
        shown = ", ".join(str(s) for s in starts[:3])
        return shown + (", …" if len(starts) > 3 else "") if starts else "none: no records"

    def check(self) -> None:
        root = self.chk.root
        first = _offset(root, FIRST_RECORD)
        last = _offset(root, LAST_RECORD)
        if not self.records:
            for tag, value in ((FIRST_RECORD, first), (LAST_RECORD, last)):
                if value:
                    self.error(
                        join("", tag),
                        f"is {value}, but the Root Directory Entity has no Directory Record "
                        "(the offset shall then be 00000000H)",
                        tag,
                    )
            return
        start = self.target(first, join("", FIRST_RECORD), FIRST_RECORD, "the offset")
        end = self.target(last, join("", LAST_RECORD), LAST_RECORD, "the offset")
        if first == 0:
            self.error(
                join("", FIRST_RECORD),
                "is 0, but the Directory Record Sequence has records: the Root Directory Entity "
                "reaches none of them",
                FIRST_RECORD,
            )
        root_last = self.entity(start, "", "the Root Directory Entity")
        if end is not None and root_last is not None and root_last != end:
            self.error(
                join("", LAST_RECORD),
                f"points at record {end}, but the last record of the Root Directory Entity "
                f"(following Offset of the Next Directory Record from the first) is {root_last}",
                LAST_RECORD,
            )
        lost = [i for i in range(len(self.records)) if i not in self.reached]
        if lost:
            shown = ", ".join(f"[{i}]" for i in lost[:8]) + (", …" if len(lost) > 8 else "")
            self.chk.add(
                "warning",
                "directory",
                "DirectoryRecordSequence",
                f"{len(lost)} of {len(self.records)} Directory Records are reached by no "
                f"offset ({shown}): they belong to no Directory Entity, and a reader following "
                "the offsets never sees them",
                ref=self.chk.ref(TABLE_F33),
                tag=DIRECTORY_RECORD_SEQUENCE,
            )

    def entity(self, start: int | None, parent_type: str, parent: str) -> int | None:
        """Walk the Directory Entity whose first record is ``start`` (and, depth first, the
        entities below it); its last record."""
        pending: list[tuple[int | None, str, str]] = [(start, parent_type, parent)]
        root_last: int | None = None
        is_root = True
        while pending:
            i, ptype, pname = pending.pop()
            last = None
            while i is not None:
                if i in self.reached:
                    self.error(
                        self.path(i),
                        f"is reached a second time (from {pname}): the offsets form a loop, "
                        "or put the record in two Directory Entities",
                        DIRECTORY_RECORD_SEQUENCE,
                    )
                    break
                self.reached.add(i)
                last = i
                node = self.records[i]
                rtype = self.record_type(node)
                self.placed(i, rtype, ptype, pname)
                below = self.target(
                    _offset(node, LOWER_LEVEL),
                    self.path(i, LOWER_LEVEL),
                    LOWER_LEVEL,
                    "the offset",
                )
                if below is not None:
                    pending.append((below, rtype, f"record {i} ({rtype or 'no type'})"))
                i = self.target(
                    _offset(node, NEXT_RECORD), self.path(i, NEXT_RECORD), NEXT_RECORD, "the offset"
                )
            if is_root:
                root_last, is_root = last, False
        return root_last

    @staticmethod
    def record_type(node: Node) -> str:
        el = node.elems.get(RECORD_TYPE)
        values = el.strings() if el is not None else ()
        return values[0].strip() if values else ""

    def placed(self, i: int, rtype: str, parent_type: str, parent: str) -> None:
        """The record's type against what its parent's entity may hold (Table F.4-1)."""
        allowed = self.children.get(parent_type)
        if not rtype or allowed is None or ANY in allowed or rtype in allowed:
            return  # no type (the IOD rules' finding), or a parent Table F.4-1 does not list
        if rtype not in self.children:
            return  # not a type of Table F.4-1 (retired, unknown): the value check's finding
        self.error(
            self.path(i, RECORD_TYPE),
            f"a record of type {rtype} in the Directory Entity of {parent}, which may hold "
            f"only {', '.join(allowed)}",
            RECORD_TYPE,
            TABLE_F41,
        )

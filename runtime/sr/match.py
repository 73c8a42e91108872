"""Name the template row each content item of a read tree stands for, where that is certain.

One matcher serves the reader and the validator: the template pass of ``iodkit validate``
(:class:`iodkit.validation.templates.ContentTreeChecker`) matches every level of the tree to
the rows of its template — INCLUDEd templates unfolded with their parameters bound, the
relationship inherited from the INCLUDE row (PS3.16 6.2.3), concept names scored (the row's
own code, a member of its group, an open row), by-reference items through their targets, a
container's own Content Template Sequence deciding between equal rows — and, where an item
fits several rows equally (TID 1500 rows 7-9: TID 1410, 1411 and 1501 all begin with a
Measurement Group), tries each reading on the item's subtree. This module only copies its
verdicts onto the reader's items: ``item.row = (tid, row)`` where the row is certain (one row
fits, or one reading has fewer errors than the others, and the same holds for every
ancestor); an item left with equal readings, and everything below it, keeps ``row`` None.
"""

from __future__ import annotations

import io
from typing import Any

from iodkit.sr.content import ContentItem

__all__ = ["annotate", "template_rows"]


def template_rows(dataset: Any, tid: str | None = None) -> dict[tuple[int, ...], tuple[str, str]]:
    """(TID, row label) by position (the root is ``(1,)``) of every item of the SR document
    ``dataset`` (a pydicom Dataset) whose template row is certain; ``tid`` is the root
    template (default: Content Template Sequence, else the root template the title fits).
    A dataset pydicom cannot write again (a damaged file) gives no rows."""
    import pydicom
    from iodkit.generated import EDITION
    from iodkit.validation.reader import parse
    from iodkit.validation.templates import ContentTreeChecker

    encoded = io.BytesIO()
    try:
        try:
            pydicom.dcmwrite(encoded, dataset)  # as read: a raw Content Sequence as it is
        except (AttributeError, ValueError):  # built in memory with no encoding said
            encoded = io.BytesIO()
            pydicom.dcmwrite(encoded, dataset, implicit_vr=False, little_endian=True)
    except Exception:  # a damaged dataset pydicom cannot write again: no row is certain
        return {}
    checker = ContentTreeChecker(parse(encoded.getvalue()).dataset, EDITION)
    checker.run(tid)
    return checker.rows_by_position()


def annotate(root: ContentItem, dataset: Any, tid: str | None = None) -> None:
    """Set ``row`` on the items of ``root`` (the content tree read from ``dataset``) whose
    template row is certain (see :func:`template_rows`); the others keep theirs."""
    rows = template_rows(dataset, tid)
    if not rows:
        return
    for position, item in root.walk():
        found = rows.get(position)
        if found is not None:
            tid_, label = found
            item.row = (int(tid_) if tid_.isdigit() else 0, label)

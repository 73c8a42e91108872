"""Findings as a table: JSON lines or Parquet, one row per finding, and a summary.

Every row has the same columns (:data:`COLUMNS`): ``scope`` ("instance" or "series"),
``file`` (the instance's file, address or metadata line; empty for a series finding),
``files`` (the instances a series finding concerns), ``iod``, ``study`` and ``series`` (UIDs,
for series findings), and the finding's own fields (:meth:`Finding.to_dict`). Rows are written
as reports arrive, so a run of millions of files never holds them all.

The summary (files, files with errors, counts per severity and scope) goes to
``<output>.summary.json`` beside the table, and into a Parquet file's key-value metadata
(``iodkit.summary``, in its footer) too.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from iodkit.validation.api import FileReport
from iodkit.validation.output import COUNT_KEYS

from .series import SeriesFinding

COLUMNS = (
    "scope",
    "file",
    "files",
    "iod",
    "study",
    "series",
    "severity",
    "code",
    "path",
    "message",
    "module",
    "rule",
    "reference",
    "tag",
)
#: Rows buffered before a Parquet row group is written.
ROW_GROUP = 50_000


def instance_rows(report: FileReport) -> list[dict[str, Any]]:
    return [
        {
            "scope": "instance",
            "file": report.path,
            "files": [],
            "iod": report.iod,
            "study": "",
            "series": "",
            **f.to_dict(),
        }
        for f in report.findings
    ]


def series_rows(findings: Iterable[SeriesFinding]) -> list[dict[str, Any]]:
    return [{"scope": "series", "file": "", "iod": "", **s.to_dict()} for s in findings]


class Summary:
    """Counts over a run: files, files with errors, findings per severity and scope."""

    def __init__(self) -> None:
        self.files = 0
        self.files_with_errors = 0
        self.counts: dict[str, dict[str, int]] = {
            scope: {"error": 0, "warning": 0, "info": 0} for scope in ("instance", "series")
        }

    def add_report(self, report: FileReport) -> None:
        self.files += 1
        self.files_with_errors += report.errors > 0
        for f in report.findings:
            self.counts["instance"][f.severity] += 1

    def add_counts(self, other: dict[str, Any]) -> None:
        """Add another summary's counts (:meth:`counts` of a batch written by a worker)."""
        self.files += other["files"]
        self.files_with_errors += other["files_with_errors"]
        for scope, counts in other["counts"].items():
            for severity, n in counts.items():
                self.counts[scope][severity] += n

    def counts_dict(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "files_with_errors": self.files_with_errors,
            "counts": {scope: dict(c) for scope, c in self.counts.items()},
        }

    def add_series(self, findings: Iterable[SeriesFinding]) -> None:
        for s in findings:
            self.counts["series"][s.finding.severity] += 1

    def to_dict(self, **extra: Any) -> dict[str, Any]:
        inst, ser = self.counts["instance"], self.counts["series"]
        return {
            "files": self.files,
            "files_with_errors": self.files_with_errors,
            **{COUNT_KEYS[k]: v for k, v in inst.items()},
            "series_errors": ser["error"],
            "series_warnings": ser["warning"],
            **extra,
        }


class FindingsWriter:
    """Writes rows to ``path`` (``.jsonl``/``.ndjson``: JSON lines; ``.parquet``: Parquet)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        suffix = self.path.suffix.lower()
        if suffix in (".jsonl", ".ndjson"):
            self.kind = "jsonl"
            self._fp = open(self.path, "w", encoding="utf-8")  # noqa: SIM115 - closed in close()
        elif suffix == ".parquet":
            self.kind = "parquet"
            self._rows: list[dict[str, Any]] = []
            self._writer: Any = None
        else:
            raise ValueError(
                f"{self.path}: findings are written as .jsonl (JSON lines) or .parquet"
            )
        self.summary = Summary()

    def write_report(self, report: FileReport) -> None:
        self.summary.add_report(report)
        self._write(instance_rows(report))

    def write_series(self, findings: list[SeriesFinding]) -> None:
        self.summary.add_series(findings)
        self._write(series_rows(findings))

    def _write(self, rows: list[dict[str, Any]]) -> None:
        if self.kind == "jsonl":
            for row in rows:
                self._fp.write(json.dumps(row, ensure_ascii=False) + "\n")
            return
        self._rows.extend(rows)
        if len(self._rows) >= ROW_GROUP:
            self._flush()

    def _flush(self) -> None:
        import pyarrow as pa  # type: ignore[import-untyped]
        import pyarrow.parquet as pq  # type: ignore[import-untyped]

        if self._writer is None:
            self._writer = pq.ParquetWriter(self.path, arrow_schema())
        if self._rows:
            columns = {name: [row.get(name, "") for row in self._rows] for name in COLUMNS}
            self._writer.write_table(pa.table(columns, schema=self._writer.schema))
            self._rows = []

    def close(self, **extra: Any) -> dict[str, Any]:
        """Finish the table and write the summary; returns the summary."""
        summary = self.summary.to_dict(**extra)
        if self.kind == "jsonl":
            self._fp.close()
        else:
            self._flush()
            self._writer.add_key_value_metadata({"iodkit.summary": json.dumps(summary)})
            self._writer.close()
        Path(f"{self.path}.summary.json").write_text(json.dumps(summary, indent=1) + "\n")
        return summary


def arrow_schema() -> Any:
    """The table's columns for Arrow and Parquet: strings, and ``files`` a list of them."""
    import pyarrow as pa  # type: ignore[import-untyped]

    return pa.schema(
        [pa.field(n, pa.list_(pa.string()) if n == "files" else pa.string()) for n in COLUMNS]
    )


def write_part(directory: str | Path, batch: int, reports: list[FileReport]) -> dict[str, Any]:
    """A batch's rows as ``part-<batch>.parquet`` in ``directory``, written by the worker that
    validated it (the client then handles counts, not findings); returns the batch's counts.

    The part is written under a temporary name and renamed: a batch run again after its worker
    was lost replaces its part whole, so no row is lost or written twice; the parts in name
    order are the rows in input order.
    """
    import os

    import pyarrow as pa  # type: ignore[import-untyped]
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    summary = Summary()
    rows: list[dict[str, Any]] = []
    for report in reports:
        summary.add_report(report)
        rows.extend(instance_rows(report))
    table = pa.table({n: [row.get(n, "") for row in rows] for n in COLUMNS}, schema=arrow_schema())
    final = folder / f"part-{batch:08d}.parquet"
    temporary = folder / f".{final.name}.{os.getpid()}.tmp"
    pq.write_table(table, temporary)
    os.replace(temporary, final)
    return summary.counts_dict()

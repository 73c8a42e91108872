"""``make fuzz``: mutants of real files through ``iodkit validate`` and through every reader.

Seeded and reproducible (``--seed``). Each mutant is a file of ``IODKIT_TESTDATA`` changed by one
to four operations — truncated, a bit flipped, a VR rewritten, a length rewritten, an item or
delimiter tag written where a value was, bytes inserted, an item of the file spliced in
elsewhere, random bytes spliced in — and then:

* validated (:func:`iodkit.validation.validate_bytes`): the validator must return findings,
  never raise, and its last-resort guard ("validation stopped: …") must never fire;
* opened by every reader in :data:`READERS` whose SOP Classes the original file has (and by
  every reader on one mutant in 50 of other files): opening may succeed or raise, but only one
  of iodkit's own errors (a class defined in an ``iodkit`` module) whose message names the
  file; reading what was opened may raise only iodkit's own errors.

Readers register here: add a :class:`Reader` to :data:`READERS` with the ``"module:function"``
that opens a path, the zero-argument methods or properties that read what was opened (its
frames, its content), and the SOP Classes it is for. Everything else is shared.

The corpus is the test data (files up to 1.5 MB) and, unless ``--no-own``, the objects iodkit's
demo writes (every kind iodkit writes, so each reader meets its own).

Run: ``make fuzz`` (or ``python tools/fuzz.py --mutants 10000 --seed 12 --jobs 2``); prints the
counts and the first failures of each kind, exits 1 when there is any.
"""

from __future__ import annotations

import argparse
import importlib
import os
import random
import re
import struct
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TESTDATA = Path(os.environ.get("IODKIT_TESTDATA", ROOT.parent / "shared" / "testdata"))


@dataclass(frozen=True)
class Reader:
    """A reader under fuzz: how it opens a path, what reads it, which files are its own."""

    name: str
    opens: str  # "module:function" taking a path
    # zero-argument methods or properties of what it opened; "each:NAME" reads NAME of every
    # element it iterates over (the groups of bulk annotations); "NAME?FLAG" only when the
    # property FLAG is true, "NAME?!FLAG" only when it is false (a volume of a non-tiled SEG)
    reads: tuple[str, ...]
    sop_classes: tuple[str, ...]


#: the readers iodkit has; owners add theirs
READERS: tuple[Reader, ...] = (
    Reader(
        "seg",
        "iodkit.seg:read_segmentation",
        (
            "segmentation_type",
            "number_of_frames",
            "segment_numbers",
            "segment_descriptions",
            "get_source_image_uids",
            "dimension_index_pointers",
            "get_volume?!is_tiled",
            "get_total_pixel_matrix?is_tiled",
        ),
        ("1.2.840.10008.5.1.4.1.1.66.4", "1.2.840.10008.5.1.4.1.1.66.7"),
    ),
    Reader(
        "sr",
        "iodkit.sr:read_sr",
        (
            "title",
            "template",
            "procedure_reported",
            "get_observers",
            "get_subject_contexts",
            "get_derived_measurements",
            "get_measurement_groups",
            "get_measurements",
            "get_qualitative_evaluations",
            "walk",  # template rows by the validator's matcher
        ),
        tuple(f"1.2.840.10008.5.1.4.1.1.88.{n}" for n in (11, 22, 33, 34, 35, 59, 71)),
    ),
    Reader(
        "pm",
        "iodkit.pm:read_parametric_map",
        (
            "number_of_frames",
            "padding_value",
            "mappings",
            "get_volume?!is_tiled",
            "get_total_pixel_matrix?is_tiled",
        ),
        ("1.2.840.10008.5.1.4.1.1.30",),
    ),
    Reader(
        "legacy",
        "iodkit.legacy:read_legacy_converted",
        ("number_of_frames", "positions", "source_instance_uids", "get_frames", "get_volume"),
        (
            "1.2.840.10008.5.1.4.1.1.2.2",
            "1.2.840.10008.5.1.4.1.1.4.4",
            "1.2.840.10008.5.1.4.1.1.128.1",
        ),
    ),
    Reader(
        "sc",
        "iodkit.sc:read_secondary_capture",
        ("number_of_frames", "pixel_spacing", "get_frames"),
        tuple(f"1.2.840.10008.5.1.4.1.1.7{s}" for s in ("", ".1", ".2", ".3", ".4")),
    ),
    Reader(
        "pr",
        "iodkit.pr:read_presentation_state",
        ("content_label", "references", "kind"),
        tuple(f"1.2.840.10008.5.1.4.1.1.11.{n}" for n in (1, 2, 3)),
    ),
    Reader(
        "ann",
        "iodkit.ann:read_annotations",
        ("each:graphic_data", "each:coordinates", "each:measurements"),
        ("1.2.840.10008.5.1.4.1.1.91.1",),
    ),
    Reader(
        "wsi",
        "iodkit.wsi:read_slide",
        ("shape", "pixel_spacing", "affine"),
        ("1.2.840.10008.5.1.4.1.1.77.1.6",),
    ),
)

_VRS = [
    v.encode()
    for v in "AE AS AT CS DA DS DT FD FL IS LO LT OB OD OF OL OV OW PN SH SL SQ SS "
    "ST SV TM UC UI UL UN UR US UT UV".split()
]
_VR_AT = re.compile(b"(?=(" + b"|".join(_VRS) + b"))")
_ITEM = b"\xfe\xff\x00\xe0"
OPERATIONS = ("truncate", "flip", "vr", "length", "delimiter", "insert", "item", "junk")


def mutate(data: bytes, rng: random.Random, ops: int | None = None) -> tuple[bytes, list[str]]:
    """``data`` changed by one to four operations (or ``ops``); what was done, for the log."""
    buf = bytearray(data)
    done: list[str] = []
    for _ in range(ops or rng.randint(1, 4)):
        if not buf:
            break
        kind = rng.choice(OPERATIONS)
        pos = rng.randrange(len(buf))
        value = rng.getrandbits(32)
        if kind == "truncate":
            del buf[pos:]
        elif kind == "flip":
            buf[pos] ^= 1 << rng.randrange(8)
        elif kind == "vr":
            hits = [m.start() for m in _VR_AT.finditer(bytes(buf[132:]))]
            if hits:
                pos = 132 + rng.choice(hits)
                buf[pos : pos + 2] = rng.choice(_VRS)
        elif kind == "length" and pos + 4 <= len(buf):
            # a length field's worth of bytes: huge, small, undefined, odd
            value = rng.choice((value, value & 0xFF, 0xFFFFFFFF, (value & 0xFFFF) | 1))
            buf[pos : pos + 4] = struct.pack("<I", value)
        elif kind == "delimiter" and pos + 8 <= len(buf):
            tag = (_ITEM, b"\xfe\xff\x0d\xe0", b"\xfe\xff\xdd\xe0")[value % 3]
            length = value % 0x10000 if value & 1 else 0xFFFFFFFF
            buf[pos : pos + 8] = tag + struct.pack("<I", length)
        elif kind == "insert":
            buf[pos:pos] = struct.pack("<I", value) * (1 + value % 3)
        elif kind == "item":
            # an item of the file, header and all, spliced in somewhere else
            starts = [m.start() for m in re.finditer(re.escape(_ITEM), bytes(buf))]
            if starts:
                at = rng.choice(starts)
                (length,) = struct.unpack_from("<I", buf, at + 4) if at + 8 <= len(buf) else (0,)
                size = 8 + (length if length != 0xFFFFFFFF else rng.randrange(64))
                buf[pos:pos] = buf[at : at + min(size, 4096)]
        elif kind == "junk":
            buf[pos : pos + 16] = rng.randbytes(rng.randrange(1, 17))
        done.append(f"{kind}@{pos}")
    return bytes(buf), done


def sop_class(data: bytes) -> str:
    """The SOP Class UID a file's meta names ("" when none is found)."""
    at = data.find(b"\x02\x00\x02\x00UI", 128, 512)
    if at < 0:
        return ""
    (length,) = struct.unpack_from("<H", data, at + 6)
    return data[at + 8 : at + 8 + length].rstrip(b"\0 ").decode("ascii", "replace")


def _function(name: str) -> Any:
    module, _, attr = name.partition(":")
    return getattr(importlib.import_module(module), attr)


def own_error(exc: BaseException, path: Path | None = None) -> bool:
    """An error iodkit defines (and, with ``path``, whose message names the file)."""
    mod = type(exc).__module__ or ""
    return mod.startswith("iodkit.") and (path is None or names(exc, path))


def names(exc: BaseException, path: Path) -> bool:
    """The message of ``exc`` says which file it is about."""
    return path.name in str(exc) or str(path) in str(exc)


_IODKIT = Path(importlib.import_module("iodkit").__file__ or "").resolve().parent


def hidden_failure(exc: BaseException) -> BaseException | None:
    """A foreign exception behind iodkit's error ``exc`` (its ``__cause__`` chain) that says
    more than "the file is damaged": one raised by iodkit's own code — ``int()`` of a value it
    did not check, a method of the wrong type — or a MemoryError (a size believed before it
    was checked against the file). The readers' guard turns these into the reader's error too,
    but each is a fault to fix where it happens; None when there is none."""
    seen: set[int] = set()
    cause = exc.__cause__
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, MemoryError):
            return cause
        if not own_error(cause):
            tb = traceback.extract_tb(cause.__traceback__)
            if tb and Path(tb[-1].filename).resolve().is_relative_to(_IODKIT):
                return cause
        cause = cause.__cause__
    return None


def check_reader(reader: Reader, path: Path) -> str | None:
    """Open and read ``path``; None when all went as documented, else what went wrong.

    Opening and reading may raise only iodkit's own errors, naming the file (issue 12: "each
    naming the file and the problem"), with no fault of iodkit's own code behind them
    (:func:`hidden_failure`)."""
    try:
        opened = _function(reader.opens)(str(path))
    except Exception as exc:
        return _judged(exc, reader.opens, path)
    try:
        for attr in reader.reads:
            try:
                if attr.startswith("each:"):
                    for element in opened:
                        _read(element, attr.removeprefix("each:"))
                else:
                    _read(opened, attr)
            except Exception as exc:  # on what is already open: the same rules
                problem = _judged(exc, f"{reader.name}.{attr}", path)
                if problem:
                    return problem
    finally:
        close = getattr(opened, "close", None)
        if callable(close):
            try:
                close()
            except Exception as exc:  # closing must not fail either
                return _failure(exc, f"{reader.name}.close")
    return None


def mutant_failures(reader: Reader, data: bytes, path: Path, seed: str, count: int) -> list[str]:
    """What went wrong with ``count`` seeded mutants of ``data`` (``random.Random(f"{seed}:{n}")``
    for mutant ``n``), each written to ``path`` and judged by :func:`check_reader`: the loop of
    the tests that hold one reader to these rules on one file."""
    failures = []
    for n in range(count):
        mutant, done = mutate(data, random.Random(f"{seed}:{n}"))
        path.write_bytes(mutant)
        problem = check_reader(reader, path)
        if problem is not None:
            failures.append(f"mutant {n} ({', '.join(done)}): {problem}")
    return failures


def _judged(exc: Exception, where: str, path: Path) -> str | None:
    if not own_error(exc) or not names(exc, path):
        return _failure(exc, where)
    hidden = hidden_failure(exc)
    if hidden is not None:
        return _failure(hidden, f"{where} (behind {type(exc).__name__})")
    return None


def _read(obj: Any, attr: str) -> None:
    attr, _, flag = attr.partition("?")
    if flag and bool(getattr(obj, flag.lstrip("!"), False)) == flag.startswith("!"):
        return
    value = getattr(obj, attr, None)
    if callable(value):
        value()


def _failure(exc: BaseException, where: str) -> str:
    tb = traceback.extract_tb(exc.__traceback__)
    last = tb[-1] if tb else None
    at = f"{Path(last.filename).name}:{last.lineno}" if last else "?"
    return f"{where}: {type(exc).__module__}.{type(exc).__name__} at {at}: {str(exc)[:160]}"


def failure_kind(problem: str) -> str:
    """The kind of a :func:`check_reader` failure: "foreign exception" (not one of iodkit's
    errors), "file not named" (iodkit's own error, whose message does not say which file),
    "memory" (an allocation the file's size did not allow, even behind iodkit's error) or
    "iodkit code failed" (iodkit's error made at the reader's boundary from a foreign
    exception of iodkit's own code, see :func:`hidden_failure`)."""
    where, _, rest = problem.partition(": ")
    raised = rest.split(" at ", 1)[0]
    if raised.endswith("MemoryError"):
        return "memory"
    if "(behind " in where:
        return "iodkit code failed"
    return "file not named" if raised.startswith("iodkit.") else "foreign exception"


def check_validator(data: bytes) -> str | None:
    from iodkit.validation import validate_bytes

    try:
        findings = validate_bytes(data)
    except Exception as exc:
        return _failure(exc, "validate")
    stopped = [f for f in findings if f.message.startswith("validation stopped")]
    return f"validate: guard fired: {stopped[0].message[:200]}" if stopped else None


#: address space a worker may take (``--memory``): the corpus' files are ≤ 1.5 MB and what
#: iodkit writes is small, so a reader that needs more has believed a damaged size
MEMORY_LIMIT = 3 * 1024**3


def _limit_memory(limit: int = MEMORY_LIMIT) -> None:
    """Let a mutant that makes a reader allocate without bound fail as MemoryError (a finding,
    "memory") rather than take the shared machine's memory."""
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):
        pass


def work(
    job: tuple[int, int, int, list[str], tuple[str, ...]],
) -> tuple[Counter[str], list[tuple[str, str]]]:
    """Mutants ``start`` to ``stop`` of the run with ``seed``, checked here (by the validator
    and the readers named in ``only``, or by all when it is empty)."""
    import warnings

    warnings.simplefilter("ignore")
    start, stop, seed, files, only = job
    counts: Counter[str] = Counter()
    failures: list[tuple[str, str]] = []
    corpus = [(Path(f), Path(f).read_bytes()) for f in files]
    with tempfile.TemporaryDirectory(prefix="iodkit-fuzz-") as tmp:
        for n in range(start, stop):
            rng = random.Random(f"{seed}:{n}")
            source, data = corpus[rng.randrange(len(corpus))]
            mutant, ops = mutate(data, rng)
            label = f"mutant {n} of {source.name} ({', '.join(ops)})"
            counts["mutants"] += 1
            if not only or "validate" in only:
                problem = check_validator(mutant)
                counts["validated"] += 1
                if problem:
                    counts["validator failures"] += 1
                    failures.append((label, problem))
            uid = sop_class(data)
            path = Path(tmp) / f"mutant-{n}-{source.name}"
            for reader in READERS:
                if uid not in reader.sop_classes and rng.randrange(50):
                    continue
                if only and reader.name not in only:
                    continue  # after the draw above: the same mutants meet the same readers
                path.write_bytes(mutant)
                counts[f"read by {reader.name}"] += 1
                problem = check_reader(reader, path)
                if problem:
                    counts[f"{reader.name} failures: {failure_kind(problem)}"] += 1
                    failures.append((f"{label} [{reader.name}]", problem))
            path.unlink(missing_ok=True)
    return counts, failures


def corpus_files(root: Path) -> list[str]:
    # files up to 1.5 MB: every kind of object the corpus has, at a pace of thousands a minute
    return [str(p) for p in sorted(root.rglob("*.dcm")) if p.stat().st_size <= 1_500_000]


def own_objects(folder: Path) -> list[str]:
    """The objects iodkit writes — the demo's SEGs, Parametric Map, Legacy Converted CT, SR,
    presentation state, slide and annotations, and one of its CT slices — written into
    ``folder``, so that every reader meets mutants of its own kind of object, also where the
    test data has none (no Parametric Map, no presentation state there)."""
    run = subprocess.run(
        [sys.executable, "-m", "iodkit.demo", "--out", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    if run.returncode:
        tail = (run.stdout + run.stderr).strip().splitlines()[-3:]
        print("fuzz: the demo failed; its objects are left out:", *tail, sep="\n  ")
    written = [p for p in sorted(folder.rglob("*.dcm")) if p.parent.name != "ct"]
    return [str(p) for p in written + sorted(folder.glob("ct/*.dcm"))[:1]]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mutants", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--testdata", type=Path, default=TESTDATA)
    ap.add_argument(
        "--readers",
        default="",
        help="only these readers, comma-separated (e.g. sr,seg), and no validator unless "
        "'validate' is one of them (default: the validator and every reader)",
    )
    ap.add_argument(
        "--memory",
        type=float,
        default=MEMORY_LIMIT / 1024**3,
        help="GiB of address space a worker may take (default: %(default)s)",
    )
    ap.add_argument(
        "--own",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also mutate the objects iodkit's demo writes (default: yes)",
    )
    args = ap.parse_args(argv)
    if not args.testdata.is_dir():
        print(f"fuzz: no test data at {args.testdata} (set IODKIT_TESTDATA)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="iodkit-fuzz-own-") as own:
        files = corpus_files(args.testdata) + (own_objects(Path(own)) if args.own else [])
        return run(args, files)


def run(args: argparse.Namespace, files: list[str]) -> int:
    """Mutants of ``files`` in ``args.jobs`` processes; the counts and the first failures."""
    started = time.perf_counter()
    only = tuple(name for name in getattr(args, "readers", "").split(",") if name)
    unknown = set(only) - {r.name for r in READERS} - {"validate"}
    if unknown:
        print(f"fuzz: no reader named {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    step = max(1, args.mutants // (args.jobs * 8))
    jobs = [
        (a, min(a + step, args.mutants), args.seed, files, only)
        for a in range(0, args.mutants, step)
    ]
    counts: Counter[str] = Counter()
    failures: list[tuple[str, str]] = []
    if args.jobs > 1:
        import multiprocessing as mp

        limit = int(args.memory * 1024**3)
        with mp.get_context("fork").Pool(args.jobs, _limit_memory, (limit,)) as pool:
            for c, f in pool.imap_unordered(work, jobs):
                counts.update(c)
                failures.extend(f)
    else:
        _limit_memory(int(args.memory * 1024**3))
        for job in jobs:
            c, f = work(job)
            counts.update(c)
            failures.extend(f)
    elapsed = time.perf_counter() - started
    print(f"fuzz: seed {args.seed}, {len(files)} files, {elapsed:.0f} s")
    for key, value in sorted(counts.items()):
        print(f"  {key}: {value}")
    kinds: dict[str, list[tuple[str, str]]] = {}
    for label, problem in failures:
        kinds.setdefault(problem.split(" at ")[0], []).append((label, problem))
    for kind, hits in sorted(kinds.items()):
        print(f"\n{len(hits)} × {kind}")
        for label, problem in hits[:3]:
            print(f"  {label}\n    {problem}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())

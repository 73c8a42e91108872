"""Generator and import benchmarks (issues "The spine", parts 1 and 2).

1. Building the full spec from the 2024c chunked XHTML (``build_edition``), 2 processes.
2. Full ``iodkit generate`` (spec + YAML + plan + render + write) into a fresh folder.
3. Import cost in fresh interpreters: ``import pydicom`` vs ``import iodkit`` vs
   ``import iodkit.builders`` (which imports pydicom and registers the edition's dictionary
   additions), and importing one IOD builder (``SegmentationIOD``) once pydicom is loaded.
4. Size of ``generated/`` per folder.

Needs the standard (``IODKIT_STANDARD``, default ../shared/standard). ``--quick``: one run each.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).parent / "results"


def _standard() -> Path:
    return Path(os.environ.get("IODKIT_STANDARD", ROOT.parent / "shared" / "standard")) / "2024c"


def _median(times: list[float]) -> float:
    return statistics.median(times)


def bench_spec(runs: int) -> dict[str, float]:
    from iodkit.codegen.spec.build import build_edition

    times = []
    for _ in range(runs):
        t = time.perf_counter()
        build_edition(_standard())
        times.append(time.perf_counter() - t)
    return {"spec_build_median_s": _median(times), "spec_build_min_s": min(times)}


def bench_generate(runs: int) -> dict[str, float]:
    from iodkit.codegen.cli_generate import generate

    totals, stages = [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            stats = generate(_standard(), Path(tmp), quiet=True)
        totals.append(stats["total"])
        stages.append(stats)
    best = min(stages, key=lambda s: s["total"])
    return {
        "generate_median_s": _median(totals),
        "generate_min_s": min(totals),
        **{
            f"generate_stage_{k}_s": v
            for k, v in best.items()
            if k not in ("files", "written", "removed", "total")
        },
    }


def _import_env() -> dict[str, str]:
    """Byte-code caching on (into a private folder), as an installed package has it: with
    PYTHONDONTWRITEBYTECODE every start would compile the generated dictionary and builders."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(Path(tempfile.gettempdir()) / "iodkit-bench-pycache")
    return env


def _import_once(statement: str, setup: str = "") -> float:
    code = (
        f"import time\n{setup}\nt = time.perf_counter()\n{statement}\n"
        "print(time.perf_counter() - t)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=_import_env()
    )
    return float(out.stdout.strip().splitlines()[-1])


def _import_time(statement: str, setup: str = "", runs: int = 9) -> float:
    _import_once(statement, setup)  # warm the byte-code cache
    return _median([_import_once(statement, setup) for _ in range(runs)])


def bench_imports(runs: int) -> dict[str, float]:
    # pydicom and iodkit.builders alternate, and their difference is taken pair by pair: the
    # machine's speed drifts more between two series of runs than the difference itself.
    # Which of the two runs second is swapped every pair (the second start of a pair is
    # measurably slower here, ~20 ms), so the median difference is not biased by the order.
    pairs = []
    _import_once("import iodkit.builders")
    for i in range(2 * runs):
        if i % 2:
            b = _import_once("import iodkit.builders")
            a = _import_once("import pydicom")
        else:
            a = _import_once("import pydicom")
            b = _import_once("import iodkit.builders")
        pairs.append((a, b, b - a))
    return {
        "import_pydicom_ms": 1000 * _median([p[0] for p in pairs]),
        "import_iodkit_ms": 1000 * _import_time("import iodkit", runs=runs),
        "import_iodkit_builders_ms": 1000 * _median([p[1] for p in pairs]),
        "import_iodkit_builders_minus_pydicom_ms": 1000 * _median([p[2] for p in pairs]),
        "import_segmentation_iod_after_pydicom_ms": 1000
        * _import_time(
            "from iodkit.generated.iods import SegmentationIOD",
            setup="import pydicom, pydicom.dataset, iodkit.builders",
            runs=runs,
        ),
        "import_ct_image_iod_after_pydicom_ms": 1000
        * _import_time(
            "from iodkit.generated.iods import CTImageIOD",
            setup="import pydicom, pydicom.dataset, iodkit.builders",
            runs=runs,
        ),
    }


def generated_size() -> dict[str, float]:
    out: dict[str, float] = {}
    for sub in ("modules", "iods", "codes", "rules", "spec"):
        files = [
            p
            for p in (ROOT / "generated" / sub).rglob("*")
            if p.is_file() and "__pycache__" not in p.parts
        ]
        out[f"generated_{sub}_files"] = len(files)
        out[f"generated_{sub}_MB"] = sum(p.stat().st_size for p in files) / 1e6
    out["generated_total_MB"] = sum(v for k, v in out.items() if k.endswith("_MB"))
    return out


def main(options: list[str]) -> None:
    quick = "--quick" in options
    if not (_standard() / "chtml" / "part03").is_dir():
        print(f"the 2024c standard is not at {_standard()}; set IODKIT_STANDARD")
        return
    results: dict[str, float] = {}
    results.update(bench_spec(1 if quick else 3))
    results.update(bench_generate(1 if quick else 3))
    results.update(bench_imports(3 if quick else 9))
    results.update(generated_size())
    width = max(len(k) for k in results)
    for k, v in results.items():
        print(f"{k:<{width}}  {v:10.3f}")
    print(
        "import iodkit.builders - import pydicom (median of paired runs): "
        f"{results['import_iodkit_builders_minus_pydicom_ms']:+.1f} ms"
    )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bench_codegen.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])

"""Run all benchmarks, or those whose name contains one of the given words.

python -m bench            # every bench/bench_*.py
python -m bench pixels     # only bench_pixels.py
python -m bench --quick    # options after the names are passed to each module's main()
python -m bench --help     # this text and the benchmark names; runs nothing
"""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path


def discover() -> list[str]:
    return sorted(p.stem for p in Path(__file__).parent.glob("bench_*.py"))


def main(argv: list[str]) -> int:
    if "-h" in argv or "--help" in argv:
        # a benchmark run takes many minutes: asking for help must not start one
        print(__doc__.strip())
        print(f"\navailable: {', '.join(n.removeprefix('bench_') for n in discover())}")
        return 0
    words = [a for a in argv if not a.startswith("-")]
    options = [a for a in argv if a.startswith("-")]
    names = [n for n in discover() if not words or any(w in n for w in words)]
    if not names:
        print(f"no benchmark matches {words}; available: {', '.join(discover())}")
        return 1
    for name in names:
        print(f"\n=== {name} ===", flush=True)
        started = time.perf_counter()
        module = importlib.import_module(f"bench.{name}")
        module.main(options)
        print(f"=== {name}: {time.perf_counter() - started:.1f} s ===", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

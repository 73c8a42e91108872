"""The sources of the validator's compiled modules (:data:`iodkit.speedups.MODULES`), for
make's dependencies (``make compiled``). make asks before iodkit is installed, so
``runtime/speedups.py`` (standard library only) is loaded by its path."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNTIME = ROOT / "runtime"

spec = importlib.util.spec_from_file_location("iodkit_speedups", RUNTIME / "speedups.py")
assert spec is not None and spec.loader is not None
speedups = importlib.util.module_from_spec(spec)
spec.loader.exec_module(speedups)
print(" ".join(str(speedups.source_of(m, RUNTIME).relative_to(ROOT)) for m in speedups.MODULES))

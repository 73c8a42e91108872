"""``make compiled``: the sources the compiled validator modules come from, for make's
dependencies (``--sources``, read without importing iodkit: make asks before the package is
installed), and otherwise ``iodkit compile`` (:mod:`iodkit.compile`).

    python tools/compile.py --sources  # the files a build reads
    python tools/compile.py            # iodkit compile
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNTIME = ROOT / "runtime"


def modules() -> tuple[str, ...]:
    """:data:`iodkit.speedups.MODULES`, read from its source."""
    tree = ast.parse((RUNTIME / "speedups.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "MODULES" for t in node.targets
        ):
            return tuple(ast.literal_eval(node.value))
    raise SystemExit("runtime/speedups.py defines no MODULES")


def main(argv: list[str]) -> int:
    if "--sources" in argv:
        files = [RUNTIME.joinpath(*m.split(".")[1:]).with_suffix(".py") for m in modules()]
        print(" ".join(str(p.relative_to(ROOT)) for p in files))
        return 0
    from iodkit.cli import main as iodkit

    return iodkit(["compile", *argv])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

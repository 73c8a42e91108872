"""Package discovery for iodkit's three mapped folders.

pyproject.toml maps ``iodkit`` -> ``runtime/``, ``iodkit.generated`` -> ``generated/`` and
``iodkit.codegen`` -> ``codegen/``. setuptools' automatic discovery cannot follow such a mapping,
so the sub-packages are found here by walking each folder for ``__init__.py``.
"""

from pathlib import Path

from setuptools import setup

ROOTS = {"iodkit": "runtime", "iodkit.generated": "generated", "iodkit.codegen": "codegen"}


def _packages() -> list[str]:
    found: list[str] = []
    for name, folder in ROOTS.items():
        root = Path(__file__).parent / folder
        for init in sorted(root.rglob("__init__.py")):
            rel = init.parent.relative_to(root)
            found.append(".".join([name, *rel.parts]) if rel.parts else name)
    return found


setup(packages=_packages())

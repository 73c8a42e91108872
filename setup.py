"""Package discovery for iodkit's mapped folders.

pyproject.toml maps ``iodkit`` -> ``runtime/``, ``iodkit.generated`` -> ``generated/``,
``iodkit.templates`` -> ``generated/templates/`` and ``iodkit.codegen`` -> ``codegen/``.
setuptools' automatic discovery cannot follow such a mapping, so the sub-packages are found
here by walking each folder for ``__init__.py``; a folder mapped to a name of its own (the
generated template builders) is packaged only under that name.
"""

from pathlib import Path

from setuptools import setup

ROOTS = {
    "iodkit": "runtime",
    "iodkit.generated": "generated",
    "iodkit.templates": "generated/templates",
    "iodkit.codegen": "codegen",
}


def _packages() -> list[str]:
    here = Path(__file__).parent
    roots = {here / folder for folder in ROOTS.values()}
    found: list[str] = []
    for name, folder in ROOTS.items():
        root = here / folder
        for init in sorted(root.rglob("__init__.py")):
            owners = [r for r in roots if r != root and r in init.parents and root in r.parents]
            if owners:
                continue  # under a folder mapped to a name of its own
            rel = init.parent.relative_to(root)
            found.append(".".join([name, *rel.parts]) if rel.parts else name)
    return found


setup(packages=_packages())

"""Template builders generated from PS3.16: ``from iodkit.templates import tid1500``.

One module per template (``tid1500``, ``tid1410``, ``tid10003a`` …), each with a builder
class whose typed arguments are the template's rows (see :mod:`iodkit.sr.template`). The
modules are generated into ``generated/templates/`` (``make generate``; never edited by hand)
and served from there under this package's name, so that ``import iodkit.templates.tid1500``
and the generated modules' own references all name one module.
"""

from __future__ import annotations

from pathlib import Path

import iodkit.generated

# the generated folder is this package's path: its modules load as iodkit.templates.tidNNNN
__path__ = [str(Path(iodkit.generated.__file__).parent / "templates")]


def template_class(tid: str | int) -> type:
    """The builder class of template ``tid`` ("1500", 1410, "10003A")."""
    import importlib

    from iodkit.generated.templates import TEMPLATES

    key = str(tid).upper()
    if key not in TEMPLATES:
        raise KeyError(f"TID {tid} is not a template of the generated edition")
    module, name = TEMPLATES[key]
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)  # type: ignore[no-any-return]

"""pydicom's plain-data modules (its data dictionary, its SNOMED RT → CT mapping), loaded on
their own, without importing the ``pydicom`` package.

Importing ``pydicom`` brings NumPy, pydicom's pixel handlers and its SR concept dictionaries:
~0.5 s of CPU, more than validating dozens of files (``iodkit validate`` over the test corpus
paid it for the first SR document with an SRT code, an eighth of a 550-file run). The
validator needs only tables from pydicom, and these files are literals with no imports, so
each is run from its own file (byte code cached as the import system caches it). When pydicom
is already loaded its module is used.
"""

from __future__ import annotations

import importlib.util
import sys
from functools import lru_cache
from pathlib import Path
from types import ModuleType


@lru_cache(maxsize=8)
def data_module(name: str) -> ModuleType:
    """pydicom's module ``name`` (``"pydicom._dicom_dict"``, ``"pydicom.sr._snomed_dict"``): the
    one in ``sys.modules`` when pydicom has loaded it, else run from its file on its own."""
    loaded = sys.modules.get(name)
    if loaded is not None:
        return loaded
    try:
        spec = importlib.util.find_spec("pydicom")  # locates the package, does not import it
        origin = spec.origin if spec is not None else None
        if origin is None:
            raise ImportError("pydicom not found")
        path = Path(origin).parent.joinpath(*name.split(".")[1:]).with_suffix(".py")
        file_spec = importlib.util.spec_from_file_location("_iodkit_" + name, path)
        if file_spec is None or file_spec.loader is None:
            raise ImportError(f"cannot load {path}")
        mod = importlib.util.module_from_spec(file_spec)
        file_spec.loader.exec_module(mod)
    except (ImportError, OSError):  # pragma: no cover - an odd pydicom layout
        return importlib.import_module(name)
    return mod

"""Parametric Maps: NumPy values in, DICOM Parametric Map instances out, and back (PS3.3 A.75).

Writing::

    from iodkit.codes import Code, cid7203
    from iodkit.pm import ParametricMap, RealWorldValueMapping

    probability = RealWorldValueMapping.identity(
        "probability", "Model probability of liver", Code("1", "UCUM", "no units"))
    ParametricMap(p.astype("float32"), ct_datasets, probability,
                  derivation=cid7203.SEGMENTATION).save("liver-p.dcm")

Reading (ours, highdicom's, dcmqi's)::

    from iodkit.pm import read_parametric_map
    with read_parametric_map("liver-p.dcm") as pm:
        volume = pm.get_volume()          # real-world values and the affine

Modules: :mod:`~iodkit.pm.writer` (:class:`ParametricMap`), :mod:`~iodkit.pm.reader`
(:class:`ParametricMapReader`), :mod:`~iodkit.pm.mapping` (:class:`RealWorldValueMapping`),
:mod:`~iodkit.pm.values` (what values a map may hold). The rest is :mod:`iodkit.derived`.
"""

from iodkit.pm.errors import ParametricMapError, ParametricMapReadError
from iodkit.pm.mapping import RealWorldValueMapping
from iodkit.pm.reader import ParametricMapReader, read_parametric_map
from iodkit.pm.writer import PARAMETRIC_MAP_STORAGE, ParametricMap

__all__ = [
    "PARAMETRIC_MAP_STORAGE",
    "ParametricMap",
    "ParametricMapError",
    "ParametricMapReadError",
    "ParametricMapReader",
    "RealWorldValueMapping",
    "read_parametric_map",
]

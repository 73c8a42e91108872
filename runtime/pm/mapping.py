"""Real World Value Mapping: what a Parametric Map's stored values mean (PS3.3 C.7.6.16.2.11).

A :class:`RealWorldValueMapping` becomes one item of the Real World Value Mapping Sequence
(Table C.7.6.16-12b) through the generated builder: the range of stored values it maps (First
/ Last Value Mapped: US/SS for integer pixels, the Double Float pair for float pixels), the
mapping — linear, ``RV = slope × SV + intercept``, or a lookup table whose first entry is the
first value mapped (integer pixels only: C.7.6.16.2.11.1.2; for Float and Double Float Pixel
Data the standard requires slope and intercept) — its label and explanation, the units (a
UCUM code, CID 7181 "Abstract Multi-dimensional Image Model Component Unit", e.g.
``cid7181``'s ``Code("1", "UCUM", "no units")``) and optionally the quantity (Quantity
Definition Sequence: the concept (246205007, SCT, "Quantity") with a value from CID 7180,
TID 15400).

Lookup tables must be monotonic: the standard does not say so, but a real-world scale that
goes up and down maps two stored values to one quantity and cannot be inverted, which in a
quantitative map is almost always a mistake (a table in the wrong order, a wrapped integer);
iodkit refuses it rather than write it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from iodkit.codes import Code, CodeLike, as_code
from iodkit.datavalues import float_of, floats_of, items_of
from iodkit.pm.errors import ParametricMapError
from pydicom.dataset import Dataset

#: (246205007, SCT, "Quantity"): the concept name of a Quantity Definition item (TID 15400).
QUANTITY = Code("246205007", "SCT", "Quantity")


@dataclass(frozen=True)
class RealWorldValueMapping:
    """One way to read stored values as real-world values.

    ``label`` (LUT Label, SH) and ``explanation`` (LUT Explanation, LO) name it; ``units`` is
    a coded unit (UCUM); give ``slope``/``intercept`` or ``lut`` (a 1-D table, integer pixels
    only). ``first_value_mapped``/``last_value_mapped`` default to the range of the stored
    values (the table's length for a LUT starting at ``first_value_mapped``, default 0).
    """

    label: str
    explanation: str
    units: CodeLike
    slope: float | None = None
    intercept: float | None = None
    lut: Sequence[float] | np.ndarray | None = None
    first_value_mapped: float | None = None
    last_value_mapped: float | None = None
    quantity: CodeLike | None = None

    def __post_init__(self) -> None:
        # pydicom's and highdicom's codes become iodkit Codes now (and anything else is
        # refused now), not when the map is written
        name = f"real world value mapping {self.label!r}"
        object.__setattr__(self, "units", as_code(self.units, f"{name}: units"))
        if self.quantity is not None:
            object.__setattr__(self, "quantity", as_code(self.quantity, f"{name}: quantity"))

    @classmethod
    def identity(
        cls, label: str, explanation: str, units: CodeLike, **kw: Any
    ) -> RealWorldValueMapping:
        """Stored values are the real-world values (slope 1, intercept 0)."""
        return cls(label, explanation, units, slope=1.0, intercept=0.0, **kw)

    @property
    def is_linear(self) -> bool:
        return self.lut is None

    def check(self, floating: bool, value_range: tuple[float, float] | None) -> None:
        """Refuse what the standard does not allow for these pixels (see the module
        docstring), naming the mapping."""
        name = f"real world value mapping {self.label!r}"
        if not self.label or len(self.label) > 16:
            raise ParametricMapError(f"{name}: LUT Label must have 1…16 characters (SH)")
        if not self.explanation or len(self.explanation) > 64:
            raise ParametricMapError(f"{name}: LUT Explanation must have 1…64 characters (LO)")
        code = getattr(self.units, "value", None)
        if code is None:
            raise ParametricMapError(f"{name}: units must be a Code (UCUM), got {self.units!r}")
        if (self.lut is None) == (self.slope is None or self.intercept is None):
            raise ParametricMapError(
                f"{name}: give slope and intercept, or a lut (C.7.6.16.2.11.1.2)"
            )
        if self.lut is None:
            assert self.slope is not None and self.intercept is not None
            if not (math.isfinite(self.slope) and math.isfinite(self.intercept)):
                raise ParametricMapError(f"{name}: slope and intercept must be finite numbers")
            if self.slope == 0:
                raise ParametricMapError(f"{name}: a slope of 0 maps every value to one")
        else:
            if floating:
                raise ParametricMapError(
                    f"{name}: Float and Double Float Pixel Data are mapped by slope and "
                    "intercept only (Real World Value Intercept/Slope are required for them, "
                    "Table C.7.6.16-12b); a lookup table needs integer pixels"
                )
            table = np.asarray(self.lut, dtype=np.float64)
            if table.ndim != 1 or len(table) < 2:
                raise ParametricMapError(f"{name}: the lut must be a 1-D table of ≥ 2 entries")
            if not np.isfinite(table).all():
                raise ParametricMapError(f"{name}: the lut holds NaN or infinity")
            steps = np.sign(np.diff(table))
            rising = steps[steps != 0][:1]
            against = np.flatnonzero(steps == -rising[0]) if len(rising) else np.array([], int)
            if len(against):
                k = int(against[0])
                raise ParametricMapError(
                    f"{name}: the lut is not monotonic — entry {k} is {table[k]:g} and entry "
                    f"{k + 1} is {table[k + 1]:g}, against the direction of the entries before; "
                    "a real-world scale must not map two stored values to one quantity"
                )
        first, last = self.range(value_range)
        if first > last:
            raise ParametricMapError(f"{name}: first value mapped {first:g} > last {last:g}")
        if value_range is not None and self.lut is not None:
            low, high = value_range
            if low < first or high > last:
                raise ParametricMapError(
                    f"{name}: stored values {low:g}…{high:g} lie outside the lut's range "
                    f"{first:g}…{last:g}"
                )

    def range(self, value_range: tuple[float, float] | None) -> tuple[float, float]:
        """(first, last) stored value mapped."""
        if self.lut is not None:
            first = 0.0 if self.first_value_mapped is None else float(self.first_value_mapped)
            return first, first + len(self.lut) - 1
        low, high = value_range if value_range is not None else (0.0, 0.0)
        first = low if self.first_value_mapped is None else float(self.first_value_mapped)
        last = high if self.last_value_mapped is None else float(self.last_value_mapped)
        return first, last

    def item(self, floating: bool, value_range: tuple[float, float] | None) -> Any:
        """The Real World Value Mapping Sequence item (builder), checked."""
        from iodkit.generated.modules.real_world_value_mapping_item_macro import (
            RealWorldValueMappingItemMacro,
        )

        self.check(floating, value_range)
        first, last = self.range(value_range)
        values: dict[str, Any] = {
            "lut_explanation": self.explanation,
            "lut_label": self.label,
            "measurement_units_code_sequence": [self.units],
        }
        if floating:
            values["double_float_real_world_value_first_value_mapped"] = first
            values["double_float_real_world_value_last_value_mapped"] = last
        else:
            values["real_world_value_first_value_mapped"] = int(first)
            values["real_world_value_last_value_mapped"] = int(last)
        if self.lut is None:
            values["real_world_value_intercept"] = float(self.intercept)  # type: ignore[arg-type]
            values["real_world_value_slope"] = float(self.slope)  # type: ignore[arg-type]
        else:
            values["real_world_value_lut_data"] = [float(v) for v in np.asarray(self.lut)]
        if self.quantity is not None:
            values["quantity_definition_sequence"] = [
                {
                    "value_type": "CODE",
                    "concept_name_code_sequence": [QUANTITY],
                    "concept_code_sequence": [self.quantity],
                }
            ]
        return RealWorldValueMappingItemMacro(**values)

    @classmethod
    def from_item(cls, item: Dataset) -> RealWorldValueMapping:
        """Read a Real World Value Mapping Sequence item (any writer's)."""
        units = items_of(item, "MeasurementUnitsCodeSequence")
        quantity = None
        for q in items_of(item, "QuantityDefinitionSequence"):
            concepts = items_of(q, "ConceptCodeSequence")
            if concepts:
                quantity = Code.from_dataset(concepts[0])
        if "DoubleFloatRealWorldValueFirstValueMapped" in item:
            first = float_of(item, "DoubleFloatRealWorldValueFirstValueMapped")
            last = float_of(item, "DoubleFloatRealWorldValueLastValueMapped")
        else:
            first = float_of(item, "RealWorldValueFirstValueMapped", 0.0)
            last = float_of(item, "RealWorldValueLastValueMapped", 0.0)
        lut = item.get("RealWorldValueLUTData")
        return cls(
            label=str(item.get("LUTLabel", "")),
            explanation=str(item.get("LUTExplanation", "")),
            units=Code.from_dataset(units[0]) if units else Code("", "", ""),
            slope=None if lut is not None else float_of(item, "RealWorldValueSlope"),
            intercept=None if lut is not None else float_of(item, "RealWorldValueIntercept"),
            lut=None
            if lut is None
            else np.array(floats_of(item, "RealWorldValueLUTData"), dtype=np.float64),
            first_value_mapped=first,
            last_value_mapped=last,
            quantity=quantity,
        )

    def apply(self, stored: np.ndarray, dtype: Any = np.float64) -> np.ndarray:
        """Real-world values of ``stored`` values.

        A lookup table maps only First…Last Value Mapped: values outside it have no real
        value (C.7.6.16.2.11.1.2) and come back NaN (an integer ``dtype`` raises). A linear
        mapping is applied to every value: writers record its range loosely (dcmqi rounds a
        float map's minimum and maximum to integers), and the formula holds everywhere."""
        out_dtype = np.dtype(dtype)
        if self.lut is None:
            out = stored.astype(out_dtype, copy=True)
            if self.slope != 1.0:
                out *= out_dtype.type(self.slope)
            if self.intercept != 0.0:
                out += out_dtype.type(self.intercept)
            return out
        first, last = self.range(None)
        table = np.asarray(self.lut, dtype=out_dtype)
        index = stored.astype(np.int64) - int(first)
        inside = (index >= 0) & (index < len(table))
        out = table[np.clip(index, 0, len(table) - 1)]
        if not inside.all():
            if out_dtype.kind != "f":
                raise ValueError(
                    f"stored values outside {first:g}…{last:g} have no real-world value in "
                    f"mapping {self.label!r}; ask for a float dtype to get NaN there"
                )
            out[~inside] = np.nan
        return out

    def apply_linear_in_place(self, values: np.ndarray) -> None:
        """``values`` (stored values in a float array) become real-world values in place."""
        assert self.slope is not None and self.intercept is not None
        if self.slope != 1.0:
            values *= values.dtype.type(self.slope)
        if self.intercept != 0.0:
            values += values.dtype.type(self.intercept)

    def matches(self, selector: int | str | Any, index: int) -> bool:
        """Whether ``selector`` (an index, a LUT Label, or a units code) chooses this item."""
        if isinstance(selector, int):
            return selector == index
        if isinstance(selector, str):
            return selector == self.label
        value = getattr(selector, "value", None)
        scheme = getattr(selector, "scheme", getattr(selector, "scheme_designator", None))
        units = as_code(self.units)
        return (value, scheme) == (units.value, units.scheme)

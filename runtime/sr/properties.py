"""Properties of a measurement (PS3.16 TID 310) — normality, significance, selection status —
with the statistics of a reference population (TID 311), the normal range (TID 312) and the
measurement's uncertainty (TID 310 row 5), written through the generated builders and read
back.

Each statistic, limit or uncertainty is a NUM item: a :data:`PropertyValue`, ``(concept name,
value, unit)``. TID 311 takes its names from CID 221 "Measurement Range Concept" (mean,
standard deviation, percentiles … of a population), TID 312 from CID 223 "Normal Range Value"
(upper and lower limit), row 5 from CID 225 "Measurement Uncertainty Concept"; all three groups
are extensible. The items of TID 310-312 are all children of the measurement (HAS PROPERTIES),
so reading sorts them by their names: CID 223 → normal range, CID 225 → uncertainty, any other
NUM → the population's statistics.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import iodkit.templates.tid310 as tid310
import iodkit.templates.tid311 as tid311
import iodkit.templates.tid312 as tid312
from iodkit.codes import Code, CodeLike, is_code_like
from iodkit.sr.content import ContentError, ContentItem, Numeric, as_code

__all__ = [
    "MeasurementProperties",
    "MeasurementStatisticalProperties",
    "NormalRangeProperties",
    "PropertyValue",
]

#: A statistic, limit or uncertainty: (concept name, value, unit), a NUM item
PropertyValue = tuple[CodeLike, float, CodeLike]

_P, _S, _N = (
    tid310.MeasurementProperties,
    tid311.MeasurementStatisticalProperties,
    tid312.NormalRangeProperties,
)
_NORMALITY, _SIGNIFICANCE, _SELECTION = _P.concept("1"), _P.concept("4"), _P.concept("6")
_POPULATION, _REFERENCE_AUTHORITY = _S.concept("2"), _S.concept("3")
_RANGE_DESCRIPTION, _RANGE_AUTHORITY = _N.concept("2"), _N.concept("3")
_NORMAL_RANGE_CID, _UNCERTAINTY_CID = 223, 225


def _values(values: Any, argument: str) -> list[tuple[Code, float, Code]]:
    if isinstance(values, str) or is_code_like(values) or not isinstance(values, Sequence):
        raise ContentError(f"{argument}: a list of (concept name, value, unit), got {values!r}")
    out = []
    for k, v in enumerate(values):
        if not isinstance(v, tuple | list) or len(v) != 3 or is_code_like(v):
            raise ContentError(f"{argument}[{k}]: (concept name, value, unit), got {v!r}")
        name, number, unit = v
        if isinstance(number, bool) or not isinstance(number, int | float):
            raise ContentError(f"{argument}[{k}]: the value is a number, got {number!r}")
        out.append(
            (as_code(name, f"{argument}[{k}] name"), number, as_code(unit, f"{argument}[{k}] unit"))
        )
    return out


def _authority(value: Any, argument: str) -> str | Code | None:
    if value is None or isinstance(value, str):
        return value
    return as_code(value, argument)


def _nums(items: Sequence[ContentItem]) -> list[PropertyValue]:
    return [
        (i.name, float(i.value.value), i.value.unit)
        for i in items
        if i.name is not None
        and isinstance(i.value, Numeric)
        and i.value.value is not None
        and i.value.unit is not None
    ]


def _named(items: Sequence[ContentItem], code: Code) -> str | Code | None:
    from iodkit.sr.content import same_concept

    found = next((i for i in items if i.name is not None and same_concept(i.name, code)), None)
    return None if found is None else found.value


class _ReferenceValues:
    """What TID 311 and TID 312 share: row 1's values (M), a description (row 2) and an
    authority as text (row 3) XOR a code (row 4); ``ROWS`` names the generated builder's
    arguments for them (values, row 1's class, description, authority text, authority code)."""

    TEMPLATE: ClassVar[Any]
    ROWS: ClassVar[tuple[str, str, str, str, str]]
    values: Sequence[PropertyValue]
    authority: str | CodeLike | None

    def _check(self) -> None:
        what = type(self).__name__
        self.values = _values(self.values, f"{what}.values")
        if not self.values:
            tid = self.TEMPLATE.__tid__
            raise ContentError(f"{what}.values: at least one (TID {tid} row 1 is M)")
        self.authority = _authority(self.authority, f"{what}.authority")

    def _description(self) -> str | None:  # pragma: no cover - each defines it
        raise NotImplementedError

    def builder(self) -> Any:
        values, row, description, text, code = self.ROWS
        t, a = self.TEMPLATE, self.authority
        return t(
            **{
                values: [
                    getattr(t, row)(concept_name=n, value=Numeric(v, u)) for n, v, u in self.values
                ],
                description: self._description(),
                text: a if isinstance(a, str) else None,
                code: None if isinstance(a, str) else a,
            }
        )


@dataclass
class MeasurementStatisticalProperties(_ReferenceValues):
    """TID 311: the measurement among a reference population — ``values`` (row 1, M; names
    of CID 221: mean, standard deviation, percentiles …), ``population_description`` (row 2)
    and ``authority`` (a bibliographic reference as text, row 3, or a code of the including
    template's $RefAuthority, row 4)."""

    TEMPLATE = _S
    ROWS = (
        "measurement_range_concept",
        "MeasurementRangeConcept",
        "population_description",
        "reference_authority_text",
        "reference_authority_code",
    )
    values: Sequence[PropertyValue]
    population_description: str | None = None
    authority: str | CodeLike | None = None

    def __post_init__(self) -> None:
        self._check()

    def _description(self) -> str | None:
        return self.population_description


@dataclass
class NormalRangeProperties(_ReferenceValues):
    """TID 312: the normal range — ``values`` (row 1, M; names of CID 223: Normal Range Upper
    / Lower Limit), ``description`` (row 2) and ``authority`` (text, row 3, or a code of
    $RangeAuthority, row 4)."""

    TEMPLATE = _N
    ROWS = (
        "normal_range_value",
        "NormalRangeValue",
        "normal_range_description",
        "normal_range_authority_text",
        "normal_range_authority_code",
    )
    values: Sequence[PropertyValue]
    description: str | None = None
    authority: str | CodeLike | None = None

    def __post_init__(self) -> None:
        self._check()

    def _description(self) -> str | None:
        return self.description


@dataclass
class MeasurementProperties:
    """TID 310: ``normality`` (row 1, CID 222), ``level_of_significance`` (row 4, CID 220),
    ``selection_status`` (row 6, CID 224), ``statistical_properties`` (TID 311),
    ``normal_range_properties`` (TID 312) and ``uncertainty`` (row 5: values named from CID
    225, e.g. "+/-, range of measurement uncertainty")."""

    normality: CodeLike | None = None
    level_of_significance: CodeLike | None = None
    selection_status: CodeLike | None = None
    statistical_properties: MeasurementStatisticalProperties | None = None
    normal_range_properties: NormalRangeProperties | None = None
    uncertainty: Sequence[PropertyValue] = field(default=())

    def __post_init__(self) -> None:
        self.uncertainty = _values(self.uncertainty, "MeasurementProperties.uncertainty")
        for name, cls in (
            ("statistical_properties", MeasurementStatisticalProperties),
            ("normal_range_properties", NormalRangeProperties),
        ):
            value = getattr(self, name)
            if value is not None and not isinstance(value, cls):
                raise ContentError(f"MeasurementProperties.{name}: a {cls.__name__}, got {value!r}")

    def builder(self) -> Any:
        s, n = self.statistical_properties, self.normal_range_properties
        return _P(
            normality=self.normality,
            measurement_statistical_properties=s.builder() if s else None,
            normal_range_properties=n.builder() if n else None,
            level_of_significance=self.level_of_significance,
            measurement_uncertainty_concept=[
                _P.MeasurementUncertaintyConcept(concept_name=c, value=Numeric(v, u))
                for c, v, u in self.uncertainty
            ]
            or None,
            selection_status=self.selection_status,
        )

    @classmethod
    def from_item(cls, item: ContentItem) -> MeasurementProperties | None:
        """The properties among the measurement ``item``'s children, if any."""
        from iodkit.sr.valuesets import in_group

        props = [c for c in item.children if c.relationship == "HAS PROPERTIES"]
        found = [item.first(c, "CODE") for c in (_NORMALITY, _SIGNIFICANCE, _SELECTION)]
        nums = [c for c in props if c.value_type == "NUM"]
        ranges = [c for c in nums if c.name and in_group(c.name, _NORMAL_RANGE_CID)]
        uncertain = [c for c in nums if c.name and in_group(c.name, _UNCERTAINTY_CID)]
        statistics = [c for c in nums if c not in ranges and c not in uncertain]
        population = _named(props, _POPULATION)
        if not (any(found) or nums):
            return None
        normality, significance, selection = (f.value if f else None for f in found)
        return cls(
            normality,
            significance,
            selection,
            statistical_properties=MeasurementStatisticalProperties(
                _nums(statistics),
                population if isinstance(population, str) else None,
                _named(props, _REFERENCE_AUTHORITY),
            )
            if _nums(statistics)
            else None,
            normal_range_properties=NormalRangeProperties(
                _nums(ranges),
                _text(_named(props, _RANGE_DESCRIPTION)),
                _named(props, _RANGE_AUTHORITY),
            )
            if _nums(ranges)
            else None,
            uncertainty=_nums(uncertain),
        )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None

"""Measurements and qualitative evaluations of a TID 1500 report, written and read back.

:class:`Measurement` is one NUM item and what qualifies it: in a planar or volumetric ROI
group it is PS3.16 TID 1419 row 5 ("ROI Measurements"), in an image group TID 300
("Measurement"); the same dataclass serves both and is built by the generated builders of
whichever template holds it (``iodkit.templates.tid1419`` / ``tid300``), so every row's rule
is checked there. :class:`QualitativeEvaluation` is a coded (or text) name-value pair of TID
1410/1411 rows 12-13, TID 1501 rows 11-12. Read back, each keeps the content item it came
from in ``item``.

Concept names are never typed here: they are the fixed (EV/DT) concept names of the generated
templates' rows (``tid300.Measurement.concept("3")`` is "Measurement Method").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import iodkit.templates.tid300 as tid300
import iodkit.templates.tid320 as tid320
import iodkit.templates.tid1419 as tid1419
import iodkit.templates.tid4019 as tid4019
import iodkit.templates.tid4108 as tid4108
from iodkit.codes import Code, CodeLike, is_code_like
from iodkit.sr.content import (
    ContentError,
    ContentItem,
    Numeric,
    Reference,
    Scoord,
    Scoord3D,
    as_code,
)
from iodkit.sr.properties import MeasurementProperties

__all__ = [
    "AlgorithmIdentification",
    "FindingSite",
    "Measurement",
    "MeasurementProperties",
    "QualitativeEvaluation",
    "reference_to",
]

_ROI = tid1419.ROIMeasurements
_M300 = tid300.Measurement
_LATERALITY = _M300.concept("6")
_TOPOGRAPHICAL_MODIFIER = _M300.concept("7")
_FINDING_SITE = _M300.concept("5")
_METHOD = _M300.concept("3")
_DERIVATION = _M300.concept("4")
_EQUIVALENT_MEANING = _M300.concept("16")
_RWV_MAP = _M300.concept("18")
_ALGORITHM_NAME = tid4019.AlgorithmIdentification.concept("1")
_ALGORITHM_VERSION = tid4019.AlgorithmIdentification.concept("2")
_ALGORITHM_PARAMETERS = tid4019.AlgorithmIdentification.concept("3")
_ALGORITHM_FAMILY = tid4019.AlgorithmIdentification.concept("4")
_TRACKING_ID = tid4108.TrackingIdentifier.concept("1")
_TRACKING_UID = tid4108.TrackingIdentifier.concept("2")


def reference_to(value: Reference | Any, argument: str) -> Reference:
    """A :class:`Reference` from a Reference or a pydicom Dataset (its SOP Class/Instance)."""
    if isinstance(value, Reference):
        return value
    if hasattr(value, "SOPInstanceUID") and hasattr(value, "SOPClassUID"):
        return Reference.to(value)
    raise ContentError(f"{argument}: expected a dataset or a Reference, got {type(value).__name__}")


def _code(value: Any, argument: str) -> Code:
    return as_code(value, argument)


def opt_code(value: Any, argument: str) -> Code | None:
    """``value`` as a Code (any kind :func:`iodkit.codes.as_code` takes), None as None."""
    return None if value is None else as_code(value, argument)


@dataclass
class FindingSite:
    """An anatomic location (Finding Site, SCT 363698007), with laterality and topographical
    modifier (TID 300 rows 5-7, TID 1419 rows 2-4)."""

    site: CodeLike
    laterality: CodeLike | None = None
    topographical_modifier: CodeLike | None = None

    def __post_init__(self) -> None:
        self.site = _code(self.site, "FindingSite.site")
        self.laterality = opt_code(self.laterality, "FindingSite.laterality")
        self.topographical_modifier = opt_code(
            self.topographical_modifier, "FindingSite.topographical_modifier"
        )

    @classmethod
    def of(
        cls, value: FindingSite | CodeLike | Any, argument: str = "finding_sites"
    ) -> FindingSite:
        return value if isinstance(value, FindingSite) else cls(_code(value, argument))

    def builder(self, cls: Any) -> Any:
        return cls(
            value=self.site,
            laterality=self.laterality,
            topographical_modifier=self.topographical_modifier,
        )

    @classmethod
    def from_item(cls, item: ContentItem) -> FindingSite:
        lat = item.first(_LATERALITY, "CODE")
        mod = item.first(_TOPOGRAPHICAL_MODIFIER, "CODE")
        return cls(item.value, lat.value if lat else None, mod.value if mod else None)


@dataclass
class AlgorithmIdentification:
    """The algorithm that made the measurements (TID 4019): name, version, parameters."""

    name: str
    version: str
    parameters: Sequence[str] = ()
    family: CodeLike | None = None

    def __post_init__(self) -> None:
        self.parameters = tuple(self.parameters)

    def builder(self) -> Any:
        return tid4019.AlgorithmIdentification(
            algorithm_name_text=self.name,
            algorithm_version=self.version,
            algorithm_parameters=list(self.parameters) or None,
            algorithm_family=self.family,
        )

    @classmethod
    def from_items(cls, items: Sequence[ContentItem]) -> AlgorithmIdentification | None:
        by = {(i.name.value, i.name.scheme): i for i in items if i.name is not None}
        name = by.get((_ALGORITHM_NAME.value, _ALGORITHM_NAME.scheme))
        if name is None or name.value_type != "TEXT":
            return None
        version = by.get((_ALGORITHM_VERSION.value, _ALGORITHM_VERSION.scheme))
        params = [
            i.value
            for i in items
            if i.name is not None
            and i.name.value == _ALGORITHM_PARAMETERS.value
            and i.value_type == "TEXT"
        ]
        family = by.get((_ALGORITHM_FAMILY.value, _ALGORITHM_FAMILY.scheme))
        return cls(
            name.value, version.value if version else "", params, family.value if family else None
        )


@dataclass
class Measurement:
    """One numeric measurement (TID 300 / TID 1419 row 5): ``name`` (a code, e.g. from CID 7469
    "Generic Intensity and Size Measurement"), ``value`` and ``unit`` (UCUM), or no value and
    a ``qualifier`` (CID 42) saying why. ``derivation`` (CID 7464: mean, maximum…), ``method``,
    ``finding_sites``, ``properties`` (TID 310), ``algorithm`` (TID 4019) and, in image groups
    (TID 1501) only, ``referenced_images`` / ``referenced_coordinates`` (TID 320) and a
    tracking identifier (TID 4108)."""

    name: CodeLike
    value: float | int | None
    unit: CodeLike | None = None
    qualifier: CodeLike | None = None
    derivation: CodeLike | None = None
    method: CodeLike | None = None
    finding_sites: Sequence[FindingSite | CodeLike] = ()
    properties: MeasurementProperties | None = None
    algorithm: AlgorithmIdentification | None = None
    referenced_images: Sequence[Reference | Any] = ()
    referenced_coordinates: Sequence[tuple[Scoord, Reference | Any] | Scoord3D] = ()
    tracking_identifier: str | None = None
    tracking_uid: str | None = None
    equivalent_meaning: str | None = None
    real_world_value_map: Reference | Any | None = None
    item: ContentItem | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.item is not None:
            return  # read from a file: kept as it is
        self.name = _code(self.name, "Measurement.name")
        what = f"Measurement {self.name.meaning!r}"
        if self.value is not None and self.unit is None:
            raise ContentError(
                f"{what}: unit is required with a value (Measurement Units Code Sequence, "
                "PS3.3 Table C.18.1-1), e.g. Code('mm', 'UCUM', 'millimeter')"
            )
        self.unit = opt_code(self.unit, f"{what}: unit")
        self.qualifier = opt_code(self.qualifier, f"{what}: qualifier")
        self.derivation = opt_code(self.derivation, f"{what}: derivation")
        self.method = opt_code(self.method, f"{what}: method")
        self.finding_sites = [
            FindingSite.of(s, f"{what}: finding_sites")
            for s in as_list(self.finding_sites, f"{what}: finding_sites")
        ]

    @property
    def sites(self) -> list[FindingSite]:
        """The finding sites, each a :class:`FindingSite`."""
        return [FindingSite.of(s) for s in self.finding_sites]

    def numeric(self) -> Numeric:
        return Numeric(self.value, self.unit, self.qualifier)

    def _common(self) -> dict[str, Any]:
        return dict(
            concept_name=self.name,
            value=self.numeric(),
            measurement_method=self.method,
            derivation=self.derivation,
            measurement_properties=self.properties.builder() if self.properties else None,
            algorithm_identification=self.algorithm.builder() if self.algorithm else None,
            real_world_value_map_used_for_measurement=(
                reference_to(self.real_world_value_map, "real_world_value_map")
                if self.real_world_value_map is not None
                else None
            ),
        )

    def roi_builder(self) -> Any:
        """TID 1419 row 5 (in a planar or volumetric ROI group)."""
        if self.referenced_images or self.referenced_coordinates or self.tracking_uid:
            raise ContentError(
                f"Measurement {self.name.meaning!r}: referenced images, coordinates and tracking "
                "identifiers belong to measurements of image groups (TID 300 rows 13, 17); in an "
                "ROI group the region is the group's"
            )
        return _ROI.Measurement(
            **self._common(),
            finding_site=[s.builder(_ROI.Measurement.FindingSite) for s in self.sites] or None,
            equivalent_meaning_of_concept_name=self.equivalent_meaning,
        )

    def tid300_builder(self) -> Any:
        """TID 300 (in an image measurement group, TID 1501 row 10)."""
        coords = []
        for region in self.referenced_coordinates:  # TID 320 rows 3-4 (SCOORD), 6 (SCOORD3D)
            if isinstance(region, Scoord3D):
                coords.append(tid320.ImageOrSpatialCoordinates(purpose_scoord3d=region))
                continue
            scoord, image = region
            coords.append(
                tid320.ImageOrSpatialCoordinates(
                    purpose_scoord=tid320.ImageOrSpatialCoordinates.PurposeScoord(
                        value=scoord,
                        selected_from_image=reference_to(image, "referenced_coordinates"),
                    )
                )
            )
        images = [
            tid320.ImageOrSpatialCoordinates(purpose_image=reference_to(i, "referenced_images"))
            for i in self.referenced_images
        ]
        tracking = None
        if self.tracking_identifier or self.tracking_uid:
            tracking = tid4108.TrackingIdentifier(
                tracking_identifier=self.tracking_identifier,
                tracking_unique_identifier=self.tracking_uid,
            )
        return _M300(
            **self._common(),
            finding_site=[s.builder(_M300.FindingSite) for s in self.sites] or None,
            image_or_spatial_coordinates=images + coords or None,
            tracking_identifier=tracking,
            equivalent_meaning_of_concept_name_text=self.equivalent_meaning,
        )

    @classmethod
    def from_item(cls, item: ContentItem) -> Measurement:
        """The measurement a NUM content item holds (TID 300 or TID 1419 row 5 alike)."""
        value: Numeric = item.value
        sites = [FindingSite.from_item(i) for i in item.find(_FINDING_SITE, "CODE")]
        derivation = item.first(_DERIVATION, "CODE")
        method = item.first(_METHOD, "CODE")
        images = [
            c.value
            for c in item.children
            if c.value_type == "IMAGE" and c.relationship == "INFERRED FROM"
        ]
        coords: list[tuple[Scoord, Reference | Any] | Scoord3D] = [
            (c.value, c.children[0].value)
            for c in item.children
            if c.value_type == "SCOORD" and c.children and c.children[0].value_type == "IMAGE"
        ]
        coords += [c.value for c in item.children if c.value_type == "SCOORD3D"]
        tracking_id = item.first(_TRACKING_ID, "TEXT")
        tracking_uid = item.first(_TRACKING_UID, "UIDREF")
        meaning = item.first(_EQUIVALENT_MEANING, "TEXT")
        rwv = item.first(_RWV_MAP, "COMPOSITE")
        return cls(
            item.name,  # type: ignore[arg-type]
            value.value if value is not None else None,
            value.unit if value is not None else None,
            qualifier=value.qualifier if value is not None else None,
            derivation=derivation.value if derivation else None,
            method=method.value if method else None,
            finding_sites=sites,
            properties=MeasurementProperties.from_item(item),
            algorithm=AlgorithmIdentification.from_items(item.children),
            referenced_images=images,
            referenced_coordinates=coords,
            tracking_identifier=tracking_id.value if tracking_id else None,
            tracking_uid=tracking_uid.value if tracking_uid else None,
            equivalent_meaning=meaning.value if meaning else None,
            real_world_value_map=rwv.value if rwv else None,
            item=item,
        )


def _modifier_pairs(modifiers: Any) -> list[tuple[Code, Code]]:
    """``modifiers`` as (name, value) pairs of codes (TID 1410 row 13 …: a CODE item with its
    own concept name), or a ContentError saying what a pair is — they were unpacked only when
    the report was saved, with Python's own "not enough values to unpack"."""
    where = "QualitativeEvaluation.modifiers"
    if isinstance(modifiers, str) or is_code_like(modifiers) or not isinstance(modifiers, Sequence):
        raise ContentError(
            f"{where}: a list of (name, value) pairs of codes, e.g. [(name_code, value_code)]; "
            f"got {type(modifiers).__name__}"
        )
    pairs = []
    for k, pair in enumerate(modifiers):
        if (
            isinstance(pair, str)
            or is_code_like(pair)
            or not isinstance(pair, Sequence)
            or len(pair) != 2
        ):
            raise ContentError(
                f"{where}[{k}]: a (name, value) pair of codes, got {type(pair).__name__}"
            )
        pairs.append((_code(pair[0], f"{where}[{k}] name"), _code(pair[1], f"{where}[{k}] value")))
    return pairs


@dataclass
class QualitativeEvaluation:
    """A coded (or text) evaluation: ``name`` and ``value`` (TID 1410 rows 12-13, TID 1411
    rows 16-17, TID 1501 rows 11-12), with coded ``modifiers`` (name, value) pairs."""

    name: CodeLike
    value: CodeLike | str
    modifiers: Sequence[tuple[CodeLike, CodeLike]] = ()
    item: ContentItem | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.item is not None:
            return
        self.name = _code(self.name, "QualitativeEvaluation.name")
        if not isinstance(self.value, str):
            self.value = _code(self.value, "QualitativeEvaluation.value")
        self.modifiers = _modifier_pairs(self.modifiers)

    def builder(self, group: Any) -> tuple[str, Any]:
        """(argument, builder) for the group template class ``group``."""
        if isinstance(self.value, str):
            if self.modifiers:
                raise ContentError("a text evaluation takes no coded modifiers")
            return "qual_type_text", group.QualTypeText(concept_name=self.name, value=self.value)
        code_row = group.QualTypeCode
        mod_row = next(r for r in code_row.__rows__ if r.value_type == "CODE")  # "…b" row
        mod = getattr(code_row, mod_row.builder)
        return "qual_type_code", code_row(
            concept_name=self.name,
            value=self.value,
            **{mod_row.name: [mod(concept_name=n, value=v) for n, v in self.modifiers] or None},
        )

    @classmethod
    def from_item(cls, item: ContentItem) -> QualitativeEvaluation:
        mods = [
            (c.name, c.value)
            for c in item.children
            if c.value_type == "CODE" and c.relationship == "HAS CONCEPT MOD"
        ]
        return cls(item.name, item.value, mods, item=item)  # type: ignore[arg-type]


def as_list(values: Any, argument: str) -> list[Any]:
    """``values`` (a sequence; None: empty) as a list; a lone code or string is an error."""
    if values is None:
        return []
    if isinstance(values, str) or is_code_like(values) or not isinstance(values, Sequence):
        raise ContentError(f"{argument}: expected a list, got {type(values).__name__}")
    return list(values)

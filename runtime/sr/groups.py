"""Measurement groups of a TID 1500 report: planar ROI (TID 1410), volumetric ROI (TID 1411)
and image (TID 1501) groups, written through the generated builders and read back.

A group names what is measured — a tracking identifier and UID, the finding and its category,
finding sites, method, algorithm — and where: the region. Regions, per PS3.16:

=======================================  =================================================
planar (TID 1410, exactly one)           :class:`ImageRegion` (SCOORD + source image, rows
                                         5-6), :class:`ImageRegion3D` (SCOORD3D, row 7b),
                                         :class:`ReferencedSegmentationFrame` (rows 7-8),
                                         :class:`RegionInSpace` (RT Structure Set, 8b-8c)
volumetric (TID 1411, exactly one kind)  a list of :class:`ImageRegion` (rows 5-6),
                                         :class:`VolumeSurface` (SCOORD3D, rows 10-12),
                                         :class:`ReferencedSegment` (rows 7, 11-12),
                                         :class:`RegionInSpace` (12b-12c)
image (TID 1501)                         source images (row 10b) and the measurements' own
=======================================  =================================================

Reading uses highdicom's semantics: the group's template from Content Template Sequence,
else from the region items it holds; measurements and evaluations are the group's NUM and
CODE children (a finding, finding site or method is not an evaluation).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import iodkit.templates.tid1410 as tid1410
import iodkit.templates.tid1411 as tid1411
import iodkit.templates.tid1419 as tid1419
import iodkit.templates.tid1501 as tid1501
from iodkit.codes import Code, CodeLike
from iodkit.sr.content import ContentError, ContentItem, Reference, Scoord, Scoord3D
from iodkit.sr.context import TimePointContext
from iodkit.sr.measurements import (
    AlgorithmIdentification,
    FindingSite,
    Measurement,
    QualitativeEvaluation,
    as_list,
    opt_code,
    reference_to,
)
from pydicom.uid import generate_uid

__all__ = [
    "ImageMeasurements",
    "ImageRegion",
    "ImageRegion3D",
    "MeasurementGroup",
    "PlanarROIMeasurements",
    "ReferencedSegment",
    "ReferencedSegmentationFrame",
    "RegionInSpace",
    "VolumeSurface",
    "VolumetricROIMeasurements",
]

P, V, G = (
    tid1410.PlanarROIMeasurementsAndQualitativeEvaluations,
    tid1411.VolumetricROIMeasurementsAndQualitativeEvaluations,
    tid1501.MeasurementAndQualitativeEvaluationGroup,
)
MEASUREMENT_GROUP = P.concept("1")
_SESSION, _TRACKING_ID, _TRACKING_UID = P.concept("1b"), P.concept("2"), P.concept("3")
_CATEGORY, _FINDING = P.concept("3a"), P.concept("3b")
_GEOMETRIC_PURPOSE = P.concept("3c")
IMAGE_REGION = P.concept("5")
REFERENCED_SEGMENTATION_FRAME = P.concept("7")
REFERENCED_SEGMENT = V.concept("7")
VOLUME_SURFACE = V.concept("10")
REGION_IN_SPACE = P.concept("8b")
_SOURCE_FOR_SEGMENTATION = P.concept("8")
_SOURCE_SERIES = V.concept("12")
_ROI_NUMBER = P.concept("8c")
_FINDING_SITE = tid1419.ROIMeasurements.concept("2")
_METHOD = tid1419.ROIMeasurements.concept("1")
_RWV = P.concept("10")
_NOT_EVALUATIONS = (_FINDING, _CATEGORY, _FINDING_SITE, _METHOD, _GEOMETRIC_PURPOSE)


@dataclass
class ImageRegion:
    """A region of one image: SCOORD ``scoord`` (column/row pixel coordinates) SELECTED FROM
    ``source_image`` (a dataset or a :class:`Reference`, with frames for multi-frame images)."""

    scoord: Scoord
    source_image: Reference | Any

    def value(self) -> tuple[Scoord, Reference]:
        if not isinstance(self.scoord, Scoord):
            raise ContentError(f"ImageRegion.scoord: expected a Scoord, got {self.scoord!r}")
        return self.scoord, reference_to(self.source_image, "ImageRegion.source_image")


@dataclass
class ImageRegion3D:
    """A planar region in a frame of reference (SCOORD3D, TID 1410 row 7b)."""

    scoord3d: Scoord3D


@dataclass
class VolumeSurface:
    """A volume by 3D coordinates (TID 1411 rows 10-12): one ELLIPSOID or POINT, or several
    coplanar POLYGON / ELLIPSE contours; with the source images or the source series."""

    surfaces: Sequence[Scoord3D]
    source_images: Sequence[Reference | Any] = ()
    source_series_uid: str | None = None


@dataclass
class ReferencedSegmentationFrame:
    """A planar region as a segment in frames of a Segmentation (TID 1410 rows 7-8)."""

    segmentation: Reference | Any
    segment_number: int
    frame_numbers: Sequence[int]
    source_image: Reference | Any


@dataclass
class ReferencedSegment:
    """A volume as a segment of a Segmentation (TID 1411 rows 7, 11-12), with the source
    images (row 11) or the source series (row 12) that were segmented."""

    segmentation: Reference | Any
    segment_number: int
    source_images: Sequence[Reference | Any] = ()
    source_series_uid: str | None = None

    @classmethod
    def of(
        cls,
        segmentation: Any,
        segment_number: int,
        *,
        source_images: Sequence[Reference | Any] = (),
        source_series_uid: str | None = None,
    ) -> ReferencedSegment:
        """Segment ``segment_number`` of the Segmentation ``segmentation`` (a dataset), with
        the images that were segmented taken from what it references (Common Instance
        Reference, C.12.2), unless ``source_images`` or ``source_series_uid`` says otherwise.

        TID 1411 names them by row 11 (source images, "when … a subset of images in a series
        was used") XOR row 12 (the source series, one UID, "when … an entire set of images in a
        series was used"). A Segmentation of one series gives its series; one of several
        series (or studies) gives every instance it references as source images, since one
        series UID cannot name them."""
        numbers = {int(s.SegmentNumber) for s in segmentation.get("SegmentSequence", [])}
        if numbers and segment_number not in numbers:
            raise ContentError(
                f"segment {segment_number} is not in the Segmentation (segments {sorted(numbers)})"
            )
        if source_images or source_series_uid is not None:
            images = [reference_to(i, "ReferencedSegment.of: source_images") for i in source_images]
            return cls(segmentation, segment_number, images, source_series_uid)
        series = _referenced_series(segmentation)
        if len(series) == 1:
            return cls(segmentation, segment_number, source_series_uid=series[0][0])
        images = [ref for _, refs in series for ref in refs]
        if not images:
            raise ContentError(
                "ReferencedSegment.of: the Segmentation names no source images (no Referenced "
                "Series Sequence); say which images were segmented with source_images= or "
                "source_series_uid= (PS3.16 TID 1411 rows 11-12)"
            )
        return cls(segmentation, segment_number, source_images=images)


def _referenced_series(segmentation: Any) -> list[tuple[str, list[Reference]]]:
    """(series UID, instances) of every series ``segmentation`` references: Referenced Series
    Sequence (its study) and Studies Containing Other Referenced Instances (C.12.2)."""
    items = list(segmentation.get("ReferencedSeriesSequence") or [])
    for study in segmentation.get("StudiesContainingOtherReferencedInstancesSequence") or []:
        items += list(study.get("ReferencedSeriesSequence") or [])
    return [
        (
            str(item.SeriesInstanceUID),
            [
                Reference(str(i.ReferencedSOPClassUID), str(i.ReferencedSOPInstanceUID))
                for i in item.get("ReferencedInstanceSequence") or []
            ],
        )
        for item in items
        if "SeriesInstanceUID" in item
    ]


def _segmented_sources(
    images: Sequence[Reference | Any], series_uid: str | None, argument: str
) -> tuple[list[Reference] | None, str | None]:
    refs = [reference_to(i, f"{argument}.source_images") for i in as_list(images, argument)]
    if refs and series_uid is not None:
        raise ContentError(
            f"{argument}: give source_images or source_series_uid, not both (PS3.16 TID 1411 "
            "rows 11 and 12: the images segmented, XOR the whole series they come from)"
        )
    if not refs and not series_uid:
        raise ContentError(
            f"{argument}: say which images were segmented: source_images (a list of datasets "
            "or References) or source_series_uid (the Series Instance UID, when the whole "
            "series was used) (PS3.16 TID 1411 rows 11-12)"
        )
    return refs or None, series_uid


@dataclass
class RegionInSpace:
    """A region defined by ROI ``roi_number`` of an RT Structure Set (TID 1410 8b-8c, 1411
    12b-12c)."""

    structure_set: Reference | Any
    roi_number: int | str


@dataclass(kw_only=True)
class MeasurementGroup:
    """What the three group templates share (TID 1410/1411/1501 rows 1b-4)."""

    tracking_identifier: str
    tracking_uid: str = field(default_factory=generate_uid)
    finding_type: CodeLike | None = None
    finding_category: CodeLike | None = None
    finding_sites: Sequence[FindingSite | CodeLike] = ()
    method: CodeLike | None = None
    algorithm: AlgorithmIdentification | None = None
    session: str | None = None
    measurements: Sequence[Measurement] = ()
    qualitative_evaluations: Sequence[QualitativeEvaluation] = ()
    real_world_value_map: Reference | Any | None = None
    time_point_context: TimePointContext | None = None
    item: ContentItem | None = field(default=None, compare=False, repr=False)
    _built: Any = field(default=None, init=False, compare=False, repr=False)

    template: ClassVar[str] = ""

    def __post_init__(self) -> None:
        if self.item is not None:
            return
        what = type(self).__name__
        if not isinstance(self.tracking_identifier, str) or not self.tracking_identifier:
            raise ContentError(f"{what}.tracking_identifier: a non-empty str is needed")
        self.finding_type = opt_code(self.finding_type, f"{what}.finding_type")
        self.finding_category = opt_code(self.finding_category, f"{what}.finding_category")
        self.method = opt_code(self.method, f"{what}.method")
        self.finding_sites = [
            FindingSite.of(s, f"{what}.finding_sites")
            for s in as_list(self.finding_sites, f"{what}.finding_sites")
        ]
        for m in as_list(self.measurements, f"{what}.measurements"):
            if not isinstance(m, Measurement):
                raise ContentError(f"{what}.measurements: expected Measurement, got {m!r}")
        for e in as_list(self.qualitative_evaluations, f"{what}.qualitative_evaluations"):
            if not isinstance(e, QualitativeEvaluation):
                raise ContentError(
                    f"{what}.qualitative_evaluations: expected QualitativeEvaluation, got {e!r}"
                )

    def _identity(self) -> dict[str, Any]:
        return dict(
            time_point_context=(
                self.time_point_context.builder() if self.time_point_context else None
            ),
            activity_session=self.session,
            tracking_identifier=self.tracking_identifier,
            tracking_unique_identifier=self.tracking_uid,
            finding_category=self.finding_category,
            finding=self.finding_type,
            real_world_value_map_used_for_measurement=(
                reference_to(self.real_world_value_map, "real_world_value_map")
                if self.real_world_value_map is not None
                else None
            ),
        )

    def _evaluations(self, cls: Any) -> dict[str, Any]:
        out: dict[str, list[Any]] = {}
        for e in self.qualitative_evaluations:
            key, built = e.builder(cls)
            out.setdefault(key, []).append(built)
        return out

    def _roi_measurements(self) -> Any:
        if not self.measurements:
            if self.finding_sites or self.method or self.algorithm:
                raise ContentError(
                    f"{type(self).__name__}: finding_sites, method and algorithm of an ROI group "
                    "are written in TID 1419 (ROI Measurements, rows 1-4b), which holds at least "
                    "one measurement (row 5, M); give a measurement, or leave them out"
                )
            return None
        roi = tid1419.ROIMeasurements
        return roi(
            measurement_method=self.method,
            finding_site=[s.builder(roi.FindingSite) for s in self.sites] or None,
            algorithm_identification=self.algorithm.builder() if self.algorithm else None,
            measurement=[m.roi_builder() for m in self.measurements],
        )

    @property
    def sites(self) -> list[FindingSite]:
        """The finding sites, each a :class:`FindingSite`."""
        return [FindingSite.of(s) for s in self.finding_sites]

    def builder(self) -> Any:
        """The generated builder of the group's template, made once: a derived measurement
        (TID 1420) refers to these very items by reference."""
        if self._built is None:
            self._built = self._make()
        return self._built

    def _make(self) -> Any:  # pragma: no cover - each group defines it
        raise NotImplementedError

    # -- reading ----------------------------------------------------------------------------
    @classmethod
    def from_item(cls, item: ContentItem) -> MeasurementGroup:
        def text(code: Code, vt: str) -> Any:
            found = item.first(code, vt)
            return found.value if found is not None else None

        return cls._read(
            item,
            tracking_identifier=text(_TRACKING_ID, "TEXT") or "",
            tracking_uid=text(_TRACKING_UID, "UIDREF") or "",
            finding_type=text(_FINDING, "CODE"),
            finding_category=text(_CATEGORY, "CODE"),
            finding_sites=[FindingSite.from_item(i) for i in item.find(_FINDING_SITE, "CODE")],
            method=text(_METHOD, "CODE"),
            algorithm=AlgorithmIdentification.from_items(item.children),
            session=text(_SESSION, "TEXT"),
            measurements=[
                Measurement.from_item(i)
                for i in item.children
                if i.value_type == "NUM" and i.relationship == "CONTAINS"  # not a time offset
            ],
            qualitative_evaluations=[
                QualitativeEvaluation.from_item(i)
                for i in item.children
                if i.value_type == "CODE"
                and i.name is not None
                and not any(_same(i.name, c) for c in _NOT_EVALUATIONS)
            ],
            real_world_value_map=text(_RWV, "COMPOSITE"),
            time_point_context=TimePointContext.from_item(item),
            item=item,
        )

    @classmethod
    def _read(cls, source: ContentItem, **values: Any) -> MeasurementGroup:
        return cls(**values)

    def get_measurements(self, name: CodeLike | None = None) -> list[Measurement]:
        """The group's measurements, all or those named ``name`` (highdicom's semantics)."""
        return [m for m in self.measurements if name is None or _same(m.name, name)]

    def get_qualitative_evaluations(
        self, name: CodeLike | None = None
    ) -> list[QualitativeEvaluation]:
        return [e for e in self.qualitative_evaluations if name is None or _same(e.name, name)]

    @property
    def reference_type(self) -> Code | None:
        """The concept name of the item that holds the group's region (Image Region,
        Referenced Segment …), None for image groups."""
        return None


def _same(a: CodeLike, b: CodeLike) -> bool:
    from iodkit.sr.content import same_concept

    return same_concept(a, b)


def _region_reference(segmentation: Any, argument: str, **kwargs: Any) -> Reference:
    ref = reference_to(segmentation, argument)
    return Reference(ref.sop_class_uid, ref.sop_instance_uid, **kwargs)


def _source_images(item: ContentItem) -> list[Reference]:
    return [c.value for c in item.find(_SOURCE_FOR_SEGMENTATION, "IMAGE")]


@dataclass(kw_only=True)
class PlanarROIMeasurements(MeasurementGroup):
    """TID 1410 Planar ROI Measurements and Qualitative Evaluations: one planar ``region``."""

    region: ImageRegion | ImageRegion3D | ReferencedSegmentationFrame | RegionInSpace | None
    geometric_purpose: CodeLike | None = None
    template: ClassVar[str] = "1410"

    def _make(self) -> Any:
        r = self.region
        args = self._identity()
        if isinstance(r, ImageRegion):
            scoord, ref = r.value()
            args["image_region_scoord"] = P.ImageRegionScoord(value=scoord, selected_from_image=ref)
        elif isinstance(r, ImageRegion3D):
            args["image_region_scoord3d"] = r.scoord3d
        elif isinstance(r, ReferencedSegmentationFrame):
            args["referenced_segmentation_frame"] = _region_reference(
                r.segmentation,
                "ReferencedSegmentationFrame.segmentation",
                frame_numbers=tuple(r.frame_numbers),
                segment_numbers=(int(r.segment_number),),
            )
            args["source_image_for_segmentation"] = reference_to(
                r.source_image, "ReferencedSegmentationFrame.source_image"
            )
        elif isinstance(r, RegionInSpace):
            args["region_in_space"] = P.RegionInSpace(
                value=reference_to(r.structure_set, "RegionInSpace.structure_set"),
                referenced_region_of_interest_identifier=str(r.roi_number),
            )
        else:
            raise ContentError(
                "PlanarROIMeasurements.region: an ImageRegion, ImageRegion3D, "
                f"ReferencedSegmentationFrame or RegionInSpace, got {type(r).__name__}"
            )
        return P(
            **args,
            geometric_purpose_of_region=self.geometric_purpose,
            roi_measurements=self._roi_measurements(),
            **self._evaluations(P),
        )

    @classmethod
    def _read(cls, source: ContentItem, **values: Any) -> PlanarROIMeasurements:
        region: Any = None
        for c in source.children:
            if c.relationship != "CONTAINS" or c.name is None:
                continue
            if _same(c.name, IMAGE_REGION) and c.value_type == "SCOORD":
                image = c.children[0].value if c.children else None
                region = ImageRegion(c.value, image)
            elif _same(c.name, IMAGE_REGION) and c.value_type == "SCOORD3D":
                region = ImageRegion3D(c.value)
            elif _same(c.name, REFERENCED_SEGMENTATION_FRAME) and c.value_type == "IMAGE":
                src = _source_images(source)
                region = ReferencedSegmentationFrame(
                    c.value,
                    c.value.segment_numbers[0] if c.value.segment_numbers else 0,
                    c.value.frame_numbers,
                    src[0] if src else None,
                )
            elif _same(c.name, REGION_IN_SPACE) and c.value_type == "COMPOSITE":
                roi = c.first(_ROI_NUMBER, "TEXT")
                region = RegionInSpace(c.value, roi.value if roi else "")
        purpose = source.first(_GEOMETRIC_PURPOSE, "CODE")
        return cls(region=region, geometric_purpose=purpose.value if purpose else None, **values)

    @property
    def reference_type(self) -> Code | None:
        r = self.region
        if isinstance(r, ImageRegion | ImageRegion3D):
            return IMAGE_REGION
        if isinstance(r, ReferencedSegmentationFrame):
            return REFERENCED_SEGMENTATION_FRAME
        return REGION_IN_SPACE if isinstance(r, RegionInSpace) else None


@dataclass(kw_only=True)
class VolumetricROIMeasurements(MeasurementGroup):
    """TID 1411 Volumetric ROI Measurements and Qualitative Evaluations: one volume, as
    image regions on several images, a volume surface, a segment, or an RT structure."""

    region: Sequence[ImageRegion] | VolumeSurface | ReferencedSegment | RegionInSpace | None
    geometric_purpose: CodeLike | None = None
    template: ClassVar[str] = "1411"

    def _make(self) -> Any:
        r = self.region
        args = self._identity()
        if isinstance(r, VolumeSurface | ReferencedSegment):
            (
                args["source_image_for_segmentation"],
                args["source_series_for_segmentation"],
            ) = _segmented_sources(r.source_images, r.source_series_uid, type(r).__name__)
        if isinstance(r, VolumeSurface):
            args["volume_surface"] = list(r.surfaces)
        elif isinstance(r, ReferencedSegment):
            args["referenced_segment"] = _region_reference(
                r.segmentation,
                "ReferencedSegment.segmentation",
                segment_numbers=(int(r.segment_number),),
            )
        elif isinstance(r, RegionInSpace):
            args["region_in_space"] = V.RegionInSpace(
                value=reference_to(r.structure_set, "RegionInSpace.structure_set"),
                referenced_region_of_interest_identifier=str(r.roi_number),
            )
        elif isinstance(r, Sequence) and r and all(isinstance(x, ImageRegion) for x in r):
            args["image_region"] = [
                V.ImageRegion(value=s, selected_from_image=ref) for s, ref in (x.value() for x in r)
            ]
        else:
            raise ContentError(
                "VolumetricROIMeasurements.region: a list of ImageRegion, a VolumeSurface, a "
                f"ReferencedSegment or a RegionInSpace, got {type(r).__name__}"
            )
        return V(
            **args,
            geometric_purpose_of_region=self.geometric_purpose,
            roi_measurements=self._roi_measurements(),
            **self._evaluations(V),
        )

    @classmethod
    def _read(cls, source: ContentItem, **values: Any) -> VolumetricROIMeasurements:
        regions = [
            ImageRegion(c.value, c.children[0].value if c.children else None)
            for c in source.find(IMAGE_REGION, "SCOORD", "CONTAINS")
        ]
        surfaces = [c.value for c in source.find(VOLUME_SURFACE, "SCOORD3D", "CONTAINS")]
        segment = source.first(REFERENCED_SEGMENT, "IMAGE")
        space = source.first(REGION_IN_SPACE, "COMPOSITE")
        series = source.first(_SOURCE_SERIES, "UIDREF")
        series_uid = series.value if series else None
        region: Any = regions or None
        if surfaces:
            region = VolumeSurface(surfaces, _source_images(source), series_uid)
        elif segment is not None:
            ref = segment.value
            region = ReferencedSegment(
                ref,
                ref.segment_numbers[0] if ref.segment_numbers else 0,
                _source_images(source),
                series_uid,
            )
        elif space is not None:
            roi = space.first(_ROI_NUMBER, "TEXT")
            region = RegionInSpace(space.value, roi.value if roi else "")
        purpose = source.first(_GEOMETRIC_PURPOSE, "CODE")
        return cls(region=region, geometric_purpose=purpose.value if purpose else None, **values)

    @property
    def reference_type(self) -> Code | None:
        r = self.region
        if isinstance(r, VolumeSurface):
            return VOLUME_SURFACE
        if isinstance(r, ReferencedSegment):
            return REFERENCED_SEGMENT
        if isinstance(r, RegionInSpace):
            return REGION_IN_SPACE
        return IMAGE_REGION if r else None


@dataclass(kw_only=True)
class ImageMeasurements(MeasurementGroup):
    """TID 1501 Measurement and Qualitative Evaluation Group: measurements of whole images
    (``source_images``, row 10b) or with their own image references (TID 300)."""

    source_images: Sequence[Reference | Any] = ()
    template: ClassVar[str] = "1501"

    def _make(self) -> Any:
        return G(
            **self._identity(),
            measurement_method=self.method,
            finding_site=[s.builder(G.FindingSite) for s in self.sites] or None,
            algorithm_identification=self.algorithm.builder() if self.algorithm else None,
            measurement=[m.tid300_builder() for m in self.measurements] or None,
            image_purpose_image=[reference_to(i, "source_images") for i in self.source_images]
            or None,
            **self._evaluations(G),
        )

    @classmethod
    def _read(cls, source: ContentItem, **values: Any) -> ImageMeasurements:
        extra = (G.concept("9c"), G.concept("9d"))
        images = [
            c.value
            for c in source.children
            if c.value_type == "IMAGE"
            and c.relationship == "CONTAINS"
            and not (c.name is not None and any(_same(c.name, e) for e in extra))
        ]
        return cls(source_images=images, **values)


#: highdicom's names for the same groups
PlanarROIMeasurementsAndQualitativeEvaluations = PlanarROIMeasurements
VolumetricROIMeasurementsAndQualitativeEvaluations = VolumetricROIMeasurements
MeasurementsAndQualitativeEvaluations = ImageMeasurements

"""Write Microscopy Bulk Simple Annotations (PS3.3 A.87) from NumPy arrays.

:class:`MicroscopyBulkSimpleAnnotations` takes the image the annotations were made on (a slide
level; any image for 2D coordinates) and :class:`~iodkit.ann.AnnotationGroup` s, checks them
together — one coordinate type for all groups, 2D coordinates on the image (its total pixel
matrix, or the referenced frame), optical paths the image has — and writes the instance with
the generated builders (``MicroscopyBulkSimpleAnnotationsIOD``). The bulk data (coordinates,
point index lists, measurement values) go into the dataset as bytes made by NumPy in one pass
per group; nothing is built per annotation.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Sequence
from typing import Any, BinaryIO, Literal

from iodkit.ann.coordinates import check_inside
from iodkit.ann.errors import AnnotationError
from iodkit.ann.groups import AnnotationGroup
from pydicom.dataset import Dataset
from pydicom.uid import generate_uid

MICROSCOPY_BULK_SIMPLE_ANNOTATIONS_STORAGE = "1.2.840.10008.5.1.4.1.1.91.1"


class MicroscopyBulkSimpleAnnotations:
    """A Microscopy Bulk Simple Annotations instance, checked and ready to write.

    ``source_images``: the image annotated (2D coordinates: exactly one) or images sharing a
    Frame of Reference (3D); pydicom Datasets, metadata suffices. ``groups``: numbered 1, 2, …
    in order. ``pixel_origin_interpretation``: VOLUME (coordinates on the total pixel matrix,
    default) or FRAME (on frame ``frame_number`` of the image). The coordinate type, 2D or 3D,
    follows the groups' points.
    """

    def __init__(
        self,
        source_images: Sequence[Dataset] | Dataset,
        groups: Sequence[AnnotationGroup],
        *,
        pixel_origin_interpretation: Literal["VOLUME", "FRAME"] = "VOLUME",
        frame_number: int | None = None,
        content_label: str = "ANNOTATIONS",
        content_description: str | None = None,
        content_creator_name: str | None = None,
        series_instance_uid: str | None = None,
        series_number: int = 500,
        series_description: str | None = None,
        sop_instance_uid: str | None = None,
        instance_number: int = 1,
        manufacturer: str = "iodkit",
        manufacturer_model_name: str = "iodkit",
        device_serial_number: str = "0",
        software_versions: str | Sequence[str] | None = None,
    ) -> None:
        self.sources = (
            [source_images] if isinstance(source_images, Dataset) else list(source_images)
        )
        if not self.sources:
            raise AnnotationError("no source image given: annotations are made on an image")
        self.groups = list(groups)
        if not self.groups:
            raise AnnotationError("no annotation groups given (one or more are required)")
        for k, group in enumerate(self.groups):
            if not isinstance(group, AnnotationGroup):
                raise AnnotationError(
                    f"group {k + 1} is a {type(group).__name__}, not an AnnotationGroup"
                )
        kinds = {"3D" if g.dimensions == 3 or g.common_z is not None else "2D" for g in self.groups}
        if len(kinds) > 1:
            raise AnnotationError(
                "groups mix 2D image coordinates and 3D slide coordinates; one instance has one "
                "Annotation Coordinate Type (006A,0001): write two instances"
            )
        self.coordinate_type = kinds.pop()
        if pixel_origin_interpretation not in ("VOLUME", "FRAME"):
            raise AnnotationError(
                f"pixel origin interpretation {pixel_origin_interpretation!r} is not VOLUME or "
                "FRAME"
            )
        self.pixel_origin_interpretation = pixel_origin_interpretation
        self.frame_number = frame_number
        self._check_sources()
        self._check_groups()
        self.content_label = content_label
        self.content_description = content_description
        self.content_creator_name = content_creator_name
        self.series_instance_uid = series_instance_uid or generate_uid()
        self.series_number = series_number
        self.series_description = series_description
        self.sop_instance_uid = sop_instance_uid or generate_uid()
        self.instance_number = instance_number
        self.manufacturer = manufacturer
        self.manufacturer_model_name = manufacturer_model_name
        self.device_serial_number = device_serial_number
        if software_versions is None:
            from iodkit import __version__

            software_versions = f"iodkit {__version__}"
        self.software_versions = (
            [software_versions] if isinstance(software_versions, str) else list(software_versions)
        )
        self.created = datetime.datetime.now().replace(microsecond=0)

    # -- checks -----------------------------------------------------------------------------

    def _check_sources(self) -> None:
        for k, ds in enumerate(self.sources):
            missing = [
                kw
                for kw in ("SOPClassUID", "SOPInstanceUID", "SeriesInstanceUID", "StudyInstanceUID")
                if kw not in ds
            ]
            if missing:
                raise AnnotationError(f"source image {k} lacks {', '.join(missing)}")
        if len({str(ds.StudyInstanceUID) for ds in self.sources}) > 1:
            raise AnnotationError("the source images belong to more than one study")
        first = self.sources[0]
        if self.coordinate_type == "2D":
            if len(self.sources) != 1:
                raise AnnotationError(
                    f"{len(self.sources)} source images given for 2D coordinates: 2D coordinates "
                    "are on one image (C.37.1.2.1.1)"
                )
            if self.pixel_origin_interpretation == "FRAME":
                frames = int(first.get("NumberOfFrames") or 1)
                if self.frame_number is None or not 1 <= int(self.frame_number) <= frames:
                    raise AnnotationError(
                        f"FRAME pixel origin needs frame_number, one of the image's frames "
                        f"1…{frames} (got {self.frame_number})"
                    )
        else:
            frames_of_reference = {str(ds.get("FrameOfReferenceUID", "")) for ds in self.sources}
            if len(frames_of_reference) != 1 or "" in frames_of_reference:
                raise AnnotationError(
                    "3D slide coordinates need source images that share one Frame of Reference UID"
                )
        if self.frame_number is not None and self.pixel_origin_interpretation != "FRAME":
            raise AnnotationError("frame_number is for FRAME pixel origin interpretation")

    def _extent(self) -> tuple[int, int, str]:
        ds = self.sources[0]
        if self.pixel_origin_interpretation == "VOLUME" and "TotalPixelMatrixColumns" in ds:
            return (
                int(ds.TotalPixelMatrixColumns),
                int(ds.TotalPixelMatrixRows),
                "the total pixel matrix",
            )
        if "Columns" not in ds or "Rows" not in ds:
            raise AnnotationError(
                "the source image gives no Rows/Columns to place 2D coordinates on"
            )
        what = (
            f"frame {self.frame_number}"
            if self.pixel_origin_interpretation == "FRAME"
            else "the image"
        )
        return int(ds.Columns), int(ds.Rows), what

    def _check_groups(self) -> None:
        paths = {
            str(item.get("OpticalPathIdentifier"))
            for ds in self.sources
            for item in ds.get("OpticalPathSequence", [])
        }
        for number, group in enumerate(self.groups, start=1):
            where = f"group {number} ({group.label!r})"
            if self.coordinate_type == "2D":
                columns, rows, what = self._extent()
                check_inside(group.packed, columns, rows, where, what)
            if group.optical_paths:
                unknown = [p for p in group.optical_paths if str(p) not in paths]
                if unknown:
                    raise AnnotationError(
                        f"{where}: optical path(s) {unknown} are not in the source images' Optical "
                        f"Path Sequence ({sorted(paths) or 'none'})"
                    )
        uids = [g.uid for g in self.groups]
        if len(set(uids)) != len(uids):
            raise AnnotationError("annotation groups share an Annotation Group UID")

    # -- building ---------------------------------------------------------------------------

    def to_dataset(self) -> Dataset:
        """The instance as a pydicom Dataset (with File Meta Information)."""
        from iodkit.builders import EMPTY
        from iodkit.generated import modules as m
        from iodkit.generated.iods import MicroscopyBulkSimpleAnnotationsIOD
        from iodkit.pr.writer import _charset, _study_modules
        from iodkit.seg.writer import _series_anatomy

        first = self.sources[0]
        created = self.created
        reference: dict[str, Any] = {
            "referenced_sop_class_uid": str(first.SOPClassUID),
            "referenced_sop_instance_uid": str(first.SOPInstanceUID),
        }
        if self.pixel_origin_interpretation == "FRAME" and self.coordinate_type == "2D":
            reference["referenced_frame_number"] = [int(self.frame_number or 1)]
        annotations = m.MicroscopyBulkSimpleAnnotationsModule(
            instance_number=self.instance_number,
            content_label=self.content_label,
            content_description=self.content_description or EMPTY,
            content_creator_name=self.content_creator_name or EMPTY,
            content_date=created.date(),
            content_time=created.time(),
            annotation_coordinate_type=self.coordinate_type,  # type: ignore[arg-type]
            referenced_image_sequence=[reference],
            annotation_group_sequence=[g.to_item(n) for n, g in enumerate(self.groups, start=1)],
        )
        if self.coordinate_type == "2D":
            annotations.pixel_origin_interpretation = self.pixel_origin_interpretation  # type: ignore[assignment]
        series: dict[str, list[dict[str, str]]] = {}
        for ds in self.sources:
            series.setdefault(str(ds.SeriesInstanceUID), []).append(
                {
                    "referenced_sop_class_uid": str(ds.SOPClassUID),
                    "referenced_sop_instance_uid": str(ds.SOPInstanceUID),
                }
            )
        modules: dict[str, Any] = _study_modules(first)
        modules.update(
            general_series=m.GeneralSeriesModule(
                modality="ANN",
                series_instance_uid=self.series_instance_uid,
                series_number=self.series_number,
                series_description=self.series_description,
                **_series_anatomy(self.sources),
            ),
            microscopy_bulk_simple_annotations_series=m.MicroscopyBulkSimpleAnnotationsSeriesModule(
                modality="ANN"
            ),
            general_equipment=m.GeneralEquipmentModule(manufacturer=self.manufacturer),
            enhanced_general_equipment=m.EnhancedGeneralEquipmentModule(
                manufacturer=self.manufacturer,
                manufacturer_model_name=self.manufacturer_model_name,
                device_serial_number=self.device_serial_number,
                software_versions=self.software_versions,
            ),
            microscopy_bulk_simple_annotations=annotations,
            common_instance_reference=m.CommonInstanceReferenceModule(
                referenced_series_sequence=[
                    {"series_instance_uid": uid, "referenced_instance_sequence": refs}
                    for uid, refs in series.items()
                ]
            ),
            sop_common=m.SOPCommonModule(
                sop_class_uid=MICROSCOPY_BULK_SIMPLE_ANNOTATIONS_STORAGE,
                sop_instance_uid=self.sop_instance_uid,
                specific_character_set=_charset(first),
                instance_creation_date=created.date(),
                instance_creation_time=created.time(),
            ),
        )
        if self.coordinate_type == "3D":
            modules["frame_of_reference"] = m.FrameOfReferenceModule(
                frame_of_reference_uid=str(first.FrameOfReferenceUID),
                position_reference_indicator=str(first.get("PositionReferenceIndicator") or "")
                or EMPTY,
            )
        specimen = m.SpecimenModule.from_dataset(first)
        if any(True for _ in specimen):
            modules["specimen"] = specimen
        return MicroscopyBulkSimpleAnnotationsIOD(**modules).to_dataset(file_meta=True)  # type: ignore[no-any-return]

    def save(self, path: str | os.PathLike[str] | BinaryIO) -> None:
        """Write the instance atomically (nothing is left behind on error)."""
        from iodkit.pixels.files import write_dataset

        write_dataset(self.to_dataset(), path)

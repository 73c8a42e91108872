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

import os
from collections.abc import Sequence
from dataclasses import replace
from typing import BinaryIO, Literal

from iodkit.ann.coordinates import check_inside
from iodkit.ann.errors import AnnotationError
from iodkit.ann.groups import AnnotationGroup
from iodkit.derived.charset import cover_text
from pydicom.dataset import Dataset

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
        from iodkit.derived import SourceInstances, errors_as

        with errors_as(AnnotationError):
            self.source_instances = SourceInstances(source_images, what="source image")
        self.sources = self.source_instances.datasets
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
        from iodkit.derived import ContentIdentification, Equipment, Identification

        self.content = ContentIdentification(
            content_label, content_description, content_creator_name
        )
        self.identification = Identification.of(
            series_number=series_number,
            instance_number=instance_number,
            series_instance_uid=series_instance_uid,
            sop_instance_uid=sop_instance_uid,
            series_description=series_description,
        )
        self.equipment = Equipment.of(
            manufacturer, manufacturer_model_name, device_serial_number, software_versions
        )

    @property
    def sop_instance_uid(self) -> str:
        return self.identification.sop_instance_uid

    # -- checks -----------------------------------------------------------------------------

    def _check_sources(self) -> None:
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
        from iodkit.derived import common_modules, general_series
        from iodkit.generated import modules as m
        from iodkit.generated.iods import MicroscopyBulkSimpleAnnotationsIOD
        from iodkit.generated.modules.common_instance_reference_module import (
            ReferencedSeriesSequenceItem,
        )
        from iodkit.generated.modules.image_sop_instance_reference_macro import (
            ImageSOPInstanceReferenceMacro,
        )

        sources, ident = self.source_instances, self.identification
        first = sources.first
        reference = sources.references[0]
        if self.pixel_origin_interpretation == "FRAME" and self.coordinate_type == "2D":
            reference = replace(reference, frame_numbers=(int(self.frame_number or 1),))
        annotations = m.MicroscopyBulkSimpleAnnotationsModule(
            instance_number=ident.instance_number,
            **self.content.values(),
            content_date=ident.date,
            content_time=ident.time,
            annotation_coordinate_type=self.coordinate_type,  # type: ignore[arg-type]
            referenced_image_sequence=[ImageSOPInstanceReferenceMacro(**reference.item())],
            annotation_group_sequence=[g.to_item(n) for n, g in enumerate(self.groups, start=1)],
        )
        if self.coordinate_type == "2D":
            annotations.pixel_origin_interpretation = self.pixel_origin_interpretation  # type: ignore[assignment]
        modules = common_modules(
            MicroscopyBulkSimpleAnnotationsIOD,
            first,
            identification=ident,
            equipment=self.equipment,
            frame_of_reference_uid=(
                str(first.FrameOfReferenceUID) if self.coordinate_type == "3D" else None
            ),
        )
        modules.update(
            general_series=general_series("ANN", ident, self.sources),
            microscopy_bulk_simple_annotations_series=m.MicroscopyBulkSimpleAnnotationsSeriesModule(
                modality="ANN"
            ),
            microscopy_bulk_simple_annotations=annotations,
            common_instance_reference=m.CommonInstanceReferenceModule(
                referenced_series_sequence=[
                    ReferencedSeriesSequenceItem(**item)
                    for item in sources.referenced_series_items()
                ]
            ),
        )
        ds: Dataset = MicroscopyBulkSimpleAnnotationsIOD(**modules).to_dataset(file_meta=True)
        cover_text(ds)
        return ds

    def save(self, path: str | os.PathLike[str] | BinaryIO) -> None:
        """Write the instance atomically (nothing is left behind on error)."""
        from iodkit.derived import write_dataset

        write_dataset(self.to_dataset(), path)

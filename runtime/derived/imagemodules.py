"""Modules a derived image fills from its source images (beyond :mod:`~iodkit.derived.modules`).

* General Reference (C.12.4) *Source Image Sequence* and Common Instance Reference (C.12.2)
  *Referenced Series Sequence* list every source instance. With hundreds of sources, building
  those items one by one is slow, so the builders make the first item of each and
  :func:`stamp_source_references` stamps the rest (:mod:`~iodkit.derived.itemcodec`);
* Microscope Slide Layer Tile Organization (C.8.12.14) of a tiled source is copied;
* General Image Patient Orientation (C.7.6.1.1.1) of an image without a frame of reference is
  copied (Type 2C: required when the image has no Image Orientation (Patient));
* Lossy Image Compression (C.7.6.1.1.5): a derived image of lossy sources says so too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from iodkit.builders import EMPTY
from iodkit.derived.errors import DerivedObjectError
from iodkit.derived.groups import REFERENCED_INSTANCE_SEQUENCE, SOURCE_IMAGE, stamped_references
from iodkit.derived.images import SourceImages
from iodkit.derived.references import InstanceReference, by_series
from pydicom.dataset import Dataset
from pydicom.valuerep import DSfloat


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        return [value]
    return list(value)


def _series_of(sources: SourceImages) -> dict[str, list[InstanceReference]]:
    """The source instances grouped by series, in the order given."""
    assert sources.instances is not None
    return by_series(sources.instances.references)


def general_reference(sources: SourceImages) -> Any:
    """General Reference Module with the first source (the rest stamped later)."""
    from iodkit.generated.modules import GeneralReferenceModule
    from iodkit.generated.modules.general_reference_module import SourceImageSequenceItem

    src = sources.first
    first = SourceImageSequenceItem(
        referenced_sop_class_uid=str(src.SOPClassUID),
        referenced_sop_instance_uid=str(src.SOPInstanceUID),
    )
    return GeneralReferenceModule(source_image_sequence=[first])


def common_instance_reference(sources: SourceImages) -> Any:
    """Common Instance Reference Module: one Referenced Series item per source series (C.12.2
    allows several), each with its first instance (the rest stamped later)."""
    from iodkit.generated.modules import CommonInstanceReferenceModule
    from iodkit.generated.modules.common_instance_reference_module import (
        ReferencedSeriesSequenceItem,
    )
    from iodkit.generated.modules.sop_instance_reference_macro import SOPInstanceReferenceMacro

    return CommonInstanceReferenceModule(
        referenced_series_sequence=[
            ReferencedSeriesSequenceItem(
                series_instance_uid=uid,
                referenced_instance_sequence=[
                    SOPInstanceReferenceMacro(
                        referenced_sop_class_uid=members[0].sop_class_uid,
                        referenced_sop_instance_uid=members[0].sop_instance_uid,
                    )
                ],
            )
            for uid, members in _series_of(sources).items()
        ]
    )


def stamp_source_references(ds: Dataset, sources: SourceImages, implicit: bool) -> None:
    """Complete Source Image Sequence and each Referenced Series item's Referenced Instance
    Sequence of ``ds`` (built with their first items) with every source instance."""
    if len(sources.datasets) < 2:
        return
    assert sources.instances is not None
    charset = ds.get("SpecificCharacterSet")
    if "SourceImageSequence" in ds:
        ds[SOURCE_IMAGE] = stamped_references(
            SOURCE_IMAGE, ds.SourceImageSequence[0], sources.instances.references, implicit, charset
        )
    for series_item, members in zip(
        ds.get("ReferencedSeriesSequence") or [], _series_of(sources).values(), strict=False
    ):
        if len(members) < 2:
            continue
        series_item[REFERENCED_INSTANCE_SEQUENCE] = stamped_references(
            REFERENCED_INSTANCE_SEQUENCE,
            series_item.ReferencedInstanceSequence[0],
            members,
            implicit,
            charset,
        )
        series_item.set_original_encoding(implicit, True, ds._character_set)


def tile_organization(sources: SourceImages) -> Any:
    """Microscope Slide Layer Tile Organization Module of a tiled source's total pixel
    matrix (one focal plane)."""
    from iodkit.generated.modules import MicroscopeSlideLayerTileOrganizationModule
    from iodkit.generated.modules.microscope_slide_layer_tile_organization_module import (
        TotalPixelMatrixOriginSequenceItem,
    )

    assert sources.origin is not None and sources.orientation is not None
    x, y, z = (DSfloat(v) for v in sources.origin)  # floats keeping the source's strings
    return MicroscopeSlideLayerTileOrganizationModule(
        total_pixel_matrix_columns=sources.total_columns,
        total_pixel_matrix_rows=sources.total_rows,
        total_pixel_matrix_focal_planes=1,
        total_pixel_matrix_origin_sequence=[
            TotalPixelMatrixOriginSequenceItem(
                x_offset_in_slide_coordinate_system=x,
                y_offset_in_slide_coordinate_system=y,
                z_offset_in_slide_coordinate_system=z,
            )
        ],
        image_orientation_slide=[DSfloat(v) for v in sources.orientation],
    )


def slide_modules(sources: SourceImages) -> dict[str, Any]:
    """Tile organization of a tiled source (empty for other kinds; its Specimen Module comes
    with :func:`~iodkit.derived.modules.common_modules`)."""
    if sources.kind != "tiled":
        return {}
    return {"microscope_slide_layer_tile_organization": tile_organization(sources)}


def patient_orientation(sources: SourceImages) -> Any:
    """General Image Patient Orientation: copied for an image without a frame of reference
    (empty if the source has none), absent otherwise."""
    if sources.frame_of_reference_uid is not None:
        return None
    value = sources.first.get("PatientOrientation")
    if value:
        return [str(v) for v in _as_list(value)]
    return EMPTY


def lossy_compression(source: Dataset) -> dict[str, Any]:
    """Lossy Image Compression "01" with the source's ratio and method when the source was
    lossy compressed (C.7.6.1.1.5: the flag stays set in derived images), else "00"."""
    if str(source.get("LossyImageCompression", "00")) != "01":
        return {"lossy_image_compression": "00"}
    out: dict[str, Any] = {"lossy_image_compression": "01"}
    # both Type 3 (C.7.6.1): present without a value (as some writers leave them) is absent
    ratios = [v for v in _as_list(source.get("LossyImageCompressionRatio")) if v not in (None, "")]
    if ratios:
        try:
            out["lossy_image_compression_ratio"] = [float(v) for v in ratios]
        except (TypeError, ValueError) as exc:
            raise DerivedObjectError(
                f"source {source.get('SOPInstanceUID', '')}: Lossy Image Compression Ratio "
                f"{ratios} is not a number (DS); the derived image copies it (C.7.6.1.1.5)"
            ) from exc
    methods = [v for v in _as_list(source.get("LossyImageCompressionMethod")) if v]
    if methods:
        out["lossy_image_compression_method"] = [str(v) for v in methods]
    return out

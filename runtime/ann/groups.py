"""Annotation groups and their measurements (PS3.3 C.37.1.2, Table C.37.1-2).

An :class:`AnnotationGroup` is one item of the Annotation Group Sequence (006A,0002): what the
annotations are (property category and type codes, CID 7150 / CID 8135), how they were made
(generation type and algorithm, Table 10-19), their shape (Graphic Type) and coordinates (one
NumPy array of points plus offsets, :mod:`iodkit.ann.coordinates`) and per-annotation
measurements (:class:`Measurement`: name from CID 8136, unit from UCUM, one value per
annotation, NaN where an annotation has none). The item is built by the generated
``AnnotationGroupSequenceItem`` builder, which checks every value against the standard.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from iodkit.ann.coordinates import Packed, encode, pack
from iodkit.ann.errors import AnnotationError
from iodkit.cielab import cielab_value
from iodkit.codes import CodeLike, as_code, as_codes
from iodkit.seg.description import AlgorithmIdentification
from pydicom.uid import generate_uid

GraphicType = Literal["POINT", "POLYLINE", "POLYGON", "ELLIPSE", "RECTANGLE"]
GenerationType = Literal["AUTOMATIC", "SEMIAUTOMATIC", "MANUAL"]


@dataclass(frozen=True)
class Measurement:
    """One kind of measurement of a group's annotations (Measurements Sequence item,
    C.37.1.2.1.2): ``name`` (e.g. ``cid8136.AREA``), ``unit`` (a UCUM code such as
    ``Code("um2", "UCUM", "square micrometer")``) and ``values``: one per annotation, NaN
    where an annotation was not measured (those are left out through Annotation Index List).
    Values are stored as float32 (Floating Point Values is OF)."""

    name: CodeLike
    unit: CodeLike
    values: Any

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", as_code(self.name, "measurement name"))
        object.__setattr__(self, "unit", as_code(self.unit, "measurement unit"))

    def item(self, number_of_annotations: int, where: str) -> dict[str, Any]:
        values = np.asarray(self.values)
        label = f"{where}, measurement {self.name.meaning!r}"
        if values.ndim != 1 or len(values) != number_of_annotations:
            raise AnnotationError(
                f"{label}: {values.shape} values for {number_of_annotations} annotations; give "
                "one value per annotation (NaN where there is none)"
            )
        if values.dtype.kind not in "fiu":
            raise AnnotationError(f"{label}: values must be numbers, got {values.dtype}")
        values = values.astype(np.float32, copy=False)
        measured = ~np.isnan(values)
        if np.isinf(values).any():
            first = int(np.flatnonzero(np.isinf(values))[0])
            raise AnnotationError(f"{label}: annotation {first} has an infinite value")
        entry: dict[str, Any] = {}
        if measured.all():
            entry["floating_point_values"] = values.astype("<f4", copy=False).tobytes()
        else:
            if not measured.any():
                raise AnnotationError(f"{label}: no annotation has a value (all NaN)")
            entry["floating_point_values"] = values[measured].astype("<f4").tobytes()
            entry["annotation_index_list"] = (np.flatnonzero(measured) + 1).astype("<u4").tobytes()
        return {
            "concept_name_code_sequence": [self.name],
            "measurement_units_code_sequence": [self.unit],
            "measurement_values_sequence": [entry],
        }


@dataclass
class AnnotationGroup:
    """One group of annotations of one graphic type (an Annotation Group Sequence item).

    ``points``: (N, 2) image coordinates (column, row in pixels of the total pixel matrix, or
    of the referenced frame) or (N, 3) slide coordinates (X, Y, Z in mm); float32 is stored as
    Point Coordinates Data, float64 as Double Point Coordinates Data. ``offsets``: N + 1 start
    indices (annotation *i* is ``points[offsets[i]:offsets[i+1]]``); optional for POINT,
    ELLIPSE and RECTANGLE. ``common_z``: Z value(s) in mm shared by every point of (N, 2)
    points in a 3D group (Common Z Coordinate Value).

    ``label``, ``category`` (CID 7150) and ``type`` (CID 8135, e.g. ``cid8135.NUCLEUS``)
    describe the property; ``generation_type`` AUTOMATIC or SEMIAUTOMATIC needs ``algorithm``.
    ``optical_paths``: identifiers of the optical paths the annotations apply to (default:
    all). ``all_z_planes``: 3D groups only (Annotation Applies to All Z Planes, default NO).
    ``display_color``: Recommended Display CIELab Value (three 16-bit PCS values;
    :func:`iodkit.cielab.cielab_from_rgb` converts an RGB colour).
    """

    label: str
    category: CodeLike
    type: CodeLike
    graphic_type: GraphicType
    points: Any
    offsets: Any = None
    measurements: Sequence[Measurement] = ()
    generation_type: GenerationType = "AUTOMATIC"
    algorithm: AlgorithmIdentification | None = None
    description: str | None = None
    type_modifiers: Sequence[CodeLike] = ()
    anatomic_regions: Sequence[CodeLike] = ()
    primary_anatomic_structures: Sequence[CodeLike] = ()
    optical_paths: Sequence[str] | None = None
    all_z_planes: bool = False
    common_z: Any = None
    display_color: tuple[int, int, int] | None = None
    uid: str = field(default_factory=generate_uid)

    def __post_init__(self) -> None:
        where = f"group {self.label!r}"
        if not isinstance(self.label, str) or not self.label.strip() or len(self.label) > 64:
            raise AnnotationError(
                f"{where}: the label is a non-empty text of at most 64 characters (Annotation "
                "Group Label is LO, Table C.37.1-2); say more in description="
            )
        self.category = as_code(self.category, f"{where}: property category")
        self.type = as_code(self.type, f"{where}: property type")
        self.type_modifiers = as_codes(self.type_modifiers, f"{where}: type_modifiers")
        self.anatomic_regions = as_codes(self.anatomic_regions, f"{where}: anatomic_regions")
        self.primary_anatomic_structures = as_codes(
            self.primary_anatomic_structures, f"{where}: primary_anatomic_structures"
        )
        if self.display_color is not None:
            try:
                self.display_color = cielab_value(self.display_color, f"{where}: display_color")
            except ValueError as exc:
                raise AnnotationError(str(exc)) from None
        if self.generation_type not in ("AUTOMATIC", "SEMIAUTOMATIC", "MANUAL"):
            raise AnnotationError(
                f"group {self.label!r}: generation type {self.generation_type!r} is not "
                "AUTOMATIC, SEMIAUTOMATIC or MANUAL"
            )
        if self.algorithm is not None and not isinstance(self.algorithm, AlgorithmIdentification):
            raise AnnotationError(
                f"{where}: algorithm must be an iodkit AlgorithmIdentification(name, version), "
                f"got {type(self.algorithm).__name__}"
            )
        if self.generation_type != "MANUAL" and self.algorithm is None:
            raise AnnotationError(
                f"group {self.label!r}: {self.generation_type} annotations need the algorithm "
                "that made them (Annotation Group Algorithm Identification Sequence is Type 1C, "
                "Table C.37.1-2): pass algorithm=AlgorithmIdentification(name, version)"
            )
        self.packed: Packed = pack(
            self.points, self.offsets, self.graphic_type, f"group {self.label!r}"
        )

    @property
    def number_of_annotations(self) -> int:
        return self.packed.number_of_annotations

    @property
    def dimensions(self) -> int:
        return int(self.packed.points.shape[1])

    def to_item(self, number: int) -> Any:
        """The Annotation Group Sequence item for group ``number`` (1, 2, … in order)."""
        from iodkit.generated.modules.microscopy_bulk_simple_annotations_module import (
            AnnotationGroupSequenceItem,
            AnnotationPropertyTypeCodeSequenceItem,
        )

        where = f"group {number} ({self.label!r})"
        try:
            encoded = encode(self.packed, self.graphic_type, self.common_z)
        except AnnotationError as exc:
            raise AnnotationError(f"{where}: {exc}") from None
        type_item = as_code(self.type).to_item(AnnotationPropertyTypeCodeSequenceItem)
        if self.type_modifiers:
            type_item.annotation_property_type_modifier_code_sequence = list(self.type_modifiers)
        values: dict[str, Any] = {
            "annotation_group_number": number,
            "annotation_group_uid": self.uid,
            "annotation_group_label": self.label,
            "annotation_group_generation_type": self.generation_type,
            "annotation_property_category_code_sequence": [self.category],
            "annotation_property_type_code_sequence": [type_item],
            "number_of_annotations": self.number_of_annotations,
            "graphic_type": self.graphic_type,
            "annotation_applies_to_all_optical_paths": "NO" if self.optical_paths else "YES",
        }
        if self.description is not None:
            values["annotation_group_description"] = self.description
        if self.algorithm is not None:
            values["annotation_group_algorithm_identification_sequence"] = [self.algorithm.item()]
        if self.anatomic_regions:
            values["anatomic_region_sequence"] = list(self.anatomic_regions)
        if self.primary_anatomic_structures:
            values["primary_anatomic_structure_sequence"] = list(self.primary_anatomic_structures)
        if self.optical_paths:
            values["referenced_optical_path_identifier"] = list(self.optical_paths)
        if self.dimensions == 3 or self.common_z is not None:
            values["annotation_applies_to_all_z_planes"] = "YES" if self.all_z_planes else "NO"
        if encoded.common_z is not None:
            values["common_z_coordinate_value"] = encoded.common_z
        key = "double_point_coordinates_data" if encoded.double else "point_coordinates_data"
        values[key] = encoded.values
        if encoded.point_index_list is not None:
            values["long_primitive_point_index_list"] = encoded.point_index_list
        if self.display_color is not None:
            values["recommended_display_cie_lab_value"] = list(self.display_color)
        if self.measurements:
            values["measurements_sequence"] = [
                m.item(self.number_of_annotations, where) for m in self.measurements
            ]
        return AnnotationGroupSequenceItem(**values)

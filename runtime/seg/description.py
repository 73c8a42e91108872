"""Segment descriptions: what each segment is (PS3.3 C.8.20.2, Table C.8.20-4).

A :class:`SegmentDescription` becomes one item of the Segment Sequence (0062,0002) through the
generated :class:`SegmentSequenceItem` builder, so every value is checked against the standard
at assignment. Codes come from the generated context groups, e.g. ``cid7150.TISSUE`` (CID 7150
Segmentation Property Category) and a type from CID 7151 (Segmentation Property Type, which
includes the anatomic groups such as ``cid7154.LIVER``)::

    from iodkit.codes import cid7150, cid7154
    SegmentDescription(1, "liver", cid7150.TISSUE, cid7154.LIVER,
                       algorithm=AlgorithmIdentification("threshold", "1.0"))
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from iodkit.cielab import cielab_value
from iodkit.codes import Code, CodeLike, as_code, as_codes
from iodkit.seg.errors import SegmentationError

if TYPE_CHECKING:
    from iodkit.generated.modules.segmentation_image_module import SegmentSequenceItem

#: PS3.16 CID 7162 "Artificial Intelligence" — the default algorithm family.
ARTIFICIAL_INTELLIGENCE = Code("123110", "DCM", "Artificial Intelligence")
#: PS3.16 DCM 125040 "Background" — the segment that Pixel Padding Value marks in a label map.
BACKGROUND = Code("125040", "DCM", "Background")

AlgorithmType = Literal["AUTOMATIC", "SEMIAUTOMATIC", "MANUAL"]


@dataclass(frozen=True)
class AlgorithmIdentification:
    """Algorithm Identification Macro (PS3.3 Table 10-19): name, version and family
    (a code of CID 7162 Algorithm Family)."""

    name: str
    version: str
    family: CodeLike = ARTIFICIAL_INTELLIGENCE
    source: str | None = None
    parameters: str | None = None

    def __post_init__(self) -> None:
        # pydicom's Code and highdicom's CodedConcept too, checked here rather than at save()
        object.__setattr__(self, "family", as_code(self.family, "algorithm family"))

    def item(self) -> dict[str, object]:
        values: dict[str, object] = {
            "algorithm_family_code_sequence": [self.family],
            "algorithm_name": self.name,
            "algorithm_version": self.version,
        }
        if self.source is not None:
            values["algorithm_source"] = self.source
        if self.parameters is not None:
            values["algorithm_parameters"] = self.parameters
        return values


@dataclass(frozen=True)
class SegmentDescription:
    """One segment (PS3.3 Table C.8.20-4 Segment Description Macro).

    ``number`` is the Segment Number: 1, 2, … in order for BINARY and FRACTIONAL (C.8.20.2.1);
    any distinct 1…65535 for LABELMAP (value 0 is the background). ``category`` should come
    from CID 7150 and ``type`` from CID 7151. ``algorithm_type`` other than MANUAL needs an
    algorithm (its name becomes Segment Algorithm Name, Type 1C).
    """

    number: int
    label: str
    category: CodeLike
    type: CodeLike
    algorithm_type: AlgorithmType = "AUTOMATIC"
    algorithm: AlgorithmIdentification | None = None
    description: str | None = None
    anatomic_regions: Sequence[CodeLike] = field(default=())
    primary_anatomic_structures: Sequence[CodeLike] = field(default=())
    type_modifiers: Sequence[CodeLike] = field(default=())
    tracking_id: str | None = None
    tracking_uid: str | None = None
    #: Recommended Display CIELab Value: three unsigned 16-bit PCS values (C.10.7.1.1); for an
    #: RGB colour use :func:`iodkit.cielab.cielab_from_rgb`.
    display_color: tuple[int, int, int] | None = None

    def __post_init__(self) -> None:
        # codes may be iodkit's, pydicom's (codes.SCT.Liver) or highdicom's CodedConcept: all
        # become iodkit Codes here, and anything else fails now rather than at save()
        where = f"segment {self.number} ({self.label!r})"
        for name in ("category", "type"):
            object.__setattr__(self, name, as_code(getattr(self, name), f"{where} {name}"))
        for name in ("anatomic_regions", "primary_anatomic_structures", "type_modifiers"):
            # one code or a sequence of them; a string is refused whole, not read per letter
            codes = tuple(as_codes(getattr(self, name), f"{where} {name}"))
            object.__setattr__(self, name, codes)
        if self.display_color is not None:
            # the rule annotation groups and graphic layers follow: RGB-looking or float
            # triples would be written as near-black CIELab
            try:
                colour = cielab_value(self.display_color, f"{where} display_color")
            except ValueError as exc:
                raise SegmentationError(str(exc)) from None
            object.__setattr__(self, "display_color", colour)

    def check(self) -> None:
        if not isinstance(self.number, int) or not 0 <= self.number <= 0xFFFF:
            raise SegmentationError(
                f"segment {self.label!r}: Segment Number {self.number!r} is not an integer in "
                "0…65535 (VR US)"
            )
        if self.algorithm_type != "MANUAL" and self.algorithm is None:
            raise SegmentationError(
                f"segment {self.number} ({self.label!r}): Segment Algorithm Type "
                f"{self.algorithm_type} needs an algorithm (Segment Algorithm Name is Type 1C, "
                "PS3.3 Table C.8.20-2); pass algorithm=AlgorithmIdentification(name, version)"
            )
        if (self.tracking_id is None) != (self.tracking_uid is None):
            raise SegmentationError(
                f"segment {self.number} ({self.label!r}): Tracking ID and Tracking UID go "
                "together (Type 1C each, PS3.3 Table C.8.20-4)"
            )

    def to_item(self) -> SegmentSequenceItem:
        """The Segment Sequence item, built and checked by the generated builder."""
        from iodkit.generated.modules.segmentation_image_module import SegmentSequenceItem

        self.check()
        values: dict[str, Any] = {
            "segment_number": self.number,
            "segment_label": self.label,
            "segment_algorithm_type": self.algorithm_type,
            "segmented_property_category_code_sequence": [self.category],
            "segmented_property_type_code_sequence": [self._type_item()],
        }
        if self.description is not None:
            values["segment_description"] = self.description
        if self.algorithm is not None:
            values["segment_algorithm_name"] = [self.algorithm.name]
            values["segmentation_algorithm_identification_sequence"] = [self.algorithm.item()]
        if self.anatomic_regions:
            values["anatomic_region_sequence"] = list(self.anatomic_regions)
        if self.primary_anatomic_structures:
            values["primary_anatomic_structure_sequence"] = list(self.primary_anatomic_structures)
        if self.tracking_id is not None:
            values["tracking_id"] = self.tracking_id
            values["tracking_uid"] = self.tracking_uid
        if self.display_color is not None:
            values["recommended_display_cie_lab_value"] = list(self.display_color)
        return SegmentSequenceItem(**values)

    def _type_item(self) -> object:
        from iodkit.generated.modules.segment_description_macro import (
            SegmentedPropertyTypeCodeSequenceItem,
        )

        item = as_code(self.type).to_item(SegmentedPropertyTypeCodeSequenceItem)
        if self.type_modifiers:
            item.segmented_property_type_modifier_code_sequence = list(self.type_modifiers)
        return item


def background_item(first: SegmentDescription) -> SegmentSequenceItem:
    """Segment 0 of a label map: the background that Pixel Padding Value 0 marks (Sup 243).

    Written as highdicom does (label "Background", DCM 125040 as category and type, the
    algorithm type and name of the first segment), so readers that list segments from the
    Segment Sequence agree.
    """
    item = SegmentDescription(
        0, "Background", BACKGROUND, BACKGROUND, first.algorithm_type, first.algorithm
    ).to_item()
    item.segmentation_algorithm_identification_sequence = None
    return item

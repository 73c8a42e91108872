"""What differs between Legacy Converted Enhanced CT, MR and PET (PS3.3 A.70, A.71, A.72).

One :class:`Profile` per target: the classic SOP classes it converts, its own SOP class, the
generated IOD class, the module names of its series and enhanced image modules, and the frame
type functional group (CT Image Frame Type C.8.15.3.1, MR Image Frame Type C.8.13.5.1, PET
Frame Type C.8.22.5.1) with what it needs beyond Frame Type.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Profile:
    modality: str
    classic_sop_classes: tuple[str, ...]
    sop_class_uid: str
    iod: str  # class name in iodkit.generated.iods
    series_module: str
    image_module: str
    frame_type_sequence: str  # keyword argument of the IOD's FunctionalGroups builder
    frame_type_extra: dict[str, Any] = field(default_factory=dict)
    #: the IOD's Pixel Value Transformation group is mandatory (CT, PET) or optional (MR)
    pixel_value_transformation: bool = True
    frame_voi_lut: bool = True

    def iod_class(self) -> Any:
        from iodkit.generated import iods

        return getattr(iods, self.iod)


CT = Profile(
    modality="CT",
    classic_sop_classes=("1.2.840.10008.5.1.4.1.1.2",),
    sop_class_uid="1.2.840.10008.5.1.4.1.1.2.2",
    iod="LegacyConvertedEnhancedCTImageIOD",
    series_module="ct_series",
    image_module="enhanced_ct_image",
    frame_type_sequence="ct_image_frame_type_sequence",
)
MR = Profile(
    modality="MR",
    classic_sop_classes=("1.2.840.10008.5.1.4.1.1.4",),
    sop_class_uid="1.2.840.10008.5.1.4.1.1.4.4",
    iod="LegacyConvertedEnhancedMRImageIOD",
    series_module="mr_series",
    image_module="enhanced_mr_image",
    frame_type_sequence="mr_image_frame_type_sequence",
    frame_type_extra={"complex_image_component": "MAGNITUDE", "acquisition_contrast": "UNKNOWN"},
    pixel_value_transformation=False,
    frame_voi_lut=False,
)
PET = Profile(
    modality="PT",
    classic_sop_classes=("1.2.840.10008.5.1.4.1.1.128",),
    sop_class_uid="1.2.840.10008.5.1.4.1.1.128.1",
    iod="LegacyConvertedEnhancedPETImageIOD",
    series_module="enhanced_pet_series",
    image_module="enhanced_pet_image",
    frame_type_sequence="pet_frame_type_sequence",
)
PROFILES = {p.modality: p for p in (CT, MR, PET)}

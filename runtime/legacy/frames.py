"""Functional group values of a Legacy Converted Enhanced image, read from the classic images.

Each function gives, for one classic image (one frame), the keyword arguments of a functional
group of the IOD's generated ``FunctionalGroups`` builder — what the classic image's own
attributes say, moved where the enhanced IODs keep them (PS3.3 A.70.4, A.71.4, A.72.4):
Pixel Measures, Plane Position / Orientation (Patient), Frame VOI LUT, Pixel Value
Transformation, the frame type group, Frame Content, Image Frame Conversion Source, Frame
Anatomy, and Referenced Image / Derivation Image / Irradiation Event Identification when the
classic images have them. :data:`MOVED` lists the classic attributes these consume.
"""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Sequence
from typing import Any

from iodkit.derived.geometry import format_ds
from iodkit.derived.images import value_strings
from iodkit.derived.references import value_of
from iodkit.legacy.errors import LegacyConversionError
from iodkit.legacy.profiles import Profile
from iodkit.vrformat import format_problem
from pydicom.datadict import tag_for_keyword
from pydicom.dataset import Dataset
from pydicom.tag import BaseTag

#: Classic attributes that become functional group values (and so no unassigned attribute).
MOVED = frozenset(
    {
        0x00280030,  # Pixel Spacing
        0x00180050,  # Slice Thickness
        0x00180088,  # Spacing Between Slices
        0x00200032,  # Image Position (Patient)
        0x00200037,  # Image Orientation (Patient)
        0x00281050,  # Window Center
        0x00281051,  # Window Width
        0x00281055,  # Window Center & Width Explanation
        0x00281056,  # VOI LUT Function
        0x00281052,  # Rescale Intercept
        0x00281053,  # Rescale Slope
        0x00281054,  # Rescale Type
        0x00080008,  # Image Type
        0x00200012,  # Acquisition Number
        0x00080022,  # Acquisition Date
        0x00080032,  # Acquisition Time
        0x0008002A,  # Acquisition DateTime
        0x00081140,  # Referenced Image Sequence
        0x00082112,  # Source Image Sequence
        0x00089215,  # Derivation Code Sequence
        0x00082111,  # Derivation Description
        0x00083010,  # Irradiation Event UID
        0x00082218,  # Anatomic Region Sequence
        0x00200062,  # Image Laterality
        0x00080016,  # SOP Class UID (Conversion Source)
        0x00080018,  # SOP Instance UID (Conversion Source)
    }
)


@functools.cache
def _tag(keyword: str) -> BaseTag:
    tag = tag_for_keyword(keyword)
    assert tag is not None, keyword
    return BaseTag(tag)


def _nonempty(ds: Dataset, keyword: str) -> Any:
    """``ds``'s value of ``keyword``, None when absent or empty (read by tag: hundreds of
    classic images are read attribute by attribute)."""
    value = value_of(ds, _tag(keyword))
    return None if value in (None, "") else value


def pixel_measures(ds: Dataset) -> dict[str, Any]:
    item: dict[str, Any] = {"pixel_spacing": value_strings(_nonempty(ds, "PixelSpacing"))}
    for keyword, name in (
        ("SliceThickness", "slice_thickness"),
        ("SpacingBetweenSlices", "spacing_between_slices"),
    ):
        value = _nonempty(ds, keyword)
        if value is not None:
            item[name] = value_strings(value)[0]
    return {"pixel_measures_sequence": [item]}


def plane_position(ds: Dataset) -> dict[str, Any]:
    return {
        "plane_position_sequence": [
            {"image_position_patient": value_strings(_nonempty(ds, "ImagePositionPatient"))}
        ]
    }


def plane_orientation(ds: Dataset) -> dict[str, Any]:
    return {
        "plane_orientation_sequence": [
            {"image_orientation_patient": value_strings(_nonempty(ds, "ImageOrientationPatient"))}
        ]
    }


def frame_voi_lut(ds: Dataset, fallback: tuple[float, float]) -> dict[str, Any]:
    """The classic window, or (mandatory for CT and PET) one over the values' range."""
    if _nonempty(ds, "WindowCenter") is None or _nonempty(ds, "WindowWidth") is None:
        center, width = format_ds(fallback)  # DS: at most 16 characters (PS3.5 6.2)
        return {"frame_voilut_sequence": [{"window_center": [center], "window_width": [width]}]}
    item: dict[str, Any] = {
        "window_center": value_strings(_nonempty(ds, "WindowCenter")),
        "window_width": value_strings(_nonempty(ds, "WindowWidth")),
    }
    explanation = _nonempty(ds, "WindowCenterWidthExplanation")
    if explanation is not None:
        item["window_center_width_explanation"] = value_strings(explanation)
    function = _nonempty(ds, "VOILUTFunction")
    if function is not None:
        item["voilut_function"] = str(function)
    return {"frame_voilut_sequence": [item]}


def moved(profile: Profile) -> frozenset[int]:
    """The classic attributes :func:`pixel_value_transformation` and the others consume for
    ``profile``: an MR or PET Rescale Type is always US in the enhanced group (Table
    C.7.6.16-10), so the classic one (a PET's BQML) stays an unassigned attribute."""
    return MOVED if profile.modality == "CT" else MOVED - {0x00281054}


def pixel_value_transformation(ds: Dataset, profile: Profile) -> dict[str, Any]:
    """Rescale Intercept/Slope/Type (identity when the classic image has none); CT's Rescale
    Type is the classic one (HU when absent), MR's and PET's US (Table C.7.6.16-10:
    "Enumerated Values: US … if Modality equals MR or PT")."""
    intercept = _nonempty(ds, "RescaleIntercept")
    slope = _nonempty(ds, "RescaleSlope")
    rescale_type = _nonempty(ds, "RescaleType") if profile.modality == "CT" else "US"
    default_type = "HU"
    return {
        "pixel_value_transformation_sequence": [
            {
                "rescale_intercept": value_strings(intercept)[0] if intercept is not None else "0",
                "rescale_slope": value_strings(slope)[0] if slope is not None else "1",
                "rescale_type": str(rescale_type) if rescale_type is not None else default_type,
            }
        ]
    }


#: Image Flavor Defined Terms common to CT and MR (PS3.3 Table C.8-129).
IMAGE_FLAVORS = frozenset(
    "ANGIO CARDIAC CARDIAC_GATED CARDRESP_GATED DYNAMIC FLUOROSCOPY LOCALIZER MOTION PERFUSION "
    "PRE_CONTRAST POST_CONTRAST RESP_GATED REST STATIC STRESS VOLUME NON_PARALLEL PARALLEL "
    "WHOLE_BODY".split()
)


def image_type(ds: Dataset) -> list[str]:
    """Four values (C.8.16.1): the classic Value 1 and 2, its Value 3 as Image Flavor when it
    is one (a classic AXIAL is not: VOLUME then, a stack of axial slices), and Derived Pixel
    Contrast NONE for an original image."""
    values = [str(v) for v in (value_strings(_nonempty(ds, "ImageType")) or [])]
    first = values[0] if values and values[0] in ("ORIGINAL", "DERIVED") else "ORIGINAL"
    second = values[1] if len(values) > 1 and values[1] in ("PRIMARY", "SECONDARY") else "PRIMARY"
    flavor = values[2] if len(values) > 2 and values[2] in IMAGE_FLAVORS else "VOLUME"
    contrast = values[3] if len(values) > 3 and values[3] and first == "DERIVED" else "NONE"
    return [first, second, flavor, contrast]


#: The image description a classic monochrome slice has (Common CT/MR Image Description Macro,
#: C.8.16.2): at the image level of the enhanced module and in each frame type item.
DESCRIPTION = {
    "pixel_presentation": "MONOCHROME",
    "volumetric_properties": "VOLUME",
    "volume_based_calculation_technique": "NONE",
}


def frame_type(ds: Dataset, profile: Profile) -> dict[str, Any]:
    item = {"frame_type": image_type(ds), **DESCRIPTION, **profile.frame_type_extra}
    return {profile.frame_type_sequence: [item]}


def acquisition_datetime(ds: Dataset) -> str | None:
    """The classic image's acquisition date and time as DT (Acquisition DateTime, else
    Acquisition Date + Time).

    Dates and times in the ACR-NEMA form (``1993.04.30``, ``11:27:24``), which PS3.5 Table
    6.2-1 asks readers to accept for backward compatibility, lose their separators; a DT
    joined from anything else that is not a DA and a TM would make the frames' DT invalid,
    so it stops the conversion naming the image."""
    value = _nonempty(ds, "AcquisitionDateTime")
    if value is not None:
        return str(value)
    date, time = _nonempty(ds, "AcquisitionDate"), _nonempty(ds, "AcquisitionTime")
    if date is None:
        return None
    parts = [(str(date).strip(), "DA", ".", "AcquisitionDate")]
    if time is not None:
        parts.append((str(time).strip(), "TM", ":", "AcquisitionTime"))
    joined = ""
    for given, vr, separator, keyword in parts:
        text = given.replace(separator, "") if _ACR_NEMA[vr].fullmatch(given) else given
        problem = format_problem(vr, text)
        if problem is not None:
            raise LegacyConversionError(
                f"classic image (SOP Instance {value_of(ds, _tag('SOPInstanceUID'))}): {keyword} "
                f"{given!r} {problem}; it cannot make the frame's Acquisition DateTime"
            )
        joined += text
    return joined


#: Dates and times as ACR-NEMA wrote them (PS3.5 Table 6.2-1, DA and TM notes).
_ACR_NEMA = {
    "DA": re.compile(r"\d{4}\.\d{2}\.\d{2}"),
    "TM": re.compile(r"\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?"),
}


def frame_content(ds: Dataset, index_values: Sequence[int]) -> dict[str, Any]:
    item: dict[str, Any] = {"dimension_index_values": [int(v) for v in index_values]}
    number = _nonempty(ds, "AcquisitionNumber")
    if number is not None:
        item["frame_acquisition_number"] = int(number)
    when = acquisition_datetime(ds)
    if when is not None:
        item["frame_acquisition_date_time"] = when
        item["frame_reference_date_time"] = when
    return {"frame_content_sequence": [item]}


def conversion_source(ds: Dataset) -> dict[str, Any]:
    return {
        "conversion_source_attributes_sequence": [
            {
                "referenced_sop_class_uid": str(_nonempty(ds, "SOPClassUID")),
                "referenced_sop_instance_uid": str(_nonempty(ds, "SOPInstanceUID")),
            }
        ]
    }


def _body_part_codes() -> dict[str, tuple[str, str, str]]:
    try:
        module = importlib.import_module("iodkit.generated.rules.anatomy")
    except ImportError:  # generated rules absent: no Annex L codes
        return {}
    return dict(getattr(module, "BODY_PART_CODES", {}))


def frame_anatomy(ds: Dataset, body_part: str | None) -> dict[str, Any]:
    """Frame Anatomy (C.7.6.16.2.8): the classic Anatomic Region Sequence, else the PS3.16
    Annex L code of Body Part Examined; Frame Laterality from Image Laterality or Laterality,
    else U (unpaired or unknown). Empty when neither says where."""
    from iodkit.codes import Code

    region = ds.get("AnatomicRegionSequence")
    if region:
        regions: list[Any] = [region[0]]
    elif body_part and body_part in _body_part_codes():
        scheme, value, meaning = _body_part_codes()[body_part]
        regions = [Code(value, scheme, meaning)]
    else:
        return {}
    laterality = str(_nonempty(ds, "ImageLaterality") or _nonempty(ds, "Laterality") or "U")
    if laterality not in ("R", "L", "U", "B"):
        laterality = "U"
    return {
        "frame_anatomy_sequence": [
            {"anatomic_region_sequence": regions, "frame_laterality": laterality}
        ]
    }


def references(ds: Dataset, present: set[str]) -> dict[str, Any]:
    """Referenced Image, Derivation Image and Irradiation Event Identification groups when any
    classic image has the attribute behind them (their conditions in Table A.70-2)."""
    out: dict[str, Any] = {}
    if "ReferencedImageSequence" in present:
        out["referenced_image_sequence"] = list(ds.get("ReferencedImageSequence") or [])
    if "SourceImageSequence" in present:
        derivation: dict[str, Any] = {
            "source_image_sequence": list(ds.get("SourceImageSequence") or [])
        }
        codes = ds.get("DerivationCodeSequence")
        derivation["derivation_code_sequence"] = list(codes or [])
        if _nonempty(ds, "DerivationDescription") is not None:
            derivation["derivation_description"] = str(ds.DerivationDescription)
        out["derivation_image_sequence"] = [derivation]
    if "IrradiationEventUID" in present:
        uid = _nonempty(ds, "IrradiationEventUID")
        out["irradiation_event_identification_sequence"] = [
            {"irradiation_event_uid": [str(v) for v in value_strings(uid)] if uid else []}
        ]
    return out

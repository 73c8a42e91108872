"""Convert a classic single-frame CT, MR or PET series into one Legacy Converted Enhanced image.

PS3.3 A.70 (CT), A.71 (MR), A.72 (PET): the classic images become the frames of one
multi-frame instance, ordered along the plane normal (the stack order of
:mod:`iodkit.derived.frames`), indexed by Image Position (Patient). Every classic attribute is
kept (:mod:`iodkit.legacy.classify`): patient, study, series, frame of reference, equipment,
contrast and other modules of the enhanced IOD take the values the images share; the geometry,
window, rescale, frame type, acquisition time and the converted instance's UIDs become
functional groups (:mod:`iodkit.legacy.frames`) — shared when every frame has the same value,
per frame otherwise; everything else goes to the Unassigned Shared or Per-Frame Converted
Attributes items (C.7.6.16.2.25). Pixel data are copied as stored (native classic pixels are
never decoded).

Refused, naming the problem: images of several modalities or of a SOP class the target does
not convert, images without position, orientation or spacing (the Image Plane Module), images
of different sizes or pixel encodings, MONOCHROME1 (the enhanced IODs are MONOCHROME2 and the
conversion would change the stored values), images without pixel data.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Sequence
from typing import Any

import numpy as np
from iodkit.derived import encoding, frames, imagemodules
from iodkit.derived import modules as core
from iodkit.derived.collector import gc_paused
from iodkit.derived.errors import errors_as
from iodkit.derived.groups import stamp_values
from iodkit.derived.images import SourceImages, describe_sources
from iodkit.derived.references import SourceInstances
from iodkit.legacy import classify
from iodkit.legacy import frames as groups
from iodkit.legacy.errors import LegacyConversionError
from iodkit.legacy.profiles import PROFILES, Profile
from pydicom.dataset import Dataset
from pydicom.tag import BaseTag
from pydicom.uid import UID, ExplicitVRLittleEndian, ImplicitVRLittleEndian

#: Pixel attributes: made from the frames, not copied.
_PIXEL = frozenset(
    {
        0x00280002,
        0x00280004,
        0x00280006,
        0x00280010,
        0x00280011,
        0x00280100,
        0x00280101,
        0x00280102,
        0x00280103,
        0x7FE00010,
        0x00280008,
    }
)
#: Replaced in the new instance (the originals stay in the Conversion Source Attributes and
#: the Common Instance Reference): SOP and Series Instance UIDs, Specific Character Set.
_REPLACED = frozenset({0x00080016, 0x00080018, 0x0020000E, 0x00080005})
#: Modules whose attributes the images share are copied from them.
_COPIED = (
    "patient",
    "clinical_trial_subject",
    "general_study",
    "patient_study",
    "clinical_trial_study",
    "general_series",
    "clinical_trial_series",
    "frame_of_reference",
    "synchronization",
    "general_equipment",
    "contrast_bolus",
    "device",
    "specimen",
    "intervention",
)


class LegacyConvertedEnhancedImage(encoding.Writes):
    """A Legacy Converted Enhanced CT, MR or PET image of ``classic_images`` (pydicom Datasets
    with pixel data, one single-frame series of one modality; see the module docstring).

    Options: ``transfer_syntax_uid`` (the frames are re-encoded when it is not native),
    ``identification`` (series/instance UIDs and numbers of the new series, an
    :class:`~iodkit.derived.Identification`; default series 500; the series description
    defaults to the classic one), ``threads`` for an encoder. The classic images' General
    Equipment is kept: it made the images the frames hold.
    """

    def __init__(
        self,
        classic_images: Sequence[Dataset],
        *,
        transfer_syntax_uid: str = ExplicitVRLittleEndian,
        identification: core.Identification | None = None,
        threads: int | None = None,
    ) -> None:
        with gc_paused():  # see iodkit.derived.collector
            self._plan(list(classic_images), transfer_syntax_uid, identification, threads)

    def _plan(
        self,
        images: list[Dataset],
        transfer_syntax_uid: str,
        identification: core.Identification | None,
        threads: int | None,
    ) -> None:
        with errors_as(LegacyConversionError):
            instances = SourceInstances(images, what="classic image")
        self.profile: Profile = _profile(images)
        _check_primary(images)
        with errors_as(LegacyConversionError):
            self.sources: SourceImages = describe_sources(instances)
            encoding.codec_for(transfer_syntax_uid, what="converted images")
        if self.sources.kind != "series":
            raise LegacyConversionError(
                f"the images are a {self.sources.kind}, not a series of single-frame images: "
                "only classic single-frame images are converted"
            )
        self.images = images
        self.description = _pixel_description(images)
        self.transfer_syntax_uid = UID(transfer_syntax_uid)
        self.threads = threads
        cells = frames.make_cells(len(images), self.sources.plane_shape, None)
        self.frames = frames.plan_frames(self.sources, cells)
        self.order = [cells[c].plane for c in self.frames.frame_cells]
        self.split = classify.split(images, _PIXEL | _REPLACED)
        self.identification = identification or core.Identification.of(series_number=500)
        self.identification.created = datetime.datetime.now()

    @property
    def number_of_frames(self) -> int:
        return len(self.order)

    # -- pixels -----------------------------------------------------------------------------

    def encode_pixels(self) -> encoding.Pixels:
        description = self.description.with_frames(self.number_of_frames)
        stored = [_frame(self.images[i], description) for i in self.order]
        return encoding.encode(stored, description, self.transfer_syntax_uid, threads=self.threads)

    # -- the data set -----------------------------------------------------------------------

    def _dataset_and_pixels(self) -> tuple[Dataset, encoding.Pixels]:
        with gc_paused():  # see iodkit.derived.collector
            pixels = self.encode_pixels()
            ds = self._metadata()
            pixels.finish(ds)
        return ds, pixels

    def _metadata(self) -> Dataset:
        from iodkit.generated import modules as m

        profile = self.profile
        iod_class = profile.iod_class()
        ident = self.identification
        sources = self.sources
        shared = Dataset()
        for elem in self.split.shared.values():
            shared.add(elem)
        copied: dict[str, Any] = {}
        owned: set[int] = set()
        for name in (*_COPIED, profile.series_module, profile.image_module):
            module_cls = iod_class.__modules__[name][0] if name in iod_class.__modules__ else None
            if module_cls is None:
                continue
            owned.update(module_cls.__by_tag__)
            if name in _COPIED:
                module = module_cls.from_dataset(shared)
                if any(True for _ in module) or iod_class.__modules__[name][2] == "M":
                    copied[name] = module
        charsets = {tuple(core.character_set(ds) or ()) for ds in self.images}
        if len(charsets) == 1 and (charset := charsets.pop()):  # else one that covers all
            shared.SpecificCharacterSet = list(charset)
        base = core.common_modules(
            iod_class,
            shared,
            identification=ident,
            equipment=core.Equipment.of(),
            sop_class_uid=profile.sop_class_uid,
            frame_of_reference_uid=sources.frame_of_reference_uid,
        )
        base.pop("enhanced_general_equipment", None)  # U: the classic images' equipment is kept
        if "general_equipment" in copied:
            base.pop("general_equipment")
        modules = {**base, **copied}
        description = self.images[self.order[0]].get("SeriesDescription")
        series = core.general_series(
            profile.modality,
            ident,
            self.images,
            **{k: v for k, v in copied["general_series"] if k not in _SERIES_REPLACED},
        )
        if series.series_description is None and description:
            series.series_description = str(description)
        modules["general_series"] = series
        series_cls = iod_class.__modules__[profile.series_module][0]
        series_values: dict[str, Any] = {"modality": profile.modality}
        if "series_instance_uid" in series_cls.__dict__:
            series_values["series_instance_uid"] = ident.series_instance_uid
            series_values["study_instance_uid"] = str(shared.StudyInstanceUID)
        modules[profile.series_module] = _merged(series_cls.from_dataset(shared), series_values)
        modules[profile.image_module] = self._image_module(shared)
        modules["image_pixel"] = m.ImagePixelModule(
            samples_per_pixel=1,
            photometric_interpretation="MONOCHROME2",
            rows=self.description.rows,
            columns=self.description.columns,
            bits_allocated=self.description.bits_allocated,
            bits_stored=self.description.bits_stored,
            high_bit=self.description.high_bit,
            pixel_representation=self.description.pixel_representation,
        )
        modules["acquisition_context"] = m.AcquisitionContextModule()
        shared_group, per_frame = self._functional_groups(owned)
        modules["multi_frame_functional_groups"] = m.MultiFrameFunctionalGroupsModule(
            shared_functional_groups_sequence=[shared_group],
            number_of_frames=self.number_of_frames,
            content_date=ident.date,
            content_time=ident.time,
            instance_number=ident.instance_number,
        )
        modules["multi_frame_dimension"] = frames.dimension_module(sources, self.frames, None)
        modules["common_instance_reference"] = imagemodules.common_instance_reference(sources)
        iod = iod_class(**modules)
        ds = iod.to_dataset(file_meta=True)
        implicit = self.transfer_syntax_uid == ImplicitVRLittleEndian
        imagemodules.stamp_source_references(ds, sources, implicit)
        fg_class = profile.iod_class().FunctionalGroups
        stamped = stamp_values(fg_class, per_frame, ds, implicit_vr=implicit)
        if stamped is not None:  # one shape: the first item built, the others stamped
            ds[0x52009230] = stamped
        else:  # frames of several shapes: each built and written as it is
            ds.PerFrameFunctionalGroupsSequence = [
                fg_class(**values).to_dataset(fill_type2=False) for values in per_frame
            ]
        return ds

    def _image_module(self, shared: Dataset) -> Any:
        """The enhanced image module: the shared values the classic images give, Image Type
        from theirs, the pixel description, acquisition time span, Presentation LUT Shape."""
        profile = self.profile
        cls = profile.iod_class().__modules__[profile.image_module][0]
        module = cls.from_dataset(shared)
        first = self.images[self.order[0]]
        values: dict[str, Any] = {
            "image_type": groups.image_type(first),
            "samples_per_pixel": 1,
            "photometric_interpretation": "MONOCHROME2",
            "bits_allocated": self.description.bits_allocated,
            "bits_stored": self.description.bits_stored,
            "high_bit": self.description.high_bit,
            "presentation_lut_shape": "IDENTITY",
            "burned_in_annotation": str(shared.get("BurnedInAnnotation", "") or "NO"),
            **imagemodules.lossy_compression(shared),
        }
        for name, value in {**groups.DESCRIPTION, **profile.frame_type_extra}.items():
            if hasattr(cls, name):
                values[name] = value
        if hasattr(cls, "pixel_representation"):
            values["pixel_representation"] = self.description.pixel_representation
        if hasattr(cls, "content_qualification"):
            values["content_qualification"] = str(
                shared.get("ContentQualification", "") or "PRODUCT"
            )
        times = sorted(t for t in (groups.acquisition_datetime(d) for d in self.images) if t)
        if times and hasattr(cls, "acquisition_date_time"):
            values["acquisition_date_time"] = times[0]
            values["acquisition_duration"] = _seconds_between(times[0], times[-1])
        return _merged(module, values)

    def _functional_groups(self, owned: set[int]) -> tuple[Dataset, list[dict[str, Any]]]:
        """The shared item and each frame's group values (see the module docstring)."""
        profile = self.profile
        fg_class = profile.iod_class().FunctionalGroups
        images = [self.images[i] for i in self.order]
        window = _window_over(images, self.description)
        body_element = self.split.shared.get(_BODY_PART)
        body_part = None if body_element is None else str(body_element.value)
        present = {
            keyword
            for keyword in ("ReferencedImageSequence", "SourceImageSequence", "IrradiationEventUID")
            if any(keyword in ds for ds in images)
        }
        makers = [
            groups.pixel_measures,
            groups.plane_position,
            groups.plane_orientation,
            lambda ds: groups.frame_type(ds, profile),
            lambda ds: groups.frame_anatomy(ds, body_part),
            lambda ds: groups.references(ds, present),
        ]
        if profile.pixel_value_transformation or any("RescaleSlope" in ds for ds in images):
            makers.append(lambda ds: groups.pixel_value_transformation(ds, profile))
        if profile.frame_voi_lut or any("WindowCenter" in ds for ds in images):
            makers.append(lambda ds: groups.frame_voi_lut(ds, window))
        shared_values: dict[str, Any] = {}
        per_frame_values: list[dict[str, Any]] = [{} for _ in images]
        for make in makers:
            made = [make(ds) for ds in images]
            for name in made[0]:
                column = [values[name] for values in made]
                if all(v == column[0] for v in column):
                    shared_values[name] = column[0]
                else:
                    for values, value in zip(per_frame_values, column, strict=True):
                        values[name] = value
        for k, ds in enumerate(images):
            per_frame_values[k].update(groups.frame_content(ds, self.frames.index_values[k]))
            per_frame_values[k].update(groups.conversion_source(ds))
        moved = groups.moved(profile)
        taken = owned | moved | _PIXEL | _REPLACED
        unassigned = [t for t in self.split.shared if t not in taken]
        if unassigned:
            shared_values["unassigned_shared_converted_attributes_sequence"] = [
                classify.item_of(sorted(unassigned), images[0])
            ]
        varying = sorted(t for t in self.split.varying if t not in moved)
        for k, ds in enumerate(images):
            # the group is mandatory in every frame (Table A.70-2 "M"): its one item holds
            # what only some images have, and is empty for a frame that has none of it
            own = [t for t in varying if t in ds]
            per_frame_values[k]["unassigned_per_frame_converted_attributes_sequence"] = [
                classify.item_of(own, ds)
            ]
        shared_item = fg_class(**shared_values).to_dataset(fill_type2=False)
        return shared_item, per_frame_values


_BODY_PART = BaseTag(0x00180015)
#: General Series attributes the new series does not take from the classic one.
_SERIES_REPLACED = frozenset(
    {"modality", "series_instance_uid", "series_number", "series_description", "body_part_examined"}
)


def _merged(module: Any, values: dict[str, Any]) -> Any:
    for name, value in values.items():
        setattr(module, name, value)
    return module


def _profile(images: list[Dataset]) -> Profile:
    modalities: dict[str, int] = {}
    for ds in images:
        key = str(ds.get("Modality", "") or "(none)")
        modalities[key] = modalities.get(key, 0) + 1
    if len(modalities) > 1:
        listed = ", ".join(f"{k} ({n} images)" for k, n in sorted(modalities.items()))
        raise LegacyConversionError(
            f"the images are of {len(modalities)} modalities ({listed}); a Legacy Converted "
            "Enhanced image converts one series of one modality"
        )
    modality = next(iter(modalities))
    profile = PROFILES.get(modality)
    if profile is None:
        raise LegacyConversionError(
            f"Modality {modality}: Legacy Converted Enhanced images exist for CT, MR and PT "
            "(PS3.3 A.70–A.72)"
        )
    for i, ds in enumerate(images):
        if str(ds.get("SOPClassUID", "")) not in profile.classic_sop_classes:
            raise LegacyConversionError(
                f"classic image {i} has SOP Class {ds.get('SOPClassUID')}, not the classic "
                f"{profile.modality} Image Storage SOP Class the conversion takes"
            )
    return profile


def _check_primary(images: list[Dataset]) -> None:
    """Every classic image must be PRIMARY (Image Type Value 2, C.8.16.1.2)."""
    for i, ds in enumerate(images):
        image_type = [str(v) for v in _as_list(ds.get("ImageType"))]
        if len(image_type) > 1 and image_type[1] == "SECONDARY":
            written = "\\".join(image_type)
            raise LegacyConversionError(
                f"classic image {i} has Image Type {written}: a SECONDARY "
                "image (made after the examination — a reformat, a capture) cannot be a frame "
                "of an enhanced CT/MR/PET image, whose Image Type Value 2 is PRIMARY only "
                "(PS3.3 C.8.16.1.2); keep it as it is, or store it as a Secondary Capture "
                "(iodkit.sc)"
            )


#: What :meth:`PixelDescription.from_dataset` reads: Rows, Columns, Bits Allocated / Stored,
#: Pixel Representation, Samples per Pixel, Photometric Interpretation, Planar Configuration,
#: Number of Frames, and whether Float / Double Float Pixel Data are there.
_DESCRIBING = tuple(
    BaseTag(t)
    for t in (0x00280010, 0x00280011, 0x00280100, 0x00280101, 0x00280103, 0x00280002)
    + (0x00280004, 0x00280006, 0x00280008)
)
_FLOAT_PIXELS = (BaseTag(0x7FE00008), BaseTag(0x7FE00009))
_PIXEL_DATA = BaseTag(0x7FE00010)


def _describing(ds: Dataset) -> list[Any]:
    """The elements' values a pixel description is made of, as they are (raw bytes as read):
    images whose values are equal have equal descriptions."""
    values = [None if (e := ds.get_item(t)) is None else e.value for t in _DESCRIBING]
    return values + [t in ds for t in _FLOAT_PIXELS]


def _pixel_description(images: list[Dataset]) -> Any:
    from iodkit.pixels import PixelDescription
    from iodkit.pixels.errors import PixelError

    found = set()
    known: list[Any] | None = None  # the values ``description`` was made from
    for i, ds in enumerate(images):
        if _PIXEL_DATA not in ds:
            raise LegacyConversionError(f"classic image {i} has no Pixel Data to convert")
        if not ds[_PIXEL_DATA].value:  # read if its reading was deferred
            raise LegacyConversionError(
                f"classic image {i} (SOP Instance {ds.get('SOPInstanceUID', '?')}) has an "
                "empty Pixel Data element: there is no frame to convert"
            )
        values = _describing(ds)
        if values != known:  # else described (and checked) as the first image was
            try:
                description = PixelDescription.from_dataset(ds)
            except (PixelError, AttributeError, KeyError) as exc:
                raise LegacyConversionError(f"classic image {i}: {exc}") from exc
            if description.photometric_interpretation != "MONOCHROME2":
                raise LegacyConversionError(
                    f"classic image {i} is {description.photometric_interpretation}; the "
                    "enhanced IODs are MONOCHROME2 and converting would change its stored "
                    "values (PS3.3 A.70.3.1): convert it to MONOCHROME2 first"
                )
            known = values
            found.add(description)
        _check_native_length(i, ds, description)
    if len(found) > 1:
        raise LegacyConversionError(
            "the classic images encode their pixels differently (rows, columns, bits or "
            "representation differ); the frames of one image share one encoding"
        )
    return found.pop()


def _check_native_length(i: int, ds: Dataset, description: Any) -> None:
    """Native Pixel Data shorter than the frame its Rows, Columns and Bits Allocated describe
    (a truncated file, a wrong header) cannot be converted: say so now, with both lengths,
    rather than fail in NumPy while writing."""
    syntax = getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", ExplicitVRLittleEndian)
    if not _native_little_endian(str(syntax)):
        return
    have, need = len(ds[_PIXEL_DATA].value), description.frame_length
    if have < need:
        raise LegacyConversionError(
            f"classic image {i} (SOP Instance {ds.get('SOPInstanceUID', '?')}) has {have:,} "
            f"bytes of Pixel Data where its {description.rows}×{description.columns} pixels "
            f"of {description.bits_allocated} bits need {need:,}"
        )


def _as_list(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    return [value] if isinstance(value, str) else list(value)


def _frame(ds: Dataset, description: Any) -> np.ndarray:
    """The stored frame: the native bytes as they are, or decoded from a compressed file."""
    syntax = getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", ExplicitVRLittleEndian)
    if _native_little_endian(str(syntax)):
        raw = np.frombuffer(
            ds[_PIXEL_DATA].value,
            dtype=description.dtype,
            count=description.rows * description.columns,
        )
        return raw.reshape(description.rows, description.columns)
    return np.ascontiguousarray(ds.pixel_array, dtype=description.dtype)


@functools.cache
def _native_little_endian(syntax: str) -> bool:
    uid = UID(syntax)
    return not uid.is_compressed and uid.is_little_endian


def _window_over(images: list[Dataset], description: Any) -> tuple[float, float]:
    """A window for classic images that have none (CT and PET need one, Table A.70-2): the
    range the stored values can take (Bits Stored, Pixel Representation) after the rescale —
    not a reading window, but one that shows every value, found without decoding a frame."""
    low, high = description.value_range
    first = images[0]
    slope = float(first.get("RescaleSlope", 1) or 1)
    intercept = float(first.get("RescaleIntercept", 0) or 0)
    ends = sorted((low * slope + intercept, high * slope + intercept))
    return ((ends[0] + ends[1]) / 2, max(ends[1] - ends[0], 1.0))


def _seconds_between(first: str, last: str) -> float:
    from pydicom.valuerep import DT

    try:
        return float((DT(last) - DT(first)).total_seconds())
    except (ValueError, TypeError):
        return 0.0

"""Write a Secondary Capture image (PS3.3 A.8) from a NumPy array and a reference dataset.

The array decides the SOP class (PS3.4 B.5):

* ``(rows, columns)`` or ``(rows, columns, 3)`` — one frame: Secondary Capture Image Storage
  (A.8.1), MONOCHROME2 8 or 16 bit, or RGB;
* ``(frames, rows, columns)`` uint8 — Multi-frame Grayscale Byte SC (A.8.3), uint16 —
  Multi-frame Grayscale Word SC (A.8.4, Bits Stored from the values, 9…16);
  ``(frames, rows, columns, 3)`` uint8 — Multi-frame True Color SC (A.8.5).

A last axis of 4 (RGBA) or of 3 in a uint16 array is refused unless ``color=False`` says the
array is greyscale frames that narrow (see :func:`_is_color`).

Patient and study come from ``reference`` (the images the capture shows), through the
derived-object core. A coordinate system places the pixels:

* ``"PATIENT"`` — a frame of reference (the reference's, or a new one) and, per frame,
  Image Position/Orientation (Patient) with Pixel Spacing: the Image Plane Module of a single
  frame (C.7.6.2), the Pixel Measures and Plane Position/Orientation (Patient) functional
  groups of a multi-frame image (A.8.3.5);
* ``"SLIDE"`` — the pixel spacing as Nominal Scanned Pixel Spacing (C.8.6.2): a capture of a
  slide, measurable, not positioned in the patient; a single frame also gets a frame of
  reference whose Position Reference Indicator is SLIDE_CORNER (C.7.4.1.1.2) — a multi-frame
  SC may have one only with the patient-positioned functional groups (Table A.8-3);
* none — only the pixels.

Every lossless transfer syntax of :mod:`iodkit.pixels` applies (a lossy one is refused: a
capture re-encoded lossily should say so in Lossy Image Compression, which this writer does not
guess).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from iodkit.builders import EMPTY
from iodkit.derived import encoding
from iodkit.derived import modules as core
from iodkit.derived.errors import DerivedObjectError, errors_as
from iodkit.derived.geometry import format_ds
from iodkit.derived.references import SourceInstances
from pydicom.dataset import Dataset
from pydicom.uid import UID, ExplicitVRLittleEndian, generate_uid
from pydicom.valuerep import DSfloat

SC_IMAGE = "1.2.840.10008.5.1.4.1.1.7"
MULTI_FRAME_BYTE = "1.2.840.10008.5.1.4.1.1.7.2"
MULTI_FRAME_WORD = "1.2.840.10008.5.1.4.1.1.7.3"
MULTI_FRAME_TRUE_COLOR = "1.2.840.10008.5.1.4.1.1.7.4"
_IODS = {
    SC_IMAGE: "SecondaryCaptureImageIOD",
    MULTI_FRAME_BYTE: "MultiFrameGrayscaleByteSecondaryCaptureImageIOD",
    MULTI_FRAME_WORD: "MultiFrameGrayscaleWordSecondaryCaptureImageIOD",
    MULTI_FRAME_TRUE_COLOR: "MultiFrameTrueColorSecondaryCaptureImageIOD",
}


class SecondaryCaptureError(DerivedObjectError):
    """The inputs cannot make a valid Secondary Capture image."""


def _is_color(array: np.ndarray, color: bool | None) -> bool:
    """Whether ``array``'s last axis is R, G, B (see :class:`SecondaryCapture`'s ``color``).

    Secondary Capture colour is RGB of 8 bits per sample: Multi-frame True Color SC fixes
    Bits Allocated 8 (C.8.6.5), and the other SC IODs have no alpha channel (Samples per Pixel
    3, Photometric Interpretation RGB). Any other array with a last axis of 3 or 4 would be
    taken for greyscale frames as many pixels wide, silently: it is refused unless ``color``
    says which it is."""
    last = array.shape[-1] if array.ndim >= 3 else None
    if color is None:
        if last == 3 and array.dtype == np.uint8:
            return True
        if last == 4:
            raise SecondaryCaptureError(
                f"pixels shape {array.shape} {array.dtype}: a last axis of 4 looks like RGBA; "
                "Secondary Capture has no alpha channel — drop it (pixels[..., :3]) and give "
                "uint8 RGB, or pass color=False if these are greyscale frames 4 pixels wide"
            )
        if last == 3:
            raise SecondaryCaptureError(
                f"pixels shape {array.shape} {array.dtype}: a last axis of 3 looks like RGB, "
                "but Secondary Capture colour is 8 bits per sample (C.8.6.5) — convert it to "
                "uint8 (e.g. (pixels >> 8).astype(np.uint8) for 16-bit RGB), or pass "
                "color=False if these are greyscale frames 3 pixels wide"
            )
        return False
    if color and (last != 3 or array.dtype != np.uint8):
        raise SecondaryCaptureError(
            f"color=True needs uint8 pixels whose last axis is R, G, B (3), got shape "
            f"{array.shape} {array.dtype}"
            + ("; drop the alpha channel (pixels[..., :3])" if last == 4 else "")
        )
    return bool(color)


class SecondaryCapture(encoding.Writes):
    """A Secondary Capture image to be written (see the module docstring).

    ``pixels``: the frame or frames; ``reference``: a Dataset whose patient and study the
    capture joins; ``coordinate_system`` with ``pixel_spacing`` (mm between rows, columns),
    for PATIENT ``image_orientation`` and ``image_positions`` (one per frame) and optionally
    ``frame_of_reference_uid`` (default: the reference's, else a new one); ``conversion_type``
    (SC Equipment, C.8.6.1: WSD workstation — the default —, DV digitized video, SI scanned
    image — a SLIDE capture's default, which must be DF, SD or SI …);
    ``identification`` (default series 600) and ``equipment`` as :mod:`iodkit.derived` makes
    them. ``color``: whether the last axis holds R, G, B samples — by default a uint8 array
    whose last axis is 3 is colour and a last axis of 3 or 4 of any other array is refused as
    ambiguous (an RGBA screenshot, 16-bit RGB, or really greyscale frames 3 or 4 pixels wide:
    ``color=False`` says it is the last).
    """

    def __init__(
        self,
        pixels: np.ndarray,
        reference: Dataset,
        *,
        coordinate_system: Literal["PATIENT", "SLIDE"] | None = None,
        pixel_spacing: tuple[float, float] | None = None,
        image_orientation: Sequence[float] | None = None,
        image_positions: Sequence[Sequence[float]] | None = None,
        frame_of_reference_uid: str | None = None,
        conversion_type: str | None = None,
        transfer_syntax_uid: str = ExplicitVRLittleEndian,
        identification: core.Identification | None = None,
        equipment: core.Equipment | None = None,
        threads: int | None = None,
        color: bool | None = None,
    ) -> None:
        array = np.asarray(pixels)
        self.color = _is_color(array, color)
        spatial = array.ndim - (1 if self.color else 0)
        if spatial not in (2, 3) or array.size == 0:
            raise SecondaryCaptureError(
                f"pixels shape {array.shape}: give (rows, columns[, 3]) or (frames, rows, "
                "columns[, 3])"
            )
        if array.dtype not in (np.uint8, np.uint16):
            raise SecondaryCaptureError(
                f"pixels dtype {array.dtype}: Secondary Capture stores uint8 (byte, RGB) or "
                "uint16 (word) values"
            )
        self.frames = array if spatial == 3 else array[np.newaxis]
        self.multi_frame = spatial == 3
        self.sop_class_uid = (
            SC_IMAGE
            if not self.multi_frame
            else MULTI_FRAME_TRUE_COLOR
            if self.color
            else MULTI_FRAME_BYTE
            if array.dtype == np.uint8
            else MULTI_FRAME_WORD
        )
        with errors_as(SecondaryCaptureError):
            SourceInstances([reference], what="reference")
            self.codec = encoding.codec_for(transfer_syntax_uid, what="secondary captures")
        self.reference = reference
        self.transfer_syntax_uid = UID(transfer_syntax_uid)
        self.coordinate_system = coordinate_system
        self._check_geometry(pixel_spacing, image_orientation, image_positions)
        self.pixel_spacing = pixel_spacing
        self.image_orientation = (
            None if image_orientation is None else [float(v) for v in image_orientation]
        )
        self.image_positions = (
            None if image_positions is None else [[float(v) for v in p] for p in image_positions]
        )
        self.frame_of_reference_uid = (
            None
            if coordinate_system is None or (coordinate_system == "SLIDE" and self.multi_frame)
            else frame_of_reference_uid
            or str(reference.get("FrameOfReferenceUID", "") or "")
            or generate_uid()
        )
        self.conversion_type = _conversion_type(conversion_type, coordinate_system)
        self.threads = threads
        self.identification = identification or core.Identification.of(series_number=600)
        self.equipment = equipment or core.Equipment.of()
        with errors_as(SecondaryCaptureError):
            encoding.check_encoding(self._description(), self.transfer_syntax_uid, what="frames")
        self.identification.created = datetime.datetime.now()

    def _check_geometry(self, spacing: Any, orientation: Any, positions: Any) -> None:
        system = self.coordinate_system
        if system not in (None, "PATIENT", "SLIDE"):
            raise SecondaryCaptureError(f"coordinate_system {system!r} is not PATIENT or SLIDE")
        if system is None:
            if spacing is not None or orientation is not None or positions is not None:
                raise SecondaryCaptureError(
                    "pixel_spacing, image_orientation and image_positions place the pixels in "
                    "a coordinate system: give coordinate_system='PATIENT' or 'SLIDE'"
                )
            return
        if spacing is None or len(spacing) != 2 or min(float(v) for v in spacing) <= 0:
            raise SecondaryCaptureError(f"{system} pixels need pixel_spacing: two positive mm")
        if system == "SLIDE":
            if orientation is not None or positions is not None:
                raise SecondaryCaptureError(
                    "image_orientation and image_positions are patient coordinates (C.7.6.2); "
                    "a SLIDE capture has only its pixel spacing"
                )
            return
        if orientation is None or len(orientation) != 6:
            raise SecondaryCaptureError("PATIENT pixels need image_orientation (six cosines)")
        if positions is None or len(positions) != len(self.frames):
            raise SecondaryCaptureError(
                f"PATIENT pixels need one image position per frame ({len(self.frames)})"
            )

    def _description(self) -> Any:
        from iodkit.pixels import PixelDescription

        _, rows, columns = self.frames.shape[:3]
        bits = 8 if self.frames.dtype == np.uint8 else 16
        stored = bits
        if bits == 16 and self.multi_frame:  # Word SC: Bits Stored 9…16 (C.8.6.3)
            stored = max(9, int(self.frames.max()).bit_length())
        return PixelDescription(
            rows=rows,
            columns=columns,
            bits_allocated=bits,
            bits_stored=stored,
            samples_per_pixel=3 if self.color else 1,
            photometric_interpretation="RGB" if self.color else "MONOCHROME2",
            number_of_frames=len(self.frames),
        ).checked()

    def encode_pixels(self) -> encoding.Pixels:
        description = self._description()
        frames = [np.ascontiguousarray(f, dtype=description.dtype) for f in self.frames]
        return encoding.encode(frames, description, self.transfer_syntax_uid, threads=self.threads)

    def _dataset_and_pixels(self) -> tuple[Dataset, encoding.Pixels]:
        pixels = self.encode_pixels()
        ds = self._metadata(pixels.description)
        pixels.finish(ds)
        return ds, pixels

    def _metadata(self, description: Any) -> Dataset:
        from iodkit.generated import iods
        from iodkit.generated import modules as m

        iod_class = getattr(iods, _IODS[self.sop_class_uid])
        ident = self.identification
        modules = core.common_modules(
            iod_class,
            self.reference,
            identification=ident,
            equipment=self.equipment,
            sop_class_uid=self.sop_class_uid,
            frame_of_reference_uid=self.frame_of_reference_uid,
        )
        if "frame_of_reference" in modules and self.coordinate_system == "SLIDE":
            modules["frame_of_reference"].position_reference_indicator = "SLIDE_CORNER"
        # the reference's body part when unpaired; else Laterality unknown (empty) for a
        # patient capture — dciodvfy presumes an unknown body part paired
        laterality = (
            core.series_laterality([self.reference]) if self.coordinate_system != "SLIDE" else {}
        )
        modules["general_series"] = core.general_series("OT", ident, [self.reference], **laterality)
        modules["sc_equipment"] = m.SCEquipmentModule(conversion_type=self.conversion_type)
        modules["general_acquisition"] = m.GeneralAcquisitionModule()
        modules["general_image"] = m.GeneralImageModule(
            instance_number=ident.instance_number,
            content_date=ident.date,
            content_time=ident.time,
            # Type 2C: the directions of the rows and columns, empty (unknown) without them
            patient_orientation=(
                patient_orientation(self.image_orientation)
                if self.image_orientation is not None
                else EMPTY
            ),
        )
        modules["image_pixel"] = m.ImagePixelModule(
            samples_per_pixel=description.samples_per_pixel,
            photometric_interpretation=description.photometric_interpretation,
            rows=description.rows,
            columns=description.columns,
            bits_allocated=description.bits_allocated,
            bits_stored=description.bits_stored,
            high_bit=description.high_bit,
            pixel_representation=0,
            planar_configuration=0 if self.color else None,
        )
        spacing: list[float] | None = (  # floats written as format_ds's 16-character strings
            None
            if self.pixel_spacing is None
            else [DSfloat(v) for v in format_ds(self.pixel_spacing)]
        )
        sc_image = m.SCImageModule(
            date_of_secondary_capture=ident.date, time_of_secondary_capture=ident.time
        )
        if self.coordinate_system == "SLIDE":
            sc_image.nominal_scanned_pixel_spacing = spacing
        if not self.multi_frame:
            modules["sc_image"] = sc_image
            if self.coordinate_system == "PATIENT":
                assert self.image_positions is not None and self.image_orientation is not None
                modules["image_plane"] = m.ImagePlaneModule(
                    pixel_spacing=spacing,
                    image_orientation_patient=self.image_orientation,
                    image_position_patient=self.image_positions[0],
                )
        else:
            modules["sc_image"] = sc_image
            several = len(self.frames) > 1
            # one frame: no Frame Increment Pointer (Type 1C in the SC Multi-frame Image Module,
            # C.8-25b, "if Number of Frames is greater than 1", specializing the Multi-frame
            # Module's Type 1) and no SC Multi-frame Vector Module (the same condition, A.8-3)
            modules["multi_frame"] = m.MultiFrameModule(
                number_of_frames=len(self.frames),
                frame_increment_pointer=[0x00182002] if several else None,  # Frame Label Vector
            )
            modules["sc_multi_frame_image"] = self._multi_frame_image(m, description)
            if several:
                modules["sc_multi_frame_vector"] = m.SCMultiFrameVectorModule(
                    frame_label_vector=[f"Frame {k + 1}" for k in range(len(self.frames))]
                )
            if self.coordinate_system == "PATIENT":
                modules["multi_frame_functional_groups"] = self._functional_groups(
                    m, iod_class, spacing
                )
        iod = iod_class(**modules)
        return iod.to_dataset(file_meta=True)

    def _multi_frame_image(self, m: Any, description: Any) -> Any:
        module = m.SCMultiFrameImageModule(burned_in_annotation="NO")
        if not self.color:
            module.presentation_lut_shape = "IDENTITY"
            module.rescale_intercept = 0.0
            module.rescale_slope = 1.0
            module.rescale_type = "US"
        return module

    def _functional_groups(self, m: Any, iod_class: Any, spacing: Any) -> Any:
        fg = iod_class.FunctionalGroups
        assert self.image_positions is not None and self.image_orientation is not None
        shared = fg(
            pixel_measures_sequence=[{"pixel_spacing": spacing}],
            plane_orientation_sequence=[{"image_orientation_patient": self.image_orientation}],
        ).to_dataset(fill_type2=False)
        per_frame = [
            fg(plane_position_sequence=[{"image_position_patient": p}]).to_dataset(fill_type2=False)
            for p in self.image_positions
        ]
        ident = self.identification
        return m.MultiFrameFunctionalGroupsModule(
            shared_functional_groups_sequence=[shared],
            per_frame_functional_groups_sequence=per_frame,
            number_of_frames=len(self.frames),
            content_date=ident.date,
            content_time=ident.time,
            instance_number=ident.instance_number,
        )


def patient_orientation(orientation: Sequence[float]) -> list[str]:
    """Patient Orientation (C.7.6.1.1.1) of rows and columns from Image Orientation (Patient):
    for each direction the letters of its axes (L/R, P/A, H/F), the largest component first."""
    letters = (("L", "R"), ("P", "A"), ("H", "F"))
    out = []
    for cosines in (orientation[:3], orientation[3:]):
        ranked = sorted(range(3), key=lambda axis: -abs(cosines[axis]))
        out.append(
            "".join(
                letters[axis][0 if cosines[axis] > 0 else 1]
                for axis in ranked
                if abs(cosines[axis]) > 1e-3
            )
        )
    return out


#: Conversion Types whose captures may carry Nominal Scanned Pixel Spacing (C.8.6.2: required
#: for DF Digitized Film, "may also be present" for SD Scanned Document and SI Scanned Image).
_SCANNED = ("DF", "SD", "SI")


def _conversion_type(given: str | None, system: str | None) -> str:
    """SC Equipment's Conversion Type (C.8.6.1): as given, or WSD (workstation); for a SLIDE
    capture, whose pixel spacing is Nominal Scanned Pixel Spacing, SI (scanned image) by
    default and one of DF, SD, SI if given."""
    if system != "SLIDE":
        return given or "WSD"
    if given is None:
        return "SI"
    if given not in _SCANNED:
        raise SecondaryCaptureError(
            f"conversion_type {given!r}: a SLIDE capture's pixel spacing is Nominal Scanned Pixel "
            "Spacing, which only DF, SD and SI captures carry (C.8.6.2); give one of those or "
            "leave it out (SI)"
        )
    return given

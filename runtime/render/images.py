"""Source images as pictures: stored pixels → what a display would show, as 8-bit arrays.

The grey-scale pipeline is the standard's (PS3.4 N.2, Figure N.2-1): stored values → Modality
LUT or rescale → VOI LUT or window → Presentation LUT → P-values, here mapped linearly onto
0…255. Each step is pydicom's (:mod:`pydicom.pixels.processing`): this module only chooses
which attributes feed each step — the image's own, or those of a presentation state
(:mod:`iodkit.render.pr`) — and scales the result for an 8-bit picture.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydicom.dataset import Dataset

_MONOCHROME = ("MONOCHROME1", "MONOCHROME2")


class RenderError(ValueError):
    """The objects given cannot be drawn (missing images, unsupported kind); says why."""


def not_among(
    images: Sequence[Dataset], is_what: str, wanted: str, referenced: int | None = None
) -> RenderError:
    """The error when none of ``images`` ``is_what`` the object needs ("is a source of the
    Segmentation"): says so when no image was given at all, and counts in words that agree."""
    refs = "" if referenced is None else f" (it references {count(referenced, 'instance')})"
    if not images:
        return RenderError(
            f"no images were given: pass {wanted}{refs} as files or folders after the object"
        )
    given = "the image given" if len(images) == 1 else f"none of the {len(images)} images given"
    verb = is_what if len(images) > 1 else is_what.replace("is ", "is not ", 1)
    return RenderError(f"{given} {verb}{refs}; pass {wanted}")


def count(n: int, noun: str) -> str:
    """``n`` and ``noun``, plural when ``n`` is not 1."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def load(source: str | os.PathLike[str] | Dataset) -> Dataset:
    """A Dataset as given, or read from a path (pixel data included, decoded on use)."""
    if isinstance(source, Dataset):
        return source
    return read_file(source)


_SYNTAX = {
    (True, True): "1.2.840.10008.1.2",  # Implicit VR Little Endian
    (False, True): "1.2.840.10008.1.2.1",  # Explicit VR Little Endian
    (False, False): "1.2.840.10008.1.2.2",  # Explicit VR Big Endian (retired)
    (True, False): "1.2.840.10008.1.2",
}


def read_file(path: str | os.PathLike[str], **options: Any) -> Dataset:
    """``path`` read by pydicom (``options`` go to ``dcmread``). A file without the PS3.10
    preamble and "DICM" (an old or hand-made dataset) is read as a bare dataset when it holds
    a SOP Class UID, as ``iodkit validate`` reads it; anything else is a :class:`RenderError`
    naming the file — never pydicom's advice to pass ``force=True``, which no caller of
    ``iodkit render`` can."""
    import pydicom
    from pydicom.errors import InvalidDicomError

    try:
        return pydicom.dcmread(path, **options)
    except InvalidDicomError:
        try:
            bare = pydicom.dcmread(path, force=True, **options)
            if "SOPClassUID" in bare:
                # the encoding pydicom found, so that Pixel Data can be decoded (PS3.5 A.1-A.3)
                implicit, little = bare.original_encoding
                meta = getattr(bare, "file_meta", None) or pydicom.dataset.FileMetaDataset()
                bare.file_meta = meta
                syntax = _SYNTAX[(implicit is not False, little is not False)]
                bare.file_meta.setdefault("TransferSyntaxUID", syntax)
                return bare
        except Exception:
            pass
        raise RenderError(
            f"{path}: not a DICOM file (no PS3.10 preamble and 'DICM' prefix, and no "
            "dataset with a SOP Class UID either)"
        ) from None
    except Exception as exc:
        raise RenderError(f"{path}: not a readable DICOM file ({exc})") from exc


def dicom_files(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Path]:
    """The files named, and every file below the folders named (sorted), that start like a
    DICOM file (PS3.10 preamble and "DICM")."""
    for given in paths:
        path = Path(given)
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                with open(child, "rb") as fh:
                    head = fh.read(132)
                if head[128:132] == b"DICM":
                    yield child
        else:
            yield path


def stored_pixels(ds: Dataset, frame: int = 0) -> np.ndarray:
    """Frame ``frame`` (0-based) of ``ds`` as decoded by pydicom (YBR converted to RGB)."""
    from pydicom.pixels import pixel_array

    frames = int(ds.get("NumberOfFrames") or 1)
    if not 0 <= frame < frames:
        raise RenderError(f"frame index {frame} is outside the image's {frames} frames")
    if "PixelData" not in ds and "FloatPixelData" not in ds and "DoubleFloatPixelData" not in ds:
        raise RenderError(
            f"image {ds.get('SOPInstanceUID', '?')} has no Pixel Data: nothing to draw (a "
            "source image given by its header alone: pass the file itself)"
        )
    return pixel_array(ds, index=frame if frames > 1 else None)


@dataclass
class GreySteps:
    """Where each step of the grey pipeline takes its attributes from (PS3.4 N.2).

    ``modality`` holds Rescale Slope/Intercept or a Modality LUT Sequence (or neither: an
    identity); ``voi`` Window Center/Width (with VOI LUT Function) or a VOI LUT Sequence, or
    ``None`` for an identity; ``presentation`` Presentation LUT Shape or a Presentation LUT
    Sequence, or ``None``. ``own_range`` shows the values' own range where no VOI step
    applies (an image shown by itself), rather than the full range of the modality output
    (a presentation state's identity VOI, N.2.1.3).
    """

    modality: Dataset
    voi: Dataset | None
    presentation: Dataset | None = None
    own_range: bool = False

    @classmethod
    def of_image(cls, image: Dataset, frame: int = 0) -> GreySteps:
        """The image's own Modality LUT and VOI LUT steps (its first window or LUT) for frame
        ``frame`` (0-based): a multi-frame image with functional groups keeps them in the Pixel
        Value Transformation and Frame VOI LUT groups (PS3.3 C.7.6.16.2.9, C.7.6.16.2.10) — the
        frame's own item, else the shared one — and only a classic image at the top level."""
        from iodkit.pr.luts import frame_macro, has_functional_groups

        has_voi = any(k in image for k in ("WindowCenter", "VOILUTSequence"))
        modality: Dataset = image
        voi: Dataset | None = image if has_voi else None
        if has_functional_groups(image):
            transformation = frame_macro(image, frame, "PixelValueTransformationSequence")
            frame_voi = frame_macro(image, frame, "FrameVOILUTSequence")
            modality = image if transformation is None else transformation
            voi = voi if frame_voi is None else frame_voi
        return cls(modality, voi, None, own_range=True)


def grey_pipeline(arr: np.ndarray, image: Dataset, steps: GreySteps | None = None) -> np.ndarray:
    """Stored grey values → 8-bit display values (PS3.4 N.2): rescale and windowing by
    pydicom, lookup tables by :func:`lookup`.

    ``steps`` default to the image's own attributes. MONOCHROME1 is shown inverted unless a
    presentation LUT decides (C.11.6.1: with one, the presentation state's shape rules).
    """
    from pydicom.pixels.processing import apply_modality_lut, apply_windowing

    steps = steps or GreySteps.of_image(image)
    view = _pixel_description(image)
    for keyword in ("RescaleSlope", "RescaleIntercept", "RescaleType", "ModalityLUTSequence"):
        if keyword in steps.modality:
            view[keyword] = steps.modality[keyword]
    if view.get("ModalityLUTSequence"):
        values = lookup(arr, view.ModalityLUTSequence[0])
    elif "RescaleSlope" in view or "RescaleIntercept" in view:
        values = apply_modality_lut(arr, view)
    else:
        values = arr
    values = np.asarray(values, dtype=np.float64)
    if steps.voi is not None:
        for keyword in ("WindowCenter", "WindowWidth", "VOILUTFunction", "VOILUTSequence"):
            if keyword in steps.voi:
                view[keyword] = steps.voi[keyword]
        low, high = _voi_output_range(view)
        if view.get("VOILUTSequence"):
            values = lookup(values, view.VOILUTSequence[0])
        else:
            values = np.asarray(apply_windowing(values, view), dtype=np.float64)
    elif steps.own_range:
        low, high = float(np.min(values)), float(np.max(values))
    else:
        low, high = _voi_output_range(view)
    scaled = (values - low) / max(high - low, 1e-12)
    presentation = steps.presentation
    if presentation is not None and "PresentationLUTSequence" in presentation:
        # the LUT's input range is its number of entries (C.11.6.1): the VOI output is scaled
        # there (pydicom's apply_presentation_lut scales by the data's own min and max instead)
        from iodkit.pr.luts import lut_table

        table, bits = lut_table(presentation.PresentationLUTSequence[0])
        index = np.rint(scaled.clip(0, 1) * (len(table) - 1)).astype(np.int64)
        p_values = table[index].astype(np.float64)
        return np.rint(p_values / (2**bits - 1) * 255).clip(0, 255).astype(np.uint8)
    shape = presentation.get("PresentationLUTShape") if presentation is not None else None
    if shape == "INVERSE" or (shape is None and view.PhotometricInterpretation == "MONOCHROME1"):
        scaled = 1.0 - scaled
    return np.rint(scaled * 255.0).clip(0, 255).astype(np.uint8)


def lookup(values: np.ndarray, item: Dataset) -> np.ndarray:
    """A Modality or VOI LUT applied (C.11.1.1.1, C.11.2.1.1): inputs below the first value
    mapped take the first entry, above the last the last. The LUT is decoded here rather than
    by pydicom, which needs the byte order of a file the LUT item may not come from. A first
    value mapped written as US above 32767 over negative inputs is read as signed (SS)."""
    from iodkit.pr.luts import lut_table

    table, _ = lut_table(item)
    first = int(item.LUTDescriptor[1])
    data = np.asarray(values)
    if first > 32767 and data.size and float(data.min()) < 0:
        first -= 65536
    index = np.clip(np.rint(data).astype(np.int64) - first, 0, len(table) - 1)
    return table[index].astype(np.float64)


def _pixel_description(image: Dataset) -> Dataset:
    view = Dataset()
    for keyword in (
        "PhotometricInterpretation",
        "BitsAllocated",
        "BitsStored",
        "HighBit",
        "PixelRepresentation",
        "SamplesPerPixel",
    ):
        if keyword in image:
            view[keyword] = image[keyword]
    if "PhotometricInterpretation" not in view:
        view.PhotometricInterpretation = "MONOCHROME2"
    view.setdefault("BitsStored", 16)
    view.setdefault("PixelRepresentation", 0)
    return view


def _voi_output_range(view: Dataset) -> tuple[float, float]:
    """The range a VOI step's output spans: a LUT's entries (C.11.2.1.1), else the window's
    output range as pydicom computes it (that of the modality output)."""
    if "VOILUTSequence" in view:
        bits = int(view.VOILUTSequence[0].LUTDescriptor[2])
        return 0.0, float(2**bits - 1)
    if "ModalityLUTSequence" in view:
        bits = int(view.ModalityLUTSequence[0].LUTDescriptor[2])
        low, high = 0.0, float(2**bits - 1)
    elif int(view.PixelRepresentation) == 0:
        low, high = 0.0, float(2 ** int(view.BitsStored) - 1)
    else:
        half = 2 ** (int(view.BitsStored) - 1)
        low, high = float(-half), float(half - 1)
    if "RescaleSlope" in view and "RescaleIntercept" in view:
        slope, intercept = float(view.RescaleSlope), float(view.RescaleIntercept)
        low, high = sorted((low * slope + intercept, high * slope + intercept))
    return low, high


def display_rgb(image: Dataset, frame: int = 0) -> np.ndarray:
    """Frame ``frame`` of an image as an (rows, columns, 3) uint8 sRGB-ish picture: grey
    images through their own modality and VOI attributes (:func:`grey_pipeline`), PALETTE
    COLOR through its LUTs, colour images as decoded (8-bit, or scaled down)."""
    arr = stored_pixels(image, frame)
    photometric = str(image.get("PhotometricInterpretation", "MONOCHROME2"))
    if photometric in _MONOCHROME:
        grey = grey_pipeline(arr, image, GreySteps.of_image(image, frame))
        return np.repeat(grey[..., None], 3, axis=-1)
    if photometric == "PALETTE COLOR":
        from pydicom.pixels.processing import apply_color_lut

        arr = apply_color_lut(arr, image)
    if arr.ndim == 2:
        arr = np.repeat(arr[..., None], 3, axis=-1)
    if arr.dtype != np.uint8:
        top = float(np.max(arr)) or 1.0
        arr = np.rint(arr.astype(np.float64) / top * 255).astype(np.uint8)
    return np.ascontiguousarray(arr[..., :3])


def sort_planes(images: Sequence[Dataset]) -> list[Dataset]:
    """Single-frame images in spatial order along their normal (Image Position/Orientation
    Patient), else by Instance Number."""
    if all("ImagePositionPatient" in ds and "ImageOrientationPatient" in ds for ds in images):
        orientation = np.asarray(images[0].ImageOrientationPatient, dtype=np.float64)
        normal = np.cross(orientation[:3], orientation[3:])
        return sorted(images, key=lambda ds: float(np.dot(normal, ds.ImagePositionPatient)))
    return sorted(images, key=lambda ds: int(ds.get("InstanceNumber") or 0))


def as_datasets(images: Iterable[Any]) -> list[Dataset]:
    """Datasets from Datasets, paths and folders (see :func:`dicom_files`)."""
    out: list[Dataset] = []
    paths: list[Any] = []
    for item in images:
        if isinstance(item, Dataset):
            out.append(item)
        else:
            paths.append(item)
    out.extend(load(p) for p in dicom_files(paths))
    return out

"""Grey-scale transformations a presentation state carries (PS3.4 N.2; PS3.3 C.11).

* Modality: :class:`Rescale` (slope, intercept, type) or a :class:`LUT` (Modality LUT Module,
  C.11.1);
* VOI: a :class:`Window` (centre, width, LINEAR / LINEAR_EXACT / SIGMOID) or a :class:`LUT`,
  for all images or some (:class:`VOI`, a Softcopy VOI LUT Sequence item, C.11.8);
* Presentation: "IDENTITY", "INVERSE" or a :class:`LUT` (Softcopy Presentation LUT, C.11.6).

A presentation state's transformations replace the image's; an absent one is an identity
(PS3.4 N.2.1). Values keep the precision of their VR (DS text, US entries), so a state read
back compares equal to the one written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from iodkit.datavalues import integers
from iodkit.pr.content import ImageReference, optional_text, references
from iodkit.pr.errors import PresentationStateError
from pydicom.dataset import Dataset
from pydicom.valuerep import format_number_as_ds

VOIFunction = Literal["LINEAR", "LINEAR_EXACT", "SIGMOID"]


def _ds(value: float) -> float:
    """A number as a DS value stores it (16 characters)."""
    return float(format_number_as_ds(float(value)))


@dataclass(frozen=True)
class Window:
    """Window Center and Width with VOI LUT Function (C.11.2.1.2)."""

    center: float
    width: float
    function: VOIFunction = "LINEAR"
    explanation: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "center", _ds(self.center))
        object.__setattr__(self, "width", _ds(self.width))
        object.__setattr__(self, "explanation", optional_text(self.explanation))
        if self.function not in ("LINEAR", "LINEAR_EXACT", "SIGMOID"):
            raise PresentationStateError(
                f"VOI LUT Function {self.function!r} is not LINEAR, LINEAR_EXACT or SIGMOID"
            )
        if not (np.isfinite(self.center) and np.isfinite(self.width)):
            raise PresentationStateError(f"window {self.center}/{self.width} is not finite")
        if (self.function == "LINEAR" and self.width < 1) or self.width <= 0:
            raise PresentationStateError(
                f"window width {self.width} is not allowed for {self.function} (C.11.2.1.2: "
                "≥ 1 for LINEAR, > 0 otherwise)"
            )

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {"window_center": [self.center], "window_width": [self.width]}
        if self.function != "LINEAR":
            out["voilut_function"] = self.function
        if self.explanation is not None:
            out["window_center_width_explanation"] = [self.explanation]
        return out


@dataclass(frozen=True)
class LUT:
    """A lookup table (LUT Descriptor and LUT Data, C.11.1.1.1): ``data`` entries (unsigned,
    ``bits`` 8…16 significant bits) for inputs ``first_mapped``, ``first_mapped + 1``, …"""

    data: tuple[int, ...]
    first_mapped: int = 0
    bits: int = 16
    explanation: str | None = None

    def __post_init__(self) -> None:
        data = np.asarray(self.data)
        if data.ndim != 1 or len(data) < 2 or len(data) > 65536 or data.dtype.kind not in "iu":
            raise PresentationStateError(
                f"LUT data must be 2…65536 integer entries, got {data.dtype} shape {data.shape}"
            )
        if not 8 <= self.bits <= 16:
            raise PresentationStateError(f"LUT entries have 8…16 bits, not {self.bits}")
        if data.min() < 0 or data.max() >= 2**self.bits:
            raise PresentationStateError(
                f"LUT entries must lie in 0…{2**self.bits - 1} ({self.bits} bits)"
            )
        object.__setattr__(self, "data", tuple(int(v) for v in data))
        object.__setattr__(self, "explanation", optional_text(self.explanation))

    def descriptor(self) -> list[int]:
        return [len(self.data) % 65536, int(self.first_mapped), int(self.bits)]

    def values(self) -> dict[str, Any]:
        """LUT Descriptor, LUT Data and LUT Explanation, for any LUT item. Entries of 8 bits
        are stored a byte each ("equivalent to 8 bits allocated", C.11.1.1.1, C.11.2.1.1),
        padded to an even length; wider ones as 16-bit words."""
        if self.bits == 8:
            data = np.asarray(self.data, dtype=np.uint8).tobytes()
            data += b"\x00" * (len(data) % 2)
        else:
            data = np.asarray(self.data, dtype="<u2").tobytes()
        out: dict[str, Any] = {"lut_descriptor": self.descriptor(), "lut_data": data}
        if self.explanation is not None:
            out["lut_explanation"] = self.explanation
        return out

    @classmethod
    def from_item(cls, item: Dataset) -> LUT:
        table, bits = lut_table(item)
        first = int(item.LUTDescriptor[1])
        return cls(tuple(int(v) for v in table), first, bits, item.get("LUTExplanation") or None)


def lut_table(item: Dataset) -> tuple[np.ndarray, int]:
    """The entries of a LUT item (LUT Descriptor and LUT Data, C.11.1.1.1) and their bits;
    LUT Data is US values, or OW holding a byte per 8-bit entry or a word per wider one."""
    entries, _, bits = integers(item.get("LUTDescriptor"), "LUT Descriptor", 3)
    entries = entries % 65536 or 65536  # unsigned even in an SS descriptor
    if not 1 <= bits <= 16:
        raise PresentationStateError(
            f"LUT Descriptor gives {bits} bits an entry: C.11.1.1.1 allows 8 to 16"
        )
    element = item["LUTData"]
    value = element.value
    if isinstance(value, (bytes, bytearray)):
        # 8-bit entries a byte each; some writers put them in 16-bit words (the note of
        # C.11.1.1.1 says to tell them apart by the length)
        packed = bits == 8 and len(value) in (entries, entries + 1)
        if not packed and len(value) % 2:
            raise PresentationStateError(
                f"LUT Data holds {len(value)} bytes: not 16-bit words, nor a byte per entry"
            )
        table = np.frombuffer(value, dtype=np.uint8 if packed else "<u2")
    elif isinstance(value, int):
        table = np.asarray([value], dtype=np.uint16)
    else:
        numbers = [int(v) for v in value]
        if any(not -32768 <= v <= 65535 for v in numbers):
            raise PresentationStateError(
                "LUT Data holds a value that is not a 16-bit entry (C.11.1.1.1)"
            )
        table = np.asarray(numbers, dtype=np.int64).astype(np.uint16)
    if len(table) < entries:
        raise PresentationStateError(
            f"LUT Data holds {len(table)} entries, LUT Descriptor says {entries}"
        )
    return table[:entries] & np.uint16(2**bits - 1), bits


@dataclass(frozen=True)
class Rescale:
    """Rescale Intercept, Slope and Type (C.11.1)."""

    slope: float = 1.0
    intercept: float = 0.0
    type: str = "US"

    def __post_init__(self) -> None:
        object.__setattr__(self, "slope", _ds(self.slope))
        object.__setattr__(self, "intercept", _ds(self.intercept))

    def values(self) -> dict[str, Any]:
        return {
            "rescale_intercept": self.intercept,
            "rescale_slope": self.slope,
            "rescale_type": self.type,
        }


@dataclass(frozen=True)
class VOI:
    """A Softcopy VOI LUT Sequence item: ``transform`` for ``images`` (None: all)."""

    transform: Window | LUT
    images: Sequence[ImageReference | Dataset] | None = None  # held as ImageReferences

    def __post_init__(self) -> None:
        object.__setattr__(self, "images", references(self.images))  # type: ignore[arg-type]

    def item(self) -> Any:
        from iodkit.generated.modules.softcopy_voi_lut_module import SoftcopyVOILUTSequenceItem
        from iodkit.generated.modules.voi_lut_macro import VOILUTSequenceItem

        values: dict[str, Any] = {}
        if self.images is not None:
            values["referenced_image_sequence"] = [r.item() for r in self.images]
        if isinstance(self.transform, Window):
            values.update(self.transform.values())
        else:
            values["voilut_sequence"] = [VOILUTSequenceItem(**self.transform.values())]
        return SoftcopyVOILUTSequenceItem(**values)

    @classmethod
    def from_item(cls, item: Dataset) -> VOI:
        images = item.get("ReferencedImageSequence")
        refs = None if not images else tuple(ImageReference.from_item(r) for r in images)
        if "VOILUTSequence" in item:
            return cls(LUT.from_item(item.VOILUTSequence[0]), refs)
        centers, widths = item.WindowCenter, item.WindowWidth
        center = (
            centers[0]
            if isinstance(centers, Sequence) and not isinstance(centers, str)
            else centers
        )
        width = (
            widths[0] if isinstance(widths, Sequence) and not isinstance(widths, str) else widths
        )
        explanation = item.get("WindowCenterWidthExplanation")
        if isinstance(explanation, Sequence) and not isinstance(explanation, str):
            explanation = explanation[0] if explanation else None
        return cls(
            Window(
                float(center),
                float(width),
                item.get("VOILUTFunction") or "LINEAR",
                explanation or None,
            ),
            refs,
        )


PresentationLUT = Literal["IDENTITY", "INVERSE"] | LUT


def frame_macro(image: Dataset, frame: int, sequence: str) -> Dataset | None:
    """The item of functional group ``sequence`` ("PixelValueTransformationSequence",
    "FrameVOILUTSequence" …) that applies to ``frame`` (0-based) of a multi-frame image with
    functional groups: the frame's Per-Frame item, else the Shared one (PS3.3 C.7.6.16: a
    macro is in one or the other); None when neither has it."""
    per_frame = image.get("PerFrameFunctionalGroupsSequence")
    shared = image.get("SharedFunctionalGroupsSequence")
    for group in (
        per_frame[frame] if per_frame and frame < len(per_frame) else None,
        shared[0] if shared else None,
    ):
        if group is not None and group.get(sequence):
            return group[sequence].value[0]  # type: ignore[no-any-return]
    return None


def has_functional_groups(image: Dataset) -> bool:
    """Whether the image keeps its per-frame description in functional groups (enhanced and
    other multi-frame IODs, C.7.6.16) rather than at the top level (classic images)."""
    return "SharedFunctionalGroupsSequence" in image or "PerFrameFunctionalGroupsSequence" in image


def modality_of(image: Dataset, frame: int | None = None) -> Rescale | LUT | None:
    """An image's modality transformation (Rescale, Modality LUT, or None); for ``frame`` of
    an image with functional groups, its Pixel Value Transformation (C.7.6.16.2.9)."""
    ds = image
    if frame is not None and has_functional_groups(image):
        item = frame_macro(image, frame, "PixelValueTransformationSequence")
        if item is None:
            return None
        ds = item
    if "ModalityLUTSequence" in ds and ds.ModalityLUTSequence:
        return LUT.from_item(ds.ModalityLUTSequence[0])
    if "RescaleSlope" in ds or "RescaleIntercept" in ds:
        default_type = "HU" if image.get("Modality") == "CT" else "US"
        return Rescale(
            float(ds.get("RescaleSlope", 1.0)),
            float(ds.get("RescaleIntercept", 0.0)),
            str(ds.get("RescaleType") or default_type),
        )
    return None


def frame_count(image: Dataset) -> int:
    """Number of Frames, 1 for a single-frame image."""
    return int(image.get("NumberOfFrames") or 1)


def window_of(image: Dataset, frame: int | None = None) -> Window | LUT | None:
    """The first window (or VOI LUT) an image recommends, if any; for ``frame`` of an image
    with functional groups, its Frame VOI LUT (C.7.6.16.2.10)."""
    if frame is not None and has_functional_groups(image):
        item = frame_macro(image, frame, "FrameVOILUTSequence")
        return None if item is None else window_of(item)
    if "VOILUTSequence" in image and image.VOILUTSequence:
        return LUT.from_item(image.VOILUTSequence[0])
    if "WindowCenter" in image and "WindowWidth" in image:
        voi = VOI.from_item(image)
        return voi.transform
    return None


def image_windows(images: Sequence[Dataset]) -> list[VOI]:
    """Softcopy VOI LUT items that show ``images`` as they show themselves: each image's
    first window or VOI LUT, grouped by transform; an image with functional groups by its
    frames' Frame VOI LUT (frames named where they differ). One item without references
    when every image (every frame) has the same one."""
    groups: dict[Any, list[ImageReference]] = {}
    whole = True  # every image (every frame) has a window
    for ds in images:
        if not has_functional_groups(ds):
            transform = window_of(ds)
            whole = whole and transform is not None
            if transform is not None:
                groups.setdefault(transform, []).append(ImageReference.of(ds))
            continue
        frames: dict[Any, list[int]] = {}
        for frame in range(frame_count(ds)):
            frames.setdefault(window_of(ds, frame), []).append(frame + 1)
        whole = whole and None not in frames
        for transform, numbers in frames.items():
            if transform is not None:
                numbered = () if len(frames) == 1 else numbers
                groups.setdefault(transform, []).append(ImageReference.of(ds, numbered))
    if len(groups) == 1 and whole:
        return [VOI(next(iter(groups)))]
    return [VOI(t, tuple(refs)) for t, refs in groups.items()]


def palette_values(palette: Any) -> dict[str, Any]:
    """Red/Green/Blue Palette Color LUT Descriptor and Data (C.7.9) of an (entries, 3) uint8 or
    uint16 RGB table."""
    table = np.asarray(palette)
    if table.ndim != 2 or table.shape[1] != 3 or table.dtype not in (np.uint8, np.uint16):
        raise PresentationStateError(
            f"palette must be an (entries, 3) uint8 or uint16 RGB array, got {table.dtype} "
            f"shape {table.shape}"
        )
    if not 2 <= len(table) <= 65536:
        raise PresentationStateError(f"a palette has 2…65536 entries, got {len(table)}")
    bits = 8 if table.dtype == np.uint8 else 16
    descriptor = [len(table) % 65536, 0, bits]
    out: dict[str, Any] = {}
    for k, colour in enumerate(("red", "green", "blue")):
        channel = table[:, k].astype("<u2" if bits == 16 else np.uint8)
        data = channel.tobytes()
        if len(data) % 2:
            data += b"\x00"
        out[f"{colour}_palette_color_lookup_table_descriptor"] = descriptor
        out[f"{colour}_palette_color_lookup_table_data"] = data
    return out


__all__ = [
    "LUT",
    "VOI",
    "PresentationLUT",
    "Rescale",
    "Window",
    "frame_macro",
    "image_windows",
    "modality_of",
    "palette_values",
    "window_of",
]

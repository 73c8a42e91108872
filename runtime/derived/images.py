"""The source images a derived image is made from, and the geometry it inherits from them.

Four kinds of source, one per way the standard positions pixels (PS3.3 C.7.6.2, C.7.6.16.2.3,
C.8.12.2.1), for every derived image that maps its planes onto source frames (Segmentation
A.51, Parametric Map A.75, Legacy Converted Enhanced A.70–A.72 …):

* ``series`` — single-frame images of one frame of reference (CT, MR, PET…): one plane per
  image, positioned by *Image Position (Patient)* (C.7.6.2);
* ``multiframe`` — one enhanced multi-frame image (Enhanced CT/MR…): one plane per frame,
  positioned by its Plane Position (Patient) functional group (C.7.6.16.2.3);
* ``tiled`` — one level of a tiled whole slide image (VL WSI, A.32.8): one plane, the total
  pixel matrix (C.7.6.17.3), positioned in the slide coordinate system (C.8.12.2.1);
* ``image`` — one image without a Frame of Reference: the derived plane is aligned with its
  pixels and the Derivation Image functional group carries the relation (A.51.1).

:func:`describe_sources` checks the images agree (one patient and study through
:class:`~iodkit.derived.references.SourceInstances`, one frame of reference, one frame size
and orientation) and raises :class:`~iodkit.derived.errors.DerivedObjectError` naming the
disagreement.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from iodkit.derived.errors import DerivedObjectError
from iodkit.derived.references import SourceInstances, value_of
from pydicom.dataset import Dataset
from pydicom.tag import BaseTag

SourceKind = Literal["series", "multiframe", "tiled", "image"]

_ROWS, _COLUMNS = BaseTag(0x00280010), BaseTag(0x00280011)
_FRAME_OF_REFERENCE = BaseTag(0x00200052)
_PER_FRAME, _SHARED = BaseTag(0x52009230), BaseTag(0x52009229)
_NUMBER_OF_FRAMES = BaseTag(0x00280008)
_IMAGE_PLANE = {
    "ImagePositionPatient": BaseTag(0x00200032),
    "ImageOrientationPatient": BaseTag(0x00200037),
    "PixelSpacing": BaseTag(0x00280030),
}


@dataclass(frozen=True)
class FrameReference:
    """One source frame: the instance and, for multi-frame sources, its 1-based frame number."""

    sop_class_uid: str
    sop_instance_uid: str
    frame_number: int | None = None


@dataclass
class SourceImages:
    """What a derived image needs to know about its source images."""

    kind: SourceKind
    datasets: list[Dataset]
    rows: int
    columns: int
    frame_of_reference_uid: str | None
    #: One reference per plane (series, multiframe, image); per source tile (tiled).
    references: list[FrameReference]
    #: (planes, 3) Image Position (Patient) as floats and as the source's DS strings.
    positions: np.ndarray = field(default_factory=lambda: np.empty((0, 3)))
    position_strings: list[list[str]] = field(default_factory=list)
    orientation: list[str] | None = None  # Image Orientation (Patient) or (Slide)
    pixel_spacing: list[str] | None = None
    slice_thickness: str | None = None
    spacing_between_slices: str | None = None
    # tiled sources
    total_rows: int = 0
    total_columns: int = 0
    origin: list[str] | None = None  # X, Y, Z offsets of the total pixel matrix
    tiled_full: bool = False
    tile_frames: dict[tuple[int, int], int] = field(default_factory=dict)
    #: The checked instances (UIDs, patient, study) and their reference items.
    instances: SourceInstances | None = None

    @property
    def first(self) -> Dataset:
        return self.datasets[0]

    @property
    def planes(self) -> int:
        """Number of planes these sources call for."""
        return 1 if self.kind in ("tiled", "image") else len(self.references)

    @property
    def plane_shape(self) -> tuple[int, int]:
        """(rows, columns) of one plane: the total pixel matrix of a tiled source."""
        if self.kind == "tiled":
            return self.total_rows, self.total_columns
        return self.rows, self.columns


def value_strings(value: Any) -> list[str]:
    """DS/IS values as their original strings (pydicom keeps them), else formatted."""
    if value is None:
        return []
    values = value if isinstance(value, Sequence) and not isinstance(value, str) else [value]
    out = []
    for v in values:
        original = getattr(v, "original_string", None)
        out.append(str(original).strip() if original else str(v))
    return out


def _nonempty(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return value_strings(value)[0]


def _number_of_frames(ds: Dataset) -> int:
    try:
        return int(ds.get("NumberOfFrames", 1) or 1)
    except (TypeError, ValueError):
        return 1


def describe_sources(source_images: Sequence[Dataset] | SourceInstances) -> SourceImages:
    """Check ``source_images`` and describe them (see the module docstring); already
    checked :class:`~iodkit.derived.references.SourceInstances` are not checked again."""
    instances = (
        source_images
        if isinstance(source_images, SourceInstances)
        else SourceInstances(source_images, what="source image")
    )
    images = instances.datasets
    shapes = set()
    for i, ds in enumerate(images):
        rows, columns = value_of(ds, _ROWS), value_of(ds, _COLUMNS)
        for keyword, value in (("Rows", rows), ("Columns", columns)):
            if value is None:
                raise DerivedObjectError(f"source image {i} has no {keyword}")
        shapes.add((int(rows), int(columns)))
    frames = {str(value_of(ds, _FRAME_OF_REFERENCE) or "") for ds in images}
    if len(frames) > 1:
        listed = ", ".join(sorted(f or "(none)" for f in frames))
        raise DerivedObjectError(
            f"source images are in {len(frames)} frames of reference ({listed}); the "
            "derived image's planes must share one Frame of Reference (PS3.3 C.7.4.1)"
        )
    if len(shapes) > 1:
        raise DerivedObjectError(
            f"source images have different sizes {sorted(shapes)}; a derived image's frames "
            "all have one size"
        )
    multi = [ds for ds in images if _is_multiframe(ds)]
    if multi and len(images) > 1:
        raise DerivedObjectError(
            "give either one multi-frame image or a series of single-frame images as sources, "
            f"not {len(images)} images of which {len(multi)} are multi-frame"
        )
    first = images[0]
    if "FrameOfReferenceUID" not in first or not first.FrameOfReferenceUID:
        described = _image_without_frame_of_reference(images)
    elif "TotalPixelMatrixRows" in first or "ImageOrientationSlide" in first:
        described = _tiled(first)
    elif multi:
        described = _multiframe(first)
    else:
        described = _series(instances)
    described.instances = instances
    return described


def _is_multiframe(ds: Dataset) -> bool:
    return _PER_FRAME in ds or (_SHARED in ds and _NUMBER_OF_FRAMES in ds)


def _image_without_frame_of_reference(images: list[Dataset]) -> SourceImages:
    ds = images[0]
    if len(images) > 1 or _number_of_frames(ds) > 1:
        raise DerivedObjectError(
            "source images without a Frame of Reference: only a single single-frame image is "
            "supported, since nothing relates the planes of several (PS3.3 A.51.1)"
        )
    return SourceImages(
        kind="image",
        datasets=images,
        rows=int(ds.Rows),
        columns=int(ds.Columns),
        frame_of_reference_uid=None,
        references=[FrameReference(str(ds.SOPClassUID), str(ds.SOPInstanceUID))],
    )


def _series(instances: SourceInstances) -> SourceImages:
    images = instances.datasets
    first = images[0]
    orientations = set()
    spacings = set()
    positions: list[list[str]] = []
    for i, ds in enumerate(images):
        found = [value_of(ds, tag) for tag in _IMAGE_PLANE.values()]
        for keyword, value in zip(_IMAGE_PLANE, found, strict=True):
            if value is None or value == "":
                raise DerivedObjectError(
                    f"source image {i} ({ds.SOPInstanceUID}) has no {keyword}; single-frame "
                    "sources need the Image Plane Module (PS3.3 C.7.6.2)"
                )
        position, orientation, spacing = found
        orientations.add(tuple(round(float(v), 4) for v in orientation))
        spacings.add(tuple(round(float(v), 5) for v in spacing))
        positions.append(value_strings(position))
    if len(orientations) > 1:
        raise DerivedObjectError(
            "source images have different Image Orientation (Patient); a derived image's "
            "planes share one orientation"
        )
    if len(spacings) > 1:
        raise DerivedObjectError("source images have different Pixel Spacing")
    points = np.array([[float(v) for v in p] for p in positions], dtype=np.float64)
    if len(np.unique(points, axis=0)) != len(points):
        raise DerivedObjectError("two source images have the same Image Position (Patient)")
    return SourceImages(
        kind="series",
        datasets=images,
        rows=int(first.Rows),
        columns=int(first.Columns),
        frame_of_reference_uid=str(first.FrameOfReferenceUID),
        references=[
            FrameReference(r.sop_class_uid, r.sop_instance_uid) for r in instances.references
        ],
        positions=points,
        position_strings=positions,
        orientation=value_strings(first.ImageOrientationPatient),
        pixel_spacing=value_strings(first.PixelSpacing),
        slice_thickness=_nonempty(first.get("SliceThickness")),
        spacing_between_slices=_nonempty(first.get("SpacingBetweenSlices")),
    )


def _functional(ds: Dataset, frame: Dataset | None, sequence: str) -> Dataset | None:
    """The item of a functional group for one frame: per-frame if there, else shared."""
    if frame is not None and sequence in frame and len(frame[sequence].value):
        return frame[sequence].value[0]  # type: ignore[no-any-return]
    shared = ds.get("SharedFunctionalGroupsSequence")
    if shared and sequence in shared[0] and len(shared[0][sequence].value):
        return shared[0][sequence].value[0]  # type: ignore[no-any-return]
    return None


def _multiframe(ds: Dataset) -> SourceImages:
    n = _number_of_frames(ds)
    per_frame = list(ds.get("PerFrameFunctionalGroupsSequence", []))
    if per_frame and len(per_frame) != n:
        raise DerivedObjectError(
            f"source image has {n} frames but {len(per_frame)} Per-Frame Functional Groups items"
        )
    positions: list[list[str]] = []
    orientations = set()
    orientation: list[str] | None = None
    for k in range(n):
        frame = per_frame[k] if per_frame else None
        position = _functional(ds, frame, "PlanePositionSequence")
        plane = _functional(ds, frame, "PlaneOrientationSequence")
        if position is None or "ImagePositionPatient" not in position:
            raise DerivedObjectError(
                f"source frame {k + 1} has no Plane Position (Patient) functional group "
                "(PS3.3 C.7.6.16.2.3)"
            )
        if plane is None or "ImageOrientationPatient" not in plane:
            raise DerivedObjectError(
                f"source frame {k + 1} has no Plane Orientation (Patient) functional group "
                "(PS3.3 C.7.6.16.2.4)"
            )
        positions.append(value_strings(position.ImagePositionPatient))
        orientation = orientation or value_strings(plane.ImageOrientationPatient)
        orientations.add(tuple(round(float(v), 4) for v in plane.ImageOrientationPatient))
    if len(orientations) > 1:
        raise DerivedObjectError(
            "source frames have different orientations; a derived image's planes share one"
        )
    measures = _functional(ds, per_frame[0] if per_frame else None, "PixelMeasuresSequence")
    if measures is None or "PixelSpacing" not in measures:
        raise DerivedObjectError(
            "source image has no Pixel Measures functional group with "
            "Pixel Spacing (PS3.3 C.7.6.16.2.1)"
        )
    points = np.array([[float(v) for v in p] for p in positions], dtype=np.float64)
    if len(np.unique(points, axis=0)) != len(points):
        raise DerivedObjectError("two source frames have the same Image Position (Patient)")
    return SourceImages(
        kind="multiframe",
        datasets=[ds],
        rows=int(ds.Rows),
        columns=int(ds.Columns),
        frame_of_reference_uid=str(ds.FrameOfReferenceUID),
        references=[
            FrameReference(str(ds.SOPClassUID), str(ds.SOPInstanceUID), k + 1) for k in range(n)
        ],
        positions=points,
        position_strings=positions,
        orientation=orientation,
        pixel_spacing=value_strings(measures.PixelSpacing),
        slice_thickness=_nonempty(measures.get("SliceThickness")),
        spacing_between_slices=_nonempty(measures.get("SpacingBetweenSlices")),
    )


def _tiled(ds: Dataset) -> SourceImages:
    for keyword in (
        "TotalPixelMatrixRows",
        "TotalPixelMatrixColumns",
        "TotalPixelMatrixOriginSequence",
        "ImageOrientationSlide",
    ):
        if keyword not in ds:
            raise DerivedObjectError(
                f"tiled source image has no {keyword} (PS3.3 C.8.12.4, C.7.6.17.3)"
            )
    measures = _functional(ds, None, "PixelMeasuresSequence")
    if measures is None or "PixelSpacing" not in measures:
        raise DerivedObjectError(
            "tiled source image has no shared Pixel Measures with Pixel "
            "Spacing (PS3.3 C.7.6.16.2.1)"
        )
    origin_item = ds.TotalPixelMatrixOriginSequence[0]
    origin = [
        value_strings(origin_item.XOffsetInSlideCoordinateSystem)[0],
        value_strings(origin_item.YOffsetInSlideCoordinateSystem)[0],
        _nonempty(origin_item.get("ZOffsetInSlideCoordinateSystem")) or "0.0",
    ]
    tiled_full = str(ds.get("DimensionOrganizationType", "")) == "TILED_FULL"
    tile_frames: dict[tuple[int, int], int] = {}
    rows, columns = int(ds.Rows), int(ds.Columns)
    total_rows, total_columns = int(ds.TotalPixelMatrixRows), int(ds.TotalPixelMatrixColumns)
    if tiled_full:
        k = 1
        for r in range(1, total_rows + 1, rows):
            for c in range(1, total_columns + 1, columns):
                tile_frames[(r, c)] = k
                k += 1
    else:
        for k, frame in enumerate(ds.get("PerFrameFunctionalGroupsSequence", []), start=1):
            position = _functional(ds, frame, "PlanePositionSlideSequence")
            if position is None:
                continue
            key = (
                int(position.RowPositionInTotalImagePixelMatrix),
                int(position.ColumnPositionInTotalImagePixelMatrix),
            )
            tile_frames.setdefault(key, k)
    return SourceImages(
        kind="tiled",
        datasets=[ds],
        rows=rows,
        columns=columns,
        frame_of_reference_uid=str(ds.FrameOfReferenceUID),
        references=[FrameReference(str(ds.SOPClassUID), str(ds.SOPInstanceUID))],
        orientation=value_strings(ds.ImageOrientationSlide),
        pixel_spacing=value_strings(measures.PixelSpacing),
        slice_thickness=_nonempty(measures.get("SliceThickness")),
        spacing_between_slices=_nonempty(measures.get("SpacingBetweenSlices")),
        total_rows=total_rows,
        total_columns=total_columns,
        origin=origin,
        tiled_full=tiled_full,
        tile_frames=tile_frames,
    )

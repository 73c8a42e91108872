"""The frame plan of a derived multi-frame image: which region each frame covers, in which
order the frames are stored, and the dimensions that index them (PS3.3 C.7.6.17).

A *cell* is the region one frame covers: a whole plane of a series or multi-frame source, or
one tile of a slide's total pixel matrix (edge tiles are smaller and padded when encoded). An
object may store several frames per cell — a Segmentation one per segment, a Parametric Map
one per map, a slide one per optical path: those are *channels*, stored channel by channel.

Frames are ordered as highdicom orders them, which the standard leaves free: channel, then
position — planes along the normal ``column × row`` of their orientation (C.7.6.2.1.1), tiles
row by row. The dimensions (C.7.6.17.1) follow the source kind: the object's channel
dimension if any, then Image Position (Patient) ranked along the normal, or Row/Column Position
In Total Image Pixel Matrix; when nothing else indexes the frames (an image without a frame of
reference and no channel dimension) Frame Label does, since Dimension Index Sequence is
Type 1. Dimension Organization Type is 3D when the frames are one regularly spaced stack,
TILED_SPARSE or TILED_FULL for slides (C.7.6.17.3: TILED_FULL has no Dimension Index).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from iodkit.derived import geometry
from iodkit.derived.images import SourceImages
from pydicom.uid import generate_uid

FRAME_CONTENT = 0x00209111
DIMENSION_INDEX_VALUES = 0x00209157
FRAME_LABEL = 0x00209453
PLANE_POSITION = 0x00209113
IMAGE_POSITION = 0x00200032
PLANE_POSITION_SLIDE = 0x0048021A
ROW_POSITION = 0x0048021F
COLUMN_POSITION = 0x0048021E
X_OFFSET, Y_OFFSET, Z_OFFSET = 0x0040072A, 0x0040073A, 0x0040074A


@dataclass(frozen=True)
class Cell:
    """One frame-sized region: plane index and the rows/columns it covers (0-based, end
    exclusive) — smaller than a tile at the right and bottom edges of a total pixel matrix."""

    plane: int
    row: int = 0
    column: int = 0
    rows: int = 0
    columns: int = 0

    def where(self) -> str:
        """How an error message names the cell."""
        if self.row or self.column:
            return f"the tile at row {self.row + 1}, column {self.column + 1}"
        return f"plane {self.plane}"


def make_cells(
    planes: int, plane_shape: tuple[int, int], tile_shape: tuple[int, int] | None
) -> list[Cell]:
    """Whole planes, or (``tile_shape``) the tiles of one total pixel matrix row by row."""
    rows, columns = plane_shape
    if tile_shape is None:
        return [Cell(k, 0, 0, rows, columns) for k in range(planes)]
    tile_rows, tile_columns = tile_shape
    return [
        Cell(0, r, c, min(tile_rows, rows - r), min(tile_columns, columns - c))
        for r in range(0, rows, tile_rows)
        for c in range(0, columns, tile_columns)
    ]


def region(array: np.ndarray, cell: Cell) -> np.ndarray:
    """The part of a (planes, rows, columns, …) array a cell covers (a view)."""
    return array[
        cell.plane, cell.row : cell.row + cell.rows, cell.column : cell.column + cell.columns
    ]


def padded_region(array: np.ndarray, cell: Cell, frame_shape: tuple[int, int]) -> np.ndarray:
    """The cell's region padded with zeros to the frame shape (edge tiles)."""
    part = region(array, cell)
    rows, columns = frame_shape
    if part.shape[:2] == (rows, columns):
        return part
    padded = np.zeros((rows, columns, *part.shape[2:]), dtype=part.dtype)
    padded[: part.shape[0], : part.shape[1]] = part
    return padded


@dataclass(frozen=True)
class Dimension:
    """One Dimension Index Sequence item (C.7.6.17.1)."""

    index_pointer: int
    functional_group_pointer: int
    label: str


@dataclass
class FramePlan:
    """The frames to store, in order: each one's cell and channel (None without channels),
    its Dimension Index Values, the dimensions they follow, and the Frame Label every frame
    carries when it is the dimension."""

    cells: list[Cell]
    frame_cells: list[int]
    channels: list[int | None]
    index_values: np.ndarray  # (frames, dimensions)
    dimensions: list[Dimension]
    frame_label: str | None = None
    #: Channels per cell (None: no channels).
    channel_count: int | None = None

    @property
    def number_of_frames(self) -> int:
        return len(self.frame_cells)


def cell_order(sources: SourceImages, cells: list[Cell]) -> list[int]:
    """Cells in storage order: planes along the normal, tiles row by row."""
    if sources.kind in ("series", "multiframe"):
        assert sources.orientation is not None
        orientation = [float(v) for v in sources.orientation]
        return [int(i) for i in geometry.plane_order(sources.positions, orientation)]
    return list(range(len(cells)))


def plan_frames(
    sources: SourceImages,
    cells: list[Cell],
    *,
    channels: int | None = None,
    channel_dimension: Dimension | None = None,
    keep: Callable[[int, int | None], bool] | None = None,
) -> FramePlan:
    """Plan the frames: ``channels`` frames per cell (None: one, no channel), of which
    ``keep(cell, channel)`` says which to store (default: all). A cell whose frames are all
    left out does not take a rank in the position dimension."""
    order = cell_order(sources, cells)
    span: list[int | None] = [None] if channels is None else list(range(channels))
    included = [c for c in order if keep is None or any(keep(c, j) for j in span)]
    dimensions: list[Dimension] = []
    if channel_dimension is not None:
        dimensions.append(channel_dimension)
    position_values: dict[int, list[int]]
    frame_label = None
    kind = sources.kind
    if kind in ("series", "multiframe"):
        dimensions.append(Dimension(IMAGE_POSITION, PLANE_POSITION, "Image Position Patient"))
        position_values = {c: [rank] for rank, c in enumerate(included, start=1)}
    elif kind == "tiled":
        dimensions.append(
            Dimension(
                ROW_POSITION, PLANE_POSITION_SLIDE, "Row Position In Total Image Pixel Matrix"
            )
        )
        dimensions.append(
            Dimension(
                COLUMN_POSITION,
                PLANE_POSITION_SLIDE,
                "Column Position In Total Image Pixel Matrix",
            )
        )
        row_rank = {r: i for i, r in enumerate(sorted({cells[c].row for c in included}), 1)}
        column_rank = {v: i for i, v in enumerate(sorted({cells[c].column for c in included}), 1)}
        position_values = {
            c: [row_rank[cells[c].row], column_rank[cells[c].column]] for c in included
        }
    elif not dimensions:  # nothing else indexes the frames: their Frame Label does
        dimensions.append(Dimension(FRAME_LABEL, FRAME_CONTENT, "Frame Label"))
        frame_label = "Frame"
        position_values = {c: [1] for c in included}
    else:
        position_values = {c: [] for c in included}
    frame_cells: list[int] = []
    frame_channels: list[int | None] = []
    values: list[list[int]] = []
    for j in span:
        for c in included:
            if keep is not None and not keep(c, j):
                continue
            frame_cells.append(c)
            frame_channels.append(j)
            values.append(position_values[c] if j is None else [j + 1, *position_values[c]])
    return FramePlan(
        cells,
        frame_cells,
        frame_channels,
        np.array(values, dtype=np.int64).reshape(len(values), -1),
        dimensions,
        frame_label,
        channels,
    )


def is_3d(sources: SourceImages, plan: FramePlan) -> bool:
    """3D (C.7.6.17.1): frames differ only by position, parallel and regularly spaced."""
    if sources.kind not in ("series", "multiframe"):
        return False
    if plan.channel_count is not None and plan.channel_count > 1:
        return False
    planes = sorted(set(plan.frame_cells))
    if len(planes) < 2 or len(planes) != plan.number_of_frames:
        return False
    found = geometry.volume_positions(
        sources.positions[planes],
        [float(v) for v in sources.orientation or []],
        allow_missing=False,
    )
    return found is not None and found[0] > 0


def dimension_module(sources: SourceImages, plan: FramePlan, organization_type: str | None) -> Any:
    """Multi-frame Dimension Module (C.7.6.17): a new Dimension Organization UID, the plan's
    dimensions, and the organization type (``TILED_FULL``/``TILED_SPARSE`` for slides, else 3D
    when :func:`is_3d`)."""
    from iodkit.generated.modules import MultiFrameDimensionModule
    from iodkit.generated.modules.multi_frame_dimension_module import (
        DimensionIndexSequenceItem,
        DimensionOrganizationSequenceItem,
    )

    uid = generate_uid()
    module = MultiFrameDimensionModule(
        dimension_organization_sequence=[
            DimensionOrganizationSequenceItem(dimension_organization_uid=uid)
        ],
    )
    if organization_type == "TILED_FULL":
        module.dimension_organization_type = "TILED_FULL"
        return module
    module.dimension_index_sequence = [
        DimensionIndexSequenceItem(
            dimension_organization_uid=uid,
            dimension_index_pointer=d.index_pointer,
            functional_group_pointer=d.functional_group_pointer,
            dimension_description_label=d.label,
        )
        for d in plan.dimensions
    ]
    if organization_type:
        module.dimension_organization_type = organization_type
    elif is_3d(sources, plan):
        module.dimension_organization_type = "3D"
    return module


def shared_geometry(sources: SourceImages) -> dict[str, Any]:
    """Shared functional groups every frame of a derived image has in common with its
    sources: Pixel Measures (C.7.6.16.2.1; Spacing Between Slices computed from the planes
    when the sources lack it, Slice Thickness defaulting to it) and, for patient-positioned
    sources, Plane Orientation (Patient) (C.7.6.16.2.4)."""
    values: dict[str, Any] = {}
    if sources.pixel_spacing:
        measures: dict[str, Any] = {"pixel_spacing": sources.pixel_spacing}
        thickness = sources.slice_thickness
        spacing = sources.spacing_between_slices
        if spacing is None and sources.kind in ("series", "multiframe"):
            found = geometry.volume_positions(
                sources.positions,
                [float(v) for v in sources.orientation or []],
                allow_missing=False,
            )
            if found is not None and len(sources.positions) > 1:
                spacing = geometry.format_ds([found[0]])[0]
        if thickness is None:
            thickness = spacing
        if thickness is not None:
            measures["slice_thickness"] = thickness
        if spacing is not None and sources.kind != "tiled":
            measures["spacing_between_slices"] = spacing
        values["pixel_measures_sequence"] = [measures]
    if sources.kind in ("series", "multiframe"):
        values["plane_orientation_sequence"] = [{"image_orientation_patient": sources.orientation}]
    return values


def frame_references(
    sources: SourceImages, plan: FramePlan, tile_shape: tuple[int, int]
) -> tuple[list[str], list[str], list[int] | None] | None:
    """The source frame of each frame (SOP Class, SOP Instance, frame number for multi-frame
    sources), or None when frames do not map one-to-one onto source frames (tiles of another
    size than the source's, or a tile the source does not have)."""
    cells = plan.cells
    if sources.kind == "tiled":
        if tile_shape != (sources.rows, sources.columns):
            return None
        ref = sources.references[0]
        numbers = [
            sources.tile_frames.get((cells[c].row + 1, cells[c].column + 1))
            for c in plan.frame_cells
        ]
        if any(v is None for v in numbers):
            return None
        n = len(numbers)
        return [ref.sop_class_uid] * n, [ref.sop_instance_uid] * n, numbers  # type: ignore[return-value]
    refs = [sources.references[cells[c].plane] for c in plan.frame_cells]
    classes = [r.sop_class_uid for r in refs]
    instances = [r.sop_instance_uid for r in refs]
    if sources.kind == "multiframe":
        return classes, instances, [int(r.frame_number or 0) for r in refs]
    return classes, instances, None


@dataclass(frozen=True)
class Tiling:
    """How a derived image of a tiled source is cut: frame (tile) shape, Dimension
    Organization Type, and whether empty frames are left out (never for TILED_FULL, which
    stores every tile, C.7.6.17.3). For other sources the frame is the source's frame."""

    tile_shape: tuple[int, int]
    organization_type: str | None
    omit_empty_frames: bool


def tiling(
    sources: SourceImages,
    tile_size: int | tuple[int, int] | None,
    organization_type: str | None,
    omit_empty_frames: bool | None,
    *,
    omit_by_default: bool = True,
) -> Tiling:
    """Check the tiling options against the sources and resolve their defaults: tiles of the
    source's size, TILED_SPARSE, empty frames omitted (``omit_by_default``) except in
    TILED_FULL."""
    from iodkit.derived.errors import DerivedObjectError

    kind = sources.kind
    if kind != "tiled" and (tile_size is not None or organization_type):
        raise DerivedObjectError(
            "tile_size and dimension_organization_type are for tiled (slide) sources; "
            f"these sources are a {kind}"
        )
    if organization_type not in (None, "TILED_FULL", "TILED_SPARSE"):
        raise DerivedObjectError(
            f"dimension_organization_type {organization_type!r} is not TILED_FULL or TILED_SPARSE"
        )
    if organization_type == "TILED_FULL" and omit_empty_frames:
        raise DerivedObjectError(
            "TILED_FULL stores every tile of the total pixel matrix (PS3.3 C.7.6.17.3); "
            "omit_empty_frames=True needs TILED_SPARSE"
        )
    if kind == "tiled":
        size = tile_size or (sources.rows, sources.columns)
        shape = (size, size) if isinstance(size, int) else (int(size[0]), int(size[1]))
        if min(shape) < 1 or max(shape) > 0xFFFF:
            raise DerivedObjectError(f"tile_size {size} is not within 1…65535 (Rows/Columns, US)")
        organization: str | None = organization_type or "TILED_SPARSE"
    else:
        shape = (sources.rows, sources.columns)
        organization = None
    omit = (
        (organization != "TILED_FULL" and omit_by_default)
        if omit_empty_frames is None
        else omit_empty_frames
    )
    return Tiling(shape, organization, omit)

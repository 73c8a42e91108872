"""What each frame of a multi-frame image is: its channel, position, source and dimension indices.

Read once from the functional groups (PS3.3 C.7.6.16) into NumPy arrays, so every query of a
reader (:class:`~iodkit.derived.reader.FrameIndex`) is array arithmetic:

* channel — the value of one leaf the object names (a Segmentation's Referenced Segment
  Number, C.8.20.3.1), per-frame or shared; for TILED_FULL the channel of frame *i* follows
  from the frame order (C.7.6.17.3: all tiles of the first channel, then of the second…);
* dimension index values — Frame Content (C.7.6.16.2.2) against the Dimension Index
  Sequence (C.7.6.17.1); for TILED_FULL computed from the implied positions;
* position — Image Position (Patient) of Plane Position (Patient), Row/Column Position In
  Total Image Pixel Matrix of Plane Position (Slide) (C.7.6.16.2.3), implied for TILED_FULL;
* sources — every Source Image Sequence item of the Derivation Image functional group
  (C.7.6.16.2.6): instance, frame number, Spatial Locations Preserved;
* referenced instances — Referenced Series Sequence (C.12.2), Studies Containing Other
  Referenced Instances Sequence and Source Image Evidence Sequence.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from iodkit.datavalues import (
    DamagedValueError,
    decimal,
    decimals,
    describe,
    float_of,
    floats_of,
    int_of,
    integer,
    integers,
    items,
)
from iodkit.derived import geometry, rawitems
from pydicom.dataset import Dataset

ROW_POSITION = 0x0048021F
COLUMN_POSITION = 0x0048021E
X_OFFSET, Y_OFFSET, Z_OFFSET = 0x0040072A, 0x0040073A, 0x0040074A
PLANE_POSITION_SLIDE = 0x0048021A


@dataclass(frozen=True)
class ChannelLeaf:
    """Where frames record their channel: a functional group sequence and its leaf (e.g. the
    Segmentation Macro's Segment Identification Sequence → Referenced Segment Number, US)."""

    sequence: int
    leaf: int
    vr: str
    keyword: str


@dataclass(frozen=True)
class SourceFrameReference:
    frame: int  # 0-based frame of the derived image
    sop_instance_uid: str
    frame_number: int | None
    spatial_locations_preserved: str | None


@dataclass
class FrameTable:
    number_of_frames: int
    rows: int
    columns: int
    tiled_full: bool = False
    #: The channel leaf's value per frame (−1 where unknown); None without a channel leaf.
    channels: np.ndarray | None = None
    dimension_pointers: list[int] = field(default_factory=list)
    functional_group_pointers: list[int | None] = field(default_factory=list)
    #: (frames, dimensions) Dimension Index Values.
    dimension_indices: np.ndarray = field(default_factory=lambda: np.empty((0, 0), np.int64))
    #: (frames, 3) Image Position (Patient), or None.
    positions: np.ndarray | None = None
    orientation: list[float] | None = None
    pixel_spacing: list[float] | None = None
    spacing_between_slices: float | None = None
    #: 1-based Row / Column Position In Total Image Pixel Matrix per frame (tiled), or None.
    tile_rows: np.ndarray | None = None
    tile_columns: np.ndarray | None = None
    references: list[SourceFrameReference] = field(default_factory=list)
    referenced_instances: list[tuple[str, str, str]] = field(default_factory=list)


def _first(item: Dataset | None, sequence: int) -> Dataset | None:
    if item is None:
        return None
    elem = item.get(sequence)
    found = [] if elem is None else items(elem.value, describe(sequence))
    return found[0] if found else None


def build_frame_table(
    ds: Dataset, channel: ChannelLeaf | None = None, channel_numbers: list[int] | None = None
) -> FrameTable:
    """The :class:`FrameTable` of a multi-frame data set (pixel data not needed).

    ``channel`` names the leaf holding each frame's channel; ``channel_numbers`` are the
    channel values in TILED_FULL order (a Segmentation's Segment Numbers), since TILED_FULL
    frames carry no per-frame groups (C.7.6.17.3)."""
    n = int_of(ds, "NumberOfFrames", 1)
    if n < 1:
        raise DamagedValueError(f"Number of Frames is {n}")
    table = FrameTable(n, int_of(ds, "Rows"), int_of(ds, "Columns"))
    table.referenced_instances = referenced_instances(ds)
    shared = _first(ds, 0x52009229)
    table.tiled_full = str(ds.get("DimensionOrganizationType", "")) == "TILED_FULL"

    for item in items(ds.get("DimensionIndexSequence"), "Dimension Index Sequence"):
        table.dimension_pointers.append(int_of(item, "DimensionIndexPointer"))
        table.functional_group_pointers.append(int_of(item, "FunctionalGroupPointer", None))

    orientation_item = _first(shared, 0x00209116)
    measures = _first(shared, 0x00289110)
    slide = "ImageOrientationSlide" in ds  # slides: orientation at the top level
    if orientation_item is not None and "ImageOrientationPatient" in orientation_item:
        table.orientation = floats_of(orientation_item, "ImageOrientationPatient", 6)
    if measures is not None:
        _measures(table, measures.get("PixelSpacing"), measures.get("SpacingBetweenSlices"))
    raw_frames = _raw_per_frame_items(ds)
    if (table.orientation is None and not slide) or table.pixel_spacing is None:
        # not shared: take them from the first frame (raw if possible, else via pydicom)
        if raw_frames:
            first = raw_frames[0]
            orientation_raw = rawitems.first(first, 0x00209116)
            if table.orientation is None and not slide and orientation_raw:
                values = rawitems.text(orientation_raw.get(0x00200037), 0x00200037)
                table.orientation = decimals(values, describe(0x00200037), 6) if values else None
            measures_raw = rawitems.first(first, 0x00289110)
            if table.pixel_spacing is None and measures_raw:
                _measures(
                    table,
                    rawitems.text(measures_raw.get(0x00280030), 0x00280030) or None,
                    next(iter(rawitems.text(measures_raw.get(0x00180088), 0x00180088)), None),
                )
        elif "PerFrameFunctionalGroupsSequence" in ds:
            first_frame = _first(ds, 0x52009230)
            orientation_item = _first(first_frame, 0x00209116)
            if table.orientation is None and orientation_item is not None:
                table.orientation = floats_of(orientation_item, "ImageOrientationPatient", 6)
            measures = _first(first_frame, 0x00289110)
            if table.pixel_spacing is None and measures is not None:
                _measures(table, measures.get("PixelSpacing"), measures.get("SpacingBetweenSlices"))

    if table.tiled_full:
        _tiled_full(ds, table, channel, channel_numbers or [])
        return table

    channels = np.full(n, -1, dtype=np.int64)
    dims = len(table.dimension_pointers)
    indices = np.zeros((n, dims), dtype=np.int64)
    positions = np.full((n, 3), np.nan)
    tile_rows = np.zeros(n, dtype=np.int64)
    tile_columns = np.zeros(n, dtype=np.int64)
    has_position = has_tile = False
    shared_facts = _facts(shared, channel) if shared is not None else _Facts()
    frames_facts = (
        [_raw_facts(item, channel) for item in raw_frames]
        if raw_frames is not None
        else [
            _facts(item, channel)
            for item in items(ds.get("PerFrameFunctionalGroupsSequence"), describe(0x52009230))
        ]
    )
    for k in range(n):
        facts = frames_facts[k] if k < len(frames_facts) else _Facts()
        if dims and facts.indices is not None:
            if len(facts.indices) != dims:
                raise DamagedValueError(
                    f"frame {k + 1} has {len(facts.indices)} Dimension Index Values, the "
                    f"Dimension Index Sequence has {dims} items"
                )
            indices[k] = facts.indices
        value = facts.channel if facts.channel is not None else shared_facts.channel
        if value is not None:
            channels[k] = value
        position = facts.position if facts.position is not None else shared_facts.position
        if position is not None:
            positions[k] = position
            has_position = True
        tile = facts.tile if facts.tile is not None else shared_facts.tile
        if tile is not None:
            tile_rows[k], tile_columns[k] = tile
            has_tile = True
        for uid, number, preserved in facts.sources:
            table.references.append(SourceFrameReference(k, uid, number, preserved))
    table.channels = None if channel is None else channels
    table.dimension_indices = indices
    table.positions = positions if has_position else None
    if has_tile:
        table.tile_rows, table.tile_columns = tile_rows, tile_columns
    return table


_NO_SOURCE_UID = f"a Source Image Sequence item has no {describe(0x00081155)}"


@dataclass
class _Facts:
    """What one functional groups item says about its frame."""

    indices: list[int] | None = None
    channel: int | None = None
    position: list[float] | None = None
    tile: tuple[int, int] | None = None
    sources: list[tuple[str, int | None, str | None]] = field(default_factory=list)


def _raw_per_frame_items(ds: Dataset) -> list[rawitems.Item] | None:
    """The Per-Frame Functional Groups items parsed from their raw bytes (see
    :func:`_raw_sequence`)."""
    return _raw_sequence(ds, 0x52009230) if 0x52009230 in ds else None


def _raw_sequence(ds: Dataset, tag: int) -> list[rawitems.Item] | None:
    """The items of top-level sequence ``tag`` parsed from their raw bytes
    (:mod:`iodkit.derived.rawitems`) while pydicom has not decoded the sequence; None otherwise
    (absent, already decoded, or an encoding the small parser does not handle)."""
    from pydicom.dataelem import RawDataElement

    raw = ds.get_item(tag)
    if isinstance(raw, RawDataElement) and isinstance(raw.value, bytes) and raw.is_little_endian:
        try:
            return rawitems.parse_items(raw.value, raw.is_implicit_VR)
        except (ValueError, KeyError, IndexError, struct.error, UnicodeDecodeError):
            return None
    return None


def _measures(table: FrameTable, spacing: Any, between: Any) -> None:
    if spacing:
        table.pixel_spacing = decimals(spacing, describe(0x00280030), 2)
    if between not in (None, ""):
        table.spacing_between_slices = decimal(between, describe(0x00180088))


def _facts(frame: Dataset, channel: ChannelLeaf | None) -> _Facts:
    facts = _Facts()
    content = _first(frame, 0x00209111)
    if content is not None and "DimensionIndexValues" in content:
        facts.indices = integers(content.DimensionIndexValues, describe(0x00209157))
    holder = None if channel is None else _first(frame, channel.sequence)
    if holder is not None and channel is not None and channel.leaf in holder:
        facts.channel = integer(holder[channel.leaf].value, describe(channel.leaf))
    position = _first(frame, 0x00209113)
    if position is not None and position.get("ImagePositionPatient"):
        facts.position = floats_of(position, "ImagePositionPatient", 3)
    slide = _first(frame, PLANE_POSITION_SLIDE)
    if slide is not None and "RowPositionInTotalImagePixelMatrix" in slide:
        facts.tile = (
            int_of(slide, "RowPositionInTotalImagePixelMatrix"),
            int_of(slide, "ColumnPositionInTotalImagePixelMatrix"),
        )
    for derivation in items(frame.get("DerivationImageSequence"), describe(0x00089124)):
        for source in items(derivation.get("SourceImageSequence"), describe(0x00082112)):
            number = source.get("ReferencedFrameNumber")
            preserved = source.get("SpatialLocationsPreserved")
            uid = source.get("ReferencedSOPInstanceUID")
            if not uid:
                raise DamagedValueError(
                    f"a Source Image Sequence item has no {describe(0x00081155)}"
                )
            facts.sources.append(
                (
                    str(uid),
                    None if number in (None, "") else integers(number, describe(0x00081160))[0],
                    None if preserved in (None, "") else str(preserved),
                )
            )
    return facts


def _raw_facts(frame: rawitems.Item, channel: ChannelLeaf | None) -> _Facts:
    facts = _Facts()
    content = rawitems.first(frame, 0x00209111)
    if content is not None and 0x00209157 in content:
        facts.indices = rawitems.integers(content[0x00209157], "UL", 0x00209157)
    holder = None if channel is None else rawitems.first(frame, channel.sequence)
    if holder is not None and channel is not None and channel.leaf in holder:
        facts.channel = rawitems.integer(holder[channel.leaf], channel.vr, channel.leaf)
    position = rawitems.first(frame, 0x00209113)
    if position is not None and position.get(0x00200032):
        text = rawitems.text(position[0x00200032], 0x00200032)
        facts.position = decimals(text, describe(0x00200032), 3)
    slide = rawitems.first(frame, PLANE_POSITION_SLIDE)
    if slide is not None and ROW_POSITION in slide:
        facts.tile = (
            rawitems.integer(slide[ROW_POSITION], "SL", ROW_POSITION),
            rawitems.integer(slide.get(COLUMN_POSITION), "SL", COLUMN_POSITION),
        )
    for derivation in rawitems.items(frame, 0x00089124):
        for source in rawitems.items(derivation, 0x00082112):
            number = rawitems.text(source.get(0x00081160), 0x00081160)
            preserved = rawitems.text(source.get(0x0028135A), 0x0028135A)
            uid = rawitems.text(source.get(0x00081155), 0x00081155)
            if not uid:
                raise DamagedValueError(
                    f"a Source Image Sequence item has no {describe(0x00081155)}"
                )
            facts.sources.append(
                (
                    uid[0],
                    integer(number[0], describe(0x00081160)) if number else None,
                    preserved[0] if preserved else None,
                )
            )
    return facts


def _tiled_full(
    ds: Dataset, table: FrameTable, channel: ChannelLeaf | None, numbers: list[int]
) -> None:
    """Implied positions and channels of TILED_FULL frames (PS3.3 C.7.6.17.3): tiles row by
    row, then focal planes, then channels (``numbers`` in order; 1, 2, … past their end)."""
    total_rows = int_of(ds, "TotalPixelMatrixRows")
    total_columns = int_of(ds, "TotalPixelMatrixColumns")
    focal_planes = int_of(ds, "TotalPixelMatrixFocalPlanes", 1)
    n = table.number_of_frames
    if min(total_rows, total_columns, table.rows, table.columns, focal_planes) < 1:
        raise DamagedValueError(
            f"a TILED_FULL image of {total_rows}×{total_columns} pixels in {focal_planes} "
            f"focal planes, tiles of {table.rows}×{table.columns}"
        )
    tiles = -(-total_rows // table.rows) * -(-total_columns // table.columns)
    if tiles * focal_planes > n:  # checked before the grid is made: sizes may be damaged
        raise DamagedValueError(
            f"a TILED_FULL total pixel matrix of {total_rows}×{total_columns} in tiles of "
            f"{table.rows}×{table.columns} has {tiles} tiles per focal plane, and "
            f"{focal_planes} focal planes: more than its {n} frames (C.7.6.17.3)"
        )
    tile_rows, tile_columns = geometry.tile_grid(
        total_rows, total_columns, table.rows, table.columns
    )
    per_channel = len(tile_rows) * focal_planes
    repeat = -(-n // per_channel)
    table.tile_rows = np.tile(np.repeat(tile_rows[None], focal_planes, 0).ravel(), repeat)[:n]
    table.tile_columns = np.tile(np.repeat(tile_columns[None], focal_planes, 0).ravel(), repeat)[:n]
    position = np.arange(n) // per_channel
    if channel is not None:
        table.channels = np.array(
            [numbers[c] if c < len(numbers) else c + 1 for c in position], dtype=np.int64
        )
    offsets = _tiled_full_offsets(ds, table, focal_planes, per_channel)
    columns: list[np.ndarray] = []
    for pointer in table.dimension_pointers:
        if pointer == ROW_POSITION:
            values = table.tile_rows
        elif pointer == COLUMN_POSITION:
            values = table.tile_columns
        elif channel is not None and pointer == channel.leaf and table.channels is not None:
            values = table.channels
        elif pointer in (X_OFFSET, Y_OFFSET, Z_OFFSET) and offsets is not None:
            values = offsets[:, (X_OFFSET, Y_OFFSET, Z_OFFSET).index(pointer)]
        else:
            values = np.zeros(n, dtype=np.int64)
        _, inverse = np.unique(values, return_inverse=True)
        columns.append(inverse.reshape(-1) + 1)
    table.dimension_indices = (
        np.stack(columns, axis=1) if columns else np.zeros((n, 0), dtype=np.int64)
    )


def _tiled_full_offsets(
    ds: Dataset, table: FrameTable, focal_planes: int, per_channel: int
) -> np.ndarray | None:
    """Slide coordinates of each TILED_FULL frame's first pixel: the total pixel matrix
    origin moved along the rows and columns, focal plane k at (k − 1) × Spacing Between
    Slices (C.7.6.17.3)."""
    if table.pixel_spacing is None or "ImageOrientationSlide" not in ds:
        return None
    origins = items(ds.get("TotalPixelMatrixOriginSequence"), describe(0x00480008))
    if not origins:
        raise DamagedValueError(f"a slide's {describe(0x00480008)} is missing")
    origin = origins[0]
    n = table.number_of_frames
    plane = (np.arange(n) % per_channel) // (per_channel // focal_planes)
    assert table.tile_rows is not None and table.tile_columns is not None
    xy = geometry.slide_offsets(
        [
            float_of(origin, "XOffsetInSlideCoordinateSystem"),
            float_of(origin, "YOffsetInSlideCoordinateSystem"),
            0.0,
        ],
        floats_of(ds, "ImageOrientationSlide", 6),
        table.pixel_spacing,
        table.tile_rows,
        table.tile_columns,
    )
    xy[:, 2] = plane * (table.spacing_between_slices or 1.0)
    return xy


#: Referenced Series Sequence (C.12.2), Referenced SOP Sequence (Table 10-4) / Referenced
#: Instance Sequence, and the instance / series / study UIDs in them.
_REFERENCED_SERIES, _REFERENCED_SOP, _REFERENCED_INSTANCE = 0x00081115, 0x00081199, 0x0008114A
_SOP_INSTANCE_UID, _SERIES_UID, _STUDY_UID = 0x00081155, 0x0020000E, 0x0020000D
#: Studies Containing Other Referenced Instances Sequence, Source Image Evidence Sequence.
_OTHER_STUDIES, _SOURCE_EVIDENCE = 0x00081200, 0x00089154

#: An item as pydicom decodes it, or as :mod:`rawitems` parses it from its bytes.
_Node = Dataset | rawitems.Item


def _sequence(node: _Node, tag: int) -> list[Any]:
    """The items of sequence ``tag`` in ``node`` (top level: parsed raw when pydicom has not
    decoded it, see :func:`_raw_sequence`)."""
    if isinstance(node, dict):
        return rawitems.items(node, tag)
    if not isinstance(node, Dataset) or tag not in node:
        return []
    raw = _raw_sequence(node, tag)
    if raw is not None:
        return raw
    return items(node[tag].value, describe(tag))


def _uid(node: _Node, tag: int) -> str:
    if isinstance(node, dict):
        parts = rawitems.text(node.get(tag), tag)
        return parts[0] if parts else ""
    elem = node.get(tag)
    return "" if elem is None or elem.value is None else str(elem.value)


def referenced_instances(ds: Dataset) -> list[tuple[str, str, str]]:
    """(study, series, SOP instance) UIDs of every instance the data set references.

    The sequences are read from their encoded bytes when pydicom has not decoded them yet: a
    derived image references every source instance, and letting pydicom build a Dataset per
    item was most of the time it took to open one."""
    found: dict[tuple[str, str, str], None] = {}

    def add(container: _Node, where: str) -> None:
        study = _uid(container, _STUDY_UID)
        for s, series in enumerate(_sequence(container, _REFERENCED_SERIES), start=1):
            instances = _sequence(series, _REFERENCED_SOP) or _sequence(
                series, _REFERENCED_INSTANCE
            )
            for i, instance in enumerate(instances, start=1):
                uid = _uid(instance, _SOP_INSTANCE_UID)
                if not uid:
                    raise DamagedValueError(
                        f"{where}Referenced Series Sequence item {s}, instance item {i} has no "
                        "Referenced SOP Instance UID (0008,1155)"
                    )
                found[(study, _uid(series, _SERIES_UID), uid)] = None

    add(ds, "")
    for tag, name in (
        (_OTHER_STUDIES, "Studies Containing Other Referenced Instances Sequence"),
        (_SOURCE_EVIDENCE, "Source Image Evidence Sequence"),
    ):
        for n, item in enumerate(_sequence(ds, tag), start=1):
            add(item, f"{name} item {n}: ")
    return list(found)

"""Read Microscopy Bulk Simple Annotations (PS3.3 A.87) — ours, highdicom's, anyone's.

A file is memory-mapped and its elements located by :mod:`iodkit.validation.reader` without
reading their values: opening a file of a million polygons reads a few kilobytes. A group's
coordinates come back as one packed array plus offsets (:attr:`AnnotationGroupReader.coordinates`,
:attr:`AnnotationGroupReader.offsets`) or one annotation at a time
(:meth:`AnnotationGroupReader.annotation`, which reads only that annotation's points);
measurements as one value per annotation, NaN where an annotation has none. Groups are found by
number, UID, label, property category/type, graphic type or algorithm
(:meth:`BulkAnnotationsReader.get_groups`). A pydicom Dataset is read the same way.
"""

from __future__ import annotations

import contextlib
import io
import mmap
import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, BinaryIO

import numpy as np
from iodkit.ann.coordinates import decode_offsets
from iodkit.ann.errors import AnnotationReadError
from iodkit.ann.groups import Measurement
from iodkit.codes import Code, CodeLike, as_code
from iodkit.datavalues import DamagedValueError, decimals, describe, integer, integers
from iodkit.derived.readguard import (
    ArgumentError,
    NotReferencedError,
    OutOfRangeError,
    guarded,
    part_of,
)
from iodkit.seg.description import AlgorithmIdentification
from pydicom.dataset import Dataset

MICROSCOPY_BULK_SIMPLE_ANNOTATIONS_STORAGE = "1.2.840.10008.5.1.4.1.1.91.1"

# tags (PS3.6)
_SOP_CLASS = 0x00080016
_SOP_INSTANCE = 0x00080018
_COORDINATE_TYPE = 0x006A0001
_GROUPS = 0x006A0002
_PIXEL_ORIGIN = 0x00480301
_FRAME_OF_REFERENCE = 0x00200052
_REFERENCED_IMAGES = 0x00081140
_REFERENCED_SOP_CLASS, _REFERENCED_SOP_INSTANCE = 0x00081150, 0x00081155
_REFERENCED_FRAMES = 0x00081160
_CONTENT_LABEL, _CONTENT_DESCRIPTION = 0x00700080, 0x00700081
_GROUP_NUMBER, _GROUP_UID, _GROUP_LABEL = 0x0040A180, 0x006A0003, 0x006A0005
_GROUP_DESCRIPTION, _GENERATION_TYPE, _ALGORITHMS = 0x006A0006, 0x006A0007, 0x006A0008
_CATEGORY, _TYPE, _TYPE_MODIFIERS = 0x006A0009, 0x006A000A, 0x006A000B
_NUMBER_OF_ANNOTATIONS, _GRAPHIC_TYPE = 0x006A000C, 0x00700023
_ALL_OPTICAL_PATHS, _OPTICAL_PATHS = 0x006A000D, 0x006A000E
_ALL_Z_PLANES, _COMMON_Z = 0x006A000F, 0x006A0010
_POINTS, _DOUBLE_POINTS, _POINT_INDEX_LIST = 0x00660016, 0x00660022, 0x00660040
_DISPLAY_COLOR, _MEASUREMENTS = 0x0062000D, 0x00660121
_ANATOMIC_REGIONS, _PRIMARY_STRUCTURES = 0x00082218, 0x00082228
_CONCEPT_NAME, _UNITS, _MEASUREMENT_VALUES = 0x0040A043, 0x004008EA, 0x00660132
_FLOAT_VALUES, _ANNOTATION_INDEX_LIST = 0x00660125, 0x006A0011
_CODE_VALUE, _SCHEME, _SCHEME_VERSION, _MEANING = 0x00080100, 0x00080102, 0x00080103, 0x00080104
_LONG_CODE_VALUE, _URN_CODE_VALUE = 0x00080119, 0x00080120
_ALGORITHM_NAME, _ALGORITHM_VERSION, _ALGORITHM_FAMILY = 0x00660036, 0x00660031, 0x0066002F
_ALGORITHM_SOURCE, _ALGORITHM_PARAMETERS = 0x00660032, 0x00660035


def read_annotations(
    source: str | os.PathLike[str] | BinaryIO | Dataset,
) -> BulkAnnotationsReader:
    """Open Microscopy Bulk Simple Annotations from a path, a binary file or a Dataset; an
    :class:`AnnotationReadError` naming the source when it cannot be opened or, later, read."""
    return BulkAnnotationsReader(source)


# -- values of a parsed tree (iodkit.validation.reader Nodes) or a pydicom Dataset ---------------


def _value(node: Any, tag: int, default: Any = None) -> Any:
    element = node.get(tag)
    if element is None:
        return default
    value = element.value
    return default if value is None or value == "" else value


def _values(node: Any, tag: int) -> list[Any]:
    value = _value(node, tag)
    if value is None:
        return []
    if isinstance(value, (str, bytes, int, float)):
        return [value]
    return list(value)


def _text(node: Any, tag: int) -> str | None:
    value = _value(node, tag)
    return None if value is None else str(value)


def _items(node: Any, tag: int) -> list[Any]:
    """The items of a sequence (parsed Nodes or pydicom Datasets); a value that is not one — a
    damaged file can give a sequence tag any VR — is a :class:`DamagedValueError` naming it,
    not text or bytes handed on as if they were items."""
    values = _values(node, tag)
    for value in values:
        if not hasattr(value, "get"):
            raise DamagedValueError(f"{describe(tag)} holds {type(value).__name__}, not items")
    return values


def _code(item: Any) -> Code:
    value = (
        _text(item, _CODE_VALUE) or _text(item, _LONG_CODE_VALUE) or _text(item, _URN_CODE_VALUE)
    )
    return Code(
        value or "",
        _text(item, _SCHEME) or "",
        _text(item, _MEANING) or "",
        _text(item, _SCHEME_VERSION),
    )


def _codes(node: Any, tag: int) -> list[Code]:
    return [_code(item) for item in _items(node, tag)]


def _bulk(node: Any, tag: int) -> memoryview | bytes | bytearray | None:
    element = node.get(tag)
    if element is None:
        return None
    if hasattr(element, "view"):  # a parsed element: a view of the mapped file
        return element.view()  # type: ignore[no-any-return]
    value = element.value
    return value if isinstance(value, (bytes, bytearray, memoryview)) else None


@dataclass(frozen=True)
class ReferencedImage:
    """An image the annotations refer to (Referenced Image Sequence, C.37.1.2.1.1)."""

    sop_class_uid: str
    sop_instance_uid: str
    frame_numbers: tuple[int, ...] = ()


@guarded(AnnotationReadError, "annotations", opens=False)
class AnnotationGroupReader:
    """One Annotation Group Sequence item, its bulk values read on demand (named by the
    reader that made it, :func:`~iodkit.derived.readguard.part_of`)."""

    def __init__(self, item: Any, order: str, coordinate_type: str) -> None:
        self._item = item
        self._order = order  # "<" or ">": byte order of the bulk values
        self.coordinate_type = coordinate_type
        self.number = integer(_value(item, _GROUP_NUMBER, 0), describe(_GROUP_NUMBER))
        self.uid = _text(item, _GROUP_UID) or ""
        self.label = _text(item, _GROUP_LABEL) or ""
        self.description = _text(item, _GROUP_DESCRIPTION)
        self.generation_type = _text(item, _GENERATION_TYPE) or ""
        self.graphic_type = _text(item, _GRAPHIC_TYPE) or ""
        self.number_of_annotations = integer(
            _value(item, _NUMBER_OF_ANNOTATIONS, 0), describe(_NUMBER_OF_ANNOTATIONS)
        )
        categories, types = _codes(item, _CATEGORY), _codes(item, _TYPE)
        if not categories or not types or not self.graphic_type:
            raise AnnotationReadError(
                f"annotation group {self.number} ({self.label!r}) lacks its property category, "
                "property type or graphic type (Type 1, Table C.37.1-2)"
            )
        self.category: Code = categories[0]
        self.type: Code = types[0]
        type_items = _items(item, _TYPE)
        self.type_modifiers = _codes(type_items[0], _TYPE_MODIFIERS) if type_items else []
        self.anatomic_regions = _codes(item, _ANATOMIC_REGIONS)
        self.primary_anatomic_structures = _codes(item, _PRIMARY_STRUCTURES)
        all_paths = _text(item, _ALL_OPTICAL_PATHS)
        self.optical_paths: list[str] | None = (
            None if all_paths != "NO" else [str(v) for v in _values(item, _OPTICAL_PATHS)]
        )
        self.all_z_planes = _text(item, _ALL_Z_PLANES) == "YES"
        self.common_z: list[float] | None = (
            decimals(_values(item, _COMMON_Z), describe(_COMMON_Z)) or None
        )
        color = _values(item, _DISPLAY_COLOR)
        self.display_color: tuple[int, ...] | None = (
            tuple(integers(color, describe(_DISPLAY_COLOR))) or None
        )
        algorithms = _items(item, _ALGORITHMS)
        self.algorithm: AlgorithmIdentification | None = (
            _algorithm(algorithms[0]) if algorithms else None
        )

    def __repr__(self) -> str:
        return (
            f"AnnotationGroupReader({self.number}, {self.label!r}, {self.graphic_type}, "
            f"{self.number_of_annotations} annotations)"
        )

    def __len__(self) -> int:
        return self.number_of_annotations

    # -- coordinates -------------------------------------------------------------------------

    @cached_property
    def _stored(self) -> tuple[memoryview | bytes | bytearray, np.dtype]:
        double = _bulk(self._item, _DOUBLE_POINTS)
        if double is not None:
            return double, np.dtype(self._order + "f8")
        single = _bulk(self._item, _POINTS)
        if single is None:
            raise AnnotationReadError(
                f"annotation group {self.number} ({self.label!r}) has neither Point Coordinates "
                "Data nor Double Point Coordinates Data"
            )
        return single, np.dtype(self._order + "f4")

    @property
    def stored_dimensions(self) -> int:
        """Values per stored point: 2 for image coordinates or 3D with a common Z, else 3."""
        return 2 if self.coordinate_type == "2D" or self.common_z else 3

    @property
    def dimensions(self) -> int:
        """Values per point of :attr:`coordinates`: 2 (image) or 3 (slide)."""
        return 2 if self.coordinate_type == "2D" else 3

    @property
    def number_of_points(self) -> int:
        buffer, dtype = self._stored
        return len(buffer) // (dtype.itemsize * self.stored_dimensions)

    @cached_property
    def offsets(self) -> np.ndarray:
        """``n + 1`` indices into :attr:`coordinates`: annotation *i* is
        ``coordinates[offsets[i]:offsets[i + 1]]``."""
        index_list = _bulk(self._item, _POINT_INDEX_LIST)
        index = None if index_list is None else np.frombuffer(index_list, self._order + "u4")
        try:
            return decode_offsets(
                self.graphic_type,
                self.number_of_annotations,
                self.number_of_points,
                index,
                self.stored_dimensions,
            )
        except ValueError as exc:
            raise AnnotationReadError(
                f"annotation group {self.number} ({self.label!r}): {exc}"
            ) from None

    def _points(self, start: int, stop: int) -> np.ndarray:
        """Points ``start:stop`` as an owned native-order array with Z filled in."""
        buffer, dtype = self._stored
        dims = self.stored_dimensions
        flat = np.frombuffer(
            buffer, dtype, count=(stop - start) * dims, offset=start * dims * dtype.itemsize
        )
        stored = flat.reshape(-1, dims).astype(dtype.newbyteorder("="))
        if self.coordinate_type == "2D" or dims == 3:
            return stored
        z = self.common_z or []
        if len(z) != 1:
            raise AnnotationReadError(
                f"annotation group {self.number} ({self.label!r}) applies to {len(z)} Z planes "
                "(Common Z Coordinate Value): its points have no single Z; read stored_points "
                "and common_z"
            )
        out = np.empty((len(stored), 3), dtype=stored.dtype)
        out[:, :2] = stored
        out[:, 2] = z[0]
        return out

    @property
    def coordinates(self) -> np.ndarray:
        """Every point of the group, annotation after annotation: (N, 2) column/row image
        coordinates or (N, 3) X/Y/Z slide coordinates in mm, in the stored precision."""
        return self._points(0, self.number_of_points)

    @property
    def stored_points(self) -> np.ndarray:
        """The points as stored (Z left out where it is common)."""
        buffer, dtype = self._stored
        dims = self.stored_dimensions
        return np.frombuffer(buffer, dtype).reshape(-1, dims).astype(dtype.newbyteorder("="))

    def annotation(self, index: int) -> np.ndarray:
        """The points of annotation ``index`` (0-based), read alone."""
        if not -self.number_of_annotations <= index < self.number_of_annotations:
            raise OutOfRangeError(
                f"annotation {index} is outside group {self.number}'s "
                f"{self.number_of_annotations} annotations"
            )
        index %= self.number_of_annotations
        offsets = self.offsets
        return self._points(int(offsets[index]), int(offsets[index + 1]))

    def graphic_data(self) -> list[np.ndarray]:
        """One array per annotation (highdicom's ``get_graphic_data`` layout)."""
        return np.split(self.coordinates, self.offsets[1:-1])

    # -- measurements -------------------------------------------------------------------------

    @cached_property
    def measurements(self) -> list[Measurement]:
        """Each kind of measurement with one value per annotation (float32, NaN where none)."""
        out = []
        n = self.number_of_annotations
        for item in _items(self._item, _MEASUREMENTS):
            names, units = _codes(item, _CONCEPT_NAME), _codes(item, _UNITS)
            values_items = _items(item, _MEASUREMENT_VALUES)
            if not names or not units or not values_items:
                raise AnnotationReadError(
                    f"annotation group {self.number}: a Measurements Sequence item lacks its "
                    "name, unit or values (Type 1, Table C.37.1-2)"
                )
            entry = values_items[0]
            stored = np.frombuffer(_bulk(entry, _FLOAT_VALUES) or b"", self._order + "f4")
            values = np.full(n, np.nan, dtype=np.float32)
            index_list = _bulk(entry, _ANNOTATION_INDEX_LIST)
            if index_list is None:
                if len(stored) != n:
                    raise AnnotationReadError(
                        f"annotation group {self.number}: measurement {names[0].meaning!r} has "
                        f"{len(stored)} values for {n} annotations and no Annotation Index List"
                    )
                values[:] = stored
            else:
                index = np.frombuffer(index_list, self._order + "u4").astype(np.int64) - 1
                if len(index) != len(stored) or (
                    len(index) and (index.min() < 0 or index.max() >= n)
                ):
                    raise AnnotationReadError(
                        f"annotation group {self.number}: measurement {names[0].meaning!r} has "
                        "an Annotation Index List that does not match its values or annotations"
                    )
                values[index] = stored
            out.append(Measurement(names[0], units[0], values))
        return out

    def get_measurements(
        self, name: CodeLike | None = None
    ) -> tuple[list[Code], np.ndarray, list[Code]]:
        """(names, values of shape (annotations, measurements), units), optionally only those
        named ``name`` — highdicom's ``get_measurements`` layout."""
        chosen = [m for m in self.measurements if name is None or _same(m.name, name)]
        values = np.empty((self.number_of_annotations, len(chosen)), dtype=np.float32)
        for j, m in enumerate(chosen):
            values[:, j] = m.values
        return [as_code(m.name) for m in chosen], values, [as_code(m.unit) for m in chosen]


def _same(a: CodeLike, b: CodeLike) -> bool:
    a, b = as_code(a), as_code(b)
    return (a.value, a.scheme) == (b.value, b.scheme)


def _algorithm(item: Any) -> AlgorithmIdentification:
    families = _codes(item, _ALGORITHM_FAMILY)
    kwargs: dict[str, Any] = {
        "source": _text(item, _ALGORITHM_SOURCE),
        "parameters": _text(item, _ALGORITHM_PARAMETERS),
    }
    if families:
        kwargs["family"] = families[0]
    return AlgorithmIdentification(
        _text(item, _ALGORITHM_NAME) or "", _text(item, _ALGORITHM_VERSION) or "", **kwargs
    )


@guarded(AnnotationReadError, "annotations")
class BulkAnnotationsReader:
    """Microscopy Bulk Simple Annotations opened for reading (a context manager). Opening and
    reading raise only :class:`AnnotationReadError` naming the source on a damaged file
    (:mod:`iodkit.derived.readguard`)."""

    def __init__(self, source: str | os.PathLike[str] | BinaryIO | Dataset) -> None:
        self._map: mmap.mmap | None = None
        self._file: BinaryIO | None = None
        order = "<"
        if isinstance(source, Dataset):
            root: Any = source
            if source.original_encoding[1] is False:  # read from a big endian file
                order = ">"
        else:
            root, order = self._parse(source)
        self._root = root
        self._read_header(root, order)  # on failure the guard closes the file

    def _read_header(self, root: Any, order: str) -> None:
        sop_class = _text(root, _SOP_CLASS)
        if sop_class != MICROSCOPY_BULK_SIMPLE_ANNOTATIONS_STORAGE:
            raise AnnotationReadError(
                f"SOP Class {sop_class or '(none)'} is not Microscopy Bulk Simple Annotations "
                f"Storage ({MICROSCOPY_BULK_SIMPLE_ANNOTATIONS_STORAGE})"
            )
        self.sop_instance_uid = _text(root, _SOP_INSTANCE) or ""
        self.coordinate_type = _text(root, _COORDINATE_TYPE) or ""
        if self.coordinate_type not in ("2D", "3D"):
            raise AnnotationReadError(
                f"Annotation Coordinate Type is {self.coordinate_type!r}, not 2D or 3D"
            )
        self.pixel_origin_interpretation = _text(root, _PIXEL_ORIGIN)
        self.frame_of_reference_uid = _text(root, _FRAME_OF_REFERENCE)
        self.content_label = _text(root, _CONTENT_LABEL)
        self.content_description = _text(root, _CONTENT_DESCRIPTION)
        self.referenced_images = [
            ReferencedImage(
                _text(item, _REFERENCED_SOP_CLASS) or "",
                _text(item, _REFERENCED_SOP_INSTANCE) or "",
                tuple(integers(_values(item, _REFERENCED_FRAMES), describe(_REFERENCED_FRAMES))),
            )
            for item in _items(root, _REFERENCED_IMAGES)
        ]
        self.groups: list[AnnotationGroupReader] = [
            part_of(AnnotationGroupReader(item, order, self.coordinate_type), self)
            for item in _items(root, _GROUPS)
        ]

    def _parse(self, source: str | os.PathLike[str] | BinaryIO) -> tuple[Any, str]:
        from iodkit.validation.reader import EXPLICIT_BE, parse

        if isinstance(source, (str, os.PathLike)):
            self._file = open(source, "rb")  # noqa: SIM115 - closed in close()
            handle: BinaryIO = self._file
        else:
            handle = source
        data: Any
        try:
            data = self._map = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
            handle.seek(0)
            data = handle.read()
        try:
            parsed = parse(data)
        except Exception as exc:  # the tolerant parser should not raise; if it does, say so
            self.close()
            raise AnnotationReadError(f"not a readable DICOM data set: {exc}") from exc
        fatal = [i for i in parsed.issues if i.code in ("truncated", "unreadable")]
        if fatal or not len(parsed.dataset):
            self.close()
            reason = fatal[0].message if fatal else "no data set found"
            raise AnnotationReadError(f"not a readable DICOM data set: {reason}")
        return parsed.dataset, ">" if parsed.transfer_syntax == EXPLICIT_BE else "<"

    # -- queries ------------------------------------------------------------------------------

    def get_group(self, number: int | None = None, uid: str | None = None) -> AnnotationGroupReader:
        """The group with Annotation Group Number ``number`` or UID ``uid``."""
        if (number is None) == (uid is None):
            raise ArgumentError("give the group's number or its uid")
        found = [g for g in self.groups if g.number == number or (uid is not None and g.uid == uid)]
        if len(found) != 1:
            what = f"number {number}" if number is not None else f"UID {uid}"
            raise NotReferencedError(f"{len(found)} annotation groups have {what}")
        return found[0]

    def get_groups(
        self,
        label: str | None = None,
        category: Any = None,
        type: Any = None,  # noqa: A002 - the standard's word (Annotation Property Type)
        graphic_type: str | None = None,
        generation_type: str | None = None,
        algorithm_name: str | None = None,
        algorithm_version: str | None = None,
    ) -> list[AnnotationGroupReader]:
        """The groups matching every criterion given (codes compare by value and scheme)."""
        out = []
        for g in self.groups:
            algorithm = g.algorithm
            if (
                (label is not None and g.label != label)
                or (category is not None and not _same(g.category, category))
                or (type is not None and not _same(g.type, type))
                or (graphic_type is not None and g.graphic_type != graphic_type)
                or (generation_type is not None and g.generation_type != generation_type)
                or (
                    algorithm_name is not None
                    and (algorithm is None or algorithm.name != algorithm_name)
                )
                or (
                    algorithm_version is not None
                    and (algorithm is None or algorithm.version != algorithm_version)
                )
            ):
                continue
            out.append(g)
        return out

    def __len__(self) -> int:
        return len(self.groups)

    def __iter__(self) -> Any:
        return iter(self.groups)

    def __repr__(self) -> str:
        return (
            f"BulkAnnotationsReader({self.coordinate_type}, {len(self.groups)} groups, "
            f"{sum(g.number_of_annotations for g in self.groups)} annotations)"
        )

    def close(self) -> None:
        """Release the file. Arrays already returned are copies and stay valid."""
        self.__dict__.pop("groups", None)
        self._root = None
        if self._map is not None:
            with contextlib.suppress(BufferError):  # a view still exported: freed with it
                self._map.close()
            self._map = None
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> BulkAnnotationsReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__: Sequence[str] = (
    "AnnotationGroupReader",
    "BulkAnnotationsReader",
    "ReferencedImage",
    "read_annotations",
)

"""Microscopy Bulk Simple Annotations: written from NumPy, checked by dciodvfy and iodkit
validate, read back by iodkit and by highdicom's ``annread`` to the same coordinates and
measurements; highdicom's own ANN file read by iodkit to the content highdicom reads."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pydicom
import pytest
from iodkit.ann import (
    AnnotationError,
    AnnotationGroup,
    AnnotationReadError,
    Measurement,
    MicroscopyBulkSimpleAnnotations,
    read_annotations,
)
from iodkit.codes import Code, cid7150, cid8135, cid8136
from iodkit.seg import AlgorithmIdentification

from tests.oracles import assert_valid

UM2 = Code("um2", "UCUM", "square micrometer")
UM = Code("um", "UCUM", "micrometer")
ALGORITHM = AlgorithmIdentification("stardist", "0.9")


@pytest.fixture(scope="module")
def slide(testdata: Path) -> pydicom.Dataset:
    """highdicom's 50×50 tiled slide (25 frames of 10×10), metadata only."""
    return pydicom.dcmread(testdata / "highdicom" / "sm_image.dcm", stop_before_pixels=True)


def polygons(
    n: int, vertices: int, seed: int = 0, extent: float = 50.0
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` convex polygons of ``vertices`` points (clockwise on the image), packed."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(3, extent - 3, size=(n, 2))
    angles = np.linspace(0, 2 * np.pi, vertices, endpoint=False)
    ring = np.stack([np.cos(angles), np.sin(angles)], axis=-1)
    points = (centres[:, None, :] + 2.0 * ring[None]).reshape(-1, 2).astype(np.float32)
    return points, np.arange(0, n * vertices + 1, vertices)


def all_groups() -> list[AnnotationGroup]:
    """One group per graphic type, with measurements (some missing) and the optional parts."""
    pts, offsets = polygons(20, 6)
    ragged = np.array([0, 3, 7, 12, 20], dtype=np.int64)
    rect = np.array([[1, 1], [9, 1], [9, 5], [1, 5]] * 3, dtype=np.float32) + np.repeat(
        np.arange(3)[:, None] * 10, 4, axis=0
    ).astype(np.float32)
    ellipse = np.array([[10, 20], [20, 20], [15, 18], [15, 22]], dtype=np.float64)
    areas = np.linspace(10, 30, 20).astype(np.float32)
    areas[[2, 7]] = np.nan
    return [
        AnnotationGroup(
            "nuclei",
            cid7150.TISSUE,
            cid8135.NUCLEUS,
            "POLYGON",
            pts,
            offsets,
            measurements=[
                Measurement(cid8136.AREA, UM2, areas),
                Measurement(Code("410668003", "SCT", "Length"), UM, np.arange(20.0)),
            ],
            algorithm=ALGORITHM,
            description="StarDist nuclei",
            display_color=(30000, 50000, 20000),
        ),
        AnnotationGroup(
            "tracks",
            cid7150.TISSUE,
            cid8135.CELL,
            "POLYLINE",
            pts[:20],
            ragged,
            generation_type="MANUAL",
        ),
        AnnotationGroup(
            "cells",
            cid7150.TISSUE,
            cid8135.CELL,
            "POINT",
            pts[:5].astype(np.float64),
            algorithm=ALGORITHM,
            generation_type="SEMIAUTOMATIC",
        ),
        AnnotationGroup(
            "boxes", cid7150.TISSUE, cid8135.CELL, "RECTANGLE", rect, generation_type="MANUAL"
        ),
        AnnotationGroup(
            "ovals",
            cid7150.TISSUE,
            cid8135.NUCLEUS,
            "ELLIPSE",
            ellipse,
            generation_type="MANUAL",
            type_modifiers=[cid7150.TISSUE],
        ),
    ]


def test_every_graphic_type_round_trips_and_validates(slide, tmp_path: Path) -> None:
    groups = all_groups()
    path = tmp_path / "all.ann.dcm"
    MicroscopyBulkSimpleAnnotations(slide, groups, content_description="test").save(path)
    assert_valid(path)
    with read_annotations(path) as ann:
        assert ann.coordinate_type == "2D" and ann.pixel_origin_interpretation == "VOLUME"
        assert [g.number for g in ann.groups] == [1, 2, 3, 4, 5]
        assert ann.referenced_images[0].sop_instance_uid == slide.SOPInstanceUID
        for given, read in zip(groups, ann.groups, strict=True):
            assert read.label == given.label and read.graphic_type == given.graphic_type
            assert (read.category, read.type) == (given.category, given.type)
            assert read.coordinates.dtype == given.packed.points.dtype
            assert np.array_equal(read.coordinates, given.packed.points)
            assert np.array_equal(read.offsets, given.packed.offsets)
            k = read.number_of_annotations - 1
            assert np.array_equal(
                read.annotation(k), given.packed.points[given.packed.offsets[k] :]
            )
            assert read.generation_type == given.generation_type
            assert read.algorithm == given.algorithm
        nuclei = ann.get_groups(label="nuclei")[0]
        names, values, units = nuclei.get_measurements()
        assert [n.meaning for n in names] == ["Area", "Length"] and units == [UM2, UM]
        expected = np.asarray(groups[0].measurements[0].values, dtype=np.float32)
        assert np.array_equal(values[:, 0], expected, equal_nan=True)
        assert nuclei.display_color == (30000, 50000, 20000)
        assert ann.get_groups(graphic_type="POINT")[0].label == "cells"
        assert [g.label for g in ann.get_groups(type=cid8135.NUCLEUS)] == ["nuclei", "ovals"]
        assert (
            ann.get_groups(algorithm_name="stardist", generation_type="SEMIAUTOMATIC")[0].number
            == 3
        )
        assert ann.get_group(uid=groups[3].uid).label == "boxes"
        assert ann.get_groups(label="ovals")[0].type_modifiers == [cid7150.TISSUE]


def test_highdicom_reads_ours(slide, tmp_path: Path) -> None:
    hd = pytest.importorskip("highdicom")
    groups = all_groups()
    path = tmp_path / "ours.ann.dcm"
    MicroscopyBulkSimpleAnnotations(slide, groups).save(path)
    theirs = hd.ann.annread(path)
    for number, given in enumerate(groups, start=1):
        group = theirs.get_annotation_group(number=number)
        assert group.label == given.label and group.graphic_type.value == given.graphic_type
        data = group.get_graphic_data("2D")
        assert len(data) == given.number_of_annotations
        assert np.array_equal(np.concatenate(data), given.packed.points)
        names, values, units = group.get_measurements()
        for j, m in enumerate(given.measurements):
            assert names[j].value == m.name.value and units[j].value == m.unit.value
            expected = np.asarray(m.values, dtype=np.float32)
            assert np.array_equal(values[:, j], expected, equal_nan=True)


def test_ours_reads_highdicom_file_like_highdicom(testdata: Path) -> None:
    hd = pytest.importorskip("highdicom")
    path = testdata / "highdicom" / "sm_annotations.dcm"
    theirs = hd.ann.annread(path)
    with read_annotations(path) as ours:
        assert ours.coordinate_type == theirs.AnnotationCoordinateType
        assert len(ours.groups) == len(theirs.AnnotationGroupSequence)
        for mine, item in zip(ours.groups, theirs.AnnotationGroupSequence, strict=True):
            assert (mine.number, mine.uid, mine.label) == (item.number, item.uid, item.label)
            assert mine.graphic_type == item.graphic_type.value
            assert mine.type.value == item.annotated_property_type.value
            assert mine.category.meaning == item.annotated_property_category.meaning
            data = item.get_graphic_data(ours.coordinate_type)
            assert np.array_equal(mine.coordinates, np.concatenate(data))
            for k, expected in enumerate(data):
                assert np.array_equal(mine.annotation(k), expected)
            names, values, units = item.get_measurements()
            my_names, my_values, my_units = mine.get_measurements()
            assert [n.value for n in my_names] == [n.value for n in names]
            assert [u.value for u in my_units] == [u.value for u in units]
            assert np.array_equal(my_values, values, equal_nan=True)


def test_3d_slide_coordinates(slide, tmp_path: Path) -> None:
    """float64 (X, Y, Z) in mm; a common Z is factored out (required, C.37.1.2.1.1), varying Z
    is stored per point."""
    hd = pytest.importorskip("highdicom")
    pts, offsets = polygons(4, 5)
    flat = np.column_stack([pts / 1000.0, np.full(len(pts), 0.002)]).astype(np.float64)
    varying = flat.copy()
    varying[:, 2] = np.linspace(0.001, 0.003, len(pts))
    groups = [
        AnnotationGroup(
            "flat",
            cid7150.TISSUE,
            cid8135.NUCLEUS,
            "POLYGON",
            flat,
            offsets,
            generation_type="MANUAL",
        ),
        AnnotationGroup(
            "steep",
            cid7150.TISSUE,
            cid8135.CELL,
            "POLYLINE",
            varying,
            offsets,
            generation_type="MANUAL",
            all_z_planes=True,
        ),
    ]
    path = tmp_path / "3d.ann.dcm"
    MicroscopyBulkSimpleAnnotations(slide, groups).save(path)
    assert_valid(path)
    ds = pydicom.dcmread(path)
    assert (
        ds.AnnotationCoordinateType == "3D" and ds.FrameOfReferenceUID == slide.FrameOfReferenceUID
    )
    first, second = ds.AnnotationGroupSequence
    assert float(first.CommonZCoordinateValue) == 0.002 and "CommonZCoordinateValue" not in second
    assert len(first.DoublePointCoordinatesData) == len(pts) * 2 * 8
    with read_annotations(path) as ann:
        assert np.array_equal(ann.groups[0].coordinates, flat)
        assert np.array_equal(ann.groups[1].coordinates, varying)
        assert ann.groups[1].all_z_planes and not ann.groups[0].all_z_planes
    theirs = hd.ann.annread(path)
    assert np.array_equal(
        np.concatenate(theirs.get_annotation_group(number=1).get_graphic_data("3D")), flat
    )


def test_frame_origin_and_optical_paths(slide, tmp_path: Path) -> None:
    pts = np.array([[1.0, 1.0], [9.5, 9.5]], dtype=np.float32)
    path_id = str(slide.OpticalPathSequence[0].OpticalPathIdentifier)
    group = AnnotationGroup(
        "dots",
        cid7150.TISSUE,
        cid8135.CELL,
        "POINT",
        pts,
        generation_type="MANUAL",
        optical_paths=[path_id],
    )
    path = tmp_path / "frame.ann.dcm"
    MicroscopyBulkSimpleAnnotations(
        slide, [group], pixel_origin_interpretation="FRAME", frame_number=3
    ).save(path)
    assert_valid(path)
    with read_annotations(path) as ann:
        assert ann.pixel_origin_interpretation == "FRAME"
        assert ann.referenced_images[0].frame_numbers == (3,)
        assert ann.groups[0].optical_paths == [path_id]


def test_dataset_and_file_object_sources_read_the_same(slide) -> None:
    ds = MicroscopyBulkSimpleAnnotations(slide, all_groups()).to_dataset()
    buffer = io.BytesIO()
    pydicom.dcmwrite(buffer, ds, enforce_file_format=True)
    buffer.seek(0)
    with read_annotations(ds) as a, read_annotations(buffer) as b:
        for x, y in zip(a.groups, b.groups, strict=True):
            assert np.array_equal(x.coordinates, y.coordinates)
            assert np.array_equal(x.offsets, y.offsets)


def test_reader_refuses_other_objects(testdata: Path) -> None:
    with pytest.raises(AnnotationReadError, match="not Microscopy Bulk Simple Annotations"):
        read_annotations(testdata / "highdicom" / "sm_image.dcm")


def test_an_over_long_or_empty_label_is_named_in_api_words() -> None:
    """The LO limit of Annotation Group Label surfaced as a builder error naming
    AnnotationGroupSequenceItem.annotation_group_label; an empty label was taken."""
    for label in ("x" * 65, "", "  "):
        with pytest.raises(AnnotationError, match="at most 64 characters"):
            AnnotationGroup(
                label,
                cid7150.TISSUE,
                cid8135.NUCLEUS,
                "POINT",
                np.zeros((1, 2), np.float32),
                algorithm=AlgorithmIdentification("a", "1"),
            )

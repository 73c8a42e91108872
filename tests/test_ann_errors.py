"""Bad bulk annotations are refused with an error naming the group and the annotation, and
nothing is written."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pydicom
import pytest
from iodkit.ann import (
    AnnotationError,
    AnnotationGroup,
    Measurement,
    MicroscopyBulkSimpleAnnotations,
)
from iodkit.codes import Code, cid7150, cid8135, cid8136


@pytest.fixture(scope="module")
def slide(testdata: Path) -> pydicom.Dataset:
    return pydicom.dcmread(testdata / "highdicom" / "sm_image.dcm", stop_before_pixels=True)


def square(at: float = 10.0) -> np.ndarray:
    return np.array([[at, at], [at + 4, at], [at + 4, at + 4], [at, at + 4]], dtype=np.float32)


def group(
    kind: str, points: np.ndarray, offsets: np.ndarray | None = None, **kw: object
) -> AnnotationGroup:
    return AnnotationGroup(
        "nuclei",
        cid7150.TISSUE,
        cid8135.NUCLEUS,
        kind,
        points,
        offsets,
        generation_type="MANUAL",
        **kw,
    )  # type: ignore[arg-type]


def write(slide: pydicom.Dataset, tmp_path: Path, *groups: AnnotationGroup, **kw: object) -> None:
    MicroscopyBulkSimpleAnnotations(slide, list(groups), **kw).save(tmp_path / "out.ann.dcm")  # type: ignore[arg-type]


CASES = {
    "polygon of two points": (
        lambda: group("POLYGON", np.vstack([square(), square(20)[:2]]), np.array([0, 4, 6])),
        r"group 'nuclei': annotation 1 is a POLYGON of 2 points; a POLYGON needs at least 3",
    ),
    "rectangle of three points": (
        lambda: group("RECTANGLE", np.vstack([square(), square(20)[:3]]), np.array([0, 4, 7])),
        r"group 'nuclei': annotation 1 is a RECTANGLE of 3 points; a RECTANGLE needs exactly 4",
    ),
    "rectangles not a multiple of four": (
        lambda: group("RECTANGLE", np.vstack([square(), square(20)[:3]])),
        r"7 points are not a whole number of RECTANGLEs of 4 points",
    ),
    "NaN coordinate": (
        lambda: group(
            "POLYGON",
            np.vstack(
                [square(), np.where(np.arange(8).reshape(4, 2) == 5, np.nan, square(20))]
            ).astype(np.float32),
            np.array([0, 4, 8]),
        ),
        r"annotation 1 has a coordinate that is NaN or infinite \(point 6",
    ),
    "closed polygon": (
        lambda: group("POLYGON", np.vstack([square(), square()[:1]]), np.array([0, 5])),
        r"annotation 0 repeats its first point as its last",
    ),
    "offsets not increasing": (
        lambda: group("POLYGON", np.vstack([square(), square(20)]), np.array([0, 4, 4, 8])),
        r"annotation 1 has 0 points: offsets must increase strictly",
    ),
    "offsets not covering the points": (
        lambda: group("POLYGON", np.vstack([square(), square(20)]), np.array([0, 4])),
        r"offsets must start at 0 and end at the number of points \(8\)",
    ),
    "automatic without algorithm": (
        lambda: AnnotationGroup("nuclei", cid7150.TISSUE, cid8135.NUCLEUS, "POINT", square()),
        r"AUTOMATIC annotations need the algorithm",
    ),
    "measurement of the wrong length": (
        lambda: group(
            "POINT",
            square(),
            measurements=[Measurement(cid8136.AREA, Code("um2", "UCUM", "um2"), [1.0, 2.0])],
        ).to_item(1),
        r"group 1 \('nuclei'\), measurement 'Area': \(2,\) values for 4 annotations",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_group(case: str) -> None:
    make, message = CASES[case]
    with pytest.raises(AnnotationError, match=message):
        make()


def test_coordinates_outside_the_image(slide, tmp_path: Path) -> None:
    inside, outside = square(10), square(48)  # the total pixel matrix is 50×50
    points = np.vstack([inside, inside + 5, outside])
    bad = group("POLYGON", points, np.array([0, 4, 8, 12]))
    with pytest.raises(
        AnnotationError,
        match=r"group 1 \('nuclei'\): annotation 2 has point \[52\.0, 48\.0\] outside the "
        r"total pixel matrix \(columns 0…50, rows 0…50\)",
    ):
        write(slide, tmp_path, bad)
    assert list(tmp_path.iterdir()) == []
    # a frame is 10×10: coordinates are checked against it with FRAME pixel origin
    with pytest.raises(
        AnnotationError,
        match=r"annotation 1 has point \[14\.0, 10\.0\] outside frame 2 \(columns 0…10, "
        r"rows 0…10\) \(and 2 more\)",
    ):
        write(
            slide,
            tmp_path,
            group("POINT", square(10)),
            pixel_origin_interpretation="FRAME",
            frame_number=2,
        )
    assert list(tmp_path.iterdir()) == []


def test_references_not_in_the_sources(slide, tmp_path: Path) -> None:
    with pytest.raises(
        AnnotationError,
        match=r"group 1 \('nuclei'\): optical path\(s\) \['99'\] are not in the source "
        r"images' Optical Path Sequence",
    ):
        write(slide, tmp_path, group("POINT", square(), optical_paths=["99"]))
    with pytest.raises(
        AnnotationError,
        match=r"FRAME pixel origin needs frame_number, one of the image's frames 1…25 \(got 26\)",
    ):
        write(
            slide,
            tmp_path,
            group("POINT", square()),
            pixel_origin_interpretation="FRAME",
            frame_number=26,
        )
    assert list(tmp_path.iterdir()) == []


def test_mixed_coordinate_types_and_sources(slide, tmp_path: Path) -> None:
    flat = group("POINT", square())
    deep = group("POINT", np.column_stack([square(), np.zeros(4)]).astype(np.float64))
    with pytest.raises(
        AnnotationError, match="groups mix 2D image coordinates and 3D slide coordinates"
    ):
        write(slide, tmp_path, flat, deep)
    with pytest.raises(AnnotationError, match="2 source images given for 2D coordinates"):
        other = copy.deepcopy(slide)
        other.SOPInstanceUID = slide.SOPInstanceUID + ".2"
        MicroscopyBulkSimpleAnnotations([slide, other], [flat])
    with pytest.raises(AnnotationError, match="the same source SOP Instance UID is given twice"):
        MicroscopyBulkSimpleAnnotations([slide, slide], [flat])
    assert list(tmp_path.iterdir()) == []


def test_codes_from_pydicom_and_bad_codes() -> None:
    """QA-3: pydicom's (and highdicom's) codes are taken wherever a Code is, converted at
    construction; anything else is refused there, naming the group and the field."""
    from iodkit.codes import CodeError
    from pydicom.sr.codedict import codes

    group = AnnotationGroup(
        "n",
        codes.SCT.Tissue,
        codes.SCT.Nucleus,
        "POINT",
        square(),
        generation_type="MANUAL",
        measurements=[Measurement(codes.SCT.Area, codes.UCUM.SquareMicrometer, np.ones(4))],
    )
    assert group.category == cid7150.TISSUE and group.type == cid8135.NUCLEUS
    assert group.measurements[0].unit.scheme == "UCUM"
    group.to_item(1)  # builds
    with pytest.raises(CodeError, match="group 'n': property type: expected a code"):
        AnnotationGroup("n", cid7150.TISSUE, "nucleus", "POINT", square(), generation_type="MANUAL")  # type: ignore[arg-type]

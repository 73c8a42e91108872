"""The demo's bulk annotation step (see :mod:`iodkit.demo`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from iodkit.demo import DemoRun

SIDE = 768  # pixels of the synthetic slide level
SPACING_UM = 0.5  # µm per pixel (0.0005 mm)


def synthetic_nuclei(count: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A pink-stained field with ``count`` purple elliptic nuclei: the RGB slide, and each
    nucleus as a 16-vertex polygon (clockwise on the image) — what a segmentation model and
    its mask-to-polygon step would give."""
    rng = np.random.default_rng(seed)
    rgb = np.empty((SIDE, SIDE, 3), dtype=np.uint8)
    rgb[:] = (236, 200, 220)
    rgb += rng.integers(0, 12, size=rgb.shape, dtype=np.uint8)
    centres = rng.uniform(20, SIDE - 20, size=(count, 2))
    axes = rng.uniform(5, 11, size=(count, 2))
    tilt = rng.uniform(0, np.pi, size=count)
    yy, xx = np.mgrid[:SIDE, :SIDE]
    angles = np.linspace(0, 2 * np.pi, 16, endpoint=False)
    polygons = []
    for (cx, cy), (a, b), t in zip(centres, axes, tilt, strict=True):
        u, v = np.cos(angles) * a, np.sin(angles) * b
        polygons.append(
            np.stack([cx + u * np.cos(t) - v * np.sin(t), cy + u * np.sin(t) + v * np.cos(t)], 1)
        )
        box = (slice(max(0, int(cy - 12)), int(cy + 12)), slice(max(0, int(cx - 12)), int(cx + 12)))
        dx, dy = xx[box] + 0.5 - cx, yy[box] + 0.5 - cy
        inside = ((dx * np.cos(t) + dy * np.sin(t)) / a) ** 2 + (
            (-dx * np.sin(t) + dy * np.cos(t)) / b
        ) ** 2 < 1
        rgb[box][inside] = (110, 60, 150)
    points = np.concatenate(polygons).astype(np.float32)
    offsets = np.arange(0, 16 * count + 1, 16)
    return rgb, points, offsets


def shoelace_areas(points: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Polygon areas (in squared coordinate units) by the shoelace formula, all at once."""
    x, y = points[:, 0].astype(np.float64), points[:, 1].astype(np.float64)
    nxt = np.arange(len(points)) + 1
    nxt[offsets[1:] - 1] = offsets[:-1]  # each polygon's last vertex joins its first
    cross = x * y[nxt] - x[nxt] * y
    return np.abs(np.add.reduceat(cross, offsets[:-1])) / 2


def bulk_annotations(run: DemoRun) -> None:
    """Bulk annotations: nuclei outlines with their area on a small synthetic slide."""
    from iodkit.ann import (
        AnnotationGroup,
        Measurement,
        MicroscopyBulkSimpleAnnotations,
        read_annotations,
    )
    from iodkit.codes import Code, cid7150, cid8135, cid8136
    from iodkit.render import render
    from iodkit.seg import AlgorithmIdentification
    from iodkit.wsi import SlideImage

    rgb, points, offsets = synthetic_nuclei(300)
    slide = SlideImage(
        rgb,
        pixel_spacing=(SPACING_UM / 1000, SPACING_UM / 1000),
        tile_size=256,
        body_part_examined="COLON",  # what the (synthetic) section shows: General Series
    )
    slide_path = run.path("slide/slide.dcm")
    slide.save(slide_path)
    run.wrote(slide_path, f"a {SIDE}×{SIDE} RGB VL Whole Slide Microscopy level (iodkit.wsi)")
    run.check(slide_path)
    areas = (shoelace_areas(points, offsets) * SPACING_UM**2).astype(np.float32)
    nuclei = AnnotationGroup(
        "nuclei",
        cid7150.TISSUE,
        cid8135.NUCLEUS,
        "POLYGON",
        points,
        offsets,
        measurements=[Measurement(cid8136.AREA, Code("um2", "UCUM", "square micrometer"), areas)],
        algorithm=AlgorithmIdentification("synthetic nuclei", "1.0"),
        display_color=(32768, 17476, 45746),  # a green (L* 50, a* -60, b* 50) on pink
    )
    path = run.path("slide/nuclei.ann.dcm")
    ann = MicroscopyBulkSimpleAnnotations(slide.to_dataset(), [nuclei], content_label="NUCLEI")
    ann.save(path)
    run.wrote(path, f"{len(offsets) - 1} nucleus polygons with their area (µm²)")
    run.check(path)
    with read_annotations(path) as read:
        group = read.get_groups(label="nuclei")[0]
        _, values, _ = group.get_measurements()
        same = np.array_equal(group.coordinates, points) and np.array_equal(values[:, 0], areas)
    run.say(
        f"read back: {group!r}; coordinates and areas identical: {same}; median area "
        f"{float(np.median(areas)):.1f} µm²"
    )
    if not same:
        run.fail(f"the annotations read back from {path} differ")
    picture = run.path("slide/nuclei.ann.png")
    render(path, [slide.to_dataset()], region=(0, 0, 384, 384)).save(picture)
    run.wrote(picture, "the nuclei over the slide's top left quarter")

"""Bulk annotations, iodkit vs highdicom 0.28, side by side in one run on the same data.

Workload (issue 15): one group of 1,000,000 POLYGONs of 8 vertices each (float32 image
coordinates on a 200,000² slide level, metadata only) with 2 measurements per annotation
(area and perimeter, UCUM units). Both tools start from the same NumPy arrays: the packed
(8,000,000, 2) points and the offsets; highdicom's API takes one array per annotation, so its
write includes the ``np.split`` that makes them (timed alone too, and printed).

Cases: *write* — construct + save to a file; *read all* — open the file highdicom wrote and
get every coordinate (iodkit: ``coordinates`` + ``offsets``; highdicom: ``get_graphic_data``,
a list of arrays) and both measurements; *read 1000* — open that file and read 1,000 random
annotations one at a time (the same indices for both). Reads return [annotations, checksum],
so the harness can say both read the same content. Timing and memory: :mod:`bench.sidebyside`
(alternating runs, medians of ≥ 5 after a warm-up, tracemalloc peak and RSS growth in a
process per tool). ``--quick``: 100,000 polygons.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

CASES = {"write": 5.0, "read all": 2.0, "read 1000": 5.0}  # target speed-ups (issue 15)
VERTICES = 8
SIDE = 200_000


def polygons(count: int) -> dict[str, Any]:
    """``count`` octagons scattered over the slide, with area and perimeter (deterministic)."""
    rng = np.random.default_rng(0)
    centres = rng.uniform(20, SIDE - 20, size=(count, 2))
    radii = rng.uniform(3, 12, size=count)
    angles = np.linspace(0, 2 * np.pi, VERTICES, endpoint=False)
    ring = np.stack([np.cos(angles), np.sin(angles)], axis=-1)
    points = (centres[:, None, :] + radii[:, None, None] * ring[None]).reshape(-1, 2)
    area = (0.5 * VERTICES * np.sin(2 * np.pi / VERTICES) * radii**2).astype(np.float32)
    perimeter = (2 * VERTICES * np.sin(np.pi / VERTICES) * radii).astype(np.float32)
    return {
        "points": points.astype(np.float32),
        "offsets": np.arange(0, count * VERTICES + 1, VERTICES, dtype=np.int64),
        "area": area,
        "perimeter": perimeter,
        "indices": rng.integers(0, count, size=1000),
    }


def slide() -> Any:
    from iodkit.seg.synthetic import slide_image

    return slide_image(SIDE, SIDE, tile_size=512)


# -- the two tools ----------------------------------------------------------------------------


def write_iodkit(data: dict[str, Any], source: Any, path: Path) -> None:
    from iodkit.ann import AnnotationGroup, Measurement, MicroscopyBulkSimpleAnnotations
    from iodkit.codes import Code, cid7150, cid8135, cid8136
    from iodkit.seg import AlgorithmIdentification

    group = AnnotationGroup(
        "nuclei",
        cid7150.TISSUE,
        cid8135.NUCLEUS,
        "POLYGON",
        data["points"],
        data["offsets"],
        measurements=[
            Measurement(cid8136.AREA, Code("um2", "UCUM", "square micrometer"), data["area"]),
            Measurement(
                Code("131191004", "SCT", "Perimeter"),
                Code("um", "UCUM", "micrometer"),
                data["perimeter"],
            ),
        ],
        algorithm=AlgorithmIdentification("bench", "1.0"),
    )
    MicroscopyBulkSimpleAnnotations(source, [group]).save(path)


def write_highdicom(data: dict[str, Any], source: Any, path: Path) -> None:
    import highdicom as hd
    from pydicom.sr.codedict import codes
    from pydicom.sr.coding import Code
    from pydicom.uid import generate_uid

    graphic_data = np.split(data["points"], data["offsets"][1:-1])
    group = hd.ann.AnnotationGroup(
        number=1,
        uid=generate_uid(),
        label="nuclei",
        annotated_property_category=codes.SCT.Tissue,
        annotated_property_type=Code("84640000", "SCT", "Nucleus"),
        graphic_type=hd.ann.GraphicTypeValues.POLYGON,
        graphic_data=graphic_data,
        algorithm_type=hd.ann.AnnotationGroupGenerationTypeValues.AUTOMATIC,
        algorithm_identification=hd.AlgorithmIdentificationSequence(
            name="bench", version="1.0", family=codes.cid7162.ArtificialIntelligence
        ),
        measurements=[
            hd.ann.Measurements(
                name=Code("42798000", "SCT", "Area"),
                values=data["area"],
                unit=Code("um2", "UCUM", "square micrometer"),
            ),
            hd.ann.Measurements(
                name=Code("131191004", "SCT", "Perimeter"),
                values=data["perimeter"],
                unit=Code("um", "UCUM", "micrometer"),
            ),
        ],
    )
    ann = hd.ann.MicroscopyBulkSimpleAnnotations(
        source_images=[source],
        annotation_coordinate_type="2D",
        annotation_groups=[group],
        series_instance_uid=generate_uid(),
        series_number=2,
        sop_instance_uid=generate_uid(),
        instance_number=1,
        manufacturer="bench",
        manufacturer_model_name="bench",
        software_versions="1",
        device_serial_number="1",
    )
    ann.save_as(path)


def _checksum(annotation: Callable[[int], np.ndarray], n: int, values: np.ndarray) -> float:
    """The bit patterns of the first, middle and last annotation's coordinates and of every
    measurement value, summed as integers: exact and independent of summation order and memory
    layout, so both tools give the same number exactly when they read the same content."""

    def bits(array: np.ndarray) -> int:
        flat = np.ascontiguousarray(array, dtype=np.float32).reshape(-1)
        return int(flat.view(np.uint32).sum(dtype=np.uint64))

    return float(sum(bits(annotation(i)) for i in (0, n // 2, n - 1)) + bits(values))


def read_all_iodkit(path: Path, _: Any) -> np.ndarray:
    from iodkit.ann import read_annotations

    with read_annotations(path) as ann:
        group = ann.groups[0]
        points, offsets = group.coordinates, group.offsets
        _, values, _ = group.get_measurements()
    n = len(offsets) - 1
    return np.array([n, _checksum(lambda i: points[offsets[i] : offsets[i + 1]], n, values)])


def read_all_highdicom(path: Path, _: Any) -> np.ndarray:
    import highdicom as hd

    group = hd.ann.annread(path).get_annotation_group(number=1)
    data = group.get_graphic_data("2D")
    _, values, _ = group.get_measurements()
    return np.array([len(data), _checksum(data.__getitem__, len(data), values)])


def read_some_iodkit(path: Path, indices: np.ndarray) -> np.ndarray:
    from iodkit.ann import read_annotations

    total = 0.0
    with read_annotations(path) as ann:
        group = ann.groups[0]
        for i in indices:
            total += float(group.annotation(int(i)).sum())
    return np.array([len(indices), total])


def read_some_highdicom(path: Path, indices: np.ndarray) -> np.ndarray:
    import highdicom as hd

    group = hd.ann.annread(path).get_annotation_group(number=1)
    total = 0.0
    for i in indices:
        total += float(group.get_coordinates(int(i) + 1, "2D").sum())
    return np.array([len(indices), total])


# -- the harness's interface (bench.sidebyside) ----------------------------------------------


def count(quick: bool) -> int:
    return 100_000 if quick else 1_000_000


def prepare(case: str, folder: Path, quick: bool) -> dict[str, Any]:
    data = polygons(count(quick))
    data["slide"] = slide()
    if case != "write" and not (folder / "highdicom.ann.dcm").exists():
        write_highdicom(data, data["slide"], folder / "highdicom.ann.dcm")
    return data


def operation(
    case: str, tool: str, folder: Path, data: dict[str, Any], scratch: bool = False
) -> Any:
    if case == "write":
        target = folder / f"{tool}{'-scratch' if scratch else ''}.ann.dcm"
        write = write_highdicom if tool == "highdicom" else write_iodkit
        return lambda: write(data, data["slide"], target)
    reads: dict[tuple[str, str], Callable[[Path, Any], np.ndarray]] = {
        ("read all", "highdicom"): read_all_highdicom,
        ("read all", "iodkit"): read_all_iodkit,
        ("read 1000", "highdicom"): read_some_highdicom,
        ("read 1000", "iodkit"): read_some_iodkit,
    }
    read = reads[case, tool]
    return lambda: read(folder / "highdicom.ann.dcm", data["indices"])


def warm_up(tool: str, folder: Path) -> None:
    """A tiny write and both reads, so lazy imports and caches are not counted as memory."""
    scratch = folder / f"warm-{tool}"
    scratch.mkdir(exist_ok=True)
    data = polygons(100)
    data["slide"] = slide()
    write_highdicom(data, data["slide"], scratch / "highdicom.ann.dcm")
    for case in CASES:
        operation(case, tool, scratch, data, scratch=True)()


def split_time(quick: bool) -> float:
    """Seconds np.split takes to make highdicom's one-array-per-annotation input."""
    data = polygons(count(quick))
    started = time.perf_counter()
    np.split(data["points"], data["offsets"][1:-1])
    return time.perf_counter() - started


def main(argv: list[str]) -> None:
    from bench.sidebyside import run

    n = count("--quick" in argv)
    run("bench_ann", argv, f"{n:,} POLYGONs of {VERTICES} vertices, 2 measurements each")
    seconds = split_time("--quick" in argv)
    print(f"  (highdicom's write includes np.split into {n:,} arrays: {seconds:.2f} s)")


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])

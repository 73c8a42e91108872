"""Parametric Maps, iodkit vs highdicom 0.28, side by side in one run on the same data.

The issue's workload: a float32 map of 200 × 512 × 512 over a CT series of 200 single-frame
512×512 images (metadata only), a smooth field with a linear Real World Value Mapping.
*write* = construct + save to a file; *read* = open the file highdicom wrote and get the whole
volume in memory (``get_volume()``: real-world values, float64, both tools' default).
highdicom's ``pmread`` decodes Float Pixel Data only with ``lazy_frame_retrieval=True`` (0.28:
eagerly it fails on an unset ``input_dtype``), so it reads so. See :mod:`bench.sidebyside`
for how runs are timed and memory measured; ``--quick``: 40 × 256 × 256.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

CASES = {"pm-float32 write": 5.0, "pm-float32 read": 3.0}


def shape(quick: bool) -> tuple[int, int, int]:
    return (40, 256, 256) if quick else (200, 512, 512)


def field(shape: tuple[int, int, int]) -> np.ndarray:
    """A smooth float32 map (a blurred blob, values 0…1), built slice by slice."""
    slices, rows, columns = shape
    y = (np.arange(rows, dtype=np.float32)[:, None] / rows - 0.5) ** 2
    x = (np.arange(columns, dtype=np.float32)[None, :] / columns - 0.4) ** 2
    out = np.empty(shape, dtype=np.float32)
    for k in range(slices):
        z = np.float32((k / slices - 0.5) ** 2)
        out[k] = np.exp(-(x + y + z) * 8)
    return out


def prepare(case: str, folder: Path, quick: bool) -> dict[str, Any]:
    from iodkit.seg import synthetic

    dims = shape(quick)
    sources = synthetic.ct_series(*dims, with_pixels=False)
    data = {"sources": sources, "values": field(dims)}
    if case.endswith("read") and not (folder / "pm-highdicom.dcm").exists():
        write_highdicom(data, folder / "pm-highdicom.dcm")
    return data


def write_iodkit(data: dict[str, Any], path: Path) -> None:
    from iodkit.codes import Code, cid7203
    from iodkit.pm import ParametricMap, RealWorldValueMapping

    mapping = RealWorldValueMapping(
        "p",
        "probability",
        Code("1", "UCUM", "no units"),
        slope=1.0,
        intercept=0.0,
        first_value_mapped=0.0,
        last_value_mapped=1.0,
    )
    ParametricMap(
        data["values"],
        data["sources"],
        mapping,
        window=(0.5, 1.0),
        derivation=cid7203.SEGMENTATION,
    ).save(path)


def write_highdicom(data: dict[str, Any], path: Path) -> None:
    import highdicom as hd
    from highdicom.pm.sop import ParametricMap

    mapping = hd.pm.RealWorldValueMapping(
        lut_label="p",
        lut_explanation="probability",
        unit=hd.sr.CodedConcept("1", "UCUM", "no units"),
        value_range=(0.0, 1.0),
        slope=1.0,
        intercept=0.0,
    )
    ParametricMap(
        source_images=data["sources"],
        pixel_array=data["values"],
        series_instance_uid=hd.UID(),
        series_number=7,
        sop_instance_uid=hd.UID(),
        instance_number=1,
        manufacturer="bench",
        manufacturer_model_name="bench",
        software_versions="1",
        device_serial_number="1",
        contains_recognizable_visual_features=False,
        real_world_value_mappings=[mapping],
        voi_lut_transformations=[hd.VOILUTTransformation(window_center=0.5, window_width=1.0)],
    ).save_as(path)


def read_iodkit(path: Path) -> np.ndarray:
    from iodkit.pm import read_parametric_map

    with read_parametric_map(path) as pm:
        return pm.get_volume().array


def read_highdicom(path: Path) -> np.ndarray:
    from highdicom.pm.sop import pmread

    return pmread(path, lazy_frame_retrieval=True).get_volume().array


def operation(
    case: str, tool: str, folder: Path, data: dict[str, Any], scratch: bool = False
) -> Any:
    if case.endswith("write"):
        target = folder / f"pm-{tool}{'-scratch' if scratch else ''}.dcm"
        write = write_iodkit if tool == "iodkit" else write_highdicom
        return lambda: write(data, target)
    read = read_iodkit if tool == "iodkit" else read_highdicom
    return lambda: read(folder / "pm-highdicom.dcm")


def floor(case: str, folder: Path, data: dict[str, Any]) -> Any:
    """The least any writer or reader of this map must do, timed beside the two tools.

    *write*: put the map's bytes into a file (replacing the previous one, as both tools do) —
    200 MB through the kernel, whatever the DICOM around it. *read*: the whole volume in memory
    as float64 (both tools' default) from the file's pixel bytes — a fresh 400 MB array filled
    from 200 MB read in 1 MiB pieces. No metadata either way, so no tool can get under it; it
    says how far above it each tool is and the best speed-up over highdicom possible."""
    values = data["values"]
    if case.endswith("write"):
        target = folder / "pm-floor.bin"

        def write() -> None:
            with open(target, "wb") as fp:
                fp.write(values.data)

        return write
    path = folder / "pm-highdicom.dcm"
    start = path.stat().st_size - values.nbytes  # Float Pixel Data is the file's last element
    with open(path, "rb") as fp:
        fp.seek(start - 12)
        assert fp.read(6) == b"\xe0\x7f\x08\x00OF", "Float Pixel Data is not last"

    def read() -> np.ndarray:
        out = np.empty(values.shape, dtype=np.float64)
        flat = out.reshape(-1)
        piece = np.empty(1 << 18, dtype=np.float32)
        with open(path, "rb", buffering=0) as fp:
            fp.seek(start)
            at = 0
            while at < flat.size:
                n = (fp.readinto(piece[: flat.size - at].data) or 0) // 4
                if n == 0:
                    raise EOFError(f"{path} ends inside its pixel data")
                np.copyto(flat[at : at + n], piece[:n])
                at += n
        return out

    return read


def warm_up(tool: str, folder: Path) -> None:
    """A tiny write and read, so lazy imports and caches are not counted as memory."""
    from iodkit.seg import synthetic

    data = {"sources": synthetic.ct_series(2, 8, 8, with_pixels=False), "values": field((2, 8, 8))}
    tiny = folder / f"warm-{tool}.dcm"
    (write_iodkit if tool == "iodkit" else write_highdicom)(data, tiny)
    (read_iodkit if tool == "iodkit" else read_highdicom)(tiny)


def main(argv: list[str]) -> None:
    from bench.sidebyside import run

    dims = shape("--quick" in argv)
    run("bench_pm", argv, f"Parametric Map {dims[0]}×{dims[1]}×{dims[2]} float32 from a CT series")


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])

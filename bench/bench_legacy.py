"""Legacy Converted Enhanced CT, iodkit vs highdicom 0.28, side by side in one run.

The issue's workload: a classic CT series of 300 single-frame 512×512 images (the synthetic
phantom, pixel data included, read from files as a converter would), converted into one
Legacy Converted Enhanced CT image: *convert* = construct + save. See
:mod:`bench.sidebyside` for how runs are timed and memory measured; ``--quick``: 40 × 128².
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

CASES = {"legacy-ct convert": 3.0}


def shape(quick: bool) -> tuple[int, int, int]:
    return (40, 128, 128) if quick else (300, 512, 512)


def prepare(case: str, folder: Path, quick: bool) -> dict[str, Any]:
    import pydicom
    from iodkit.seg import synthetic

    classic = folder / f"classic-{'quick' if quick else 'full'}"
    if not classic.exists():
        classic.mkdir()
        for k, ds in enumerate(synthetic.ct_series(*shape(quick))):
            ds.SliceLocation = float(ds.ImagePositionPatient[2])
            ds.WindowCenter, ds.WindowWidth = 40, 400  # a scanner's soft-tissue window
            pydicom.dcmwrite(classic / f"{k:04d}.dcm", ds, enforce_file_format=True)
    images = [pydicom.dcmread(p) for p in sorted(classic.glob("*.dcm"))]
    return {"images": images}


def convert_iodkit(data: dict[str, Any], path: Path) -> None:
    from iodkit.legacy import LegacyConvertedEnhancedImage

    LegacyConvertedEnhancedImage(data["images"]).save(path)


def convert_highdicom(data: dict[str, Any], path: Path) -> None:
    import highdicom as hd

    hd.legacy.LegacyConvertedEnhancedCTImage(
        data["images"],
        series_instance_uid=hd.UID(),
        series_number=9,
        sop_instance_uid=hd.UID(),
        instance_number=1,
    ).save_as(path)


def operation(
    case: str, tool: str, folder: Path, data: dict[str, Any], scratch: bool = False
) -> Any:
    target = folder / f"lce-{tool}{'-scratch' if scratch else ''}.dcm"
    convert = convert_iodkit if tool == "iodkit" else convert_highdicom
    return lambda: convert(data, target)


def floor(case: str, folder: Path, data: dict[str, Any]) -> Any:
    """The least any converter must do, timed beside the two tools: every classic image's pixel
    bytes into one file (replacing the previous one, as both tools do) — 150 MB for 300 slices
    of 512², whatever the DICOM around them."""
    target = folder / "lce-floor.bin"
    images = data["images"]

    def write() -> None:
        with open(target, "wb") as fp:
            for ds in images:
                fp.write(ds.PixelData)

    return write


def warm_up(tool: str, folder: Path) -> None:
    from iodkit.seg import synthetic

    data = {"images": synthetic.ct_series(3, 8, 8)}
    (convert_iodkit if tool == "iodkit" else convert_highdicom)(data, folder / f"warm-{tool}.dcm")


def main(argv: list[str]) -> None:
    from bench.sidebyside import run

    dims = shape("--quick" in argv)
    run("bench_legacy", argv, f"Legacy Converted Enhanced CT from {dims[0]} slices of {dims[1]}²")


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])

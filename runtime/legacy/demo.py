"""The demo's Legacy Converted Enhanced CT step (``make demo``, :mod:`iodkit.demo`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from iodkit.demo import DemoRun


def legacy_converted_ct(run: DemoRun) -> None:
    """Legacy Converted Enhanced CT: the classic series as one multi-frame image."""
    from iodkit.derived import Identification
    from iodkit.legacy import LegacyConvertedEnhancedImage, read_legacy_converted

    assert run.volume is not None, "the CT step runs first"
    path = run.path("phantom-ct.legacy-converted.dcm")
    image = LegacyConvertedEnhancedImage(
        run.series,
        identification=Identification.of(series_number=500, series_description="LCE demo"),
    )
    image.save(path)
    run.wrote(path, f"{image.number_of_frames} frames from {len(run.series)} classic images")
    run.check(path)
    uids = [ds.SOPInstanceUID for ds in run.series]
    with read_legacy_converted(path) as read:
        frames = read.get_pixels_by_source_instance(uids)
        positions = dict(zip(read.source_instance_uids, read.positions.tolist(), strict=True))
    same = bool(np.array_equal(frames, run.volume))
    placed = all(
        positions[ds.SOPInstanceUID] == [float(v) for v in ds.ImagePositionPatient]
        for ds in run.series
    )
    run.say(f"frames identical to the classic pixels: {same}; positions kept: {placed}")
    if not (same and placed):
        run.fail(f"{path} does not give the classic series back")

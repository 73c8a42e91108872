"""The demo's Parametric Map step (``make demo``, :mod:`iodkit.demo`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from iodkit.demo import DemoRun


def parametric_map(run: DemoRun) -> None:
    """Parametric Map: the model's per-voxel probability of liver, with its real-world mapping."""
    from iodkit.codes import Code, cid7180, cid7203
    from iodkit.derived import Identification
    from iodkit.pm import ParametricMap, RealWorldValueMapping, read_parametric_map

    assert run.volume is not None and run.labels is not None, "the CT and model steps run first"
    # the "model": how close each voxel's HU is to liver's 60 HU, as a probability
    probability = np.exp(-(((run.volume.astype(np.float32) - 60.0) / 8.0) ** 2))
    mapping = RealWorldValueMapping(
        "p_liver",
        "probability of liver",
        Code("1", "UCUM", "no units"),
        slope=1.0,
        intercept=0.0,
        quantity=cid7180.FRACTIONAL_PROBABILISTIC_SEGMENTATION,
    )
    path = run.path("phantom-liver-probability.pm.dcm")
    pm = ParametricMap(
        probability,
        run.series,
        mapping,
        content_label="LIVER_P",
        derivation=cid7203.SEGMENTATION,
        identification=Identification.of(series_number=400, series_description="PM demo"),
    )
    pm.save(path)
    run.wrote(path, f"{pm.number_of_frames} float32 frames, real world value mapping p_liver")
    run.check(path)
    with read_parametric_map(path) as read:
        volume = read.get_volume()
        uids = [ds.SOPInstanceUID for ds in run.series]
        back = read.get_pixels_by_source_instance(uids)
    same = bool(np.array_equal(back, probability.astype(np.float64)))
    liver = run.labels == 2
    run.say(
        f"read back {volume.array.shape} with its affine; identical to the input: {same}; "
        f"mean probability in the liver label {back[liver].mean():.2f}, elsewhere "
        f"{back[~liver].mean():.3f}"
    )
    if not same:
        run.fail(f"the map read back from {path} differs")

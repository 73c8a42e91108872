"""The demo's picture step (see :mod:`iodkit.demo`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from iodkit.demo import DemoRun


def segmentation_pictures(run: DemoRun) -> None:
    """Pictures of the BINARY Segmentation over its CT: the fullest slice, and every slice."""
    from iodkit.render import render

    seg = run.files["seg-binary"]
    one = run.path("phantom-binary.seg.png")
    render(seg, run.series).save(one)
    run.wrote(one, "segments over the slice with the most segmented pixels")
    every = run.path("phantom-binary.seg-mosaic.png")
    render(seg, run.series, mosaic=True).save(every)
    run.wrote(every, "a mosaic of the slices holding a segment")

"""The demo's presentation state step (see :mod:`iodkit.demo`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from iodkit.demo import DemoRun


def presentation_state(run: DemoRun) -> None:
    """A Grayscale Softcopy Presentation State marking the liver, with an abdomen window."""
    from iodkit.pr import (
        GraphicAnnotation,
        GraphicLayer,
        GraphicObject,
        GrayscaleSoftcopyPresentationState,
        TextObject,
        Window,
        read_presentation_state,
    )
    from iodkit.render import render

    assert run.labels is not None, "the model step runs first"
    liver = run.labels == 2
    k = int(np.argmax(liver.reshape(len(liver), -1).sum(axis=1)))  # the slice with most liver
    rows, columns = np.nonzero(liver[k])
    cx, cy = float(columns.mean()) + 0.5, float(rows.mean()) + 0.5  # pixel centres
    half_x, half_y = (columns.max() - columns.min() + 1) / 2, (rows.max() - rows.min() + 1) / 2
    area = float(liver[k].sum()) * 1.5 * 1.5 / 100.0  # cm2 (1.5 mm pixels)
    finding = GraphicAnnotation(
        "FINDINGS",
        graphic_objects=[
            GraphicObject(
                "ELLIPSE",
                [(cx - half_x, cy), (cx + half_x, cy), (cx, cy - half_y), (cx, cy + half_y)],
            )
        ],
        text_objects=[TextObject(f"liver {area:.1f} cm2", anchor=(cx, max(1.0, cy - half_y - 4)))],
        images=[run.series[k]],
    )
    state = GrayscaleSoftcopyPresentationState(
        run.series,
        annotations=[finding],
        layers=[GraphicLayer("FINDINGS", cielab=(34000, 53000, 42000), description="model")],
        voi=Window(60, 400, explanation="ABDOMEN"),
        content_label="LIVER",
        content_description="threshold model: liver",
    )
    path = run.path("phantom.gsps.dcm")
    state.save(path)
    run.wrote(path, f"liver marked on slice {k + 1} of {len(run.series)}, window 60/400")
    run.check(path)
    read = read_presentation_state(path)
    same = read.annotations_for(str(run.series[k].SOPInstanceUID)) == [finding]
    run.say(f"read back: {len(read.annotations)} annotation, the same as written: {same}")
    if not same:
        run.fail(f"the annotation read back from {path} differs")
    picture = run.path("phantom.gsps.png")
    render(path, run.series).save(picture)
    run.wrote(picture, "the presentation state applied to its slice")

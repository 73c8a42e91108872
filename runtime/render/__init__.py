"""Pictures of DICOM objects — iodkit's or anyone's — as PNG a person can look at.

:func:`render` looks at what it is given and draws it:

* a Segmentation: its segments over the source images (one plane, or a mosaic of planes);
* Microscopy Bulk Simple Annotations: a group's shapes over a region of the slide;
* a Grayscale, Color or Pseudo-Color Softcopy Presentation State: applied to its image
  (modality and VOI steps, presentation LUT, displayed area, rotation and flips, graphic
  annotations on their layers in the layers' colours);
* any other image: shown through its own window (or its values' range).

::

    from iodkit.render import render
    render("liver.seg.dcm", images=["ct/"]).save("liver.png")

The same from the shell: ``iodkit render liver.seg.dcm ct/ -o liver.png``. Drawing is
Pillow's (``pip install 'iodkit[render]'``); the grey pipeline's steps are pydicom's.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from iodkit.render.images import RenderError, as_datasets, load

__all__ = ["DRAWN", "RenderError", "drawn_kind", "kind_of", "render"]

SEGMENTATION = ("1.2.840.10008.5.1.4.1.1.66.4", "1.2.840.10008.5.1.4.1.1.66.7")
BULK_ANNOTATIONS = ("1.2.840.10008.5.1.4.1.1.91.1",)
PRESENTATION_STATES = (
    "1.2.840.10008.5.1.4.1.1.11.1",  # Grayscale Softcopy Presentation State
    "1.2.840.10008.5.1.4.1.1.11.2",  # Color Softcopy Presentation State
    "1.2.840.10008.5.1.4.1.1.11.3",  # Pseudo-Color Softcopy Presentation State
)


def kind_of(sop_class_uid: str) -> str:
    """ "segmentation", "annotations", "presentation-state" or "image" (anything else)."""
    uid = str(sop_class_uid)
    if uid in SEGMENTATION:
        return "segmentation"
    if uid in BULK_ANNOTATIONS:
        return "annotations"
    if uid in PRESENTATION_STATES:
        return "presentation-state"
    return "image"


#: what :func:`render` draws, in words for messages and help
DRAWN = (
    "Segmentations, Microscopy Bulk Simple Annotations, Grayscale/Color/Pseudo-Color Softcopy "
    "Presentation States and images"
)


def drawn_kind(header: Any, name: Any = None) -> str:
    """The :func:`kind_of` ``header`` (a Dataset, pixel data not needed), or a RenderError
    saying what render draws when it is none of those: an object without an image (an SR, a
    Key Object Selection, a PDF …; no Rows (0028,0010), Type 1 in the Image Pixel Module)."""
    uid = str(header.get("SOPClassUID", ""))
    kind = kind_of(uid)
    if kind == "image" and "Rows" not in header:
        from pydicom.uid import UID

        known = UID(uid).name.removesuffix(" Storage") if uid else ""
        what = f"a {known} ({uid})" if known and known != uid else f"SOP Class {uid or '(none)'}"
        raise RenderError(
            f"{name or 'the object'} is {what}, which holds no image: iodkit render draws "
            f"{DRAWN}; pass one of those (to see where an SR's regions lie, render the images "
            "or the Segmentation it references)"
        )
    return kind


def render(obj: str | os.PathLike[str] | Any, images: Iterable[Any] = (), **options: Any) -> Any:
    """A Pillow image of ``obj`` (a path or Dataset) drawn over ``images`` (Datasets, files or
    folders; the images the object refers to are picked from them).

    Options go to the renderer of the object's kind:
    :func:`iodkit.render.seg.render_segmentation` (``plane``, ``mosaic``, ``segment_numbers``,
    ``alpha``, ``scale``), :func:`iodkit.render.ann.render_annotations` (``region``,
    ``groups``, ``scale``) and :func:`iodkit.render.pr.render_presentation_state`
    (``frame``, ``scale``). An image alone is shown through its own window (``frame``).
    """
    from pydicom.dataset import Dataset

    header = obj if isinstance(obj, Dataset) else _header(obj)
    kind = drawn_kind(header, None if isinstance(obj, Dataset) else obj)
    if kind == "segmentation":
        from iodkit.render.seg import render_segmentation

        return render_segmentation(obj, images, **options)
    if kind == "annotations":
        from iodkit.render.ann import render_annotations

        return render_annotations(obj, as_datasets(images), **options)
    if kind == "presentation-state":
        from iodkit.render.pr import render_presentation_state

        return render_presentation_state(load(obj), as_datasets(images), **options)
    from iodkit.render import canvas
    from iodkit.render.images import display_rgb

    unknown = set(options) - {"frame", "scale"}
    if unknown:
        raise RenderError(f"options {sorted(unknown)} do not apply to an image")
    image = load(obj)
    picture = canvas.picture(display_rgb(image, int(options.get("frame", 0))))
    factor = options.get("scale") or canvas.auto_scale(picture.height, picture.width)
    return canvas.enlarge(picture, int(factor))


def _header(path: str | os.PathLike[str]) -> Any:
    from iodkit.render.images import read_file

    return read_file(path, stop_before_pixels=True, specific_tags=["SOPClassUID", "Rows"])

"""Softcopy presentation states: how to show images, with text and graphics (PS3.3 A.33).

Writing::

    from iodkit.pr import (GraphicAnnotation, GraphicObject, GrayscaleSoftcopyPresentationState,
                           TextObject, Window)

    finding = GraphicAnnotation("FINDINGS", images=[ct[12]],
        graphic_objects=[GraphicObject("CIRCLE", [(120, 140), (135, 140)])],
        text_objects=[TextObject("lesion 1", anchor=(120, 120))])
    state = GrayscaleSoftcopyPresentationState(ct, annotations=[finding], voi=Window(40, 400))
    state.save("gsps.dcm")

Reading (any Grayscale, Color or Pseudo-Color Softcopy Presentation State)::

    from iodkit.pr import read_presentation_state
    state = read_presentation_state("gsps.dcm")
    state.annotations_for(ct[12].SOPInstanceUID), state.voi_for(ct[12].SOPInstanceUID)

Not written: shutters, overlays, masks (subtraction), graphic groups and compound graphics;
the reader ignores them too (PS3.3 C.7.6.11, C.9, C.11.13, C.10.5.1.3).
"""

from iodkit.pr.content import (
    DisplayedArea,
    GraphicAnnotation,
    GraphicLayer,
    GraphicObject,
    ImageReference,
    TextObject,
)
from iodkit.pr.errors import PresentationStateError, PresentationStateReadError
from iodkit.pr.luts import LUT, VOI, Rescale, Window
from iodkit.pr.reader import PresentationStateReader, read_presentation_state
from iodkit.pr.writer import (
    COLOR_SOFTCOPY_PRESENTATION_STATE,
    GRAYSCALE_SOFTCOPY_PRESENTATION_STATE,
    PSEUDO_COLOR_SOFTCOPY_PRESENTATION_STATE,
    ColorSoftcopyPresentationState,
    GrayscaleSoftcopyPresentationState,
    PresentationState,
    PseudoColorSoftcopyPresentationState,
)

__all__ = [
    "COLOR_SOFTCOPY_PRESENTATION_STATE",
    "GRAYSCALE_SOFTCOPY_PRESENTATION_STATE",
    "LUT",
    "PSEUDO_COLOR_SOFTCOPY_PRESENTATION_STATE",
    "VOI",
    "ColorSoftcopyPresentationState",
    "DisplayedArea",
    "GraphicAnnotation",
    "GraphicLayer",
    "GraphicObject",
    "GrayscaleSoftcopyPresentationState",
    "ImageReference",
    "PresentationState",
    "PresentationStateError",
    "PresentationStateReadError",
    "PresentationStateReader",
    "PseudoColorSoftcopyPresentationState",
    "Rescale",
    "TextObject",
    "Window",
    "read_presentation_state",
]

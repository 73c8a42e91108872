"""Whole slide images: one TILED_FULL level from an array, and regions read back from any slide.

Writing (VL Whole Slide Microscopy Image, PS3.3 A.32.8)::

    from iodkit.wsi import SlideImage
    SlideImage(rgb, pixel_spacing=(0.0005, 0.0005), tile_size=256).save("slide.dcm")

Reading a region of any tiled image (ours, highdicom's, a scanner's; TILED_FULL or
TILED_SPARSE), decoding only the tiles it touches::

    from iodkit.wsi import read_slide
    with read_slide("slide.dcm") as slide:
        region = slide.get_region(row_start=1, row_end=513, column_start=1, column_end=513)

Segmentations, Parametric Maps and bulk annotations are drawn over such slides; this package
gives them a slide to refer to and pixels to draw on. The rest is :mod:`iodkit.derived`.
"""

from iodkit.wsi.reader import SlideReader, read_slide
from iodkit.wsi.writer import VL_WHOLE_SLIDE_MICROSCOPY_IMAGE_STORAGE, SlideImage, SlideImageError

__all__ = [
    "VL_WHOLE_SLIDE_MICROSCOPY_IMAGE_STORAGE",
    "SlideImage",
    "SlideImageError",
    "SlideReader",
    "read_slide",
]

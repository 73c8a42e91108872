"""Segmentations: NumPy masks in, DICOM Segmentation instances out, and back (PS3.3 A.51, C.8.20).

Writing::

    from iodkit.codes import cid7150, cid7154
    from iodkit.seg import AlgorithmIdentification, Segmentation, SegmentDescription

    liver = SegmentDescription(1, "liver", cid7150.TISSUE, cid7154.LIVER,
                               algorithm=AlgorithmIdentification("threshold", "1.0"))
    Segmentation(mask, ct_datasets, [liver]).save("liver.seg.dcm")

Reading (any Segmentation: ours, highdicom's, dcmqi's)::

    from iodkit.seg import read_segmentation
    with read_segmentation("liver.seg.dcm") as seg:
        masks = seg.get_pixels_by_source_instance([ds.SOPInstanceUID for ds in ct_datasets])

Modules: :mod:`~iodkit.seg.writer` (:class:`Segmentation`), :mod:`~iodkit.seg.reader`
(:class:`SegmentationReader`), :mod:`~iodkit.seg.description` (segment descriptions),
:mod:`~iodkit.seg.masks` (mask checks and frames), :mod:`~iodkit.seg.assembly` (frames placed
into the reader's arrays), :mod:`~iodkit.seg.synthetic` (source images for demos and
benchmarks). Everything a
Segmentation shares with other derived objects — source images, common modules, the frame
plan, per-frame functional groups, encoding, the frame index of the reader — is
:mod:`iodkit.derived`.
"""

from iodkit.seg.description import AlgorithmIdentification, SegmentDescription
from iodkit.seg.errors import SegmentationError, SegmentationReadError
from iodkit.seg.reader import SegmentationReader, SegmentationVolume, read_segmentation
from iodkit.seg.writer import (
    LABEL_MAP_SEGMENTATION_STORAGE,
    SEGMENTATION_STORAGE,
    Segmentation,
)

__all__ = [
    "LABEL_MAP_SEGMENTATION_STORAGE",
    "SEGMENTATION_STORAGE",
    "AlgorithmIdentification",
    "SegmentDescription",
    "Segmentation",
    "SegmentationError",
    "SegmentationReadError",
    "SegmentationReader",
    "SegmentationVolume",
    "read_segmentation",
]

"""Microscopy Bulk Simple Annotations: NumPy points in, DICOM out, and back (PS3.3 A.87, C.37).

Writing — one array of points and one of offsets per group, as segmentation-to-polygon code
produces them::

    from iodkit.ann import AnnotationGroup, Measurement, MicroscopyBulkSimpleAnnotations
    from iodkit.codes import Code, cid7150, cid8135, cid8136
    from iodkit.seg import AlgorithmIdentification

    nuclei = AnnotationGroup(
        "nuclei", cid7150.TISSUE, cid8135.NUCLEUS, "POLYGON", points, offsets,
        measurements=[Measurement(cid8136.AREA, Code("um2", "UCUM", "square micrometer"), areas)],
        algorithm=AlgorithmIdentification("stardist", "0.9"),
    )
    MicroscopyBulkSimpleAnnotations(slide_level, [nuclei]).save("nuclei.ann.dcm")

Reading (ours, highdicom's, anyone's; lazy on files)::

    from iodkit.ann import read_annotations
    with read_annotations("nuclei.ann.dcm") as ann:
        group = ann.get_groups(label="nuclei")[0]
        points, offsets = group.coordinates, group.offsets
        one = group.annotation(17)
"""

from iodkit.ann.errors import AnnotationError, AnnotationReadError
from iodkit.ann.groups import AnnotationGroup, Measurement
from iodkit.ann.reader import (
    AnnotationGroupReader,
    BulkAnnotationsReader,
    ReferencedImage,
    read_annotations,
)
from iodkit.ann.writer import (
    MICROSCOPY_BULK_SIMPLE_ANNOTATIONS_STORAGE,
    MicroscopyBulkSimpleAnnotations,
)

__all__ = [
    "MICROSCOPY_BULK_SIMPLE_ANNOTATIONS_STORAGE",
    "AnnotationError",
    "AnnotationGroup",
    "AnnotationGroupReader",
    "AnnotationReadError",
    "BulkAnnotationsReader",
    "Measurement",
    "MicroscopyBulkSimpleAnnotations",
    "ReferencedImage",
    "read_annotations",
]

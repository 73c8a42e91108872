"""The derived-object core: what every object made from other instances shares.

A Segmentation, a Parametric Map, a Legacy Converted Enhanced image, an SR document, bulk
annotations and a presentation state are all *derived*: made from source instances whose
patient and study they join, in a new series, by some equipment, referring back to what they
came from. Those pieces are built here once and composed by each object (functions and small
classes, not a base class to inherit from):

* :mod:`~iodkit.derived.references` — :class:`SourceInstances` (checked sources: UIDs, one
  patient, one study) and the reference items of the standard's study → series → instance
  hierarchy (Common Instance Reference C.12.2, Hierarchical SOP Instance Reference Table 10-4);
* :mod:`~iodkit.derived.modules` — :func:`common_modules` (Patient, General Study, clinical
  trial, Patient Study, equipment, SOP Common, Frame of Reference, for any generated IOD class),
  :class:`Identification` (series/instance UIDs and numbers, creation time),
  :class:`Equipment`, :func:`general_series`;
* :mod:`~iodkit.derived.errors` — :class:`DerivedObjectError` and :func:`errors_as`;
* writing: :func:`write_dataset` (atomic: a temporary file renamed into place, with the
  permissions ``open()`` gives).

Derived *images* (Segmentation, Parametric Map, Legacy Converted Enhanced, slides) add:

* :mod:`~iodkit.derived.images` — :func:`describe_sources`: a single-frame series, an
  enhanced multi-frame image, a tiled slide level or an image without frame of reference,
  with the geometry the derived image inherits; :mod:`~iodkit.derived.geometry`;
* :mod:`~iodkit.derived.frames` — cells, the frame plan (channels per cell, storage order),
  dimensions and the Multi-frame Dimension module, shared Pixel Measures / Plane Orientation,
  source frame references, tiling options;
* :mod:`~iodkit.derived.groups` — :class:`PerFrameItems`: Frame Content, Plane Position,
  Derivation Image (and the object's own) built once, stamped per frame
  (:mod:`~iodkit.derived.itemcodec`);
* :mod:`~iodkit.derived.imagemodules` — General Reference / Common Instance Reference with
  every source, slide tile organization and specimen, Patient Orientation, lossy flag;
* :mod:`~iodkit.derived.encoding` — native buffers and 1-bit packing, :class:`Pixels` (the
  native value written as the file's last element, never copied into the Dataset);
* reading: :mod:`~iodkit.derived.framesource` (:class:`FrameSource`: a file read lazily
  today, a server's frames tomorrow), :mod:`~iodkit.derived.frametable` and
  :mod:`~iodkit.derived.reader` (:class:`FrameIndex`: frames by source instance, source frame,
  dimension index values, as a volume with affine, or tiles of a region).

Typical use by an object (an SR document here)::

    from iodkit.derived import Equipment, Identification, SourceInstances, common_modules
    from iodkit.generated.iods import Comprehensive3DSRIOD

    sources = SourceInstances(ct_datasets, what="evidence")
    ident = Identification.of(series_number=500)
    modules = common_modules(Comprehensive3DSRIOD, sources.first,
                             identification=ident, equipment=Equipment.of())
    iod = Comprehensive3DSRIOD(**modules, sr_document_series=…, sr_document_general=…, …)
    write_dataset(iod.to_dataset(file_meta=True), "report.dcm")
"""

from iodkit.derived.errors import DerivedObjectError, errors_as
from iodkit.derived.framesource import FrameSource, open_frame_source
from iodkit.derived.modules import (
    ContentIdentification,
    Equipment,
    Identification,
    character_set,
    common_modules,
    general_series,
    series_body_part,
)
from iodkit.derived.references import (
    InstanceReference,
    SourceInstances,
    by_series,
    by_study,
    hierarchical_items,
    series_items,
)
from iodkit.pixels.files import write_atomically, write_dataset

__all__ = [
    "ContentIdentification",
    "DerivedObjectError",
    "FrameSource",
    "Equipment",
    "Identification",
    "InstanceReference",
    "SourceInstances",
    "by_series",
    "by_study",
    "character_set",
    "common_modules",
    "errors_as",
    "general_series",
    "hierarchical_items",
    "open_frame_source",
    "series_body_part",
    "series_items",
    "write_atomically",
    "write_dataset",
]

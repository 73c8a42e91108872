"""Dataset in and out around the builders' attributes: what no module models, kept and written
back; ambiguous VRs resolved; what converts to a sequence item; the File Meta Information group.

An IOD read from a file (:meth:`iodkit.builders.IODBuilder.from_dataset`) keeps every element
its modules do not model — private elements, retired attributes, the Type 3 attributes a
Standard Extended SOP Class adds (PS3.4 B.1.2) — undecoded, as pydicom read them, and
``to_dataset()`` writes them back: a builder never drops what it did not understand.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from pydicom.dataset import Dataset

if TYPE_CHECKING:
    from iodkit.builders import Builder

#: set while an IODBuilder reads a whole instance: its items keep what they do not model
KEEP_UNMODELED: ContextVar[bool] = ContextVar("iodkit_keep_unmodeled", default=False)


def unmodeled_elements(ds: Dataset, modeled: Iterable[int]) -> list[Any]:
    """The elements of ``ds`` whose tags are not in ``modeled``, undecoded (pydicom's raw
    elements where it has not decoded them: a value it could not decode is still kept). Left
    out: group lengths (gggg,0000), which would be stale once anything changes, and item or
    delimiter tags (FFFE,xxxx) a damaged file leaves among its elements."""
    known = set(modeled)
    out = []
    for tag in sorted(ds.keys()):
        if tag in known or tag & 0xFFFF == 0 or tag >> 16 == 0xFFFE:
            continue
        try:
            out.append(ds.get_item(tag))  # a deferred value is read here
        except Exception:  # pydicom cannot convert it: kept as read, for the writer to judge
            out.append(ds.get_item(tag, keep_deferred=True))
    return out


def write_back(ds: Dataset, unmodeled: Iterable[Any], *, resolve_vr: bool = False) -> None:
    """Add the kept elements ``unmodeled`` to ``ds`` where the builder wrote no element of
    that tag; with ``resolve_vr`` (a whole instance, after :func:`correct_ambiguous`) an
    ambiguous VR read from an implicit VR file is resolved from the dataset around it."""
    for raw in unmodeled:
        if raw.tag not in ds:
            ds[raw.tag] = raw
            if resolve_vr:
                _correct_ambiguous_element(ds, raw)


def _correct_ambiguous_element(ds: Dataset, raw: Any) -> None:
    """Resolve the VR of an element kept as read from an implicit VR file whose dictionary VR
    is ambiguous ("OB or OW", "US or SS" …), from the dataset around it (PS3.5 Annex A.1), as
    the writer needs; an element that cannot be decoded stays as read."""
    from pydicom.datadict import dictionary_VR
    from pydicom.filewriter import correct_ambiguous_vr_element

    try:
        vr = raw.VR or dictionary_VR(raw.tag)
    except KeyError:  # private or unknown: written as UN
        return
    if " or " not in vr:
        return
    try:
        elem = ds[raw.tag]
        correct_ambiguous_vr_element(elem, ds, True)
    except Exception:
        return
    if " or " in elem.VR:  # one pydicom has no rule for (retired Curve Data, 50xx,3000):
        # its bytes are kept; OW is what an implicit VR file means by "OB or OW" (PS3.5 A.1)
        elem.VR = "OW" if "OW" in elem.VR.split(" or ") else "UN"


def correct_ambiguous(ds: Dataset) -> None:
    """Resolve the ambiguous VRs the builders wrote as PS3.6 has them ("US or SS" …)."""
    from pydicom.filewriter import correct_ambiguous_vr

    correct_ambiguous_vr(ds, True)


def convert_item(item: Any, cls: type[Builder]) -> Builder | None:
    """Accept for an item: a pydicom Dataset (highdicom's CodedConcept is one), a dict of
    attribute names to values, and a code (iodkit's ``Code`` or pydicom's) for items that hold
    the Code Sequence Macro. None: ``item`` is none of these."""
    if isinstance(item, Dataset):
        return cls.from_dataset(item)
    if isinstance(item, dict):
        return cls(**item)
    from iodkit.codes import as_code

    try:
        code = as_code(item)
    except TypeError:
        return None
    try:
        return code.to_item(cls)  # type: ignore[no-any-return]
    except TypeError:  # the item class has no Code Value &c.: not a code sequence
        return None


EXPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2.1"


def kept_transfer_syntax(ds: Dataset) -> str | None:
    """The transfer syntax of the file ``ds`` was read from, where the values read depend on
    it: an encapsulated one (PS3.5 A.4), whose Pixel Data stays in its fragments, or a big
    endian one, whose OB/OW bytes keep its byte order. None for the others: pydicom decoded
    every value, which Explicit VR Little Endian writes unchanged."""
    from pydicom.uid import UID

    meta = getattr(ds, "file_meta", None)
    uid = UID(str(meta.get("TransferSyntaxUID", "") if meta is not None else "").strip())
    if not uid:
        return None
    try:
        needed = uid.is_encapsulated or not uid.is_little_endian
    except ValueError:  # a transfer syntax pydicom does not know: kept while it has fragments
        needed = in_fragments(ds)
    return str(uid) if needed else None


def in_fragments(ds: Dataset) -> bool:
    """Pixel Data is encapsulated: its value starts with an Item tag (PS3.5 A.4)."""
    value = ds.get("PixelData")
    return isinstance(value, bytes) and value[:4] == b"\xfe\xff\x00\xe0"


def file_transfer_syntax(ds: Dataset, kept: str | None) -> str:
    """The transfer syntax to write ``ds`` with: ``kept`` (see :func:`kept_transfer_syntax`)
    while it still fits — an encapsulated one only while Pixel Data is still in fragments —
    else Explicit VR Little Endian."""
    if kept is None:
        return EXPLICIT_VR_LITTLE_ENDIAN
    from pydicom.uid import UID

    try:
        encapsulated = UID(kept).is_encapsulated
    except ValueError:
        encapsulated = True
    return kept if not encapsulated or in_fragments(ds) else EXPLICIT_VR_LITTLE_ENDIAN


def add_file_meta(ds: Dataset, transfer_syntax_uid: str = EXPLICIT_VR_LITTLE_ENDIAN) -> Dataset:
    """Add a PS3.10 File Meta Information group matching ``ds`` (Explicit VR Little Endian by
    default)."""
    from pydicom.dataset import FileMetaDataset
    from pydicom.uid import PYDICOM_IMPLEMENTATION_UID, UID

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = UID(ds.get("SOPInstanceUID", ""))
    meta.TransferSyntaxUID = UID(transfer_syntax_uid)
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    meta.ImplementationVersionName = "IODKIT_0_1"
    ds.file_meta = meta
    return ds

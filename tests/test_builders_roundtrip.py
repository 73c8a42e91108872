"""QA-27: an IOD builder read from a real file writes back every element it read — private
elements, retired attributes, Type 3 attributes of a Standard Extended SOP Class (PS3.4 B.1.2),
and the same inside sequence items — not only what its modules model. Group lengths
(gggg,0000) alone are left out (retired; stale once anything changes)."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import pydicom
import pytest
from iodkit.generated import iods


def _iod_classes() -> dict[str, type]:
    out: dict[str, type] = {}
    for name in dir(iods):
        cls = getattr(iods, name)
        for uid in getattr(cls, "sop_class_uids", ()) or ():
            out.setdefault(str(uid), cls)
        uid = getattr(cls, "sop_class_uid", "")
        if isinstance(uid, str) and uid:
            out.setdefault(uid, cls)
    return out


def _elements(ds: pydicom.Dataset, prefix: str = "") -> dict[str, object]:
    """Element path → value (sequences by their items' paths; Pixel Data too, as bytes). Left
    out, as the builders leave them out: group lengths, and item or delimiter tags (FFFE,xxxx)
    a damaged file has among its elements (fo-dicom's DIRW0007), no elements at all."""
    out: dict[str, object] = {}
    for tag in ds.keys():
        if tag.element == 0 or tag.group == 0xFFFE:
            continue
        elem = ds[tag]
        path = f"{prefix}{elem.tag}"
        if elem.VR == "SQ":
            out[path] = len(elem.value)
            for i, item in enumerate(elem.value):
                out.update(_elements(item, f"{path}[{i}]."))
        else:
            out[path] = elem.value
    return out


def _same(a: object, b: object) -> bool:
    """Equal values; an odd-length byte value comes back padded to even length (PS3.5 7.1.1)."""
    if isinstance(a, bytes) and isinstance(b, bytes):
        return a == b or (len(a) % 2 == 1 and b == a + b"\0")
    return str(a) == str(b)


def _written(iod: object) -> pydicom.Dataset:
    buffer = io.BytesIO()
    pydicom.dcmwrite(buffer, iod.to_dataset(file_meta=True), enforce_file_format=True)  # type: ignore[attr-defined]
    buffer.seek(0)
    return pydicom.dcmread(buffer)


def test_real_files_come_back_whole(testdata: Path) -> None:
    classes = _iod_classes()
    checked = 0
    names: list[str] = []
    for path in sorted(testdata.rglob("*.dcm")):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                ds = pydicom.dcmread(path)
                before = _elements(ds)
            except Exception:  # a file pydicom itself cannot walk is no case for this test
                continue
            cls = classes.get(str(ds.get("SOPClassUID", "")))
            if cls is None:
                continue
            back = _written(cls.from_dataset(ds))
            after = _elements(back)
        # Pixel Data in fragments keeps its transfer syntax, native values are written as
        # Explicit VR Little Endian
        source = pydicom.uid.UID(ds.file_meta.TransferSyntaxUID)
        expected = source if source.is_encapsulated else pydicom.uid.ExplicitVRLittleEndian
        assert back.file_meta.TransferSyntaxUID == expected, path.name
        lost = sorted(before.keys() - after.keys())
        assert lost == [], f"{path.name}: {len(lost)} elements lost, e.g. {lost[:5]}"
        changed = [k for k in before if not _same(before[k], after[k])]
        assert changed == [], f"{path.name}: changed {changed[:5]}"
        checked += 1
        names.append(path.name)
    assert checked >= 50 and "DIRW0007.dcm" in names


def test_what_no_module_models_is_shown_and_written(testdata: Path) -> None:
    ds = pydicom.dcmread(testdata / "fodicom" / "GH1146.dcm")
    iod = iods.MRImageIOD.from_dataset(ds)
    unmodeled = iod.unmodeled
    private = [e.tag for e in ds if e.tag.is_private and e.tag.element != 0]
    assert private and all(tag in unmodeled for tag in private)
    back = iod.to_dataset()
    assert back.RescaleSlope == ds.RescaleSlope and back.RescaleIntercept == ds.RescaleIntercept
    # a module read alone stays the module: nothing of the rest comes with it
    module = type(iod.general_series).from_dataset(ds).to_dataset()
    assert not any(e.tag.is_private for e in module)


@pytest.mark.parametrize("name", ["sm_image_grayscale.dcm"])
def test_items_keep_what_their_class_does_not_model(testdata: Path, name: str) -> None:
    ds = pydicom.dcmread(testdata / "highdicom" / name)
    cls = _iod_classes()[str(ds.SOPClassUID)]
    step = ds.SpecimenDescriptionSequence[0].SpecimenPreparationSequence[2]
    item = step.SpecimenPreparationStepContentItemSequence[4]
    back = cls.from_dataset(ds).to_dataset()
    again = back.SpecimenDescriptionSequence[0].SpecimenPreparationSequence[2]
    assert again.SpecimenPreparationStepContentItemSequence[4] == item


def test_compressed_pixels_decode_the_same_after_a_round_trip(testdata: Path) -> None:
    """An RLE file read and written again is still RLE, frames equal (pydicom decodes RLE)."""
    ds = pydicom.dcmread(testdata / "fodicom" / "D_CLUNIE_CT1_RLE_FRAGS.dcm")
    back = _written(iods.CTImageIOD.from_dataset(ds))
    assert back.file_meta.TransferSyntaxUID == pydicom.uid.RLELossless
    assert (back.pixel_array == ds.pixel_array).all()


def test_big_endian_and_replaced_pixels_choose_their_transfer_syntax() -> None:
    """A big endian file keeps its byte order (its OW bytes are in that order); Pixel Data
    replaced by native bytes after reading a compressed file is written Explicit VR Little
    Endian, not under the compressed syntax it no longer has."""
    import numpy as np
    from iodkit.seg.synthetic import ct_series
    from pydicom.uid import ExplicitVRBigEndian, ExplicitVRLittleEndian, RLELossless

    ct = ct_series(1, 8, 8)[0]
    ct.PixelData = np.arange(64, dtype=">u2").tobytes()  # big endian bytes of 0..63
    ct.file_meta.TransferSyntaxUID = ExplicitVRBigEndian
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the retired transfer syntax
        pydicom.dcmwrite(buffer, ct, enforce_file_format=True)
        buffer.seek(0)
        iod = iods.CTImageIOD.from_dataset(pydicom.dcmread(buffer))
        back = _written(iod)
    assert back.file_meta.TransferSyntaxUID == ExplicitVRBigEndian
    assert back.pixel_array.ravel().tolist() == list(range(64))

    ct = ct_series(1, 8, 8)[0]
    ct.compress(RLELossless)
    iod = iods.CTImageIOD.from_dataset(ct)
    assert _written(iod).file_meta.TransferSyntaxUID == RLELossless
    iod.image_pixel.pixel_data = np.zeros(64, "<u2").tobytes()
    assert _written(iod).file_meta.TransferSyntaxUID == ExplicitVRLittleEndian

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
    """Element path → value (sequences by their items' paths), group lengths left out."""
    out: dict[str, object] = {}
    for elem in ds:
        if elem.tag.element == 0:
            continue
        path = f"{prefix}{elem.tag}"
        if elem.VR == "SQ":
            out[path] = len(elem.value)
            for i, item in enumerate(elem.value):
                out.update(_elements(item, f"{path}[{i}]."))
        elif elem.tag != 0x7FE00010:
            out[path] = elem.value
    return out


def test_real_files_come_back_whole(testdata: Path) -> None:
    classes = _iod_classes()
    checked = 0
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
            buffer = io.BytesIO()
            pydicom.dcmwrite(
                buffer, cls.from_dataset(ds).to_dataset(file_meta=True), enforce_file_format=True
            )
            buffer.seek(0)
            after = _elements(pydicom.dcmread(buffer))
        lost = sorted(before.keys() - after.keys())
        assert lost == [], f"{path.name}: {len(lost)} elements lost, e.g. {lost[:5]}"
        changed = [k for k in before if str(before[k]) != str(after[k])]
        assert changed == [], f"{path.name}: changed {changed[:5]}"
        checked += 1
    assert checked >= 40


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

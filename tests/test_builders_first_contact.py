"""The generated builders explain themselves and refuse what cannot be written (issue 13).

* numbers outside their VR's range fail at assignment, naming the attribute and the table
  (were accepted and failed at save() with ``ushort format requires …``);
* ``help()`` shows each attribute's tag, Type, VR, VM and Enumerated Values, an ``__init__``
  that lists its parameters with their rules, and none of the bookkeeping;
* codes from pydicom and highdicom are accepted wherever an iodkit Code is;
* ``IOD(...).validate()`` returns the validator's findings on what would be written.
"""

from __future__ import annotations

import io
import pydoc

import numpy as np
import pytest
from iodkit.builders import EMPTY, Attr, AttributeValueError
from pydicom import dcmread
from pydicom.dataset import Dataset


# -- VR ranges at assignment -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("vr", "good", "bad"),
    [
        ("US", [0, 65535], [-1, 65536]),
        ("SS", [-32768, 32767], [-32769, 32768]),
        ("UL", [0, 2**32 - 1], [-1, 2**32]),
        ("SL", [-(2**31), 2**31 - 1], [-(2**31) - 1, 2**31]),
        ("UV", [0, 2**64 - 1], [-1, 2**64]),
        ("SV", [-(2**63), 2**63 - 1], [-(2**63) - 1, 2**63]),
        ("IS", [-(2**31), "2147483647"], [2**31, "-2147483649"]),
        ("US or SS", [-32768, 65535], [-32769, 65536]),
        ("FL", [3.4e38, -1.5, float("inf")], [3.5e38, -1e39]),
    ],
)
def test_numbers_outside_the_vr_range_fail_at_assignment(vr: str, good: list, bad: list) -> None:
    attr: Attr[object] = Attr(0x00091001, "Probe", vr, "1", "3")
    for value in good:
        attr.check(value, "Table X", "Probe")
    for value in bad:
        with pytest.raises(AttributeValueError, match=f"is out of range for VR {vr}"):
            attr.check(value, "Table X", "Probe")


def test_fd_holds_any_double_and_numpy_scalars_are_taken_as_numbers() -> None:
    fd: Attr[float] = Attr(0x00460146, "SpherePower", "FD", "1", "1")
    assert fd.check(1e300) == 1e300
    us: Attr[int] = Attr(0x00280010, "Rows", "US", "1", "1")
    value = us.check(np.uint16(512))
    assert value == 512 and type(value) is int
    with pytest.raises(AttributeValueError, match="out of range"):
        us.check(np.int64(70000))
    fl: Attr[float] = Attr(0x00182046, "DisplayedZValue", "FL", "1", "1")
    assert type(fl.check(np.float32(0.5))) is float


def test_generated_builders_name_attribute_range_and_table() -> None:
    from iodkit.generated.modules import ImagePixelModule
    from iodkit.generated.modules.segmentation_image_module import SegmentSequenceItem

    with pytest.raises(AttributeValueError) as error:
        ImagePixelModule(rows=70000)
    assert str(error.value) == (
        "ImagePixelModule.rows (0028,0010): 70000 is out of range for VR US (0 to 65535) "
        "(PS3.3 2024c Table C.7-11c)"
    )
    with pytest.raises(AttributeValueError, match=r"columns \(0028,0011\): -3 is out of range"):
        ImagePixelModule(columns=-3)
    with pytest.raises(AttributeValueError, match="segment_number .* 70000 is out of range"):
        SegmentSequenceItem(segment_number=70000)
    module = ImagePixelModule(rows=512)
    with pytest.raises(AttributeValueError, match="out of range"):
        module.rows = 65536  # assignment is checked like the constructor
    assert module.rows == 512


def test_ds_floats_are_written_in_at_most_16_characters() -> None:
    from iodkit.generated.modules import ImagePlaneModule

    ds = ImagePlaneModule(pixel_spacing=[0.1 + 0.2, 1 / 3], slice_thickness=2.5).to_dataset()
    buffer = io.BytesIO()
    ds.save_as(buffer, implicit_vr=False, little_endian=True)
    back = dcmread(io.BytesIO(buffer.getvalue()), force=True)
    raw = back["PixelSpacing"].repval  # the text as written
    assert all(len(str(v)) <= 16 for v in back.PixelSpacing), raw
    assert abs(float(back.PixelSpacing[0]) - 0.3) < 1e-12


# -- documentation at run time ------------------------------------------------------------------
def test_help_shows_tag_type_vr_vm_and_enumerated_values() -> None:
    from iodkit.generated.modules import SegmentationImageModule

    text = pydoc.render_doc(SegmentationImageModule, renderer=pydoc.plaintext)
    block = text[text.index("\n |  segmentation_type\n") :].split("\n |  \n")[0]
    assert "Segmentation Type (0062,0001): Type 1, VR CS, VM 1." in block
    assert "Enumerated Values: BINARY, FRACTIONAL, LABELMAP" in block  # with Supplement 243
    # __init__: a real signature and a docstring listing each parameter with its rules
    assert "Initialize self" not in text
    assert "segmentation_type: (0062,0001) Type 1, VR CS, VM 1; Enumerated Values BINARY" in text
    assert "segment_sequence: (0062,0002) Type 1, VR SQ, VM 1; items: SegmentSequenceItem" in text
    # conditional attributes carry their condition
    assert "maximum_fractional_value: (0062,000E) Type 1C, VR US, VM 1; Required if" in text
    for internal in ("__by_tag__", "__order__", "__attrs__", "__nofill__", "__conditional__"):
        assert internal not in text
        assert internal not in dir(SegmentationImageModule)
    assert "segmentation_type" in dir(SegmentationImageModule)


def test_iod_init_lists_its_modules() -> None:
    from iodkit.generated.iods import SegmentationIOD

    doc = SegmentationIOD.__init__.__doc__ or ""
    assert "general_series: GeneralSeriesModule (Series IE, M)" in doc
    assert "__modules__" not in dir(SegmentationIOD)


def test_unknown_names_are_refused_by_the_signature() -> None:
    from iodkit.generated.modules import GeneralSeriesModule

    with pytest.raises(TypeError, match="unexpected keyword argument 'modalty'"):
        GeneralSeriesModule(modalty="SEG")  # type: ignore[call-arg]


def test_empty_is_accepted_for_type_2() -> None:
    from iodkit.generated.modules import GeneralStudyModule

    ds = GeneralStudyModule(study_id=EMPTY).to_dataset(fill_type2=False)
    assert "StudyID" in ds and ds.StudyID == ""


# -- codes from elsewhere -----------------------------------------------------------------------
def test_pydicom_and_highdicom_codes_are_items_of_code_sequences() -> None:
    from iodkit.codes import Code, as_code, cid7154
    from iodkit.generated.modules.segmentation_image_module import SegmentSequenceItem
    from pydicom.sr.codedict import codes

    coded = Dataset()  # what highdicom's CodedConcept is: a Dataset with the macro's attributes
    coded.CodeValue, coded.CodingSchemeDesignator, coded.CodeMeaning = "10200004", "SCT", "Liver"
    for given in (codes.SCT.Liver, coded, Code("10200004", "SCT", "Liver")):
        item = SegmentSequenceItem(segmented_property_type_code_sequence=[given])
        (written,) = item.to_dataset().SegmentedPropertyTypeCodeSequence
        assert (written.CodeValue, written.CodingSchemeDesignator, written.CodeMeaning) == (
            "10200004",
            "SCT",
            "Liver",
        )
    assert as_code(codes.SCT.Liver) == cid7154.LIVER
    assert codes.SCT.Liver in cid7154.GROUP
    with pytest.raises(AttributeValueError, match="a code \\(iodkit, pydicom or highdicom\\)"):
        SegmentSequenceItem(segmented_property_type_code_sequence=["Liver"])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="expected a code"):
        as_code("Liver")


def test_highdicom_coded_concept_is_a_code() -> None:
    hd = pytest.importorskip("highdicom")
    from iodkit.codes import as_code

    concept = hd.sr.CodedConcept("10200004", "SCT", "Liver")
    assert as_code(concept).meaning == "Liver"


def test_segment_description_takes_pydicom_codes_and_refuses_strings(tmp_path) -> None:
    from iodkit.seg import AlgorithmIdentification, Segmentation, SegmentDescription
    from iodkit.seg.synthetic import ct_series
    from pydicom.sr.codedict import codes

    series = ct_series(2, 8, 8)
    mask = np.zeros((2, 8, 8), dtype=np.uint8)
    mask[0, 2:5, 2:5] = 1
    liver = SegmentDescription(
        1,
        "liver",
        codes.SCT.Tissue,
        codes.SCT.Liver,
        algorithm=AlgorithmIdentification("t", "1", family=codes.DCM.ArtificialIntelligence),
        anatomic_regions=[codes.SCT.Abdomen],
    )
    Segmentation(mask, series, [liver]).save(tmp_path / "s.dcm")  # crashed at save() before
    written = dcmread(tmp_path / "s.dcm").SegmentSequence[0]
    assert written.SegmentedPropertyTypeCodeSequence[0].CodeMeaning == "Liver"
    with pytest.raises(TypeError, match="segment 1 \\('liver'\\) type: expected a code"):
        SegmentDescription(1, "liver", codes.SCT.Tissue, "Liver")  # type: ignore[arg-type]


# -- IOD(...).validate() -----------------------------------------------------------------------
def test_every_generated_iod_validates_what_it_would_write() -> None:
    from iodkit.generated import iods
    from iodkit.validation.findings import Finding
    from iodkit.validation.rules import rule_book

    book = rule_book()
    checked = 0
    for name in iods.__all__:
        cls = getattr(iods, name)
        findings = cls().validate()
        assert findings and all(isinstance(f, Finding) for f in findings), name
        errors = [f for f in findings if f.severity == "error"]
        assert errors, f"{name}: an empty IOD has missing attributes"
        unknown = [f for f in errors if f.code == "sop-class"]
        # the SOP Class UID to_dataset() writes (from PS3.4) is the one the validator checks
        # against the IOD; IODs of no storage SOP Class (print, DICOMDIR) get the encoding only
        storage = bool(cls.sop_class_uid) and book.iod_for(cls.sop_class_uid) is not None
        assert bool(unknown) == (not storage), (name, unknown[:1])
        checked += storage
    assert checked > 160


def test_a_complete_iod_validates_clean_and_agrees_with_the_validator() -> None:
    import iodkit
    from iodkit.generated.iods import CTImageIOD
    from iodkit.seg.synthetic import ct_series

    (ct,) = ct_series(1, 8, 8)
    iod = CTImageIOD.from_dataset(ct)
    errors = [str(f) for f in iod.validate() if f.severity == "error"]
    assert errors == []
    iod.general_series.modality = None  # type: ignore[union-attr]
    found = [f for f in iod.validate() if f.severity == "error"]
    assert [f.path for f in found] == ["Modality"]
    direct = [f for f in iodkit.validate(iod.to_dataset(file_meta=True)) if f.severity == "error"]
    assert [str(f) for f in found] == [str(f) for f in direct]

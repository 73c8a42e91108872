"""The derived-object core: checked sources, reference items, and the modules every derived
object copies from its sources — for image and non-image IODs alike."""

from __future__ import annotations

import copy

import pytest
from iodkit.derived import (
    DerivedObjectError,
    Equipment,
    Identification,
    InstanceReference,
    SourceInstances,
    common_modules,
    errors_as,
    general_series,
)
from iodkit.seg import SegmentationError, synthetic


@pytest.fixture(scope="module")
def ct() -> list:
    return synthetic.ct_series(3, 8, 8, with_pixels=False)


def test_sources_are_checked(ct) -> None:
    with pytest.raises(DerivedObjectError, match="no evidences given"):
        SourceInstances([], what="evidence")
    broken = copy.deepcopy(ct[0])
    del broken.SeriesInstanceUID
    with pytest.raises(DerivedObjectError, match="source 1 has no SeriesInstanceUID"):
        SourceInstances([ct[0], broken])
    with pytest.raises(DerivedObjectError, match=r"given twice: .* \(sources 0 and 2\)"):
        SourceInstances([ct[0], ct[1], ct[0]])
    other_patient = copy.deepcopy(ct[1])
    other_patient.SOPInstanceUID = "1.2.3.4"
    other_patient.PatientID = "SOMEONE-ELSE"
    with pytest.raises(DerivedObjectError, match="belong to 2 patients"):
        SourceInstances([ct[0], other_patient])
    other_study = synthetic.ct_series(1, 8, 8, with_pixels=False)
    with pytest.raises(DerivedObjectError, match="belong to 2 studies"):
        SourceInstances(ct + other_study)
    assert len(SourceInstances(ct + other_study, one_study=False).references) == 4


def test_reference_items_follow_the_hierarchy(ct) -> None:
    second = synthetic.ct_series(2, 8, 8, with_pixels=False, study_uid=ct[0].StudyInstanceUID)
    elsewhere = synthetic.ct_series(1, 8, 8, with_pixels=False)
    sources = SourceInstances(ct + second + elsewhere, one_study=False)
    series = sources.referenced_series_items()
    assert [item["series_instance_uid"] for item in series] == [
        ct[0].SeriesInstanceUID,
        second[0].SeriesInstanceUID,
    ]
    assert [len(item["referenced_instance_sequence"]) for item in series] == [3, 2]
    other = sources.other_studies_items()
    assert [item["study_instance_uid"] for item in other] == [elsewhere[0].StudyInstanceUID]
    evidence = sources.hierarchical_items()
    assert [len(item["referenced_series_sequence"]) for item in evidence] == [2, 1]
    first = evidence[0]["referenced_series_sequence"][0]["referenced_sop_sequence"][0]
    assert first == {
        "referenced_sop_class_uid": ct[0].SOPClassUID,
        "referenced_sop_instance_uid": ct[0].SOPInstanceUID,
    }
    framed = InstanceReference.from_dataset(ct[0], [2, 5]).item()
    assert framed["referenced_frame_number"] == [2, 5]


def test_common_modules_fit_each_iod(ct) -> None:
    from iodkit.generated.iods import Comprehensive3DSRIOD, SegmentationIOD

    ident = Identification.of(series_number=9)
    equipment = Equipment.of(software_versions="model 2.1")
    sr = common_modules(
        Comprehensive3DSRIOD,
        ct[0],
        identification=ident,
        equipment=equipment,
        frame_of_reference_uid=ct[0].FrameOfReferenceUID,
    )
    # an SR document has neither Enhanced General Equipment nor Frame of Reference
    assert set(sr) == {"patient", "general_study", "general_equipment", "sop_common"}
    ds = Comprehensive3DSRIOD(**sr).to_dataset()
    assert ds.PatientID == ct[0].PatientID and ds.StudyInstanceUID == ct[0].StudyInstanceUID
    assert ds.SOPClassUID == Comprehensive3DSRIOD.sop_class_uid
    assert ds.SOPInstanceUID == ident.sop_instance_uid
    assert ds.SoftwareVersions == "model 2.1"
    assert ds.InstanceCreationDate == ident.date
    seg = common_modules(
        SegmentationIOD,
        ct[0],
        identification=ident,
        equipment=equipment,
        frame_of_reference_uid=ct[0].FrameOfReferenceUID,
    )
    assert {"enhanced_general_equipment", "frame_of_reference"} <= set(seg)
    assert seg["frame_of_reference"].frame_of_reference_uid == ct[0].FrameOfReferenceUID


def test_common_modules_copy_trial_and_character_set(ct) -> None:
    from iodkit.generated.iods import Comprehensive3DSRIOD

    source = copy.deepcopy(ct[0])
    source.SpecificCharacterSet = "ISO_IR 192"
    source.PatientName = "Müller^Jürgen"
    source.ClinicalTrialSponsorName = "Sponsor"
    source.ClinicalTrialProtocolID = "P1"
    source.ClinicalTrialSubjectID = "S1"
    source.PatientAge = "042Y"
    modules = common_modules(
        Comprehensive3DSRIOD, source, identification=Identification(), equipment=Equipment()
    )
    assert {"clinical_trial_subject", "patient_study"} <= set(modules)
    ds = Comprehensive3DSRIOD(**modules).to_dataset()
    assert ds.SpecificCharacterSet == "ISO_IR 192"
    assert str(ds.PatientName) == "Müller^Jürgen"
    assert ds.ClinicalTrialSubjectID == "S1" and ds.PatientAge == "042Y"


def test_general_series_takes_an_unpaired_body_part(ct) -> None:
    ident = Identification.of(series_number=4, series_description="derived")
    series = general_series("SEG", ident, ct).to_dataset()
    assert series.Modality == "SEG" and series.SeriesNumber == 4
    assert series.SeriesDescription == "derived"
    assert series.BodyPartExamined == "ABDOMEN"


@pytest.mark.filterwarnings("ignore:Invalid value for VR CS")  # the lower-case source value
@pytest.mark.parametrize(
    ("values", "expected"),
    [(["R", "R"], "R"), (["L"], "L"), (["U"], ""), (["l"], ""), (["B"], ""), (["R", "L"], "")],
)
def test_series_laterality_copies_only_r_or_l(ct, values, expected) -> None:
    """General Series Laterality's Enumerated Values are R and L (C.7.3.1): a source's 'U'
    (fo-dicom GH1146), 'B' or lower case is not copied into a builder that refuses it (QA-2);
    the derived series says "unknown" (empty, Type 2C)."""
    from iodkit.derived.modules import series_laterality

    sources = copy.deepcopy(ct[: len(values)])
    for ds, value in zip(sources, values, strict=True):
        ds.Laterality = value
        del ds.BodyPartExamined  # no body part carried over: laterality is considered
    found = series_laterality(sources)["laterality"]
    assert (found if isinstance(found, str) else "") == expected


def test_derived_objects_over_a_series_laterality_u(testdata, tmp_path) -> None:
    """fo-dicom's GH1146 (MR, Laterality 'U'): a Parametric Map and a presentation state are
    written (they crashed with the builder's 'not one of the Enumerated Values R, L')."""
    import numpy as np
    import pydicom
    from iodkit.codes import Code, cid7203
    from iodkit.pm import ParametricMap, RealWorldValueMapping
    from iodkit.pr import GrayscaleSoftcopyPresentationState

    ds = pydicom.dcmread(testdata / "fodicom" / "GH1146.dcm")
    assert ds.Laterality == "U"
    mapping = RealWorldValueMapping.identity("p", "x", Code("1", "UCUM", "no units"))
    ParametricMap(
        np.zeros((1, ds.Rows, ds.Columns), np.float32),
        [ds],
        mapping,
        derivation=cid7203.SEGMENTATION,
    ).save(tmp_path / "pm.dcm")
    assert pydicom.dcmread(tmp_path / "pm.dcm").Laterality == ""
    GrayscaleSoftcopyPresentationState([ds]).save(tmp_path / "pr.dcm")
    assert pydicom.dcmread(tmp_path / "pr.dcm").Laterality == ""


def test_errors_as_keeps_the_message() -> None:
    with pytest.raises(SegmentationError, match="bad sources") as info:
        with errors_as(SegmentationError):
            raise DerivedObjectError("bad sources")
    assert isinstance(info.value.__cause__, DerivedObjectError)
    assert isinstance(info.value, DerivedObjectError)  # one except clause catches every object


def test_the_copied_modules_validate(ct) -> None:
    """An SR document's patient, study, equipment and SOP Common modules from the core: the
    validator finds nothing wrong in them (the document's own modules are the SR helper's)."""
    from iodkit.generated.iods import Comprehensive3DSRIOD
    from iodkit.validation import validate

    modules = common_modules(
        Comprehensive3DSRIOD, ct[0], identification=Identification(), equipment=Equipment()
    )
    ds = Comprehensive3DSRIOD(**modules).to_dataset(file_meta=True)
    copied = {"Patient", "General Study", "General Equipment", "SOP Common"}
    errors = [f for f in validate(ds) if f.severity == "error" and f.module in copied]
    assert errors == [], "\n".join(map(str, errors))


def test_a_slide_specimen_comes_along(testdata) -> None:
    """Bulk annotations of a slide carry the slide's Specimen Module; a CT gives none."""
    import pydicom
    from iodkit.generated.iods import MicroscopyBulkSimpleAnnotationsIOD

    slide = pydicom.dcmread(testdata / "highdicom" / "sm_image.dcm", stop_before_pixels=True)
    modules = common_modules(
        MicroscopyBulkSimpleAnnotationsIOD,
        slide,
        identification=Identification(),
        equipment=Equipment(),
        frame_of_reference_uid=slide.FrameOfReferenceUID,
    )
    assert "specimen" in modules and "frame_of_reference" in modules
    ds = MicroscopyBulkSimpleAnnotationsIOD(**modules).to_dataset()
    assert ds.ContainerIdentifier == slide.ContainerIdentifier
    assert (
        ds.SpecimenDescriptionSequence[0].SpecimenUID
        == slide.SpecimenDescriptionSequence[0].SpecimenUID
    )

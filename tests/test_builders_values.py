"""Value lists the generated builders enforce when an attribute is set, read from the standard's
own words (lists per value, lists in linked sections and tables, required values in sentences).
Builders enforce only unconditional Enumerated Values of string VRs; these tests check that the
lists added from linked sections and prose reject what the standard forbids and accept what it
allows, including an empty value where a value may be zero length."""

from __future__ import annotations

import pytest
from iodkit.builders import AttributeValueError
from iodkit.generated import modules as m


def test_mammography_value_3_is_empty_or_one_of_the_tables() -> None:
    # PS3.3 C.8.11.7.1.4: "Value 3 shall be present and have zero length (null value), except
    # when used to identify a stereotactic mammography image, digital breast tomosynthesis
    # projection or generated 2D image, or contrast enhanced image" (Tables C.8-74a/b/c)
    mg = m.MammographyImageModule()
    mg.image_type = ["ORIGINAL", "PRIMARY", "", "LEFT"]  # empty Value 3: allowed
    mg.image_type = ["ORIGINAL", "PRIMARY", "STEREO_SCOUT"]  # Table C.8-74a
    mg.image_type = ["ORIGINAL", "PRIMARY", "TOMO_PROJ"]  # Table C.8-74b
    with pytest.raises(AttributeValueError, match="value 3 is 'STEREO'"):
        mg.image_type = ["ORIGINAL", "PRIMARY", "STEREO"]


def test_segmentation_image_type_is_derived_primary() -> None:
    # Table C.8.20-2: "Value 1 shall be DERIVED. Value 2 shall be PRIMARY."
    seg = m.SegmentationImageModule(image_type=["DERIVED", "PRIMARY"])
    assert seg.image_type == ["DERIVED", "PRIMARY"]
    with pytest.raises(AttributeValueError, match="value 1 is 'ORIGINAL'"):
        seg.image_type = ["ORIGINAL", "PRIMARY"]


def test_general_image_value_1_and_2() -> None:
    # PS3.3 C.7.6.1.1.2: Value 1 ORIGINAL or DERIVED, Value 2 PRIMARY or SECONDARY; Value 3
    # and beyond are free
    gi = m.GeneralImageModule(image_type=["ORIGINAL", "SECONDARY", "ANYTHING", "ELSE"])
    assert gi.image_type[2] == "ANYTHING"
    with pytest.raises(AttributeValueError, match="value 1 is 'ORIGINAL PRIMARY'"):
        gi.image_type = ["ORIGINAL PRIMARY", "PRIMARY"]


def test_string_values_are_in_the_format_of_their_vr() -> None:
    """PS3.5 Table 6.2-1, judged when the value is set (README: "Values are checked when they
    are set"), by the rule the validator applies to files (iodkit.vrformat): an ISO date, a
    UID with letters, a lower-case code string, a date that is no day of the calendar were
    accepted and written, and only a validator run found them."""
    import datetime

    import iodkit
    from pydicom.dataset import Dataset

    wrong = [
        (m.GeneralStudyModule, "study_date", "2024-03-11", "is not a valid DA"),
        (m.GeneralStudyModule, "study_date", "20240231", "is not a calendar date"),
        (m.GeneralStudyModule, "study_time", "10:15:00", "is not a valid TM"),
        (m.GeneralStudyModule, "study_instance_uid", "1.2.abc", "is not a valid UI"),
        (m.GeneralStudyModule, "study_instance_uid", "1.02.3", "leading-zero component"),
        (m.GeneralSeriesModule, "modality", "ct", "is not a valid CS"),
        (m.PatientStudyModule, "patient_age", "42", "is not a valid AS"),
        (m.ImagePlaneModule, "slice_thickness", "nan", "is not a valid DS"),
        (m.SOPCommonModule, "instance_creation_date", "2024/03/11", "is not a valid DA"),
    ]
    for cls, name, value, said in wrong:
        with pytest.raises(AttributeValueError, match=said):
            cls(**{name: value})
        # the validator says the same of a dataset holding it (one rule for both)
        ds = Dataset()
        ds.SOPClassUID, ds.SOPInstanceUID = "1.2.840.10008.5.1.4.1.1.2", "1.2.3"
        ds.add_new(getattr(cls, name).tag, getattr(cls, name).vr, value)
        said_by_validator = [str(f) for f in iodkit.validate(ds) if f.code == "value"]
        assert any(said in text for text in said_by_validator), (name, said_by_validator)
    # what the standard allows is still taken
    study = m.GeneralStudyModule(
        study_date="20240311", study_time="101500.25", study_instance_uid="2.25.1234567890"
    )
    study.study_date = datetime.date(2024, 2, 29)
    assert m.PatientStudyModule(patient_age="042Y").patient_age == "042Y"
    assert m.GeneralSeriesModule(modality="SEG").modality == "SEG"
    assert m.ImagePlaneModule(slice_thickness="2.5").slice_thickness == "2.5"
    with pytest.raises(AttributeValueError, match="is not one of the Enumerated Values R, L"):
        m.GeneralSeriesModule(laterality="left")  # the Enumerated Values say more

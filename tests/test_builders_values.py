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

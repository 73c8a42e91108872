"""The template builders generated from PS3.16 (``iodkit.templates``): the rows of the standard's
tables become arguments, the standard's rules are checked as values are given, and the
content items come out as the tables say. Expected values are read off PS3.16 2024c by hand
(TID 1410, 1419, 1500, 1501, 2010, 4019, 4108)."""

from __future__ import annotations

import importlib
import warnings

import numpy as np
import pytest
from iodkit.codes import Code, cid7010, cid7021
from iodkit.sr.content import Numeric, Reference, Scoord
from iodkit.sr.template import TemplateError
from iodkit.sr.valuesets import ValueSetError
from iodkit.templates import TEMPLATES, template_class, tid1410, tid1419, tid1500, tid2010, tid4019

P = tid1410.PlanarROIMeasurementsAndQualitativeEvaluations
ROI = tid1419.ROIMeasurements
IMAGE = Reference("1.2.840.10008.5.1.4.1.1.2", "1.2.3.4")
SEG = Reference("1.2.840.10008.5.1.4.1.1.66.4", "1.2.3.5", frame_numbers=(1,), segment_numbers=(1,))
AREA = Code("42798000", "SCT", "Area")
MM2 = Code("mm2", "UCUM", "square millimeter")
OUTLINE = Scoord("POLYLINE", [[1, 1], [9, 1], [9, 9], [1, 1]])


def region() -> P.ImageRegionScoord:
    return P.ImageRegionScoord(value=OUTLINE, selected_from_image=IMAGE)


def test_every_template_of_the_edition_has_a_module_that_imports() -> None:
    assert len(TEMPLATES) >= 410
    for tid in ("1500", "1410", "1411", "1501", "300", "1419", "2010", "10003A", "4006"):
        cls = template_class(tid)
        assert cls.__tid__ == tid and cls.__source__ == f"PS3.16 2024c TID {tid}"
    for module, _ in list(TEMPLATES.values())[::25]:  # a sample; make generate renders all
        importlib.import_module(f"iodkit.templates.{module}")


def test_rows_are_the_standards() -> None:
    # TID 1410 row 5: CONTAINS SCOORD EV (111030, DCM, "Image Region"), 1, MC XOR Rows 7, 7b, 8b
    row = P.row("5")
    assert (row.relationship, row.value_type, row.concept) == (
        "CONTAINS",
        "SCOORD",
        Code("111030", "DCM", "Image Region"),
    )
    assert row.requirement == "MC" and row.condition == "XOR Rows 7, 7b, 8b"
    assert row.not_graphic_types == ("MULTIPOINT",)
    # row 6: >> SELECTED FROM IMAGE, M (a child of row 5)
    assert P.ImageRegionScoord.row("6").requirement == "M"
    # TID 1419 row 5: NUM $Measurement 1-n M, UNITS = $Units
    m = ROI.row("5")
    assert (m.value_type, m.vm, m.requirement, str(m.concept), str(m.units)) == (
        "NUM",
        (1, None),
        "M",
        "$Measurement",
        "$Units",
    )
    # TID 1500 row 7 binds $Measurement = BCID 218 when it includes TID 1410
    include = tid1500.MeasurementReport.row("7")
    assert include.include.endswith("tid1410:PlanarROIMeasurementsAndQualitativeEvaluations")
    assert str(include.bindings["Measurement"]) == 'BCID 218 "Quantitative Image Feature"'
    # TID 4019: rows 1 and 2 are M, so the builder's signature requires them
    with pytest.raises(TypeError):
        tid4019.AlgorithmIdentification(algorithm_name_text="x")  # type: ignore[call-arg]


def test_fixed_concept_names_are_filled_in() -> None:
    group = P(
        tracking_identifier="t1", tracking_unique_identifier="1.2.3", image_region_scoord=region()
    )
    item = group.content("CONTAINS")[0]
    assert item.name == Code("125007", "DCM", "Measurement Group")
    assert item.template == "1410"  # single-CONTAINER template: Content Template Sequence
    names = [
        (c.relationship, c.value_type, c.name.meaning if c.name else None) for c in item.children
    ]
    assert names == [
        ("HAS OBS CONTEXT", "TEXT", "Tracking Identifier"),  # DT default name (row 2)
        ("HAS OBS CONTEXT", "UIDREF", "Tracking Unique Identifier"),
        ("CONTAINS", "SCOORD", "Image Region"),
    ]
    assert item.children[2].children[0].relationship == "SELECTED FROM"
    assert item.children[0].row == (1410, "2")


def test_included_templates_take_the_include_rows_relationship() -> None:
    # TID 4019's rows have no relationship; TID 1419 row 4b includes it HAS CONCEPT MOD
    algorithm = tid4019.AlgorithmIdentification(algorithm_name_text="net", algorithm_version="1")
    roi = ROI(
        algorithm_identification=algorithm,
        measurement=[ROI.Measurement(concept_name=AREA, value=Numeric(2.0, MM2))],
    )
    items = roi.content("CONTAINS")
    assert [(i.relationship, i.value_type) for i in items] == [
        ("HAS CONCEPT MOD", "TEXT"),
        ("HAS CONCEPT MOD", "TEXT"),
        ("CONTAINS", "NUM"),
    ]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        # XOR Rows 7, 7b, 8b (row 5): two regions
        (
            lambda: P(
                tracking_identifier="t",
                image_region_scoord=region(),
                referenced_segmentation_frame=SEG,
                source_image_for_segmentation=IMAGE,
            ),
            "image_region_scoord excludes row 7 .referenced_segmentation_frame.",
        ),
        # IFF Row 7 (row 8): a source image without a segmentation frame
        (
            lambda: P(
                tracking_identifier="t",
                image_region_scoord=region(),
                source_image_for_segmentation=IMAGE,
            ),
            "TID 1410 row 8",
        ),
        # row 6 (M): an image region without its source image
        (
            lambda: P.ImageRegionScoord(value=OUTLINE),  # type: ignore[call-arg]
            "missing 1 required keyword-only argument",
        ),
        # GRAPHIC TYPE = not {MULTIPOINT}
        (
            lambda: P.ImageRegionScoord(
                value=Scoord("MULTIPOINT", [[1, 1], [2, 2]]), selected_from_image=IMAGE
            ),
            "Graphic Type MULTIPOINT is not allowed",
        ),
        # VM 1 (row 3)
        (lambda: P(tracking_unique_identifier=["1.2", "1.3"]), "2 values given, VM is 1"),
        # a value of the wrong type for the value type
        (lambda: P(finding="Nodule"), "a code is needed, not the string 'Nodule'"),
        # TID 1500 row 6: IF Row 10 and 12 are absent -> Imaging Measurements required
        (
            lambda: tid1500.MeasurementReport(
                concept_name=cid7021.IMAGING_MEASUREMENT_REPORT,
                observation_context=template_class(1001)(),
            ),
            "imaging_measurements is required",
        ),
        # the include must be the included template's builder
        (
            lambda: P(
                roi_measurements=tid4019.AlgorithmIdentification(
                    algorithm_name_text="a", algorithm_version="1"
                )
            ),
            "expected a ROIMeasurements .TID 1419.",
        ),
    ],
)
def test_rows_rules_are_checked_as_values_are_given(make, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises((TemplateError, TypeError), match=message):
        make()


def test_the_missing_source_image_names_the_row() -> None:
    # a bare SCOORD for row 5: the builder of row 5 needs row 6 (M)
    with pytest.raises(TemplateError, match=r"selected_from_image \(row 6, M\) is required too"):
        P(tracking_identifier="t", image_region_scoord=OUTLINE)


def test_the_one_rule_for_coded_values() -> None:
    # EV: TID 2010 row 2's concept name is fixed; row 3 DCID 7011 is extensible: accepted
    ko = tid2010.KeyObjectSelection(
        concept_name=cid7010.REJECTED_FOR_QUALITY_REASONS,
        document_title_modifier_row3=cid7010.OF_INTEREST,
        contains_image=[IMAGE],
    )
    assert ko.content()[0].children[0].value == cid7010.OF_INTEREST
    # DCID 7010 for the title of a KOS: a code outside it is accepted (extensible) by the
    # builder; a non-extensible DCID refuses it: TID 1602 row 3 Image Laterality, DCID 244
    lib = template_class(1602)
    with pytest.raises(ValueSetError, match="not in DCID 244"):
        lib(image_laterality=Code("T-D0050", "SRT", "Tissue"))
    lib(image_laterality=Code("24028007", "SCT", "Right"))
    # BCID: anything (TID 1410 row 3c, BCID 219)
    P(
        tracking_identifier="t",
        image_region_scoord=region(),
        geometric_purpose_of_region=Code("1", "99LOCAL", "anything"),
    )
    # EV with a retired SNOMED RT spelling of the SCT code: accepted with a warning
    from iodkit.sr.valuesets import check_code

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_code(Code("T-28000", "SRT", "Lung"), Code("39607008", "SCT", "Lung"), "here")
    assert any("retired SNOMED RT" in str(w.message) for w in caught)
    with pytest.raises(ValueSetError, match="is not EV"):
        check_code(Code("T-32000", "SRT", "Heart"), Code("39607008", "SCT", "Lung"), "here")


def test_bindings_of_the_including_row_are_checked() -> None:
    # TID 1500 row 7 binds BCID sets only: any measurement name passes; a DCID binding would
    # be checked — TID 300 rows bound by TID 1501 row 10 pass the parameter on unchanged
    roi = ROI(
        measurement=[ROI.Measurement(concept_name=Code("1", "99X", "odd"), value=Numeric(1.0, MM2))]
    )
    group = P(tracking_identifier="t", image_region_scoord=region(), roi_measurements=roi)
    report = tid1500.MeasurementReport(
        concept_name=cid7021.IMAGING_MEASUREMENT_REPORT,
        observation_context=template_class(1001)(),
        imaging_measurements=tid1500.MeasurementReport.ImagingMeasurements(
            planar_roi_measurements_and_qualitative_evaluations=[group]
        ),
    )
    root = report.content()[0]
    assert root.template == "1500" and root.name == cid7021.IMAGING_MEASUREMENT_REPORT


def test_by_reference_rows_point_at_items_placed_elsewhere() -> None:
    from iodkit.sr.content import ContentItem
    from iodkit.sr.document import DocumentError, resolve_references

    tid300 = template_class(300)
    source = tid300(concept_name=AREA, value=Numeric(2.0, MM2))
    derived = tid300(
        concept_name=Code("1", "99X", "ratio"),
        value=Numeric(0.5, Code("1", "UCUM", "no units")),
        derivation_parameter_by_reference=[source],
    )
    root = ContentItem.container(
        Code("126000", "DCM", "Imaging Measurement Report"),
        [*source.content("CONTAINS"), *derived.content("CONTAINS")],
    )
    resolve_references(root)
    ref = root.children[1].children[0]
    assert ref.value_type is None and ref.reference == (1, 1)
    assert ref.relationship == "INFERRED FROM"
    # the target must be in the tree
    lonely = tid300(
        concept_name=Code("1", "99X", "r"),
        value=Numeric(1, MM2),
        derivation_parameter_by_reference=[tid300(concept_name=AREA, value=Numeric(1, MM2))],
    )
    tree = ContentItem.container(Code("126000", "DCM", "x"), lonely.content("CONTAINS"))
    with pytest.raises(DocumentError, match="not in the document's tree"):
        resolve_references(tree)
    # a cycle: an item that references its own ancestor
    a = ContentItem(
        "NUM",
        AREA,
        Numeric(1.0, MM2),
        relationship="CONTAINS",
        children=[ContentItem.by_reference("INFERRED FROM", (1, 1))],
    )
    with pytest.raises(DocumentError, match="cycle"):
        resolve_references(ContentItem.container(Code("126000", "DCM", "x"), [a]))
    # a longer cycle: 1.1 refers to 1.2 whose child refers back to 1.1
    b = ContentItem(
        "NUM",
        AREA,
        Numeric(1.0, MM2),
        relationship="CONTAINS",
        children=[ContentItem.by_reference("INFERRED FROM", (1, 2))],
    )
    c = ContentItem(
        "NUM",
        AREA,
        Numeric(2.0, MM2),
        relationship="CONTAINS",
        children=[ContentItem.by_reference("INFERRED FROM", (1, 1))],
    )
    with pytest.raises(DocumentError, match="cycle: 1.1 → 1.2 → 1.1"):
        resolve_references(ContentItem.container(Code("126000", "DCM", "x"), [b, c]))


def test_numeric_units_follow_the_row() -> None:
    # TID 1602 row 11: UNITS = EV ({pixels}, UCUM, "pixels")
    lib = template_class(1602)
    lib(pixel_data_rows=Numeric(512, Code("{pixels}", "UCUM", "pixels")))
    with pytest.raises(ValueSetError, match="is not EV"):
        lib(pixel_data_rows=Numeric(512, Code("mm", "UCUM", "millimeter")))
    assert np.isfinite(512)


def test_a_document_is_written_from_a_root_templates_builder() -> None:
    """QA-25(a): the builder itself is a document's root (its content made on the way); a
    builder of no single root CONTAINER is refused saying so."""
    from iodkit.seg.synthetic import ct_series
    from iodkit.sr.document import DocumentError, SRDocumentWriter

    ct = ct_series(1, 16, 16)
    group = P(
        tracking_identifier="t",
        image_region_scoord=P.ImageRegionScoord(
            value=OUTLINE, selected_from_image=Reference.to(ct[0])
        ),
        roi_measurements=ROI(
            measurement=[ROI.Measurement(concept_name=AREA, value=Numeric(4.0, MM2))]
        ),
    )
    report = tid1500.MeasurementReport(
        concept_name=cid7021.IMAGING_MEASUREMENT_REPORT,
        observation_context=template_class(1001)(),
        imaging_measurements=tid1500.MeasurementReport.ImagingMeasurements(
            planar_roi_measurements_and_qualitative_evaluations=[group]
        ),
    )
    ds = SRDocumentWriter(report, ct).to_dataset()
    assert ds.ContentTemplateSequence[0].TemplateIdentifier == "1500"
    assert (
        ds.CurrentRequestedProcedureEvidenceSequence[0].StudyInstanceUID == ct[0].StudyInstanceUID
    )
    with pytest.raises(DocumentError, match="ROIMeasurements makes 2 top content items"):
        SRDocumentWriter(
            ROI(
                measurement=[
                    ROI.Measurement(concept_name=AREA, value=Numeric(4.0, MM2)),
                    ROI.Measurement(concept_name=AREA, value=Numeric(5.0, MM2)),
                ]
            ),
            ct,
        )

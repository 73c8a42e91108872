"""Codes from pydicom (``codes.SCT.Liver``) and highdicom (``CodedConcept``) go wherever an
iodkit Code goes — SEG, PM, SR (report objects, generic content items, generated template
builders, reader queries), ANN — are iodkit Codes once the object is made, and are written as
such. (``tests/test_typecheck.py`` checks that the type hints, ``iodkit.codes.CodeLike``, say
the same to mypy.)"""

from __future__ import annotations

from pathlib import Path

import highdicom as hd
import numpy as np
import pydicom
from iodkit.ann import AnnotationGroup, MicroscopyBulkSimpleAnnotations, read_annotations
from iodkit.ann import Measurement as AnnotationMeasurement
from iodkit.codes import Code, CodedConceptLike, as_code, cid7203
from iodkit.pm import ParametricMap, RealWorldValueMapping, read_parametric_map
from iodkit.seg import AlgorithmIdentification, Segmentation, SegmentDescription
from iodkit.seg.synthetic import ct_series, slide_image
from iodkit.sr import (
    ContentItem,
    FindingSite,
    ImageRegion,
    Measurement,
    MeasurementReport,
    Numeric,
    PlanarROIMeasurements,
    QualitativeEvaluation,
    Scoord,
    read_sr,
)
from iodkit.templates import tid1419
from pydicom.sr.codedict import codes

MM = hd.sr.CodedConcept("mm", "UCUM", "millimeter")


def test_a_protocol_object_is_a_code_too() -> None:
    class Concept:  # neither pydicom's nor highdicom's: what CodedConceptLike describes
        value, scheme_designator, meaning, scheme_version = "1", "99X", "one", None

    concept: CodedConceptLike = Concept()
    assert as_code(concept) == Code("1", "99X", "one")
    assert as_code(MM) == Code("mm", "UCUM", "millimeter")


def test_seg_and_pm(tmp_path: Path) -> None:
    ct = ct_series(2, 8, 8)
    segment = SegmentDescription(
        1,
        "liver",
        codes.SCT.Tissue,
        codes.SCT.Liver,
        anatomic_regions=[hd.sr.CodedConcept("818981001", "SCT", "Abdomen")],
        algorithm=AlgorithmIdentification("a", "1", family=codes.DCM.ArtificialIntelligence),
    )
    assert type(segment.type) is Code and type(segment.anatomic_regions[0]) is Code
    mask = np.zeros((2, 8, 8), np.uint8)
    mask[0, 2:5, 2:5] = 1
    Segmentation(mask, ct, [segment]).save(tmp_path / "seg.dcm")
    written = pydicom.dcmread(tmp_path / "seg.dcm").SegmentSequence[0]
    assert written.SegmentedPropertyTypeCodeSequence[0].CodeValue == "10200004"
    mapping = RealWorldValueMapping.identity(
        "p", "probability", hd.sr.CodedConcept("1", "UCUM", "no units"), quantity=codes.SCT.Area
    )
    assert type(mapping.units) is Code and type(mapping.quantity) is Code
    ParametricMap(
        np.zeros((2, 8, 8), np.float32), ct, mapping, derivation=cid7203.SEGMENTATION
    ).save(tmp_path / "pm.dcm")
    with read_parametric_map(tmp_path / "pm.dcm") as pm:
        assert pm.mappings[0].units == Code("1", "UCUM", "no units")


def test_sr_objects_content_items_builders_and_queries(tmp_path: Path) -> None:
    ct = ct_series(1, 16, 16)
    outline = Scoord("POLYLINE", np.array([[1, 1], [9, 1], [9, 9], [1, 1]]))
    group = PlanarROIMeasurements(
        tracking_identifier="n",
        finding_type=codes.SCT.Nodule,
        finding_sites=[FindingSite(codes.SCT.Lung, laterality=codes.SCT.Left)],
        region=ImageRegion(outline, ct[0]),
        measurements=[Measurement(codes.SCT.Diameter, 3.0, MM)],
        qualitative_evaluations=[QualitativeEvaluation(codes.DCM.Finding, codes.SCT.Normal)],
    )
    path = tmp_path / "sr.dcm"
    MeasurementReport([group], procedure_reported=codes.LN.CTUnspecifiedBodyRegion).save(
        path, evidence=ct
    )
    doc = read_sr(path)
    assert [c.value for c in doc.procedure_reported] == ["25045-6"]  # one code, not 3 strings
    (back,) = doc.get_planar_roi_measurement_groups(finding_type=codes.SCT.Nodule)
    (diameter,) = back.get_measurements(codes.SCT.Diameter)  # queries take them too
    assert (diameter.value, diameter.unit) == (3.0, Code("mm", "UCUM", "millimeter"))
    assert len(doc.get_measurements(codes.SCT.Diameter)) == 1
    item = ContentItem("CODE", codes.DCM.Finding, codes.SCT.Nodule, relationship="CONTAINS")
    assert type(item.name) is Code and type(item.value) is Code
    assert type(Numeric(1.0, MM).unit) is Code
    site = tid1419.ROIMeasurements.FindingSite(value=codes.SCT.Lung, laterality=codes.SCT.Left)
    assert [type(c.value) for c in site.content()[0].children] == [Code]


def test_ann(tmp_path: Path) -> None:
    slide = slide_image(40, 40)
    group = AnnotationGroup(
        "nuclei",
        codes.SCT.Tissue,
        hd.sr.CodedConcept("84640000", "SCT", "Nucleus"),
        "POINT",
        np.array([[3.0, 4.0], [10.0, 12.0]]),
        measurements=[AnnotationMeasurement(codes.SCT.Area, MM, np.array([1.0, 2.0], np.float32))],
        generation_type="MANUAL",
    )
    MicroscopyBulkSimpleAnnotations(slide, [group]).save(tmp_path / "ann.dcm")
    with read_annotations(tmp_path / "ann.dcm") as ann:
        names, values, units = ann.groups[0].get_measurements(codes.SCT.Area)
        assert names == [Code("42798000", "SCT", "Area")] and values.shape == (2, 1)
        assert ann.groups[0].type == Code("84640000", "SCT", "Nucleus")


def test_a_string_where_codes_are_taken_is_named_whole() -> None:
    """A list-of-codes argument given one string was read letter by letter: the error named
    the string 'C' of procedure_reported="CT chest" (SR), 'u' of a KOS's modifiers="urgent",
    'a' of an annotation group's type_modifiers="abc". One code alone is a list of one."""
    import pytest
    from iodkit.codes import CodeError, as_codes
    from iodkit.sr import ContentError, ImageMeasurements, KeyObjectSelection
    from pydicom.sr.codedict import codes

    ct = ct_series(2, 8, 8)
    tissue = Code("85756007", "SCT", "Tissue")
    assert as_codes(tissue) == as_codes([codes.SCT.Tissue]) == [tissue]
    assert as_codes(()) == []
    with pytest.raises(CodeError, match=r"x\[1\]: expected a code .* got str 'b'"):
        as_codes([tissue, "b"], "x")
    group = ImageMeasurements(tracking_identifier="t", source_images=[ct[0]])
    with pytest.raises(ContentError, match="not the string 'CT chest'"):
        MeasurementReport([group], procedure_reported="CT chest")
    assert MeasurementReport([group], procedure_reported=tissue).procedure_reported == [tissue]
    with pytest.raises(ContentError, match="modifiers: .* not the string 'urgent'"):
        KeyObjectSelection(ct, modifiers="urgent")
    with pytest.raises(CodeError, match="type_modifiers: .* not the string 'abc'"):
        AnnotationGroup(
            "n",
            tissue,
            tissue,
            "POINT",
            np.zeros((1, 2), np.float32),
            type_modifiers="abc",
            algorithm=AlgorithmIdentification("a", "1"),
        )

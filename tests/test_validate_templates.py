"""Content trees against their PS3.16 templates: crafted trees, each breaking one row of the
standard, give exactly the expected finding; the clean trees give none.

Trees are built with pydicom from the rows of PS3.16 2024c (TID 1500 with 1204, 1001/1002/1004,
1410, 1419, 300; TID 2010; TID 2000; TID 10011; TID 3300) and checked by the template pass
alone, so a finding of the IOD rules cannot mask or fake one of the templates.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from iodkit.validation.findings import Finding
from iodkit.validation.fromvalues import from_dataset
from iodkit.validation.templates import check_content_tree
from pydicom.dataset import Dataset

Code = tuple[str, str, str]

DCM = "DCM"
LANGUAGE = ("121049", DCM, "Language of Content Item and Descendants")
OBSERVER_TYPE = ("121005", DCM, "Observer Type")
DEVICE = ("121007", DCM, "Device")
DEVICE_UID = ("121012", DCM, "Device Observer UID")
PROCEDURE = ("121058", DCM, "Procedure reported")
IMAGING_MEASUREMENTS = ("126010", DCM, "Imaging Measurements")
GROUP = ("125007", DCM, "Measurement Group")
TRACKING_ID = ("112039", DCM, "Tracking Identifier")
TRACKING_UID = ("112040", DCM, "Tracking Unique Identifier")
FINDING = ("121071", DCM, "Finding")
IMAGE_REGION = ("111030", DCM, "Image Region")
LENGTH = ("410668003", "SCT", "Length")
MM = ("mm", "UCUM", "millimeter")
LATERALITY = ("272741003", "SCT", "Laterality")
FINDING_SITE = ("363698007", "SCT", "Finding Site")


def code_item(c: Code) -> Dataset:
    ds = Dataset()
    ds.CodeValue, ds.CodingSchemeDesignator, ds.CodeMeaning = c
    return ds


def item(
    vt: str,
    concept: Code | None,
    rel: str | None = None,
    children: list[Dataset] | None = None,
    **value: Any,
) -> Dataset:
    ds = Dataset()
    if rel:
        ds.RelationshipType = rel
    ds.ValueType = vt
    if concept is not None:
        ds.ConceptNameCodeSequence = [code_item(concept)]
    if vt == "CODE":
        ds.ConceptCodeSequence = [code_item(value["code"])]
    elif vt == "TEXT":
        ds.TextValue = value.get("text", "x")
    elif vt == "UIDREF":
        ds.UID = value.get("uid", "1.2.3")
    elif vt == "NUM":
        mv = Dataset()
        mv.NumericValue = value.get("number", "12.5")
        mv.MeasurementUnitsCodeSequence = [code_item(value.get("units", MM))]
        ds.MeasuredValueSequence = [mv]
    elif vt == "SCOORD":
        ds.GraphicType = value.get("graphic", "POLYLINE")
        ds.GraphicData = [1.0, 1.0, 5.0, 5.0]
    elif vt in ("IMAGE", "COMPOSITE"):
        ref = Dataset()
        ref.ReferencedSOPClassUID = value.get("sop_class", "1.2.840.10008.5.1.4.1.1.2")
        ref.ReferencedSOPInstanceUID = "1.2.3.4.5"
        ds.ReferencedSOPSequence = [ref]
    elif vt == "CONTAINER":
        ds.ContinuityOfContent = "SEPARATE"
    if children:
        ds.ContentSequence = children
    return ds


def document(title: Code, children: list[Dataset], tid: str | None) -> Dataset:
    ds = item("CONTAINER", title, children=children)
    if tid:
        t = Dataset()
        t.MappingResource = "DCMR"
        t.TemplateIdentifier = tid
        ds.ContentTemplateSequence = [t]
    return ds


def measurement_group(extra: list[Dataset] | None = None) -> Dataset:
    """A TID 1410 Planar ROI group: tracking, finding, an image region and one length."""
    return item(
        "CONTAINER",
        GROUP,
        "CONTAINS",
        [
            item("TEXT", TRACKING_ID, "HAS OBS CONTEXT", text="lesion 1"),
            item("UIDREF", TRACKING_UID, "HAS OBS CONTEXT", uid="1.2.826.0.1.3680043.10.511.1"),
            item("CODE", FINDING, "CONTAINS", code=("52988006", "SCT", "Lesion")),
            item(
                "SCOORD",
                IMAGE_REGION,
                "CONTAINS",
                [item("IMAGE", None, "SELECTED FROM")],
            ),
            item("NUM", LENGTH, "CONTAINS", units=MM),
            *(extra or []),
        ],
    )


def report() -> Dataset:
    """A TID 1500 Measurement Report with what its M rows and their includes need."""
    return document(
        ("126000", DCM, "Imaging Measurement Report"),
        [
            item("CODE", LANGUAGE, "HAS CONCEPT MOD", code=("en-US", "RFC5646", "English")),
            item("CODE", OBSERVER_TYPE, "HAS OBS CONTEXT", code=DEVICE),
            item("UIDREF", DEVICE_UID, "HAS OBS CONTEXT", uid="1.2.826.0.1.3680043.10.511.2"),
            item("CODE", PROCEDURE, "HAS CONCEPT MOD", code=("25045-6", "LN", "CT")),
            item("CONTAINER", IMAGING_MEASUREMENTS, "CONTAINS", [measurement_group()]),
        ],
        "1500",
    )


def check(ds: Dataset, tid: str | None = None) -> list[Finding]:
    return check_content_tree(from_dataset(ds).dataset, "2024c", tid)


def problems(ds: Dataset, tid: str | None = None) -> list[tuple[str, str, str, str]]:
    """(severity, code, path, reference) of every error and warning."""
    return [
        (f.severity, f.code, f.path, str(f.reference or ""))
        for f in check(ds, tid)
        if f.severity in ("error", "warning")
    ]


def at(ds: Dataset, *path: int) -> Dataset:
    for i in path:
        ds = ds.ContentSequence[i]
    return ds


GROUP_PATH = "ContentSequence[4].ContentSequence[0]"


def test_clean_report_has_no_finding() -> None:
    findings = check(report())
    assert [f for f in findings if f.severity != "info"] == []
    # the root template came from Content Template Sequence: nothing inferred
    assert not any(f.code == "template" for f in findings)


def test_root_template_inferred_from_the_title_and_said() -> None:
    ds = report()
    del ds.ContentTemplateSequence
    findings = check(ds)
    assert [f.code for f in findings if f.severity != "info"] == []
    inferred = [f for f in findings if f.code == "template"]
    assert len(inferred) == 1 and "TID 1500" in inferred[0].message
    assert "inferred from the document title" in inferred[0].message


def mutate(change: Callable[[Dataset], None]) -> Dataset:
    ds = copy.deepcopy(report())
    change(ds)
    return ds


def _drop(path: tuple[int, ...], index: int) -> Callable[[Dataset], None]:
    def change(ds: Dataset) -> None:
        del at(ds, *path).ContentSequence[index]

    return change


def _set(path: tuple[int, ...], **attrs: Any) -> Callable[[Dataset], None]:
    def change(ds: Dataset) -> None:
        target = at(ds, *path)
        for k, v in attrs.items():
            setattr(target, k, v)

    return change


def _append(path: tuple[int, ...], new: Dataset) -> Callable[[Dataset], None]:
    def change(ds: Dataset) -> None:
        target = at(ds, *path)
        if "ContentSequence" not in target:
            target.ContentSequence = []
        target.ContentSequence.append(new)

    return change


def _concept(path: tuple[int, ...], c: Code) -> Callable[[Dataset], None]:
    return _set(path, ConceptNameCodeSequence=[code_item(c)])


def _value(path: tuple[int, ...], c: Code) -> Callable[[Dataset], None]:
    return _set(path, ConceptCodeSequence=[code_item(c)])


def _device_name_for_uid(ds: Dataset) -> None:
    ds.ContentSequence[2] = item(
        "TEXT", ("121013", DCM, "Device Observer Name"), "HAS OBS CONTEXT", text="model"
    )


CASES: list[tuple[str, Callable[[Dataset], None], list[tuple[str, str, str, str]] | None]] = [
    (
        "missing M row: Device Observer UID (TID 1004 row 1) of a device observer",
        _device_name_for_uid,
        [("error", "template-missing", "", "PS3.16 2024c TID 1004 row 1")],
    ),
    (
        "MC INCLUDE whose condition holds: a device observer with no identifying attributes "
        "(TID 1002 row 3, IFF Row 1 value = Device)",
        _drop((), 2),
        [("error", "template-missing", "", "PS3.16 2024c TID 1002 row 3")],
    ),
    (
        "missing M row under a SCOORD: SELECTED FROM IMAGE (TID 1410 row 6)",
        _drop((4, 0, 3), 0),
        [
            (
                "error",
                "template-missing",
                f"{GROUP_PATH}.ContentSequence[3]",
                "PS3.16 2024c TID 1410 row 6",
            )
        ],
    ),
    (
        "MC rows whose conditions hold: none of Imaging Measurements, Derived Imaging "
        "Measurements, Qualitative Evaluations (TID 1500 rows 6, 10, 12) — one finding",
        _drop((), 4),
        [("error", "template-missing", "", "PS3.16 2024c TID 1500 row 6")],
    ),
    (
        "wrong value type: Tracking Identifier as CODE (TID 1410 row 2 wants TEXT)",
        lambda ds: at(ds, 4, 0).ContentSequence.__setitem__(
            0, item("CODE", TRACKING_ID, "HAS OBS CONTEXT", code=("1", "99X", "one"))
        ),
        [
            (
                "error",
                "template-row",
                f"{GROUP_PATH}.ContentSequence[0]",
                "PS3.16 2024c TID 1410 row 2",
            )
        ],
    ),
    (
        "wrong relationship: Finding as HAS PROPERTIES (TID 1410 row 3b wants CONTAINS)",
        _set((4, 0, 2), RelationshipType="HAS PROPERTIES"),
        [
            (
                "error",
                "template-row",
                f"{GROUP_PATH}.ContentSequence[2]",
                "PS3.16 2024c TID 1410 row 3b",
            )
        ],
    ),
    (
        "VM exceeded: two Tracking Unique Identifiers (TID 1410 row 3, VM 1)",
        _append((4, 0), item("UIDREF", TRACKING_UID, "HAS OBS CONTEXT", uid="1.2.3.9")),
        [("error", "template-vm", GROUP_PATH, "PS3.16 2024c TID 1410 row 3")],
    ),
    (
        "VM exceeded at the root: two Imaging Measurements containers (TID 1500 row 6, VM 1)",
        lambda ds: ds.ContentSequence.append(copy.deepcopy(ds.ContentSequence[4])),
        [("error", "template-vm", "", "PS3.16 2024c TID 1500 row 6")],
    ),
    (
        "code outside a non-extensible CID: Laterality (DCID 244) of a finding site",
        _append(
            (4, 0, 4),
            item(
                "CODE",
                FINDING_SITE,
                "HAS CONCEPT MOD",
                [item("CODE", LATERALITY, "HAS CONCEPT MOD", code=("99", "99X", "Sideways"))],
                code=("39607008", "SCT", "Lung"),
            ),
        ),
        [
            (
                "error",
                "template-code",
                f"{GROUP_PATH}.ContentSequence[4].ContentSequence[0].ContentSequence[0]",
                "PS3.16 2024c TID 1419 row 10",
            )
        ],
    ),
    (
        "code outside a non-extensible CID that decides a condition: Observer Type (DCID 270) "
        "— and the device identification is then present against its IFF",
        _value((1,), ("99", "99X", "A robot")),
        [
            ("error", "template-code", "ContentSequence[1]", "PS3.16 2024c TID 1002 row 1"),
            ("error", "template-not-allowed", "", "PS3.16 2024c TID 1002 row 3"),
        ],
    ),
    (
        "code outside an extensible DCID: a document title not in DCID 7021 — a warning",
        _set((), ConceptNameCodeSequence=[code_item(("99R", "99X", "My report"))]),
        [("warning", "template-code", "", "PS3.16 2024c TID 1500 row 1")],
    ),
    (
        "code outside a BCID: Procedure reported (BCID 100) — no finding",
        _value((3,), ("12345", "99X", "Anything")),
        [],
    ),
    (
        "EV concept name: a retired SNOMED RT spelling of Finding Site is accepted with a warning",
        _append(
            (4, 0, 4),
            item(
                "CODE",
                ("G-C0E3", "SRT", "Finding Site"),
                "HAS CONCEPT MOD",
                code=("39607008", "SCT", "Lung"),
            ),
        ),
        [
            (
                "warning",
                "template-code",
                f"{GROUP_PATH}.ContentSequence[4].ContentSequence[0]",
                "PS3.16 2024c TID 1419 row 9",
            )
        ],
    ),
    (
        "an extension of an extensible template: a Device Observer Name (TID 1004 row 2) — no "
        "finding",
        _append((), item("TEXT", ("121013", DCM, "Device Observer Name"), "HAS OBS CONTEXT")),
        [],
    ),
]


@pytest.mark.parametrize(("why", "change", "expected"), CASES, ids=[c[0][:50] for c in CASES])
def test_each_broken_row_gives_its_finding(
    why: str, change: Callable[[Dataset], None], expected: list[tuple[str, str, str, str]] | None
) -> None:
    got = problems(mutate(change))
    if expected is not None:
        assert got == expected, why
    else:
        assert got, why


def planar_group() -> Dataset:
    """A TID 1410 group on its own (the root of the tree is the group's container)."""
    g = measurement_group()
    del g.RelationshipType
    return g


GROUP_CASES: list[tuple[str, Callable[[Dataset], None], list[tuple[str, str, str, str]]]] = [
    (
        "IFF false but present: a source image for segmentation with no segmentation "
        "reference (TID 1410 row 8, IFF Row 7)",
        lambda g: g.ContentSequence.append(
            item("IMAGE", ("121233", DCM, "Source image for segmentation"), "CONTAINS")
        ),
        [("error", "template-not-allowed", "", "PS3.16 2024c TID 1410 row 8")],
    ),
    (
        "wrong graphic type: a MULTIPOINT image region (TID 1410 row 5: not {MULTIPOINT})",
        lambda g: setattr(g.ContentSequence[3], "GraphicType", "MULTIPOINT"),
        [("error", "template-graphic-type", "ContentSequence[3]", "PS3.16 2024c TID 1410 row 5")],
    ),
    (
        "XOR violated: an image region and a referenced segmentation frame (TID 1410 rows 5, 7; "
        "row 8 is then required by its IFF)",
        lambda g: g.ContentSequence.append(
            item("IMAGE", ("121214", DCM, "Referenced Segmentation Frame"), "CONTAINS")
        ),
        [
            ("error", "template-condition", "", "PS3.16 2024c TID 1410 row 5"),
            ("error", "template-missing", "", "PS3.16 2024c TID 1410 row 8"),
        ],
    ),
    (
        "XOR with MC: none of the region rows 5, 7, 7b, 8b (TID 1410)",
        lambda g: g.ContentSequence.__delitem__(3),
        [("error", "template-missing", "", "PS3.16 2024c TID 1410 row 5")],
    ),
    (
        "wrong relationship mode: Finding given by reference (TID 1410 row 3b is by value)",
        lambda g: g.ContentSequence.__setitem__(2, by_reference("CONTAINS", [1, 1])),
        [("error", "template-row", "ContentSequence[2]", "PS3.16 2024c TID 1410 row 2")],
    ),
    (
        "a by-reference item pointing nowhere",
        lambda g: g.ContentSequence.append(by_reference("CONTAINS", [1, 40])),
        [("error", "template-reference", "ContentSequence[5]", "")],
    ),
]


def by_reference(rel: str, ident: list[int]) -> Dataset:
    ds = Dataset()
    ds.RelationshipType = rel
    ds.ReferencedContentItemIdentifier = ident
    return ds


def test_the_planar_roi_group_alone_is_clean() -> None:
    assert problems(planar_group(), "1410") == []


@pytest.mark.parametrize(
    ("why", "change", "expected"), GROUP_CASES, ids=[c[0][:50] for c in GROUP_CASES]
)
def test_rows_of_tid_1410(
    why: str, change: Callable[[Dataset], None], expected: list[tuple[str, str, str, str]]
) -> None:
    g = planar_group()
    change(g)
    assert problems(g, "1410") == expected, why


# -- other root templates ------------------------------------------------------------------
def key_objects(
    title: Code = ("113000", DCM, "Of Interest"), extra: list[Dataset] | None = None
) -> Dataset:
    """TID 2010 Key Object Selection: a title of DCID 7010 and one selected image."""
    return document(
        title,
        [
            item("TEXT", ("113012", DCM, "Key Object Description"), "CONTAINS", text="why"),
            item("IMAGE", None, "CONTAINS"),
            *(extra or []),
        ],
        None,  # KOS documents seldom name their template: inferred from the title
    )


def diagnostic_report() -> Dataset:
    """TID 2000 Basic Diagnostic Imaging Report: language, observer, one finding section."""
    return document(
        ("18748-4", "LN", "Diagnostic Imaging Report"),
        [
            item("CODE", LANGUAGE, "HAS CONCEPT MOD", code=("en", "RFC5646", "English")),
            item("CODE", OBSERVER_TYPE, "HAS OBS CONTEXT", code=DEVICE),
            item("UIDREF", DEVICE_UID, "HAS OBS CONTEXT", uid="1.2.826.0.1.3680043.10.511.3"),
            item(
                "CONTAINER",
                ("121070", DCM, "Findings"),
                "CONTAINS",
                [item("TEXT", ("121071", DCM, "Finding"), "CONTAINS", text="normal")],
            ),
        ],
        "2000",
    )


DIOPTERS = ("[diop]", "UCUM", "diopters")


def spectacle_prescription() -> Dataset:
    """TID 2020 Spectacle Prescription Report: a right eye with sphere, cylinder and axis."""
    return document(
        ("111671", DCM, "Spectacle Prescription Report"),
        [
            item(
                "CONTAINER",
                ("111688", DCM, "Right Eye Rx"),
                "CONTAINS",
                [
                    item("NUM", ("251795007", "SCT", "Sphere"), "CONTAINS", units=DIOPTERS),
                    item("NUM", ("251797004", "SCT", "Cylinder Power"), "CONTAINS", units=DIOPTERS),
                    item(
                        "NUM",
                        ("251799001", "SCT", "Axis"),
                        "CONTAINS",
                        units=("deg", "UCUM", "deg"),
                    ),
                ],
            ),
        ],
        "2020",
    )


MACULAR = [
    ("57108-3", "um"),
    ("57109-1", "um"),
    ("57110-9", "um"),
    ("57111-7", "um"),
    ("57112-5", "um"),
    ("57113-3", "um"),
    ("57114-1", "um"),
    ("57115-8", "um"),
    ("57116-6", "um"),
    ("57117-4", "um"),
    ("57118-2", "mm3"),
]


def macular_report() -> Dataset:
    """TID 2100 Macular Grid Thickness and Volume Report with one TID 2101 measurement set."""
    algorithm = [
        item("TEXT", ("111001", DCM, "Algorithm Name"), "HAS OBS CONTEXT", text="grid"),
        item("TEXT", ("111003", DCM, "Algorithm Version"), "HAS OBS CONTEXT", text="1"),
        item("TEXT", ("122405", DCM, "Algorithm Manufacturer"), "HAS OBS CONTEXT", text="x"),
    ]
    findings = item(
        "CONTAINER",
        ("59776-5", "LN", "Findings"),
        "CONTAINS",
        [
            item(
                "CODE",
                FINDING_SITE,
                "HAS CONCEPT MOD",
                [item("CODE", LATERALITY, "HAS CONCEPT MOD", code=("24028007", "SCT", "Right"))],
                code=("81745001", "SCT", "Eye"),
            ),
            *(
                item("NUM", (v, "LN", "thickness"), "CONTAINS", units=(u, "UCUM", u))
                for v, u in MACULAR
            ),
            item(
                "NUM",
                ("111691", DCM, "Number of Images Used for Macular Measurements"),
                "CONTAINS",
                units=("{images}", "UCUM", "images"),
            ),
            item(
                "NUM",
                ("111692", DCM, "Number of Samples Used per Image"),
                "CONTAINS",
                units=("{samples}", "UCUM", "samples"),
            ),
            item(
                "NUM",
                ("111693", DCM, "Analysis Quality Rating"),
                "CONTAINS",
                copy.deepcopy(algorithm),
                units=("{0:100}", "UCUM", "range:0:100"),
            ),
            item(
                "NUM",
                ("111694", DCM, "Image Set Quality Rating"),
                "CONTAINS",
                copy.deepcopy(algorithm),
                units=("{0:100}", "UCUM", "range:0:100"),
            ),
        ],
    )
    return document(
        ("111690", DCM, "Macular Grid Thickness and Volume Report"),
        [
            item("CODE", LANGUAGE, "HAS CONCEPT MOD", code=("en", "RFC5646", "English")),
            item("CODE", OBSERVER_TYPE, "HAS OBS CONTEXT", code=DEVICE),
            item("UIDREF", DEVICE_UID, "HAS OBS CONTEXT", uid="1.2.826.0.1.3680043.10.511.4"),
            findings,
        ],
        "2100",
    )


def test_clean_documents_of_five_root_templates() -> None:
    for ds in (
        report(),
        key_objects(),
        diagnostic_report(),
        spectacle_prescription(),
        macular_report(),
    ):
        assert problems(ds) == [], ds.ConceptNameCodeSequence[0].CodeMeaning


def measured(value: str, units: Code) -> Dataset:
    mv = Dataset()
    mv.NumericValue = value
    mv.MeasurementUnitsCodeSequence = [code_item(units)]
    return mv


def _kos_best_in_set(ds: Dataset) -> None:
    ds.ConceptNameCodeSequence = [code_item(("113013", DCM, "Best In Set"))]


OTHER_ROOTS: list[
    tuple[str, Callable[[], Dataset], Callable[[Dataset], None], list[tuple[str, str, str, str]]]
] = [
    (
        "TID 2010: no image, waveform or composite selected (rows 8, 9, 10: at least one)",
        key_objects,
        lambda ds: ds.ContentSequence.__delitem__(1),
        [("error", "template-condition", "", "PS3.16 2024c TID 2010 row 8")],
    ),
    (
        "TID 2010 is not extensible: a TEXT no row admits",
        key_objects,
        _append((), item("TEXT", ("121106", DCM, "Comment"), "CONTAINS")),
        [("error", "template-not-allowed", "ContentSequence[2]", "")],
    ),
    (
        "TID 2010 row 4: Best In Set requires its Document Title Modifier (MC, IF Row 1 Concept "
        "Name = Best In Set)",
        key_objects,
        _kos_best_in_set,
        [("error", "template-missing", "", "PS3.16 2024c TID 2010 row 4")],
    ),
    (
        "TID 2000 row 5: Language (INCLUDE TID 1204, M) absent",
        diagnostic_report,
        _drop((), 0),
        [("error", "template-missing", "", "PS3.16 2024c TID 2000 row 5")],
    ),
    (
        "TID 2021 units: a Sphere in mm (UNITS = EV [diop])",
        spectacle_prescription,
        _set((0, 0), MeasuredValueSequence=[measured("1.5", ("mm", "UCUM", "mm"))]),
        [
            (
                "error",
                "template-units",
                "ContentSequence[0].ContentSequence[0]",
                "PS3.16 2024c TID 2021 row 1",
            )
        ],
    ),
    (
        "TID 2021 row 3: a Cylinder Power without its Axis (MC, IF Row 2 is present)",
        spectacle_prescription,
        _drop((0,), 2),
        [("error", "template-missing", "ContentSequence[0]", "PS3.16 2024c TID 2021 row 3")],
    ),
    (
        "TID 2101 row 2: the finding site is not EV (81745001, SCT, Eye)",
        macular_report,
        _value((3, 0), ("39607008", "SCT", "Lung")),
        [
            (
                "error",
                "template-code",
                "ContentSequence[3].ContentSequence[0]",
                "PS3.16 2024c TID 2101 row 2",
            )
        ],
    ),
    (
        "TID 2101 row 18: the quality rating's algorithm (INCLUDE TID 2102, M) absent",
        macular_report,
        lambda ds: delattr(at(ds, 3, 14), "ContentSequence"),
        [
            (
                "error",
                "template-missing",
                "ContentSequence[3].ContentSequence[14]",
                "PS3.16 2024c TID 2101 row 18",
            )
        ],
    ),
]


@pytest.mark.parametrize(
    ("why", "make", "change", "expected"), OTHER_ROOTS, ids=[c[0][:50] for c in OTHER_ROOTS]
)
def test_rows_of_other_root_templates(
    why: str,
    make: Callable[[], Dataset],
    change: Callable[[Dataset], None],
    expected: list[tuple[str, str, str, str]],
) -> None:
    ds = make()
    change(ds)
    assert problems(ds) == expected, why


def test_malformed_trees_give_findings_never_a_traceback() -> None:
    import iodkit
    from pydicom.uid import generate_uid

    ds = report()
    group = at(ds, 4, 0)
    del group.ContentSequence[0].ValueType  # an item without a value type
    group.ContentSequence[1].ConceptNameCodeSequence = []  # a concept name with no item
    group.ContentSequence[2].ConceptCodeSequence[0].CodeValue = ""  # a code without a value
    # a by-reference item pointing at its own ancestor (a cycle), and one pointing nowhere
    group.ContentSequence.append(by_reference("CONTAINS", [1, 5, 1]))
    group.ContentSequence.append(by_reference("CONTAINS", [0]))
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.88.22"  # Enhanced SR
    ds.SOPInstanceUID = generate_uid()
    findings = iodkit.validate(ds)
    assert not any("validation stopped" in f.message for f in findings)
    template = [f for f in findings if f.code.startswith("template")]
    assert any(f.code == "template-reference" for f in template)
    # the template pass reports what it can and says where
    assert all(f.path.startswith(GROUP_PATH) or f.path == "" for f in template)


def test_truncated_sr_files_give_findings(tmp_path: Any) -> None:
    import iodkit
    from pydicom.dataset import FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    ds = report()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.88.22"
    ds.SOPInstanceUID = generate_uid()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    path = tmp_path / "sr.dcm"
    ds.save_as(path, enforce_file_format=True)
    data = path.read_bytes()
    for cut in range(200, len(data), max(1, len(data) // 25)):
        (tmp_path / "cut.dcm").write_bytes(data[:cut])
        findings = iodkit.validate(tmp_path / "cut.dcm")
        assert findings, cut
        assert not any("validation stopped" in f.message for f in findings), cut


def test_template_rules_hold_every_row_of_the_spec() -> None:
    """generated/rules/templates has a module per template with rows, and a rule row for each
    row of the YAML spec, in order, with its requirement (read from the YAML's lines: parsing
    2.5 MB of YAML would cost the suite seconds)."""
    import re
    from pathlib import Path

    from iodkit.validation.template_book import template_book

    spec = Path(__file__).resolve().parent.parent / "generated" / "spec" / "templates"
    book = template_book()
    total = 0
    for path in spec.glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        labels = re.findall(r'^  - row: "?([^"\n]+)"?$', text, re.M)
        requirements = re.findall(r"^    requirement: (\w+)$", text, re.M)
        t = book.get(path.stem)
        if not labels:
            assert t is None  # the two retired templates keep only their title
            continue
        assert t is not None, path.stem
        assert [r.row for r in t.rows] == labels
        assert [r.requirement for r in t.rows] == requirements
        total += len(labels)
    assert total == 4280
    assert len(book.modules) == 410 and len(book.roots) == 34


def test_a_group_that_names_its_template_is_checked_against_it() -> None:
    """A CONTAINER's own Content Template Sequence decides between equal rows: a MULTIPOINT
    image region is an error in a group that says it is TID 1410 (row 5: not {MULTIPOINT}),
    while an unnamed group conforms as TID 1501; a group naming a template it does not fit
    is reported."""
    named = Dataset()
    named.MappingResource, named.TemplateIdentifier = "DCMR", "1410"

    def multipoint(ds: Dataset, tid: Dataset | None) -> Dataset:
        group = at(ds, 4, 0)
        group.ContentSequence[3].GraphicType = "MULTIPOINT"
        if tid is not None:
            group.ContentTemplateSequence = [tid]
        return ds

    assert problems(multipoint(report(), None)) == []
    assert problems(multipoint(report(), named)) == [
        (
            "error",
            "template-graphic-type",
            f"{GROUP_PATH}.ContentSequence[3]",
            "PS3.16 2024c TID 1410 row 5",
        )
    ]
    wrong = Dataset()
    wrong.MappingResource, wrong.TemplateIdentifier = "DCMR", "1420"
    ds = report()
    at(ds, 4, 0).ContentTemplateSequence = [wrong]
    assert problems(ds) == [("warning", "template", GROUP_PATH, "PS3.16 2024c TID 1410 row 1")]


def volumetric_group(*extra: Dataset) -> Dataset:
    """A TID 1411 group referencing a segment of a Segmentation, with its source series."""
    return item(
        "CONTAINER",
        GROUP,
        None,
        [
            item("TEXT", TRACKING_ID, "HAS OBS CONTEXT", text="liver"),
            item("UIDREF", TRACKING_UID, "HAS OBS CONTEXT", uid="1.2.826.0.1.3680043.10.511.5"),
            item(
                "IMAGE",
                ("121191", DCM, "Referenced Segment"),
                "CONTAINS",
                sop_class="1.2.840.10008.5.1.4.1.1.66.4",
            ),
            *extra,
            item("NUM", ("118565006", "SCT", "Volume"), "CONTAINS", units=("mm3", "UCUM", "mm3")),
        ],
    )


SOURCE_SERIES = item(
    "UIDREF", ("121232", DCM, "Source series for segmentation"), "CONTAINS", uid="1.2.3.4.5"
)
SOURCE_IMAGE = item("IMAGE", ("121233", DCM, "Source image for segmentation"), "CONTAINS")


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ([SOURCE_SERIES], []),
        ([SOURCE_IMAGE], []),
        ([], [("error", "template-missing", "", "PS3.16 2024c TID 1411 row 11")]),
        (
            [SOURCE_IMAGE, SOURCE_SERIES],
            [("error", "template-condition", "", "PS3.16 2024c TID 1411 row 11")],
        ),
    ],
    ids=["source series", "source image", "neither", "both"],
)
def test_xor_governed_by_iff_tid_1411_rows_11_12(
    extra: list[Dataset], expected: list[tuple[str, str, str, str]]
) -> None:
    """TID 1411 rows 11 and 12: "XOR Row 12 and IFF (Row 7 or Row 10)" — with a referenced
    segment (row 7), one of the source image(s) and the source series is required, not both,
    and each alone is enough."""
    assert problems(volumetric_group(*copy.deepcopy(extra)), "1411") == expected

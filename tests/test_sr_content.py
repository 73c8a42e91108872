"""SR content items: the direct encoder writes what pydicom reads back element by element, the
raw decoder reads back what was encoded (every value type), and reads third-party SR files to
the same tree pydicom's own parse gives."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pydicom
import pytest
from iodkit.codes import Code
from iodkit.derived.itemcodec import raw_sequence_element
from iodkit.sr.content import (
    ContentError,
    ContentItem,
    Numeric,
    Reference,
    Scoord,
    Scoord3D,
    Tcoord,
    as_code,
    same_concept,
)
from iodkit.sr.decode import content_sequence_bytes, decode_content
from iodkit.sr.encode import Encoder, format_ds
from pydicom.dataset import Dataset

MM = Code("mm", "UCUM", "millimeter")
CT = "1.2.840.10008.5.1.4.1.1.2"


def every_value_type() -> ContentItem:
    image = Reference(CT, "1.2.3.4", frame_numbers=(1, 3))
    seg = Reference("1.2.840.10008.5.1.4.1.1.66.4", "1.2.3.5", segment_numbers=(2,))
    kids = [
        ContentItem(
            "TEXT",
            Code("112039", "DCM", "Tracking Identifier"),
            "Läsion 1",
            relationship="HAS OBS CONTEXT",
        ),
        ContentItem(
            "UIDREF",
            Code("112040", "DCM", "Tracking Unique Identifier"),
            "1.2.3.4.5",
            relationship="HAS OBS CONTEXT",
            observation_uid="2.25.1",
        ),
        ContentItem(
            "CODE",
            Code("121071", "DCM", "Finding"),
            Code("27925004", "SCT", "Nodule"),
            relationship="CONTAINS",
        ),
        ContentItem(
            "NUM", Code("410668003", "SCT", "Length"), Numeric(1 / 3, MM), relationship="CONTAINS"
        ),
        ContentItem(
            "NUM", Code("410668003", "SCT", "Length"), Numeric(12, MM), relationship="CONTAINS"
        ),
        ContentItem(
            "NUM",
            Code("410668003", "SCT", "Length"),
            Numeric(None, None, Code("114006", "DCM", "Measurement failure")),
            relationship="CONTAINS",
        ),
        ContentItem(
            "PNAME",
            Code("121008", "DCM", "Person Observer Name"),
            "Doe^Jane",
            relationship="HAS OBS CONTEXT",
        ),
        ContentItem(
            "DATE", Code("111060", "DCM", "Study Date"), "20240131", relationship="HAS ACQ CONTEXT"
        ),
        ContentItem(
            "TIME", Code("111061", "DCM", "Study Time"), "101112", relationship="HAS ACQ CONTEXT"
        ),
        ContentItem(
            "DATETIME",
            Code("111526", "DCM", "DateTime Started"),
            "20240131101112",
            relationship="CONTAINS",
            observation_datetime="20240131101113",
        ),
        ContentItem(
            "SCOORD",
            Code("111030", "DCM", "Image Region"),
            Scoord("POLYLINE", [[1.5, 2], [3, 4], [5, 6.25]]),
            relationship="CONTAINS",
            children=[ContentItem("IMAGE", None, image, relationship="SELECTED FROM")],
        ),
        ContentItem(
            "SCOORD3D",
            Code("111030", "DCM", "Image Region"),
            Scoord3D("POINT", [1, 2, 3], "1.2.3.9"),
            relationship="CONTAINS",
        ),
        ContentItem(
            "IMAGE", Code("121191", "DCM", "Referenced Segment"), seg, relationship="CONTAINS"
        ),
        ContentItem(
            "COMPOSITE",
            Code("126100", "DCM", "Real World Value Map used for measurement"),
            Reference("1.2.840.10008.5.1.4.1.1.67", "1.2.3.6"),
            relationship="CONTAINS",
        ),
        ContentItem(
            "TCOORD",
            Code("121230", "DCM", "Path Vertex"),
            Tcoord("POINT", time_offsets=(0.5,)),
            relationship="CONTAINS",
        ),
        ContentItem.by_reference("INFERRED FROM", (1, 4)),
    ]
    return ContentItem.container(
        Code("125007", "DCM", "Measurement Group"), kids, relationship="CONTAINS", template="1410"
    )


def as_dataset(raw: bytes) -> Dataset:
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds[0x0040A730] = raw_sequence_element(0x0040A730, raw)
    return ds


def test_round_trip_every_value_type() -> None:
    tree = every_value_type()
    encoder = Encoder()
    raw = encoder.items([tree])
    assert encoder.utf8  # "Läsion" needs more than ASCII
    back = decode_content(raw, specific_character_set="ISO_IR 192")
    assert back == [tree]
    assert back[0].template == "1410"


def test_pydicom_reads_the_encoded_elements() -> None:
    ds = as_dataset(Encoder().items([every_value_type()]))
    group = ds.ContentSequence[0]
    assert group.ContentTemplateSequence[0].TemplateIdentifier == "1410"
    assert group.ContentTemplateSequence[0].MappingResource == "DCMR"
    items = group.ContentSequence
    assert items[0].TextValue == "Läsion 1"
    assert items[1].UID == "1.2.3.4.5" and items[1].ObservationUID == "2.25.1"
    assert items[2].ConceptCodeSequence[0].CodeValue == "27925004"
    third = items[3].MeasuredValueSequence[0]
    assert third.NumericValue == pytest.approx(1 / 3)
    assert third.FloatingPointValue == 1 / 3  # DS cannot hold it exactly (PS3.3 C.18.1)
    assert "FloatingPointValue" not in items[4].MeasuredValueSequence[0]
    assert len(items[5].MeasuredValueSequence) == 0
    assert items[5].NumericValueQualifierCodeSequence[0].CodeValue == "114006"
    assert str(items[6].PersonName) == "Doe^Jane"
    assert items[9].ObservationDateTime == "20240131101113"
    scoord = items[10]
    assert scoord.GraphicType == "POLYLINE"
    assert list(scoord.GraphicData) == [1.5, 2, 3, 4, 5, 6.25]
    ref = scoord.ContentSequence[0].ReferencedSOPSequence[0]
    assert list(ref.ReferencedFrameNumber) == [1, 3]
    assert items[11].ReferencedFrameOfReferenceUID == "1.2.3.9"
    assert items[12].ReferencedSOPSequence[0].ReferencedSegmentNumber == 2
    assert items[14].ReferencedTimeOffsets == 0.5
    assert list(items[15].ReferencedContentItemIdentifier) == [1, 4]
    # pydicom writes it and reads it back to the same elements
    buffer = io.BytesIO()
    ds.file_meta = pydicom.dataset.FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = pydicom.uid.ExplicitVRLittleEndian
    pydicom.dcmwrite(buffer, ds, enforce_file_format=False)
    again = pydicom.dcmread(io.BytesIO(buffer.getvalue()), force=True)
    assert again.ContentSequence[0].ContentSequence[3].MeasuredValueSequence[
        0
    ].NumericValue == pytest.approx(1 / 3)


def test_a_decoded_pydicom_sequence_reads_the_same() -> None:
    tree = every_value_type()
    ds = as_dataset(Encoder().items([tree]))
    _ = ds.ContentSequence[0].ContentSequence  # make pydicom decode it
    raw, implicit = content_sequence_bytes(ds)  # type: ignore[misc]
    assert decode_content(raw, implicit_vr=implicit, specific_character_set="ISO_IR 192") == [tree]


@pytest.mark.parametrize(
    ("value", "text", "exact"),
    [
        (1.0, "1.0", True),
        (12, "12", True),
        (-0.25, "-0.25", True),
        (1e-20, "1e-20", True),
        (1 / 3, "0.33333333333333", False),
        (123456789.123456789, "123456789.123457", False),
    ],
)
def test_decimal_strings(value: float, text: str, exact: bool) -> None:
    assert format_ds(value) == (text, exact)
    assert len(format_ds(value)[0]) <= 16


def test_bad_items_are_refused_with_their_reason() -> None:
    with pytest.raises(ContentError, match="needs its units"):
        Numeric(3.0, None)
    with pytest.raises(ContentError, match="qualifier"):
        Numeric(None)
    with pytest.raises(ContentError, match="not the string 'Lung'"):
        as_code("Lung", "finding_site")
    with pytest.raises(ContentError, match="must be a Code"):
        ContentItem("CODE", Code("121071", "DCM", "Finding"), "Nodule", relationship="CONTAINS")
    with pytest.raises(ContentError, match="ELLIPSE cannot have 3 points"):
        Scoord("ELLIPSE", [[0, 0], [1, 1], [2, 2]])
    with pytest.raises(ContentError, match="Relationship Type"):
        ContentItem("TEXT", Code("1", "99X", "x"), "y", relationship="HAS CHILD")
    with pytest.raises(ContentError, match="not a UID"):
        Encoder().items(
            [
                ContentItem(
                    "UIDREF",
                    Code("112040", "DCM", "Tracking Unique Identifier"),
                    "1.2.x",
                    relationship="CONTAINS",
                )
            ]
        )
    huge = Scoord("POLYLINE", np.zeros((9000, 2)))
    with pytest.raises(ContentError, match="Graphic Data"):
        Encoder().items([ContentItem("SCOORD", None, huge, relationship="CONTAINS")])


def test_concepts_match_across_snomed_spellings() -> None:
    assert same_concept(Code("T-28000", "SRT", "Lung"), Code("39607008", "SCT", "lung"))
    assert not same_concept(Code("39607008", "SCT", "Lung"), Code("39607008", "DCM", "Lung"))


def _pydicom_tree(items: list[Dataset]) -> list[tuple]:
    """An independent reading of a content tree: pydicom's Datasets, walked here."""
    out = []
    for it in items:
        vt = it.get("ValueType")
        name = it.ConceptNameCodeSequence[0].CodeValue if "ConceptNameCodeSequence" in it else None
        value: object = None
        if vt == "CODE":
            value = it.ConceptCodeSequence[0].CodeValue
        elif vt == "NUM" and it.get("MeasuredValueSequence"):
            mv = it.MeasuredValueSequence[0]  # Floating Point Value when there is one (C.18.1)
            value = float(mv.get("FloatingPointValue", mv.NumericValue))
        elif vt == "TEXT":
            value = it.TextValue
        elif vt == "UIDREF":
            value = it.UID
        elif vt in ("IMAGE", "COMPOSITE"):
            value = it.ReferencedSOPSequence[0].ReferencedSOPInstanceUID
        elif vt in ("SCOORD", "SCOORD3D"):
            value = (it.GraphicType, tuple(np.float32(v) for v in it.GraphicData))
        kids = _pydicom_tree(it.ContentSequence) if "ContentSequence" in it else []
        out.append((it.get("RelationshipType"), vt, name, value, kids))
    return out


def _our_tree(items: list[ContentItem]) -> list[tuple]:
    out = []
    for it in items:
        v = it.value
        value: object = None
        if it.value_type == "CODE":
            value = v.value
        elif it.value_type == "NUM" and v.value is not None:
            value = float(v.value)
        elif it.value_type in ("TEXT", "UIDREF"):
            value = v
        elif it.value_type in ("IMAGE", "COMPOSITE"):
            value = v.sop_instance_uid
        elif it.value_type in ("SCOORD", "SCOORD3D"):
            value = (v.graphic_type, tuple(v.data.ravel()))
        name = it.name.value if it.name is not None else None
        out.append((it.relationship, it.value_type, name, value, _our_tree(it.children)))
    return out


@pytest.mark.parametrize(
    "name",
    [
        "highdicom/sr_document.dcm",
        "highdicom/sr_document_with_multiple_groups.dcm",
        "dcmqi/sr-example_sr.dcm",
    ],
)
def test_third_party_trees_read_as_pydicom_reads_them(testdata: Path, name: str) -> None:
    path = testdata / name
    if not path.exists():
        pytest.skip(f"{path} not found")
    ds = pydicom.dcmread(path)
    raw, implicit = content_sequence_bytes(ds)  # type: ignore[misc]
    ours = decode_content(
        raw, implicit_vr=implicit, specific_character_set=ds.get("SpecificCharacterSet")
    )
    theirs = _pydicom_tree(list(pydicom.dcmread(path).ContentSequence))
    assert _our_tree(ours) == theirs

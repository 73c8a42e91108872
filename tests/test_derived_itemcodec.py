"""The stamped per-frame items decode to exactly what the builders made, in both VR encodings,
and the raw item parser reads what pydicom reads."""

from __future__ import annotations

import io

import numpy as np
import pydicom
import pytest
from iodkit.derived import rawitems
from iodkit.derived.itemcodec import ItemTemplate, binary_values, raw_sequence_element, text_values
from iodkit.generated.iods import SegmentationIOD
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian

FG = SegmentationIOD.FunctionalGroups
SLOTS = [
    (0x00209111, 0x00209157),
    (0x00209113, 0x00200032),
    (0x00089124, 0x00082112, 0x00081155),
    (0x00089124, 0x00082112, 0x00081160),
    (0x0062000A, 0x0062000B),
]


def frame_item(k: int) -> FG:
    return FG(
        frame_content_sequence=[{"dimension_index_values": [k % 3 + 1, k + 1]}],
        plane_position_sequence=[{"image_position_patient": ["-1.5", "2", f"{k * 2.5:g}"]}],
        derivation_image_sequence=[
            {
                "derivation_code_sequence": [
                    {
                        "code_value": "113076",
                        "coding_scheme_designator": "DCM",
                        "code_meaning": "Segmentation",
                    }
                ],
                "source_image_sequence": [
                    {
                        "referenced_sop_class_uid": "1.2.840.10008.5.1.4.1.1.4.1",
                        "referenced_sop_instance_uid": f"1.2.3.{k}",
                        "referenced_frame_number": [k + 1],
                        "spatial_locations_preserved": "YES",
                    }
                ],
            }
        ],
        segment_identification_sequence=[{"referenced_segment_number": k % 3 + 1}],
    )


@pytest.mark.parametrize("implicit", [False, True], ids=["explicit", "implicit"])
def test_stamped_items_equal_builder_items(implicit: bool) -> None:
    n = 7
    template = ItemTemplate(frame_item(0).to_dataset(fill_type2=False), SLOTS, implicit_vr=implicit)
    encoded = template.encode(
        [
            binary_values(np.array([[k % 3 + 1, k + 1] for k in range(n)]), "UL"),
            text_values([["-1.5", "2", f"{k * 2.5:g}"] for k in range(n)], vr="DS"),
            text_values([f"1.2.3.{k}" for k in range(n)], vr="UI"),
            text_values([str(k + 1) for k in range(n)], vr="IS"),
            binary_values(np.array([k % 3 + 1 for k in range(n)]), "US"),
        ]
    )
    ds = Dataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.66.4"
    ds.SOPInstanceUID = "1.2.3"
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian if implicit else ExplicitVRLittleEndian
    ds[0x52009230] = raw_sequence_element(0x52009230, encoded, implicit_vr=implicit)
    ds.set_original_encoding(implicit, True, ds._character_set)
    buffer = io.BytesIO()
    pydicom.dcmwrite(buffer, ds, enforce_file_format=True)
    read = pydicom.dcmread(io.BytesIO(buffer.getvalue())).PerFrameFunctionalGroupsSequence
    assert len(read) == n
    for k, item in enumerate(read):
        assert item == frame_item(k).to_dataset(fill_type2=False)
    parsed = rawitems.parse_items(encoded, implicit)
    assert [rawitems.integers(p[0x00209111][0][0x00209157], "UL") for p in parsed] == [
        [k % 3 + 1, k + 1] for k in range(n)
    ]
    assert [rawitems.text(p[0x00089124][0][0x00082112][0][0x00081155])[0] for p in parsed] == [
        f"1.2.3.{k}" for k in range(n)
    ]


def test_template_needs_every_slot() -> None:
    with pytest.raises(KeyError, match="no element at slot"):
        ItemTemplate(
            FG(frame_content_sequence=[{"dimension_index_values": [1]}]).to_dataset(
                fill_type2=False
            ),
            [(0x00209113, 0x00200032)],
        )

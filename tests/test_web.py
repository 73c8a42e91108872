"""DICOMweb against a real Orthanc: store, search, retrieve, lazy frames, the fallbacks.

Every object type iodkit writes goes through the same round trip (the table ``OBJECTS``: one
line per type): store it (STOW-RS), find it by study, series and modality (QIDO-RS), retrieve it
(WADO-RS) — every attribute equal and the pixel data byte-identical. Frame reads of a tiled
Segmentation fetch exactly the frames asked for, counted on the client's requests.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import pytest
from iodkit.web.address import AddressError, parse_address
from iodkit.web.dicomjson import dataset_from_json, dataset_to_json_line, iter_dicom_json
from pydicom.dataset import Dataset
from pydicom.uid import generate_uid

from tests import orthanc as orthanc_process

pytest.importorskip(
    "dicomweb_client", reason="dicomweb-client is not installed: pip install 'iodkit[web]'"
)


# -- objects iodkit writes: one line per type --------------------------------------------------


def _ct(rows: int = 32, columns: int = 32, slices: int = 4) -> list[Dataset]:
    from iodkit.seg.synthetic import ct_series

    return ct_series(slices, rows, columns)  # fresh UIDs on every call


def _segmentation(segmentation_type: str, rows: int = 32, columns: int = 32) -> Dataset:
    from iodkit.codes import cid7150, cid7166
    from iodkit.seg import AlgorithmIdentification, Segmentation, SegmentDescription

    series = _ct(rows, columns)
    mask = np.zeros((len(series), rows, columns), dtype=np.uint8)
    mask[1:3, 4:20, 6:24] = 1
    mask[2:4, 10:14, 2:8] = 2
    algorithm = AlgorithmIdentification("threshold", "1.0")
    segments = [
        SegmentDescription(1, "bone", cid7150.TISSUE, cid7166.BONE, algorithm=algorithm),
        SegmentDescription(2, "more bone", cid7150.TISSUE, cid7166.BONE, algorithm=algorithm),
    ]
    pixels = mask  # labels; FRACTIONAL: one channel a segment, in halves
    if segmentation_type == "FRACTIONAL":
        pixels = np.stack([mask == 1, mask == 2], axis=-1).astype(np.float32) * 0.5
    return Segmentation(pixels, series, segments, segmentation_type=segmentation_type).to_dataset()


def _tiled_segmentation(rows: int = 24, columns: int = 24) -> Dataset:
    """A TILED_FULL BINARY Segmentation of a synthetic slide (tiles of ``rows``×``columns``)."""
    from iodkit.codes import cid7150, cid7166
    from iodkit.seg import AlgorithmIdentification, Segmentation, SegmentDescription
    from iodkit.seg.synthetic import slide_image

    slide = slide_image(96, 96, tile_size=24)
    mask = np.zeros((1, int(slide.TotalPixelMatrixRows), int(slide.TotalPixelMatrixColumns)), "u1")
    mask[0, 3:70, 7:60] = 1
    segment = SegmentDescription(
        1,
        "tissue",
        cid7150.TISSUE,
        cid7166.BONE,
        algorithm=AlgorithmIdentification("threshold", "1.0"),
    )
    return Segmentation(
        mask, [slide], [segment], segmentation_type="BINARY", tile_size=(rows, columns)
    ).to_dataset()


def _parametric_map(kind: str) -> Dataset:
    from iodkit.codes import Code, cid7203
    from iodkit.pm import ParametricMap, RealWorldValueMapping

    values = np.linspace(0, 1, 3 * 16 * 16, dtype=np.float32).reshape(3, 16, 16)
    if kind == "integer":
        values = (values * 4000).astype(np.uint16)
    mapping = RealWorldValueMapping(
        "p", "probability", Code("1", "UCUM", "no units"), slope=1.0, intercept=0.0
    )
    return ParametricMap(
        values, _ct(16, 16, 3), mapping, derivation=cid7203.SEGMENTATION
    ).to_dataset()


def _measurement_report() -> Dataset:
    from iodkit.codes import Code
    from iodkit.sr import (
        FindingSite,
        ImageRegion,
        Measurement,
        MeasurementReport,
        PlanarROIMeasurements,
        Scoord,
    )

    ct = _ct(32, 32, 3)
    nodule = PlanarROIMeasurements(
        tracking_identifier="nodule 1",
        finding_type=Code("27925004", "SCT", "Nodule"),
        finding_sites=[FindingSite(Code("39607008", "SCT", "Lung"))],
        region=ImageRegion(Scoord("POLYLINE", [[4, 4], [20, 4], [20, 20], [4, 4]]), ct[1]),
        measurements=[
            Measurement(
                Code("42798000", "SCT", "Area"), 128.0, Code("mm2", "UCUM", "square millimeter")
            )
        ],
    )
    return MeasurementReport([nodule]).to_dataset(evidence=ct)


def _key_objects() -> Dataset:
    from iodkit.sr.kos import KeyObjectSelection

    return KeyObjectSelection(_ct(8, 8, 2)).to_dataset()


def _annotations() -> Dataset:
    from iodkit.ann import AnnotationGroup, MicroscopyBulkSimpleAnnotations
    from iodkit.codes import cid7150, cid8135
    from iodkit.seg import AlgorithmIdentification
    from iodkit.seg.synthetic import slide_image

    square = np.array([[0, 0], [6, 0], [6, 6], [0, 6]], dtype=np.float32)
    points = np.concatenate([square + (20 * k, 40) for k in range(5)])
    group = AnnotationGroup(
        "nuclei",
        cid7150.TISSUE,
        cid8135.NUCLEUS,
        "POLYGON",
        points,
        np.arange(0, 21, 4),
        algorithm=AlgorithmIdentification("stardist", "0.9"),
    )
    return MicroscopyBulkSimpleAnnotations(slide_image(200, 300), [group]).to_dataset()


def _presentation_state() -> Dataset:
    from iodkit.pr import (
        GraphicAnnotation,
        GraphicLayer,
        GraphicObject,
        GrayscaleSoftcopyPresentationState,
        Window,
    )

    ct = _ct(32, 32, 3)
    circle = GraphicAnnotation(
        "FINDINGS", graphic_objects=[GraphicObject("CIRCLE", [(12, 12), (16, 12)])]
    )
    return GrayscaleSoftcopyPresentationState(
        ct, annotations=[circle], voi=Window(60, 400), layers=[GraphicLayer("FINDINGS")]
    ).to_dataset()


def _legacy_converted(modality: str = "CT") -> Dataset:
    """Legacy Converted Enhanced CT, or MR / PET from the same series as MR / PET images."""
    from iodkit.legacy import LegacyConvertedEnhancedImage

    classic = {"MR": "1.2.840.10008.5.1.4.1.1.4", "PT": "1.2.840.10008.5.1.4.1.1.128"}
    series = _ct(16, 16, 4)
    for ds in series if modality in classic else []:
        ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = classic[modality]
        ds.Modality = modality
    return LegacyConvertedEnhancedImage(series).to_dataset()


def _secondary_capture_of(pixels: np.ndarray) -> Dataset:
    from iodkit.sc import SecondaryCapture

    return SecondaryCapture(pixels, _ct(8, 8, 1)[0]).to_dataset()


def _color_presentation_state() -> Dataset:
    from iodkit.pr import ColorSoftcopyPresentationState, GraphicAnnotation, TextObject

    photo = _secondary_capture_of(np.arange(24 * 32 * 3, dtype=np.uint8).reshape(24, 32, 3))
    note = GraphicAnnotation("NOTES", text_objects=[TextObject("colour", anchor=(3, 3))])
    return ColorSoftcopyPresentationState([photo], annotations=[note]).to_dataset()


def _pseudo_color_presentation_state() -> Dataset:
    from iodkit.pr import PseudoColorSoftcopyPresentationState, Window

    ramp = np.arange(256)
    palette = np.stack([ramp, 255 - ramp, np.full(256, 128)], axis=1).astype(np.uint8)
    return PseudoColorSoftcopyPresentationState(
        _ct(16, 16, 2), palette, voi=Window(40, 400)
    ).to_dataset()


def _slide() -> Dataset:
    from iodkit.wsi import SlideImage

    rgb = np.zeros((64, 96, 3), np.uint8)
    rgb[..., 0] = np.arange(96, dtype=np.uint8)
    rgb[..., 1] = np.arange(64, dtype=np.uint8)[:, None]
    return SlideImage(rgb, tile_size=32).to_dataset()


#: name -> a function making a fresh instance of that type (add a line per new object type)
OBJECTS: dict[str, Callable[[], Dataset]] = {
    "SEG BINARY": lambda: _segmentation("BINARY"),
    "SEG FRACTIONAL": lambda: _segmentation("FRACTIONAL"),
    "SEG LABELMAP": lambda: _segmentation("LABELMAP"),
    "SEG BINARY tiled": _tiled_segmentation,
    "PM float": lambda: _parametric_map("float"),
    "PM integer": lambda: _parametric_map("integer"),
    "SR TID 1500": _measurement_report,
    "KOS": _key_objects,
    "ANN": _annotations,
    "GSPS": _presentation_state,
    "SC": lambda: _secondary_capture_of(np.arange(24 * 32, dtype=np.uint8).reshape(24, 32)),
    "SC RGB": lambda: _secondary_capture_of(np.full((24, 32, 3), (200, 60, 10), np.uint8)),
    "SC multi-frame": lambda: _secondary_capture_of(
        np.arange(3 * 24 * 32, dtype=np.uint16).reshape(3, 24, 32)
    ),
    "CSPS": _color_presentation_state,
    "PCSPS": _pseudo_color_presentation_state,
    "Legacy Converted Enhanced CT": _legacy_converted,
    "Legacy Converted Enhanced MR": lambda: _legacy_converted("MR"),
    "Legacy Converted Enhanced PET": lambda: _legacy_converted("PT"),
    "Slide image (WSI, tiled)": _slide,
}


# -- the server --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[orthanc_process.Orthanc]:
    reason = orthanc_process.missing_reason()
    if reason:
        pytest.skip(reason)
    with orthanc_process.Orthanc(tmp_path_factory.mktemp("orthanc")) as running:
        yield running


@pytest.fixture
def web(server: orthanc_process.Orthanc):  # type: ignore[no-untyped-def]
    from iodkit.web import DicomWeb

    return DicomWeb(server.dicomweb_url)


def _file_bytes(ds: Dataset) -> bytes:
    buffer = io.BytesIO()
    pydicom.dcmwrite(buffer, ds, enforce_file_format=True)
    return buffer.getvalue()


def _pixel_element(ds: Dataset) -> str | None:
    return next(
        (k for k in ("PixelData", "FloatPixelData", "DoubleFloatPixelData") if k in ds), None
    )


# -- round trips -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(OBJECTS))
def test_round_trip(web, kind: str) -> None:  # type: ignore[no-untyped-def]
    original = OBJECTS[kind]()
    stored = web.store([original])
    assert [u.instance for u in stored] == [original.SOPInstanceUID]

    study, series, sop = (
        original.StudyInstanceUID,
        original.SeriesInstanceUID,
        original.SOPInstanceUID,
    )
    assert [str(d.StudyInstanceUID) for d in web.search_studies(StudyInstanceUID=study)] == [study]
    found_series = web.search_series(study, Modality=original.Modality)
    assert [str(d.SeriesInstanceUID) for d in found_series] == [series]
    assert str(found_series[0].Modality) == original.Modality
    found = web.search_instances(study, series)
    assert [str(d.SOPInstanceUID) for d in found] == [sop]
    assert str(found[0].SOPClassUID) == original.SOPClassUID

    back = web.retrieve_instance(study, series, sop)
    keyword = _pixel_element(original)
    if keyword is not None:  # byte-identical pixel data
        assert back[keyword].value == original[keyword].value
    assert back.file_meta.TransferSyntaxUID == original.file_meta.TransferSyntaxUID
    sent = pydicom.dcmread(io.BytesIO(_file_bytes(original)))
    differing = [e.keyword or str(e.tag) for e in sent if back.get(e.tag) != e]
    differing += [e.keyword or str(e.tag) for e in back if e.tag not in sent]
    assert differing == []


def test_store_refusal_names_the_instance(web) -> None:  # type: ignore[no-untyped-def]
    from iodkit.web import DicomWebError

    ds = _ct(8, 8, 1)[0]
    del ds.SOPInstanceUID  # a server cannot index an instance without its UID
    with pytest.raises((DicomWebError, ValueError)):
        web.store([ds])


def test_store_rejects_what_is_not_dicom(web) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TypeError, match="cannot store a dict"):
        web.store([{"not": "a dataset"}])


# -- metadata ----------------------------------------------------------------------------------


def test_metadata_keeps_bulk_data_on_the_server(web) -> None:  # type: ignore[no-untyped-def]
    seg = _segmentation("BINARY")
    web.store([seg])
    (meta,) = web.retrieve_metadata(seg.StudyInstanceUID, seg.SeriesInstanceUID, seg.SOPInstanceUID)
    assert 0x7FE00010 in meta.bulk_data and meta.bulk_data[0x7FE00010].startswith(
        "http://127.0.0.1:"
    )
    assert meta.dataset.PixelData is None  # present, not fetched
    assert meta.dataset.SegmentSequence[1].SegmentLabel == "more bone"
    assert len(meta.dataset.PerFrameFunctionalGroupsSequence) == int(seg.NumberOfFrames)
    series = web.retrieve_metadata(seg.StudyInstanceUID, seg.SeriesInstanceUID)
    assert [m.sop_instance_uid for m in series] == [seg.SOPInstanceUID]


# -- lazy frames -------------------------------------------------------------------------------


def _frames_requests(web) -> list[str]:  # type: ignore[no-untyped-def]
    return [r.url for r in web.requests if "/frames/" in r.url]


def test_tiled_segmentation_fetches_only_the_frames_asked_for(web) -> None:  # type: ignore[no-untyped-def]
    from iodkit.pixels import FrameReader

    seg = _tiled_segmentation()
    assert (int(seg.Rows) * int(seg.Columns)) % 8 == 0  # whole bytes: the server serves frames
    web.store([seg])
    web.requests.clear()
    with (
        FrameReader(io.BytesIO(_file_bytes(seg))) as local,
        web.open_frames(seg.StudyInstanceUID, seg.SeriesInstanceUID, seg.SOPInstanceUID) as remote,
    ):
        assert remote.number_of_frames == local.number_of_frames > 8
        assert np.array_equal(remote.read_frame(5), local.read_frame(5))
        assert np.array_equal(remote.read_frames([2, 7, 5]), local.read_frames([2, 7, 5]))
        assert remote.fetched_frames == [6, 3, 8]  # frame 6 once, then 3 and 8 in one request
        assert not remote.fell_back
    frame_urls = _frames_requests(web)
    assert [u.rsplit("/frames/", 1)[1] for u in frame_urls] == ["6", "3,8"]
    assert all(r.status == 200 for r in web.requests)
    assert not any(r.url.endswith(seg.SOPInstanceUID) for r in web.requests)  # never the whole


class _CountingFrames:
    """A file's frames, recording which ones a reader asks for (the reference for WADO-RS)."""

    def __init__(self, data: bytes) -> None:
        from iodkit.pixels import FrameReader

        self._reader = FrameReader(io.BytesIO(data))
        self.dataset = self._reader.dataset
        self.read: list[int] = []

    def read_frame(self, index: int) -> np.ndarray:
        self.read.append(index)
        return self._reader.read_frame(index)

    def close(self) -> None:
        self._reader.close()


def test_segmentation_reader_over_wado_rs_reads_only_the_region_s_tiles(web) -> None:  # type: ignore[no-untyped-def]
    """``read_segmentation`` on lazy WADO-RS frames: a region of a tiled SEG's total pixel
    matrix fetches exactly the tiles the same query reads from the file, in one request."""
    from iodkit.seg import read_segmentation

    seg = _tiled_segmentation()
    web.store([seg])
    web.requests.clear()
    frames = web.open_frames(seg.StudyInstanceUID, seg.SeriesInstanceUID, seg.SOPInstanceUID)
    local_frames = _CountingFrames(_file_bytes(seg))
    with read_segmentation(frames) as remote, read_segmentation(local_frames) as local:
        region = dict(row_start=30, row_end=60, column_start=1, column_end=40)  # 1-based
        got = remote.get_total_pixel_matrix(**region)
        assert np.array_equal(got, local.get_total_pixel_matrix(**region))
        assert got.any()
        total = remote.number_of_frames
    wanted = sorted({i + 1 for i in local_frames.read})
    assert 1 < len(wanted) < total
    assert sorted(frames.fetched_frames) == wanted
    assert [u.rsplit("/frames/", 1)[1] for u in _frames_requests(web)] == [
        ",".join(map(str, wanted))
    ]
    assert not any(r.url.endswith(seg.SOPInstanceUID) for r in web.requests)


def test_parametric_map_reader_over_wado_rs_fetches_one_frame(web) -> None:  # type: ignore[no-untyped-def]
    """``read_parametric_map`` on lazy WADO-RS frames (integer values: the server serves
    them): one frame asked for, one frame fetched, the file's real-world values."""
    from iodkit.pm import read_parametric_map

    pm = _parametric_map("integer")
    web.store([pm])
    web.requests.clear()
    frames = web.open_frames(pm.StudyInstanceUID, pm.SeriesInstanceUID, pm.SOPInstanceUID)
    with read_parametric_map(frames) as remote, read_parametric_map(pm) as local:
        assert np.array_equal(remote.get_frame(1), local.get_frame(1))
        assert remote.number_of_frames == 3
    assert frames.fetched_frames == [2] and not frames.fell_back
    assert [u.rsplit("/frames/", 1)[1] for u in _frames_requests(web)] == ["2"]


def test_frames_not_whole_bytes_fall_back_to_the_instance(web, caplog) -> None:  # type: ignore[no-untyped-def]
    from iodkit.pixels import FrameReader

    seg = _segmentation("BINARY", rows=30, columns=30)  # 900 bits: frame 2 starts mid-byte
    web.store([seg])
    web.requests.clear()
    with (
        caplog.at_level(logging.WARNING, logger="iodkit.web"),
        FrameReader(io.BytesIO(_file_bytes(seg))) as local,
        web.open_frames(seg.StudyInstanceUID, seg.SeriesInstanceUID, seg.SOPInstanceUID) as remote,
    ):
        got = remote.read_frames(range(remote.number_of_frames))
        assert np.array_equal(got, local.read_frames())
        assert remote.fell_back and remote.fetched_frames == []
    assert [r.status for r in web.requests if "/frames/" in r.url] == [400]
    instance_gets = [r for r in web.requests if r.url.endswith(seg.SOPInstanceUID)]
    assert len(instance_gets) == 1  # the instance fetched once for all its frames
    assert "answered 400 to a frame request" in caplog.text and seg.SOPInstanceUID in caplog.text


def test_float_frames_fall_back_to_the_instance(web, caplog) -> None:  # type: ignore[no-untyped-def]
    """A float Parametric Map (written by highdicom, a test-time oracle, until iodkit's own)."""
    hd = pytest.importorskip("highdicom")
    from highdicom.sr.coding import CodedConcept
    from iodkit.pixels import FrameReader

    source = _ct(16, 16, 3)
    values = np.random.default_rng(3).normal(size=(3, 16, 16)).astype(np.float32)
    pm = hd.pm.ParametricMap(
        source_images=source,
        pixel_array=values,
        series_instance_uid=generate_uid(),
        series_number=90,
        sop_instance_uid=generate_uid(),
        instance_number=1,
        manufacturer="iodkit tests",
        manufacturer_model_name="tests",
        software_versions="0",
        device_serial_number="1",
        contains_recognizable_visual_features=False,
        real_world_value_mappings=[
            hd.pm.RealWorldValueMapping(
                lut_label="v",
                lut_explanation="value",
                unit=CodedConcept("1", "UCUM", "no units"),
                value_range=(-10.0, 10.0),
                slope=1.0,
                intercept=0.0,
            )
        ],
        voi_lut_transformations=[hd.VOILUTTransformation(window_center=0, window_width=4)],
    )
    web.store([pm])
    web.requests.clear()
    with (
        caplog.at_level(logging.WARNING, logger="iodkit.web"),
        FrameReader(io.BytesIO(_file_bytes(pm))) as local,
        web.open_frames(pm.StudyInstanceUID, pm.SeriesInstanceUID, pm.SOPInstanceUID) as remote,
    ):
        assert remote.description.pixel_keyword == "FloatPixelData"
        assert np.array_equal(remote.read_frame(1), local.read_frame(1))
        assert np.array_equal(remote.read_frame(2), local.read_frame(2))
        assert remote.fell_back
    assert [r.status for r in web.requests if "/frames/" in r.url] == [400]
    assert len([r for r in web.requests if r.url.endswith(pm.SOPInstanceUID)]) == 1
    assert "answered 400 to a frame request" in caplog.text


def test_missing_instance_is_a_clear_error(web) -> None:  # type: ignore[no-untyped-def]
    from iodkit.web import DicomWebError

    with pytest.raises(DicomWebError, match="404") as caught:
        web.retrieve_instance(generate_uid(), generate_uid(), generate_uid())
    assert caught.value.status == 404


# -- addresses and DICOM JSON (no server) -----------------------------------------------------


def test_addresses() -> None:
    a = parse_address("https://pacs.example/dicom-web/studies/1.2.3/series/4.5/instances/6.7")
    assert (a.root, a.study, a.series, a.instance, a.level) == (
        "https://pacs.example/dicom-web",
        "1.2.3",
        "4.5",
        "6.7",
        "instance",
    )
    s = parse_address("http://h:8042/dicom-web/studies/1.2.3/metadata")
    assert (s.level, s.metadata, s.url) == (
        "study",
        True,
        "http://h:8042/dicom-web/studies/1.2.3/metadata",
    )
    assert s.of_instance("4.5", "6.7").url.endswith(
        "/studies/1.2.3/series/4.5/instances/6.7/metadata"
    )
    for bad in ("ftp://h/studies/1.2", "http://h/dicom-web/series/1.2", "http://h/studies/1.2/x"):
        with pytest.raises(AddressError):
            parse_address(bad)


def test_dicom_json_lines_and_arrays(tmp_path: Path) -> None:
    seg = _segmentation("BINARY")
    line = dataset_to_json_line(seg, "http://archive/bulk")
    lines = tmp_path / "meta.jsonl"
    lines.write_text(line + "\n\n" + dataset_to_json_line(_ct(8, 8, 1)[0]) + "\n")
    first, second = iter_dicom_json(lines)
    assert first.source == f"{lines}@0" and second.source == f"{lines}@{len(line) + 2}"
    assert first.bulk_data == {0x7FE00010: "http://archive/bulk/bulk/7FE00010"}
    assert first.dataset.PixelData is None  # present, not fetched
    assert "PixelData" not in second.dataset  # no URI given: left out
    expected = Dataset()
    for element in seg:
        expected.add(element)
    expected.PixelData = None
    assert first.dataset == expected
    array = tmp_path / "meta.json"
    array.write_text("[" + line + "]")
    (only,) = iter_dicom_json(array)
    assert only.dataset == expected


def test_dicom_json_errors_name_the_place(tmp_path: Path) -> None:
    from iodkit.web.dicomjson import DicomJsonError

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"00100010": {"vr": "PN", "Value": [{"Alphabetic": "A"}]}}\n{oops\n')
    with pytest.raises(DicomJsonError, match=r"bad.jsonl@59: not JSON"):
        list(iter_dicom_json(bad))
    with pytest.raises(DicomJsonError, match="an instance is a JSON object"):
        dataset_from_json([1, 2], "x")  # type: ignore[arg-type]


def _same_tree(fast: Any, slow: Any, where: str = "") -> int:
    """Assert two validation trees are alike element for element; the elements compared."""
    assert list(fast.elems) == list(slow.elems), where
    assert fast.enc.terms == slow.enc.terms, where
    count = 0
    for tag, a in fast.elems.items():
        b = slow.elems[tag]
        here = f"{where}/{tag:08X}"
        assert (a.vr, a.length, a.decode_error) == (b.vr, b.length, b.decode_error), here
        if a.items is not None or b.items is not None:
            assert a.items is not None and b.items is not None and len(a.items) == len(b.items)
            count += sum(
                _same_tree(x, y, f"{here}[{i}]")
                for i, (x, y) in enumerate(zip(a.items, b.items, strict=True))
            )
        else:
            assert type(a.value) is type(b.value) and a.value == b.value, here
            assert a.strings() == b.strings(), here
        count += 1
    return count


def test_dicom_json_makes_the_validation_tree_pydicom_would(testdata: Path) -> None:
    """``tree_from_json`` (no pydicom Dataset) gives the tree ``from_dataset`` makes of pydicom's
    own reading of the same JSON: every element of every corpus instance as metadata, and the
    odd cases by hand; a malformed object fails the same way."""
    import json
    import warnings

    from iodkit.validation.fromvalues import from_dataset
    from iodkit.validation.inputs import resolve
    from iodkit.web.dicomjson import DicomJsonError, _elements, tree_from_json

    def slow(obj: dict[str, Any]) -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return from_dataset(dataset_from_json(obj).dataset, bulk_by_reference=True).dataset

    objects = []
    for source in resolve([str(testdata)]).sources:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                ds = pydicom.dcmread(source.location)
                line = dataset_to_json_line(ds, "https://archive/bulk") if len(ds) else ""
            except Exception:  # pydicom cannot read it: no server would hold its metadata
                continue
        if line:
            objects.append(json.loads(line))
    odd = {
        "00080005": {"vr": "CS", "Value": ["ISO_IR 100"]},
        "00080008": {"vr": "CS", "Value": ["ORIGINAL\\PRIMARY", "AXIAL"]},  # a backslash inside
        "00100010": {"vr": "PN", "Value": [{"Alphabetic": "Doe^J", "Ideographic": "X"}, None]},
        "00100020": {"vr": "LO"},  # no value
        "00181310": {"vr": "US", "Value": [0, None, 256, 256]},
        "00201041": {"vr": "DS", "Value": [1.5]},
        "00200013": {"vr": "IS", "Value": ["7"]},
        "00280009": {"vr": "AT", "Value": ["00185065"]},
        "00081140": {"vr": "SQ", "Value": [None, {"00081150": {"vr": "UI", "Value": ["1.2"]}}]},
        "00081199": {"vr": "SQ", "Value": []},
        "00091010": {"vr": "UN", "InlineBinary": "AAEC"},  # private: stays UN
        "00280030": {"vr": "UN", "InlineBinary": "MC41XDAuNSA="},  # read with its VR (DS)
        "7FE00010": {"vr": "OW", "BulkDataURI": "https://archive/bulk/7FE00010"},
    }
    compared = 0
    for obj in [*objects, odd]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert list(_elements(obj, 0))  # the direct way, not pydicom's fallback
        compared += _same_tree(tree_from_json(obj).dataset, slow(obj))
    assert len(objects) >= 40 and compared > 10_000
    assert tree_from_json(odd).dataset.elems[0x00280030].vr == "DS"
    malformed = {"00100010": {"Value": ["no vr"]}}
    with pytest.raises(DicomJsonError, match="KeyError"):
        tree_from_json(malformed, "here")


# -- DICOMweb addresses as validation inputs --------------------------------------------------


def _fresh_copy(path: Path) -> Dataset:
    """A third-party file with fresh UIDs (the server merges series by UID)."""
    ds = pydicom.dcmread(path)
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    return ds


def test_an_address_validates_as_the_stored_files(web, testdata: Path) -> None:  # type: ignore[no-untyped-def]
    """A study address: every instance in it, retrieved and validated, gives the findings of
    the same bytes validated as a file."""
    from iodkit.validation.api import validate_bytes
    from iodkit.validation.inputs import ResolveOptions
    from iodkit.web.inputs import addresses, report_source

    seg = _segmentation("BINARY")
    ct = _fresh_copy(testdata / "fodicom" / "CT-MONO2-16-ankle.dcm")  # 12 errors as a file
    ct.StudyInstanceUID = seg.StudyInstanceUID  # one study, two series
    web.store([seg, ct])
    url = f"{web.url}/studies/{seg.StudyInstanceUID}"
    resolution = addresses(url, ResolveOptions())
    assert resolution is not None and not resolution.missing and not resolution.unreadable
    by_uid = {s.name.rsplit("/", 1)[1]: s for s in resolution.sources}
    assert set(by_uid) == {seg.SOPInstanceUID, ct.SOPInstanceUID}
    for ds in (seg, ct):
        report = report_source(by_uid[ds.SOPInstanceUID])
        expected = validate_bytes(_file_bytes(ds))
        assert [str(f) for f in report.findings] == [str(f) for f in expected]
    assert any(f.severity == "error" for f in report_source(by_uid[ct.SOPInstanceUID]).findings)
    assert addresses("scans/ct.dcm", ResolveOptions()) is None  # not an address: not ours
    missing_uid = generate_uid()
    missing = addresses(f"{web.url}/studies/{missing_uid}", ResolveOptions())
    assert missing is not None and not missing.sources
    assert missing.unreadable == [
        f"{web.url}/studies/{missing_uid}: the server lists no instance there"
    ]


def test_iodkit_validate_takes_addresses_and_metadata(web, testdata: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """``iodkit validate URL`` and ``URL/metadata`` on the command line: the same findings
    as the file (metadata: but for the File Meta Information, which metadata has none of)."""
    import json
    import subprocess
    import sys

    ct = _fresh_copy(testdata / "fodicom" / "CT-MONO2-16-ankle.dcm")
    web.store([ct])
    local = tmp_path / "ct.dcm"
    local.write_bytes(_file_bytes(ct))
    url = f"{web.url}/studies/{ct.StudyInstanceUID}"
    exe = str(Path(sys.executable).with_name("iodkit"))

    def document(*args: str) -> dict:  # type: ignore[type-arg]
        done = subprocess.run([exe, "validate", "--json", *args], capture_output=True, text=True)
        assert done.returncode == 1, done.stderr  # the CT has errors
        return json.loads(done.stdout)  # type: ignore[no-any-return]

    (as_file,) = document(str(local))["files"]
    (stored,) = document(url)["files"]
    (metadata,) = document(url + "/metadata")["files"]
    name = f"{url}/series/{ct.SeriesInstanceUID}/instances/{ct.SOPInstanceUID}"
    assert stored["file"] == metadata["file"] == name
    assert stored["findings"] == as_file["findings"]
    not_meta = [f for f in as_file["findings"] if not f["tag"].startswith("(0002,")]
    not_meta = [f for f in not_meta if f["code"] not in ("meta", "encoding")]
    assert metadata["findings"] == not_meta  # bad DA/TM values (1993.04.30) included
    gone = subprocess.run(
        [exe, "validate", f"{web.url}/studies/1.2.3.4"], capture_output=True, text=True
    )
    assert gone.returncode == 2 and "the server lists no instance there" in gone.stderr

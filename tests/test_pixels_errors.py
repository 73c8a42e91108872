"""Bad input gives clear errors that name the problem, and never leaves a partial file."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pydicom
import pytest
from iodkit.pixels import (
    FrameReader,
    FrameReadError,
    PixelEncodingError,
    encode_frames,
    pack_bits,
    write_dataset,
    write_frames,
)
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import (
    ExplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGBaseline8Bit,
    JPEGLSLossless,
    RLELossless,
    generate_uid,
)


def new_dataset() -> Dataset:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7.3"
    ds.SOPInstanceUID = generate_uid()
    return ds


def test_float_frames_for_integer_pixel_data_are_refused() -> None:
    frames = np.zeros((2, 4, 4), dtype=np.float64)
    with pytest.raises(PixelEncodingError, match=r"frame 0 has dtype float64.*integer"):
        encode_frames(frames, bits_allocated=16)


def test_nan_in_integer_data_is_named() -> None:
    frames = np.zeros((3, 4, 4), dtype=np.float32)
    frames[2, 1, 1] = np.nan
    with pytest.raises(PixelEncodingError, match=r"frame 2 contains NaN"):
        encode_frames(frames, bits_allocated=16, bits_stored=12)


def test_values_out_of_range_for_bits_stored_name_frame_and_value() -> None:
    frames = np.zeros((4, 8, 8), dtype=np.uint16)
    frames[3, 2, 2] = 4096
    with pytest.raises(PixelEncodingError, match=r"frame 3 has value 4096 outside \[0, 4095\]"):
        encode_frames(frames, bits_stored=12)
    with pytest.raises(PixelEncodingError, match=r"frame 3 has value 4096"):
        encode_frames(frames, bits_stored=12, transfer_syntax_uid=JPEGLSLossless)


def test_negative_values_for_unsigned_pixel_data_are_refused() -> None:
    frames = np.zeros((2, 3, 3), dtype=np.int16)
    frames[1, 0, 0] = -1
    with pytest.raises(PixelEncodingError, match=r"frame 1 has value -1 outside \[0, 65535\]"):
        encode_frames(frames, pixel_representation=0)


def test_one_bit_values_other_than_zero_and_one_are_refused() -> None:
    masks = np.zeros((3, 5, 5), dtype=np.uint8)
    masks[2, 4, 4] = 2
    with pytest.raises(PixelEncodingError, match=r"frame 2 has value 2.*only 0 and 1"):
        encode_frames(masks, bits_allocated=1)
    with pytest.raises(PixelEncodingError, match=r"frame 2 has value 2"):
        pack_bits(iter(masks))


def test_mismatched_frame_shapes_are_named() -> None:
    frames = [np.zeros((256, 256), np.uint16)] * 3 + [np.zeros((256, 255), np.uint16)]
    with pytest.raises(
        PixelEncodingError, match=r"frame 3 has shape \(256, 255\), expected \(256, 256\)"
    ):
        encode_frames(frames)
    with pytest.raises(PixelEncodingError, match=r"frame 3 has shape"):
        encode_frames(iter(frames), transfer_syntax_uid=RLELossless)
    masks = [np.zeros((5, 7), bool), np.zeros((7, 5), bool)]
    with pytest.raises(PixelEncodingError, match=r"frame 1 has shape \(7, 5\), expected \(5, 7\)"):
        encode_frames(masks)


def test_wider_dtype_for_float_pixel_data_is_refused() -> None:
    with pytest.raises(PixelEncodingError, match=r"float64.*FloatPixelData"):
        encode_frames(np.zeros((1, 2, 2)), bits_allocated=32)


def test_transfer_syntax_constraints_cite_the_standard() -> None:
    with pytest.raises(PixelEncodingError, match=r"JPEG Baseline.*Bits Allocated 16.*PS3.5 8.2.1"):
        encode_frames(np.zeros((1, 8, 8), np.uint16), transfer_syntax_uid=JPEGBaseline8Bit)
    with pytest.raises(PixelEncodingError, match=r"FloatPixelData cannot be sent with RLE"):
        encode_frames(np.zeros((1, 8, 8), np.float32), transfer_syntax_uid=RLELossless)
    with pytest.raises(PixelEncodingError, match=r"Planar Configuration 0"):
        encode_frames(
            np.zeros((1, 8, 8, 3), np.uint8),
            transfer_syntax_uid=JPEG2000Lossless,
            photometric_interpretation="RGB",
            planar_configuration=1,
        )
    with pytest.raises(PixelEncodingError, match=r"no frames given"):
        encode_frames([])


def test_bad_frames_leave_no_file_behind(tmp_path: Path) -> None:
    target = tmp_path / "out.dcm"

    def frames():
        yield np.zeros((16, 16), np.uint16)
        yield np.full((16, 16), 70000, np.uint32)  # out of range, found while streaming

    for ts in (ExplicitVRLittleEndian, JPEGLSLossless):
        with pytest.raises(PixelEncodingError, match="frame 1"):
            write_frames(new_dataset(), target, frames(), transfer_syntax_uid=ts, bits_allocated=16)
        assert list(tmp_path.iterdir()) == []


def test_failed_write_removes_the_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ds = new_dataset()
    encode_frames(np.zeros((1, 4, 4), np.uint8)).apply_to(ds)
    (tmp_path / "x.dcm").write_bytes(b"previous version")

    def fail_half_way(fp, dataset, **kwargs):
        fp.write(b"DICM partial")
        raise OSError("disk full")

    monkeypatch.setattr("iodkit.pixels.files.pydicom.dcmwrite", fail_half_way)
    with pytest.raises(OSError, match="disk full"):
        write_dataset(ds, tmp_path / "x.dcm")
    assert [p.name for p in tmp_path.iterdir()] == ["x.dcm"]
    assert (tmp_path / "x.dcm").read_bytes() == b"previous version"


def encapsulated_file(frames: int = 4) -> bytes:
    ds = new_dataset()
    data = np.random.default_rng(0).integers(0, 255, (frames, 32, 32), dtype=np.uint8)
    encode_frames(data, transfer_syntax_uid=RLELossless).apply_to(ds)
    buffer = io.BytesIO()
    write_dataset(ds, buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("cut", [12, 100, 400])
def test_truncated_encapsulated_stream_is_a_clear_error(cut: int) -> None:
    data = encapsulated_file()
    truncated = data[: len(data) - cut]
    with pytest.raises(FrameReadError, match=r"truncated"):
        with FrameReader(io.BytesIO(truncated)) as reader:
            reader.read_frames()


def test_truncated_stream_without_offset_table_is_found_on_open() -> None:
    ds = pydicom.dcmread(io.BytesIO(encapsulated_file()))
    from pydicom.encaps import encapsulate, generate_frames

    ds.PixelData = encapsulate(
        list(generate_frames(ds.PixelData, number_of_frames=4)), has_bot=False
    )
    buffer = io.BytesIO()
    ds.save_as(buffer)
    data = buffer.getvalue()[:-300]
    with pytest.raises(FrameReadError, match=r"truncated: fragment 3 declares"):
        FrameReader(io.BytesIO(data))


def test_truncated_native_pixel_data_is_found_on_open() -> None:
    ds = new_dataset()
    encode_frames(np.zeros((3, 8, 8), np.uint16)).apply_to(ds)
    buffer = io.BytesIO()
    write_dataset(ds, buffer)
    with pytest.raises(FrameReadError, match=r"truncated: 3 frames of 8×8 need 384 bytes"):
        FrameReader(io.BytesIO(buffer.getvalue()[:-10]))


def test_a_file_without_pixel_data_is_named(tmp_path: Path) -> None:
    ds = new_dataset()
    ds.PatientName = "No^Pixels"
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    write_dataset(ds, tmp_path / "nopix.dcm")
    with pytest.raises(FrameReadError, match=r"no pixel data element"):
        FrameReader(tmp_path / "nopix.dcm")
    with pytest.raises(FrameReadError, match=r"not a DICOM file"):
        FrameReader(io.BytesIO(b"not dicom at all" * 20))


def test_frame_index_out_of_range() -> None:
    with FrameReader(io.BytesIO(encapsulated_file())) as reader:
        with pytest.raises(IndexError, match=r"frame index 4 out of range for 4 frames"):
            reader.read_frame(4)
        assert reader.read_frame(-1).shape == (32, 32)

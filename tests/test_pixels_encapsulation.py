"""Offset tables (PS3.5 A.4, PS3.3 C.7.6.3.1.8), frame location in files, and 1-bit packing."""

from __future__ import annotations

import io
import struct
import tracemalloc
import zlib

import numpy as np
import pydicom
import pytest
from iodkit.pixels import FrameReader, encode_frames, pack_bits, unpack_bits, write_dataset
from iodkit.pixels.encapsulation import encapsulate as iodkit_encapsulate
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.uid import (
    DeflatedExplicitVRLittleEndian,
    ExplicitVRLittleEndian,
    JPEG2000Lossless,
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


def frames16(n: int = 5) -> np.ndarray:
    return np.random.default_rng(1).integers(0, 4095, (n, 24, 20), dtype=np.uint16)


def to_bytes(ds: Dataset) -> bytes:
    buffer = io.BytesIO()
    write_dataset(ds, buffer)
    return buffer.getvalue()


def test_basic_offset_table_points_at_each_frames_item_tag() -> None:
    encoded = encode_frames(frames16(), transfer_syntax_uid=RLELossless)
    value = encoded.value("basic")
    tag, length = value[:4], struct.unpack("<I", value[4:8])[0]
    assert tag == b"\xfe\xff\x00\xe0" and length == 4 * 5
    offsets = struct.unpack("<5I", value[8:28])
    first_item = 28
    for frame, offset in enumerate(offsets):
        at = first_item + offset
        assert value[at : at + 4] == b"\xfe\xff\x00\xe0"
        (size,) = struct.unpack("<I", value[at + 4 : at + 8])
        assert value[at + 8 : at + 8 + size] == encoded.fragments[frame]
    # pydicom's encapsulate builds the same value from the same fragments
    assert value == encapsulate(encoded.fragments, has_bot=True)


def test_extended_offset_table_and_lengths() -> None:
    encoded = encode_frames(frames16(), transfer_syntax_uid=JPEGLSLossless)
    ds = new_dataset()
    encoded.apply_to(ds, offset_table="extended")
    assert ds.PixelData[:8] == b"\xfe\xff\x00\xe0\x00\x00\x00\x00"  # empty Basic Offset Table
    offsets = np.frombuffer(ds.ExtendedOffsetTable, "<u8")
    lengths = np.frombuffer(ds.ExtendedOffsetTableLengths, "<u8")
    assert lengths.tolist() == [len(f) for f in encoded.fragments]
    assert offsets.tolist() == np.concatenate([[0], np.cumsum(lengths[:-1] + 8)]).tolist()
    data = to_bytes(ds)
    expected = pydicom.dcmread(io.BytesIO(data)).pixel_array
    np.testing.assert_array_equal(expected, frames16())
    with FrameReader(io.BytesIO(data)) as reader:
        assert reader._frames is not None  # located from the Extended Offset Table
        np.testing.assert_array_equal(reader.read_frame(3), frames16()[3])


def test_auto_switches_to_extended_when_offsets_exceed_32_bits() -> None:
    big = [b"\x00" * 2] * 3
    assert iodkit_encapsulate(big, "auto").extended_offset_table is None

    class Huge(bytes):
        def __len__(self) -> int:  # pretend: a 3 GiB fragment
            return 3 << 30

    from iodkit.pixels.encapsulation import choose_offset_table

    assert choose_offset_table([Huge(), Huge(), b"xx"], "auto") == "extended"


@pytest.mark.parametrize("nr_fragments", [1, 3])
def test_frames_without_offset_table_are_found_by_scanning(nr_fragments: int) -> None:
    """Empty Basic Offset Table: item headers are scanned; multi-fragment J2K frames are
    grouped by their codestream start marker."""
    frames = frames16(4)
    encoded = encode_frames(frames, transfer_syntax_uid=JPEG2000Lossless)
    ds = new_dataset()
    encoded.apply_to(ds)
    ds.PixelData = encapsulate(encoded.fragments, fragments_per_frame=nr_fragments, has_bot=False)
    ds["PixelData"].is_undefined_length = True
    data = to_bytes(ds)
    with FrameReader(io.BytesIO(data)) as reader:
        for index in (2, 0, 3):
            np.testing.assert_array_equal(reader.read_frame(index), frames[index])


def test_multi_fragment_frames_with_basic_offset_table() -> None:
    frames = frames16(4)
    encoded = encode_frames(frames, transfer_syntax_uid=JPEG2000Lossless)
    ds = new_dataset()
    encoded.apply_to(ds)
    ds.PixelData = encapsulate(encoded.fragments, fragments_per_frame=2, has_bot=True)
    data = to_bytes(ds)
    with FrameReader(io.BytesIO(data)) as reader:
        assert reader._bot is not None
        np.testing.assert_array_equal(reader.read_frames([3, 1]), frames[[3, 1]])
        assert reader.read_frame_bytes(2).startswith(b"\xff\x4f\xff\x51")  # J2K SOC + SIZ


def test_deflated_file_reads_frames_and_inflates_like_zlib(tmp_path) -> None:
    frames = frames16(6)
    ds = new_dataset()
    encode_frames(frames, transfer_syntax_uid=DeflatedExplicitVRLittleEndian).apply_to(ds)
    path = tmp_path / "deflated.dcm"
    write_dataset(ds, path)
    with FrameReader(path) as reader:
        assert reader.transfer_syntax_uid == DeflatedExplicitVRLittleEndian
        np.testing.assert_array_equal(reader.read_frame(5), frames[5])
    # the body really is a raw deflate stream (PS3.5 A.5)
    meta_end = _file_meta_end(path.read_bytes())
    zlib.decompress(path.read_bytes()[meta_end:], -zlib.MAX_WBITS)


def _file_meta_end(data: bytes) -> int:
    (group_length,) = struct.unpack("<I", data[140:144])
    return 144 + group_length


def test_native_one_bit_frames_are_read_from_mid_byte_offsets(tmp_path) -> None:
    masks = np.random.default_rng(2).random((7, 5, 3)) < 0.5  # 15 bits per frame
    ds = new_dataset()
    encode_frames(masks).apply_to(ds)
    path = tmp_path / "seg.dcm"
    write_dataset(ds, path)
    with FrameReader(path) as reader:
        for index in range(7):
            np.testing.assert_array_equal(reader.read_frame(index), masks[index])
        assert len(reader.read_frame_bytes(1)) == 3  # bits 15…29 touch bytes 1…3


def test_pack_bits_matches_numpy_and_pydicom() -> None:
    from pydicom.pixels.utils import pack_bits as pydicom_pack_bits

    masks = np.random.default_rng(3).random((9, 7, 5)) < 0.5
    ours = pack_bits(masks)
    reference = np.packbits(masks.reshape(-1), bitorder="little").tobytes()
    assert ours[: len(reference)] == reference
    assert len(ours) == len(reference) + len(reference) % 2
    assert ours == pydicom_pack_bits(masks.astype(np.uint8), pad=True)
    assert pack_bits(iter(masks)) == ours == pack_bits(masks.astype(np.uint8))
    np.testing.assert_array_equal(unpack_bits(ours, 9, 7, 5), masks)
    np.testing.assert_array_equal(unpack_bits(ours, 3, 7, 5, first_frame=4), masks[4:7])
    assert unpack_bits(ours, 1, 7, 5, dtype=bool).dtype == np.bool_


def test_pack_bits_memory_is_proportional_to_the_output() -> None:
    """Packing a bool volume never makes a uint8 copy of it: peak ≈ output + one group."""
    masks = np.zeros((64, 256, 256), dtype=bool)  # 4 MiB in, 512 KiB out
    masks[:, ::3, ::5] = True
    tracemalloc.start()
    try:
        packed = pack_bits(masks)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(packed) == masks.size // 8
    assert peak < 4 * len(packed) + (1 << 21), peak  # far below the 4 MiB a bool→uint8 copy costs


def test_float_pixel_data_element_and_vr(tmp_path) -> None:
    values = np.random.default_rng(4).standard_normal((2, 3, 4))
    ds = new_dataset()
    encode_frames(values).apply_to(ds)
    assert ds["DoubleFloatPixelData"].VR == "OD"
    data = to_bytes(ds)
    reread = pydicom.dcmread(io.BytesIO(data))
    np.testing.assert_array_equal(reread.pixel_array, values)
    encode_frames(values.astype(np.float32)).apply_to(reread)  # replaces, never leaves both
    assert "DoubleFloatPixelData" not in reread and reread["FloatPixelData"].VR == "OF"


def test_apply_to_replaces_stale_pixel_elements() -> None:
    ds = new_dataset()
    encode_frames(frames16(), transfer_syntax_uid=RLELossless).apply_to(ds, offset_table="extended")
    assert "ExtendedOffsetTable" in ds
    encode_frames(frames16()[:, :, :, np.newaxis].repeat(3, -1).astype(np.uint16) & 0xFF).apply_to(
        ds
    )
    assert "ExtendedOffsetTable" not in ds and ds.PlanarConfiguration == 0
    assert ds.file_meta.TransferSyntaxUID == ExplicitVRLittleEndian
    assert ds.SamplesPerPixel == 3 and ds.NumberOfFrames == 5

"""Property tests: random frames round-trip exactly through every lossless transfer syntax.

Each example encodes with iodkit, writes a file, then decodes with pydicom (``pixel_array``)
and with iodkit's FrameReader; both must give back the input exactly. Bounded and derandomised
so the suite stays fast and repeatable.
"""

from __future__ import annotations

import io

import numpy as np
import pydicom
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from iodkit.pixels import FrameReader, encode_frames, write_dataset
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import (
    DeflatedExplicitVRLittleEndian,
    ExplicitVRLittleEndian,
    HTJ2KLossless,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGLSLossless,
    RLELossless,
    generate_uid,
)

NATIVE = [ExplicitVRLittleEndian, ImplicitVRLittleEndian, DeflatedExplicitVRLittleEndian]
LOSSLESS = [RLELossless, JPEGLSLossless, JPEG2000Lossless, HTJ2KLossless]

#: (transfer syntax) → (bits allocated, samples per pixel) it accepts, per PS3.5 8.2 tables.
ALLOWED: dict[str, list[tuple[int, int]]] = {
    **{ts: [(8, 1), (16, 1), (32, 1), (8, 3), (16, 3)] for ts in NATIVE},
    RLELossless: [(8, 1), (16, 1), (8, 3), (16, 3)],
    JPEGLSLossless: [(8, 1), (16, 1), (8, 3), (16, 3)],
    JPEG2000Lossless: [(8, 1), (16, 1), (8, 3), (16, 3)],
    HTJ2KLossless: [(8, 1), (16, 1), (8, 3), (16, 3)],
}

SETTINGS = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def new_dataset() -> Dataset:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7.3"
    ds.SOPInstanceUID = generate_uid()
    return ds


def write_and_read(encoded) -> tuple[np.ndarray, np.ndarray, bytes]:
    ds = new_dataset()
    encoded.apply_to(ds)
    buffer = io.BytesIO()
    write_dataset(ds, buffer)
    data = buffer.getvalue()
    theirs = pydicom.dcmread(io.BytesIO(data)).pixel_array
    with FrameReader(io.BytesIO(data), as_rgb=False) as reader:
        ours = reader.read_frames()
    return theirs, ours, data


@st.composite
def integer_frames(draw, transfer_syntax: str):
    bits_allocated, samples = draw(st.sampled_from(ALLOWED[transfer_syntax]))
    signed = samples == 1 and draw(st.booleans())
    low_bits = 2 if transfer_syntax == JPEGLSLossless else 1
    bits_stored = draw(
        st.sampled_from(sorted({bits_allocated, max(low_bits, bits_allocated - 4), low_bits + 1}))
    )
    frames = draw(st.integers(1, 3))
    smallest = 6 if transfer_syntax == JPEGLSLossless else 1  # pyjpegls: frames ≥ 32 bytes
    rows = draw(st.integers(smallest, 24))
    columns = draw(st.integers(smallest, 24))
    if signed:
        low, high = -(1 << (bits_stored - 1)), (1 << (bits_stored - 1)) - 1
    else:
        low, high = 0, (1 << bits_stored) - 1
    dtype = np.dtype(f"{'i' if signed else 'u'}{bits_allocated // 8}")
    seed = draw(st.integers(0, 2**32 - 1))
    shape = (frames, rows, columns) if samples == 1 else (frames, rows, columns, samples)
    rng = np.random.default_rng(seed)
    data = rng.integers(low, high, size=shape, endpoint=True, dtype=np.int64)
    if draw(st.booleans()):  # smooth data exercises the codecs' prediction paths too
        data = np.clip(np.cumsum(data % 3 - 1, axis=-1 if samples == 1 else -2) + low, low, high)
    photometric = "MONOCHROME2" if samples == 1 else "RGB"
    return data.astype(dtype), bits_stored, photometric


@pytest.mark.parametrize("transfer_syntax", NATIVE + LOSSLESS, ids=lambda u: u.name)
def test_integer_frames_round_trip(transfer_syntax: str) -> None:
    @SETTINGS
    @given(integer_frames(transfer_syntax))
    def check(case) -> None:
        frames, bits_stored, photometric = case
        encoded = encode_frames(
            frames,
            transfer_syntax_uid=transfer_syntax,
            bits_stored=bits_stored,
            photometric_interpretation=photometric,
        )
        theirs, ours, _ = write_and_read(encoded)
        expected = frames[0] if len(frames) == 1 else frames
        np.testing.assert_array_equal(theirs, expected)
        np.testing.assert_array_equal(ours, frames)
        assert ours.dtype == frames.dtype

    check()


@pytest.mark.parametrize("transfer_syntax", NATIVE + [RLELossless], ids=lambda u: u.name)
@pytest.mark.parametrize("planar_configuration", [0, 1])
def test_colour_planar_configuration_round_trips(
    transfer_syntax: str, planar_configuration: int
) -> None:
    frames = np.random.default_rng(3).integers(0, 255, (2, 7, 5, 3), dtype=np.uint8)
    encoded = encode_frames(
        frames, transfer_syntax_uid=transfer_syntax, planar_configuration=planar_configuration
    )
    theirs, ours, _ = write_and_read(encoded)
    np.testing.assert_array_equal(theirs, frames)
    np.testing.assert_array_equal(ours, frames)


@pytest.mark.parametrize("transfer_syntax", [*LOSSLESS[1:3], LOSSLESS[3]], ids=lambda u: u.name)
def test_j2k_colour_transform_is_lossless(transfer_syntax: str) -> None:
    """YBR_RCT (reversible colour transform) for JPEG 2000 and HTJ2K, RGB elsewhere."""
    frames = np.random.default_rng(4).integers(0, 255, (2, 33, 31, 3), dtype=np.uint8)
    photometric = "RGB" if transfer_syntax == JPEGLSLossless else "YBR_RCT"
    encoded = encode_frames(
        frames, transfer_syntax_uid=transfer_syntax, photometric_interpretation=photometric
    )
    theirs, ours, _ = write_and_read(encoded)
    np.testing.assert_array_equal(theirs, frames)
    np.testing.assert_array_equal(ours, frames)


@st.composite
def binary_frames(draw):
    frames = draw(st.integers(1, 9))
    rows = draw(st.integers(1, 21))
    columns = draw(st.integers(1, 21))
    seed = draw(st.integers(0, 2**32 - 1))
    as_bool = draw(st.booleans())
    masks = np.random.default_rng(seed).random((frames, rows, columns)) < 0.4
    return masks if as_bool else masks.astype(np.uint8)


@pytest.mark.parametrize("transfer_syntax", [*NATIVE, JPEG2000Lossless], ids=lambda u: u.name)
def test_one_bit_frames_round_trip(transfer_syntax: str) -> None:
    """Frame sizes that are not multiples of 8: frames start mid-byte (PS3.5 8.1.1)."""

    @SETTINGS
    @given(binary_frames())
    def check(masks: np.ndarray) -> None:
        encoded = encode_frames(masks, transfer_syntax_uid=transfer_syntax, bits_allocated=1)
        assert encoded.description.bits_allocated == 1
        theirs, ours, _ = write_and_read(encoded)
        expected = masks[0] if len(masks) == 1 else masks
        np.testing.assert_array_equal(theirs, expected)
        np.testing.assert_array_equal(ours, masks)
        if not encoded.is_encapsulated:
            bits = masks.size
            assert len(encoded.native) == (bits + 7) // 8 + ((bits + 7) // 8) % 2

    check()


@pytest.mark.parametrize("transfer_syntax", NATIVE, ids=lambda u: u.name)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float_pixel_data_round_trips(transfer_syntax: str, dtype: type) -> None:
    frames = np.random.default_rng(5).standard_normal((3, 6, 7)).astype(dtype)
    frames[1, 2, 3] = np.nan
    frames[2, 0, 0] = np.inf
    encoded = encode_frames(frames, transfer_syntax_uid=transfer_syntax)
    keyword = "FloatPixelData" if dtype == np.float32 else "DoubleFloatPixelData"
    assert encoded.pixel_keyword == keyword
    theirs, ours, data = write_and_read(encoded)
    ds = pydicom.dcmread(io.BytesIO(data))
    assert keyword in ds and "BitsStored" not in ds and "PixelRepresentation" not in ds
    np.testing.assert_array_equal(theirs, frames)
    np.testing.assert_array_equal(ours, frames)


def test_frames_from_a_generator_equal_frames_from_an_array() -> None:
    rng = np.random.default_rng(6)
    frames = rng.integers(0, 4095, (5, 9, 11), dtype=np.uint16)
    masks = rng.random((5, 9, 11)) < 0.5
    for data, ts in [
        (frames, ExplicitVRLittleEndian),
        (frames, JPEGLSLossless),
        (masks, ExplicitVRLittleEndian),
    ]:
        a = encode_frames(data, transfer_syntax_uid=ts, threads=1)
        b = encode_frames((f for f in data), transfer_syntax_uid=ts, threads=2)
        assert a.value() == b.value()
        assert b.number_of_frames == len(data)


def test_threaded_and_single_threaded_encodings_are_identical() -> None:
    frames = np.random.default_rng(7).integers(0, 255, (6, 40, 40), dtype=np.uint8)
    for ts in LOSSLESS:
        single = encode_frames(frames, transfer_syntax_uid=ts, threads=1)
        pooled = encode_frames(frames, transfer_syntax_uid=ts, threads=3)
        assert single.fragments == pooled.fragments


def test_jpeg_baseline_is_lossy_but_decoders_agree() -> None:
    """JPEG Baseline (8-bit) is lossy: pydicom and iodkit decode identically, close to input."""
    from pydicom.uid import JPEGBaseline8Bit

    ramp = np.add.outer(np.arange(64), np.arange(48)).astype(np.uint8) * 2
    rgb = np.stack([ramp, ramp[::-1], 255 - ramp], axis=-1)[np.newaxis].repeat(3, axis=0)
    for frames in (rgb[..., 0], rgb):
        encoded = encode_frames(frames, transfer_syntax_uid=JPEGBaseline8Bit)
        ds = new_dataset()
        encoded.apply_to(ds)
        assert ds.LossyImageCompression == "01"
        assert ds.LossyImageCompressionMethod == "ISO_10918_1"
        buffer = io.BytesIO()
        write_dataset(ds, buffer)
        theirs = pydicom.dcmread(io.BytesIO(buffer.getvalue())).pixel_array
        with FrameReader(io.BytesIO(buffer.getvalue())) as reader:
            ours = reader.read_frames()
        np.testing.assert_array_equal(ours, theirs)
        assert np.abs(ours.astype(int) - frames).max() <= 8


MAPPED_CASES = {
    "uint16": (np.arange(3 * 5 * 7, dtype=np.uint16).reshape(3, 5, 7), {}, True),
    "int16": (np.arange(-50, 55, dtype=np.int16).reshape(3, 5, 7), {}, True),
    "uint8 odd length": (np.arange(1 * 5 * 7, dtype=np.uint8).reshape(1, 5, 7), {}, True),
    "float32": (np.linspace(-1, 1, 3 * 5 * 7, dtype=np.float32).reshape(3, 5, 7), {}, True),
    "float64": (np.linspace(-1, 1, 2 * 5 * 7).reshape(2, 5, 7), {}, True),
    "rgb by pixel": (np.arange(2 * 5 * 7 * 3, dtype=np.uint8).reshape(2, 5, 7, 3), {}, True),
    "rgb by plane": (
        np.arange(2 * 5 * 7 * 3, dtype=np.uint8).reshape(2, 5, 7, 3),
        {"planar_configuration": 1},
        True,
    ),
    "implicit VR": (
        np.arange(3 * 5 * 7, dtype=np.uint16).reshape(3, 5, 7),
        {"transfer_syntax_uid": ImplicitVRLittleEndian},
        True,
    ),
    "deflated": (
        np.arange(3 * 5 * 7, dtype=np.uint16).reshape(3, 5, 7),
        {"transfer_syntax_uid": DeflatedExplicitVRLittleEndian},
        True,
    ),
    "12 of 16 bits": (
        np.arange(3 * 5 * 7, dtype=np.uint16).reshape(3, 5, 7),
        {"bits_stored": 12},
        False,
    ),
    "1-bit": (np.eye(8, dtype=bool)[None].repeat(3, 0), {}, False),
    "RLE": (
        np.arange(3 * 5 * 7, dtype=np.uint16).reshape(3, 5, 7),
        {"transfer_syntax_uid": RLELossless},
        False,
    ),
}


@pytest.mark.parametrize("case", MAPPED_CASES)
def test_native_frames_map_the_stored_values(tmp_path, case: str) -> None:
    """FrameReader.native_frames: the file's native Pixel Data as one read-only array equal to
    the frames read one by one; None where frames need decoding, and for an in-memory file
    (unless deflated: that is inflated into a temporary file, which maps)."""
    frames, options, mapped = MAPPED_CASES[case]
    ds = new_dataset()
    encode_frames(frames, **options).apply_to(ds)
    path = tmp_path / "frames.dcm"
    write_dataset(ds, path)
    with FrameReader(path, as_rgb=False) as reader:
        view = reader.native_frames()
        expected = reader.read_frames()
        assert (view is not None) == mapped == reader.maps_native
        if view is not None:
            assert view.dtype == expected.dtype and not view.flags.writeable
            np.testing.assert_array_equal(view, expected)
            np.testing.assert_array_equal(view, frames)
            n = len(frames)
            for start in range(n):  # windows of frames map just those frames
                for stop in range(start + 1, n + 1):
                    np.testing.assert_array_equal(
                        reader.native_frames(start, stop), frames[start:stop]
                    )
            with pytest.raises(IndexError):
                reader.native_frames(0, n + 1)
    with FrameReader(io.BytesIO(path.read_bytes()), as_rgb=False) as reader:
        view = reader.native_frames()
        assert (view is not None) == (case == "deflated")
        if view is not None:
            np.testing.assert_array_equal(view, frames)

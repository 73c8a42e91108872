"""Parametric Maps read back: maps made by dcmqi's itkimage2paramap (the reference converter of
the QIICR project) read to the values of the image given to it; round trips of any dtype and
shape exact (hypothesis); a lazy frame source reads only the frames a query needs."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pydicom
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from iodkit.codes import Code, cid7203
from iodkit.pm import ParametricMap, RealWorldValueMapping, read_parametric_map
from iodkit.seg import synthetic

NO_UNITS = Code("1", "UCUM", "no units")


def itkimage2paramap() -> str:
    found = shutil.which("itkimage2paramap") or str(
        Path(sys.executable).with_name("itkimage2paramap")
    )
    if not Path(found).exists():
        pytest.skip("itkimage2paramap (PyPI dcmqi, in the test extra) is not installed")
    return found


def write_nrrd(path: Path, values: np.ndarray, spacing: list[float], origin: list[float]) -> None:
    """A raw NRRD volume (x fastest: the (slices, rows, columns) array in C order) in LPS."""
    slices, rows, columns = values.shape
    header = (
        "NRRD0004\ntype: float\ndimension: 3\nspace: left-posterior-superior\n"
        f"sizes: {columns} {rows} {slices}\n"
        f"space directions: ({spacing[1]},0,0) (0,{spacing[0]},0) (0,0,{spacing[2]})\n"
        "kinds: domain domain domain\nendian: little\nencoding: raw\n"
        f"space origin: ({origin[0]},{origin[1]},{origin[2]})\n\n"
    )
    path.write_bytes(header.encode() + values.astype("<f4").tobytes())


@pytest.mark.parametrize("slope", [1.0, 0.001])
def test_dcmqi_maps(tmp_path: Path, slope: float) -> None:
    tool = itkimage2paramap()
    sources = tmp_path / "ct"
    sources.mkdir()
    ct = synthetic.ct_series(5, 12, 16)
    for i, ds in enumerate(ct):
        pydicom.dcmwrite(sources / f"{i}.dcm", ds, enforce_file_format=True)
    values = (np.random.default_rng(1).random((5, 12, 16)) * 2000).astype(np.float32)
    spacing = [float(v) for v in ct[0].PixelSpacing] + [2.5]
    write_nrrd(
        tmp_path / "map.nrrd", values, spacing, [float(v) for v in ct[0].ImagePositionPatient]
    )
    adc = {
        "CodeValue": "113041",
        "CodingSchemeDesignator": "DCM",
        "CodeMeaning": "Apparent Diffusion Coefficient",
    }
    meta = {
        "SeriesDescription": "ADC",
        "SeriesNumber": "701",
        "InstanceNumber": "1",
        "QuantityValueCode": adc,
        "DerivationCode": adc,
        "MeasurementUnitsCode": {
            "CodeValue": "um2/s",
            "CodingSchemeDesignator": "UCUM",
            "CodeMeaning": "um2/s",
        },
        "RealWorldValueSlope": slope,
        "DerivedPixelContrast": "ADC",
    }
    (tmp_path / "meta.json").write_text(json.dumps(meta))
    out = tmp_path / "dcmqi.dcm"
    done = subprocess.run(
        [
            tool,
            "--inputImage",
            str(tmp_path / "map.nrrd"),
            "--inputMetadata",
            str(tmp_path / "meta.json"),
            "--inputDICOMDirectory",
            str(sources),
            "--outputDICOM",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    with read_parametric_map(out) as ours:
        mapping = ours.mappings[0]
        assert (mapping.units.value, mapping.units.scheme) == ("um2/s", "UCUM")
        assert mapping.quantity is not None and mapping.quantity.value == "113041"
        assert mapping.slope == slope
        volume = ours.get_volume()
        # slices along the normal column × row = −z: the NRRD's slices reversed
        assert np.array_equal(volume.array, values[::-1].astype(np.float64) * slope), (
            "real-world values"
        )
        stored = ours.get_volume(apply_real_world_transform=False, dtype=np.float32)
        assert np.array_equal(stored.array, values[::-1])
        assert np.allclose(volume.affine[:3, 3], [float(v) for v in ct[-1].ImagePositionPatient])


FLOATS = st.sampled_from(["float32", "float64"])
INTS = st.sampled_from(["int16", "uint16", "uint8", "int8", "bool"])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    dtype=st.one_of(FLOATS, INTS),
    slices=st.integers(1, 4),
    rows=st.integers(1, 9),
    columns=st.integers(1, 9),
    slope=st.sampled_from([1.0, 0.25, -3.0]),
    intercept=st.sampled_from([0.0, 100.0, -0.5]),
    seed=st.integers(0, 2**16),
)
def test_round_trip(dtype, slices, rows, columns, slope, intercept, seed) -> None:
    """Whatever the dtype and shape: stored values, real-world values, the mapping and the
    planes' positions come back exactly; iodkit validate finds no error in any case, dciodvfy
    none in one of eight."""
    import io
    import tempfile

    from tests.oracles import assert_valid_bytes

    rng = np.random.default_rng(seed)
    if dtype.startswith("float"):
        values = (rng.standard_normal((slices, rows, columns)) * 1e3).astype(dtype)
    elif dtype == "bool":
        values = rng.random((slices, rows, columns)) > 0.5
    else:
        info = np.iinfo(dtype)
        values = rng.integers(info.min, info.max, (slices, rows, columns), endpoint=True).astype(
            dtype
        )
    ct = synthetic.ct_series(slices, rows, columns, with_pixels=False)
    mapping = RealWorldValueMapping("v", "value", NO_UNITS, slope=slope, intercept=intercept)
    buffer = io.BytesIO()
    ParametricMap(values, ct, mapping, derivation=cid7203.SEGMENTATION).save(buffer)
    buffer.seek(0)
    uids = [d.SOPInstanceUID for d in ct]
    with read_parametric_map(buffer) as ours:
        stored = ours.get_pixels_by_source_instance(uids, apply_real_world_transform=False)
        real = ours.get_pixels_by_source_instance(uids)
        back = ours.mappings[0]
        positions = {
            ref.sop_instance_uid: ours.table.positions[ref.frame].tolist()
            for ref in ours.table.references
        }
    assert positions == {d.SOPInstanceUID: [float(v) for v in d.ImagePositionPatient] for d in ct}
    with tempfile.TemporaryDirectory() as folder:
        assert_valid_bytes(buffer.getvalue(), Path(folder) if seed % 8 == 0 else None)
    assert np.array_equal(stored, values.astype(np.float64))
    expected = values.astype(np.float64)
    if slope != 1.0:
        expected = expected * slope
    if intercept != 0.0:
        expected = expected + intercept
    assert np.array_equal(real, expected)
    assert (back.slope, back.intercept, back.label) == (slope, intercept, "v")


def test_only_the_frames_a_query_needs_are_read(tmp_path: Path) -> None:
    from iodkit.pixels import FrameReader

    ct = synthetic.ct_series(8, 6, 7, with_pixels=False)
    values = np.arange(8 * 6 * 7, dtype=np.float32).reshape(8, 6, 7)
    path = tmp_path / "pm.dcm"
    ParametricMap(
        values,
        ct,
        RealWorldValueMapping.identity("v", "v", NO_UNITS),
        derivation=cid7203.SEGMENTATION,
    ).save(path)

    class Counting:
        def __init__(self) -> None:
            self.reader = FrameReader(path)
            self.dataset = self.reader.dataset
            self.read: list[int] = []
            self.prefetched: list[list[int]] = []

        def read_frame(self, index: int) -> np.ndarray:
            self.read.append(index)
            return self.reader.read_frame(index)

        def prefetch(self, indices: list[int]) -> None:
            self.prefetched.append(indices)

        def close(self) -> None:
            self.reader.close()

    source = Counting()
    with read_parametric_map(source) as ours:
        got = ours.get_pixels_by_source_instance([ct[2].SOPInstanceUID, ct[5].SOPInstanceUID])
    assert np.array_equal(got, values[[2, 5]].astype(np.float64))
    assert len(source.read) == 2
    assert source.prefetched == [sorted(source.read)]


@pytest.mark.parametrize("window", ["whole file", "3 frames", "no memory maps"])
@pytest.mark.parametrize("dtype", ["float32", "int16", "uint16"])
def test_mapped_file_reads_equal_frame_by_frame_reads(
    tmp_path: Path, dtype: str, window: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A map in a file is read through memory maps of its Pixel Data, a window of frames at a
    time (and by two threads for ≥ 32 planes); the same bytes from memory are read frame by
    frame: every query answers the same, in stored and real-world values, whole and cropped."""
    import io

    import iodkit.pm.reader

    if window == "3 frames":
        itemsize = 4 if dtype == "float32" else 2
        monkeypatch.setattr(iodkit.pm.reader, "WINDOW_BYTES", 3 * 6 * 5 * itemsize)
    if window == "no memory maps":  # a file system that cannot map: frames read one by one
        import mmap

        def cannot_map(*args: object, **kwargs: object) -> None:
            raise OSError(19, "No such device")

        monkeypatch.setattr(mmap, "mmap", cannot_map)

    ct = synthetic.ct_series(40, 6, 5, with_pixels=False)
    rng = np.random.default_rng(7)
    if dtype == "float32":
        values = rng.standard_normal((40, 6, 5)).astype(np.float32)
        mapping = RealWorldValueMapping("v", "v", NO_UNITS, slope=0.5, intercept=-2.0)
    else:
        values = rng.integers(0, 30, (40, 6, 5)).astype(dtype)
        table = np.cumsum(rng.random(30)) + 1.0
        mapping = RealWorldValueMapping("v", "v", NO_UNITS, lut=table)
    path = tmp_path / "pm.dcm"
    ParametricMap(values, ct, mapping, derivation=cid7203.SEGMENTATION).save(path)
    uids = [d.SOPInstanceUID for d in ct][::-1]

    def answers(source: object) -> list[np.ndarray]:
        with read_parametric_map(source) as pm:  # type: ignore[arg-type]
            mapped = pm._index.maps_native
            return [
                np.array(mapped),
                pm.get_volume().array,
                pm.get_volume(apply_real_world_transform=False, dtype=values.dtype).array,
                pm.get_volume(slice_start=3, slice_end=-2, row_start=2, column_end=4).array,
                pm.get_pixels_by_source_instance(uids),
                pm.get_frame(17, apply_real_world_transform=False, dtype=np.float32),
            ]

    from_file = answers(path)
    from_memory = answers(io.BytesIO(path.read_bytes()))
    assert bool(from_file[0]) and not bool(from_memory[0])
    for ours, theirs in zip(from_file[1:], from_memory[1:], strict=True):
        assert ours.dtype == theirs.dtype
        assert np.array_equal(ours, theirs)
    assert np.array_equal(from_file[2][::-1], values)  # slices along −z: the series reversed

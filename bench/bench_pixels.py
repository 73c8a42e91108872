"""Pixel runtime benchmarks, side by side in one run (PS3.5 8.1.1 / A.4 workloads).

1. 1-bit packing of a 200×512×512 bool volume: iodkit ``pack_bits`` vs highdicom's frame
   encoding (``highdicom.frame.encode_frame`` per frame, as its Segmentation does) vs
   ``numpy.packbits`` over the flattened volume (the practical limit). Median time and peak
   traced memory (tracemalloc; NumPy reports its buffers to it).
2. Frame reads from large multi-frame files (native 16-bit, JPEG-LS, native 1-bit): iodkit
   ``FrameReader`` vs ``highdicom.io.ImageFileReader``, random frames, open time included.
3. Encoding frames with JPEG-LS, JPEG 2000 and HTJ2K lossless: iodkit single-threaded vs
   thread pool, next to highdicom's ``encode_frame`` (pydicom's encoder plugins).

``--quick`` shrinks every workload (for a smoke run); numbers in reports come from a full run.
"""

from __future__ import annotations

import gc
import json
import os
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from iodkit.pixels import FrameReader, encode_frames, pack_bits, write_dataset
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import (
    ExplicitVRLittleEndian,
    HTJ2KLossless,
    JPEG2000Lossless,
    JPEGLSLossless,
    generate_uid,
)

RESULTS = Path(__file__).parent / "results"


def timed(function: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Median wall time of ``repeat`` calls (after one warm-up), and the last result."""
    result = function()
    times = []
    for _ in range(repeat):
        gc.collect()
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def peak_memory(function: Callable[[], Any]) -> int:
    """Peak bytes allocated (beyond what was live before) while ``function`` runs."""
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base, _ = tracemalloc.get_traced_memory()
        result = function()
        _, peak = tracemalloc.get_traced_memory()
        del result
    finally:
        tracemalloc.stop()
    return peak - base


def mib(n: float) -> str:
    return f"{n / (1 << 20):8.1f} MiB"


def table(title: str, header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    print(f"\n{title}")
    print("  " + "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    for row in rows:
        print("  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))


# -- 1. 1-bit packing -----------------------------------------------------------------------


def bench_packing(frames: int, size: int, repeat: int) -> dict[str, Any]:
    import highdicom as hd

    rng = np.random.default_rng(0)
    volume = np.zeros((frames, size, size), dtype=bool)
    yy, xx = np.mgrid[:size, :size]
    for index in range(frames):  # blobs, like a segmentation
        cy, cx = rng.integers(size // 4, 3 * size // 4, 2)
        volume[index] = (yy - cy) ** 2 + (xx - cx) ** 2 < (size // 6) ** 2
    as_uint8 = volume.view(np.uint8)  # zero-copy: highdicom refuses bool (dtype kind 'b')

    def ours() -> bytes:
        return pack_bits(volume)

    def ours_iter() -> bytes:
        return pack_bits(iter(volume))

    def highdicom() -> bytes:
        return b"".join(
            hd.frame.encode_frame(
                frame,
                transfer_syntax_uid=ExplicitVRLittleEndian,
                bits_allocated=1,
                bits_stored=1,
                photometric_interpretation="MONOCHROME2",
                pixel_representation=0,
            )
            for frame in as_uint8
        )

    def numpy_limit() -> np.ndarray:
        return np.packbits(volume.reshape(-1), bitorder="little")

    reference = np.packbits(volume.reshape(-1), bitorder="little").tobytes()
    rows, out = [], {}
    for name, function in [
        ("iodkit pack_bits(array)", ours),
        ("iodkit pack_bits(iterator)", ours_iter),
        ("highdicom encode_frame ×N", highdicom),
        ("numpy.packbits (limit)", numpy_limit),
    ]:
        seconds, result = timed(function, repeat)
        assert bytes(result)[: len(reference)] == reference, name
        peak = peak_memory(function)
        out[name] = {"median_s": seconds, "peak_bytes": peak}
        rows.append([name, f"{seconds * 1000:8.1f} ms", mib(peak)])
    table(
        f"1-bit packing of {frames}×{size}×{size} bool (input {mib(volume.nbytes).strip()}, "
        f"output {mib(len(reference)).strip()}), median of {repeat}",
        ["", "median", "peak traced memory"],
        rows,
    )
    return out


# -- 2. frame reads -------------------------------------------------------------------------


def _dataset() -> Dataset:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7.3"
    ds.SOPInstanceUID = generate_uid()
    return ds


def _smooth_frames(n: int, size: int, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size]
    base = ((np.sin(yy / 17.0) + np.cos(xx / 23.0) + 2) * 1000).astype(np.uint16)
    return np.stack([base + rng.integers(0, 16, (size, size), dtype=np.uint16) for _ in range(n)])


def bench_reads(directory: Path, frames: int, size: int, reads: int) -> dict[str, Any]:
    import highdicom as hd

    data = _smooth_frames(frames, size)
    masks = data > 2000
    files: dict[str, Path] = {}
    for label, array, ts in [
        (f"native 16-bit, {frames}×{size}²", data, ExplicitVRLittleEndian),
        (f"JPEG-LS 16-bit, {frames}×{size}²", data, JPEGLSLossless),
        (f"native 1-bit, {frames}×{size}²", masks, ExplicitVRLittleEndian),
    ]:
        path = directory / f"read-{len(files)}.dcm"
        ds = _dataset()
        encode_frames(
            array, transfer_syntax_uid=ts, bits_stored=12 if array.dtype != bool else None
        ).apply_to(ds)
        write_dataset(ds, path)
        del ds
        files[label] = path
    indices = np.random.default_rng(2).integers(0, frames, reads).tolist()
    rows, out = [], {}
    for label, path in files.items():

        def ours(path: Path = path) -> np.ndarray:
            with FrameReader(path) as reader:
                for i in indices:  # keep one frame alive at a time, as a reader loop would
                    frame = reader.read_frame(i)
            return frame

        def theirs(path: Path = path) -> np.ndarray:
            with hd.io.ImageFileReader(path) as reader:
                for i in indices:
                    frame = reader.read_frame(i, correct_color=False)
            return frame

        with FrameReader(path) as a, hd.io.ImageFileReader(path) as b:
            for i in indices[:20]:
                assert np.array_equal(a.read_frame(i), b.read_frame(i, correct_color=False))
        t_ours, _ = timed(ours, 3)
        t_theirs, _ = timed(theirs, 3)
        m_ours, m_theirs = peak_memory(ours), peak_memory(theirs)
        size_mib = path.stat().st_size / (1 << 20)
        out[label] = {
            "iodkit_s": t_ours,
            "highdicom_s": t_theirs,
            "file_mib": size_mib,
            "iodkit_peak": m_ours,
            "highdicom_peak": m_theirs,
        }
        rows.append(
            [
                f"{label} ({size_mib:.0f} MiB)",
                f"{t_ours / reads * 1e6:8.1f} µs",
                f"{t_theirs / reads * 1e6:8.1f} µs",
                f"{t_theirs / t_ours:5.1f}×",
                mib(m_ours),
                mib(m_theirs),
            ]
        )
    table(
        f"Frame reads: open + {reads} random frames, per frame (median of 3)",
        ["file", "iodkit", "highdicom", "speed-up", "iodkit peak", "highdicom peak"],
        rows,
    )
    return out


# -- 3. threaded encoding -------------------------------------------------------------------


def bench_encoding(frames: int, size: int) -> dict[str, Any]:
    import highdicom as hd

    data = _smooth_frames(frames, size, seed=3)
    rows, out = [], {}
    workers = os.cpu_count() or 1
    for ts in (JPEGLSLossless, JPEG2000Lossless, HTJ2KLossless):

        def ours(threads: int, ts: str = ts) -> Any:
            return encode_frames(data, transfer_syntax_uid=ts, bits_stored=16, threads=threads)

        def theirs(ts: str = ts) -> list[bytes]:
            return [hd.frame.encode_frame(f, ts, 16, 16, "MONOCHROME2", 0) for f in data]

        single, encoded = timed(lambda: ours(1), 3)
        pooled, _ = timed(lambda: ours(workers), 3)
        if ts == HTJ2KLossless:
            hd_time = float("nan")  # highdicom cannot write HTJ2K
        else:
            hd_time, _ = timed(
                theirs,
                1,
            )
        ratio = data.nbytes / encoded.nbytes
        out[ts.name] = {
            "single_s": single,
            "threads_s": pooled,
            "workers": workers,
            "highdicom_s": hd_time,
            "encoder": encoded.encoder,
            "ratio": ratio,
        }
        rows.append(
            [
                ts.name.replace(" Image Compression", ""),
                encoded.encoder,
                f"{single * 1000:8.0f} ms",
                f"{pooled * 1000:8.0f} ms",
                f"{single / pooled:4.2f}×",
                "n/a" if hd_time != hd_time else f"{hd_time * 1000:8.0f} ms",
                f"{ratio:4.2f}",
            ]
        )
    table(
        f"Encoding {frames} frames of {size}×{size} uint16 (median of 3; {workers} cores)",
        [
            "transfer syntax",
            "library",
            "1 thread",
            f"{workers} threads",
            "speed-up",
            "highdicom",
            "ratio",
        ],
        rows,
    )
    return out


def main(argv: list[str]) -> None:
    quick = "--quick" in argv
    results: dict[str, Any] = {}
    results["packing"] = bench_packing(20 if quick else 200, 512, 2 if quick else 5)
    with tempfile.TemporaryDirectory(prefix="iodkit-bench-") as directory:
        results["reads"] = bench_reads(
            Path(directory), 100 if quick else 2000, 256, 50 if quick else 500
        )
    results["encoding"] = bench_encoding(8 if quick else 64, 512)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bench_pixels.json").write_text(json.dumps(results, indent=2, default=str))

"""iodkit reads every Segmentation in ../shared/testdata exactly as highdicom 0.28 does.

The files were written by highdicom (BINARY, FRACTIONAL, LABELMAP with and without palette,
TILED_FULL, TILED_SPARSE, single-frame and no-frame-of-reference sources) and by dcmqi (partial
overlaps, a sparse label map without Pixel Padding Value, an SR example's segmentation). For
each file and each query the file supports — by source instance, by source frame, by
dimension index values, as a volume, as (a region of) the total pixel matrix — with and
without combining, relabelling and segment selection, iodkit's array equals highdicom's in
shape, dtype and values, and where highdicom refuses a query iodkit refuses it too.

highdicom leaves its SQLite tables locked after a failed query, so its object is read again
after each failure. Known highdicom 0.28 bugs are avoided rather than copied: combining all
but one of a LABELMAP's segments without relabelling keeps the left-out segment there.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from iodkit.seg import SegmentationReadError
from iodkit.seg.reader import read_segmentation

hd = pytest.importorskip("highdicom")
logging.getLogger("highdicom").setLevel(logging.ERROR)

FILES = [
    "highdicom/seg_image_cr_binary.dcm",
    "highdicom/seg_image_ct_binary.dcm",
    "highdicom/seg_image_ct_binary_fractional.dcm",
    "highdicom/seg_image_ct_binary_overlap.dcm",
    "highdicom/seg_image_ct_binary_single_frame.dcm",
    "highdicom/seg_image_ct_true_fractional.dcm",
    "highdicom/seg_image_sm_control.dcm",
    "highdicom/seg_image_sm_control_labelmap.dcm",
    "highdicom/seg_image_sm_control_labelmap_palette_color.dcm",
    "highdicom/seg_image_sm_dots.dcm",
    "highdicom/seg_image_sm_dots_tiled_full.dcm",
    "highdicom/seg_image_sm_numbers.dcm",
    "dcmqi/segmentations_partial_overlaps.dcm",
    "dcmqi/segmentations_sparse-labelmap-noppv.dcm",
    "dcmqi/sr-example_seg.dcm",
]

OPTIONS: list[dict[str, Any]] = [
    {},
    {"combine_segments": True},
    {"combine_segments": True, "relabel": True},
    {"combine_segments": True, "skip_overlap_checks": True},
    {"rescale_fractional": False},
    {"dtype": np.float64},
]


def compare(hd_call: Callable[[], np.ndarray], our_call: Callable[[], np.ndarray]) -> str:
    """'equal', 'both refuse', or raise with the difference."""
    try:
        expected = hd_call()
    except Exception as exc:  # highdicom raises ValueError/RuntimeError/KeyError/…
        with pytest.raises((SegmentationReadError, KeyError, ValueError, TypeError)):
            our_call()
        return f"both refuse ({type(exc).__name__})"
    got = our_call()
    assert got.shape == expected.shape
    assert got.dtype == expected.dtype
    assert np.array_equal(got, expected)
    return "equal"


def subsets(numbers: list[int]) -> list[list[int]]:
    """Segment selections highdicom handles correctly: one segment, all but two, reversed."""
    out = [numbers[-1:]]
    if len(numbers) > 3:
        out.append(numbers[1:-1][::-1])
    return out


class Highdicom:
    """highdicom's object for a file, read again after a query fails (its SQLite tables stay
    locked then)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.current = hd.seg.segread(path)

    def __call__(self) -> Any:
        return self.current

    def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return getattr(self.current, method)(*args, **kwargs)
        except Exception:
            self.current = hd.seg.segread(self.path)
            raise


@pytest.mark.parametrize("name", FILES)
def test_same_as_highdicom(testdata: Path, name: str) -> None:
    path = testdata / name
    fresh = Highdicom(path)
    reference = hd.seg.segread(path)
    results: dict[str, str] = {}
    with read_segmentation(path) as ours:
        assert ours.segment_numbers == [int(n) for n in reference.segment_numbers]
        assert ours.segmentation_type == reference.segmentation_type.value
        assert sorted(ours.get_source_image_uids()) == sorted(
            tuple(str(u) for u in t) for t in reference.get_source_image_uids()
        )
        uids = [str(t[2]) for t in reference.get_source_image_uids()]
        selections = [{"segment_numbers": s} for s in subsets(reference.segment_numbers)]
        for options in OPTIONS + selections:
            key = repr(options)

            def call(
                method: str, *args: Any, options: dict[str, Any] = options, **extra: Any
            ) -> str:
                return compare(
                    lambda: fresh.call(method, *args, **options, **extra),
                    lambda: getattr(ours, method)(*args, **options, **extra),
                )

            # a tiled image is one source instance: by-instance queries fail (not unique)
            if not reference.is_tiled or not options:
                results[f"instance {key}"] = call("get_pixels_by_source_instance", uids)
            tiled_full = reference.get("DimensionOrganizationType") == "TILED_FULL"
            if reference.is_tiled and len(uids) == 1 and (not tiled_full or not options):
                results[f"frame {key}"] = call("get_pixels_by_source_frame", uids[0])
            pointers = reference.get_default_dimension_index_pointers()
            if pointers:
                values = sorted(reference._get_unique_dim_index_values(pointers))[:5]
                results[f"dimension {key}"] = call("get_pixels_by_dimension_index_values", values)
            if reference.is_tiled:
                results[f"tpm {key}"] = call("get_total_pixel_matrix")
                results[f"tpm region {key}"] = call(
                    "get_total_pixel_matrix",
                    row_start=3,
                    row_end=-2,
                    column_start=7,
                    column_end=44,
                )
            if "dtype" not in options:
                results[f"volume {key}"] = compare(
                    lambda options=options: _volume(fresh.call("get_volume", **options)),
                    lambda options=options: _volume(ours.get_volume(**options)),
                )
    assert any(r == "equal" for r in results.values()), results


def _volume(volume: Any) -> np.ndarray:
    """Array and affine in one array, so one comparison covers both."""
    return np.concatenate(
        [volume.array.astype(np.float64).ravel(), np.round(volume.affine, 9).ravel()]
    )


def test_lazy_frames_and_segment_filters(testdata: Path) -> None:
    """Only the frames a query needs are decoded; segments filter by label and code."""
    from iodkit.codes import Code
    from iodkit.pixels import FrameReader

    class Counting:
        """A frame source (the interface a server-backed source implements) that records
        which frames are decoded."""

        def __init__(self, path: Path) -> None:
            self.reader = FrameReader(path)
            self.dataset = self.reader.dataset
            self.decoded: list[int] = []

        def read_frame(self, index: int) -> np.ndarray:
            self.decoded.append(index)
            return self.reader.read_frame(index)

        def close(self) -> None:
            self.reader.close()

    path = testdata / "highdicom" / "seg_image_sm_dots.dcm"
    source = Counting(path)
    decoded = source.decoded
    with read_segmentation(source) as ours:
        row = int(ours.table.tile_rows[0])
        column = int(ours.table.tile_columns[0])
        segment = int(ours.table.channels[0])
        tile = ours.get_total_pixel_matrix(
            row_start=row,
            row_end=row + 10,
            column_start=column,
            column_end=column + 10,
            segment_numbers=[segment],
        )
        assert decoded == [0]  # one tile of one segment: one frame read of the file's 62
        assert tile.shape == (10, 10, 1)
        reference = hd.seg.segread(path)
        first = reference.SegmentSequence[0]
        category = first.SegmentedPropertyCategoryCodeSequence[0]
        assert ours.get_segment_numbers(
            segment_label=first.SegmentLabel
        ) == reference.get_segment_numbers(segment_label=first.SegmentLabel)
        code = Code(category.CodeValue, category.CodingSchemeDesignator, category.CodeMeaning)
        assert ours.get_segment_numbers(
            segmented_property_category=code
        ) == reference.get_segment_numbers(
            segmented_property_category=hd.sr.CodedConcept(
                category.CodeValue, category.CodingSchemeDesignator, category.CodeMeaning
            )
        )


def test_repeated_dimension_index_values(testdata: Path) -> None:
    """A row asked for twice gives the same plane twice (one frame, several outputs)."""
    path = testdata / "highdicom" / "seg_image_ct_binary.dcm"
    with read_segmentation(path) as ours:
        pointers = [p for p in ours.dimension_index_pointers if p != 0x0062000B]
        columns = [ours.dimension_index_pointers.index(p) for p in pointers]
        first = [int(v) for v in ours.table.dimension_indices[0, columns]]
        once = ours.get_pixels_by_dimension_index_values([first])
        twice = ours.get_pixels_by_dimension_index_values([first, first])
        combined = ours.get_pixels_by_dimension_index_values([first, first], combine_segments=True)
        assert once.any()
        assert np.array_equal(twice, np.concatenate([once, once]))
        assert np.array_equal(combined[0], combined[1])
        assert np.array_equal(combined[0] > 0, once[0].any(axis=-1))

"""Recommended Display CIELab Values given where people think in RGB (segments, annotation
groups, graphic layers): floats were truncated to 0 and 1 and written; (255, 0, 0) was written
as a CIELab value — near black — without a word. iodkit.cielab refuses both and converts an
sRGB colour; LittleCMS (Pillow's ImageCms, the render's converter) is the oracle."""

from __future__ import annotations

import numpy as np
import pytest
from iodkit.ann import AnnotationError, AnnotationGroup
from iodkit.cielab import cielab_from_rgb, cielab_value
from iodkit.codes import cid7150, cid8135
from iodkit.pr import GraphicLayer, PresentationStateError
from iodkit.seg import AlgorithmIdentification, SegmentationError, SegmentDescription


def test_rgb_to_pcs_agrees_with_littlecms() -> None:
    ImageCms = pytest.importorskip("PIL.ImageCms", reason="Pillow: pip install 'iodkit[render]'")
    from PIL import Image

    # CIE L*a*b* (D50) of sRGB red is about (54.29, 80.80, 69.89): PCS (35580, 53665, 50856)
    assert cielab_from_rgb((255, 0, 0)) == (35580, 53665, 50856)
    assert cielab_from_rgb((1.0, 0.0, 0.0)) == cielab_from_rgb((255, 0, 0))
    assert cielab_from_rgb((255, 255, 255)) == (65535, 32896, 32896)  # white: a* = b* = 0
    to_lab = ImageCms.buildTransform(
        ImageCms.createProfile("sRGB"), ImageCms.createProfile("LAB"), "RGB", "LAB"
    )
    rng = np.random.default_rng(7)
    for rgb in [tuple(int(v) for v in rng.integers(0, 256, 3)) for _ in range(200)]:
        lab8 = ImageCms.applyTransform(Image.new("RGB", (1, 1), rgb), to_lab).getpixel((0, 0))
        ours = [v / 257 for v in cielab_from_rgb(rgb)]  # 8-bit Lab is the same scale / 257
        assert max(abs(a - b) for a, b in zip(ours, lab8, strict=True)) <= 1.0, (rgb, lab8)
    with pytest.raises(ValueError, match="0…255"):
        cielab_from_rgb((300, 0, 0))


def test_rgb_or_floats_given_as_cielab_are_refused_where_colours_are_taken() -> None:
    assert cielab_value((34000, 53000, 42000), "x") == (34000, 53000, 42000)
    assert cielab_value(np.array([34000, 53000, 42000], np.uint16).tolist(), "x")
    for wrong, said in [
        ((255, 0, 0), "looks like RGB 0…255"),
        ((1.0, 0.0, 0.0), "are floats"),
        ((70000, 0, 0), "0…65535"),
        ((1, 2), "three CIELab PCS values"),
    ]:
        with pytest.raises(ValueError, match=said):
            cielab_value(wrong, "x")
        with pytest.raises(PresentationStateError, match=f"layer 'L': cielab: .*{said}"):
            GraphicLayer("L", cielab=wrong)  # type: ignore[arg-type]
        with pytest.raises(AnnotationError, match=f"display_color: .*{said}"):
            AnnotationGroup(
                "n",
                cid7150.TISSUE,
                cid8135.NUCLEUS,
                "POINT",
                np.zeros((1, 2), np.float32),
                display_color=wrong,  # type: ignore[arg-type]
                algorithm=AlgorithmIdentification("a", "1"),
            )
        with pytest.raises(SegmentationError, match=f"segment 1 \\('b'\\) display_color: .*{said}"):
            SegmentDescription(
                1,
                "b",
                cid7150.TISSUE,
                cid8135.NUCLEUS,
                algorithm=AlgorithmIdentification("a", "1"),
                display_color=wrong,  # type: ignore[arg-type]
            )
    assert GraphicLayer("L", cielab=cielab_from_rgb((255, 0, 0))).cielab == (35580, 53665, 50856)

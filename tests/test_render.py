"""Pictures are checked pixel by pixel: a segment's colour lies inside the segment and nowhere
else, a presentation state's window gives the grey levels PS3.3 C.11.2.1.2 says, text lands at
its anchor, rotation moves what it should."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pydicom
import pytest
from iodkit.codes import cid7150, cid7166
from iodkit.pr import (
    LUT,
    VOI,
    GraphicAnnotation,
    GraphicLayer,
    GraphicObject,
    GrayscaleSoftcopyPresentationState,
    PseudoColorSoftcopyPresentationState,
    TextObject,
    Window,
)
from iodkit.seg import AlgorithmIdentification, Segmentation, SegmentDescription, synthetic

PIL = pytest.importorskip("PIL", reason="pictures need Pillow: pip install 'iodkit[render]'")
from iodkit.render import RenderError, render  # noqa: E402

ALGORITHM = AlgorithmIdentification("test", "1")


def coloured(picture) -> np.ndarray:
    """Where a picture of grey images is not grey: what was drawn in colour."""
    rgb = np.asarray(picture.convert("RGB")).astype(int)
    return (rgb[..., 0] != rgb[..., 1]) | (rgb[..., 1] != rgb[..., 2])


@pytest.fixture(scope="module")
def ct_and_seg(tmp_path_factory) -> tuple[list[pydicom.Dataset], np.ndarray, Path]:
    series = synthetic.ct_series(4, 24, 30)
    labels = np.zeros((4, 24, 30), dtype=np.uint8)
    labels[1, 5:12, 4:20] = 1
    labels[2, 3:20, 10:14] = 1
    labels[2, 15:22, 20:28] = 2
    segments = [
        SegmentDescription(1, "bone", cid7150.TISSUE, cid7166.BONE, algorithm=ALGORITHM),
        SegmentDescription(
            2,
            "fat",
            cid7150.TISSUE,
            cid7166.BONE,
            algorithm=ALGORITHM,
            display_color=(40000, 50000, 40000),
        ),
    ]
    path = tmp_path_factory.mktemp("seg") / "two.seg.dcm"
    Segmentation(labels, series, segments).save(path)
    return series, labels, path


@pytest.mark.parametrize("scale", [1, 3])
def test_segment_colour_lies_inside_the_segment(ct_and_seg, scale: int) -> None:
    series, labels, path = ct_and_seg
    picture = render(path, series, plane=2, scale=scale, legend=False)
    assert picture.size == (30 * scale, 24 * scale)
    expected = np.kron(labels[2] > 0, np.ones((scale, scale), dtype=bool))
    assert np.array_equal(coloured(picture), expected)
    rgb = np.asarray(picture)
    # segment 2 recommends CIELab (40000, 50000, 40000): its outline is drawn in that colour
    from iodkit.render.colors import cielab_to_rgb

    border = rgb[15 * scale, 24 * scale]  # top edge of segment 2
    assert tuple(int(v) for v in border) == cielab_to_rgb((40000, 50000, 40000))


def test_default_plane_and_mosaic(ct_and_seg, tmp_path: Path) -> None:
    series, labels, path = ct_and_seg
    fullest = render(path, series, scale=1, legend=False)
    assert np.array_equal(coloured(fullest), labels[2] > 0)  # plane 2 has the most pixels
    mosaic = render(path, series, mosaic=True, scale=1, legend=False)
    assert mosaic.width > 2 * 30  # planes 1 and 2 side by side, captioned
    with pytest.raises(RenderError, match="the image given is not a source"):
        render(path, synthetic.ct_series(1, 24, 30))


def test_gsps_window_gives_the_standard_grey_levels() -> None:
    ramp = np.tile(np.arange(-200, 200, 2, dtype=np.int16), (10, 1))  # 10×200 HU ramp
    [ct] = synthetic.ct_series(1, 10, 200, volume=ramp[None])
    center, width = 0.0, 201.0
    state = GrayscaleSoftcopyPresentationState([ct], voi=Window(center, width)).to_dataset()
    picture = render(state, [ct], scale=1, legend=False)
    grey = np.asarray(picture)[..., 0].astype(float)
    x = ramp.astype(float)  # rescale slope 1, intercept 0
    # PS3.3 C.11.2.1.2.1, LINEAR, onto 0…255
    expected = ((x - (center - 0.5)) / (width - 1) + 0.5) * 255
    expected = np.where(
        x <= center - 0.5 - (width - 1) / 2,
        0,
        np.where(x > center - 0.5 + (width - 1) / 2, 255, expected),
    )
    assert np.abs(grey - expected).max() <= 1.0
    inverse = GrayscaleSoftcopyPresentationState(
        [ct], voi=Window(center, width), presentation_lut="INVERSE"
    ).to_dataset()
    flipped = np.asarray(render(inverse, [ct], scale=1, legend=False))[..., 0].astype(float)
    assert np.abs(flipped - (255 - expected)).max() <= 1.0


def test_text_lands_at_its_anchor_and_graphics_follow_rotation() -> None:
    [ct] = synthetic.ct_series(1, 40, 60, volume=np.zeros((1, 40, 60), dtype=np.int16))
    scale = 4
    anchor = (10.0, 25.0)
    note = GraphicAnnotation("NOTES", text_objects=[TextObject("XY", anchor=anchor)])
    state = GrayscaleSoftcopyPresentationState(
        [ct],
        annotations=[note],
        layers=[GraphicLayer("NOTES", cielab=(50000, 50000, 20000))],
        voi=Window(0, 100),
    )
    drawn = coloured(render(state.to_dataset(), [ct], scale=scale, legend=False))
    rows, columns = np.nonzero(drawn)
    assert len(rows) > 10
    x0, y0 = anchor[0] * scale, anchor[1] * scale
    assert x0 - 1 <= columns.min() <= x0 + 4 and y0 - 1 <= rows.min() <= y0 + 8
    assert columns.max() < x0 + 40 and rows.max() < y0 + 25  # the text is beside its anchor
    # a point graphic at (50, 5) turned 90° clockwise lands at (rows - 5, 50) = (35, 50)
    point = GraphicAnnotation("NOTES", graphic_objects=[GraphicObject("POINT", [(50, 5)])])
    turned = GrayscaleSoftcopyPresentationState(
        [ct], annotations=[point], voi=Window(0, 100), rotation=90
    )
    mark = coloured(render(turned.to_dataset(), [ct], scale=scale, legend=False))
    rows, columns = np.nonzero(mark)
    assert mark.shape == (60 * scale, 40 * scale)
    assert abs(columns.mean() - 35 * scale) <= 1.5 and abs(rows.mean() - 50 * scale) <= 1.5


def test_pseudo_color_uses_the_palette() -> None:
    ramp = np.tile(np.arange(0, 256, dtype=np.int16), (4, 1))
    [ct] = synthetic.ct_series(1, 4, 256, volume=ramp[None])
    palette = np.zeros((256, 3), dtype=np.uint8)
    palette[:, 0] = np.arange(256)  # black → red
    state = PseudoColorSoftcopyPresentationState(
        [ct], palette, voi=Window(127.5, 256, "LINEAR_EXACT")
    )
    rgb = np.asarray(render(state.to_dataset(), [ct], scale=1, legend=False)).astype(int)
    assert (rgb[..., 1] == 0).all() and (rgb[..., 2] == 0).all()
    assert np.abs(rgb[0, :, 0] - np.arange(256)).max() <= 1


def test_cli_writes_a_png(ct_and_seg, tmp_path: Path) -> None:
    from iodkit.cli import main

    series, _, path = ct_and_seg
    folder = tmp_path / "ct"
    folder.mkdir()
    for k, ds in enumerate(series):
        ds.save_as(folder / f"{k}.dcm", enforce_file_format=True)
    out = tmp_path / "seg.png"
    assert main(["render", str(path), str(folder), "-o", str(out), "--mosaic"]) == 0
    assert PIL.Image.open(out).size[0] > 60
    assert main(["render", str(path), str(folder), "--group", "nuclei"]) == 2  # not for a SEG
    assert main(["render", str(folder / "0.dcm"), "-o", str(tmp_path / "ct.png")]) == 0
    assert main(["render", str(tmp_path / "missing.dcm")]) == 2


def test_messages_say_what_is_drawn(ct_and_seg, tmp_path: Path, capsys) -> None:
    """QA-16: an object without an image is named and what render draws is said; no images
    at all is said as such; counts agree with their nouns; --region's counting is explained
    next to read_slide's, and what --help says about it holds."""
    from iodkit.cli import main
    from iodkit.render.cli import EPILOG
    from iodkit.sr import KeyObjectSelection
    from iodkit.wsi import SlideImage, read_slide

    series, _, path = ct_and_seg
    kos = tmp_path / "kos.dcm"
    KeyObjectSelection(series[:2]).save(kos)
    assert main(["render", str(kos), str(path)]) == 2
    said = capsys.readouterr().err
    assert "is a Key Object Selection Document (1.2.840.10008.5.1.4.1.1.88.59)" in said
    assert "holds no image: iodkit render draws Segmentations" in said
    assert "pixel data" not in said
    with pytest.raises(RenderError, match="holds no image"):
        render(pydicom.dcmread(kos), [])
    with pytest.raises(
        RenderError, match=r"^no images were given: pass its source images \(it references 4 "
    ):
        render(path, [])
    others = synthetic.ct_series(2, 8, 8)
    with pytest.raises(
        RenderError, match=r"^none of the 2 images given is a source .* references 4 instances"
    ):
        render(path, others)
    with pytest.raises(RenderError, match=r"^the image given is not a source"):
        render(path, others[:1])
    assert main(["render", str(path), "--group", "a", "--frame", "1"]) == 2
    assert "--group, --frame do not apply to a Segmentation" in capsys.readouterr().err
    assert main(["render", str(path), "--group", "a"]) == 2
    assert "--group does not apply to a Segmentation" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["render", "--help"])
    helped = capsys.readouterr().out
    assert "0-based" in helped and "get_region(21, 71, 11, 111)" in helped
    # what the help says: --region 10 20 100 50 is what get_region reads with those numbers
    rgb = np.random.default_rng(3).integers(0, 256, size=(90, 120, 3), dtype=np.uint8)
    slide = SlideImage(rgb, tile_size=32).to_dataset()
    assert "--region 10 20 100 50 is\ncolumns 10-109 and rows 20-69" in EPILOG
    with read_slide(slide) as reader:
        assert np.array_equal(reader.get_region(21, 71, 11, 111), rgb[20:70, 10:110])
        assert np.array_equal(
            reader.get_region(20, 70, 10, 110, as_indices=True), rgb[20:70, 10:110]
        )


def test_cli_draws_annotations(testdata: Path, tmp_path: Path) -> None:
    from iodkit.ann import AnnotationGroup, MicroscopyBulkSimpleAnnotations
    from iodkit.cli import main
    from iodkit.codes import cid8135

    slide_path = testdata / "highdicom" / "sm_image.dcm"
    slide = pydicom.dcmread(slide_path)
    dots = AnnotationGroup(
        "dots",
        cid7150.TISSUE,
        cid8135.CELL,
        "POINT",
        np.array([[5.0, 5.0], [40.0, 30.0]]),
        generation_type="MANUAL",
    )
    path = tmp_path / "dots.ann.dcm"
    MicroscopyBulkSimpleAnnotations(slide, [dots]).save(path)
    out = tmp_path / "dots.png"
    args = ["render", str(path), str(slide_path), "-o", str(out), "--group", "dots"]
    assert main([*args, "--region", "0", "0", "50", "50", "--scale", "2"]) == 0
    assert PIL.Image.open(out).size[1] > 100  # 100 pixels of slide region, then the legend
    assert main([*args, "--group", "cells"]) == 2  # no such group: said, exit 2
    assert main([*args, "--plane", "1"]) == 2  # a SEG option


def test_annotations_over_the_slide(testdata: Path) -> None:
    from iodkit.ann import AnnotationGroup, MicroscopyBulkSimpleAnnotations
    from iodkit.codes import cid8135
    from iodkit.render.colors import cielab_to_rgb

    slide = pydicom.dcmread(testdata / "highdicom" / "sm_image.dcm")  # 50×50, tiles of 10×10
    box = np.array([[10, 12], [30, 12], [30, 20], [10, 20]], dtype=np.float32)
    lab = (30000, 60000, 30000)
    colour = cielab_to_rgb(lab)
    rect = AnnotationGroup(
        "box",
        cid7150.TISSUE,
        cid8135.CELL,
        "RECTANGLE",
        box,
        generation_type="MANUAL",
        display_color=lab,
    )
    ds = MicroscopyBulkSimpleAnnotations(slide, [rect]).to_dataset()
    picture = render(ds, [slide], region=(0, 0, 50, 50), scale=4, legend=False)
    assert picture.size == (200, 200)
    rows, columns = np.nonzero((np.asarray(picture) == colour).all(axis=-1))
    assert (columns.min(), columns.max(), rows.min(), rows.max()) == (40, 120, 48, 80)
    # the background is the slide's own pixels: tile (row 1, column 2) at 4× is the slide there
    expected = np.asarray(slide.pixel_array[1])[0, 0]
    assert tuple(np.asarray(picture)[41, 81]) == tuple(int(v) for v in expected)
    # 3D: a point at the slide coordinates of pixel (column 20, row 30) lands there
    origin = slide.TotalPixelMatrixOriginSequence[0]
    spacing = [
        float(v)
        for v in slide.SharedFunctionalGroupsSequence[0].PixelMeasuresSequence[0].PixelSpacing
    ]
    iop = np.asarray(slide.ImageOrientationSlide, dtype=float)
    xyz = np.array(
        [
            float(origin.XOffsetInSlideCoordinateSystem),
            float(origin.YOffsetInSlideCoordinateSystem),
            0.0,
        ]
    )
    xyz = (
        xyz + 20 * spacing[1] * iop[:3] + 30 * spacing[0] * iop[3:]
    )  # centre of pixel (20, 30), 0-based
    dot = AnnotationGroup(
        "dot",
        cid7150.TISSUE,
        cid8135.CELL,
        "POINT",
        xyz[None].astype(np.float64),
        generation_type="MANUAL",
        display_color=lab,
    )
    deep = MicroscopyBulkSimpleAnnotations(slide, [dot]).to_dataset()
    mark = (
        np.asarray(render(deep, [slide], region=(0, 0, 50, 50), scale=4, legend=False)) == colour
    ).all(axis=-1)
    rows, columns = np.nonzero(mark)
    assert abs(columns.mean() - 20.5 * 4) <= 1 and abs(rows.mean() - 30.5 * 4) <= 1
    with pytest.raises(RenderError, match="no annotation group 'nuclei'"):
        render(ds, [slide], groups=["nuclei"])


@pytest.mark.parametrize("organization", ["TILED_SPARSE", "TILED_FULL"])
def test_slide_segmentation_over_its_slide(organization: str) -> None:
    """A Segmentation of a slide (CORE's WSI writer) drawn over a region of the slide: the
    pixels that differ from the slide are exactly the segment's. A TILED_FULL one too: it
    names its slide in a shared Derivation Image group (it has no per-frame groups), which
    is how render finds the slide — another level of the same specimen, in the same frame of
    reference, is not taken for it."""
    from iodkit.wsi import SlideImage

    rgb = np.full((90, 120, 3), 220, dtype=np.uint8)
    rgb[:, ::7] = (90, 60, 140)  # some texture under the overlay
    yy, xx = np.mgrid[:90, :120]
    mask = ((yy - 45) ** 2 / 25**2 + (xx - 60) ** 2 / 40**2) < 1
    slide = SlideImage(rgb, tile_size=32).to_dataset()
    seg = Segmentation(
        mask.astype(np.uint8),
        slide,
        [SegmentDescription(1, "tumour", cid7150.TISSUE, cid7166.BONE, algorithm=ALGORITHM)],
        dimension_organization_type=organization,
    )
    region = (30, 20, 70, 50)
    picture = np.asarray(render(seg.to_dataset(), [slide], region=region, scale=1, legend=False))
    column, row, width, height = region
    under = rgb[row : row + height, column : column + width]
    changed = (picture != under).any(axis=-1)
    assert np.array_equal(changed, mask[row : row + height, column : column + width])
    other = copy.deepcopy(slide)
    other.SOPInstanceUID = pydicom.uid.generate_uid()  # same specimen and frame of reference
    with pytest.raises(RenderError, match="the image given is not the slide"):
        render(seg.to_dataset(), [other], region=region)


def test_color_state_through_its_icc_profile() -> None:
    """A Color Softcopy Presentation State with an sRGB profile shows an RGB image as it is
    (LittleCMS sRGB → sRGB: within rounding), its text in the layer's colour."""
    from iodkit.pixels import PixelDescription
    from iodkit.pr import ColorSoftcopyPresentationState

    photo = synthetic.photograph(24, 32)
    PixelDescription(
        24, 32, 8, 8, samples_per_pixel=3, photometric_interpretation="RGB"
    ).checked().apply_to(photo)
    rgb = np.random.default_rng(1).integers(0, 256, size=(24, 32, 3), dtype=np.uint8)
    photo.PixelData = rgb.tobytes()
    state = ColorSoftcopyPresentationState([photo]).to_dataset()
    shown = np.asarray(render(state, [photo], scale=1, legend=False)).astype(int)
    assert shown.shape == rgb.shape and np.abs(shown - rgb).max() <= 2


def test_voi_lut_states_render_through_their_table() -> None:
    """QA-1: a state with a VOI LUT (its own, or copied from the image) is drawn through the
    table: value v maps to entry v - first mapped, clipped at both ends (C.11.2.1.1)."""
    ramp = np.tile(np.arange(-1100, 1100, 11, dtype=np.int16), (4, 1))  # 4×200, below and above
    [ct] = synthetic.ct_series(1, 4, 200, volume=ramp[None])
    table = LUT(tuple(range(0, 4096, 2)), -1024, 12)  # 2048 entries: -1024…1023
    state = GrayscaleSoftcopyPresentationState([ct], voi=[VOI(table)]).to_dataset()
    grey = np.asarray(render(state, [ct], scale=1, legend=False))[..., 0].astype(float)
    index = np.clip(ramp.astype(int) + 1024, 0, 2047)
    assert np.abs(grey - index * 2 / 4095 * 255).max() <= 1.0
    image = copy.deepcopy(ct)  # the image's own VOI LUT, copied by voi="image"
    image.VOILUTSequence = state.SoftcopyVOILUTSequence[0].VOILUTSequence
    copied = GrayscaleSoftcopyPresentationState([image]).to_dataset()
    assert np.array_equal(np.asarray(render(copied, [image], scale=1, legend=False))[..., 0], grey)


def test_multi_frame_images_use_their_functional_groups() -> None:
    """An enhanced multi-frame image keeps its rescale and window in the Pixel Value
    Transformation and Frame VOI LUT functional groups (PS3.3 C.7.6.16.2.9/.10): each frame
    of a Legacy Converted CT shows as its classic image does, and a Parametric Map frame of
    near-zero probabilities under its 0…1 window is dark — not its own range stretched to
    white."""
    from iodkit.codes import Code, cid7203
    from iodkit.legacy import LegacyConvertedEnhancedImage
    from iodkit.pm import ParametricMap, RealWorldValueMapping

    volume = synthetic.phantom(3, 20, 24)
    series = synthetic.ct_series(3, 20, 24, volume=volume)
    for ds in series:  # stored values offset by the intercept, as scanners write them
        ds.PixelData = (ds.pixel_array.astype(np.int32) + 1024).astype(np.int16).tobytes()
        ds.RescaleIntercept, ds.WindowCenter, ds.WindowWidth = -1024, 40, 400
    lce = LegacyConvertedEnhancedImage(series).to_dataset()
    by_uid = {ds.SOPInstanceUID: ds for ds in series}
    for frame, item in enumerate(lce.PerFrameFunctionalGroupsSequence):
        source = by_uid[item.ConversionSourceAttributesSequence[0].ReferencedSOPInstanceUID]
        shown = np.asarray(render(lce, frame=frame, scale=1))
        assert np.array_equal(shown, np.asarray(render(source, scale=1)))

    p = np.zeros((3, 20, 24), dtype=np.float32)
    p[0, 5:15, 5:15] = 0.002  # frame 0: the model is sure there is nothing
    p[1, 5:15, 5:15] = 1.0
    mapping = RealWorldValueMapping(
        "p", "probability", Code("1", "UCUM", "no units"), slope=1.0, intercept=0.0
    )
    pm = ParametricMap(p, series, mapping, derivation=cid7203.SEGMENTATION).to_dataset()
    window = pm.SharedFunctionalGroupsSequence[0].FrameVOILUTSequence[0]
    assert (float(window.WindowCenter), float(window.WindowWidth)) == (0.5, 1.0)
    assert np.asarray(render(pm, frame=0, scale=1)).max() <= 1
    assert np.asarray(render(pm, frame=1, scale=1))[10, 10, 0] == 255


def test_files_without_the_part_10_header(tmp_path: Path, capsys) -> None:
    """A dataset written without preamble and "DICM" (old files, fo-dicom's CR-MONO1-10-chest)
    is drawn as iodkit validate reads it; a file that is no DICOM at all is said to be so,
    without pydicom's "Use force=True", which no caller of `iodkit render` can pass."""
    from iodkit.cli import main

    [ct] = synthetic.ct_series(1, 10, 12)
    expected = np.asarray(render(ct, scale=1))
    bare = tmp_path / "bare.dcm"
    ct.preamble, ct.file_meta = None, pydicom.dataset.FileMetaDataset()
    pydicom.dcmwrite(bare, ct, implicit_vr=True, little_endian=True, enforce_file_format=False)
    assert bare.read_bytes()[128:132] != b"DICM"
    assert np.array_equal(np.asarray(render(bare, scale=1)), expected)
    assert main(["render", str(bare), "-o", str(tmp_path / "bare.png")]) == 0
    text = tmp_path / "notes.txt"
    text.write_text("not an image\n")
    assert main(["render", str(text)]) == 2
    said = capsys.readouterr().err
    assert "not a DICOM file" in said and "force" not in said
    with pytest.raises(RenderError, match="not a DICOM file"):
        render(text)
    del ct.PixelData
    with pytest.raises(RenderError, match="has no Pixel Data: nothing to draw"):
        render(ct)


def test_presentation_state_picture_names_its_image_as_a_viewer_does() -> None:
    """The legend said "… on 204493266525" (the end of a UID); a person looks for the
    modality and Instance Number (and the frame)."""
    from iodkit.render.pr import _which

    [ct] = synthetic.ct_series(1, 8, 8)
    ct.InstanceNumber = 25
    assert _which(ct, None) == "CT image 25"
    assert _which(ct, 2) == "CT image 25, frame 2"
    del ct.InstanceNumber
    assert _which(ct, None) == f"image …{str(ct.SOPInstanceUID)[-12:]}"


def test_cli_output_that_cannot_be_written_or_another_format(tmp_path: Path, capsys) -> None:
    """-o into a folder that does not exist ended in a Python traceback (exit 1, which means
    'found problems'); -o x.jpg wrote PNG bytes under a .jpg name."""
    from iodkit.cli import main
    from PIL import Image

    [ct] = synthetic.ct_series(1, 10, 12)
    image = tmp_path / "ct.dcm"
    ct.save_as(image, enforce_file_format=True)
    assert main(["render", str(image), "-o", str(tmp_path / "no" / "such" / "x.png")]) == 2
    said = capsys.readouterr().err
    assert said.startswith("iodkit render: cannot write ") and "Traceback" not in said
    assert main(["render", str(image), "-o", str(tmp_path / "x.jpg")]) == 0
    with Image.open(tmp_path / "x.jpg") as written:
        assert written.format == "JPEG"
    assert main(["render", str(image), "-o", str(tmp_path / "x.unknown")]) == 0
    with Image.open(tmp_path / "x.unknown") as written:
        assert written.format == "PNG"

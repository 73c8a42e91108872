"""Softcopy presentation states: written, checked by dciodvfy and iodkit validate, read back to
what was given; highdicom's GSPS read to what highdicom was given; bad references refused."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pydicom
import pytest
from iodkit.pixels import PixelDescription
from iodkit.pr import (
    LUT,
    VOI,
    ColorSoftcopyPresentationState,
    DisplayedArea,
    GraphicAnnotation,
    GraphicLayer,
    GraphicObject,
    GrayscaleSoftcopyPresentationState,
    ImageReference,
    PresentationStateError,
    PseudoColorSoftcopyPresentationState,
    Rescale,
    TextObject,
    Window,
    read_presentation_state,
)
from iodkit.seg import synthetic

from tests.oracles import assert_valid


@pytest.fixture(scope="module")
def ct() -> list[pydicom.Dataset]:
    return synthetic.ct_series(3, 32, 40)


def rgb_photo() -> pydicom.Dataset:
    ds = synthetic.photograph(24, 30)
    PixelDescription(
        24, 30, 8, 8, samples_per_pixel=3, photometric_interpretation="RGB"
    ).checked().apply_to(ds)
    ds.PixelData = np.arange(24 * 30 * 3, dtype=np.uint8).tobytes()
    return ds


def everything(ct: list[pydicom.Dataset]) -> dict[str, object]:
    findings = GraphicAnnotation(
        "FINDINGS",
        graphic_objects=[
            GraphicObject("POINT", [(5.5, 6.25)]),
            GraphicObject("POLYLINE", [(1, 1), (10, 1), (10, 10), (1, 1)], filled=True),
            GraphicObject("INTERPOLATED", [(2, 2), (6, 9), (12, 3)]),
            GraphicObject("CIRCLE", [(20, 16), (24, 16)]),
            GraphicObject("ELLIPSE", [(30, 10), (38, 10), (34, 8), (34, 12)]),
        ],
        text_objects=[
            TextObject("lesion", anchor=(20, 16), anchor_visible=True),
            TextObject("boxed", bounding_box=((2, 20), (20, 30)), justification="RIGHT"),
            TextObject("corner", anchor=(0.1, 0.9), units="DISPLAY"),
        ],
        images=[ct[1]],
    )
    notes = GraphicAnnotation("NOTES", text_objects=[TextObject("all images", anchor=(1, 1))])
    return dict(
        annotations=[findings, notes],
        layers=[
            GraphicLayer(
                "FINDINGS", 2, "what the model found", grayscale=65535, cielab=(30000, 50000, 20000)
            ),
            GraphicLayer("NOTES", 1),
        ],
        displayed_areas=[
            DisplayedArea((5, 5), (36, 28), images=[ct[0]]),
            DisplayedArea((1, 1), (40, 32), "TRUE SIZE", pixel_spacing=(0.75, 0.75), images=ct[1:]),
        ],
        rotation=90,
        horizontal_flip=True,
        content_label="FINDINGS",
        content_description="model output",
        content_creator_name="Doe^Jane",
    )


def test_grayscale_everything_round_trips(ct, tmp_path: Path) -> None:
    options = everything(ct)
    voi = [
        VOI(Window(40, 400), [ct[0], ct[1]]),
        VOI(LUT(tuple(range(0, 65536, 256)), -1024, 16), [ct[2]]),
    ]
    state = GrayscaleSoftcopyPresentationState(
        ct, voi=voi, modality=Rescale(1, -1024, "HU"), presentation_lut="INVERSE", **options
    )
    path = tmp_path / "gsps.dcm"
    state.save(path)
    assert_valid(path)
    read = read_presentation_state(path)
    assert read.kind == "grayscale"
    assert read.annotations == options["annotations"]
    assert read.layers == options["layers"]
    assert read.displayed_areas == options["displayed_areas"]
    assert (read.rotation, read.horizontal_flip) == (90, True)
    assert read.modality == Rescale(1, -1024, "HU")
    assert read.voi == voi
    assert read.presentation_lut == "INVERSE"
    uid = str(ct[2].SOPInstanceUID)
    assert read.voi_for(uid) == voi[1]
    assert [a.layer for a in read.annotations_for(str(ct[1].SOPInstanceUID))] == [
        "NOTES",
        "FINDINGS",
    ]
    assert [a.layer for a in read.annotations_for(uid)] == ["NOTES"]
    assert read.displayed_area_for(uid).size_mode == "TRUE SIZE"  # type: ignore[union-attr]
    assert sorted(r.sop_instance_uid for r in read.references) == sorted(
        str(d.SOPInstanceUID) for d in ct
    )


def test_grayscale_defaults_come_from_the_images(ct, tmp_path: Path) -> None:
    images = [copy.deepcopy(ds) for ds in ct]
    images[0].WindowCenter, images[0].WindowWidth = 50, 350
    images[1].WindowCenter, images[1].WindowWidth = 50, 350
    state = GrayscaleSoftcopyPresentationState(images)
    path = tmp_path / "defaults.dcm"
    state.save(path)
    assert_valid(path)
    read = read_presentation_state(path)
    assert read.modality == Rescale(1, 0, "HU")
    assert read.voi == [VOI(Window(50, 350), [images[0], images[1]])]  # image 2 has no window
    assert read.presentation_lut == "IDENTITY"
    assert read.displayed_areas == [DisplayedArea((1, 1), (40, 32))]


def test_presentation_lut_table_and_modality_lut(ct, tmp_path: Path) -> None:
    table = LUT(tuple(int(v) for v in np.linspace(0, 4095, 256)), 0, 12)
    modality = LUT(tuple(range(0, 65536, 16)), 0, 16, "ramp")
    path = tmp_path / "luts.dcm"
    GrayscaleSoftcopyPresentationState(
        ct, modality=modality, voi=None, presentation_lut=table
    ).save(path)
    assert_valid(path)
    read = read_presentation_state(path)
    assert read.modality == modality and read.presentation_lut == table and read.voi == []


def test_pseudo_color(ct, tmp_path: Path) -> None:
    palette = np.stack([np.arange(256), 255 - np.arange(256), np.full(256, 128)], axis=1).astype(
        np.uint8
    )
    path = tmp_path / "pcsps.dcm"
    PseudoColorSoftcopyPresentationState(ct, palette, voi=Window(40, 400)).save(path)
    assert_valid(path)
    read = read_presentation_state(path)
    assert read.kind == "pseudo-color" and read.icc_profile
    assert read.palette is not None and np.array_equal(read.palette, palette)


def test_color(tmp_path: Path) -> None:
    photo = rgb_photo()
    note = GraphicAnnotation("NOTES", text_objects=[TextObject("colour", anchor=(3, 3))])
    path = tmp_path / "csps.dcm"
    ColorSoftcopyPresentationState([photo], annotations=[note]).save(path)
    assert_valid(path)
    read = read_presentation_state(path)
    from iodkit.derived.icc import srgb_profile

    assert read.kind == "color" and read.icc_profile == srgb_profile()
    assert read.annotations == [note]


def test_ours_reads_highdicom_gsps(ct) -> None:
    hd = pytest.importorskip("highdicom")
    layer = hd.pr.GraphicLayer(layer_name="LAYER1", order=1, description="hd layer")
    circle = hd.pr.GraphicObject(
        graphic_type=hd.pr.GraphicTypeValues.CIRCLE,
        graphic_data=np.array([[10.0, 10.0], [14.0, 10.0]]),
        units=hd.pr.AnnotationUnitsValues.PIXEL,
    )
    text = hd.pr.TextObject(
        text_value="hd text", units=hd.pr.AnnotationUnitsValues.PIXEL, anchor_point=(5.0, 6.0)
    )
    annotation = hd.pr.GraphicAnnotation(
        referenced_images=[ct[0]],
        graphic_layer=layer,
        graphic_objects=[circle],
        text_objects=[text],
    )
    state = hd.pr.GrayscaleSoftcopyPresentationState(
        referenced_images=ct,
        series_instance_uid=hd.UID(),
        series_number=9,
        sop_instance_uid=hd.UID(),
        instance_number=1,
        manufacturer="hd",
        manufacturer_model_name="hd",
        software_versions="1",
        device_serial_number="1",
        content_label="HD",
        graphic_layers=[layer],
        graphic_annotations=[annotation],
        voi_lut_transformations=[
            hd.pr.SoftcopyVOILUTTransformation(window_center=40.0, window_width=400.0)
        ],
    )
    read = read_presentation_state(state)
    assert read.layers == [GraphicLayer("LAYER1", 1, "hd layer")]
    [found] = read.annotations
    assert found.images == (ImageReference.of(ct[0]),)
    assert found.graphic_objects == (GraphicObject("CIRCLE", [(10, 10), (14, 10)], filled=False),)
    assert found.text_objects[0].text == "hd text" and found.text_objects[0].anchor == (5.0, 6.0)
    assert [v.transform for v in read.voi] == [Window(40, 400)]
    assert read.modality == Rescale(1, 0, "HU")


BAD = {
    "annotation on an image not given": (
        lambda ct, other: dict(
            annotations=[
                GraphicAnnotation(
                    "L", text_objects=[TextObject("x", anchor=(1, 1))], images=[other]
                )
            ]
        ),
        r"annotation 0 \(layer 'L'\) refers to image [\d.]+, which is not among the 3 images given",
    ),
    "frame the image does not have": (
        lambda ct, other: dict(
            annotations=[
                GraphicAnnotation(
                    "L",
                    text_objects=[TextObject("x", anchor=(1, 1))],
                    images=[ImageReference.of(ct[0], [2])],
                )
            ]
        ),
        r"refers to frame\(s\) \[2\] of image [\d.]+, which has 1 frame\(s\)",
    ),
    "VOI for an image not given": (
        lambda ct, other: dict(voi=[VOI(Window(1, 10), [other])]),
        r"VOI item 0 refers to image [\d.]+, which is not among the 3 images given",
    ),
    "PIXEL point off the image": (
        lambda ct, other: dict(
            annotations=[
                GraphicAnnotation(
                    "L", graphic_objects=[GraphicObject("POLYLINE", [(1, 1), (41, 5)])]
                )
            ]
        ),
        r"annotation 0 \(layer 'L'\), graphic 0 \(POLYLINE\): point \(41, 5\) in PIXEL units "
        r"is outside image [\d.]+ \(0…40, 0…32",
    ),
    "DISPLAY point above 1": (
        lambda ct, other: dict(
            annotations=[
                GraphicAnnotation(
                    "L", text_objects=[TextObject("x", anchor=(0.5, 1.5), units="DISPLAY")]
                )
            ]
        ),
        r"text 0 \('x'\): point \(0.5, 1.5\) in DISPLAY units is outside",
    ),
    "layer not defined": (
        lambda ct, other: dict(
            annotations=[GraphicAnnotation("L", text_objects=[TextObject("x", anchor=(1, 1))])],
            layers=[GraphicLayer("M")],
        ),
        r"annotations use layer\(s\) \['L'\] that are not among the layers given",
    ),
    "an image without displayed area": (
        lambda ct, other: dict(displayed_areas=[DisplayedArea((1, 1), (40, 32), images=[ct[0]])]),
        r"no displayed area covers image\(s\)",
    ),
    "a colour image": (
        lambda ct, other: dict(images=[rgb_photo()]),
        r"is RGB: grayscale and pseudo-color presentation states are for MONOCHROME1/2 images",
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_references_and_values(ct, case: str, tmp_path: Path) -> None:
    make, message = BAD[case]
    options = make(ct, synthetic.ct_series(1, 8, 8)[0])
    images = options.pop("images", ct)
    with pytest.raises(PresentationStateError, match=message):
        GrayscaleSoftcopyPresentationState(images, **options).save(tmp_path / "x.dcm")
    assert list(tmp_path.iterdir()) == []


def test_bad_objects() -> None:
    with pytest.raises(PresentationStateError, match="a CIRCLE needs exactly 2 points, got 3"):
        GraphicObject("CIRCLE", [(1, 1), (2, 2), (3, 3)])
    with pytest.raises(PresentationStateError, match="NaN or infinite"):
        GraphicObject("POLYLINE", [(1, 1), (np.nan, 2)])
    with pytest.raises(
        PresentationStateError, match="give an anchor point, a bounding box or both"
    ):
        TextObject("floating")
    with pytest.raises(PresentationStateError, match="window width 0.5 is not allowed for LINEAR"):
        Window(10, 0.5)
    with pytest.raises(PresentationStateError, match="rotation 45 is not 0, 90, 180 or 270"):
        GrayscaleSoftcopyPresentationState(synthetic.ct_series(1, 8, 8), rotation=45)  # type: ignore[arg-type]


def test_text_outside_the_sources_character_set(ct, tmp_path: Path) -> None:
    """Text the copied character set cannot hold makes the object declare UTF-8 (ISO_IR 192);
    text it can hold keeps the sources' set."""
    note = GraphicAnnotation("NOTES", text_objects=[TextObject("12 cm² — résumé", anchor=(1, 1))])
    path = tmp_path / "utf8.dcm"
    GrayscaleSoftcopyPresentationState(ct, annotations=[note]).save(path)
    assert_valid(path)
    ds = pydicom.dcmread(path)
    assert ds.SpecificCharacterSet == "ISO_IR 192"
    assert (
        ds.GraphicAnnotationSequence[0].TextObjectSequence[0].UnformattedTextValue
        == "12 cm² — résumé"
    )
    latin = [copy.deepcopy(d) for d in ct]
    for d in latin:
        d.SpecificCharacterSet = "ISO_IR 100"
    fits = GraphicAnnotation("NOTES", text_objects=[TextObject("résumé", anchor=(1, 1))])
    assert (
        GrayscaleSoftcopyPresentationState(latin, annotations=[fits])
        .to_dataset()
        .SpecificCharacterSet
        == "ISO_IR 100"
    )


def test_states_over_multi_frame_images_copy_their_functional_groups() -> None:
    """Defaults reproduce how an image with functional groups shows itself: its rescale is in
    the Pixel Value Transformation group and its window in Frame VOI LUT (C.7.6.16.2.9/.10),
    and a state without them would show the stored values as an identity (PS3.4 N.2.1)."""
    import numpy as np
    from iodkit.legacy import LegacyConvertedEnhancedImage
    from iodkit.pr import Rescale, Window
    from iodkit.render.images import GreySteps, grey_pipeline, stored_pixels
    from iodkit.seg.synthetic import ct_series, phantom

    series = ct_series(3, 12, 16, volume=phantom(3, 12, 16))
    for ds in series:
        ds.PixelData = (ds.pixel_array.astype(np.int32) + 1024).astype(np.int16).tobytes()
        ds.RescaleIntercept, ds.WindowCenter, ds.WindowWidth = -1024, 40, 400
    lce = LegacyConvertedEnhancedImage(series).to_dataset()
    state = GrayscaleSoftcopyPresentationState([lce])
    assert state.modality == Rescale(1.0, -1024.0, "HU")
    assert [(v.transform, v.images) for v in state.voi] == [(Window(40, 400), None)]
    written = state.to_dataset()
    assert read_presentation_state(written).voi_for(lce.SOPInstanceUID, 2).transform == Window(
        40, 400
    )
    # the state's steps give the grey levels the image's own steps give
    arr = stored_pixels(lce, 1)
    as_state = grey_pipeline(arr, lce, GreySteps(written, written.SoftcopyVOILUTSequence[0]))
    assert np.array_equal(as_state, grey_pipeline(arr, lce, GreySteps.of_image(lce, 1)))

    # frames with their own windows: one VOI item per window, naming its frames
    for k, item in enumerate(lce.PerFrameFunctionalGroupsSequence):
        item.FrameVOILUTSequence = [pydicom.Dataset()]
        item.FrameVOILUTSequence[0].WindowCenter = 40 if k < 2 else 300
        item.FrameVOILUTSequence[0].WindowWidth = 400
    del lce.SharedFunctionalGroupsSequence[0].FrameVOILUTSequence
    state = GrayscaleSoftcopyPresentationState([lce])
    assert sorted((v.transform.center, v.images[0].frames) for v in state.voi) == [
        (40.0, (1, 2)),
        (300.0, (3,)),
    ]
    # frames with different rescales cannot share one Modality LUT
    lce.PerFrameFunctionalGroupsSequence[2].PixelValueTransformationSequence = copy.deepcopy(
        lce.SharedFunctionalGroupsSequence[0].PixelValueTransformationSequence
    )
    lce.PerFrameFunctionalGroupsSequence[2].PixelValueTransformationSequence[0].RescaleSlope = 2
    with pytest.raises(PresentationStateError, match="different modality transformations"):
        GrayscaleSoftcopyPresentationState([lce])


def test_text_longer_than_st_is_named_in_api_words() -> None:
    """A text object's text is Unformatted Text Value (ST, 1024 characters): the builder's
    'TextObjectSequenceItem.unformatted_text_value … VR ST allows 1024' named no argument."""
    TextObject("x" * 1024, anchor=(1, 1))
    with pytest.raises(PresentationStateError, match="is 1025 characters; a text object holds"):
        TextObject("x" * 1025, anchor=(1, 1))


def test_damaged_lut_items_are_refused_by_name() -> None:
    """A LUT item whose descriptor or data were damaged (a fuzzed file: bits beyond 16, a value
    read with a wider VR) is a PresentationStateError, not numpy's OverflowError."""
    from iodkit.pr.errors import PresentationStateError
    from iodkit.pr.luts import lut_table
    from pydicom.dataset import Dataset

    wide = Dataset()
    wide.LUTDescriptor = [4, 0, 40]
    wide.LUTData = [0, 1, 2, 3]
    with pytest.raises(PresentationStateError, match="40 bits"):
        lut_table(wide)
    huge = Dataset()
    huge.LUTDescriptor = [4, 0, 16]
    huge.add_new(0x00283006, "UL", [0, 1, 2**40, 3])
    with pytest.raises(PresentationStateError, match="not a 16-bit entry"):
        lut_table(huge)
    fine = Dataset()
    fine.LUTDescriptor = [4, 0, 12]
    fine.LUTData = [0, 1, 4095, 3]
    table, bits = lut_table(fine)
    assert bits == 12 and table.tolist() == [0, 1, 4095, 3]

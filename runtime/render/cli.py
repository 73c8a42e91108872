"""``iodkit render OBJECT [IMAGES…] -o picture.png``: a picture of a DICOM object (the words
of :data:`EPILOG`, which ``iodkit render --help`` shows)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

EPILOG = """\
OBJECT is a Segmentation (drawn over its source images), Microscopy Bulk Simple
Annotations (over a region of their slide), a Grayscale, Color or Pseudo-Color Softcopy
Presentation State (applied to its image) or any other image (through its own window).
Objects that hold no image (SR documents, Key Object Selection, RT Structure Sets ...) are
not drawn. IMAGES are files or folders (searched recursively) holding the images the object
refers to; the others are ignored.

Numbers are 0-based, like the pixel coordinates of annotations: --region 10 20 100 50 is
columns 10-109 and rows 20-69 of the slide's total pixel matrix. iodkit.wsi's
read_slide(path).get_region counts as highdicom does (1-based, end exclusive): the same
region is get_region(21, 71, 11, 111), or get_region(20, 70, 10, 110, as_indices=True).
--plane and --frame count from 0 as well.

Exit codes: 0 written; 2 it could not run (unreadable input, images missing, an object
that is not drawn, options that do not apply, an output that cannot be written)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = EPILOG
    parser.add_argument("object", type=Path, help="the DICOM object to draw")
    parser.add_argument("images", nargs="*", type=Path, help="its images: files or folders")
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        help="picture to write: PNG, or the format its suffix names (.jpg, .tif …); "
        "default: OBJECT with .png added",
    )
    parser.add_argument("--plane", type=int, help="SEG: 0-based plane (default: the fullest)")
    parser.add_argument("--mosaic", action="store_true", help="SEG: every plane with a segment")
    parser.add_argument(
        "--segments", type=int, nargs="+", metavar="N", help="SEG: segment numbers to draw"
    )
    parser.add_argument(
        "--region",
        type=int,
        nargs=4,
        metavar=("COLUMN", "ROW", "WIDTH", "HEIGHT"),
        help="ANN, SEG of a slide: region of the slide's total pixel matrix, 0-based from its "
        "top left pixel (see below; default: the annotations' bounding box, the whole slide "
        "for a SEG)",
    )
    parser.add_argument("--group", action="append", help="ANN: group label or number to draw")
    parser.add_argument("--frame", type=int, help="image/PR: 0-based frame of a multi-frame image")
    parser.add_argument("--scale", type=int, help="integer enlargement of each pixel")


def run(args: argparse.Namespace) -> int:
    from iodkit.render import RenderError, drawn_kind, render

    if not args.object.is_file():
        print(f"iodkit render: {args.object}: no such file", file=sys.stderr)
        return 2
    missing = [p for p in args.images if not p.exists()]
    for path in missing:
        print(f"iodkit render: {path}: no such file or folder", file=sys.stderr)
    if missing:
        return 2
    options: dict[str, Any] = {}
    if args.scale is not None:
        options["scale"] = args.scale
    try:
        from iodkit.render.images import read_file

        header = read_file(args.object, stop_before_pixels=True)
        kind = drawn_kind(header, args.object)
        options.update(_options_for(kind, args))
        picture = render(args.object, args.images, **options)
    except (RenderError, ValueError, ImportError, OSError) as exc:
        print(f"iodkit render: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # a reader's error on someone else's file: say it, no traceback
        print(f"iodkit render: {args.object}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    output = args.output or args.object.with_name(args.object.name + ".png")
    try:
        picture.save(output, format=_format(output))
    except (OSError, ValueError) as exc:  # no such folder, not writable, a format Pillow refuses
        print(f"iodkit render: cannot write {output}: {exc}", file=sys.stderr)
        return 2
    print(f"{output} ({picture.width}x{picture.height}, {kind})")
    return 0


def _format(output: Path) -> str:
    """PNG, unless the name's suffix is one Pillow writes (.jpg, .tif, …): a file called
    x.jpg holding PNG bytes is what no one expects."""
    from PIL import Image

    return Image.registered_extensions().get(output.suffix.lower(), "PNG")


def _options_for(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    """The options that apply to this kind of object; an option that does not is an error."""
    given = {
        "plane": args.plane,
        "mosaic": args.mosaic or None,
        "segment_numbers": args.segments,
        "region": tuple(args.region) if args.region else None,
        "groups": [_group_key(g) for g in args.group] if args.group else None,
        "frame": args.frame,
    }
    allowed = {
        "segmentation": {"plane", "mosaic", "segment_numbers", "region"},
        "annotations": {"region", "groups"},
        "presentation-state": {"frame"},
        "image": {"frame"},
    }[kind]
    wrong = [k for k, v in given.items() if v is not None and k not in allowed]
    if wrong:
        flags = ", ".join(
            "--" + {"segment_numbers": "segments", "groups": "group"}.get(w, w) for w in wrong
        )
        what = {
            "segmentation": "a Segmentation",
            "annotations": "bulk annotations",
            "presentation-state": "a presentation state",
            "image": "an image",
        }[kind]
        raise ValueError(f"{flags} {'does' if len(wrong) == 1 else 'do'} not apply to {what}")
    return {k: v for k, v in given.items() if v is not None}


def _group_key(text: str) -> int | str:
    return int(text) if text.isdigit() else text

"""``iodkit render OBJECT [IMAGES…] -o picture.png``: a picture of a DICOM object.

OBJECT is a Segmentation (drawn over its source images), Microscopy Bulk Simple Annotations
(over a region of the slide), a Grayscale/Color/Pseudo-Color Softcopy Presentation State
(applied to its image) or any image (shown through its own window). IMAGES are files or
folders (searched recursively) holding the images the object refers to; the others are
ignored.

Exit code: 0 written, 2 it could not run (unreadable input, images missing, bad options).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("object", type=Path, help="the DICOM object to draw")
    parser.add_argument("images", nargs="*", type=Path, help="its images: files or folders")
    parser.add_argument(
        "-o", "--output", type=Path, help="PNG to write (default: OBJECT with .png added)"
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
        help="ANN, SEG of a slide: region of the slide's total pixel matrix (0-based; default: "
        "the annotations' bounding box; the whole slide for a SEG)",
    )
    parser.add_argument("--group", action="append", help="ANN: group label or number to draw")
    parser.add_argument("--frame", type=int, help="image/PR: 0-based frame of a multi-frame image")
    parser.add_argument("--scale", type=int, help="integer enlargement of each pixel")


def run(args: argparse.Namespace) -> int:
    from iodkit.render import RenderError, kind_of, render

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
        import pydicom

        header = pydicom.dcmread(args.object, stop_before_pixels=True)
        kind = kind_of(header.get("SOPClassUID", ""))
        options.update(_options_for(kind, args))
        picture = render(args.object, args.images, **options)
    except (RenderError, ValueError, ImportError, OSError) as exc:
        print(f"iodkit render: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # a reader's error on someone else's file: say it, no traceback
        print(f"iodkit render: {args.object}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    output = args.output or args.object.with_name(args.object.name + ".png")
    picture.save(output, format="PNG")
    print(f"{output} ({picture.width}x{picture.height}, {kind})")
    return 0


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
        raise ValueError(f"{flags} do(es) not apply to a {kind.replace('-', ' ')}")
    return {k: v for k, v in given.items() if v is not None}


def _group_key(text: str) -> int | str:
    return int(text) if text.isdigit() else text

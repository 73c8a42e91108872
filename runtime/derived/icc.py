"""A small sRGB ICC profile for palettes of derived images (PS3.3 C.11.15 ICC Profile Module).

A PALETTE COLOR Label Map Segmentation (Sup 243; dciodvfy requires it) and a Parametric Map
with Pixel Presentation COLOR_RANGE (C.8.32.2, Type 1C) carry an ICC Profile so that their
palette's RGB values have a defined colour space. :func:`srgb_profile` builds an
ICC.1 version 2 display profile of sRGB (IEC 61966-2-1): the D50-adapted sRGB primaries as
colorant tags and the sRGB transfer function sampled at 1024 points as the tone curves. It is
about 2.6 kB and built with the standard library only; pass your own profile bytes to the
object (``icc_profile=``) to use another.
"""

from __future__ import annotations

import struct
from functools import cache

# D50-adapted sRGB colorants and white point (ICC sRGB profiles, IEC 61966-2-1 Annex).
_D50 = (0.9642, 1.0, 0.8249)
_COLORANTS = {
    b"rXYZ": (0.4361, 0.2225, 0.0139),
    b"gXYZ": (0.3851, 0.7169, 0.0971),
    b"bXYZ": (0.1431, 0.0606, 0.7141),
}
_DESCRIPTION = b"sRGB (iodkit)"
_COPYRIGHT = b"No copyright, use freely"


def _s15f16(values: tuple[float, float, float]) -> bytes:
    return struct.pack(">3i", *(round(v * 65536) for v in values))


def _xyz(values: tuple[float, float, float]) -> bytes:
    return b"XYZ \x00\x00\x00\x00" + _s15f16(values)


def _srgb_to_linear(v: float) -> float:
    return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4


def _curve(samples: int = 1024) -> bytes:
    values = [round(_srgb_to_linear(i / (samples - 1)) * 65535) for i in range(samples)]
    return b"curv\x00\x00\x00\x00" + struct.pack(f">I{samples}H", samples, *values)


def _description() -> bytes:
    ascii_text = _DESCRIPTION + b"\x00"
    return (
        b"desc\x00\x00\x00\x00"
        + struct.pack(">I", len(ascii_text))
        + ascii_text
        + struct.pack(">II", 0, 0)  # no Unicode description
        + struct.pack(">HB", 0, 0)
        + b"\x00" * 67  # no ScriptCode description
    )


@cache
def srgb_profile() -> bytes:
    """The bytes of an ICC v2 sRGB display profile."""
    curve = _curve()
    tags: list[tuple[bytes, bytes]] = [
        (b"desc", _description()),
        (b"cprt", b"text\x00\x00\x00\x00" + _COPYRIGHT + b"\x00"),
        (b"wtpt", _xyz(_D50)),
        *((signature, _xyz(xyz)) for signature, xyz in _COLORANTS.items()),
        (b"rTRC", curve),
    ]
    shared_trc = (b"gTRC", b"bTRC")  # the three tone curves share one data block
    count = len(tags) + len(shared_trc)
    offset = 128 + 4 + 12 * count
    table = b""
    data = b""
    positions: dict[bytes, tuple[int, int]] = {}
    for signature, body in tags:
        positions[signature] = (offset + len(data), len(body))
        table += signature + struct.pack(">II", *positions[signature])
        data += body + b"\x00" * (-len(body) % 4)
    for signature in shared_trc:
        table += signature + struct.pack(">II", *positions[b"rTRC"])
    size = offset + len(data)
    header = (
        struct.pack(">I", size)
        + b"\x00\x00\x00\x00"  # preferred CMM
        + bytes([2, 0x10, 0, 0])  # version 2.1
        + b"mntr"
        + b"RGB "
        + b"XYZ "
        + struct.pack(">6H", 2024, 1, 1, 0, 0, 0)
        + b"acsp"
        + b"\x00" * 4  # primary platform
        + b"\x00" * 4  # flags
        + b"\x00" * 8  # device manufacturer, model
        + b"\x00" * 8  # device attributes
        + struct.pack(">I", 0)  # perceptual rendering intent
        + _s15f16(_D50)  # PCS illuminant
        + b"\x00" * 4  # creator
        + b"\x00" * 44  # profile ID (v4 only) and reserved
    )
    assert len(header) == 128
    return header + struct.pack(">I", count) + table + data

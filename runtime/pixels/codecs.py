"""Codecs registry: which library encodes and decodes each transfer syntax, and what it allows.

iodkit writes no codec. Each transfer syntax maps to glue around a maintained library:

================================  ==============================================================
RLE Lossless (PS3.5 8.2.2, G)     pylibjpeg-rle (else pydicom's own RLE encoder)
JPEG-LS Lossless (8.2.3)          imagecodecs/CharLS when Bits Stored is 8 or 16 (releases the
                                  GIL); pyjpegls/CharLS otherwise (it takes Bits Stored as the
                                  JPEG-LS sample precision)
JPEG 2000 Lossless (8.2.4)        imagecodecs/OpenJPEG (releases the GIL, precision = Bits
                                  Stored); pylibjpeg-openjpeg as fallback, serialised because
                                  it crashes when called from several threads
HTJ2K Lossless (8.2.14)           imagecodecs/OpenJPH (reversible HT block coder)
JPEG Baseline 8-bit (8.2.1)       imagecodecs/libjpeg-turbo
native, Deflated (A.5)            NumPy (:mod:`iodkit.pixels.native`)
================================  ==============================================================

Decoding of encapsulated frames goes through pydicom's decoders, so a frame read by iodkit is
what pydicom's ``pixel_array`` (and highdicom, which uses the same decoders) returns. The
lossless JPEG-LS, JPEG 2000 and HTJ2K syntaxes take a shorter path when imagecodecs is
installed (:func:`decode_lossless_fast`): the codestream is decoded directly and the same
sign handling applied, which saves pydicom's ~3 ms of per-call set-up on every frame; any
case it does not handle (YBR colour conversion, 1-bit, unexpected shapes) goes to pydicom.

Each codec also checks the Image Pixel description against the "Valid Values of Pixel Data
Related Attributes" table of its PS3.5 section before anything is encoded.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from iodkit.pixels.description import PixelDescription
from iodkit.pixels.errors import CodecUnavailableError, PixelDecodingError, PixelEncodingError
from pydicom import uid as pduid
from pydicom.uid import UID

EncodeFunction = Callable[[np.ndarray, PixelDescription, dict[str, Any]], bytes]


@dataclass(frozen=True)
class Allowed:
    """One row of a PS3.5 "Valid Values of Pixel Data Related Attributes" table."""

    photometric: tuple[str, ...]
    bits_allocated: tuple[int, ...]
    max_bits_stored: int
    signed: bool
    min_bits_stored: int = 1


@dataclass(frozen=True)
class Codec:
    """How one transfer syntax is encoded and what it accepts."""

    transfer_syntax_uid: UID
    section: str
    lossless: bool
    encapsulated: bool
    allowed: tuple[Allowed, ...] = ()
    encoders: tuple[tuple[str, Callable[[PixelDescription], bool], EncodeFunction], ...] = ()
    #: True when the encoder releases the GIL, so a thread pool encodes frames in parallel.
    releases_gil: bool = False
    float_allowed: bool = False
    lossy_method: str | None = field(default=None)

    @property
    def name(self) -> str:
        return self.transfer_syntax_uid.name

    def check(self, desc: PixelDescription) -> None:
        """Refuse a description this transfer syntax does not allow (PS3.5 8.2, A.4)."""
        if desc.is_float:
            if not self.float_allowed:
                raise PixelEncodingError(
                    f"{desc.pixel_keyword} cannot be sent with {self.name}: encapsulated "
                    "transfer syntaxes only carry Pixel Data (PS3.5 A.4)"
                )
            return
        if not self.allowed:
            return
        for row in self.allowed:
            if desc.photometric_interpretation not in row.photometric:
                continue
            problems = []
            if desc.bits_allocated not in row.bits_allocated:
                problems.append(f"Bits Allocated {desc.bits_allocated} not in {row.bits_allocated}")
            if not row.min_bits_stored <= desc.bits_stored <= row.max_bits_stored:
                problems.append(
                    f"Bits Stored {desc.bits_stored} not in "
                    f"{row.min_bits_stored}–{row.max_bits_stored}"
                )
            if desc.pixel_representation and not row.signed:
                problems.append("Pixel Representation 1 (signed) not allowed")
            if not problems:
                return
            raise PixelEncodingError(
                f"{self.name} with Photometric Interpretation {desc.photometric_interpretation}: "
                + "; ".join(problems)
                + f" (PS3.5 {self.section})"
            )
        allowed = sorted({p for row in self.allowed for p in row.photometric})
        raise PixelEncodingError(
            f"{self.name} does not allow Photometric Interpretation "
            f"{desc.photometric_interpretation} "
            f"(allowed: {', '.join(allowed)}; PS3.5 {self.section})"
        )

    def encoder_for(self, desc: PixelDescription) -> tuple[str, EncodeFunction]:
        """The first installed encoder that handles ``desc``; its name says which library."""
        return self.encoders_for(desc)[0]

    def encoders_for(self, desc: PixelDescription) -> list[tuple[str, EncodeFunction]]:
        """Installed encoders that handle ``desc``, preferred first (the rest are fallbacks)."""
        if not self.encapsulated:
            raise PixelEncodingError(f"{self.name} is native: use iodkit.pixels.native")
        found = [(name, function) for name, handles, function in self.encoders if handles(desc)]
        if found:
            return found
        raise CodecUnavailableError(
            f"no installed library encodes {self.name} with Bits Allocated {desc.bits_allocated}, "
            f"Bits Stored {desc.bits_stored}, Photometric Interpretation "
            f"{desc.photometric_interpretation}; install iodkit[codecs]"
        )

    def releases_gil_for(self, desc: PixelDescription) -> bool:
        name, _ = self.encoder_for(desc)
        return name.startswith("imagecodecs")


# -- availability ---------------------------------------------------------------------------


def _has(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def _imagecodecs_has(codec: str) -> bool:
    if not _has("imagecodecs"):
        return False
    import imagecodecs

    return bool(getattr(getattr(imagecodecs, codec, None), "available", False))


def _as_unsigned_pattern(frame: np.ndarray, desc: PixelDescription) -> np.ndarray:
    """JPEG-LS and JPEG carry no sign: send signed samples as their Bits Stored-bit two's
    complement pattern; decoders sign-extend using Pixel Representation (PS3.5 8.2.3)."""
    if frame.dtype.kind != "i":
        return frame
    unsigned = frame.view(frame.dtype.str.replace("i", "u"))
    if desc.bits_stored == desc.bits_allocated:
        return unsigned
    return unsigned & np.array((1 << desc.bits_stored) - 1, dtype=unsigned.dtype)


# -- encoders -------------------------------------------------------------------------------


def _rle_pylibjpeg(frame: np.ndarray, desc: PixelDescription, options: dict[str, Any]) -> bytes:
    from rle.utils import encode_pixel_data

    return bytes(
        encode_pixel_data(
            frame.tobytes(),
            rows=desc.rows,
            columns=desc.columns,
            samples_per_pixel=desc.samples_per_pixel,
            bits_allocated=desc.bits_allocated,
            byteorder="<",
        )
    )


def _pydicom_encoder(transfer_syntax_uid: UID) -> EncodeFunction:
    def encode(frame: np.ndarray, desc: PixelDescription, options: dict[str, Any]) -> bytes:
        from pydicom.pixels import get_encoder

        kwargs: dict[str, Any] = {
            "rows": desc.rows,
            "columns": desc.columns,
            "samples_per_pixel": desc.samples_per_pixel,
            "bits_allocated": desc.bits_allocated,
            "bits_stored": desc.bits_stored,
            "pixel_representation": desc.pixel_representation,
            "photometric_interpretation": desc.photometric_interpretation,
            "number_of_frames": 1,
        }
        if desc.samples_per_pixel > 1:
            kwargs["planar_configuration"] = 0
        return bytes(get_encoder(transfer_syntax_uid).encode(frame, **kwargs))

    return encode


def _jpegls_imagecodecs(
    frame: np.ndarray, desc: PixelDescription, options: dict[str, Any]
) -> bytes:
    import imagecodecs

    data = _as_unsigned_pattern(frame, desc)
    # CharLS needs room for incompressible data: noise can grow past the input size
    return bytes(imagecodecs.jpegls_encode(data, out=2 * data.nbytes + 1024))


def _pyjpegls_fits(desc: PixelDescription) -> bool:
    """pyjpegls 1.5 sizes its output buffer at twice the input: frames under ~32 bytes cannot
    hold the JPEG-LS markers and fail ("destination buffer is too small")."""
    return desc.frame_length * 2 >= 64


def _jpegls_pyjpegls(frame: np.ndarray, desc: PixelDescription, options: dict[str, Any]) -> bytes:
    import jpeg_ls

    data = _as_unsigned_pattern(frame, desc)
    kwargs: dict[str, Any] = {
        "rows": desc.rows,
        "columns": desc.columns,
        "samples_per_pixel": desc.samples_per_pixel,
        "bits_stored": desc.bits_stored,
    }
    if desc.samples_per_pixel > 1:
        kwargs["planar_configuration"] = 0
    return bytes(jpeg_ls.encode_pixel_data(data.tobytes(), lossy_error=0, **kwargs))


def _j2k_imagecodecs(frame: np.ndarray, desc: PixelDescription, options: dict[str, Any]) -> bytes:
    import imagecodecs

    return bytes(
        imagecodecs.jpeg2k_encode(
            frame,
            level=0,
            codecformat="J2K",
            reversible=True,
            bitspersample=desc.bits_stored,
            mct=desc.photometric_interpretation == "YBR_RCT",
            numthreads=1,
        )
    )


_OPENJPEG_LOCK = threading.Lock()


def _j2k_openjpeg(frame: np.ndarray, desc: PixelDescription, options: dict[str, Any]) -> bytes:
    from openjpeg.utils import encode_array

    mct = desc.photometric_interpretation == "YBR_RCT"
    with _OPENJPEG_LOCK:  # pylibjpeg-openjpeg 2.6 segfaults when encoding from two threads
        return bytes(
            encode_array(
                frame.astype(bool) if desc.bits_allocated == 1 else frame,
                bits_stored=desc.bits_stored,
                photometric_interpretation=1 if mct else 2 if desc.samples_per_pixel == 1 else 0,
                use_mct=mct,
            )
        )


def _htj2k_imagecodecs(frame: np.ndarray, desc: PixelDescription, options: dict[str, Any]) -> bytes:
    import imagecodecs

    return bytes(
        imagecodecs.htj2k_encode(
            frame, reversible=True, rgb=desc.photometric_interpretation == "YBR_RCT"
        )
    )


def _jpeg_baseline_imagecodecs(
    frame: np.ndarray, desc: PixelDescription, options: dict[str, Any]
) -> bytes:
    import imagecodecs

    quality = int(options.get("jpeg_quality", 90))
    if desc.samples_per_pixel == 1:
        return bytes(imagecodecs.jpeg8_encode(frame, level=quality, colorspace="GRAY"))
    if desc.photometric_interpretation == "YBR_FULL_422":
        return bytes(
            imagecodecs.jpeg8_encode(
                frame, level=quality, colorspace="RGB", outcolorspace="YCBCR", subsampling="422"
            )
        )
    return bytes(  # RGB stored as RGB (whole slide images, PS3.5 8.2.1)
        imagecodecs.jpeg8_encode(
            frame, level=quality, colorspace="RGB", outcolorspace="RGB", subsampling="444"
        )
    )


# -- the registry ---------------------------------------------------------------------------

_MONO = ("MONOCHROME1", "MONOCHROME2")


def _native(uid: UID, section: str) -> Codec:
    """Native syntaxes: any bit depth; YBR_RCT/YBR_ICT exist only inside JPEG 2000 codestreams
    and YBR_FULL_422 natively needs chroma subsampling, which iodkit does not write."""
    return Codec(
        uid,
        section,
        lossless=True,
        encapsulated=False,
        float_allowed=True,
        allowed=(
            Allowed((*_MONO, "PALETTE COLOR"), (1, 8, 16, 32), 32, True),
            Allowed(("RGB", "YBR_FULL"), (8, 16, 32), 32, True),
        ),
    )


def _always(desc: PixelDescription) -> bool:
    return True


def _build_registry() -> dict[UID, Codec]:
    ic_jls = _imagecodecs_has("JPEGLS")
    ic_j2k = _imagecodecs_has("JPEG2K")
    ic_ht = _imagecodecs_has("HTJ2K")
    ic_jpeg = _imagecodecs_has("JPEG8")
    codecs = [
        _native(pduid.ExplicitVRLittleEndian, "A.2"),
        _native(pduid.ImplicitVRLittleEndian, "A.1"),
        _native(pduid.DeflatedExplicitVRLittleEndian, "A.5"),
        Codec(
            pduid.RLELossless,
            "8.2.2",
            lossless=True,
            encapsulated=True,
            allowed=(
                Allowed(_MONO, (8, 16), 16, True),
                Allowed(("PALETTE COLOR",), (8, 16), 16, False),
                Allowed(("YBR_FULL",), (8,), 8, False),
                Allowed(("RGB",), (8, 16), 16, False),
            ),
            encoders=(
                *((("pylibjpeg-rle", _always, _rle_pylibjpeg),) if _has("rle") else ()),
                ("pydicom", _always, _pydicom_encoder(pduid.RLELossless)),
            ),
        ),
        Codec(
            pduid.JPEGLSLossless,
            "8.2.3",
            lossless=True,
            encapsulated=True,
            allowed=(
                Allowed(_MONO, (8, 16), 16, True, min_bits_stored=2),
                Allowed(("PALETTE COLOR",), (8, 16), 16, False, min_bits_stored=2),
                Allowed(("YBR_FULL",), (8,), 8, False, min_bits_stored=2),
                Allowed(("RGB",), (8, 16), 16, False, min_bits_stored=2),
            ),
            encoders=(
                *(
                    (
                        (
                            "imagecodecs-charls",
                            lambda d: d.bits_stored == d.bits_allocated,
                            _jpegls_imagecodecs,
                        ),
                    )
                    if ic_jls
                    else ()
                ),
                *((("pyjpegls", _pyjpegls_fits, _jpegls_pyjpegls),) if _has("jpeg_ls") else ()),
            ),
        ),
        Codec(
            pduid.JPEG2000Lossless,
            "8.2.4",
            lossless=True,
            encapsulated=True,
            allowed=(
                Allowed(_MONO, (1, 8, 16), 16, True),
                Allowed(("PALETTE COLOR",), (8, 16), 16, False),
                Allowed(("YBR_RCT", "RGB", "YBR_FULL"), (8, 16), 16, False),
            ),
            encoders=(
                *((("imagecodecs-openjpeg", _always, _j2k_imagecodecs),) if ic_j2k else ()),
                *((("pylibjpeg-openjpeg", _always, _j2k_openjpeg),) if _has("openjpeg") else ()),
            ),
        ),
        Codec(
            pduid.HTJ2KLossless,
            "8.2.14",
            lossless=True,
            encapsulated=True,
            allowed=(
                Allowed(_MONO, (8, 16), 16, True),
                Allowed(("PALETTE COLOR",), (8, 16), 16, False),
                Allowed(("YBR_RCT", "RGB", "YBR_FULL"), (8, 16), 16, False),
            ),
            encoders=((("imagecodecs-openjph", _always, _htj2k_imagecodecs),) if ic_ht else ()),
        ),
        Codec(
            pduid.JPEGBaseline8Bit,
            "8.2.1",
            lossless=False,
            encapsulated=True,
            allowed=(
                Allowed(_MONO, (8,), 8, False, min_bits_stored=8),
                Allowed(("YBR_FULL_422", "RGB"), (8,), 8, False, min_bits_stored=8),
            ),
            encoders=(
                (("imagecodecs-libjpeg-turbo", _always, _jpeg_baseline_imagecodecs),)
                if ic_jpeg
                else ()
            ),
            lossy_method="ISO_10918_1",
        ),
    ]
    return {codec.transfer_syntax_uid: codec for codec in codecs}


_REGISTRY: dict[UID, Codec] | None = None


def get_codec(transfer_syntax_uid: str) -> Codec:
    """The :class:`Codec` for a transfer syntax UID; raise naming the supported ones."""
    global _REGISTRY
    if _REGISTRY is None:
        _REGISTRY = _build_registry()
    codec = _REGISTRY.get(UID(transfer_syntax_uid))
    if codec is None:
        names = ", ".join(c.name for c in _REGISTRY.values())
        raise CodecUnavailableError(
            f"transfer syntax {transfer_syntax_uid} ({UID(transfer_syntax_uid).name}) is not "
            f"supported for encoding; supported: {names}"
        )
    return codec


def supported_transfer_syntaxes() -> list[UID]:
    """Transfer syntaxes iodkit can encode, whether or not their libraries are installed."""
    get_codec(pduid.ExplicitVRLittleEndian)
    assert _REGISTRY is not None
    return list(_REGISTRY)


# -- decoding -------------------------------------------------------------------------------

_EMPTY_BOT = b"\xfe\xff\x00\xe0\x00\x00\x00\x00"


_FAST_DECODERS = {
    pduid.JPEGLSLossless: "jpegls_decode",
    pduid.JPEG2000Lossless: "jpeg2k_decode",
    pduid.HTJ2KLossless: "jpeg2k_decode",  # OpenJPEG ≥ 2.5 decodes the HT block coder
}


def decode_lossless_fast(
    encoded: bytes | bytearray | memoryview, desc: PixelDescription, transfer_syntax_uid: str
) -> np.ndarray | None:
    """Decode a lossless JPEG-LS / JPEG 2000 / HTJ2K frame with imagecodecs, or ``None`` when
    the frame needs pydicom's processing. Lossless decoding is exact, so the result equals
    pydicom's once samples are cast to the stored dtype and, for Pixel Representation 1,
    sign-extended from Bits Stored (PS3.5 8.2.3: JPEG-LS carries no sign)."""
    name = _FAST_DECODERS.get(UID(transfer_syntax_uid))
    if (
        name is None
        or desc.bits_allocated == 1
        or desc.photometric_interpretation in ("YBR_FULL", "YBR_FULL_422", "YBR_ICT")
        or not _imagecodecs_has("JPEGLS" if name == "jpegls_decode" else "JPEG2K")
    ):
        return None
    import imagecodecs

    try:
        array = getattr(imagecodecs, name)(bytes(encoded))
    except Exception:
        return None  # let pydicom try its plugins and report
    if array.shape != desc.frame_shape or array.dtype.kind not in "ui":
        return None
    target = desc.dtype
    if not desc.pixel_representation:
        return array if array.dtype == target else array.astype(target)
    if array.dtype.kind == "i":
        return array.astype(target, copy=False)
    signed = array.astype(target)  # the Bits Stored-bit two's complement pattern
    shift = desc.bits_allocated - desc.bits_stored
    if shift:
        signed <<= shift
        signed >>= shift
    return signed


def decode_with_pydicom(
    encoded: bytes | bytearray | memoryview,
    desc: PixelDescription,
    transfer_syntax_uid: str,
    *,
    as_rgb: bool = True,
) -> np.ndarray:
    """Decode one frame with pydicom's decoder for the transfer syntax.

    ``encoded`` is the frame's codestream (encapsulated syntaxes: the fragments of one frame
    joined) or its native bytes. pydicom applies the same processing as ``pixel_array``: sign
    correction, unused-bit masking, YBR→RGB when ``as_rgb``.
    """
    from pydicom.pixels import get_decoder

    ts = UID(transfer_syntax_uid)
    if ts == pduid.DeflatedExplicitVRLittleEndian:
        ts = pduid.ExplicitVRLittleEndian  # pixel data are inflated before they get here
    try:
        decoder = get_decoder(ts)
    except NotImplementedError as exc:
        raise CodecUnavailableError(f"pydicom has no decoder for {ts.name}") from exc
    if not decoder.is_available:
        raise CodecUnavailableError(
            f"no installed library decodes {ts.name}: {'; '.join(decoder.missing_dependencies)} "
            "(pip install 'iodkit[codecs]')"
        )
    options = desc.with_frames(1).decode_options()
    if ts.is_encapsulated:
        length = len(encoded) + (len(encoded) & 1)
        src: bytes | bytearray | memoryview = b"".join(
            (
                _EMPTY_BOT,
                b"\xfe\xff\x00\xe0",
                length.to_bytes(4, "little"),
                bytes(encoded),
                b"\x00" * (len(encoded) & 1),
            )
        )
    else:
        src = encoded
    try:
        array, _ = decoder.as_array(src, index=0, as_rgb=as_rgb, **options)  # type: ignore[arg-type]
    except Exception as exc:  # pydicom and the plugins raise many types
        raise PixelDecodingError(f"{ts.name} frame could not be decoded: {exc}") from exc
    return array

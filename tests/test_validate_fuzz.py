"""The validator never raises on bad input: real files truncated, bit-flipped, with rewritten VRs
and lengths, and items where values were (hypothesis, fixed seed, bounded examples).

Every outcome must be a list of findings; a problem with the bytes is a finding. The checks
also require the validator's own last-resort guard ("validation stopped: …") never to fire: a
crash caught by the guard is still a bug.
"""

from __future__ import annotations

import re
import struct
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from iodkit.validation import validate_bytes
from iodkit.validation.findings import Finding

SMALL = [
    "highdicom/seg_image_ct_binary.dcm",  # implicit VR, functional groups
    "highdicom/sr_document.dcm",  # SR content tree
    "highdicom/sm_annotations.dcm",
    "fodicom/charset_chrJapMulti.dcm",  # ISO 2022 character sets
    "fodicom/GH1146.dcm",
    "dcmqi/segmentations_23x38x3_multiframe_mf.dcm",
    "highdicom/sm_image_jpegls.dcm",  # encapsulated pixel data
]
_VRS = [
    v.encode()
    for v in "AE AS AT CS DA DS DT FD FL IS LO LT OB OD OF OL OV OW PN SH SL SQ SS "
    "ST SV TM UC UI UL UN UR US UT UV".split()
]
_VR_AT = re.compile(b"(?=(" + b"|".join(_VRS) + b"))")
FUZZ = settings(
    max_examples=2000,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module")
def corpus(testdata: Path) -> list[bytes]:
    return [(testdata / name).read_bytes() for name in SMALL]


def check(data: bytes) -> None:
    findings = validate_bytes(data)
    assert isinstance(findings, list)
    assert all(isinstance(f, Finding) for f in findings)
    stopped = [f for f in findings if f.message.startswith("validation stopped")]
    assert not stopped, stopped


def test_every_file_truncated_anywhere(testdata: Path) -> None:
    for path in sorted(testdata.rglob("*.dcm")):
        data = path.read_bytes()
        for cut in sorted(
            {0, 1, 127, 131, 132, 140, 300, len(data) // 3, len(data) // 2, len(data) - 1}
        ):
            check(data[: max(0, min(cut, len(data)))])


def _mutations() -> st.SearchStrategy[tuple[int, list[tuple[str, float, int]]]]:
    op = st.tuples(
        st.sampled_from(["flip", "vr", "length", "delimiter", "truncate", "insert"]),
        st.floats(min_value=0.0, max_value=1.0, allow_nan=False),
        st.integers(min_value=0, max_value=2**32 - 1),
    )
    return st.tuples(
        st.integers(min_value=0, max_value=len(SMALL) - 1), st.lists(op, min_size=1, max_size=4)
    )


def mutate(data: bytes, ops: list[tuple[str, float, int]]) -> bytes:
    buf = bytearray(data)
    for kind, where, value in ops:
        if not buf:
            break
        pos = int(where * (len(buf) - 1))
        if kind == "flip":
            buf[pos] ^= 1 << (value % 8)
        elif kind == "vr":
            hits = [m.start() for m in _VR_AT.finditer(bytes(buf[132:]))]
            if hits:
                at = 132 + hits[int(where * (len(hits) - 1))]
                buf[at : at + 2] = _VRS[value % len(_VRS)]
        elif kind == "length" and pos + 4 <= len(buf):
            buf[pos : pos + 4] = struct.pack("<I", value)
        elif kind == "delimiter" and pos + 8 <= len(buf):
            # an item or delimiter tag where a value or element was
            tag = (b"\xfe\xff\x00\xe0", b"\xfe\xff\x0d\xe0", b"\xfe\xff\xdd\xe0")[value % 3]
            buf[pos : pos + 8] = tag + struct.pack(
                "<I", value % 0x10000 if value & 1 else 0xFFFFFFFF
            )
        elif kind == "truncate":
            del buf[pos:]
        elif kind == "insert":
            buf[pos:pos] = struct.pack("<I", value) * (1 + value % 3)
    return bytes(buf)


@FUZZ
@given(_mutations())
def test_mutated_files_never_raise(corpus_case: tuple[int, list[tuple[str, float, int]]]) -> None:
    index, ops = corpus_case
    check(mutate(_CORPUS[index], ops))


@settings(FUZZ, max_examples=1000)
@given(
    st.integers(min_value=0, max_value=len(SMALL) - 1),
    st.binary(min_size=0, max_size=64),
    st.floats(min_value=0.0, max_value=1.0, allow_nan=False),
)
def test_random_bytes_spliced_in_never_raise(index: int, junk: bytes, where: float) -> None:
    data = _CORPUS[index]
    pos = int(where * len(data))
    check(data[:pos] + junk + data[pos + len(junk) :])


@settings(FUZZ, max_examples=200)
@given(st.binary(min_size=0, max_size=600))
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    check(data)
    check(b"\0" * 128 + b"DICM" + data)


_CORPUS: list[bytes] = []


@pytest.fixture(autouse=True, scope="module")
def _load(corpus: list[bytes]) -> None:
    _CORPUS[:] = corpus

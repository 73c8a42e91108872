"""A tolerant, fast DICOM reader for validation: bytes → a tree of :class:`Node` s.

Why not :func:`pydicom.dcmread`? Two reasons. Validation must never stop at the first broken
byte: this reader records what is wrong (truncation, odd lengths, bad VRs, tags out of order,
an item where a value was expected) as :class:`ReadIssue` s and keeps every element it could
read. And validation touches every element of every item: pydicom builds a full ``Dataset``
and converts each value on access (~30 µs per element, mostly sequence items), while this reader
only slices the file (~2 µs per element) and decodes a value when a check asks for it.

The tree (:class:`Node`, :class:`Element`, their encoding) is defined in :mod:`.tree`, which
the checks import; :mod:`.fromvalues` builds the same tree from a pydicom ``Dataset``
(in-memory validation) or from element values (DICOM JSON). Reading a file never imports
pydicom (whose import, with NumPy, costs a third of a second, more than reading and checking
a typical file).
"""

from __future__ import annotations

import mmap
import struct
import zlib
from pathlib import Path
from typing import Any, TypeAlias

from iodkit.rulemodel.datasets import CHARSET_VRS, SPECIFIC_CHARACTER_SET

from .dictionary import entry, join
from .tree import KEPT_BYTES, TEXT_VRS, Element, Encoding, Node, ParsedFile, ReadIssue

ITEM = 0xFFFEE000
ITEM_DELIMITER = 0xFFFEE00D
SEQUENCE_DELIMITER = 0xFFFEE0DD
PIXEL_DATA = 0x7FE00010
UNDEFINED = 0xFFFFFFFF
MAX_DEPTH = 48  # nested sequences deeper than this are not real data
# ESC, as a byte value: "ESC in raw" finds it without the TypeError (raised and cleared inside
# CPython) that "b'\\x1b' in raw" costs, trying the bytes as an integer first
ESC = 0x1B

IMPLICIT_LE = "1.2.840.10008.1.2"
EXPLICIT_LE = "1.2.840.10008.1.2.1"
EXPLICIT_BE = "1.2.840.10008.1.2.2"
DEFLATED = ("1.2.840.10008.1.2.1.99", "1.2.840.10008.1.2.8.1")

_LONG_VRS = frozenset(b"OB OD OF OL OV OW SQ UC UN UR UT SV UV".split())
_VALID_VRS = frozenset(
    "AE AS AT CS DA DS DT FD FL IS LO LT OB OD OF OL OV OW PN SH SL SQ SS ST SV TM UC UI UL UN "
    "UR US UT UV".split()
)
_VR_TEXT = {v.encode(): v for v in _VALID_VRS}  # VR bytes as read → the VR's name
# VR bytes as read → the VR's name, and whether its length takes 4 bytes (PS3.5 7.1.2)
_VR_BYTES = {b: (v, b in _LONG_VRS) for b, v in _VR_TEXT.items()}


# Where an issue is, as made while reading: "" (the dataset), (sequence, index) an item of a
# sequence, (dataset, tag, 0) an element of a dataset. Made into an attribute path
# (:func:`_path`) only for an issue: most files have none, and an f-string for every item of a
# file cost more than any issue.
Where = Any


def _path(where: Where) -> str:
    """The attribute path (``Seq[0].Keyword``) of a :data:`Where`."""
    if type(where) is str:
        return where
    if len(where) == 2:
        return f"{_path(where[0])}[{where[1]}]"
    return join(_path(where[0]), where[1])


class _Reader:
    def __init__(self, buf: Any, explicit: bool, little: bool, in_file: bool = True) -> None:
        self.buf = buf
        self.in_file = in_file  # positions in buf are positions in the file (not inflated)
        self.explicit = explicit
        self.little = little
        self.issues: list[ReadIssue] = []
        e = "<" if little else ">"
        self.u16 = struct.Struct(e + "H").unpack_from
        self.u32 = struct.Struct(e + "I").unpack_from
        self.tag = struct.Struct(e + "HH").unpack_from
        # an explicit VR element header at once: group, element, VR bytes, 16-bit length
        self.header = struct.Struct(e + "HH2sH").unpack_from

    def issue(
        self, sev: str, code: str, msg: str, where: Where = "", tag: int | None = None
    ) -> None:
        if len(self.issues) < 200:
            self.issues.append(ReadIssue(sev, code, msg, _path(where), tag))

    def dataset(
        self, pos: int, end: int, depth: int, path: Where, in_item: bool, parent: Encoding | None
    ) -> tuple[Node, int]:
        """Read elements from ``pos`` until ``end`` (or an item delimiter when ``in_item`` and
        the item has undefined length); returns the node and the position after it.

        ``parent``: the encoding of the dataset an item is in. The item shares it (no object
        an item) until it has a Specific Character Set of its own (:meth:`_own_encoding`)."""
        big = not self.little
        if parent is not None and parent.big_endian == big:
            enc = parent  # shared with the parent dataset until (0008,0005) says otherwise
        else:
            enc = Encoding(big, parent)
        node = Node(enc)
        pos, node.extended_text = self._elements(node, pos, end, depth, path, in_item, parent)
        return node, pos

    def _elements(
        self,
        node: Node,
        pos: int,
        end: int,
        depth: int,
        path: Where,
        in_item: bool,
        parent: Encoding | None,
    ) -> tuple[int, bool]:
        """:meth:`dataset`'s elements, into ``node``: the position after them, and whether a
        text value among them (or in an item sharing the node's character set) leaves ISO-IR 6
        (a local while reading: the node is told once, at the end)."""
        buf = self.buf
        enc = node.enc
        extended = False  # True on the first text byte outside ISO-IR 6 (below)
        elements = node.elems
        last = -1
        explicit = self.explicit
        header, tag_of, u32 = self.header, self.tag, self.u32
        dictionary_vrs = _DICTIONARY_VRS  # (what _dictionary_vr() reads first, without a call)
        vr_bytes = _VR_BYTES
        charset_vrs = CHARSET_VRS
        text_vrs = TEXT_VRS
        while pos < end:
            if pos + 8 > end:
                self.issue("error", "truncated", f"{end - pos} stray bytes at the end", path)
                return end, extended
            if explicit:
                g, e, vrb, short_length = header(buf, pos)
            else:
                g, e = tag_of(buf, pos)
            tag = g << 16 | e
            if g == 0xFFFE:
                length = u32(buf, pos + 4)[0]
                if tag == ITEM_DELIMITER and in_item:
                    return pos + 8, extended
                if tag == SEQUENCE_DELIMITER and in_item:
                    # a sequence delimiter where the item's end was expected: the item ends here
                    self.issue("error", "delimiter", "item not closed before sequence end", path)
                    return pos, extended
                self.issue(
                    "error",
                    "delimiter",
                    f"unexpected ({g:04X},{e:04X}) in a dataset",
                    path,
                    tag,
                )
                pos += 8 + (length if length != UNDEFINED and tag == ITEM else 0)
                continue
            if tag <= last:
                self.issue(
                    "error",
                    "order",
                    f"({g:04X},{e:04X}) out of order "
                    f"(after ({last >> 16:04X},{last & 0xFFFF:04X}))",
                    path,
                    tag,
                )
            last = tag
            written = None
            if explicit:
                known = vr_bytes.get(vrb)
                if known is not None:
                    written, long_vr = known
                    if long_vr:
                        if pos + 12 > end:  # the 4-byte length is cut off
                            self.issue("error", "truncated", "element header cut off", path, tag)
                            return end, extended
                        length = u32(buf, pos + 8)[0]
                        start = pos + 12
                    else:
                        length = short_length
                        start = pos + 8
                elif 0x41 <= vrb[0] <= 0x5A and 0x41 <= vrb[1] <= 0x5A:
                    length = short_length
                    start = pos + 8
                    self.issue("error", "bad-vr", f"unknown VR {vrb.decode()!r}", path, tag)
                    written = "UN"
                else:
                    # not a VR: read this element as implicit VR (some writers mix them)
                    self.issue(
                        "error",
                        "bad-vr",
                        f"no valid VR (bytes {vrb!r}); read as implicit VR",
                        path,
                        tag,
                    )
                    length = u32(buf, pos + 4)[0]
                    start = pos + 8
            else:
                length = u32(buf, pos + 4)[0]
                start = pos + 8
            vr = written or dictionary_vrs.get(tag) or _dictionary_vr(tag)
            if written == "UN" and not tag >> 16 & 1:
                # a standard attribute written as UN (by a writer whose dictionary lacked it):
                # its value is read with the dictionary's VR (PS3.5 6.2.2); the file checks
                # report the UN itself
                vr = _dictionary_vr(tag)
            el = Element(tag, vr, length, buf, start, written, enc)
            if vr == "SQ" or (length == UNDEFINED and vr == "UN" and tag != PIXEL_DATA):
                el.vr = "SQ"
                node.extended_text = extended
                pos = self.sequence(
                    el, start, length, end, depth, (path, tag, 0), node, written == "UN"
                )
                extended = node.extended_text
            elif length == UNDEFINED:
                pos = self.fragments(el, start, end, (path, tag, 0))
            else:
                pos = start + length
                if pos > end or length & 1:
                    if pos > end:
                        self.issue(
                            "error",
                            "truncated",
                            f"value of {length} bytes runs past the end ({end - start} left)",
                            (path, tag, 0),
                            tag,
                        )
                        el.length = max(0, end - start)
                        elements[tag] = el
                        if vr in charset_vrs and _extended(buf, start, el.length):
                            extended = True
                        return end, extended
                    self.issue(
                        "error", "odd-length", f"odd value length {length}", (path, tag, 0), tag
                    )
                if tag == SPECIFIC_CHARACTER_SET:
                    if enc is parent:
                        enc = self._own_encoding(node, parent, el)
                    text = bytes(buf[start:pos]).decode("latin-1")
                    enc.terms = [t.strip(" \x00") for t in text.split("\\")]
                elif vr in text_vrs and length <= KEPT_BYTES:
                    # a short text: its bytes now, as Element.value_bytes() keeps them (the
                    # value check reads every one of them), and whether they leave ISO-IR 6
                    raw = buf[start:pos]
                    if type(raw) is not bytes:
                        raw = bytes(raw)
                    el._bytes = raw
                    if not extended and vr in charset_vrs and (not raw.isascii() or ESC in raw):
                        extended = True
                elif vr in charset_vrs and not extended and _extended(buf, start, length):
                    extended = True
            elements[tag] = el
        return pos, extended

    def _own_encoding(self, node: Node, shared: Encoding, el: Element) -> Encoding:
        """An item's own Encoding, made when it has a Specific Character Set: its elements
        read so far (and the items of its sequences that shared its encoding) take it."""
        enc = Encoding(shared.big_endian, shared)
        node.enc = enc
        el.enc = enc
        for other in node.elems.values():
            other.enc = enc
            for item in other.items or ():
                _adopt(item, shared, enc)
        return enc

    def sequence(
        self,
        el: Element,
        start: int,
        length: int,
        end: int,
        depth: int,
        path: Where,
        node: Node,
        implicit_un: bool,
    ) -> int:
        el.items = []
        offsets: list[int] | None = [] if self.in_file else None
        el.item_offsets = offsets
        if depth >= MAX_DEPTH:
            self.issue("error", "depth", "sequences nested too deep; not read further", path)
            if length == UNDEFINED:
                return end
            return min(end, start + length)
        stop = end if length == UNDEFINED else min(end, start + length)
        if length != UNDEFINED and start + length > end:
            self.issue(
                "error", "truncated", f"sequence of {length} bytes runs past the end", path, el.tag
            )
        reader = self
        if implicit_un and (self.explicit or not self.little):
            # UN of undefined length: a sequence in Implicit VR Little Endian (PS3.5 6.2.2)
            reader = _Reader(self.buf, False, True, self.in_file)
            reader.issues = self.issues
        pos = start
        while pos < stop:
            if pos + 8 > stop:
                self.issue("error", "truncated", "sequence ends inside an item header", path)
                return stop
            g, e = reader.tag(self.buf, pos)
            tag = g << 16 | e
            ilen = reader.u32(self.buf, pos + 4)[0]
            if tag == SEQUENCE_DELIMITER:
                return pos + 8
            if tag != ITEM:
                self.issue(
                    "error",
                    "not-an-item",
                    f"({g:04X},{e:04X}) where a sequence item was expected",
                    path,
                    el.tag,
                )
                return stop if length != UNDEFINED else end
            ipath = (path, len(el.items))
            istart = pos + 8
            if ilen == UNDEFINED:
                item, pos = reader.dataset(istart, stop, depth + 1, ipath, True, node.enc)
            else:
                iend = istart + ilen
                if iend > stop:
                    self.issue("error", "truncated", "item runs past its sequence", ipath)
                    iend = stop
                item, _ = reader.dataset(istart, iend, depth + 1, ipath, False, node.enc)
                pos = iend
            el.items.append(item)
            if item.extended_text and SPECIFIC_CHARACTER_SET not in item.elems:
                node.extended_text = True  # the item's text is in this dataset's set
            if offsets is not None:
                offsets.append(istart - 8)
        if length == UNDEFINED:
            self.issue("error", "truncated", "sequence without a delimiter", path, el.tag)
        return stop

    def fragments(self, el: Element, start: int, end: int, path: Where) -> int:
        """Encapsulated data (undefined length OB/OW): items of bytes up to the delimiter."""
        count = 0
        pos = start
        while pos + 8 <= end:
            g, e = self.tag(self.buf, pos)
            tag = g << 16 | e
            flen = self.u32(self.buf, pos + 4)[0]
            if tag == SEQUENCE_DELIMITER:
                el.fragments = count
                el.length = pos - start
                return pos + 8
            if tag != ITEM or flen == UNDEFINED:
                self.issue(
                    "error", "fragments", "encapsulated value not made of items", path, el.tag
                )
                break
            count += 1
            pos += 8 + flen
        else:
            self.issue("error", "truncated", "encapsulated value without a delimiter", path, el.tag)
        el.fragments = count
        el.length = max(0, min(pos, end) - start)
        return end


def _extended(buf: Any, start: int, length: int) -> bool:
    """A text value's bytes hold a character outside ISO-IR 6: a byte over 0x7F (in every
    character set DICOM uses) or ESC (which only code extensions use)."""
    raw = bytes(buf[start : start + length])
    return not raw.isascii() or ESC in raw


def _adopt(node: Node, old: Encoding, new: Encoding) -> None:
    """Give ``node`` (an item) and the items below it that share ``old`` the encoding ``new``."""
    if node.enc is not old:
        if node.enc.parent is old:
            node.enc.parent = new  # an item with a character set of its own
        return
    node.enc = new
    for el in node.elems.values():
        el.enc = new
        for item in el.items or ():
            _adopt(item, old, new)


def _dictionary_vr(tag: int) -> str:
    """The VR an element is read with when the file does not give it (implicit VR, or UN for
    a standard attribute): looked up once per tag."""
    vr = _DICTIONARY_VRS.get(tag)
    if vr is None:
        if len(_DICTIONARY_VRS) >= 65536:  # private tags are not a bounded set
            _DICTIONARY_VRS.clear()
        vr = _DICTIONARY_VRS[tag] = _vr_of(tag)
    return vr


_DICTIONARY_VRS: dict[int, str] = {}


def _vr_of(tag: int) -> str:
    vr = entry(tag).vr
    if not vr:
        return "UN"
    if " or " in vr:
        if tag == PIXEL_DATA or vr.startswith("OB"):
            return "OW"
        return vr.split(" or ")[0]
    return vr


def sop_class_of(path: str | Path) -> str:
    """The Media Storage SOP Class UID of a Part 10 file, from its first bytes ("" if none)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(8192)
    except OSError:
        return ""
    if len(head) < 140 or head[128:132] != b"DICM":
        return ""
    meta, _ = _Reader(head, True, True).dataset(132, _meta_end(head, 132), 0, "", False, None)
    el = meta.elems.get(0x00020002)
    return el.strings()[0] if el is not None and el.strings() else ""


def _meta_end(data: bytes, pos: int) -> int:
    """Where group 0002 (explicit VR little endian, always) ends."""
    while pos + 8 <= len(data):
        if struct.unpack_from("<H", data, pos)[0] != 0x0002:
            break
        vrb = data[pos + 4 : pos + 6]
        if vrb in _LONG_VRS:
            ln = struct.unpack_from("<I", data, pos + 8)[0]
            pos += 12 + (0 if ln == UNDEFINED else ln)
        else:
            pos += 8 + struct.unpack_from("<H", data, pos + 6)[0]
    return min(pos, len(data))


def read(path: str | Path) -> ParsedFile:
    """Read a file; never raises for bad content (only for an unreadable path: OSError)."""
    data = Path(path).read_bytes()
    return parse(data)


#: what :func:`parse` reads: a file's bytes, or a map of the file (the annotation reader maps
#: large files rather than reading them)
ByteSource: TypeAlias = bytes | bytearray | mmap.mmap


def parse(data: ByteSource) -> ParsedFile:
    """Parse a DICOM file's bytes (Part 10 with preamble, or a bare dataset)."""
    issues: list[ReadIssue] = []
    preamble = len(data) >= 132 and data[128:132] == b"DICM"
    pos = 132 if preamble else 0
    if not preamble:
        if data[:4] == b"DICM":
            pos = 4
        issues.append(
            ReadIssue("error", "no-preamble", "no 128-byte preamble and DICM prefix (PS3.10 7.1)")
        )
    meta_reader = _Reader(data, True, True)
    # file meta: group 0002, always explicit VR little endian
    meta_end = pos
    while meta_end + 8 <= len(data):
        g = struct.unpack_from("<H", data, meta_end)[0]
        if g != 0x0002:
            break
        vrb = data[meta_end + 4 : meta_end + 6]
        if vrb in _LONG_VRS:
            ln = struct.unpack_from("<I", data, meta_end + 8)[0]
            meta_end += 12 + (0 if ln == UNDEFINED else ln)
        elif len(vrb) == 2 and vrb.isalpha() and vrb.isupper():
            meta_end += 8 + struct.unpack_from("<H", data, meta_end + 6)[0]
        else:  # implicit VR file meta (not allowed, but seen)
            meta_end += 8 + struct.unpack_from("<I", data, meta_end + 4)[0]
            meta_reader = _Reader(data, False, True)
    meta_end = min(meta_end, len(data))
    meta, _ = meta_reader.dataset(pos, meta_end, 0, "", False, None)
    issues.extend(meta_reader.issues)
    ts_el = meta.elems.get(0x00020010)
    ts = ts_el.strings()[0] if ts_el is not None and ts_el.strings() else ""
    body = data
    start = meta_end
    if ts in DEFLATED:
        try:
            body = zlib.decompressobj(-zlib.MAX_WBITS).decompress(data[meta_end:])
            start = 0
        except zlib.error as exc:
            issues.append(
                ReadIssue("error", "unreadable", f"deflated data cannot be inflated: {exc}")
            )
            body, start = b"", 0
    if ts == IMPLICIT_LE:
        explicit, little = False, True
    elif ts == EXPLICIT_BE:
        explicit, little = True, False
    elif ts:
        explicit, little = True, True
    else:
        explicit, little = _sniff(body, start)
    if explicit and start + 6 <= len(body) and not _looks_explicit(body, start):
        issues.append(
            ReadIssue(
                "error",
                "transfer-syntax",
                "the dataset is not encoded as its transfer syntax says (implicit VR found)",
            )
        )
        explicit = False
    elif not explicit and ts and _looks_explicit(body, start):
        issues.append(
            ReadIssue(
                "error",
                "transfer-syntax",
                "the dataset is not encoded as its transfer syntax says (explicit VR found)",
            )
        )
        explicit = True
    reader = _Reader(body, explicit, little, body is data)
    dataset, _ = reader.dataset(start, len(body), 0, "", False, None)
    dataset.file_meta = meta
    issues.extend(reader.issues)
    return ParsedFile(dataset, meta, ts, issues, preamble)


def _looks_explicit(buf: ByteSource, pos: int) -> bool:
    vr = buf[pos + 4 : pos + 6]
    return len(vr) == 2 and vr.decode("latin-1") in _VALID_VRS


def _sniff(buf: ByteSource, pos: int) -> tuple[bool, bool]:
    """Guess explicit/implicit and endianness of a bare dataset from its first element."""
    if pos + 8 > len(buf):
        return True, True
    explicit = _looks_explicit(buf, pos)
    little = struct.unpack_from("<H", buf, pos)[0] <= 0x00FF or buf[pos] != 0
    return explicit, little

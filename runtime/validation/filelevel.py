"""Checks of the file as a whole: what the reader found, every element's VR, value and VM,
the File Meta Information, Pixel Data against its transfer syntax and description, UIDs.

:class:`FileChecks` is the base of the engine's per-dataset check (:mod:`.engine`): it holds the
findings and the reporting (one finding per code, path, message and module) and these checks,
which need no IOD; the engine adds the IOD's module and attribute rules.
"""

from __future__ import annotations

from iodkit.rulemodel import CODING_SCHEME_DESIGNATOR

from .context import STORED, ValidationContext
from .dictionary import entry, join, keyword_of, tag_text
from .findings import Finding, Reference, Said, Severity
from .reader import PIXEL_DATA
from .rules import RuleBook
from .tree import Element, Node, ParsedFile, ReadIssue
from .vr import Problem, check_element, verdicts_for, vr_matches

SOP_CLASS_UID = 0x00080016
SOP_INSTANCE_UID = 0x00080018
PS33 = "PS3.3"
_NATIVE = frozenset(
    (
        "1.2.840.10008.1.2",
        "1.2.840.10008.1.2.1",
        "1.2.840.10008.1.2.2",
        "1.2.840.10008.1.2.1.99",
        "1.2.840.10008.1.2.8.1",
    )
)


# Photometric Interpretations whose chroma is subsampled: the share of Samples per Pixel (3)
# stored per pixel (PS3.3 C.7.6.3.1.2, PS3.5 8.2)
_SUBSAMPLED = {"YBR_FULL_422": (2, 3), "YBR_PARTIAL_422": (2, 3), "YBR_PARTIAL_420": (1, 2)}
_STORED = {"YBR_FULL_422": "2", "YBR_PARTIAL_422": "2", "YBR_PARTIAL_420": "1.5"}


PER_ELEMENT = 10  # findings listed for one element (attribute path) at most
_SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")
_RANK = {s: i for i, s in enumerate(_SEVERITIES)}


class FileChecks:
    def __init__(
        self, parsed: ParsedFile, book: RuleBook, context: ValidationContext = STORED
    ) -> None:
        self.parsed = parsed
        self.book = book
        self.context = context
        self.edition = book.edition
        self.root = parsed.dataset
        self.content_checks = book.content_checks()  # the hand-written ones, by tag
        self.findings: list[Finding] = []
        self._seen: set[tuple[str, str, str, str]] = set()
        self._per_path: dict[str, int] = {}
        self._dropped: dict[str, tuple[Severity, int]] = {}
        self._refs: dict[str, Reference] = {}
        # what :func:`.itemmemo.recorded` is listening for: every finding offered to add(),
        # before it is deduplicated, goes into each list here (nested memos listen at once)
        self.recorders: list[list[Said]] = []

    # -- reporting ----------------------------------------------------------------------------
    def add(
        self,
        severity: Severity,
        code: str,
        path: str,
        message: str,
        *,
        module: str = "",
        rule: str = "",
        ref: Reference | None = None,
        tag: int | None = None,
    ) -> None:
        if self.recorders:
            said: Said = (severity, code, path, message, module, rule, ref, tag)
            for r in self.recorders:
                r.append(said)
        key = (code, path, message, module)
        if key in self._seen:
            return
        self._seen.add(key)
        n = self._per_path.get(path, 0) + 1
        self._per_path[path] = n
        if n > PER_ELEMENT and path:
            # one corrupt value must not bury the rest: the excess becomes one summary line
            worst, dropped = self._dropped.get(path, (severity, 0))
            rank = min(_RANK[worst], _RANK[severity])
            self._dropped[path] = (_SEVERITIES[rank], dropped + 1)
            return
        self.findings.append(Finding(severity, code, path, message, module, rule, ref, tag))

    def finish(self) -> list[Finding]:
        """The findings, with one line for each element that had more than
        :data:`PER_ELEMENT` (its worst severity, so an error is never hidden)."""
        for path, (severity, dropped) in self._dropped.items():
            self.findings.append(
                Finding(
                    severity,
                    "capped",
                    path,
                    f"{dropped} more findings for this element not listed "
                    f"(at most {PER_ELEMENT} an element)",
                )
            )
        self._dropped.clear()
        return self.findings

    def ref(self, table: str) -> Reference:
        """The PS3.3 table of a rule (one immutable Reference per table, made once: a rule
        that cannot be decided is reported in every item it applies to)."""
        hit = self._refs.get(table)
        if hit is None:
            hit = self._refs[table] = Reference(PS33, table, self.edition)
        return hit

    def read_issue(self, issue: ReadIssue) -> None:
        code = "meta" if issue.code == "no-preamble" else "encoding"
        ref = Reference("PS3.10", "sect_7.1", "") if code == "meta" else Reference("PS3.5")
        self.add(issue.severity, code, issue.path, issue.message, ref=ref, tag=issue.tag)  # type: ignore[arg-type]

    def sop_class(self) -> str | None:
        el = self.root.elems.get(SOP_CLASS_UID)
        uid = el.strings()[0] if el is not None and el.strings() else ""
        if uid:
            return uid
        meta = self.parsed.meta.elems.get(0x00020002)
        meta_uid = meta.strings()[0] if meta is not None and meta.strings() else ""
        if meta_uid and not self.iod_defines(meta_uid, SOP_CLASS_UID):
            return meta_uid  # an IOD without SOP Common (a DICOMDIR): the File Meta names it
        self.add(
            "error",
            "sop-class",
            "SOPClassUID",
            "SOP Class UID (0008,0016) is absent or empty"
            + (f"; the File Meta Information says {meta_uid}" if meta_uid else ""),
            ref=self.ref("table_C.12-1"),
            tag=SOP_CLASS_UID,
        )
        return meta_uid or None

    def iod_defines(self, sop_class_uid: str, tag: int) -> bool:
        """Whether the IOD of a SOP Class has a top-level attribute ``tag`` (True when the SOP
        Class is not known). The Basic Directory IOD of a DICOMDIR (PS3.3 Annex F) has no SOP
        Common Module: its SOP Class and Instance UIDs are only in the File Meta Information."""
        iod = self.book.iod_for(sop_class_uid)
        return iod is None or any(tag in mu.scope.by_tag for mu in iod.modules)

    # -- File Meta Information (PS3.10 7.1) ----------------------------------------------------
    def meta(self) -> None:
        meta = self.parsed.meta.elems
        ref = Reference("PS3.10", "sect_7.1", "")
        if not meta:
            if self.parsed.in_memory:
                return  # pydicom writes the file meta when the dataset is saved
            if self.parsed.preamble or not any(i.code == "no-preamble" for i in self.parsed.issues):
                self.add("error", "meta", "", "no File Meta Information (group 0002)", ref=ref)
            return
        required = (
            ()
            if self.parsed.in_memory
            else (0x00020001, 0x00020002, 0x00020003, 0x00020010, 0x00020012)
        )
        for tag in required:
            el = meta.get(tag)
            if el is None or el.is_empty:
                what = "absent" if el is None else "empty"
                self.add(
                    "error",
                    "meta",
                    keyword_of(tag),
                    f"Type 1 File Meta element {what}",
                    ref=ref,
                    tag=tag,
                )
        for mtag, dtag in ((0x00020002, SOP_CLASS_UID), (0x00020003, SOP_INSTANCE_UID)):
            m, d = meta.get(mtag), self.root.elems.get(dtag)
            mv = m.strings()[0] if m is not None and m.strings() else ""
            dv = d.strings()[0] if d is not None and d.strings() else ""
            if mv and dv and mv != dv:
                self.add(
                    "error",
                    "meta",
                    keyword_of(mtag),
                    f"{keyword_of(mtag)} {mv} differs from {keyword_of(dtag)} {dv}",
                    ref=ref,
                    tag=mtag,
                )
            elif mv and not dv and self.iod_defines(meta_uid_of(meta), dtag):
                self.add(
                    "error",
                    "meta",
                    keyword_of(dtag),
                    f"{keyword_of(mtag)} is set but {keyword_of(dtag)} is absent",
                    ref=ref,
                    tag=dtag,
                )

    def pixel_data(self) -> None:
        """Pixel Data against the transfer syntax and the Image Pixel description."""
        ts = self.parsed.transfer_syntax
        pixels = self.root.elems.get(PIXEL_DATA)
        if pixels is not None and pixels.length < 0:
            return  # bulk data by reference (metadata): nothing here to measure
        if ts and pixels is not None:
            if ts in _NATIVE and pixels.fragments is not None:
                self.add(
                    "error",
                    "encoding",
                    "PixelData",
                    f"encapsulated Pixel Data in a native transfer syntax ({ts})",
                    ref=Reference("PS3.5", "sect_A.4", ""),
                    tag=PIXEL_DATA,
                )
            elif ts not in _NATIVE and pixels.fragments is None and pixels.length:
                self.add(
                    "error",
                    "encoding",
                    "PixelData",
                    f"native Pixel Data in an encapsulated transfer syntax ({ts})",
                    ref=Reference("PS3.5", "sect_A.4", ""),
                    tag=PIXEL_DATA,
                )
        if pixels is not None and pixels.fragments is None:
            self.pixel_length(pixels)
        if pixels is not None:
            self.pixel_vr(pixels)

    def pixel_vr(self, pixels: Element) -> None:
        """Encapsulated Pixel Data is OB (PS3.5 A.4); native Pixel Data with more than 8 Bits
        Allocated is OW in explicit VR transfer syntaxes (PS3.5 8.1.1)."""
        vr = pixels.written_vr
        if vr is None:
            return
        ref = Reference("PS3.5", "sect_A.4" if pixels.fragments is not None else "sect_8.1.1", "")
        if pixels.fragments is not None and vr != "OB":
            self.add(
                "error",
                "vr",
                "PixelData",
                f"encapsulated Pixel Data has VR {vr}, not OB",
                ref=ref,
                tag=PIXEL_DATA,
            )
            return
        bits = self.root.elems.get(0x00280100)
        try:
            allocated = int(bits.numbers()[0]) if bits is not None and bits.numbers() else 0
        except (TypeError, ValueError):
            return
        if pixels.fragments is None and vr == "OB" and allocated > 8:
            self.add(
                "error",
                "vr",
                "PixelData",
                f"Pixel Data is OB with Bits Allocated "
                f"{allocated}; more than 8 bits are encoded as OW",
                ref=ref,
                tag=PIXEL_DATA,
            )

    def distinct_uids(self) -> None:
        """Study, Series, SOP Instance and Frame of Reference UIDs name different things, so
        they differ (PS3.5 9.1: a UID identifies one object)."""
        names = {
            0x0020000D: "StudyInstanceUID",
            0x0020000E: "SeriesInstanceUID",
            SOP_INSTANCE_UID: "SOPInstanceUID",
            0x00200052: "FrameOfReferenceUID",
        }
        seen: dict[str, str] = {}
        for tag, name in names.items():
            el = self.root.elems.get(tag)
            value = el.strings()[0] if el is not None and el.strings() else ""
            if not value:
                continue
            if value in seen:
                self.add(
                    "error",
                    "uid",
                    name,
                    f"{name} has the same value as {seen[value]} ({value})",
                    ref=Reference("PS3.5", "sect_9.1", ""),
                    tag=tag,
                )
            else:
                seen[value] = name

    def pixel_length(self, pixels: Element) -> None:
        """Native Pixel Data is exactly rows × columns × samples × frames × bits (PS3.5 8.1.1),
        where chroma subsampling stores fewer samples than Samples per Pixel says: YBR_FULL_422
        and YBR_PARTIAL_422 keep two Y for one Cb and one Cr ("Y1 Y2 Cb Cr", PS3.3
        C.7.6.3.1.2), 2 samples a pixel of the 3; YBR_PARTIAL_420 (PS3.5 8.2) 1.5."""

        def num(tag: int, default: int | None = None) -> int | None:
            el = self.root.elems.get(tag)
            try:
                vals = el.numbers() if el is not None else ()
                return int(str(vals[0]).strip()) if vals else default
            except (ValueError, TypeError, IndexError):
                return None

        rows, cols, bits = num(0x00280010), num(0x00280011), num(0x00280100)
        spp, frames = num(0x00280002, 1), num(0x00280008, 1)
        if None in (rows, cols, bits, spp, frames):
            return
        assert rows is not None and cols is not None and bits is not None
        assert spp is not None and frames is not None
        photometric = self.root.elems.get(0x00280004)
        kind = photometric.strings()[0] if photometric is not None and photometric.strings() else ""
        num_, den = _SUBSAMPLED.get(kind, (1, 1)) if spp == 3 else (1, 1)
        needed = (rows * cols * spp * frames * bits * num_ // den + 7) // 8
        expected = needed + (needed & 1)  # padded to an even length (PS3.5 8.1.1)
        actual = pixels.length
        if actual != expected:
            padded = f", padded to an even {expected}" if expected != needed else ""
            self.add(
                "error",
                "value",
                "PixelData",
                f"Pixel Data is {actual} bytes; Rows, Columns, Samples per Pixel, Number of "
                f"Frames and Bits Allocated make {needed}{padded}"
                + (f" ({kind} stores {_STORED[kind]} samples a pixel)" if kind in _STORED else ""),
                ref=Reference("PS3.5", "sect_8.1.1", ""),
                tag=PIXEL_DATA,
            )

    def designator(self, el: Element, path: str) -> None:
        """A Coding Scheme Designator against PS3.16 Section 8: one of Tables 8-1 and 8-2, a
        private "99…" one, or an HL7 Registry symbolic name (which cannot be checked here, so a
        warning); a deprecated one (SRT, SNM3, 99SDM) is a warning too."""
        schemes = self.book.coding_schemes()
        for value in el.strings():
            problem = schemes.problem(value)
            if problem is not None:
                self.add(
                    "warning",
                    "coding-scheme",
                    path,
                    problem,
                    ref=Reference("PS3.16", "table_8-1", self.edition),
                    tag=CODING_SCHEME_DESIGNATOR,
                )

    # -- encoding of every element --------------------------------------------------------------
    def encoding(self, node: Node, path: str) -> None:
        """Every element of ``node`` and its items: private element numbers and creators, VR
        UN and VRs against the dictionary, retired attributes, the hand-written content checks,
        value formats and VM.

        What a tag, read with its written VR and VR, calls for is worked out once
        (:func:`_tag_plan`): for most elements (a standard attribute with the dictionary's VR)
        that is only the value check, whose verdicts are remembered by value
        (:func:`~.vr.check_element`); the others also go through :meth:`_private_and_un` and
        :meth:`_dictionary_findings`."""
        creators: set[int] | None = None
        content_checks = self.content_checks
        for tag, el in node.elems.items():
            written = el.written_vr
            plan = (_PLANS if written is None else _EXPLICIT_PLANS).get(tag)
            if plan is None or plan.written != written or plan.vr != el.vr:
                plan = _tag_plan(tag, written, el.vr)
            if not plan.simple:
                creators = self._private_and_un(node, path, tag, el, creators)
            items = el.items
            if items is not None:
                sub = join(path, tag)
                for i, item in enumerate(items):
                    self.encoding(item, f"{sub}[{i}]")
                continue
            if tag == CODING_SCHEME_DESIGNATOR:
                self.designator(el, join(path, tag))
            if tag in content_checks:
                for check in content_checks[tag]:
                    check(self.add, el, self.root, join(path, tag), tag, self.edition)
            if not plan.simple and not self._dictionary_findings(path, tag, written):
                continue  # a VR the dictionary does not allow: its value is not checked
            problems, vm_problem = check_element(el, plan.vm, plan.memo)
            if problems or vm_problem is not None:
                self._value_problems(path, tag, problems, vm_problem)

    def _value_problems(
        self, path: str, tag: int, problems: list[Problem], vm_problem: Problem | None
    ) -> None:
        for code, message in problems:
            self.add(
                "error",
                code,
                join(path, tag),
                message,
                ref=Reference("PS3.5", "sect_6.2", ""),
                tag=tag,
            )
        if vm_problem is not None:
            self.add(
                "error",
                vm_problem[0],
                join(path, tag),
                vm_problem[1],
                ref=Reference("PS3.6", "", self.edition),
                tag=tag,
            )

    def _private_and_un(
        self, node: Node, path: str, tag: int, el: Element, creators: set[int] | None
    ) -> set[int] | None:
        """The findings of a tag that is not :attr:`_TagPlan.simple`, before its value: a
        private element number or creator, VR UN for a standard attribute; returns the
        private creators of ``node`` once gathered."""
        if tag & 0x10000 and tag & 0xFFFF:  # a private element (an odd group)
            elem = tag & 0xFFFF
            if elem < 0x0010 or 0x0100 <= elem < 0x1000:
                self.add(
                    "error",
                    "encoding",
                    join(path, tag),
                    "private element number "
                    f"{elem:04X} is not allowed (only 0010-00FF creators and 1000-FFFF "
                    "data)",
                    ref=Reference("PS3.5", "sect_7.8.1", ""),
                    tag=tag,
                )
            elif elem >= 0x1000:
                if creators is None:
                    creators = {t for t in node.elems if t >> 16 & 1 and 0x10 <= t & 0xFFFF <= 0xFF}
                if (tag & 0xFFFF0000) | (elem >> 8) not in creators:
                    self.add(
                        "error",
                        "encoding",
                        join(path, tag),
                        "private data element "
                        f"without its Private Creator ({tag >> 16:04X},00{elem >> 8:02X})",
                        ref=Reference("PS3.5", "sect_7.8.1", ""),
                        tag=tag,
                    )
        if el.written_vr == "UN" and not _private_or_length(tag) and el.vr != "UN":
            self.add(
                "warning",
                "vr",
                join(path, tag),
                f"VR UN for a standard attribute; read as {el.vr}, its VR in the "
                "dictionary (PS3.5 6.2.2: UN is for a VR the writer does not know)",
                ref=Reference("PS3.5", "sect_6.2.2", ""),
                tag=tag,
            )
        return creators

    def _dictionary_findings(self, path: str, tag: int, written: str | None) -> bool:
        """The findings of a tag that is not :attr:`_TagPlan.simple`, after its content
        checks: a written VR the dictionary does not allow (then False: the value is not
        checked against a VR it does not have), a retired attribute."""
        if _private_or_length(tag):
            return True
        e = entry(tag)
        if _vr_not_allowed(written, e.vr):
            self.add(
                "error",
                "vr",
                join(path, tag),
                f"VR {written}, the dictionary says {e.vr}",
                ref=Reference("PS3.6", "", self.edition),
                tag=tag,
            )
            return False
        if e.retired:
            self.add(
                "warning",
                "retired",
                join(path, tag),
                f"{e.name or tag_text(tag)} is retired",
                ref=Reference("PS3.6", "", self.edition),
                tag=tag,
            )
        return True


def _private_or_length(tag: int) -> bool:
    """A private element (an odd group) or a group length: no dictionary VR, VM or name."""
    return bool(tag & 0x10000) or not tag & 0xFFFF


def _vr_not_allowed(written: str | None, dictionary_vr: str) -> bool:
    """A VR as written that the dictionary's does not allow (UN is reported on its own)."""
    return bool(
        written
        and written != dictionary_vr  # most often equal: no call
        and written != "UN"
        and dictionary_vr
        and not vr_matches(written, dictionary_vr)
    )


class _TagPlan:
    """What :meth:`FileChecks.encoding` does with the elements of one tag read with one
    written VR and VR: ``simple`` when the tag itself calls for no finding (a standard
    attribute, not retired, whose written VR is the dictionary's; a Private Creator; a group
    length), else :meth:`FileChecks._private_and_un` and
    :meth:`FileChecks._dictionary_findings` say what it does; ``vm`` (the dictionary's, ""
    for private elements and group lengths) and the value check's verdicts for this VR and VM
    (``memo``) serve both."""

    __slots__ = ("written", "vr", "simple", "vm", "memo")

    def __init__(self, written: str | None, vr: str, simple: bool, vm: str) -> None:
        self.written = written
        self.vr = vr
        self.simple = simple
        self.vm = vm
        self.memo = verdicts_for(vr, vm)


# tag → its plan, for elements read with the dictionary's VR (implicit VR) and with a VR as
# written: each kind of file finds its own plans, whichever kind came before
_PLANS: dict[int, _TagPlan] = {}
_EXPLICIT_PLANS: dict[int, _TagPlan] = {}


def _tag_plan(tag: int, written: str | None, vr: str) -> _TagPlan:
    """The plan of a tag with these VRs (remembered by tag: a tag is nearly always read with
    the same VRs): which of the tests of :meth:`FileChecks._private_and_un` and
    :meth:`FileChecks._dictionary_findings` can find something, from neither the value nor the
    dataset."""
    if _private_or_length(tag):  # neither VR nor VM checked
        elem = tag & 0xFFFF
        simple = not elem or 0x0010 <= elem <= 0x00FF  # a creator (data: its creator's check)
        plan = _TagPlan(written, vr, simple, "")
    else:
        e = entry(tag)
        unknown_un = written == "UN" and vr != "UN"
        simple = not (unknown_un or _vr_not_allowed(written, e.vr) or e.retired)
        plan = _TagPlan(written, vr, simple, e.vm)
    plans = _PLANS if written is None else _EXPLICIT_PLANS
    if len(plans) >= 65536:  # private tags are not a bounded set
        plans.clear()
    plans[tag] = plan
    return plan


def meta_uid_of(meta: dict[int, Element]) -> str:
    """The Media Storage SOP Class UID of File Meta elements ("" when absent or empty)."""
    el = meta.get(0x00020002)
    return el.strings()[0] if el is not None and el.strings() else ""

"""Predicates that need more than the values they name: the IOD's own rules, PS3.16 Annex L
(paired body parts), PS3.16 Table 8-1 (coding schemes), the character sets a dataset uses, the
patient's species, the attributes a tag pointer designates.

What the dataset cannot tell is asked of the engine through ``Context.facts``
(:class:`~iodkit.rulemodel.datasets.Facts`); without it these predicates cannot decide. A
predicate whose undecided verdict the dataset's author could settle by recording something
says what in ``needs``; one whose verdict the standard's tables leave open says why in
``because`` (both read by :class:`~iodkit.rulemodel.conditions.Explanation`).
"""

from __future__ import annotations

import re
from typing import Any

from .datasets import (
    CHARSET_VRS,
    CODE_VALUE_TAGS,
    CODING_SCHEME_DESIGNATOR,
    SPECIFIC_CHARACTER_SET,
    Context,
    IndexedDataset,
    Verdict,
    any3,
    fg_index,
    first_text,
    get_element,
    items_of,
    lookup,
    values_of,
)
from .predicates import as_tag
from .values import FrozenValue, Ref, set_field, tag_str


class IodRequires(FrozenValue):
    """Reads "image requires X (gggg,eeee) and Y (gggg,eeee)": the IOD's own rules require each
    of ``tags`` in this dataset (a mandatory module, or a module or functional group macro whose
    condition holds, lists it as Type 1 or 2, or as 1C/2C with its condition met). Asked of the
    engine (``Context.facts``); cannot decide without it."""

    __slots__ = ("tags",)
    tags: tuple[int, ...]

    def __init__(self, tags: tuple[int, ...]) -> None:
        set_field(self, "tags", tags)

    def eval(self, ctx: Context) -> Verdict:
        if ctx.facts is None:
            return None
        return ctx.facts.iod_requires(self.tags, ctx)

    def to_data(self) -> Any:
        return {"iod_requires": [tag_str(t) for t in self.tags]}


_BODY_PART_EXAMINED = 0x00180015
_ANATOMIC_REGION_SEQUENCE = 0x00082218
_CODE_MEANING = 0x00080104


class PairedBodyPart(FrozenValue):
    """Reads "the body part examined is a paired structure" (General Series, Laterality).

    PS3.16 Annex L says which body parts are paired: Table L-5 by anatomic code, Tables L-1 to
    L-3 give the Body Part Examined Defined Term of each code. The coded Anatomic Region
    Sequence (0008,2218) speaks first; else Body Part Examined (0018,0015). Neither recorded,
    or not in the tables: cannot decide (the dataset does not say what was examined).
    """

    __slots__ = ()

    def eval(self, ctx: Context) -> Verdict:
        facts = ctx.facts
        if facts is None:
            return None
        verdicts: set[Verdict] = set()
        for elem in lookup(Ref((_ANATOMIC_REGION_SEQUENCE,)), ctx):
            for item in items_of(elem):
                scheme = first_text(item, CODING_SCHEME_DESIGNATOR)
                meaning = first_text(item, _CODE_MEANING)
                for t in CODE_VALUE_TAGS:
                    for v in values_of(get_element(item, t)):
                        verdicts.add(facts.code_paired(str(v), scheme, meaning))
        known = verdicts - {None}
        if len(known) == 1:
            return known.pop()
        if known:
            return None  # the items disagree
        for elem in lookup(Ref((_BODY_PART_EXAMINED,)), ctx):
            for term in values_of(elem):
                verdicts.add(facts.body_part_paired(str(term)))
        known = verdicts - {None}
        return known.pop() if len(known) == 1 else None

    def to_data(self) -> Any:
        return "paired_body_part"

    #: what the dataset lacks when this cannot decide (see :meth:`Explanation.wanting`)
    needs = (
        "whether the body part examined is a paired structure: record it in Body Part "
        "Examined (0018,0015) or Anatomic Region Sequence (0008,2218) (PS3.16 Annex L)"
    )


class InAnnexL(FrozenValue):
    """Reads "Body Part Examined (0018,0015) is present and contains a value defined in Annex L
    "Correspondence of Anatomic Region Codes and Body Part Examined Defined Terms" in PS3.16"
    (the Frame Anatomy functional group of the Legacy Converted Enhanced IODs): a value of
    ``ref`` is one of the Body Part Examined Defined Terms of PS3.16 Tables L-1 to L-3, asked
    of the engine (which holds them with their pairedness); absent → false; cannot decide
    without the engine."""

    __slots__ = ("ref",)
    ref: Ref

    def __init__(self, ref: Ref) -> None:
        set_field(self, "ref", ref)

    def eval(self, ctx: Context) -> Verdict:
        terms = [str(v) for e in lookup(self.ref, ctx) for v in values_of(e) if str(v).strip()]
        if not terms:
            return False
        facts = ctx.facts
        if facts is None:
            return None
        return any(facts.body_part_paired(t) is not None for t in terms)

    def to_data(self) -> Any:
        return {"annex_l": self.ref.to_data()}


class DesignatorSufficient(FrozenValue):
    """Reads "the value of Coding Scheme Designator (0008,0102) is sufficient to identify the
    Code Value (0008,0100) or Long Code Value (0008,0119) unambiguously" (Code Sequence Macro,
    Coding Scheme Version (0008,0103); the parser writes the standard's "is present and is not
    sufficient …" as ``And(Present(CSD), Not(DesignatorSufficient()))``).

    Read from the item in hand and asked of the engine (PS3.16 Table 8-1, through
    ``Context.facts``): a designator the table lists names its scheme "as a whole as currently
    published by the responsible organization" (PS3.3 Section 8.2), so it suffices (True),
    unless its entry requires the version (BI-RADS: False). Of any other designator (private
    "99…", local "L", HL7's registry) the standard says nothing: cannot decide; likewise
    without a designator or without the engine. No ``needs``: what a private scheme requires
    is not something the dataset's author fixes by adding an attribute.
    """

    __slots__ = ()

    def eval(self, ctx: Context) -> Verdict:
        facts = ctx.facts
        if facts is None:
            return None
        elem = get_element(ctx.current, CODING_SCHEME_DESIGNATOR)
        designators = {str(v) for v in values_of(elem)} if elem is not None else set()
        verdicts = {facts.designator_sufficient(d) for d in designators if d}
        return verdicts.pop() if len(verdicts) == 1 else None

    def to_data(self) -> Any:
        return "designator_sufficient"

    #: why it cannot decide, for the validator's note (see :meth:`Explanation.undecided_because`)
    because = (
        "the Coding Scheme Designator is not one PS3.16 Table 8-1 defines, so the standard "
        "does not say whether it identifies the code without a Coding Scheme Version"
    )


class ExtendedCharacters(FrozenValue):
    """Reads "an expanded or replacement character set is used" (SOP Common, Specific Character
    Set), also "… in one of the Keys" and "Attributes within the Sequence Item use …".

    Decided from the dataset at the attribute's own level (the current item, with its nested
    items): true when Specific Character Set (0008,0005) there declares a character set (a
    declared set is the one in use, PS3.5 6.1.2.5), or when a value of a VR that the character
    set governs (SH, LO, ST, LT, UT, PN, UC; PS3.5 6.1.2.3) holds a byte outside the default
    repertoire (ISO-IR 6: 7-bit, and no ESC, which only code extensions use); false otherwise.
    """

    __slots__ = ()

    def eval(self, ctx: Context) -> Verdict:
        ds = ctx.current
        key = ("extended-characters", id(ds))
        hit = ctx.cache.get(key, _MISSING)
        if hit is _MISSING:
            if _declares_charset(ds):
                hit = True
            elif not _non_default_text(ds, 0):
                hit = False
            elif any(_declares_charset(outer) for outer in ctx.stack[:-1]):
                # an item's text in the set its dataset declares: whether the item must say
                # it again is not this sentence's to tell
                hit = None
            else:
                hit = True
            ctx.cache[key] = hit
        return hit  # type: ignore[no-any-return]

    def to_data(self) -> Any:
        return "extended_characters"


_MISSING = object()


def _declares_charset(ds: Any) -> bool:
    elem = get_element(ds, SPECIFIC_CHARACTER_SET)
    return elem is not None and any(
        str(v).strip(" \x00") not in ("", "ISO_IR 6") for v in values_of(elem)
    )


def _non_default_text(ds: Any, depth: int) -> bool:
    """Any text value outside ISO-IR 6 in ``ds`` or its items (items with their own Specific
    Character Set excepted: their text is theirs to declare). Read from the values as decoded
    (the reader keeps the bytes it cannot decode as Latin-1, so they stay non-ASCII)."""
    if depth > 16:
        return False
    if isinstance(ds, IndexedDataset):
        return _non_default_bytes(ds, depth)
    try:
        elems = list(ds)
    except Exception:
        return False
    for el in elems:
        vr = getattr(el, "VR", None)
        if vr == "SQ":
            for item in items_of(el):
                if get_element(item, SPECIFIC_CHARACTER_SET) is None and _non_default_text(
                    item, depth + 1
                ):
                    return True
        elif vr in CHARSET_VRS:
            # the bytes as read when there are any (no decoding: a character outside ISO-IR 6
            # is a byte over 0x7F in every character set DICOM uses, or an ESC)
            encoded = getattr(el, "encoded", None)
            if encoded is not None:
                if not encoded.isascii() or b"\x1b" in encoded:
                    return True
                continue
            for v in values_of(el):
                text = str(v)
                if not text.isascii() or "\x1b" in text:
                    return True
    return False


def _non_default_bytes(ds: IndexedDataset, depth: int) -> bool:
    """:func:`_non_default_text` on the validator's own tree: its elements' bytes as read (a
    character outside ISO-IR 6 is a byte over 0x7F in every character set DICOM uses, or an
    ESC), values made in memory decoded as above. The reader notes it as it reads
    (``extended_text``); the walk is for trees it did not read."""
    known = ds.extended_text
    if known is not None:
        return known
    for el in ds.elems.values():
        items = getattr(el, "items", None)
        if items is not None:
            for item in items:
                if SPECIFIC_CHARACTER_SET not in item.elems and _non_default_text(item, depth + 1):
                    return True
        elif getattr(el, "VR", None) in CHARSET_VRS:
            encoded = getattr(el, "encoded", None)
            if encoded is not None:
                if not encoded.isascii() or b"\x1b" in encoded:
                    return True
            else:
                for v in values_of(el):
                    text = str(v)
                    if not text.isascii() or "\x1b" in text:
                        return True
    return False


_PATIENT_SPECIES_DESCRIPTION = 0x00102201
_PATIENT_SPECIES_CODE_SEQUENCE = 0x00102202
_HOMO_SAPIENS = (("337915000", "SCT"), ("L-85B00", "SRT"))  # CID 7454's human, old and new


class NonHumanPatient(FrozenValue):
    """Reads "the Patient is a non-human organism" (Patient Module and the attributes of
    veterinary imaging that depend on it: breed, responsible person, neutering …).

    A dataset records a non-human patient by its species: Patient Species Description
    (0010,2201) or Patient Species Code Sequence (0010,2202), Type 1C "Required if the Patient
    is a non-human organism" (PS3.3 Table C.7-1). So: a species other than Homo sapiens → true;
    no species recorded, or Homo sapiens → false (were the patient an animal, the missing
    species would itself be the error, and no dataset could show it).
    """

    __slots__ = ()

    def eval(self, ctx: Context) -> Verdict:
        codes = lookup(Ref((_PATIENT_SPECIES_CODE_SEQUENCE,), "root"), ctx)
        descriptions = lookup(Ref((_PATIENT_SPECIES_DESCRIPTION,), "root"), ctx)
        species = [
            (first_text(item, t), first_text(item, CODING_SCHEME_DESIGNATOR))
            for elem in codes
            for item in items_of(elem)
            for t in CODE_VALUE_TAGS
            if get_element(item, t) is not None
        ]
        if species:
            return not all(code in _HOMO_SAPIENS for code in species)
        words = [str(v).strip().lower() for e in descriptions for v in values_of(e)]
        words = [w for w in words if w]
        if words:
            return not all(w in ("homo sapiens", "human") for w in words)
        return False

    def to_data(self) -> Any:
        return "non_human_patient"


class PointsInto(FrozenValue):
    """Reads "X value is the Data Element Tag of a Private Attribute" (``private``: an AT value
    whose group number is odd, PS3.5 7.8) and "the value of X is the Data Element Tag of an
    Attribute that is contained within a Functional Group Sequence" (``functional-group``: the
    tag is one a functional group macro of the IOD defines, asked of the engine; without it,
    found in this dataset's functional groups, else cannot decide)."""

    __slots__ = ("ref", "where")
    ref: Ref
    where: str

    def __init__(self, ref: Ref, where: str) -> None:
        set_field(self, "ref", ref)
        set_field(self, "where", where)

    def eval(self, ctx: Context) -> Verdict:
        tags = [
            t for elem in lookup(self.ref, ctx) for v in values_of(elem)
            if (t := as_tag(v)) is not None
        ]  # fmt: skip
        if self.where == "private":
            return any(t >> 16 & 1 for t in tags)
        if self.where == "functional-group":
            defined = getattr(ctx.facts, "in_functional_group", None)
            if defined is not None:  # the IOD's macros say it (the engine knows them)
                verdicts = [defined(t) for t in tags]
                return any3(verdicts) if verdicts else False
            shared, frames = fg_index(ctx)  # without the engine: what this dataset has
            return True if any(t in shared or t in frames for t in tags) else None
        return None

    def to_data(self) -> Any:
        return {"points_into": self.ref.to_data(), "where": self.where}


class Transferred(FrozenValue):
    """Reads "the IOD is being transferred in a STOW-RS Request" (``how`` = "stow-rs") and
    "[the IOD] is encoded as metadata and compressed bulk pixel data" ("metadata"): the Image
    Pixel Module's condition on its pixel description (PS3.3 Table C.7-11a). A fact of the
    transfer, not of the dataset: asked of the engine, which has it from the validation
    context the caller gave (a stored instance unless told otherwise); cannot decide
    without the engine."""

    __slots__ = ("how",)
    how: str

    def __init__(self, how: str) -> None:
        set_field(self, "how", how)

    def eval(self, ctx: Context) -> Verdict:
        ask = getattr(ctx.facts, "transferred", None)
        return None if ask is None else ask(self.how)  # type: ignore[no-any-return]

    def to_data(self) -> Any:
        return {"transferred": self.how}


_CONTENT_SEQUENCE = 0x0040A730
_REFERENCED_SOP_SEQUENCE = 0x00081199
_PERTINENT_OTHER_EVIDENCE = 0x0040A385
_REFERENCED_SERIES_SEQUENCE = 0x00081115
_REFERENCED_SOP_INSTANCE_UID = 0x00081155


def _uid(item: Any) -> str:
    el = get_element(item, _REFERENCED_SOP_INSTANCE_UID)
    value = getattr(el, "value", None) if el is not None else None
    return str(value).strip(" \x00") if value else ""


def _pertinent_other_evidence(root: Any) -> set[str]:
    """The SOP Instance UIDs the Pertinent Other Evidence Sequence lists (Table 10-4:
    study, then Referenced Series Sequence, then Referenced SOP Sequence items)."""
    out: set[str] = set()
    for study in items_of(get_element(root, _PERTINENT_OTHER_EVIDENCE)):
        for series in items_of(get_element(study, _REFERENCED_SERIES_SEQUENCE)):
            for ref in items_of(get_element(series, _REFERENCED_SOP_SEQUENCE)):
                uid = _uid(ref)
                if uid:
                    out.add(uid)
    return out


class ContentTreeReferences(FrozenValue):
    """Reads "Instances are referenced in the Content Tree" (SR Document General Module,
    Current Requested Procedure Evidence Sequence): some content item of the document's
    Content Sequence, at any depth, references an Instance (Referenced SOP Sequence (0008,1199),
    how IMAGE, COMPOSITE and WAVEFORM items do, PS3.3 Table C.18.3-1) that the Pertinent Other
    Evidence Sequence (0040,A385) does not list.

    The words abbreviate Section C.17.2.3: the sequence lists "at minimum the set of Composite
    SOP Instances *from the current Requested Procedure(s)* that are referenced in the Content
    Tree"; evidence from other procedures goes in Pertinent Other Evidence, and "the same SOP
    Instance shall not be referenced in both". An instance listed there is therefore not
    current evidence; one listed in neither must be listed somewhere, and only the Current
    Requested Procedure Evidence is left. Read from the dataset alone."""

    __slots__ = ()

    def eval(self, ctx: Context) -> Verdict:
        other: set[str] | None = None
        stack = [(ctx.root, 0)]
        while stack:
            ds, depth = stack.pop()
            for item in items_of(get_element(ds, _CONTENT_SEQUENCE)):
                refs = get_element(item, _REFERENCED_SOP_SEQUENCE)
                if refs is not None:
                    if other is None:
                        other = _pertinent_other_evidence(ctx.root)
                    for ref in items_of(refs):
                        uid = _uid(ref)
                        if not uid or uid not in other:
                            return True
                if depth < 64:
                    stack.append((item, depth + 1))
        return False

    def to_data(self) -> Any:
        return "content_tree_references"


_LONG_CODE_VALUE = 0x00080119
_URN_CODE_VALUE = 0x00080120
_CODE_VALUE = 0x00080100
_URN = re.compile(r"(?i)^(?:urn|https?|ftp):")


class CodeValueForm(FrozenValue):
    """Reads the Code Sequence Macro's rules for where a code's value goes (PS3.3 Table
    8.8-1a): Code Value (0008,0100) "if the code value length is 16 characters or less, and the
    code value is not a URN or URL" (``form`` "short"), Long Code Value (0008,0119) when longer
    and not a URN or URL ("long"), URN Code Value (0008,0120) when it is one ("urn").

    The code's value is whichever of the three the item holds. An item holding none has a code
    without a value: the standard's default place, Code Value, is then the one required
    ("short" true, the others false) — so a code item with no value at all is an error, once.
    """

    __slots__ = ("form",)
    form: str

    def __init__(self, form: str) -> None:
        set_field(self, "form", form)

    def eval(self, ctx: Context) -> Verdict:
        value = None
        for tag in (_URN_CODE_VALUE, _LONG_CODE_VALUE, _CODE_VALUE):
            got = first_text(ctx.current, tag)
            if got:
                value = got
                break
        if value is None:
            return self.form == "short"
        if _URN.match(value):
            return self.form == "urn"
        if self.form == "short":
            return len(value) <= 16
        return self.form == "long" and len(value) > 16

    def to_data(self) -> Any:
        return {"code_value_form": self.form}


class PerFrameGroupsNeeded(FrozenValue):
    """Reads "for any frame, there are Per-Frame Functional Groups that are not empty" (the
    Multi-frame Functional Groups Module's Per-Frame Functional Groups Sequence): some frame's
    item holds a functional group, or the IOD makes a functional group macro mandatory that
    "Shall not be used as a Shared Functional Group" (Frame Content), so every frame holds it.
    Asked of the engine, which knows the IOD's macros; without it, read from the dataset."""

    __slots__ = ()

    def eval(self, ctx: Context) -> Verdict:
        ask = getattr(ctx.facts, "per_frame_groups_needed", None)
        if ask is not None:
            return ask(ctx)  # type: ignore[no-any-return]
        shared, frames = fg_index(ctx)
        return True if frames else None

    def to_data(self) -> Any:
        return "per_frame_groups_needed"

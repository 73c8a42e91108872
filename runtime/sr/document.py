"""SR documents: a content tree and its evidence written as an Enhanced SR, Comprehensive SR,
Comprehensive 3D SR or Key Object Selection instance (PS3.3 A.35.2, A.35.3, A.35.13, A.35.4).

The document's patient, study, equipment and SOP Common modules come from the derived-object
core (:mod:`iodkit.derived`), its series and SR modules from the generated builders; the
content tree is encoded by :mod:`iodkit.sr.encode` and handed to pydicom as one raw element.

Before encoding, the tree is checked as a whole (the parts were checked as they were built):

* the value types the chosen IOD allows (Enumerated Values of A.35.x.3.1.1: no SCOORD3D in
  Enhanced and Comprehensive SR), and by-reference relationships only where it allows them
  (A.35.2.3.1.2: none in Enhanced SR);
* by-reference items point at an item of the tree that is not their own ancestor, and the
  references form no cycle (C.17.3.2.5);
* every instance an IMAGE, COMPOSITE or WAVEFORM item references is among the evidence, so
  the evidence sequences (C.17.2.3; Hierarchical SOP Instance Reference Macro, Table 10-4)
  can name its study and series: instances of the document's study go into Current Requested
  Procedure Evidence Sequence, those of other studies into Pertinent Other Evidence Sequence.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO

from iodkit.codes import Code, CodeLike
from iodkit.derived import (
    DerivedObjectError,
    Equipment,
    Identification,
    InstanceReference,
    common_modules,
    hierarchical_items,
)
from iodkit.derived.charset import cover_text
from iodkit.derived.itemcodec import raw_sequence_element
from iodkit.sr.content import ContentError, ContentItem, Reference
from iodkit.sr.encode import Encoder
from iodkit.sr.template import TemplateNode
from pydicom.dataset import Dataset

__all__ = ["SOP_CLASSES", "DocumentError", "SRDocumentWriter", "resolve_references"]


class DocumentError(ContentError):
    """A content tree cannot be written as the document asked for."""


@dataclass(frozen=True)
class _Kind:
    name: str
    uid: str
    iod: str  # generated IOD class name
    section: str
    value_types: frozenset[str]
    by_reference: bool


_COMMON = frozenset(
    "TEXT CODE NUM DATETIME DATE TIME UIDREF PNAME SCOORD TCOORD COMPOSITE IMAGE WAVEFORM "
    "CONTAINER".split()
)
#: The SR IODs iodkit writes, with their content constraints (PS3.3 A.35.x.3.1).
SOP_CLASSES = {
    "enhanced": _Kind(
        "Enhanced SR",
        "1.2.840.10008.5.1.4.1.1.88.22",
        "EnhancedSRIOD",
        "PS3.3 A.35.2.3.1",
        _COMMON,
        False,
    ),
    "comprehensive": _Kind(
        "Comprehensive SR",
        "1.2.840.10008.5.1.4.1.1.88.33",
        "ComprehensiveSRIOD",
        "PS3.3 A.35.3.3.1",
        _COMMON,
        True,
    ),
    "comprehensive3d": _Kind(
        "Comprehensive 3D SR",
        "1.2.840.10008.5.1.4.1.1.88.34",
        "Comprehensive3DSRIOD",
        "PS3.3 A.35.13.3.1",
        _COMMON | {"SCOORD3D"},
        True,
    ),
    "kos": _Kind(
        "Key Object Selection Document",
        "1.2.840.10008.5.1.4.1.1.88.59",
        "KeyObjectSelectionDocumentIOD",
        "PS3.3 A.35.4.3.1",
        frozenset("CONTAINER TEXT CODE UIDREF PNAME IMAGE COMPOSITE WAVEFORM".split()),
        False,
    ),
}


def _where(path: tuple[int, ...]) -> str:
    return "content item " + ".".join(str(p) for p in path)


def resolve_references(root: ContentItem) -> None:
    """Give every by-reference item whose target is an object (a :class:`ContentItem` or a
    template builder placed elsewhere in the tree, in :attr:`ContentItem.value`) the path of
    that target; then check every by-reference path: it exists, is not the item's ancestor,
    and the references make no cycle (PS3.3 C.17.3.2.5). Raises :class:`DocumentError`."""
    paths: dict[int, tuple[int, ...]] = {}
    items: dict[tuple[int, ...], ContentItem] = {}
    for path, item in root.walk():
        paths[id(item)] = path
        items[path] = item
    edges: dict[tuple[int, ...], list[tuple[int, ...]]] = {}
    for path, item in items.items():
        if item.value_type is not None:
            continue
        target = item.value
        if item.reference is None:
            nodes = target.content() if hasattr(target, "content") else [target]
            if len(nodes) != 1 or id(nodes[0]) not in paths:
                raise DocumentError(
                    f"{_where(path)} ({item.relationship}, by reference) points at "
                    f"{type(target).__name__} that is not in the document's tree; add it "
                    "by value elsewhere first"
                )
            item.reference = paths[id(nodes[0])]
            item.value = None
        ref = tuple(item.reference)
        if ref not in items:
            raise DocumentError(
                f"{_where(path)}: Referenced Content Item Identifier {'.'.join(map(str, ref))} "
                "names no item of the tree"
            )
        if path[: len(ref)] == ref:
            raise DocumentError(
                f"{_where(path)} references its own ancestor {'.'.join(map(str, ref))}: a cycle "
                "(PS3.3 C.17.3.2.5)"
            )
        edges.setdefault(path[:-1], []).append(ref)
    _check_acyclic(edges)


def _check_acyclic(edges: dict[tuple[int, ...], list[tuple[int, ...]]]) -> None:
    """No chain of by-reference relationships (an item's subtree → referenced item's
    subtree …) comes back to where it started."""
    state: dict[tuple[int, ...], int] = {}

    def targets(source: tuple[int, ...]) -> list[tuple[int, ...]]:
        return [t for s, ts in edges.items() if s[: len(source)] == source for t in ts]

    def visit(node: tuple[int, ...], trail: list[tuple[int, ...]]) -> None:
        state[node] = 1
        for target in targets(node):
            if state.get(target) == 1:
                loop = " → ".join(".".join(map(str, p)) for p in [*trail, node, target])
                raise DocumentError(f"by-reference items form a cycle: {loop} (PS3.3 C.17.3.2.5)")
            if state.get(target) is None:
                visit(target, [*trail, node])
        state[node] = 2

    for source in list(edges):
        if source not in state:
            visit(source, [])


@dataclass
class Survey:
    """What one pass over a tree finds: its value types, whether it has by-reference items,
    and the composite objects it references (with the items that reference them)."""

    value_types: set[str]
    by_reference: bool
    references: list[tuple[ContentItem, Reference]]


def survey(root: ContentItem) -> Survey:
    """One pass over the tree (no paths built: they are looked up only for an error)."""
    value_types: set[str] = set()
    by_reference = False
    references: list[tuple[ContentItem, Reference]] = []
    stack = [root]
    while stack:
        item = stack.pop()
        vt = item.value_type
        if vt is None:
            by_reference = True
        else:
            value_types.add(vt)
            if vt in ("IMAGE", "COMPOSITE", "WAVEFORM") and item.value is not None:
                ref: Reference = item.value
                references.append((item, ref))
                for extra in (ref.presentation_state, ref.real_world_value_mapping):
                    if extra is not None:
                        references.append((item, extra))
        stack.extend(item.children)
    return Survey(value_types, by_reference, references)


def path_of(root: ContentItem, target: ContentItem) -> tuple[int, ...]:
    return next(path for path, item in root.walk() if item is target)


def _check_kind(root: ContentItem, kind: _Kind, found: Survey) -> None:
    if found.by_reference and not kind.by_reference:
        item = next(i for _, i in root.walk() if i.value_type is None)
        raise DocumentError(
            f"{_where(path_of(root, item))} is by reference, which the {kind.name} IOD forbids "
            f"({kind.section}); write a Comprehensive SR"
        )
    extra = found.value_types - kind.value_types
    if extra:
        item = next(i for _, i in root.walk() if i.value_type in extra)
        raise DocumentError(
            f"{_where(path_of(root, item))} is a {item.value_type} item, which the {kind.name} "
            f"IOD does not allow ({kind.section})"
            + ("; write a Comprehensive 3D SR" if item.value_type == "SCOORD3D" else "")
        )


def pick_kind(root: ContentItem, kind: str | None, found: Survey | None = None) -> _Kind:
    """The SOP class asked for, or the first that can hold the tree: Comprehensive SR, or
    Comprehensive 3D SR when it holds SCOORD3D items."""
    if kind is not None:
        if kind not in SOP_CLASSES:
            raise DocumentError(
                f"sop_class {kind!r} is not one of {', '.join(sorted(SOP_CLASSES))}"
            )
        return SOP_CLASSES[kind]
    found = found or survey(root)
    return SOP_CLASSES["comprehensive3d" if "SCOORD3D" in found.value_types else "comprehensive"]


def identification_from(options: dict[str, Any]) -> Identification:
    """The document's series and instance identification from the writer options a report
    or KOS is saved with (``series_number`` default 1, ``instance_number``,
    ``series_instance_uid``, ``sop_instance_uid``, ``series_description``), taken out of
    ``options`` so that the rest go to :class:`SRDocumentWriter`."""
    return Identification.of(
        series_number=options.pop("series_number", 1),
        instance_number=options.pop("instance_number", 1),
        series_instance_uid=options.pop("series_instance_uid", None),
        sop_instance_uid=options.pop("sop_instance_uid", None),
        series_description=options.pop("series_description", None),
    )


class SRDocumentWriter:
    """Writes one SR document: ``root`` (the root CONTAINER, its concept name the document
    title — a :class:`~iodkit.sr.content.ContentItem`, or the generated builder of a root
    template, e.g. ``iodkit.templates.tid1500.MeasurementReport(…)``) and the ``evidence``
    (pydicom Datasets — metadata suffices — or :class:`~iodkit.derived.InstanceReference` s;
    the first joins the document to its patient and study and must be a Dataset).

    ``sop_class``: "enhanced", "comprehensive", "comprehensive3d" or "kos" (default: the
    first of Comprehensive SR / Comprehensive 3D SR that can hold the tree). Completion and
    verification (C.17.2): ``complete``, ``final`` (Preliminary Flag), and ``verified`` with
    ``verifying_observer`` and ``verifying_organization``.
    """

    def __init__(
        self,
        root: ContentItem | TemplateNode,
        evidence: Sequence[Dataset | InstanceReference] | Dataset,
        *,
        sop_class: str | None = None,
        identification: Identification | None = None,
        equipment: Equipment | None = None,
        complete: bool = True,
        final: bool = False,
        verified: bool = False,
        verifying_observer: str | None = None,
        verifying_organization: str | None = None,
        performed_procedures: Sequence[CodeLike] = (),
        record_all_evidence: bool = True,
    ) -> None:
        if isinstance(root, TemplateNode):  # a builder: the content items it makes
            made = root.content()
            if len(made) != 1:
                raise DocumentError(
                    f"root: {type(root).__qualname__} makes {len(made)} top content items; a "
                    "document has one root CONTAINER (build a root template, e.g. TID 1500)"
                )
            root = made[0]
        if not isinstance(root, ContentItem):
            raise DocumentError(
                "root: give the root CONTAINER as a ContentItem or the builder of a root "
                f"template (iodkit.templates.tid1500.MeasurementReport(…)), not "
                f"{type(root).__name__}"
            )
        if root.value_type != "CONTAINER" or root.name is None:
            raise DocumentError("the root of a document is a CONTAINER named by the title")
        self.root = root
        self._survey = survey(root)
        self.kind = pick_kind(root, sop_class, self._survey)
        items = [evidence] if isinstance(evidence, Dataset) else list(evidence)
        if not items or not isinstance(items[0], Dataset):
            raise DocumentError(
                "evidence: give at least one pydicom Dataset first (the document joins its "
                "patient and study)"
            )
        self.source: Dataset = items[0]
        self.evidence = [_reference(e, i) for i, e in enumerate(items)]
        self.identification = identification or Identification()
        self.equipment = equipment or Equipment()
        if verified and not (verifying_observer and verifying_organization):
            raise DocumentError(
                "verified=True needs verifying_observer and verifying_organization "
                "(Verifying Observer Sequence, PS3.3 C.17.2)"
            )
        self.complete, self.final, self.verified = complete, final, verified
        self.verifying_observer = verifying_observer
        self.verifying_organization = verifying_organization
        self.performed_procedures = list(performed_procedures)
        self.record_all_evidence = record_all_evidence
        if self._survey.by_reference:
            resolve_references(root)
        _check_kind(root, self.kind, self._survey)
        self._evidence_items = self._collect_evidence()

    def _collect_evidence(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        known = {r.sop_instance_uid: r for r in self.evidence}
        used: dict[str, InstanceReference] = {}
        for item, ref in self._survey.references:
            found = known.get(ref.sop_instance_uid)
            if found is None:
                where = _where(path_of(self.root, item))
                raise DocumentError(
                    f"{where} references SOP Instance {ref.sop_instance_uid}, which is not "
                    "among the evidence: give its dataset so the evidence sequences can name its "
                    "study and series (PS3.3 C.17.2.3)"
                )
            if found.sop_class_uid != ref.sop_class_uid:
                where = _where(path_of(self.root, item))
                raise DocumentError(
                    f"{where} references {ref.sop_instance_uid} as SOP Class "
                    f"{ref.sop_class_uid}, but the evidence says {found.sop_class_uid}"
                )
            used.setdefault(found.sop_instance_uid, found)
        kos = self.kind is SOP_CLASSES["kos"]  # KOS: exactly what it references (C.17.6.2)
        everything = self.record_all_evidence and not kos
        listed = list(known.values()) if everything else list(used.values())
        study = self.evidence[0].study_instance_uid
        current = [r for r in listed if r.study_instance_uid == study]
        other = [r for r in listed if r.study_instance_uid != study]
        return hierarchical_items(current), hierarchical_items(other)

    def to_dataset(self) -> Dataset:
        """The document as a pydicom Dataset with File Meta Information (Explicit VR LE)."""
        from iodkit.generated import iods
        from iodkit.generated import modules as m

        kind, ident = self.kind, self.identification
        iod_class = getattr(iods, kind.iod)
        modules = common_modules(
            iod_class, self.source, identification=ident, equipment=self.equipment
        )
        current, other = self._evidence_items
        root = self.root
        content_module = m.SRDocumentContentModule
        content = content_module(
            value_type="CONTAINER",
            concept_name_code_sequence=_items(
                content_module, "concept_name_code_sequence", [root.name]
            ),
            continuity_of_content=root.value,
            content_template_sequence=(
                _items(
                    content_module,
                    "content_template_sequence",
                    [{"mapping_resource": "DCMR", "template_identifier": root.template}],
                )
                if root.template
                else None
            ),
        )
        if kind.name.startswith("Key Object"):
            modules["key_object_document_series"] = m.KeyObjectDocumentSeriesModule(
                modality="KO",
                series_instance_uid=ident.series_instance_uid,
                series_number=ident.series_number,
                series_description=ident.series_description,
            )
            modules["key_object_document"] = m.KeyObjectDocumentModule(
                instance_number=ident.instance_number,
                content_date=ident.date,
                content_time=ident.time,
                current_requested_procedure_evidence_sequence=_items(
                    m.KeyObjectDocumentModule,
                    "current_requested_procedure_evidence_sequence",
                    current + other,
                ),
            )
        else:
            modules["sr_document_series"] = m.SRDocumentSeriesModule(
                modality="SR",
                series_instance_uid=ident.series_instance_uid,
                series_number=ident.series_number,
                series_description=ident.series_description,
            )
            general = m.SRDocumentGeneralModule
            modules["sr_document_general"] = general(
                instance_number=ident.instance_number,
                preliminary_flag="FINAL" if self.final else "PRELIMINARY",
                completion_flag="COMPLETE" if self.complete else "PARTIAL",
                verification_flag="VERIFIED" if self.verified else "UNVERIFIED",
                content_date=ident.date,
                content_time=ident.time,
                verifying_observer_sequence=(
                    _items(
                        general,
                        "verifying_observer_sequence",
                        [
                            {
                                "verifying_observer_name": self.verifying_observer,
                                "verifying_organization": self.verifying_organization,
                                "verification_date_time": ident.created,
                            }
                        ],
                    )
                    if self.verified
                    else None
                ),
                performed_procedure_code_sequence=_items(
                    general, "performed_procedure_code_sequence", self.performed_procedures
                ),
                current_requested_procedure_evidence_sequence=_items(
                    general, "current_requested_procedure_evidence_sequence", current
                )
                or None,
                pertinent_other_evidence_sequence=_items(
                    general, "pertinent_other_evidence_sequence", other
                )
                or None,
            )
        ds = iod_class(**modules, sr_document_content=content).to_dataset(file_meta=True)
        cover_text(ds)  # the document's own text outside the content tree (the core's rule)
        encoder = Encoder()
        if root.children:
            ds[0x0040A730] = raw_sequence_element(0x0040A730, encoder.items(root.children))
        if encoder.utf8 and ds.get("SpecificCharacterSet") not in ("ISO_IR 192",):
            _declare_utf8(ds)
        # the raw Content Sequence is Explicit VR Little Endian already: tell pydicom so, or it
        # decodes the whole tree into Datasets to look for ambiguous VRs before writing it
        ds.set_original_encoding(False, True, ds._character_set)
        return ds

    def save(self, target: str | os.PathLike[str] | BinaryIO) -> None:
        """Write the document (atomically when ``target`` is a path)."""
        from iodkit.derived import write_dataset

        write_dataset(self.to_dataset(), target)


def _items(module: Any, attribute: str, values: Sequence[Any]) -> list[Any]:
    """``values`` (codes, or dicts of attribute values) as items of the sequence ``attribute``
    of the generated ``module`` class, checked by its item builder as they are made."""
    cls = module.item_type(attribute)
    return [v.to_item(cls) if isinstance(v, Code) else cls(**v) for v in values]


def _declare_utf8(ds: Dataset) -> None:
    """The content needs more than ASCII: declare UTF-8 (ISO_IR 192, PS3.3 C.12.1.1.2). The
    patient's and study's text copied from the source is decoded by pydicom and written again
    in the declared character set."""
    ds.SpecificCharacterSet = "ISO_IR 192"


def _reference(item: Dataset | InstanceReference, index: int) -> InstanceReference:
    if isinstance(item, InstanceReference):
        return item
    if isinstance(item, Dataset):
        try:
            return InstanceReference.from_dataset(item, what=f"evidence {index}")
        except DerivedObjectError as exc:
            raise DocumentError(str(exc)) from None
    raise DocumentError(
        f"evidence {index} is a {type(item).__name__}; give pydicom Datasets or "
        "iodkit.derived.InstanceReference"
    )

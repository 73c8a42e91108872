"""Key Object Selection documents (PS3.3 A.35.4, PS3.16 TID 2010): "these images are of
interest", "rejected for quality reasons", "for teaching" — a titled list of instances.

    from iodkit.codes import cid7010
    from iodkit.sr import KeyObjectSelection

    KeyObjectSelection(flagged, title=cid7010.FOR_TEACHING,
                       description="nodules the model missed").save("ko.dcm")

The content is built by the generated TID 2010 builder (``iodkit.templates.tid2010``), so
its rows are checked as given (e.g. a "Rejected for Quality Reasons" title takes its reason
from CID 7011, row 3); the document by :class:`~iodkit.sr.document.SRDocumentWriter` as a Key
Object Selection Document whose evidence is exactly the instances selected (C.17.6.2.1).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any, BinaryIO

import iodkit.templates.tid2010 as tid2010
from iodkit.codes import CodeLike, cid7010
from iodkit.derived import Equipment
from iodkit.sr.content import ContentError, ContentItem, Reference, as_code, as_codes
from iodkit.sr.context import DeviceObserver, PersonObserver, language
from iodkit.sr.document import SRDocumentWriter, identification_from
from pydicom.dataset import Dataset

__all__ = ["KeyObjectSelection"]

_K = tid2010.KeyObjectSelection


def _value_type(ds: Dataset) -> str:
    """IMAGE for an image (it has Rows), WAVEFORM for a waveform, else COMPOSITE."""
    if "WaveformSequence" in ds:
        return "WAVEFORM"
    return "IMAGE" if "Rows" in ds else "COMPOSITE"


class KeyObjectSelection:
    """A TID 2010 Key Object Selection of ``selected`` instances (pydicom Datasets, metadata
    suffices): ``title`` from CID 7010 (default Of Interest), ``description`` (row 7),
    ``modifiers`` (Document Title Modifier, row 2), ``reason`` for a rejection (row 3, CID
    7011) or the best-in-set kind (row 4, CID 7012), ``observers`` (TID 1002)."""

    def __init__(
        self,
        selected: Sequence[Dataset],
        *,
        title: CodeLike = cid7010.OF_INTEREST,
        description: str | None = None,
        modifiers: Sequence[CodeLike] = (),
        reason: CodeLike | None = None,
        observers: Sequence[PersonObserver | DeviceObserver] = (),
        language_code: CodeLike | None = None,
        equipment: Equipment | None = None,
    ) -> None:
        self.selected = [selected] if isinstance(selected, Dataset) else list(selected)
        if not self.selected:
            raise ContentError("KeyObjectSelection.selected: at least one instance is needed")
        for i, ds in enumerate(self.selected):
            if not isinstance(ds, Dataset):
                raise ContentError(
                    f"KeyObjectSelection.selected[{i}]: a pydicom Dataset is needed (its study "
                    f"and series go into the evidence), got {type(ds).__name__}"
                )
        by_kind: dict[str, list[Reference]] = {}
        for ds in self.selected:
            by_kind.setdefault(_value_type(ds), []).append(Reference.to(ds))
        self.title = as_code(title, "KeyObjectSelection.title")
        rejected = self.title.value in ("113001", "113010")  # rows 3-4 read Row 1's name
        self.equipment = equipment or Equipment.of()
        self._builder = _K(
            concept_name=self.title,
            document_title_modifier=as_codes(modifiers, "KeyObjectSelection.modifiers") or None,
            document_title_modifier_row3=reason if rejected else None,
            document_title_modifier_row4=reason if not rejected and reason is not None else None,
            language_of_content_item_and_descendants=(
                language(language_code) if language_code is not None else None
            ),
            observer_context=[o.builder() for o in observers] or None,
            key_object_description=description,
            contains_image=by_kind.get("IMAGE"),
            contains_waveform=by_kind.get("WAVEFORM"),
            contains_composite=by_kind.get("COMPOSITE"),
        )

    @property
    def builder(self) -> Any:
        return self._builder

    def content(self) -> ContentItem:
        return self._builder.content()[0]  # type: ignore[no-any-return]

    def writer(self, **options: Any) -> SRDocumentWriter:
        ident = identification_from(options)
        return SRDocumentWriter(
            self.content(),
            self.selected,
            sop_class="kos",
            identification=ident,
            equipment=self.equipment,
            **options,
        )

    def to_dataset(self, **options: Any) -> Dataset:
        return self.writer(**options).to_dataset()

    def save(self, target: str | os.PathLike[str] | BinaryIO, **options: Any) -> None:
        self.writer(**options).save(target)

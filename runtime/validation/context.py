"""The validation context: how the dataset being validated reaches its recipient.

Some of the standard's conditions speak of the transfer rather than of the dataset. The Image
Pixel Module (PS3.3 C.7.6.3) includes its pixel description "if the IOD is not being
transferred in a STOW-RS Request and is not encoded as metadata and compressed bulk pixel
data": Rows, Columns, Bits Allocated … are then required. A file, or a dataset in memory, is a
stored instance unless the caller says otherwise, so that is the default; a DICOMweb client
checking the metadata of a STOW-RS request says so with ``transfer="stow-rs-metadata"``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias

Transfer: TypeAlias = Literal["stored", "stow-rs", "metadata", "stow-rs-metadata"]
TRANSFERS: tuple[Transfer, ...] = ("stored", "stow-rs", "metadata", "stow-rs-metadata")


@dataclass(frozen=True, slots=True)
class ValidationContext:
    """What the validator is told about the dataset beyond its content.

    ``transfer``:

    * ``"stored"`` — a stored SOP Instance (a file, a dataset in memory; the default);
    * ``"stow-rs"`` — an instance in a STOW-RS Request (PS3.18 10.5), encoded as DICOM;
    * ``"metadata"`` — the metadata of an instance (DICOM JSON or XML, PS3.18 F; WADO-RS
      metadata, say): bulk data elements may be given by reference (present, length
      unknown), and whether the bulk pixel data is compressed is not known here, so the
      Image Pixel description's condition cannot be decided;
    * ``"stow-rs-metadata"`` — in a STOW-RS Request as metadata whose bulk pixel data is
      compressed: the origin server derives the pixel description from the compressed bit
      stream (PS3.3 Table C.7-11a).

    ``templates``: whether an SR document's content tree is checked against its root template
    (:mod:`iodkit.validation.templates`).
    """

    transfer: Transfer = "stored"
    #: check SR content trees against their PS3.16 templates (``iodkit validate --no-templates``
    #: turns it off)
    templates: bool = True

    def __post_init__(self) -> None:
        if self.transfer not in TRANSFERS:
            raise ValueError(f"unknown transfer {self.transfer!r}: one of {', '.join(TRANSFERS)}")

    @property
    def metadata(self) -> bool:
        """Encoded as metadata: bulk data may be given by reference."""
        return self.transfer in ("metadata", "stow-rs-metadata")

    def transferred(self, how: str) -> bool | None:
        """Whether the dataset is "being transferred in a STOW-RS Request" (``how`` =
        "stow-rs") or "encoded as metadata and compressed bulk pixel data" ("metadata")."""
        if how == "stow-rs":
            return self.transfer in ("stow-rs", "stow-rs-metadata")
        if how == "metadata":
            if self.transfer == "metadata":
                return None  # whether the bulk pixel data is compressed is not known here
            return self.transfer == "stow-rs-metadata"
        return None


STORED = ValidationContext()

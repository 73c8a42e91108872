"""A derived object's Specific Character Set must cover its own text, not only its sources'.

Common modules copy the source's Specific Character Set (0008,0005) with the patient's name;
an object then adds text of its own — an annotation label, a presentation state's "liver
12 cm²" — that may hold characters the copied set (or the default repertoire, when there is
none) lacks. pydicom would then write bytes the file's character set does not define.
:func:`cover_text` checks every text value once the dataset is built and, when one does not
fit, declares ISO_IR 192 (UTF-8, PS3.5 6.1.2.3), which holds every character: the values are
Python strings, so pydicom encodes them all anew on writing.
"""

from __future__ import annotations

from typing import Any

from pydicom.charset import convert_encodings
from pydicom.dataset import Dataset

_TEXT_VRS = frozenset(("SH", "LO", "ST", "LT", "UT", "PN", "UC"))
UTF8 = "ISO_IR 192"


def _texts(ds: Dataset) -> Any:
    for element in ds:
        if element.VR == "SQ":
            for item in element.value:
                yield from _texts(item)
        elif element.VR in _TEXT_VRS and element.value is not None:
            values = element.value if element.VM > 1 else [element.value]
            for value in values:
                yield str(value)


def cover_text(ds: Dataset) -> None:
    """Declare UTF-8 (ISO_IR 192) when a text value does not fit the dataset's character set."""
    declared = ds.get("SpecificCharacterSet")
    terms = [] if not declared else [declared] if isinstance(declared, str) else list(declared)
    if UTF8 in terms:
        return
    codec = None  # the default repertoire (or ISO_IR 6 declared) is ASCII
    if len(terms) == 1 and terms[0] not in ("", "ISO_IR 6"):
        codec = convert_encodings(terms)[0]
    for text in _texts(ds):
        if text.isascii():
            continue
        try:
            if codec is None or len(terms) > 1:  # ISO 2022 code extensions: UTF-8 is plainer
                raise UnicodeEncodeError("ascii", text, 0, 1, "outside the declared set")
            text.encode(codec)
        except (UnicodeEncodeError, LookupError):
            ds.SpecificCharacterSet = UTF8
            return

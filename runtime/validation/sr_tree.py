"""An SR document's content tree as the template checker sees it (PS3.3 C.17.3).

Built from the validator's read tree (:class:`~iodkit.validation.tree.Node`), never from
pydicom, and tolerant: an item without a value type, a concept name that is not a code, a
by-reference item pointing nowhere are kept with what could be read, for the checker to report.
"""

from __future__ import annotations

from typing import Any

from iodkit.codes import Code

VALUE_TYPE = 0x0040A040
RELATIONSHIP_TYPE = 0x0040A010
CONCEPT_NAME_CODE_SEQUENCE = 0x0040A043
CONTENT_SEQUENCE = 0x0040A730
CONCEPT_CODE_SEQUENCE = 0x0040A168
MEASURED_VALUE_SEQUENCE = 0x0040A300
MEASUREMENT_UNITS_CODE_SEQUENCE = 0x004008EA
NUMERIC_VALUE = 0x0040A30A
GRAPHIC_TYPE = 0x00700023
TEXT_VALUE = 0x0040A160
REFERENCED_CONTENT_ITEM_IDENTIFIER = 0x0040DB73
CONTENT_TEMPLATE_SEQUENCE = 0x0040A504
MAPPING_RESOURCE = 0x00080105
TEMPLATE_IDENTIFIER = 0x0040DB00
CODE_VALUE = 0x00080100
CODING_SCHEME_DESIGNATOR = 0x00080102
CODE_MEANING = 0x00080104
LONG_CODE_VALUE = 0x00080119
URN_CODE_VALUE = 0x00080120
MAX_DEPTH = 40
_UNREAD = object()


def _text(node: Any, tag: int) -> str:
    el = node.get(tag)
    if el is None:
        return ""
    try:
        values = el.strings()
    except Exception:  # an undecodable value reads as absent; the encoding checks report it
        return ""
    return values[0].strip() if values else ""


def code_of(item: Any) -> Code | None:
    """The code of a Code Sequence Macro item (short, long or URN code value)."""
    value = _text(item, CODE_VALUE) or _text(item, LONG_CODE_VALUE) or _text(item, URN_CODE_VALUE)
    scheme = _text(item, CODING_SCHEME_DESIGNATOR)
    if not value and not scheme:
        return None
    return Code(value, scheme, _text(item, CODE_MEANING))


def first_code(node: Any, tag: int) -> Code | None:
    el = node.get(tag)
    if el is None or not el.items:
        return None
    return code_of(el.items[0])


class Item:
    """One content item (or the document root): what the templates constrain, and where."""

    __slots__ = (
        "node",
        "path",
        "value_type",
        "relationship",
        "concept",
        "children",
        "parent",
        "reference",
        "target",
        "_value",
        "_units",
    )

    def __init__(self, node: Any, path: str, parent: Item | None) -> None:
        self.node = node
        self.path = path
        self.parent = parent
        self.value_type = _text(node, VALUE_TYPE).upper()
        self.relationship = _text(node, RELATIONSHIP_TYPE).upper()
        self.concept = first_code(node, CONCEPT_NAME_CODE_SEQUENCE)
        self.children: list[Item] = []
        ref = node.get(REFERENCED_CONTENT_ITEM_IDENTIFIER)
        self.reference: tuple[int, ...] | None = None
        if ref is not None:
            try:
                self.reference = tuple(int(x) for x in ref.numbers())
            except (TypeError, ValueError):
                self.reference = ()
        self.target: Item | None = None  # the item a by-reference item points to
        self._value: Any = _UNREAD
        self._units: Any = _UNREAD

    @property
    def by_reference(self) -> bool:
        return self.reference is not None

    @property
    def where(self) -> str:
        return self.path or "(root)"

    # -- values ----------------------------------------------------------------------------
    def code_value(self) -> Code | None:
        if self._value is _UNREAD:
            self._value = first_code(self.node, CONCEPT_CODE_SEQUENCE)
        return self._value  # type: ignore[no-any-return]

    def units(self) -> Code | None:
        if self._units is _UNREAD:
            el = self.node.get(MEASURED_VALUE_SEQUENCE)
            items = el.items if el is not None else None
            self._units = first_code(items[0], MEASUREMENT_UNITS_CODE_SEQUENCE) if items else None
        return self._units  # type: ignore[no-any-return]

    def has_measured_value(self) -> bool:
        el = self.node.get(MEASURED_VALUE_SEQUENCE)
        return el is not None and bool(el.items)

    def number(self) -> float | None:
        el = self.node.get(MEASURED_VALUE_SEQUENCE)
        if el is None or not el.items:
            return None
        try:
            return float(_text(el.items[0], NUMERIC_VALUE))
        except ValueError:
            return None

    def text(self) -> str:
        return _text(self.node, TEXT_VALUE)

    def graphic_type(self) -> str:
        return _text(self.node, GRAPHIC_TYPE).upper()

    def described(self) -> str:
        """ "NUM (8867-4, LN, "Heart rate")" for messages."""
        vt = self.value_type or "an item without Value Type"
        if self.by_reference:
            vt = "a by-reference item"
        name = f" {self.concept}" if self.concept is not None else ""
        return f"{vt}{name}"

    def descendants(self) -> list[Item]:
        out: list[Item] = []
        stack = list(self.children)
        while stack:
            it = stack.pop()
            out.append(it)
            stack.extend(it.children)
        return out


def build_tree(root: Any) -> tuple[Item, list[Item]]:
    """The document root and every item below it; by-reference items get their ``target``
    (None when the identifier points nowhere)."""
    top = Item(root, "", None)
    everything = [top]
    stack: list[tuple[Item, int]] = [(top, 0)]
    while stack:
        parent, depth = stack.pop()
        el = parent.node.get(CONTENT_SEQUENCE)
        if el is None or not el.items or depth > MAX_DEPTH:
            continue
        prefix = f"{parent.path}." if parent.path else ""
        for i, node in enumerate(el.items):
            child = Item(node, f"{prefix}ContentSequence[{i}]", parent)
            parent.children.append(child)
            everything.append(child)
            stack.append((child, depth + 1))
    for it in everything:
        if it.reference is not None:
            it.target = _resolve(top, it.reference)
    return top, everything


def _resolve(top: Item, ident: tuple[int, ...]) -> Item | None:
    """PS3.3 C.17.3.2.5: the identifier lists the 1-based positions from the root (its first
    value, 1, is the root itself)."""
    if not ident or ident[0] != 1:
        return None
    node = top
    for pos in ident[1:]:
        if pos < 1 or pos > len(node.children):
            return None
        node = node.children[pos - 1]
    return node


def root_template(root: Any) -> str:
    """The TID Content Template Sequence (0040,A504) names at the root ("" when absent or not
    a DCMR template)."""
    el = root.get(CONTENT_TEMPLATE_SEQUENCE)
    if el is None or not el.items:
        return ""
    item = el.items[0]
    if _text(item, MAPPING_RESOURCE) not in ("DCMR", ""):
        return ""
    return _text(item, TEMPLATE_IDENTIFIER)

"""Runtime base of the generated builders: typed attributes, checks, Dataset in and out.

Every generated module, macro, sequence item and IOD class is a subclass of :class:`Builder`
whose attributes are :class:`Attr` descriptors carrying the standard's facts for that attribute
(tag, VR, VM, type, Enumerated Values). The generated code is declarative; all behaviour lives
here, so it is written and tested once.

Checks happen **at assignment** (and so in ``__init__``): a value of the wrong Python type, a
value outside the Enumerated Values, or a wrong number of values raises
:class:`AttributeValueError` naming the attribute, the rule and the standard's table. Presence
rules (Type 1/2 and conditions) depend on the whole dataset and are the validator's job
(:mod:`iodkit.validation`).

Values:

* ``None`` (or never set): the attribute is absent.
* :data:`EMPTY`: present with zero length (what Type 2 allows when the value is unknown).
  ``to_dataset()`` writes unset unconditional Type 2 attributes as empty by default.
* DA/TM/DT take :class:`datetime.date`/``time``/``datetime`` or DICOM strings; values read by
  ``from_dataset()`` are pydicom's DA/TM/DT (subclasses of the datetime types that keep their
  original string, so a read-write round trip changes nothing).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, overload

from iodkit import vrvalues
from iodkit.builderdocs import BuilderType, fmt_tag, init_doc, iod_init_doc
from iodkit.builderio import (
    KEEP_UNMODELED,
    add_file_meta,
    convert_item,
    correct_ambiguous,
    file_transfer_syntax,
    kept_transfer_syntax,
    unmodeled_elements,
    write_back,
)
from iodkit.codes import short_repr
from iodkit.vrvalues import EMPTY, Empty, ValueProblem
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.valuerep import DA, DT, TM, PersonName

_Empty = Empty  # the earlier name

if TYPE_CHECKING:
    from typing import TypeAlias

    from iodkit.codes import Code
    from iodkit.validation.context import ValidationContext
    from iodkit.validation.findings import Finding
    from pydicom.sr.coding import Code as PydicomCode

T = TypeVar("T")
I = TypeVar("I")  # noqa: E741  (an item class)
B = TypeVar("B", bound="Builder")

if TYPE_CHECKING:
    #: What a sequence attribute takes: items of its class, or what converts to one — a pydicom
    #: Dataset (highdicom's CodedConcept is one) or a dict of attribute names to values.
    Items: TypeAlias = Sequence[I | Dataset | Mapping[str, Any]]
    #: … and for items holding the Code Sequence Macro, codes (iodkit's or pydicom's).
    CodeItems: TypeAlias = Sequence[I | Dataset | Mapping[str, Any] | Code | PydicomCode]


class AttributeValueError(ValueError):
    """A value breaks a rule of the standard for this attribute."""


class Attr(Generic[T]):
    """A typed DICOM attribute of a builder class (a data descriptor).

    ``vr`` may be ambiguous as in PS3.6 ("US or SS", "OB or OW"); pydicom resolves it from the
    dataset when writing. ``enum`` holds unconditional Enumerated Values; ``enum_by_value``
    maps a value position (1-based) to the Enumerated Values for that position ("Value 1 shall
    be …"). ``doc`` is the standard's words for the attribute (name, tag, Type, VR, VM,
    description, condition, value sets): it becomes the descriptor's ``__doc__``, which is what
    ``help()`` shows for the attribute.
    """

    # no __slots__: each attribute carries its own __doc__ for help()

    def __init__(
        self,
        tag: int,
        keyword: str,
        vr: str,
        vm: str,
        type: str,
        *,
        enum: tuple[str, ...] | None = None,
        enum_by_value: dict[int, tuple[str, ...]] | None = None,
        item: type[Builder] | str | None = None,
        doc: str = "",
    ) -> None:
        self.tag = tag
        self.keyword = keyword
        self.vr = vr
        self.vm = vm
        self.type = type
        self.enum = enum
        self.enum_by_value = enum_by_value
        self._item = item
        self.name = keyword
        self.owner = ""
        self.table = ""
        self._vm = vrvalues.vm_bounds(vm) if vm and vr != "SQ" else (1, 1, 1)
        self._multi = self._vm[1] != 1
        # the generator indents the text by 8 under the call; help() shows it flush (a plain
        # replace: inspect.cleandoc took a tenth of a module's import time)
        self.__doc__ = (
            doc.replace("\n        ", "\n").strip()
            if doc
            else f"{keyword} {fmt_tag(tag)}: Type {type}, VR {vr}, VM {vm}."
        )

    @property
    def item(self) -> type[Builder] | None:
        """The item class of a sequence; given as "module:Class" when the class could not be
        defined first (recursive structures such as SR content trees), resolved on first use."""
        item = self._item
        if isinstance(item, str):
            import importlib

            module, _, name = item.partition(":")
            item = getattr(importlib.import_module(module), name)
            self._item = item
        return item

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        self.owner = owner.__name__
        self.table = getattr(owner, "__table__", "")

    @overload
    def __get__(self, obj: None, objtype: type | None = None) -> Attr[T]: ...

    @overload
    def __get__(self, obj: object, objtype: type | None = None) -> T | None: ...

    def __get__(self, obj: object | None, objtype: type | None = None) -> Any:
        if obj is None:
            return self
        return obj._values.get(self.tag)  # type: ignore[attr-defined]

    def __set__(self, obj: object, value: T | Empty | None) -> None:
        self._store(obj, value)

    def _store(self, obj: object, value: Any) -> None:
        values = obj._values  # type: ignore[attr-defined]
        if value is None:
            values.pop(self.tag, None)
            return
        values[self.tag] = self.check(value, self.table, type(obj).__name__)

    # -- checks -----------------------------------------------------------------------------
    def fail(self, where: tuple[str, str], message: str) -> AttributeValueError:
        """An error naming the builder class being set (the Attr may be inherited from a
        macro), the attribute, the rule broken and the table that states the rule."""
        table, cls = where
        suffix = f" ({table})" if table else ""
        return AttributeValueError(
            f"{cls or self.owner}.{self.name} {fmt_tag(self.tag)}: {message}{suffix}"
        )

    def check(self, value: Any, table: str = "", cls: str = "") -> Any:
        return self._check(value, (table, cls))

    def _check(self, value: Any, table: tuple[str, str]) -> Any:
        if value is EMPTY:
            return value
        if self.vr == "SQ":
            return self._check_items(value, table)
        if self._multi:
            if isinstance(value, str | bytes | PersonName) or not isinstance(value, Iterable):
                values = [value]
            else:
                values = list(value)
            lo, hi, step = self._vm
            n = len(values)
            if n < lo or (hi is not None and n > hi) or (hi is None and step > 1 and n % step):
                raise self.fail(table, f"{n} values given, VM is {self.vm}")
            out = [self._coerce(v, table) for v in values]
            self._check_enum(out, table)
            return out
        if isinstance(value, list | tuple | MultiValue):
            raise self.fail(table, f"{len(value)} values given, VM is {self.vm}")
        v = self._coerce(value, table)
        self._check_enum([v], table)
        return v

    def _check_enum(self, values: Sequence[Any], table: tuple[str, str]) -> None:
        if self.enum is not None:
            for v in values:
                if str(v) not in self.enum:
                    raise self.fail(
                        table, f"{v!r} is not one of the Enumerated Values {', '.join(self.enum)}"
                    )
        if self.enum_by_value:
            # an empty value is no value: PS3.3 C.7.6.1.1.2 lets Image Type Value 3 and beyond
            # be zero length, and C.8.11.7.1.4 requires an empty Value 3 for most mammograms
            for pos, allowed in self.enum_by_value.items():
                if len(values) < pos or values[pos - 1] in ("", None):
                    continue
                if str(values[pos - 1]) not in allowed:
                    raise self.fail(
                        table,
                        f"value {pos} is {values[pos - 1]!r}, Enumerated Values are "
                        f"{', '.join(allowed)}",
                    )

    def _coerce(self, v: Any, table: tuple[str, str]) -> Any:
        try:
            return vrvalues.coerce(self.vr, v)
        except ValueProblem as problem:
            if self.enum is not None and isinstance(v, str):  # 'left' for R/L: say the values
                self._check_enum([v], table)
            raise self.fail(table, str(problem)) from None

    def _check_items(self, value: Any, table: tuple[str, str]) -> list[Any]:
        if isinstance(value, Builder | Dataset) or not isinstance(value, Iterable):
            value = [value]
        out: list[Any] = []
        for i, item in enumerate(value):
            if self.item is not None and not isinstance(item, self.item):
                converted = convert_item(item, self.item)
                if converted is None:
                    code = isinstance(self, CodeSequenceAttr)
                    codes = ", or a code (iodkit, pydicom or highdicom)" * code
                    raise self.fail(
                        table,
                        f"item {i} is a {type(item).__name__} {short_repr(item)}, expected a "
                        f"{self.item.__name__}, a Dataset or a dict of its attributes{codes}",
                    )
                item = converted
            elif not isinstance(item, Builder | Dataset):
                raise self.fail(table, f"item {i} is a {type(item).__name__}, not an item")
            out.append(item)
        return out

    # -- encoding ---------------------------------------------------------------------------
    def element(self, value: Any, vr: str | None = None, fill_type2: bool = True) -> DataElement:
        """The pydicom element for a checked value (``vr``: the VR it was read with, for
        attributes whose VR is ambiguous)."""
        vr = vr or self.vr
        if value is EMPTY:
            return DataElement(self.tag, vr, vrvalues.empty_value(vr))
        if vr == "SQ":
            return DataElement(self.tag, "SQ", [_item_dataset(i, fill_type2) for i in value])
        if isinstance(value, list):
            return DataElement(self.tag, vr, [vrvalues.encode(vr, v) for v in value])
        # Ambiguous VRs ("US or SS", "OB or OW") stay as PS3.6 writes them: pydicom resolves
        # them from Pixel Representation / Bits Allocated when the dataset is written.
        return DataElement(self.tag, vr, vrvalues.encode(vr, value))

    def decode(self, elem: DataElement) -> Any:
        """A value for this attribute from a pydicom element (never raises on odd data: a value
        that does not fit the rules is kept as pydicom read it)."""
        value = elem.value
        if elem.VR == "SQ" or self.vr == "SQ":
            if value is None or len(value) == 0:
                return EMPTY
            if self.item is None:
                return list(value)
            items = [self.item.from_dataset(it) for it in value]
            if KEEP_UNMODELED.get():
                # part of a whole instance (IODBuilder.from_dataset): items keep the rest too
                for built, it in zip(items, value, strict=True):
                    built._unmodeled = unmodeled_elements(it, built.__by_tag__)
            return items
        if (
            value is None
            or value == ""
            or (isinstance(value, MultiValue | list) and len(value) == 0)
        ):
            return EMPTY
        if self.vr in ("DA", "TM", "DT"):
            cls = {"DA": DA, "TM": TM, "DT": DT}[self.vr]
            if isinstance(value, MultiValue | list):
                return [vrvalues.parse(cls, v) if isinstance(v, str) else v for v in value]
            return vrvalues.parse(cls, value) if isinstance(value, str) else value
        if isinstance(value, MultiValue | list | tuple):
            return list(value)  # pydicom gives binary VRs (FL, FD, US…) as plain lists
        if self._multi and not isinstance(value, bytes):
            return [value]
        return value


class SequenceAttr(Attr[list[I]]):
    """A sequence attribute whose items are builders of one class. Besides such items it takes
    what converts to one (:data:`Items`): a pydicom Dataset or a dict of attribute names."""

    def __set__(self, obj: object, value: Items[I] | Empty | None) -> None:
        self._store(obj, value)  # converted to items by the checks


class CodeSequenceAttr(SequenceAttr[I]):
    """A sequence whose items hold the Code Sequence Macro (PS3.3 Table 8.8-1): it also takes
    codes — :class:`iodkit.codes.Code`, pydicom's ``Code`` (``codes.SCT.Liver``) and, being a
    Dataset, highdicom's ``CodedConcept`` (:data:`CodeItems`)."""

    def __set__(self, obj: object, value: CodeItems[I] | Empty | None) -> None:
        self._store(obj, value)


def _item_dataset(item: Any, fill_type2: bool = True) -> Dataset:
    if isinstance(item, Builder):
        return item.to_dataset(fill_type2=fill_type2)
    return item  # type: ignore[no-any-return]


class Builder(metaclass=BuilderType):
    """Base of every generated module, macro, item and IOD builder.

    ``__attrs__`` lists the class's attributes in the standard's order (its own and those of the
    macros it includes), computed once per class.
    """

    __table__: ClassVar[str] = ""  # "PS3.3 2024c Table C.8.20-2"
    __order__: ClassVar[tuple[int, ...]] = ()  # the standard's order of the attributes' tags
    __conditional__: ClassVar[tuple[int, ...]] = ()  # tags from conditional includes
    __nofill__: ClassVar[frozenset[int]] = frozenset()  # __conditional__ of the class and its bases
    __attrs__: ClassVar[tuple[Attr[Any], ...]] = ()
    __by_tag__: ClassVar[dict[int, Attr[Any]]] = {}
    __slots__ = ("_values", "_vrs", "_unmodeled")
    _unmodeled: list[Any]  # set only on items read as part of a whole instance

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        seen: dict[int, Attr[Any]] = {}
        # bases first (included macros come first in the class's MRO order), then own
        for klass in reversed(cls.__mro__):
            for v in vars(klass).values():
                if isinstance(v, Attr):
                    seen.pop(v.tag, None)
                    seen[v.tag] = v
        order = getattr(cls, "__order__", None)
        attrs = list(seen.values())
        if order:
            rank = {t: i for i, t in enumerate(order)}
            attrs.sort(key=lambda a: rank.get(a.tag, len(rank)))
        cls.__attrs__ = tuple(attrs)
        cls.__by_tag__ = {a.tag: a for a in attrs}
        cls.__nofill__ = frozenset(
            t for klass in cls.__mro__ for t in vars(klass).get("__conditional__", ())
        )
        init = vars(cls).get("__init__")
        if init is not None and not init.__doc__:
            init.__doc__ = init_doc(cls)

    def __init__(self, **values: Any) -> None:
        self._values: dict[int, Any] = {}
        self._vrs: dict[int, str] = {}
        for name, value in values.items():
            attr = getattr(type(self), name, None)
            if not isinstance(attr, Attr):
                raise TypeError(f"{type(self).__name__} has no attribute {name!r}")
            attr.__set__(self, value)

    def _init(self, args: dict[str, Any]) -> None:
        """Body of the generated typed ``__init__``: set every argument that is not None."""
        self._values = {}
        self._vrs = {}
        cls = type(self)
        for name, value in args.items():
            if value is not None and name not in ("self", "_", "__class__"):
                getattr(cls, name).__set__(self, value)

    @classmethod
    def item_type(cls, name: str) -> type[Builder] | None:
        """The item class of the sequence attribute ``name`` (e.g. ``"segment_sequence"``)."""
        attr = getattr(cls, name, None)
        if not isinstance(attr, Attr) or attr.vr != "SQ":
            raise AttributeError(f"{cls.__name__} has no sequence attribute {name!r}")
        return attr.item

    # -- Dataset in and out -----------------------------------------------------------------
    def to_dataset(self, *, fill_type2: bool = True) -> Dataset:
        """A pydicom Dataset with this builder's attributes, with correct VRs.

        With ``fill_type2`` (default) unset Type 2 attributes whose presence has no condition
        (neither their own nor that of a conditional include) are written empty, as PS3.5 7.4.3
        requires; the same holds inside sequence items.
        """
        ds = Dataset()
        values = self._values
        vrs = getattr(self, "_vrs", None) or {}
        nofill = self.__nofill__
        for attr in self.__attrs__:
            value = values.get(attr.tag)
            if value is None:
                if fill_type2 and attr.type == "2" and attr.tag not in nofill:
                    ds.add(attr.element(EMPTY))
                continue
            ds.add(attr.element(value, vrs.get(attr.tag), fill_type2))
        write_back(ds, getattr(self, "_unmodeled", None) or ())
        return ds

    @classmethod
    def from_dataset(cls: type[B], ds: Dataset) -> B:
        """Read the attributes this builder models from ``ds``; others are ignored.

        Values are taken as the file has them (no checks), so any real file can be read; use the
        validator to judge it.
        """
        obj = cls.__new__(cls)
        obj._values = {}
        obj._vrs = {}
        by_tag = cls.__by_tag__
        # only the elements this builder models are decoded: a source's other elements (a
        # damaged one pydicom cannot decode, large private data) are never touched
        for tag in sorted(by_tag.keys() & ds.keys()):
            elem, attr = ds[tag], by_tag[tag]
            obj._values[attr.tag] = attr.decode(elem)
            if " or " in attr.vr and " or " not in elem.VR:
                obj._vrs[attr.tag] = elem.VR  # keep the VR the file chose
        return obj

    # -- conveniences -----------------------------------------------------------------------
    def __iter__(self) -> Iterator[tuple[str, Any]]:
        """(name, value) of each attribute that is set, in the standard's order."""
        for attr in self.__attrs__:
            if attr.tag in self._values:
                yield attr.name, self._values[attr.tag]

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other._values == self._values  # type: ignore[attr-defined]

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self)
        return f"{type(self).__name__}({inner})"

    __hash__ = None  # type: ignore[assignment]


class ModuleBuilder(Builder):
    """A module (PS3.3 Annex C) or macro: attributes at the level where it is used."""

    __slots__ = ()


class ItemBuilder(Builder):
    """A Sequence Item type: the attributes allowed in one item of one sequence."""

    __slots__ = ()


class IODBuilder(metaclass=BuilderType):
    """An IOD: its modules by name, composed into one Dataset.

    ``__modules__`` maps each module attribute name to (module class, IE, usage); ``to_dataset``
    merges the modules' datasets, checking that attributes shared by two modules (e.g. Bits
    Allocated in Image Pixel and Segmentation Image) agree.
    """

    __table__: ClassVar[str] = ""
    __modules__: ClassVar[dict[str, tuple[type[ModuleBuilder], str, str]]] = {}
    __functional_groups__: ClassVar[dict[str, type[ModuleBuilder]]] = {}
    sop_class_uid: ClassVar[str] = ""
    sop_class_uids: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        init = vars(cls).get("__init__")
        if init is not None and not init.__doc__:
            init.__doc__ = iod_init_doc(cls)

    def __init__(self, **modules: Any) -> None:
        self._modules: dict[str, ModuleBuilder] = {}
        self._unmodeled: list[Any] = []
        self._transfer_syntax: str | None = None  # builderio.kept_transfer_syntax of a file
        for name, module in modules.items():
            setattr(self, name, module)

    @property
    def unmodeled(self) -> Dataset:
        """The elements of the dataset this builder was read from (:meth:`from_dataset`) that
        none of the IOD's modules models — private elements, retired attributes, Type 3
        attributes of a Standard Extended SOP Class (PS3.4 B.1.2) — as they were read;
        :meth:`to_dataset` writes them back. (Items of sequences keep theirs the same way.)"""
        ds = Dataset()
        write_back(ds, self._unmodeled)
        return ds

    def validate(self, context: ValidationContext | None = None) -> list[Finding]:
        """Check what would be written, before writing it: the validator's findings (errors,
        warnings and "cannot decide" notes) on ``to_dataset(file_meta=True)`` — a missing Type 1
        attribute, a module the IOD requires, a condition that holds but is not met.

        ``context`` says how the instance will travel (a stored file unless told otherwise;
        see :class:`iodkit.validation.context.ValidationContext`).
        """
        from iodkit.validation.api import validate

        dataset = self.to_dataset(file_meta=True)
        return validate(dataset) if context is None else validate(dataset, context=context)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if name in self.__modules__:
            return self._modules.get(name)
        raise AttributeError(f"{type(self).__name__} has no module {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_"):
            object.__setattr__(self, name, value)
            return
        spec = self.__modules__.get(name)
        if spec is None:
            raise AttributeError(f"{type(self).__name__} has no module {name!r}")
        if value is None:
            self._modules.pop(name, None)
            return
        if not isinstance(value, spec[0]):
            raise TypeError(
                f"{type(self).__name__}.{name} takes a {spec[0].__name__}, "
                f"got {type(value).__name__}"
            )
        self._modules[name] = value

    def to_dataset(self, *, file_meta: bool = False, fill_type2: bool = True) -> Dataset:
        """Merge the modules into one Dataset; SOP Class UID from PS3.4 unless a module set it.

        With ``file_meta`` a File Meta Information group (PS3.10) is added, so ``ds.save_as``
        writes a conformant file: Explicit VR Little Endian, or the transfer syntax of the file
        read where values depend on it (Pixel Data in fragments, big endian bytes).
        """
        ds = Dataset()
        origin: dict[int, str] = {}
        for name, module in self._modules.items():
            part = module.to_dataset(fill_type2=fill_type2)
            for elem in part:
                if elem.tag in ds:
                    old = ds[elem.tag]
                    if old.value != elem.value and not (
                        old.is_empty and module.__by_tag__[elem.tag].type == "2"
                    ):
                        if elem.is_empty:
                            continue  # an empty Type 2 default never overrides a value
                        raise AttributeValueError(
                            f"{elem.keyword or fmt_tag(elem.tag)} differs between modules "
                            f"{origin[elem.tag]} ({old.value!r}) and {name} ({elem.value!r})"
                        )
                ds[elem.tag] = elem
                origin.setdefault(elem.tag, name)
        if "SOPClassUID" not in ds or not ds.SOPClassUID:
            ds.SOPClassUID = self.sop_class_uid
        correct_ambiguous(ds)
        write_back(ds, self._unmodeled, resolve_vr=True)  # after: their VRs from the rest
        if file_meta:
            add_file_meta(ds, file_transfer_syntax(ds, self._transfer_syntax))
        return ds

    @classmethod
    def from_dataset(cls, ds: Dataset) -> IODBuilder:
        """Read every module of the IOD from ``ds``; modules with no attribute present are
        left unset. Nothing is lost: what no module models is kept as read (:attr:`unmodeled`,
        and likewise inside sequence items) and written back by :meth:`to_dataset`, so
        ``from_dataset(ds).to_dataset()`` has every element of ``ds``, and ``file_meta=True``
        keeps a compressed or big endian file's transfer syntax."""
        obj = cls()
        owners: dict[int, int] = {}
        for module_cls, _ie, _usage in cls.__modules__.values():
            for tag in module_cls.__by_tag__:
                owners[tag] = owners.get(tag, 0) + 1
        token = KEEP_UNMODELED.set(True)
        try:
            for name, (module_cls, _ie, _usage) in cls.__modules__.items():
                tags = module_cls.__by_tag__
                own = [t for t in tags if owners[t] == 1]
                # A module is there when one of its own attributes is; a module made only of
                # attributes other modules also have is there when any of them is.
                if any(t in ds for t in (own or tags)):
                    obj._modules[name] = module_cls.from_dataset(ds)
        finally:
            KEEP_UNMODELED.reset(token)
        modeled = {t for name in obj._modules for t in cls.__modules__[name][0].__by_tag__}
        obj._unmodeled = unmodeled_elements(ds, modeled)
        obj._transfer_syntax = kept_transfer_syntax(ds)
        return obj

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(self._modules)})"


def _register_dictionary() -> None:
    """Teach pydicom the edition's tags and UIDs it lacks before any dataset is built."""
    try:
        from iodkit.generated.dictionary import register
    except ImportError:  # generated/ not built yet (a fresh checkout before `make generate`)
        return
    register()


_register_dictionary()

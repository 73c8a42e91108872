"""Readers raise only iodkit's own errors, and name the file at fault.

A reader opens a file that may be damaged anywhere: pydicom decodes its elements lazily, on
first access, so a bad length, an unknown VR or a truncated sequence surfaces as pydicom's
``OSError``, ``NotImplementedError`` or ``BytesLengthException``, a ``struct.error``, an
``AttributeError`` for a required attribute that is not there, or a ``KeyError``,
``TypeError`` or ``ValueError`` in code reading the decoded values — whenever a property or
query first touches it. Issue 12 asks that readers raise only their documented errors, each
naming the file and the problem. Rather than a ``try`` around every access, one mechanism
translates at the reader's boundary, and only there:

* :func:`guarded` — a class decorator for a reader (or a part of one a user holds, such as an
  annotation group: ``guarded(Error, what, opens=False)``, named by :func:`part_of`). Its
  constructor (the opening): every error — iodkit's own or foreign — comes out as the reader's
  error class, named; its public methods, properties and cached properties (the reading): a
  foreign exception becomes the reader's error, and iodkit's own errors get the source's name
  when they lack it;
* :func:`opening` — the same for a reader that is a function (``with opening(Error, what,
  source): …``).

The translated error names the source (:func:`source_name`), what could not be read and the
exception it came from, which stays its ``__cause__``: a test or a debugger still sees the
original, and ``make fuzz`` counts a foreign exception raised by iodkit's own code behind it as
a fault to fix where it happens (an unchecked value), not as a damaged file.

Errors a reader raises on purpose for a bad *argument* are iodkit classes that keep the
builtin class callers catch (:class:`NotReferencedError` is a ``KeyError``,
:class:`ArgumentError` a ``TypeError``); they pass as they are.
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from pydicom.dataset import Dataset

C = TypeVar("C", bound=type)


class NotReferencedError(KeyError):
    """What a query asked for — a SOP Instance UID, an annotation group — is not in the
    object (not among the instances it references, no group of that number)."""

    def __str__(self) -> str:  # a KeyError shows its argument's repr: show the message
        return str(self.args[0]) if self.args else ""


class ArgumentError(TypeError):
    """An argument of the wrong type (one UID where a sequence of UIDs is expected …)."""


class OutOfRangeError(IndexError):
    """An index past what the object holds (annotation 12 of a group of 10)."""


#: what the caller got wrong, not the file: these pass every guard unchanged
ARGUMENT_ERRORS: tuple[type[Exception], ...] = (NotReferencedError, ArgumentError, OutOfRangeError)


def source_name(source: Any) -> str:
    """How messages name what a reader was given: a path as given, an open file by its name
    (``<bytes>`` when it has none), a Dataset by the file it was read from, else
    ``<dataset UID>`` (its SOP Instance UID), a frame source (a DICOMweb instance …) by its name
    or address if it has one."""
    if isinstance(source, str | os.PathLike):
        return os.fspath(source)  # type: ignore[return-value]
    if isinstance(source, Dataset):
        filename = getattr(source, "filename", None)
        if isinstance(filename, str) and filename:
            return filename
        return _dataset_name(source)
    for attribute in ("name", "url", "address"):
        value = getattr(source, attribute, None)
        if isinstance(value, str | os.PathLike) and os.fspath(value):
            return str(os.fspath(value))
    dataset = getattr(source, "dataset", None)
    if isinstance(dataset, Dataset):
        return _dataset_name(dataset)
    if isinstance(source, bytes | bytearray | memoryview) or hasattr(source, "read"):
        return "<bytes>"
    return f"<{type(source).__name__}>"


def _dataset_name(ds: Dataset) -> str:
    try:
        uid = ds.get("SOPInstanceUID")
    except Exception:  # a damaged element: the name must not fail
        uid = None
    return f"<dataset {uid}>" if uid else "<dataset>"


def is_own(exc: BaseException) -> bool:
    """An error class iodkit defines."""
    return (type(exc).__module__ or "").startswith("iodkit.")


def translated(exc: Exception, error: type[Exception], name: str, what: str) -> Exception:
    """``exc`` as the reader's ``error`` naming the source ``name`` (the caller chains it as
    ``__cause__``). An argument error passes as it is; so does an ``error`` that names the
    source, and one that does not gets ``name`` in front of its message (in place: traceback
    and cause kept). Another iodkit error (a pixel decoding error, a damaged value) keeps its
    message; a foreign exception is said with its class: what could not be read, and why."""
    if isinstance(exc, ARGUMENT_ERRORS):
        return exc
    if is_own(exc):
        if isinstance(exc, error):
            if name in str(exc):
                return exc
            if len(exc.args) == 1 and isinstance(exc.args[0], str):
                exc.args = (f"{name}: {exc.args[0]}",)
                return exc
        text = str(exc)
        return error(text if name in text else f"{name}: {text}")
    detail = str(exc) or "(no message)"
    return error(f"{name}: cannot read the {what}: {type(exc).__name__}: {detail}")


@contextlib.contextmanager
def opening(error: type[Exception], what: str, source: Any) -> Iterator[str]:
    """Run a function reader's work: whatever is raised comes out as ``error`` naming
    ``source`` (see :func:`translated`). Gives the name, for messages of the reader's own."""
    name = source_name(source)
    try:
        yield name
    except Exception as exc:
        named = translated(exc, error, name, what)
        if named is exc:
            raise
        raise named from exc


def guarded(error: type[Exception], what: str, *, opens: bool = True) -> Callable[[C], C]:
    """Class decorator of a reader whose constructor takes the source first (see the module
    docstring); ``error`` is the reader's error class, ``what`` names the object
    ("segmentation"). With ``opens=False`` (a part of a reader: an annotation group), only
    the reading is guarded, naming the source the reader gave the part (:func:`part_of`)."""

    def decorate(cls: C) -> C:
        if opens:
            cls.__init__ = _opening(cls.__init__, error, what)  # type: ignore[misc]
        for attribute, value in list(vars(cls).items()):
            if attribute.startswith("_"):
                continue
            if isinstance(value, property) and value.fget is not None:
                guarded_get = _reading(value.fget, error, what)
                setattr(
                    cls, attribute, property(guarded_get, value.fset, value.fdel, value.__doc__)
                )
            elif isinstance(value, functools.cached_property):
                cached = functools.cached_property(_reading(value.func, error, what))
                cached.__set_name__(cls, attribute)
                setattr(cls, attribute, cached)
            elif callable(value) and not isinstance(value, type | staticmethod | classmethod):
                setattr(cls, attribute, _reading(value, error, what))
        return cls

    return decorate


def part_of(part: Any, reader: Any) -> Any:
    """``part`` (an object of a ``guarded(…, opens=False)`` class the reader made) names the
    reader's source in its errors; returns ``part``."""
    part._source_name = getattr(reader, "_source_name", None)
    return part


def _opening(init: Callable[..., None], error: type[Exception], what: str) -> Any:
    @functools.wraps(init)
    def __init__(self: Any, source: Any, *args: Any, **kwargs: Any) -> None:
        self._source_name = source_name(source)
        try:
            init(self, source, *args, **kwargs)
        except Exception as exc:
            _close_quietly(self)  # what was opened before the failure
            named = translated(exc, error, self._source_name, what)
            if named is exc:
                raise
            raise named from exc

    return __init__


def _close_quietly(reader: Any) -> None:
    close = getattr(reader, "close", None)
    if callable(close):
        with contextlib.suppress(Exception):  # nothing opened yet, or it cannot close
            close()


def _reading(function: Callable[..., Any], error: type[Exception], what: str) -> Any:
    @functools.wraps(function)
    def reading(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return function(self, *args, **kwargs)
        except Exception as exc:
            if isinstance(exc, TypeError) and _at_the_call(exc):
                raise  # arguments the method does not take: the caller's mistake
            name = getattr(self, "_source_name", None) or f"the {what}"
            named = translated(exc, error, name, what)
            if named is exc:
                raise
            raise named from exc

    return reading


def _at_the_call(exc: BaseException) -> bool:
    """``exc`` was raised binding the arguments of the call in this frame (an unexpected
    keyword, one argument too many), not inside the function called."""
    tb = exc.__traceback__
    return tb is not None and tb.tb_next is None

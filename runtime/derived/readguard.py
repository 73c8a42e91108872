"""Readers of derived objects raise only iodkit's own errors, and name the file at fault.

A reader opens a file that may be damaged anywhere: pydicom decodes its elements lazily, on
first access, so a bad length, an unknown VR or a truncated sequence surfaces as pydicom's
``OSError``, ``NotImplementedError`` or ``BytesLengthException`` — or as an ``AttributeError``,
``ValueError`` or ``TypeError`` in the code that reads the decoded values — whenever a property
or query first touches it. Issue 12 asks that readers raise only their documented errors, each
naming the file and the problem. Rather than a ``try`` around every access, :func:`guarded`
wraps a reader class once:

* its constructor (the opening): every error — iodkit's own or foreign — comes out as the
  reader's error class with the source's name (:func:`source_name`) in front, unless it
  already names it;
* its public methods and properties (the reading): a foreign exception becomes the reader's
  error class, naming the source and the exception it came from (chained as ``__cause__``);
  iodkit's own errors pass as they are — a query the instance cannot answer is not damage.

Errors a reader raises on purpose for a bad *argument* are iodkit classes that keep the
builtin class callers catch (:class:`NotReferencedError` is a ``KeyError``,
:class:`ArgumentError` a ``TypeError``), so they pass too.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any, TypeVar

from pydicom.dataset import Dataset

C = TypeVar("C", bound=type)


class NotReferencedError(KeyError):
    """A SOP Instance UID asked for is not among those the instance references."""

    def __str__(self) -> str:  # a KeyError shows its argument's repr: show the message
        return str(self.args[0]) if self.args else ""


class ArgumentError(TypeError):
    """An argument of the wrong type (one UID where a sequence of UIDs is expected …)."""


def source_name(source: Any) -> str:
    """How messages name what a reader was given: a path as given, an open file by its name,
    a Dataset by the file it was read from or its SOP Instance UID, a frame source (a
    DICOMweb instance …) by its name or address if it has one."""
    if isinstance(source, str | os.PathLike):
        return os.fspath(source)  # type: ignore[return-value]
    if isinstance(source, Dataset):
        filename = getattr(source, "filename", None)
        if isinstance(filename, str) and filename:
            return filename
        return f"the dataset {source.get('SOPInstanceUID', '(no SOP Instance UID)')}"
    for attribute in ("name", "url", "address"):
        value = getattr(source, attribute, None)
        if isinstance(value, str | os.PathLike) and os.fspath(value):
            return str(os.fspath(value))
    dataset = getattr(source, "dataset", None)
    if isinstance(dataset, Dataset):
        return f"the instance {dataset.get('SOPInstanceUID', '(no SOP Instance UID)')}"
    return f"the {type(source).__name__}"


def is_own(exc: BaseException) -> bool:
    """An error class iodkit defines."""
    return (type(exc).__module__ or "").startswith("iodkit.")


def _named(exc: Exception, error: type[Exception], name: str, what: str) -> Exception:
    """``exc`` as ``error`` (or its own class, if it is one) with ``name`` in front."""
    if is_own(exc):
        if name in str(exc):
            return exc
        cls = type(exc) if isinstance(exc, error) else error
        return cls(f"{name}: {exc}")
    return error(f"{name}: cannot read the {what}: {type(exc).__name__}: {exc}")


def guarded(error: type[Exception], what: str) -> Callable[[C], C]:
    """Class decorator of a reader whose constructor takes the source first (see the module
    docstring); ``error`` is the reader's error class, ``what`` names the object
    ("segmentation")."""

    def decorate(cls: C) -> C:
        opening = cls.__init__  # type: ignore[misc]

        @functools.wraps(opening)
        def __init__(self: Any, source: Any, *args: Any, **kwargs: Any) -> None:
            self._source_name = source_name(source)
            try:
                opening(self, source, *args, **kwargs)
            except Exception as exc:
                _close_quietly(self)  # what was opened before the failure
                named = _named(exc, error, self._source_name, what)
                if named is exc:
                    raise
                raise named from exc

        cls.__init__ = __init__  # type: ignore[misc]
        for attribute, value in list(vars(cls).items()):
            if attribute.startswith("_"):
                continue
            if isinstance(value, property) and value.fget is not None:
                setattr(
                    cls, attribute, property(_reading(value.fget, error, what), doc=value.__doc__)
                )
            elif callable(value) and not isinstance(value, type | staticmethod | classmethod):
                setattr(cls, attribute, _reading(value, error, what))
        return cls

    return decorate


def _close_quietly(reader: Any) -> None:
    try:
        reader.close()
    except Exception:  # nothing was opened yet, or the source cannot close: nothing to free
        pass


def _reading(function: Callable[..., Any], error: type[Exception], what: str) -> Any:
    @functools.wraps(function)
    def reading(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return function(self, *args, **kwargs)
        except Exception as exc:
            if is_own(exc):
                raise
            name = getattr(self, "_source_name", f"the {what}")
            raise _named(exc, error, name, what) from exc

    return reading

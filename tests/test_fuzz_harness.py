"""The ``make fuzz`` harness itself (tools/fuzz.py): reproducible mutants, and readers judged by
the errors they raise. The run itself is ``make fuzz``, outside ``make test``."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tools import fuzz


def test_mutants_are_reproducible_and_differ() -> None:
    data = bytes(range(256)) * 4
    a = fuzz.mutate(data, random.Random("12:7"))
    b = fuzz.mutate(data, random.Random("12:7"))
    c = fuzz.mutate(data, random.Random("12:8"))
    assert a == b and a[0] != data and a != c


class Broken:
    def __init__(self, path: str) -> None:
        self.path = path

    def frames(self) -> None:
        raise KeyError("frame")  # not an iodkit error: a failure


def opens_broken(path: str) -> Broken:
    return Broken(path)


def opens_refusing(path: str) -> None:
    from iodkit.seg.errors import SegmentationReadError

    raise SegmentationReadError(f"{path}: not a Segmentation")


def opens_refusing_unnamed(path: str) -> None:
    from iodkit.seg.errors import SegmentationReadError

    raise SegmentationReadError("not a Segmentation")


def test_readers_may_only_raise_iodkits_errors_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "x.dcm"
    path.write_bytes(b"\0" * 200)
    broken = fuzz.Reader("broken", f"{__name__}:opens_broken", ("frames",), ())
    problem = fuzz.check_reader(broken, path) or ""
    assert "builtins.KeyError" in problem
    assert fuzz.failure_kind(problem) == "foreign exception"
    refusing = fuzz.Reader("refusing", f"{__name__}:opens_refusing", (), ())
    assert fuzz.check_reader(refusing, path) is None
    unnamed = fuzz.Reader("unnamed", f"{__name__}:opens_refusing_unnamed", (), ())
    problem = fuzz.check_reader(unnamed, path) or ""
    assert fuzz.failure_kind(problem) == "file not named"


def test_every_registered_reader_opens(testdata: Path) -> None:
    seg = next(r for r in fuzz.READERS if r.name == "seg")
    assert fuzz.check_reader(seg, testdata / "highdicom" / "seg_image_ct_binary.dcm") is None
    assert all(":" in r.opens for r in fuzz.READERS)


@pytest.mark.parametrize("reader", fuzz.READERS, ids=lambda r: r.name)
def test_a_registered_reader_reads_what_its_class_has(reader: fuzz.Reader) -> None:
    """A misspelt name in ``reads`` would read nothing, silently (the harness takes a missing
    attribute as nothing to read): every name must be one of the opened class's."""
    import typing

    opened = typing.get_type_hints(fuzz._function(reader.opens))["return"]
    fields = typing.get_type_hints(opened)  # dataclass fields without a default, too

    def has(name: str) -> bool:
        return hasattr(opened, name) or name in fields

    for attr in reader.reads:
        if attr.startswith("each:"):
            continue  # of the elements it iterates over
        name, _, flag = attr.partition("?")
        assert has(name), f"{reader.name}: {opened.__name__} has no {name}"
        if flag:
            assert has(flag.lstrip("!")), f"{reader.name}: {opened.__name__} has no {flag}"
    assert reader.sop_classes and all(u.startswith("1.2.840.10008.") for u in reader.sop_classes)


@pytest.mark.parametrize("n", range(3))
def test_the_validator_survives_a_few_mutants(testdata: Path, n: int) -> None:
    data = (testdata / "highdicom" / "sr_document.dcm").read_bytes()
    mutant, _ = fuzz.mutate(data, random.Random(f"test:{n}"))
    assert fuzz.check_validator(mutant) is None


@pytest.mark.parametrize("name", ["ann", "pr", "sr"])
def test_object_readers_name_the_file_they_refuse(testdata: Path, name: str) -> None:
    """ANN and PR said why they refused a file (another SOP Class, a damaged one) without
    saying which file (make fuzz: 'file not named')."""
    reader = next(r for r in fuzz.READERS if r.name == name)
    for path in (testdata / "highdicom" / "ct_image.dcm", testdata / "MANIFEST.tsv"):
        assert fuzz.check_reader(reader, path) is None, path

"""mypy sees ``iodkit`` as users import it (tools/typecheck.py, what ``make lint`` runs).

One mypy run over the whole package (runtime/, generated/, codegen/ under their import names)
plus a probe file. The probe proves the check is real: were ``iodkit`` unresolved (the editable
install's import hook is invisible to mypy), every builder would be ``Any`` and the probe's
wrong call would pass unnoticed.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

PROBE = """\
from iodkit.generated.modules import GeneralSeriesModule
from iodkit.generated.modules.segmentation_image_module import SegmentSequenceItem
from pydicom.sr.codedict import codes

series = GeneralSeriesModule(modality="SEG", series_number="7")
reveal_type(GeneralSeriesModule.modality)
GeneralSeriesModule(modalty="SEG")
SegmentSequenceItem(segmented_property_type_code_sequence=[codes.SCT.Liver, {"code_value": "1"}])
"""
# Every public API that takes a coded concept is typed iodkit.codes.CodeLike: pydicom's Code
# (here codes.SCT.*) and highdicom's CodedConcept type-check where iodkit's Code does (SEG, PM,
# SR, ANN, a generated template builder); a plain string does not (line numbers asserted).
CODES_PROBE = """\
import highdicom as hd
import numpy as np
from iodkit.ann import AnnotationGroup, Measurement as AnnotationMeasurement
from iodkit.codes import cid7150
from iodkit.pm import RealWorldValueMapping
from iodkit.seg import AlgorithmIdentification, SegmentDescription
from iodkit.sr import FindingSite, Measurement, PlanarROIMeasurements, QualitativeEvaluation
from iodkit.templates import tid1419
from pydicom.sr.codedict import codes

liver = codes.SCT.Liver
mm = hd.sr.CodedConcept("mm", "UCUM", "millimeter")
ai = codes.DCM.ArtificialIntelligence
SegmentDescription(1, "liver", codes.SCT.Tissue, liver, anatomic_regions=[codes.SCT.Abdomen],
                   algorithm=AlgorithmIdentification("a", "1", family=ai))
RealWorldValueMapping.identity("p", "probability", hd.sr.CodedConcept("1", "UCUM", "no units"))
site = FindingSite(liver, laterality=codes.SCT.Left)
Measurement(codes.SCT.Diameter, 3.0, mm, finding_sites=[site])
PlanarROIMeasurements(tracking_identifier="t", finding_type=liver, region=None)
QualitativeEvaluation(codes.DCM.Finding, codes.SCT.Normal)
AnnotationGroup("n", cid7150.TISSUE, codes.SCT.Nucleus, "POINT", np.zeros((1, 2)),
                measurements=[AnnotationMeasurement(codes.SCT.Area, mm, np.ones(1))])
tid1419.ROIMeasurements.FindingSite(value=liver, laterality=codes.SCT.Left)
SegmentDescription(1, "liver", "Tissue", liver)
"""
CODES_WRONG_LINE = CODES_PROBE.count("\n")  # the last line: a string where a code goes

# The builders and what they stand on; the rest of iodkit is read as far as these import it
# (make lint checks all of it).
CHECKED = (
    "generated/__init__.py",
    "generated/modules",
    "generated/iods",
    "runtime/builders.py",
    "runtime/builderdocs.py",
    "runtime/vrvalues.py",
    "runtime/codes.py",
)
README_BLOCKS = re.findall(
    r"```python\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.S
)


@pytest.fixture(scope="module")
def mypy_report(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    pytest.importorskip("mypy", reason="mypy not installed (pip install -e '.[test]')")
    folder = tmp_path_factory.mktemp("typecheck")
    probe = folder / "probe.py"
    probe.write_text(PROBE, encoding="utf-8")
    (folder / "codes_probe.py").write_text(CODES_PROBE, encoding="utf-8")
    readme = folder / "readme_first_example.py"
    readme.write_text(README_BLOCKS[0], encoding="utf-8")
    out = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "typecheck.py"), "--only", ",".join(CHECKED)]
        + [str(probe), str(readme), str(folder / "codes_probe.py")],
        capture_output=True,
        text=True,
        cwd=ROOT,  # the cache is the repository's .mypy_cache, shared with `make lint`
        timeout=600,
    )
    assert "Traceback" not in out.stderr, out.stderr[-3000:]
    return out.stdout.splitlines()


def _errors_in(report: list[str], *prefixes: str) -> list[str]:
    return [line for line in report if ": error:" in line and line.startswith(prefixes)]


def test_generated_code_and_builder_runtime_pass_mypy(mypy_report: list[str]) -> None:
    """With the project's [tool.mypy] settings and iodkit resolved: no error in generated/ nor
    in the runtime the builders stand on."""
    errors = _errors_in(mypy_report, *CHECKED)
    assert any("Revealed type" in line for line in mypy_report)  # it ran
    assert not errors, "\n".join(errors[:40])


def test_mypy_resolves_iodkit(mypy_report: list[str]) -> None:
    probe = [line for line in mypy_report if "probe.py:" in line]
    assert not any("import-not-found" in line or "import-untyped" in line for line in probe)
    (revealed,) = [line for line in probe if "Revealed type" in line]
    assert "iodkit.builders.Attr[" in revealed, revealed
    wrong = [line for line in probe if "probe.py:5:" in line and ": error:" in line]
    assert wrong and "series_number" in wrong[0], probe
    # a misspelt attribute is refused by the signature (no **kwargs catch-all)
    misspelt = [line for line in probe if "probe.py:7:" in line and ": error:" in line]
    assert misspelt and "modalty" in misspelt[0] and "[call-arg]" in misspelt[0], probe
    # what a sequence takes besides its items: pydicom codes, dicts
    assert not [line for line in probe if "probe.py:8:" in line], probe


def test_every_api_taking_a_code_is_typed_for_pydicom_and_highdicom_codes(
    mypy_report: list[str],
) -> None:
    probe = [line for line in mypy_report if "codes_probe.py:" in line and ": error:" in line]
    wrong = [line for line in probe if f"codes_probe.py:{CODES_WRONG_LINE}:" in line]
    assert wrong and "CodedConceptLike" in wrong[0], probe  # a string is refused: not a code
    assert [line for line in probe if line not in wrong] == [], probe


def test_readme_first_example_type_checks(mypy_report: list[str]) -> None:
    errors = [line for line in mypy_report if "readme_first_example.py:" in line]
    assert not errors, "\n".join(errors)


def test_mypy_reads_the_package_mapping() -> None:
    """The mapping comes from pyproject's package-dir, so a new folder needs no second edit."""
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import typecheck
    finally:
        sys.path.pop(0)
    dirs = typecheck.package_dirs()
    assert dirs["iodkit"] == ROOT / "runtime" and dirs["iodkit.generated"] == ROOT / "generated"
    names = {s.module: Path(s.path) for s in typecheck.iodkit_sources()}
    assert names["iodkit.builders"] == Path("runtime/builders.py")
    assert names["iodkit.generated.iods"] == Path("generated/iods/__init__.py")
    assert names["iodkit.codegen.emit.plan"] == Path("codegen/emit/plan.py")


def test_package_tree_puts_each_folder_under_its_import_name(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import typecheck
    finally:
        sys.path.pop(0)
    tree = typecheck.package_tree(ROOT, tmp_path / "tree")
    for name, folder in typecheck.package_dirs().items():
        where = tree.joinpath(*name.split("."))
        assert (where / "__init__.py").resolve() == (folder / "__init__.py").resolve(), name
    assert (tree / "iodkit" / "builders.py").resolve() == ROOT / "runtime" / "builders.py"

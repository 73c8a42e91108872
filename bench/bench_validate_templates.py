"""The template pass of the validator on a large TID 1500 Measurement Report.

A report of N planar-ROI measurement groups (each: tracking identifier and UID, a finding, a
finding site, a POLYLINE image region selected from an image, three NUM measurements; the shape
the SR benchmark writes) is written once; then

* the template pass alone (:func:`iodkit.validation.templates.check_content_tree` on the read
  tree): median of 5 runs after a warm-up, and its peak memory (tracemalloc);
* ``iodkit validate`` of the file with and without the template pass (``--no-templates``): the
  median of 5 runs each in a fresh process, and their ratio.

Targets (issue 11): the pass ≤ 1 s and ≤ 300 MB for 1,000 groups; validate ≤ 2× without it.

python -m bench validate_templates [--groups=N] [--runs=N]
"""

from __future__ import annotations

import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

DCM = "DCM"


def _code(value: str, scheme: str, meaning: str) -> Dataset:
    ds = Dataset()
    ds.CodeValue, ds.CodingSchemeDesignator, ds.CodeMeaning = value, scheme, meaning
    return ds


def _item(vt: str, name: tuple[str, str, str] | None, rel: str, **kw: object) -> Dataset:
    ds = Dataset()
    ds.RelationshipType = rel
    ds.ValueType = vt
    if name is not None:
        ds.ConceptNameCodeSequence = [_code(*name)]
    for k, v in kw.items():
        setattr(ds, k, v)
    return ds


def _num(name: tuple[str, str, str], value: str) -> Dataset:
    mv = Dataset()
    mv.NumericValue = value
    mv.MeasurementUnitsCodeSequence = [_code("mm", "UCUM", "millimeter")]
    return _item("NUM", name, "CONTAINS", MeasuredValueSequence=[mv])


def report(groups: int) -> Dataset:
    image = Dataset()
    image.ReferencedSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    image.ReferencedSOPInstanceUID = generate_uid()
    items = []
    for i in range(groups):
        region = _item(
            "SCOORD",
            ("111030", DCM, "Image Region"),
            "CONTAINS",
            GraphicType="POLYLINE",
            GraphicData=[1.0, 1.0, 5.0, 1.0, 5.0, 5.0, 1.0, 1.0],
            ContentSequence=[_item("IMAGE", None, "SELECTED FROM", ReferencedSOPSequence=[image])],
        )
        items.append(
            _item(
                "CONTAINER",
                ("125007", DCM, "Measurement Group"),
                "CONTAINS",
                ContinuityOfContent="SEPARATE",
                ContentSequence=[
                    _item(
                        "TEXT",
                        ("112039", DCM, "Tracking Identifier"),
                        "HAS OBS CONTEXT",
                        TextValue=f"lesion {i}",
                    ),
                    _item(
                        "UIDREF",
                        ("112040", DCM, "Tracking Unique Identifier"),
                        "HAS OBS CONTEXT",
                        UID=generate_uid(),
                    ),
                    _item(
                        "CODE",
                        ("121071", DCM, "Finding"),
                        "CONTAINS",
                        ConceptCodeSequence=[_code("52988006", "SCT", "Lesion")],
                    ),
                    _item(
                        "CODE",
                        ("363698007", "SCT", "Finding Site"),
                        "HAS CONCEPT MOD",
                        ConceptCodeSequence=[_code("39607008", "SCT", "Lung")],
                    ),
                    region,
                    _num(("410668003", "SCT", "Length"), f"{10 + i % 7}.5"),
                    _num(("103339001", "SCT", "Long Axis"), "11"),
                    _num(("103340004", "SCT", "Short Axis"), "7"),
                ],
            )
        )
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.88.34"  # Comprehensive 3D SR
    ds.SOPInstanceUID = generate_uid()
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.Modality, ds.PatientName, ds.PatientID = "SR", "Bench^Report", "bench"
    ds.ValueType = "CONTAINER"
    ds.ConceptNameCodeSequence = [_code("126000", DCM, "Imaging Measurement Report")]
    ds.ContinuityOfContent = "SEPARATE"
    t = Dataset()
    t.MappingResource, t.TemplateIdentifier = "DCMR", "1500"
    ds.ContentTemplateSequence = [t]
    ds.ContentSequence = [
        _item(
            "CODE",
            ("121049", DCM, "Language of Content Item and Descendants"),
            "HAS CONCEPT MOD",
            ConceptCodeSequence=[_code("en-US", "RFC5646", "English")],
        ),
        _item(
            "CODE",
            ("121005", DCM, "Observer Type"),
            "HAS OBS CONTEXT",
            ConceptCodeSequence=[_code("121007", DCM, "Device")],
        ),
        _item(
            "UIDREF", ("121012", DCM, "Device Observer UID"), "HAS OBS CONTEXT", UID=generate_uid()
        ),
        _item(
            "CODE",
            ("121058", DCM, "Procedure reported"),
            "HAS CONCEPT MOD",
            ConceptCodeSequence=[_code("25045-6", "LN", "CT unspecified body region")],
        ),
        _item(
            "CONTAINER",
            ("126010", DCM, "Imaging Measurements"),
            "CONTAINS",
            ContinuityOfContent="SEPARATE",
            ContentSequence=items,
        ),
    ]
    return ds


def _median_seconds(command: list[str], runs: int) -> float:
    times = []
    for _ in range(runs + 1):
        started = time.perf_counter()
        subprocess.run(command, capture_output=True, check=False)
        times.append(time.perf_counter() - started)
    return statistics.median(times[1:])  # the first run warms the caches


def main(argv: list[str]) -> None:
    opts = dict(a.lstrip("-").split("=", 1) for a in argv if "=" in a)
    groups = int(opts.get("groups", 1000))
    runs = int(opts.get("runs", 5))
    from iodkit.validation.reader import read
    from iodkit.validation.templates import check_content_tree

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "report.dcm"
        started = time.perf_counter()
        report(groups).save_as(path, enforce_file_format=True)
        print(
            f"TID 1500 report, {groups} groups: {path.stat().st_size / 1e6:.1f} MB written in "
            f"{time.perf_counter() - started:.1f} s"
        )
        parsed = read(path)
        findings = check_content_tree(parsed.dataset, "2024c")  # warm-up: rules, groups
        problems = [f for f in findings if f.severity != "info"]
        times, cpu = [], []
        for _ in range(runs):
            started, started_cpu = time.perf_counter(), time.process_time()
            check_content_tree(parsed.dataset, "2024c")
            times.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
        tracemalloc.start()
        check_content_tree(parsed.dataset, "2024c")
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(
            f"template pass: median {statistics.median(times):.3f} s of {runs} "
            f"(min {min(times):.3f}, max {max(times):.3f}; CPU median "
            f"{statistics.median(cpu):.3f} s, which a busy machine does not inflate); peak "
            f"{peak / 1e6:.0f} MB (tracemalloc); {len(problems)} errors/warnings"
        )
        cli = [sys.executable, "-m", "iodkit.cli", "validate", "--no-progress", str(path)]
        with_t = _median_seconds(cli, runs)
        without = _median_seconds([*cli, "--no-templates"], runs)
        print(
            f"iodkit validate: {with_t:.2f} s with templates, {without:.2f} s without "
            f"(medians of {runs} runs, fresh processes): ratio {with_t / without:.2f}; largest "
            f"process {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1e3:.0f} MB "
            "(max RSS)"
        )


if __name__ == "__main__":
    main(sys.argv[1:])

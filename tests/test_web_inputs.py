"""The DICOMweb and DICOM JSON input kinds of ``iodkit validate`` cost nothing to a run over files.

Every argument is offered to the DICOMweb and DICOM JSON resolvers before the path resolver, so
they must decide "not mine" without importing the DICOMweb client (requests, dicomweb-client,
pydicom): that import tripled the start-up of ``iodkit validate one.dcm`` and its memory.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HEAVY = ("iodkit.web.client", "iodkit.web.dicomjson", "pydicom", "requests", "dicomweb_client")


def _loaded_after_resolving(arguments: list[str]) -> tuple[int, list[str]]:
    code = (
        "import json, sys; from iodkit.validation.inputs import resolve; "
        f"r = resolve({arguments!r}); "
        "print(len(r.sources)); "
        f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    count, loaded = out.stdout.splitlines()
    return int(count), json.loads(loaded)


def test_resolving_files_and_folders_loads_no_web_client(tmp_path: Path) -> None:
    (tmp_path / "a.dcm").write_bytes(b"\0" * 132)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.dcm").write_bytes(b"\0" * 132)
    count, loaded = _loaded_after_resolving([str(tmp_path / "a.dcm"), str(tmp_path / "sub")])
    assert count == 2
    assert loaded == []


def test_a_dicom_json_file_is_still_recognised(tmp_path: Path) -> None:
    lines = tmp_path / "export.jsonl"
    instance = {"00080016": {"vr": "UI", "Value": ["1.2.840.10008.5.1.4.1.1.2"]}}
    lines.write_text(json.dumps(instance) + "\n" + json.dumps(instance) + "\n", encoding="utf-8")
    count, loaded = _loaded_after_resolving([str(lines)])
    assert count == 2  # one source per line, from the DICOM JSON resolver
    assert "iodkit.web.client" not in loaded  # a JSON file needs no client either

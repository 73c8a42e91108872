"""``iodkit validate`` as a CI user meets it: inputs, exit codes, output forms, the progress bar,
baselines, and the layers WEB and others extend (input resolvers, runners)."""

from __future__ import annotations

import argparse
import io
import json
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from iodkit.validation import inputs, output, runners
from iodkit.validation.api import FileReport
from iodkit.validation.cli import add_arguments, run
from iodkit.validation.findings import Finding, shown

SEG = "highdicom/seg_image_ct_binary.dcm"  # clean
BROKEN = "fodicom/GH1339.dcm"  # 2 errors (and warnings)


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def cli(argv: list[str], stderr: io.StringIO | None = None) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    out, err = io.StringIO(), stderr if stderr is not None else io.StringIO()
    saved = sys.stderr
    sys.stderr = err
    try:
        code = run(parser.parse_args(argv), out)
    finally:
        sys.stderr = saved
    return code, out.getvalue(), err.getvalue()


@pytest.fixture()
def folder(testdata: Path, tmp_path: Path) -> Path:
    """A folder as found on disk: two DICOM files, hidden litter, a README."""
    (tmp_path / "scans" / "sub").mkdir(parents=True)
    shutil.copy(testdata / SEG, tmp_path / "scans" / "seg.dcm")
    shutil.copy(testdata / BROKEN, tmp_path / "scans" / "sub" / "broken.dcm")
    (tmp_path / "scans" / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    (tmp_path / "scans" / "._seg.dcm").write_bytes(b"\0\5\26\7")  # a macOS resource fork
    (tmp_path / "scans" / ".git").mkdir()
    (tmp_path / "scans" / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (tmp_path / "scans" / "README.md").write_text("# scans\n")
    return tmp_path / "scans"


def test_help_lists_the_exit_codes() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "iodkit.cli", "validate", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "exit codes:" in out
    for line in ("  0  no errors", "  1  errors found", "  2  could not run"):
        assert line in out


def test_folder_walk_skips_hidden_files_and_lists_them_with_v(folder: Path) -> None:
    code, out, _ = cli([str(folder)])
    assert code == 1
    assert "2 files, 1 with errors" in out and ".DS_Store" not in out
    code, out, _ = cli(["-v", str(folder)])
    skipped = [line for line in out.splitlines() if line.startswith("skipped")]
    assert sorted(skipped) == sorted(
        [
            f"skipped (hidden): {folder / '.DS_Store'}",
            f"skipped (hidden): {folder / '._seg.dcm'}",
            f"skipped (hidden): {folder / '.git' / 'HEAD'}",
            f"skipped (not DICOM by its suffix): {folder / 'README.md'}",
        ]
    )
    code, out, _ = cli(["--include-hidden", str(folder)])
    assert "5 files" in out  # the hidden ones are then validated (and are not DICOM)


def test_globs_and_lists(folder: Path, tmp_path: Path) -> None:
    code, out, _ = cli([str(folder / "**" / "*.dcm")])
    assert "2 files" in out
    listing = tmp_path / "list.txt"
    listing.write_text(f"# what CI checks\n{folder / 'seg.dcm'}\n\n{folder / 'sub'}\n")
    code, out, _ = cli([f"@{listing}"])
    assert code == 1 and "2 files, 1 with errors" in out
    code, _, err = cli([str(folder / "*.nothing")])
    assert code == 2 and "no such file or folder" in err


def test_nothing_to_validate_is_exit_2(tmp_path: Path) -> None:
    (tmp_path / ".hidden").write_bytes(b"x")
    code, _, err = cli([str(tmp_path)])
    assert code == 2
    assert "nothing to validate (1 file skipped)" in err


def test_an_unreachable_dicomweb_server_is_named_as_such(monkeypatch: pytest.MonkeyPatch) -> None:
    """QA-38: it was reported as a missing path, urllib3's retry text around the one fact."""
    pytest.importorskip("dicomweb_client", reason="pip install 'iodkit[web]'")
    import socket

    from iodkit.web import inputs as web_inputs
    from iodkit.web.client import DicomWeb

    with socket.socket() as s:  # a port nothing listens on once the socket is closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    root = f"http://127.0.0.1:{port}/dicom-web"
    web = DicomWeb(root)
    web.client.set_http_retry_params(retry=False)  # dicomweb-client retries ~30 s by default
    monkeypatch.setitem(web_inputs._SERVICES, root, web)
    for arg in (f"{root}/studies/1.2.3", f"{root}/studies/1.2.3/metadata"):
        code, _, err = cli([arg])
        assert code == 2
        assert f"cannot reach the DICOMweb server at {root} (connection refused)" in err
        assert "no such file" not in err and "Max retries" not in err
    import requests

    def broken(*args: object) -> None:  # the server answered, then the answer broke off
        raise requests.exceptions.ChunkedEncodingError("Connection broken: IncompleteRead")

    with pytest.raises(Exception, match=f"retrieve: no whole answer from {root}: Connection"):
        web._call("retrieve", broken)


def test_plurals(testdata: Path) -> None:
    _, out, _ = cli([str(testdata / SEG)])
    assert re.match(
        r"1 file, 0 with errors; 0 errors, (1 warning|\d+ warnings),", out.splitlines()[-1]
    )
    _, out, _ = cli(["-q", str(testdata / BROKEN), str(testdata / SEG)])
    assert out.splitlines()[-1].startswith("2 files, 1 with errors; 2 errors, ")
    assert not any("s, 1 warnings" in line or " 1 errors" in line for line in out.splitlines())
    assert output.plural(1, "entry", "entries") == "1 entry"
    assert output.plural(3, "entry", "entries") == "3 entries"


def test_json_honours_v_and_q(testdata: Path) -> None:
    files = [str(testdata / BROKEN), str(testdata / SEG)]
    severities = {}
    for flag in ("-q", None, "-v"):
        _, out, _ = cli(["--json", *([flag] if flag else []), *files])
        doc = json.loads(out)
        severities[flag] = {f["severity"] for e in doc["files"] for f in e["findings"]}
        if flag == "-q":
            assert [e["file"] for e in doc["files"]] == files[:1]  # only files with errors
        else:
            assert [e["file"] for e in doc["files"]] == files
        assert doc["summary"]["files"] == 2 and doc["summary"]["errors"] == 2
    assert severities["-q"] == {"error"}
    assert severities[None] == {"error", "warning"}
    assert severities["-v"] == {"error", "warning", "info"}
    # one name per count: the summary's keys are the files' keys, summed (QA-32: "infos")
    for key in ("errors", "warnings", "undecided", "suppressed"):
        assert doc["summary"][key] == sum(e[key] for e in doc["files"]), key


def test_values_are_shortened_visibly() -> None:
    assert shown("1.2.3") == "'1.2.3'"
    long = "A" * 300
    text = shown(long)
    assert text.endswith("…' (300 characters)") and len(text) < 90
    assert shown("it's " * 30).endswith('…" (150 characters)')


def test_a_long_bad_value_is_quoted_shortened(testdata: Path) -> None:
    import pydicom
    from iodkit.validation import validate

    ds = pydicom.dcmread(testdata / SEG)
    with pytest.warns(UserWarning, match="exceeds the maximum length"):
        ds.SeriesDescription = "x" * 60 + "\x01" + "y" * 200  # LO: 64 at most, no controls
    msgs = [f.message for f in validate(ds) if f.path == "SeriesDescription"]
    assert msgs and all("…' (261 characters)" in m for m in msgs), msgs


# ---------------------------------------------------------------------------------------------
# progress bar


def test_progress_bar_on_a_terminal_only_and_never_in_stdout(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(output.Progress, "DELAY", 0.0)
    tty = Terminal()
    code, out, _ = cli([str(folder)], stderr=tty)
    err = tty.getvalue()
    assert "validating:" in err and "/2 [" in err and "file/s" in err  # tqdm drew it
    assert "\r" not in out and "validating" not in out
    # cleared before each report was written and at the end: the terminal's last line is blank
    assert re.search(r"\r +\r$", err)
    # and left no monitor thread behind (a process with threads must not fork)
    assert not [t for t in threading.enumerate() if type(t).__name__ == "TMonitor"]
    # --json: stdout is the JSON document and nothing else
    tty = Terminal()
    code, out, _ = cli(["--json", str(folder)], stderr=tty)
    assert json.loads(out)["summary"]["files"] == 2
    # not a terminal: no bar at all
    code, out, err = cli([str(folder)])
    assert "validating" not in err
    code, out, _ = cli(["--no-progress", str(folder)], stderr=(tty := Terminal()))
    assert tty.getvalue() == ""


# ---------------------------------------------------------------------------------------------
# baselines


def test_baseline_suppresses_reports_and_names_unused_entries(
    testdata: Path, tmp_path: Path
) -> None:
    broken = str(testdata / BROKEN)
    base = tmp_path / "baseline.json"
    code, out, err = cli(["--write-baseline", str(base), broken])
    assert code == 0 and "wrote " in err
    entries = json.loads(base.read_text())["suppress"]
    assert {e["code"] for e in entries} >= {"missing"}
    code, out, _ = cli(["--baseline", str(base), broken])
    assert code == 0
    assert "suppressed by the baseline" in out.splitlines()[-1]
    # an entry for a problem that is gone is named with -v
    entries.append({"code": "vr", "path": "Nothing", "reason": "fixed upstream"})
    base.write_text(json.dumps({"suppress": entries}))
    code, out, _ = cli(["-v", "--baseline", str(base), broken])
    assert "baseline entry matched nothing (can go): code='vr', path='Nothing'" in out
    assert sum(line.startswith("  SUPPRESSED ERROR") for line in out.splitlines()) == 2
    # JSON marks what it suppressed
    _, out, _ = cli(["--json", "-v", "--baseline", str(base), broken])
    doc = json.loads(out)
    assert doc["summary"]["suppressed"] >= 2 and doc["summary"]["errors"] == 0
    assert any(f.get("suppressed") for f in doc["files"][0]["findings"])


def test_baseline_patterns_and_bad_files(testdata: Path, tmp_path: Path) -> None:
    base = tmp_path / "b.json"
    base.write_text(json.dumps({"suppress": [{"file": "*GH1339*", "severity": "error"}]}))
    assert cli(["--baseline", str(base), str(testdata / BROKEN)])[0] == 0
    base.write_text(json.dumps({"suppress": [{"reason": "no pattern"}]}))
    code, _, err = cli(["--baseline", str(base), str(testdata / BROKEN)])
    assert code == 2 and "entry 1 names no code, path, file or severity" in err
    base.write_text("{not json")
    code, _, err = cli(["--baseline", str(base), str(testdata / BROKEN)])
    assert code == 2 and "not a JSON baseline" in err


# ---------------------------------------------------------------------------------------------
# the layers others extend


def echo_runner(sources: list[inputs.Source], context: object, jobs: int) -> Iterator[FileReport]:
    for s in sources:
        yield FileReport(s.name, "Echo", [Finding("warning", "value", "", f"echo {s.location}")])


def test_a_registered_runner_is_a_flag(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(runners.RUNNERS, "echo", f"{__name__}:echo_runner")
    code, out, _ = cli(["--echo", str(folder)])
    assert code == 0 and out.count("[Echo]") == 2


def url_resolver(arg: str, options: inputs.ResolveOptions) -> inputs.Resolution | None:
    if not arg.startswith("https://"):
        return None
    return inputs.Resolution([inputs.Source(arg, arg, f"{__name__}:url_validator")])


def url_validator(source: inputs.Source, context: object) -> FileReport:
    return FileReport(source.name, "Remote", [Finding("error", "read", "", "fetched nothing")])


def test_a_registered_input_kind(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inputs, "RESOLVERS", (f"{__name__}:url_resolver", *inputs.RESOLVERS))
    code, out, _ = cli(["https://pacs.example/studies/1", str(folder / "seg.dcm")])
    assert code == 1
    assert "https://pacs.example/studies/1 [Remote]: 1 error" in out
    # the processes runner hands such sources to its workers too (they are plain data)
    code, out2, _ = cli(["-j", "2", "https://pacs.example/studies/1", str(folder / "seg.dcm")])
    assert out2.splitlines()[:-1] == out.splitlines()[:-1]

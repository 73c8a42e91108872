"""`iodkit standard download` against a local HTTP server that serves real DocBook files from the
shared standard folder under NEMA's URL layout (nothing here reaches NEMA)."""

from __future__ import annotations

import http.server
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from iodkit.cli import main
from iodkit.codegen.download import EDITIONS_FILE, load_config

pytestmark = pytest.mark.standard

LAYOUT = "/medical/dicom/{edition}/source/docbook/part{part}/part{part}.xml"


@dataclass
class Served:
    """What the test server holds and what it was asked."""

    files: dict[str, bytes]
    etag: str = '"v1"'
    ignore_range: bool = False
    ignore_if_range: bool = False  # answers a Range request even when If-Range does not match
    cut_after: int | None = None  # close the connection after this many body bytes, once
    requests: list[dict[str, str | None]] = field(default_factory=list)

    def ranges(self) -> list[str | None]:
        return [r["range"] for r in self.requests]


class _Handler(http.server.BaseHTTPRequestHandler):
    served: Served

    def do_GET(self) -> None:  # noqa: N802
        s = self.served
        s.requests.append(
            {
                "path": self.path,
                "range": self.headers.get("Range"),
                "if_range": self.headers.get("If-Range"),
            }
        )
        data = s.files.get(self.path)
        if data is None:
            self.send_error(404)
            return
        start, status = 0, 200
        rng, if_range = self.headers.get("Range"), self.headers.get("If-Range")
        fresh = if_range is None or if_range == s.etag or s.ignore_if_range
        if rng and not s.ignore_range and fresh:
            start = int(rng.removeprefix("bytes=").split("-")[0])
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            status = 206
        body = data[start:]
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", s.etag)
        self.send_header("Accept-Ranges", "bytes")
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.end_headers()
        if s.cut_after is not None:
            body, s.cut_after = body[: s.cut_after], None
            self.close_connection = True
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def sources(standard: Path) -> dict[str, bytes]:
    part04 = standard / "2020c" / "docbook" / "part04.xml"
    part06 = standard / "2015b" / "docbook" / "part06.xml"
    for p in (part04, part06):
        if not p.is_file():
            pytest.skip(f"{p} not found (set IODKIT_STANDARD to a folder of editions)")
    p4, p6 = part04.read_bytes(), part06.read_bytes()
    return {
        LAYOUT.format(edition="2020c", part="04"): p4,
        LAYOUT.format(edition="current", part="04"): p4,
        LAYOUT.format(edition="2015b", part="06"): p6,
        LAYOUT.format(edition="current", part="06"): p6,  # as if NEMA moved on mid-download
        LAYOUT.format(edition="2016a", part="06"): p6,  # says 2015b inside
        LAYOUT.format(edition="2020b", part="04"): p4[: len(p4) // 2],  # cut in half
    }


@pytest.fixture
def server(sources: dict[str, bytes]) -> Iterator[tuple[str, Served]]:
    served = Served(dict(sources))
    handler = type("Handler", (_Handler,), {"served": served})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/medical/dicom", served
    finally:
        httpd.shutdown()
        httpd.server_close()


def download(tmp_path: Path, base: str, edition: str, *more: str) -> int:
    return main(
        ["standard", "download", edition, "--dest", str(tmp_path), "--base-url", base, *more]
    )


def test_editions_file() -> None:
    config = load_config()
    assert EDITIONS_FILE.is_file()
    assert config.parts == ["03", "04", "06", "15", "16"]
    assert {"2014a", "2016c", "2024c", "2026c", "current"} <= set(config.editions)
    assert config.url("2025c", "03") == (
        "https://dicom.nema.org/medical/dicom/2025c/source/docbook/part03/part03.xml"
    )
    assert config.url("current", "16").endswith(
        "/medical/dicom/current/source/docbook/part16/part16.xml"
    )


def test_fresh_download_is_checked_recorded_and_shows_progress(
    tmp_path: Path, server: tuple[str, Served], sources: dict[str, bytes], capsys
) -> None:
    base, served = server
    assert download(tmp_path, base, "2020c", "--parts", "4") == 0
    final = tmp_path / "2020c" / "docbook" / "part04.xml"
    expected = sources[LAYOUT.format(edition="2020c", part="04")]
    assert final.read_bytes() == expected
    assert sorted(p.name for p in final.parent.iterdir()) == ["part04.xml"]  # no .part left
    manifest = json.loads((tmp_path / "2020c" / "download.json").read_text())
    entry = manifest["parts"]["04"]
    assert (manifest["edition"], entry["edition"], entry["bytes"]) == (
        "2020c",
        "2020c",
        len(expected),
    )
    assert entry["url"] == f"{base}/2020c/source/docbook/part04/part04.xml"
    err = capsys.readouterr().err
    assert f"part04.xml: {len(expected):,} / {len(expected):,} bytes (100%)" in err
    assert served.ranges() == [None]


def test_second_run_downloads_nothing(tmp_path: Path, server: tuple[str, Served], capsys) -> None:
    base, served = server
    assert download(tmp_path, base, "2020c", "--parts", "04") == 0
    capsys.readouterr()
    assert download(tmp_path, base, "2020c", "--parts", "04") == 0
    assert len(served.requests) == 1
    assert "already there (2020c" in capsys.readouterr().err


def test_a_complete_file_without_record_is_checked_not_fetched(
    tmp_path: Path, server: tuple[str, Served], sources: dict[str, bytes]
) -> None:
    base, served = server
    final = tmp_path / "2015b" / "docbook" / "part06.xml"
    final.parent.mkdir(parents=True)
    final.write_bytes(sources[LAYOUT.format(edition="2015b", part="06")])
    assert download(tmp_path, base, "2015b", "--parts", "06") == 0
    assert served.requests == []
    # A damaged one is fetched again.
    final.write_bytes(b"<book")
    assert download(tmp_path, base, "2015b", "--parts", "06") == 0
    assert len(served.requests) == 1 and final.stat().st_size > 4_000_000


def test_resume_of_a_truncated_part_file(
    tmp_path: Path, server: tuple[str, Served], sources: dict[str, bytes]
) -> None:
    base, served = server
    data = sources[LAYOUT.format(edition="2020c", part="04")]
    partial = tmp_path / "2020c" / "docbook" / "part04.xml.part"
    partial.parent.mkdir(parents=True)
    partial.write_bytes(data[:1_000_000])
    assert download(tmp_path, base, "2020c", "--parts", "04") == 0
    assert served.ranges() == ["bytes=1000000-"]
    assert (tmp_path / "2020c" / "docbook" / "part04.xml").read_bytes() == data
    assert not partial.exists()


def test_interrupted_download_resumes_on_the_next_run(
    tmp_path: Path, server: tuple[str, Served], sources: dict[str, bytes], capsys
) -> None:
    base, served = server
    served.cut_after = 1_500_000
    assert download(tmp_path, base, "2020c", "--parts", "04") == 2
    err = capsys.readouterr().err
    assert "stopped at 1,500,000 of" in err and "run the command again to resume" in err
    assert "Traceback" not in err
    folder = tmp_path / "2020c" / "docbook"
    assert (folder / "part04.xml.part").stat().st_size == 1_500_000
    assert not (folder / "part04.xml").exists()
    assert download(tmp_path, base, "2020c", "--parts", "04") == 0
    assert served.requests[1]["range"] == "bytes=1500000-"
    assert served.requests[1]["if_range"] == '"v1"'  # resumes only the same file
    assert (folder / "part04.xml").read_bytes() == sources[
        LAYOUT.format(edition="2020c", part="04")
    ]


def test_a_server_ignoring_range_is_read_from_the_start(
    tmp_path: Path, server: tuple[str, Served], sources: dict[str, bytes], capsys
) -> None:
    base, served = server
    served.ignore_range = True
    partial = tmp_path / "2020c" / "docbook" / "part04.xml.part"
    partial.parent.mkdir(parents=True)
    partial.write_bytes(b"x" * 1000)  # not even a prefix: appending to it would be garbage
    assert download(tmp_path, base, "2020c", "--parts", "04") == 0
    assert served.ranges() == ["bytes=1000-"]
    assert "ignored the range request; starting over" in capsys.readouterr().err
    final = tmp_path / "2020c" / "docbook" / "part04.xml"
    assert final.read_bytes() == sources[LAYOUT.format(edition="2020c", part="04")]


def test_a_file_changed_on_the_server_is_fetched_anew(
    tmp_path: Path, server: tuple[str, Served], sources: dict[str, bytes], capsys
) -> None:
    base, served = server
    data = sources[LAYOUT.format(edition="2020c", part="04")]
    url = f"{base}/2020c/source/docbook/part04/part04.xml"
    partial = tmp_path / "2020c" / "docbook" / "part04.xml.part"
    partial.parent.mkdir(parents=True)
    partial.write_bytes(b"y" * 5000)
    partial.with_name("part04.xml.part.json").write_text(
        json.dumps({"url": url, "etag": '"v0"', "last_modified": None, "total": len(data) + 7})
    )
    assert download(tmp_path, base, "2020c", "--parts", "04") == 0
    assert served.requests[0]["range"] == "bytes=5000-"
    assert served.requests[0]["if_range"] == '"v0"'
    assert "file changed on the server; starting over" in capsys.readouterr().err
    assert (tmp_path / "2020c" / "docbook" / "part04.xml").read_bytes() == data


def test_a_changed_file_is_noticed_even_if_the_server_ignores_if_range(
    tmp_path: Path, server: tuple[str, Served], sources: dict[str, bytes], capsys
) -> None:
    base, served = server
    served.ignore_if_range = True
    data = sources[LAYOUT.format(edition="2020c", part="04")]
    url = f"{base}/2020c/source/docbook/part04/part04.xml"
    partial = tmp_path / "2020c" / "docbook" / "part04.xml.part"
    partial.parent.mkdir(parents=True)
    partial.write_bytes(b"z" * 5000)
    partial.with_name("part04.xml.part.json").write_text(
        json.dumps({"url": url, "etag": '"v0"', "last_modified": None, "total": len(data)})
    )
    assert download(tmp_path, base, "2020c", "--parts", "04") == 0
    assert served.ranges() == ["bytes=5000-", None]  # the 206 was dropped, then a fresh GET
    assert "the file on the server changed; starting over" in capsys.readouterr().err
    assert (tmp_path / "2020c" / "docbook" / "part04.xml").read_bytes() == data


def test_wrong_edition_is_refused_and_nothing_is_kept(
    tmp_path: Path, server: tuple[str, Served], capsys
) -> None:
    base, _ = server
    assert download(tmp_path, base, "2016a", "--parts", "06") == 1
    err = capsys.readouterr().err
    assert "this is PS3.6 2015b, not 2016a" in err
    assert f"{base}/2016a/source/docbook/part06/part06.xml" in err
    assert list(tmp_path.iterdir()) == []  # no file, not even an empty folder


def test_malformed_xml_is_refused(tmp_path: Path, server: tuple[str, Served], capsys) -> None:
    base, _ = server
    assert download(tmp_path, base, "2020b", "--parts", "04") == 1
    err = capsys.readouterr().err
    assert "not well-formed XML" in err and "part04.xml" in err
    assert list(tmp_path.iterdir()) == []


def test_404_names_the_url_and_the_other_parts_still_come(
    tmp_path: Path, server: tuple[str, Served], capsys
) -> None:
    base, _ = server
    assert download(tmp_path, base, "2020c") == 2  # the default parts: 03 04 06 15 16
    err = capsys.readouterr().err
    assert f"not found (HTTP 404): {base}/2020c/source/docbook/part03/part03.xml" in err
    assert "no such edition or part there" in err
    assert (tmp_path / "2020c" / "docbook" / "part04.xml").is_file()
    assert download(tmp_path, base, "2099a", "--parts", "03") == 2
    err = capsys.readouterr().err
    assert "2099a is not in editions.yaml" in err and "HTTP 404" in err


def test_current_records_which_edition_it_was(
    tmp_path: Path, server: tuple[str, Served], capsys
) -> None:
    base, _ = server
    assert download(tmp_path, base, "current", "--parts", "04") == 0
    assert "current is 2020c" in capsys.readouterr().err
    manifest = json.loads((tmp_path / "current" / "download.json").read_text())
    assert manifest["edition"] == "2020c"


def test_current_from_two_editions_is_an_error(
    tmp_path: Path, server: tuple[str, Served], capsys
) -> None:
    base, _ = server
    assert download(tmp_path, base, "current", "--parts", "04,06") == 1
    err = capsys.readouterr().err
    assert "current is 2015b, 2020c" in err and "different editions" in err
    assert "edition" not in json.loads((tmp_path / "current" / "download.json").read_text())


def test_base_url_from_the_environment(
    tmp_path: Path, server: tuple[str, Served], monkeypatch: pytest.MonkeyPatch
) -> None:
    base, served = server
    monkeypatch.setenv("IODKIT_STANDARD_BASE_URL", base)
    args = ["standard", "download", "2015b", "--parts", "06", "--dest", str(tmp_path)]
    assert main(args) == 0
    assert served.requests[0]["path"] == LAYOUT.format(edition="2015b", part="06")


def _one_line_error(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1 and "Traceback" not in err
    return lines[0]


def test_no_network_connection_refused(tmp_path: Path, capsys) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}/medical/dicom"
    assert download(tmp_path, base, "2025c") == 2
    line = _one_line_error(capsys.readouterr().err)
    assert "no network" in line and "refused" in line
    assert f"{base}/2025c/source/docbook/part03/part03.xml" in line  # stops at the first part
    assert list(tmp_path.iterdir()) == []


def test_no_network_name_resolution(
    tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_dns(*args: object, **kwargs: object) -> None:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    assert download(tmp_path, "https://dicom.nema.org/medical/dicom", "2025c", "--parts", "3") == 2
    line = _one_line_error(capsys.readouterr().err)
    assert "no network: cannot resolve dicom.nema.org" in line
    assert "https://dicom.nema.org/medical/dicom/2025c/source/docbook/part03/part03.xml" in line


def test_no_network_timeout(tmp_path: Path, capsys) -> None:
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        base = f"http://127.0.0.1:{silent.getsockname()[1]}/medical/dicom"
        assert download(tmp_path, base, "2025c", "--parts", "3", "--timeout", "0.3") == 2
    line = _one_line_error(capsys.readouterr().err)
    assert "did not answer in time" in line and "part03.xml" in line


def test_bad_arguments(tmp_path: Path, capsys) -> None:
    assert download(tmp_path, "http://127.0.0.1:9", "25c") == 2
    assert "not an edition name" in capsys.readouterr().err
    assert download(tmp_path, "http://127.0.0.1:9", "2025c", "--parts", "3,x") == 2
    assert "not a part number: 'x'" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []

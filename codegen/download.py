"""``iodkit standard download EDITION``: fetch an edition's DocBook sources from NEMA.

Each part goes to ``<dest>/<edition>/docbook/partNN.xml``, the layout the generator reads
(``iodkit generate --source standard_xml/2025c``). A part is written to ``partNN.xml.part``
first and renamed only once it is well-formed XML whose book subtitle names the requested
part and edition ("DICOM PS3.3 2025c - Information Object Definitions"), so a half or wrong
download never looks complete. An interrupted download resumes with an HTTP Range request,
guarded by the server's ETag/Last-Modified so a file that changed meanwhile is fetched anew.
``<dest>/<edition>/download.json`` records what was fetched (URL, size, SHA-256, the edition
the subtitle names — for ``current``, which edition that was) so a second run checks, rather
than downloads, what is already there.

Only the standard library talks to the network (urllib); lxml, through the project's safe
parser, checks the result.

Exit codes: 0 done; 1 a download arrived but is not what was asked for (wrong edition,
malformed XML); 2 nothing could be fetched (no network, unknown edition or part, bad arguments).
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import re
import socket
import ssl
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import yaml

from .sources.docbook import book_edition
from .sources.xmlsafe import SourceError, parse_file

EDITIONS_FILE = Path(__file__).resolve().parent.parent / "standard_xml" / "editions.yaml"
BASE_URL_ENV = "IODKIT_STANDARD_BASE_URL"
_EDITION_NAME = re.compile(r"^(?:\d{4}[a-z]|current)$")
_CHUNK = 1 << 20
_USER_AGENT = "iodkit-standard-download/1 (+https://github.com/iodkit)"

# Used when editions.yaml is not next to the code (an installed wheel).
_DEFAULTS: dict[str, Any] = {
    "base_url": "https://dicom.nema.org/medical/dicom",
    "url_template": "{base_url}/{edition}/source/docbook/part{part}/part{part}.xml",
    "parts": ["03", "04", "06", "15", "16"],
    "editions": [],
}


class DownloadError(Exception):
    """A part could not be downloaded; ``code`` is the exit code it deserves."""

    code = 2


class NoNetwork(DownloadError):
    """The server could not be reached at all: every other part would fail the same way."""


class NotFound(DownloadError):
    """HTTP 404: the edition or part does not exist at that URL."""


class Interrupted(DownloadError):
    """The transfer broke off; the ``.part`` file is kept for the next run to resume."""


class Rejected(DownloadError):
    """The file arrived but is not the requested part and edition, or not XML at all."""

    code = 1


@dataclass
class Config:
    """editions.yaml: where editions live and which parts the generator reads."""

    base_url: str
    url_template: str
    parts: list[str]
    editions: list[str] = field(default_factory=list)

    def url(self, edition: str, part: str) -> str:
        return self.url_template.format(
            base_url=self.base_url.rstrip("/"), edition=edition, part=part
        )


def load_config(path: Path | None = None) -> Config:
    data = dict(_DEFAULTS)
    path = EDITIONS_FILE if path is None else path
    if path.is_file():
        loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(loaded, dict):
            raise DownloadError(f"{path}: expected a mapping")
        data.update(loaded)
    return Config(
        base_url=str(data["base_url"]),
        url_template=str(data["url_template"]),
        parts=[normalise_part(str(p)) for p in data["parts"]],
        editions=[str(e) for e in data.get("editions") or []],
    )


def normalise_part(text: str) -> str:
    """ "3", "03", "PS3.3" → "03"."""
    digits = text.strip().upper().removeprefix("PS3.").removeprefix("PART")
    if not digits.isdigit() or not 1 <= int(digits) <= 99:
        raise DownloadError(f"not a part number: {text!r} (expected e.g. 03 or 16)")
    return f"{int(digits):02d}"


# -- progress -----------------------------------------------------------------------------------


class Progress:
    """Bytes so far of one file on stderr: updated in place on a terminal, a few lines otherwise."""

    def __init__(self, name: str, stream: IO[str]) -> None:
        self.name = name
        self.stream = stream
        self.tty = stream.isatty()
        self.last = 0.0
        self.next_quarter = 0
        self.shown = -1

    def update(self, done: int, total: int | None, final: bool = False) -> None:
        of = f"{total:,}" if total else "?"
        pct = f" ({100 * done // total}%)" if total else ""
        line = f"{self.name}: {done:,} / {of} bytes{pct}"
        if self.tty:
            now = time.monotonic()
            if final or now - self.last > 0.1:
                self.last = now
                self.stream.write("\r" + line + ("\n" if final else ""))
                self.stream.flush()
        elif done != self.shown and (final or (total and 4 * done >= self.next_quarter * total)):
            self.next_quarter = 4 * done // total + 1 if total else 0
            self.shown = done
            self.stream.write(line + "\n")
            self.stream.flush()


# -- HTTP ---------------------------------------------------------------------------------------


@dataclass
class _Partial:
    """What is known about a ``.part`` file: enough to resume it safely."""

    url: str = ""
    etag: str | None = None
    last_modified: str | None = None
    total: int | None = None

    @classmethod
    def load(cls, path: Path) -> _Partial:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(**{k: data.get(k) for k in ("url", "etag", "last_modified", "total")})
        except (OSError, ValueError, TypeError):
            return cls()

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.__dict__, indent=1), encoding="utf-8")


def _network_error(url: str, exc: BaseException) -> DownloadError:
    """A one-line reason for a failed connection, naming the URL."""
    host = urllib.parse.urlsplit(url).netloc
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, socket.gaierror):
        return NoNetwork(f"no network: cannot resolve {host} ({reason.strerror}) for {url}")
    if isinstance(reason, ConnectionRefusedError):
        return NoNetwork(f"no network: connection to {host} refused for {url}")
    if isinstance(reason, (TimeoutError, socket.timeout)):
        return NoNetwork(f"no network: {host} did not answer in time for {url}")
    if isinstance(reason, ssl.SSLError):
        return NoNetwork(f"cannot talk to {host} securely ({reason}) for {url}")
    if isinstance(reason, OSError):
        text = reason.strerror or str(reason)
        return NoNetwork(f"no network: cannot reach {host} ({text}) for {url}")
    return NoNetwork(f"no network: cannot reach {host} ({reason}) for {url}")


def fetch(url: str, target: Path, *, timeout: float, stream: IO[str]) -> None:
    """Download ``url`` to ``target`` (a ``.part`` file), resuming what is already there.

    The resume is an HTTP Range request with ``If-Range`` (the ETag or Last-Modified the first
    response carried), so a server whose file changed sends the whole new file; a server that
    ignores ranges sends it whole too. Either way the ``.part`` file is started over.
    """
    meta_path = target.with_name(target.name + ".json")
    have = target.stat().st_size if target.exists() else 0
    known = _Partial.load(meta_path) if have else _Partial()
    if have and known.url and known.url != url:
        have = 0  # a leftover of another URL (e.g. another base URL)
    headers = {"User-Agent": _USER_AGENT, "Accept-Encoding": "identity"}
    if have:
        headers["Range"] = f"bytes={have}-"
        validator = known.etag or known.last_modified
        if validator:
            headers["If-Range"] = validator
    try:
        response = urllib.request.urlopen(
            urllib.request.Request(url, headers=headers), timeout=timeout
        )
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            raise NotFound(f"not found (HTTP 404): {url} — no such edition or part there") from None
        if exc.code == 416 and have:  # nothing left to send: the .part may be complete
            if known.total == have:
                return
            target.unlink(missing_ok=True)
            meta_path.unlink(missing_ok=True)
            return fetch(url, target, timeout=timeout, stream=stream)
        raise DownloadError(f"HTTP {exc.code} {exc.reason} from {url}") from None
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        raise _network_error(url, exc) from None
    with response:
        status = response.status
        length = response.headers.get("Content-Length")
        size = int(length) if length and length.isdigit() else None
        etag, modified = response.headers.get("ETag"), response.headers.get("Last-Modified")
        if status == 206:
            start, total = _content_range(response.headers.get("Content-Range", ""))
            moved = known.etag is not None and etag is not None and etag != known.etag
            if start != have or moved or (known.total is not None and total != known.total):
                # Not the continuation we asked for, or another file (a server that ignores
                # If-Range but says what it sends): start over.
                response.close()
                target.unlink(missing_ok=True)
                meta_path.unlink(missing_ok=True)
                stream.write(f"{target.name}: the file on the server changed; starting over\n")
                return fetch(url, target, timeout=timeout, stream=stream)
            mode, done = "ab", have
        else:
            if have:
                changed = known.etag is not None and etag is not None and etag != known.etag
                why = (
                    "file changed on the server" if changed else "server ignored the range request"
                )
                stream.write(f"{target.name}: the {why}; starting over\n")
            mode, done, total = "wb", 0, size
        _Partial(url, etag, modified, total).save(meta_path)
        progress = Progress(target.name.removesuffix(".part"), stream)
        try:
            with open(target, mode) as out:
                while chunk := response.read(_CHUNK):
                    out.write(chunk)
                    done += len(chunk)
                    progress.update(done, total)
        except (OSError, http.client.HTTPException) as exc:
            raise Interrupted(
                f"download of {url} interrupted after {done:,} bytes ({exc.__class__.__name__}); "
                "run the command again to resume"
            ) from None
        progress.update(done, total, final=True)
        if total is not None and done != total:
            raise Interrupted(
                f"download of {url} stopped at {done:,} of {total:,} bytes; "
                "run the command again to resume"
            )


def _content_range(value: str) -> tuple[int | None, int | None]:
    """ "bytes 100-199/1000" → (100, 1000)."""
    m = re.match(r"^\s*bytes\s+(\d+)-\d+/(\d+|\*)\s*$", value)
    if not m:
        return None, None
    return int(m.group(1)), (int(m.group(2)) if m.group(2) != "*" else None)


# -- checking what arrived ----------------------------------------------------------------------


def verify(path: Path, edition: str, part: str, url: str = "") -> str:
    """Check a downloaded part; return the edition its subtitle names.

    Well-formed XML (parsed with the project's safe parser), a DocBook book, and a subtitle
    naming PS3.<part> and ``edition`` (any edition when ``edition`` is "current").
    """
    where = url or str(path)
    try:
        root = parse_file(path)
    except SourceError as exc:
        raise Rejected(f"{where}: {str(exc).removeprefix(f'{path}: ')}") from None
    if not isinstance(root.tag, str) or not root.tag.endswith("book"):
        raise Rejected(f"{where}: not a DocBook book (root element {root.tag!r})")
    found_part, found_edition = book_edition(root)
    if found_edition is None or found_part is None:
        raise Rejected(
            f"{where}: no subtitle naming the part and edition (e.g. 'DICOM PS3.3 2025c')"
        )
    if found_part != int(part):
        raise Rejected(f"{where}: this is PS3.{found_part}, not PS3.{int(part)}")
    if edition != "current" and found_edition != edition:
        raise Rejected(f"{where}: this is PS3.{found_part} {found_edition}, not {edition}")
    return found_edition


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(_CHUNK):
            h.update(block)
    return h.hexdigest()


# -- one edition ---------------------------------------------------------------------------------


class Manifest:
    """``<dest>/<edition>/download.json``: what was fetched, from where, and which edition it is."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.data: dict[str, Any] = {"parts": {}}
        if path.is_file():
            try:
                loaded = json.loads(path.read_text(encoding="utf-8"))
                if isinstance(loaded, dict) and isinstance(loaded.get("parts"), dict):
                    self.data = loaded
            except ValueError:
                pass

    def entry(self, part: str) -> dict[str, Any]:
        e = self.data["parts"].get(part)
        return e if isinstance(e, dict) else {}

    def record(self, part: str, **values: Any) -> None:
        self.data["parts"][part] = values
        editions = {e.get("edition") for e in self.data["parts"].values()}
        if len(editions) == 1:
            self.data["edition"] = editions.pop()
        else:  # parts of different editions: the folder as a whole is none of them
            self.data.pop("edition", None)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps(self.data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(tmp, self.path)


def download_part(
    config: Config,
    edition: str,
    part: str,
    dest: Path,
    manifest: Manifest,
    *,
    timeout: float,
    force: bool,
    stream: IO[str],
) -> str:
    """Make ``<dest>/<edition>/docbook/partNN.xml`` present and valid; return its edition."""
    url = config.url(edition, part)
    folder = dest / edition / "docbook"
    final = folder / f"part{part}.xml"
    partial = folder / f"part{part}.xml.part"
    meta = partial.with_name(partial.name + ".json")
    if final.exists() and not force:
        e = manifest.entry(part)
        size = final.stat().st_size
        if e.get("bytes") == size and e.get("sha256") == _sha256(final):
            stream.write(f"{final}: already there ({e.get('edition', edition)}, {size:,} bytes)\n")
            return str(e.get("edition", edition))
        try:  # complete but not recorded (e.g. copied in): check it instead of downloading
            found = verify(final, edition, part)
        except Rejected as exc:
            stream.write(f"{final}: {exc}; downloading it again\n")
        else:
            manifest.record(part, url=url, bytes=size, sha256=_sha256(final), edition=found)
            stream.write(f"{final}: already there ({found}, {size:,} bytes)\n")
            return found
    folder.mkdir(parents=True, exist_ok=True)
    if force:
        partial.unlink(missing_ok=True)
    stream.write(f"{url} → {final}\n")
    try:
        fetch(url, partial, timeout=timeout, stream=stream)
        found = verify(partial, edition, part, url)
    except Rejected:
        partial.unlink(missing_ok=True)  # complete but wrong: nothing to resume
        meta.unlink(missing_ok=True)
        _remove_empty(folder, dest)
        raise
    except DownloadError:
        _remove_empty(folder, dest)  # an interrupted .part stays, and so does its folder
        raise
    os.replace(partial, final)
    meta.unlink(missing_ok=True)
    size = final.stat().st_size
    manifest.record(part, url=url, bytes=size, sha256=_sha256(final), edition=found)
    return found


def _remove_empty(folder: Path, stop: Path) -> None:
    """Remove ``folder`` and its parents up to ``stop`` while they are empty."""
    while folder != stop and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent


def download_edition(
    config: Config,
    edition: str,
    parts: list[str],
    dest: Path,
    *,
    timeout: float = 60.0,
    force: bool = False,
    stream: IO[str] = sys.stderr,
) -> int:
    """Download ``parts`` of ``edition``; messages go to ``stream``; returns the exit code."""
    manifest = Manifest(dest / edition / "download.json")
    worst = 0
    found: set[str] = set()
    for part in parts:
        try:
            found.add(
                download_part(
                    config,
                    edition,
                    part,
                    dest,
                    manifest,
                    timeout=timeout,
                    force=force,
                    stream=stream,
                )
            )
        except NoNetwork as exc:
            stream.write(f"error: {exc}\n")
            return exc.code  # every other part would fail the same way
        except DownloadError as exc:
            stream.write(f"error: PS3.{int(part)} {edition}: {exc}\n")
            worst = max(worst, exc.code)
    if edition == "current" and found:
        stream.write(f"current is {', '.join(sorted(found))}\n")
        if len(found) > 1:  # NEMA published a new edition between two parts
            stream.write(
                f"error: the parts of current come from different editions; run again with "
                f"--force to fetch them all from {max(found)}\n"
            )
            worst = max(worst, Rejected.code)
    if worst == 0:
        stream.write(f"{edition}: {len(parts)} part(s) in {dest / edition / 'docbook'}\n")
    return worst


# -- command line --------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    d = sub.add_parser("download", help="download an edition's DocBook sources")
    d.add_argument("edition", help='e.g. 2025c, or "current"')
    d.add_argument("--parts", help="comma-separated part numbers (default: from editions.yaml)")
    d.add_argument("--dest", type=Path, default=Path("standard_xml"), help="default: standard_xml")
    d.add_argument(
        "--base-url",
        help=f"where editions live (default: ${BASE_URL_ENV}, else editions.yaml's base_url)",
    )
    d.add_argument(
        "--editions", type=Path, help="editions file (default: standard_xml/editions.yaml)"
    )
    d.add_argument(
        "--timeout", type=float, default=60.0, help="seconds per connection (default 60)"
    )
    d.add_argument("--force", action="store_true", help="download again even if complete")
    sub.add_parser("list", help="the known editions and the default parts")


def run(args: argparse.Namespace) -> int:
    stream = sys.stderr
    try:
        config = load_config(getattr(args, "editions", None))
        if args.action == "list":
            print(" ".join(config.editions))
            print(f"parts: {' '.join(config.parts)}")
            return 0
        edition = args.edition.strip().lower()
        if not _EDITION_NAME.match(edition):
            stream.write(
                f"error: {args.edition!r} is not an edition name (e.g. 2025c or current)\n"
            )
            return 2
        if config.editions and edition not in config.editions:
            stream.write(f"note: {edition} is not in editions.yaml; trying it anyway\n")
        parts = [normalise_part(p) for p in args.parts.split(",")] if args.parts else config.parts
        base = args.base_url or os.environ.get(BASE_URL_ENV) or config.base_url
        config.base_url = base
    except DownloadError as exc:
        stream.write(f"error: {exc}\n")
        return exc.code
    return download_edition(
        config, edition, parts, args.dest, timeout=args.timeout, force=args.force, stream=stream
    )

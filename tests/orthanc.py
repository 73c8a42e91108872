"""A real Orthanc with its DICOMweb plugin, started and stopped by the tests.

Orthanc (Debian packages ``orthanc`` and ``orthanc-dicomweb``) is the test-time DICOMweb server:
:class:`Orthanc` writes a configuration into a temporary folder (storage and index there too),
starts the server on 127.0.0.1 on a free port, waits until it answers, and stops it by its
process id. Quirks of these versions that the configuration and the tests account for:

* Orthanc has no bind-address option: ``RemoteAccessAllowed`` false keeps it to this machine;
* the DICOMweb plugin writes retrieve URLs (e.g. BulkDataURI) with the ``Host`` setting, which
  lacks the port unless it is given: it is set to ``127.0.0.1:<port>``;
* instances that share a Series Instance UID with another modality are merged into one series
  by the server: tests make fresh UIDs for every object they store;
* frame requests need an explicit media type (``application/octet-stream``), and float frames
  and 1-bit frames that are not a whole number of bytes are answered with HTTP 400.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

#: Where the Debian package puts the DICOMweb plugin (overridden by IODKIT_ORTHANC_PLUGIN).
PLUGIN_PATHS = (
    "/usr/share/orthanc/plugins/libOrthancDicomWeb.so",
    "/usr/lib/orthanc/plugins/libOrthancDicomWeb.so",
)
HOW_TO_GET = (
    "Orthanc with its DICOMweb plugin is not installed: `apt-get install orthanc "
    "orthanc-dicomweb` (Debian; .ci/run does this in CI)"
)


def orthanc_executable() -> str | None:
    """The Orthanc program: IODKIT_ORTHANC if set, else ``Orthanc`` on PATH."""
    given = os.environ.get("IODKIT_ORTHANC")
    return shutil.which(given or "Orthanc")


def dicomweb_plugin() -> str | None:
    given = os.environ.get("IODKIT_ORTHANC_PLUGIN")
    candidates = (given,) if given else PLUGIN_PATHS
    return next((p for p in candidates if p and Path(p).is_file()), None)


def missing_reason() -> str | None:
    """Why Orthanc cannot be started here (None: it can)."""
    if orthanc_executable() is None or dicomweb_plugin() is None:
        return HOW_TO_GET
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class OrthancError(RuntimeError):
    pass


class Orthanc:
    """One Orthanc process serving DICOMweb at :attr:`dicomweb_url` until :meth:`stop`."""

    def __init__(self, folder: Path, *, startup_timeout: float = 30.0) -> None:
        self.folder = folder
        self.startup_timeout = startup_timeout
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def dicomweb_url(self) -> str:
        return f"{self.url}/dicom-web"

    def _config(self, port: int) -> dict[str, object]:
        storage = self.folder / "storage"
        return {
            "Name": "iodkit-test",
            "StorageDirectory": str(storage),
            "IndexDirectory": str(storage),
            "HttpPort": port,
            "HttpServerEnabled": True,
            "RemoteAccessAllowed": False,  # no bind-address option: refuse other hosts instead
            "AuthenticationEnabled": False,
            "DicomServerEnabled": False,  # no DIMSE port to clash with other runs
            "HttpCompressionEnabled": False,
            "StorageCompression": False,
            "Plugins": [dicomweb_plugin()],
            "DicomWeb": {
                "Enable": True,
                "Root": "/dicom-web/",
                "EnableWado": False,
                "Host": f"127.0.0.1:{port}",  # retrieve URLs lack the port otherwise
                "Ssl": False,
                "StudiesMetadata": "Full",
                "SeriesMetadata": "Full",
            },
        }

    def start(self, attempts: int = 3) -> Orthanc:
        """Start on a free port (another process may take the port between the check and the
        start: then try again on another one)."""
        executable = orthanc_executable()
        if executable is None or dicomweb_plugin() is None:
            raise OrthancError(HOW_TO_GET)
        last = ""
        for _ in range(attempts):
            port = free_port()
            config = self.folder / "orthanc.json"
            config.write_text(json.dumps(self._config(port), indent=1))
            log = open(self.folder / "orthanc.log", "wb")  # noqa: SIM115 - the child writes it
            try:
                self.process = subprocess.Popen(
                    [executable, str(config)],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    cwd=self.folder,
                )
            finally:
                log.close()
            self.port = port
            if self._wait_until_answering():
                return self
            last = self.log_tail()
            self.stop()
        raise OrthancError(f"Orthanc did not start ({attempts} attempts); its log ends:\n{last}")

    def _wait_until_answering(self) -> bool:
        assert self.process is not None
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(f"{self.url}/system", timeout=2) as answer:
                    if answer.status == 200:
                        return True
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.1)
        return False

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = (self.folder / "orthanc.log").read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """Stop the server by its process id (SIGTERM, then SIGKILL after 15 s)."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)

    def __enter__(self) -> Orthanc:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

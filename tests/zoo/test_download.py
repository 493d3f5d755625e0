"""The downloader against a tiny HTTP server on 127.0.0.1: the real internet is never used."""

from __future__ import annotations

import hashlib
import os
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from designer.zoo import download
from designer.zoo.download import OFFLINE_MESSAGE, download_weights
from designer.zoo.errors import DownloadCancelled, DownloadError, HashMismatchError, OfflineError
from designer.zoo.registry import get_entry

PAYLOAD = os.urandom(5 * download.CHUNK_SIZE + 123)
GOOD_NAME = f"tiny-{hashlib.sha256(PAYLOAD).hexdigest()[:8]}.pth"


class _Handler(BaseHTTPRequestHandler):
    requests: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).requests.append(self.path)
        if self.path.startswith("/missing"):
            self.send_error(404, "Not Found")
            return
        body = PAYLOAD[: len(PAYLOAD) // 2] if self.path.startswith("/dropped") else PAYLOAD
        self.send_response(200)
        self.send_header("Content-Length", str(len(PAYLOAD)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # keep test output clean
        pass


@pytest.fixture
def server() -> Iterator[str]:
    _Handler.requests = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def _files(hub_dir: Path) -> list[str]:
    folder = hub_dir / "checkpoints"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_download_reports_progress_and_lands_in_the_hub_cache(server: str, hub_dir: Path) -> None:
    reports: list[tuple[float, str]] = []
    path = download_weights(get_entry("resnet18"), progress=lambda f, m: reports.append((f, m)),
                            url=f"{server}/models/{GOOD_NAME}")
    assert path == hub_dir / "checkpoints" / GOOD_NAME
    assert path.read_bytes() == PAYLOAD
    fractions = [f for f, _ in reports]
    assert fractions[-1] == 1.0
    assert fractions == sorted(fractions) and len(fractions) > 5
    assert _files(hub_dir) == [GOOD_NAME]  # no temporary file left behind

    again = download_weights(get_entry("resnet18"), url=f"{server}/models/{GOOD_NAME}")
    assert again == path and len(_Handler.requests) == 1  # served from the cache


def test_cancel_stops_and_removes_the_partial_file(server: str, hub_dir: Path) -> None:
    chunks: list[float] = []

    def cancel() -> bool:
        return len(chunks) >= 2

    with pytest.raises(DownloadCancelled):
        download_weights(get_entry("resnet18"), progress=lambda f, m: chunks.append(f), cancel=cancel,
                         url=f"{server}/models/{GOOD_NAME}")
    assert 0 < max(chunks) < 1
    assert _files(hub_dir) == []


def test_wrong_hash_is_refused_and_discarded(server: str, hub_dir: Path) -> None:
    with pytest.raises(HashMismatchError, match="expected deadbeef"):
        download_weights(get_entry("resnet18"), url=f"{server}/models/tiny-deadbeef.pth")
    assert _files(hub_dir) == []


def test_refused_connection_is_an_offline_error(hub_dir: Path) -> None:
    with socket.socket() as probe:  # a port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(OfflineError, match=OFFLINE_MESSAGE) as caught:
        download_weights(get_entry("resnet18"), url=f"http://127.0.0.1:{port}/resnet18-f37072fd.pth")
    assert "refused" in str(caught.value).lower()
    assert _files(hub_dir) == []


def test_connection_lost_midway_keeps_nothing(server: str, hub_dir: Path) -> None:
    with pytest.raises(OfflineError, match="connection lost"):
        download_weights(get_entry("resnet18"), url=f"{server}/dropped/{GOOD_NAME}")
    assert _files(hub_dir) == []


def test_http_error_is_not_mistaken_for_offline(server: str, hub_dir: Path) -> None:
    with pytest.raises(DownloadError, match="404") as caught:
        download_weights(get_entry("resnet18"), url=f"{server}/missing/{GOOD_NAME}")
    assert not isinstance(caught.value, OfflineError)


def test_no_download_switch_blocks_the_internet_before_any_connection(
    hub_dir: Path, no_internet: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NETDESIGNER_NO_DOWNLOAD", "1")
    with pytest.raises(OfflineError, match="NETDESIGNER_NO_DOWNLOAD"):
        download_weights(get_entry("resnet18"))
    assert no_internet == []
    assert _files(hub_dir) == []


def test_bundled_models_have_nothing_to_download(hub_dir: Path) -> None:
    with pytest.raises(DownloadError, match="bundled"):
        download_weights(get_entry("efficientnet_lite0_bundled"))

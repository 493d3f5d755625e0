"""The real window on a real X server (Xvfb) through Qt's xcb plugin, in a child process.

Offscreen tests cannot notice a system library the xcb plugin needs: this one does (Qt would
abort the child, or `netdesigner` would print which Debian packages are missing). `.ci/run`
installs Xvfb and the libraries, so in CI it runs; elsewhere it skips when Xvfb is absent.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

PAGES = ["Design", "Data", "Train", "Evaluate", "Compare", "Audit"]


@pytest.fixture
def x_display() -> Iterator[str]:
    """A fresh Xvfb on a free display number (Xvfb picks it and tells us through a pipe)."""
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed (apt-get install xvfb; .ci/run installs it)")
    read_end, write_end = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1366x768x24", "-nolisten", "tcp"],
        pass_fds=(write_end,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        number = pipe.readline().strip()
    try:
        assert number, "Xvfb did not start"
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(10)


def test_real_window_starts_on_xcb_shows_every_page_and_quits(x_display: str,
                                                                app_process: Any) -> None:
    app_process.env.update(DISPLAY=x_display, QT_QPA_PLATFORM="xcb")
    app_process.env.pop("WAYLAND_DISPLAY", None)
    done = app_process.run("smoke")
    assert done.returncode == 0, f"the window failed on xcb:\n{done.stderr[-3000:]}"
    seen = app_process.reports(done.stdout)
    assert seen["platform"] == "xcb"
    assert seen["model"] == "mobilenet_v3_small"
    assert [next(p for p in PAGES if p in title) for title in seen["pages"]] == PAGES
    assert "unsaved_asked" not in seen, "quitting an untouched session asked to save"

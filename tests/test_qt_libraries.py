"""`netdesigner` names the missing xcb libraries and the apt command instead of letting Qt abort."""

from __future__ import annotations

from pathlib import Path

import pytest

from designer import qt_libraries
from designer.app import run_gui

GONE = {"libxcb-cursor.so.0", "libxcb-icccm.so.4", "libxcb-keysyms.so.1"}


@pytest.fixture
def stock_desktop(monkeypatch: pytest.MonkeyPatch) -> None:
    """An X11 session on a machine without three of the libraries (as issue 12 found)."""
    real = qt_libraries._opens
    monkeypatch.setattr(qt_libraries, "_opens", lambda name: name not in GONE and real(name))
    monkeypatch.setattr(qt_libraries, "xcb_plugin", lambda: None)
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)


def test_missing_libraries_become_one_message_with_the_apt_command(
        stock_desktop: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_gui(project=None, model=None, screenshot=None) == 2
    message = capsys.readouterr().err
    assert "Qt's X11 platform plugin (xcb) needs system libraries" in message
    assert "libxcb-cursor.so.0, libxcb-icccm.so.4, libxcb-keysyms.so.1" in message
    assert "apt-get install -y libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1\n" in message
    assert "netdesigner --screenshot" in message
    assert "Traceback" not in message


def test_screenshot_needs_no_xcb_library(stock_desktop: None) -> None:
    assert qt_libraries.uses_xcb()
    assert not qt_libraries.uses_xcb({"QT_QPA_PLATFORM": "offscreen", "DISPLAY": ":0"})


@pytest.mark.parametrize(("environ", "expected"), [
    ({"DISPLAY": ":0"}, True),
    ({"QT_QPA_PLATFORM": "xcb"}, True),
    ({"QT_QPA_PLATFORM": "xcb:display=:1"}, True),
    ({"QT_QPA_PLATFORM": "wayland", "DISPLAY": ":0"}, False),
    ({"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0", "XDG_SESSION_TYPE": "wayland"}, False),
    ({}, False),
])
def test_xcb_is_checked_only_when_qt_would_use_it(environ: dict[str, str],
                                                  expected: bool) -> None:
    assert qt_libraries.uses_xcb(environ) is expected


def test_an_unknown_library_the_plugin_fails_on_is_named(tmp_path: Path) -> None:
    broken = tmp_path / "libqxcb.so"
    broken.write_bytes(b"not a shared object")
    missing = qt_libraries.missing_libraries({}, plugin=broken)
    assert len(missing) == 1 and "libqxcb.so" in missing[0]
    assert qt_libraries.packages_for(missing) == []

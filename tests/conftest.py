"""Shared test set-up: offscreen Qt, test-mode settings paths, single-threaded torch."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("NETDESIGNER_NO_DOWNLOAD", "1")
# generated sample data goes to a throw-away folder, not the user's cache
os.environ.setdefault("NETDESIGNER_SAMPLES", tempfile.mkdtemp(prefix="netdesigner-samples-"))
# the app's settings (recent projects, window layout) of child processes too: never the user's
os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="netdesigner-config-")

import pytest


@pytest.fixture(autouse=True, scope="session")
def _quiet_torch_threads() -> None:
    """Two cores are shared by the test process; keep torch from oversubscribing them."""
    import torch

    torch.set_num_threads(2)


@pytest.fixture(autouse=True, scope="session")
def _qt_test_paths() -> None:
    """Keep tests out of the user's settings and caches."""
    try:
        from PySide6.QtCore import QStandardPaths
    except ImportError:  # pragma: no cover - PySide6 is a hard dependency
        return
    QStandardPaths.setTestModeEnabled(True)


@pytest.fixture(autouse=True)
def _fresh_settings(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Each test starts from empty QSettings (recent projects, layout) in a folder of its own.

    QStandardPaths' test mode does not cover QSettings: without this, tests read and wrote the
    user's real recent-projects list, and a "crashed" project one run left behind was offered to
    the next run's start-up check.
    """
    try:
        from PySide6.QtCore import QSettings
    except ImportError:  # pragma: no cover - PySide6 is a hard dependency
        return
    folder = str(tmp_path_factory.mktemp("settings"))
    for settings_format in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(settings_format, QSettings.Scope.UserScope, folder)
        QSettings.setPath(settings_format, QSettings.Scope.SystemScope, folder)


@pytest.fixture
def small_mount(tmp_path: Path) -> Iterator[Callable[..., Path]]:
    """``small_mount(size="1m", read_only=False)``: a fresh tmpfs folder, unmounted afterwards.

    A real full or read-only file system, which root (who runs the tests here) cannot get from
    permissions. Skips with the reason where mounting is not allowed (not root, a container
    without CAP_SYS_ADMIN, not Linux).
    """
    mounted: list[Path] = []

    def mount(size: str = "1m", read_only: bool = False) -> Path:
        if sys.platform != "linux" or os.geteuid() != 0 or shutil.which("mount") is None:
            pytest.skip("mounting a small tmpfs needs root on Linux")
        folder = tmp_path / f"mount{len(mounted)}"
        folder.mkdir()
        options = f"size={size}" + (",ro" if read_only else "")
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)],
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip() or done.returncode}")
        mounted.append(folder)
        return folder

    yield mount
    for folder in reversed(mounted):
        subprocess.run(["umount", "-l", str(folder)], capture_output=True, check=False)

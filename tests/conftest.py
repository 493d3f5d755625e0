"""Shared test set-up: offscreen Qt, test-mode settings paths, single-threaded torch."""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("NETDESIGNER_NO_DOWNLOAD", "1")
# generated sample data goes to a throw-away folder, not the user's cache
os.environ.setdefault("NETDESIGNER_SAMPLES", tempfile.mkdtemp(prefix="netdesigner-samples-"))

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

"""Model-browser fixtures: a private hub folder and latency cache, downloads disabled."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch.hub

from designer.ui.session import DesignSession
from designer.ui.zoo import ModelBrowser
from tests.ui.conftest import Show


@pytest.fixture(autouse=True)
def private_caches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test sees (or writes) the user's downloaded weights or measured latencies."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.setenv("NETDESIGNER_NO_DOWNLOAD", "1")
    monkeypatch.setattr(torch.hub, "_hub_dir", str(tmp_path / "hub"))
    return tmp_path


@pytest.fixture
def browser(show: Show[ModelBrowser], session: DesignSession) -> ModelBrowser:
    return show(ModelBrowser(session), (900, 600))

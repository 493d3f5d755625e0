"""Fixtures that keep zoo tests off the network and out of the user's caches."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest
import torch.hub


@pytest.fixture
def hub_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty torch hub folder for this test (``checkpoints/`` lives inside it)."""
    path = tmp_path / "hub"
    monkeypatch.setattr(torch.hub, "_hub_dir", str(path))
    assert torch.hub.get_dir() == str(path)
    return path


@pytest.fixture
def user_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty XDG cache home; returns the netdesigner folder inside it."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    return tmp_path / "xdg-cache" / "netdesigner"


@pytest.fixture
def no_internet(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make every urlopen fail loudly and record the attempted addresses."""
    attempts: list[str] = []

    def refuse(url: object, *args: object, **kwargs: object) -> None:
        attempts.append(str(getattr(url, "full_url", url)))
        raise AssertionError(f"test tried to open {url}")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    monkeypatch.setattr(torch.hub, "download_url_to_file", refuse)
    return attempts

"""A path from a run's evaluation.json is handed to the desktop only if it is an image file."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from designer.ui.evaluation import actions


def test_only_existing_image_files_are_opened(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[str] = []
    monkeypatch.setattr(actions.QDesktopServices, "openUrl",
                        lambda url: opened.append(url.toLocalFile()) or True)
    script = tmp_path / "run-me.sh"
    script.write_text("#!/bin/sh\ntouch pwned\n", encoding="utf-8")
    launcher = tmp_path / "evil.desktop"
    launcher.write_text("[Desktop Entry]\nExec=touch pwned\n", encoding="utf-8")
    disguised = tmp_path / "cat.png"
    disguised.symlink_to(script)
    photo = tmp_path / "photo.png"
    Image.new("RGB", (4, 4)).save(photo)
    for path in (script, launcher, disguised, tmp_path / "missing.png", tmp_path):
        assert actions.open_image(str(path)) is False
    assert actions.open_image(str(photo)) is True
    assert opened == [str(photo)]

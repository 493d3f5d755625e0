"""The browser's "Import weights file…" with a checkpoint of another head: the weights report
is shown and "Load matching part" opens the model with everything but the head loaded."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torchvision
from pytestqt.qtbot import QtBot

from designer.surgery.import_report import ImportReport
from designer.ui.session import DesignSession
from designer.ui.zoo import ModelBrowser

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


@pytest.mark.parametrize("load", [False, True])
def test_checkpoint_with_another_head_offers_the_matching_part(
        qtbot: QtBot, browser: ModelBrowser, session: DesignSession, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, load: bool) -> None:
    source = torchvision.models.squeezenet1_1(num_classes=7)  # another head (a conv here)
    path = tmp_path / "seven_classes.pth"
    torch.save(source.state_dict(), path)
    shown: list[ImportReport] = []

    def answer(report: ImportReport) -> bool:
        shown.append(report)
        return load

    monkeypatch.setattr(browser.prompts, "weights_mismatch", answer)
    with qtbot.waitSignal(session.open_runner.finished, timeout=60_000):
        browser.flow.start("squeezenet1_1", path)
    qtbot.waitUntil(lambda: len(shown) == 1)
    weights = shown[0].weights
    assert weights is not None and [k for k, *_ in weights.mismatched] == [
        "classifier.1.weight", "classifier.1.bias"]
    assert len(weights.matched) == len(source.state_dict()) - 2
    if not load:
        assert session.design is None  # nothing opened behind the user's back
        return
    qtbot.waitUntil(lambda: session.design is not None, timeout=60_000)
    assert session.design is not None
    state = session.design.state_dict()
    assert torch.equal(state["features.0.weight"], source.state_dict()["features.0.weight"])
    assert state["classifier.1.weight"].shape[0] == 1000  # the model's own head was kept

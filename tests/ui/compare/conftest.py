"""The compare page over the two shared runs (see tests/ui/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from designer.ui.compare import ComparePage
from designer.ui.workspace import Workspace


@pytest.fixture
def page(qtbot: QtBot, workspace: Workspace) -> Iterator[ComparePage]:
    widget = ComparePage(workspace)
    qtbot.addWidget(widget)
    widget.resize(1100, 700)
    widget.show()
    qtbot.waitExposed(widget)
    yield widget
    widget.shutdown()

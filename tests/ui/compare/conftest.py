"""The compare page over the two shared runs (see tests/ui/conftest.py)."""

from __future__ import annotations

import pytest

from designer.ui.compare import ComparePage
from designer.ui.workspace import Workspace
from tests.ui.conftest import Show


@pytest.fixture
def page(show: Show[ComparePage], workspace: Workspace) -> ComparePage:
    return show(ComparePage(workspace))

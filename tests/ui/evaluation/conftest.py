"""The evaluation page over the two shared runs (see tests/ui/conftest.py)."""

from __future__ import annotations

import pytest

from designer.ui.evaluation import EvaluationPage
from designer.ui.workspace import Workspace
from tests.ui.conftest import Show


@pytest.fixture
def page(show: Show[EvaluationPage], workspace: Workspace) -> EvaluationPage:
    return show(EvaluationPage(workspace))

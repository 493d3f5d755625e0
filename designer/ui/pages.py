"""The workflow pages after Design (Data, Train, Evaluate, Compare), in workflow order."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from designer.ui.workspace import Workspace


def workflow_pages(workspace: Workspace) -> list[tuple[str, QWidget]]:
    """(tab title, page) for Data, Train, Evaluate and Compare, in workflow order."""
    from designer.ui.compare import ComparePage
    from designer.ui.data import DataPage
    from designer.ui.evaluation import EvaluationPage
    from designer.ui.training import TrainingDashboard

    return [("2 · Data", DataPage(workspace)), ("3 · Train", TrainingDashboard(workspace)),
            ("4 · Evaluate", EvaluationPage(workspace)), ("5 · Compare", ComparePage(workspace))]

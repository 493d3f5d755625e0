"""The Train page: training options, Start / Stop, live curves, progress and the run log."""

from __future__ import annotations

from designer.ui.training.dashboard import TrainingDashboard

__all__ = ["TrainingDashboard"]

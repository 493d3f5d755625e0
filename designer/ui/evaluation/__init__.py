"""The Evaluate page: metrics, a confusion matrix that drills down to images, classify images."""

from __future__ import annotations

from designer.ui.evaluation.page import EvaluationPage

__all__ = ["EvaluationPage"]

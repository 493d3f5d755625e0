"""Precision and recall of one class when a prediction counts only above a confidence.

Deployments often refuse to answer below a confidence ("not sure, ask a person"): raising the
threshold for class c keeps fewer predictions of c, usually more of them right (precision up)
and fewer of the class's images found (recall down). Computed from each sample's top-1 class
and confidence, which every evaluation keeps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from designer.evaluation.errors import EvaluationError
from designer.evaluation.result import Prediction


@dataclass(frozen=True)
class ThresholdPoint:
    """Class c at one threshold: predictions of c kept (confidence ≥ threshold), right ones,
    and the class's images; precision/recall 0 where undefined."""

    threshold: float
    kept: int
    correct: int
    support: int
    predicted: int  # predictions of c at any confidence

    @property
    def precision(self) -> float:
        return self.correct / self.kept if self.kept else 0.0

    @property
    def recall(self) -> float:
        return self.correct / self.support if self.support else 0.0


def at_threshold(predictions: Sequence[Prediction], label: int, threshold: float) -> ThresholdPoint:
    """Precision/recall of class ``label`` counting only predictions with confidence ≥
    ``threshold`` (0 keeps all: the plain per-class precision and recall)."""
    if not 0.0 <= threshold <= 1.0:
        raise EvaluationError(f"The threshold is a confidence between 0 and 1, not {threshold!r}.")
    mine = [p for p in predictions if p.predicted == label]
    kept = [p for p in mine if p.confidence >= threshold]
    return ThresholdPoint(threshold, len(kept), sum(p.true == label for p in kept),
                          sum(p.true == label for p in predictions), len(mine))

"""designer.evaluation: metrics, confusion matrix, per-sample predictions and top-k prediction."""

from __future__ import annotations

from designer.evaluation.errors import EvaluationCancelled, EvaluationError
from designer.evaluation.evaluate import evaluate
from designer.evaluation.metrics import ClassMetrics
from designer.evaluation.predict import predict, predict_each
from designer.evaluation.result import EvaluationResult, ImagePrediction, Prediction, SkippedSample

__all__ = [
    "ClassMetrics",
    "EvaluationCancelled",
    "EvaluationError",
    "EvaluationResult",
    "ImagePrediction",
    "Prediction",
    "SkippedSample",
    "evaluate",
    "predict",
    "predict_each",
]

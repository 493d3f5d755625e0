"""designer.evaluation: metrics, confusion matrix, per-sample predictions, top-k prediction and
Grad-CAM explanations."""

from __future__ import annotations

from designer.evaluation.errors import EvaluationCancelled, EvaluationError
from designer.evaluation.evaluate import evaluate
from designer.evaluation.gradcam import Explanation, default_layer, feature_layers, grad_cam
from designer.evaluation.metrics import ClassMetrics
from designer.evaluation.predict import predict, predict_each
from designer.evaluation.result import EvaluationResult, ImagePrediction, Prediction, SkippedSample

__all__ = [
    "ClassMetrics",
    "EvaluationCancelled",
    "EvaluationError",
    "EvaluationResult",
    "Explanation",
    "ImagePrediction",
    "Prediction",
    "SkippedSample",
    "default_layer",
    "evaluate",
    "feature_layers",
    "grad_cam",
    "predict",
    "predict_each",
]

"""Classification metrics from labels and predictions (pure tensor arithmetic, no sklearn)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch


@dataclass(frozen=True)
class ClassMetrics:
    """Precision, recall and F1 of one class; 0 where undefined (no predictions / no samples)."""

    name: str
    precision: float
    recall: float
    f1: float
    support: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def confusion_matrix(true: torch.Tensor, predicted: torch.Tensor, classes: int) -> torch.Tensor:
    """``[i, j]`` = samples of true class i predicted as j (rows true, columns predicted)."""
    flat = true.long() * classes + predicted.long()
    return torch.bincount(flat, minlength=classes * classes).reshape(classes, classes)


def per_class(matrix: torch.Tensor, names: list[str]) -> list[ClassMetrics]:
    """Per-class precision/recall/F1/support from a confusion matrix."""
    tp = matrix.diag().double()
    predicted = matrix.sum(0).double()
    support = matrix.sum(1).double()
    precision = torch.where(predicted > 0, tp / predicted.clamp(min=1), 0.0)
    recall = torch.where(support > 0, tp / support.clamp(min=1), 0.0)
    denom = precision + recall
    f1 = torch.where(denom > 0, 2 * precision * recall / denom.clamp(min=1e-12), 0.0)
    return [
        ClassMetrics(names[i], float(precision[i]), float(recall[i]), float(f1[i]), int(support[i]))
        for i in range(len(names))
    ]


def top_k_hits(top_indices: torch.Tensor, true: torch.Tensor, k: int) -> int:
    """How many samples have their true class among the first ``k`` ranked predictions."""
    return int((top_indices[:, :k] == true[:, None]).any(dim=1).sum())

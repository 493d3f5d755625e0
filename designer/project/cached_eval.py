"""Evaluate a finished frozen-backbone run on the features cached while it trained.

The backbone's output for the evaluation split was computed in the same pass as the training
features, so assessing the run only runs the trained head: same predictions as running every
image through the whole model again (tests/project/test_cached_evaluation.py), in a fraction
of the time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import nn
from torch.utils.data import Dataset

from designer.evaluation import EvaluationResult, evaluate
from designer.training.feature_cache import CachedSplit


class FeatureDataset(Dataset[tuple[torch.Tensor, int]]):
    """Cached boundary tensors in the order of ``images``, which still names each sample's file
    (``samples``) and the classes, so per-sample predictions keep their paths."""

    def __init__(self, images: Dataset[Any], features: torch.Tensor, labels: torch.Tensor) -> None:
        if len(features) != len(images) or len(labels) != len(images):  # type: ignore[arg-type]
            raise ValueError(f"{len(features)} cached features for {len(images)} images")  # type: ignore[arg-type]
        self.images, self.features, self.labels = images, features, labels.tolist()
        self.samples = getattr(images, "samples", None)
        self.classes = getattr(images, "classes", None)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        return self.features[index], self.labels[index]


def evaluate_run(
    model: nn.Module, dataset: Dataset[Any], cached: CachedSplit | None, *, batch_size: int,
    classes: Sequence[str], progress: Callable[[float, str], None] | None = None,
) -> EvaluationResult:
    """``evaluate(model, dataset)``, from ``cached`` features when they fit ``dataset``."""
    if cached is not None and len(cached.tensors) == 1 \
            and len(cached.labels) == len(dataset):  # type: ignore[arg-type]
        features = FeatureDataset(dataset, cached.tensors[0], cached.labels)
        return evaluate(cached.net, features, batch_size=max(batch_size, 256), classes=classes,
                        progress=progress)
    return evaluate(model, dataset, batch_size=batch_size, classes=classes, progress=progress)

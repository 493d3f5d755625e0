"""A run's trained model ready to classify images, loaded once and shared by the page's views.

The model is rebuilt from the run folder (design + best weights) on a worker thread; images get
the run's evaluation preprocessing, so answers match `netdesigner predict`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from designer.data import build_transforms
from designer.project.run_model import run_design
from designer.project.runs import RunRecord


@dataclass
class Classifier:
    """A run's model ready for prediction."""

    run_dir: Path
    model: Any
    transform: Callable[..., Any]
    classes: list[str]
    #: mean and std of the normalisation (to show the image as the model saw it)
    mean: tuple[float, ...] = (0.0, 0.0, 0.0)
    std: tuple[float, ...] = (1.0, 1.0, 1.0)
    #: the run's calibration (scores are divided by it before the softmax)
    temperature: float = 1.0


@dataclass
class ClassifierCache:
    """The shown run's model, loaded once on a worker thread and shared by "Classify image…"
    and the Grad-CAM views; ``use`` lets one task at a time run it."""

    _classifier: Classifier | None = None
    _lock: threading.RLock = field(default_factory=threading.RLock)

    @contextmanager
    def use(self, run: RunRecord) -> Iterator[Classifier]:
        """The run's classifier (loaded if needed), held for the caller alone (worker threads)."""
        with self._lock:
            if self._classifier is None or self._classifier.run_dir != run.run_dir:
                self._classifier = load_classifier(run)
            self._classifier.temperature = run.temperature  # it may have been calibrated since
            yield self._classifier


def load_classifier(run: RunRecord) -> Classifier:
    """The run's trained model with its evaluation transform and class names."""
    design = run_design(run.run_dir)
    classes = list(design.info.class_names) or list(run.evaluation.classes if run.evaluation
                                                     else run.info.classes)
    if not classes and design.num_classes:
        classes = [f"class {i}" for i in range(design.num_classes)]
    transform = build_transforms(design.info.preprocessing, None, train=False,
                                 image_size=run.image_size)
    pre = design.info.preprocessing
    return Classifier(run.run_dir, design.build(), transform, classes, tuple(pre.mean),
                      tuple(pre.std))

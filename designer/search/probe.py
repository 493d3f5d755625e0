"""A linear probe on frozen features: how well a backbone's features separate the user's classes.

Features are extracted with the training engine's feature cache (the frozen prefix of the model
with its head replaced, ``designer.training.feature_cache.build_cache``), so the finder reuses
whatever that cache keeps. The probe is scikit-learn's logistic regression on standardised
features, cross-validated; its weights are folded back through the standardisation so they are
exactly a ``Linear`` head's weights for the unstandardised features.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from designer.core.errors import UserError
from designer.data import ImageDataset
from designer.surgery.design import Design
from designer.surgery.edits import final_parametric_layer
from designer.training.accel import choose
from designer.training.events import CacheProgressEvent, Event
from designer.training.feature_cache import CacheCancelled, CacheContext, CacheFallback, build_cache
from designer.training.feature_store import FeatureStore
from designer.training.graph_split import split_frozen_prefix
from designer.training.options import TrainingOptions

Progress = Callable[[float, str], None]
Cancel = Callable[[], bool]


class ProbeError(UserError, ValueError):
    """A model whose features cannot be probed (the reason is shown beside it)."""


class ProbeCancelled(Exception):  # noqa: N818 - control flow
    """The user cancelled while features were extracted."""


@dataclass(frozen=True)
class Features:
    """Per split: (N, D) float32 features and (N,) labels; ``head_ready`` when D is exactly the
    input of the model's new Linear head (then the probe's weights can start that head)."""

    pool: tuple[np.ndarray, np.ndarray]  # train + validation: cross-validated on
    test: tuple[np.ndarray, np.ndarray] | None
    head_ready: bool


@dataclass(frozen=True)
class ProbeFit:
    """Cross-validated accuracy, held-out accuracy and the head weights of the final fit."""

    cv_accuracy: float
    cv_std: float
    folds: int
    test_accuracy: float | None
    weight: np.ndarray  # (classes, D)
    bias: np.ndarray  # (classes,)


def extract_features(design: Design, datasets: dict[str, ImageDataset], *, batch_size: int = 32,
                     store: Path | None = None, progress: Progress | None = None,
                     cancel: Cancel | None = None) -> Features:
    """Run the frozen backbone of ``design`` (head already replaced, backbone frozen) once over
    train, validation and test; with ``store`` (the project's persistent feature cache) features
    kept there are read instead, and new ones kept for later runs and probes."""
    model = design.build()
    split, why = split_frozen_prefix(model)
    if split is None:
        raise ProbeError(f"no frozen backbone to extract features from: {why}")
    options = TrainingOptions(batch_size=batch_size, feature_cache="memory", epochs=1)
    accel = choose(options, model)
    model.to(accel.device)
    total = sum(len(datasets[s]) for s in ("train", "val", "test"))

    def emit(event: Event) -> None:
        if progress is not None and isinstance(event, CacheProgressEvent) and total:
            offset = {"validation": len(datasets["train"]),
                      "evaluation": len(datasets["train"]) + len(datasets["val"])}.get(
                          event.stage, 0)
            progress(min(1.0, (offset + event.done) / total),
                     f"Extracting features ({event.stage}): {event.done} of {event.total}")

    context = CacheContext(options, accel, emit, cancel or (lambda: False), None,
                           FeatureStore(store) if store is not None else None)
    test = datasets["test"] if len(datasets["test"]) else None
    try:
        cache = build_cache(model, split, datasets["train"], datasets["val"] or None, False,
                            context, evaluation_data=test)
    except CacheCancelled as error:
        raise ProbeCancelled from error
    except CacheFallback as error:
        raise ProbeError(str(error)) from error
    if len(cache.train.views[0]) != 1:
        raise ProbeError("the frozen part hands several tensors to the head; a linear probe "
                         "needs one feature vector per image")
    head = design.store[final_parametric_layer(design.network).target]
    pool_x = [cache.train.views[0][0]]
    pool_y = [cache.train.labels]
    if cache.val is not None:
        pool_x.append(cache.val.views[0][0])
        pool_y.append(cache.val.labels)
    features = _vectors(torch.cat(pool_x))
    head_ready = isinstance(head, torch.nn.Linear) and cache.train.views[0][0].dim() == 2 \
        and features.shape[1] == head.in_features
    held_out = None
    if cache.evaluation is not None and test is not None:
        held_out = (_vectors(cache.evaluation.tensors[0]), cache.evaluation.labels.numpy())
    return Features((features, torch.cat(pool_y).numpy()), held_out, head_ready)


def _vectors(tensor: torch.Tensor) -> np.ndarray:
    """(N, D) float32: spatial feature maps are averaged (global average pooling)."""
    tensor = tensor.float()
    if tensor.dim() > 2:
        tensor = tensor.flatten(2).mean(dim=2)
    return tensor.numpy()


def fit_probe(features: Features, *, folds: int = 5, seed: int = 0,
              cancel: Cancel | None = None) -> ProbeFit:
    """Cross-validate a logistic regression on the train+validation features, then fit it on all
    of them and score it on the test features."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):  # tiny matrices: BLAS threads only contend (10.8 s -> 2.4 s
        return _fit(features, folds, seed, cancel)  # for 6 fits at load 13 on 2 cores)


def _fit(features: Features, folds: int, seed: int, cancel: Cancel | None) -> ProbeFit:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    x, y = features.pool
    counts = np.bincount(y)
    present = counts[counts > 0]
    if len(present) < 2:
        raise ProbeError("a probe needs images of at least two classes")
    k = int(min(folds, present.min()))
    if k < 2:
        raise ProbeError("every class needs at least two images for cross-validation")
    scores = []
    for train_idx, test_idx in StratifiedKFold(k, shuffle=True, random_state=seed).split(x, y):
        if cancel is not None and cancel():
            raise ProbeCancelled
        mean, std = _standardiser(x[train_idx])
        model = LogisticRegression(max_iter=2000, C=1.0)
        model.fit((x[train_idx] - mean) / std, y[train_idx])
        scores.append(float(model.score((x[test_idx] - mean) / std, y[test_idx])))
    mean, std = _standardiser(x)
    final = LogisticRegression(max_iter=2000, C=1.0).fit((x - mean) / std, y)
    weight, bias = _folded(final, mean, std, int(y.max()) + 1)
    test_accuracy = None
    if features.test is not None and len(features.test[1]):
        tx, ty = features.test
        test_accuracy = float(((tx @ weight.T + bias).argmax(1) == ty).mean())
    return ProbeFit(float(np.mean(scores)), float(np.std(scores)), k, test_accuracy, weight, bias)


def _standardiser(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    std = x.std(axis=0)
    return x.mean(axis=0), np.where(std > 1e-6, std, 1.0)


def _folded(model: object, mean: np.ndarray, std: np.ndarray,
            classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Weights for raw features: w' = w / std, b' = b - w' . mean; binary problems (sklearn's
    one row) become two rows, one per class."""
    coef = np.asarray(model.coef_, dtype=np.float64)  # type: ignore[attr-defined]
    intercept = np.asarray(model.intercept_, dtype=np.float64)  # type: ignore[attr-defined]
    seen = np.asarray(model.classes_)  # type: ignore[attr-defined]
    if coef.shape[0] == 1:
        coef = np.vstack([-coef / 2, coef / 2])
        intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
    weight = np.zeros((classes, coef.shape[1]))
    bias = np.full(classes, -1e4)  # a class the probe never saw is never predicted
    weight[seen] = coef / std
    bias[seen] = intercept - (coef / std) @ mean
    return weight.astype(np.float32), bias.astype(np.float32)

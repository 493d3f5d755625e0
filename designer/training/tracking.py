"""Bookkeeping of the loop: running means, best weights, early stopping, throughput and ETA."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn


@dataclass
class RunningMean:
    """Sample-weighted mean of loss and accuracy since the last reset."""

    loss_sum: float = 0.0
    correct: int = 0
    count: int = 0

    def add(self, loss: float, correct: int, count: int) -> None:
        self.loss_sum += loss * count
        self.correct += correct
        self.count += count

    @property
    def loss(self) -> float:
        return self.loss_sum / self.count if self.count else float("nan")

    @property
    def accuracy(self) -> float:
        return self.correct / self.count if self.count else float("nan")


class BestTracker:
    """Best validation so far (higher accuracy, then lower loss) and a copy of its weights.

    Only tensors that can change during the run are copied (trainable parameters and buffers
    such as BatchNorm statistics); frozen parameters are bit-identical anyway.
    """

    def __init__(self, mutable_keys: list[str]) -> None:
        self.mutable_keys = mutable_keys
        self.val_acc: float | None = None
        self.val_loss: float | None = None
        self.iteration: int | None = None
        self.state: dict[str, torch.Tensor] | None = None
        self.stale = 0  # validations since the last improvement

    def update(self, val_acc: float, val_loss: float, iteration: int, model: nn.Module) -> bool:
        """Record a validation; True (and a weight snapshot) when it is the best so far."""
        better = self.val_acc is None or val_acc > self.val_acc or (
            val_acc == self.val_acc and self.val_loss is not None and val_loss < self.val_loss
        )
        if not better:
            self.stale += 1
            return False
        self.val_acc, self.val_loss, self.iteration, self.stale = val_acc, val_loss, iteration, 0
        state = model.state_dict()
        self.state = {k: state[k].detach().to("cpu", copy=True) for k in self.mutable_keys}
        return True

    def to_dict(self) -> dict[str, Any]:
        return {
            "val_acc": self.val_acc, "val_loss": self.val_loss, "iteration": self.iteration,
            "stale": self.stale, "state": self.state,
        }

    def load(self, data: dict[str, Any]) -> None:
        self.val_acc, self.val_loss = data["val_acc"], data["val_loss"]
        self.iteration, self.stale, self.state = data["iteration"], data["stale"], data["state"]


def mutable_keys(model: nn.Module) -> list[str]:
    """state_dict keys of trainable parameters and of all buffers."""
    trainable = {id(p) for p in model.parameters() if p.requires_grad}
    named = dict(model.named_parameters())
    keys = []
    for key in model.state_dict():
        param = named.get(key)
        if param is None or id(param) in trainable:
            keys.append(key)
    return keys


class Throughput:
    """Smoothed seconds per iteration and images per second (exponential moving average)."""

    def __init__(self, smoothing: float = 0.1) -> None:
        self.smoothing = smoothing
        self.seconds: float | None = None
        self.images: float | None = None

    def add(self, seconds: float, images: int) -> None:
        if self.seconds is None or self.images is None:
            self.seconds, self.images = seconds, float(images)
            return
        a = self.smoothing
        self.seconds = (1 - a) * self.seconds + a * seconds
        self.images = (1 - a) * self.images + a * images

    @property
    def images_per_second(self) -> float:
        if not self.seconds or self.images is None:
            return 0.0
        return self.images / self.seconds

    def eta(self, remaining_iterations: int) -> float:
        return (self.seconds or 0.0) * remaining_iterations

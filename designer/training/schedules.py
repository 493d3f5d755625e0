"""Optimisers and learning-rate schedules.

The schedule is a pure function of the global iteration (applied before every step), so
resuming only needs the iteration number and warm-up, one-cycle and step decay compose simply.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from designer.training.options import TrainingOptions


def build_optimizer(groups: list[dict[str, Any]], options: TrainingOptions) -> torch.optim.Optimizer:
    """The solver in ``options`` over prepared parameter groups (``momentum`` is for sgdm only)."""
    if options.solver == "sgdm":
        return torch.optim.SGD(groups, lr=options.lr, momentum=options.momentum)
    if options.solver == "adam":
        return torch.optim.Adam(groups, lr=options.lr)
    if options.solver == "rmsprop":
        return torch.optim.RMSprop(groups, lr=options.lr)
    return torch.optim.AdamW(groups, lr=options.lr)


class LrSchedule:
    """Learning-rate multiplier for each iteration (0-based count of steps already taken)."""

    def __init__(self, options: TrainingOptions, iterations_per_epoch: int) -> None:
        self.kind = options.schedule
        self.per_epoch = max(1, iterations_per_epoch)
        self.total = self.per_epoch * options.epochs
        self.warmup = min(self.total - 1, round(options.warmup_epochs * self.per_epoch))
        self.step_size = max(1, options.step_size)
        self.gamma = options.gamma

    def multiplier(self, iteration: int) -> float:
        """Factor applied to each group's base learning rate for the next step."""
        if self.kind == "onecycle":
            return self._one_cycle(iteration)
        ramp = (iteration + 1) / self.warmup if iteration < self.warmup else 1.0
        if self.kind == "step":
            return ramp * self.gamma ** ((iteration // self.per_epoch) // self.step_size)
        if self.kind == "cosine" and iteration >= self.warmup:
            progress = (iteration - self.warmup) / max(1, self.total - self.warmup)
            return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))
        return ramp

    def _one_cycle(self, iteration: int) -> float:
        """Cosine up from 1/25 over the warm-up (30 % by default), then down to 1/25e4."""
        rise = self.warmup if self.warmup > 0 else max(1, round(0.3 * self.total))
        start, end = 1.0 / 25.0, 1.0 / 25e4
        if iteration < rise:
            t = iteration / rise
            return start + (1.0 - start) * 0.5 * (1.0 - math.cos(math.pi * t))
        t = (iteration - rise) / max(1, self.total - 1 - rise)
        return end + (1.0 - end) * 0.5 * (1.0 + math.cos(math.pi * min(1.0, t)))

    def apply(self, optimizer: torch.optim.Optimizer, iteration: int) -> float:
        """Set every group's lr for the next step; returns the lr of a factor-1 group."""
        factor = self.multiplier(iteration)
        for group in optimizer.param_groups:
            group["lr"] = group["base_lr"] * factor
        head = optimizer.param_groups[0]
        return float(head["lr"] / head["lr_factor"]) if head["lr_factor"] else 0.0

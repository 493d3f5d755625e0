"""The learning-rate schedule applied to an optimiser (the formula is recipe.lr_multiplier).

The schedule is a pure function of the global iteration (applied before every step), so
resuming only needs the iteration number and warm-up, one-cycle and step decay compose simply.
"""

from __future__ import annotations

import torch

from designer.training.options import TrainingOptions
from designer.training.recipe import lr_multiplier


class LrSchedule:
    """Learning-rate multiplier for each iteration (0-based count of steps already taken)."""

    def __init__(self, options: TrainingOptions, iterations_per_epoch: int,
                 epochs: int | None = None, start: int = 0) -> None:
        """``epochs`` and ``start`` (the iteration it begins at) describe one phase of a
        recipe; by default the schedule spans the whole run."""
        self.kind, self.per_epoch = options.schedule, iterations_per_epoch
        self.epochs = options.epochs if epochs is None else epochs
        self.start = start
        self.warmup_epochs, self.step_size, self.gamma = (options.warmup_epochs, options.step_size,
                                                          options.gamma)

    @property
    def total(self) -> int:
        """Iterations in the whole run."""
        return max(1, self.per_epoch) * self.epochs

    def multiplier(self, iteration: int) -> float:
        """Factor applied to each group's base learning rate for the next step."""
        return lr_multiplier(iteration - self.start, self.per_epoch, self.epochs, self.kind,
                             self.warmup_epochs, self.step_size, self.gamma)

    def apply(self, optimizer: torch.optim.Optimizer, iteration: int) -> float:
        """Set every group's lr for the next step; returns the lr of a factor-1 group."""
        factor = self.multiplier(iteration)
        for group in optimizer.param_groups:
            group["lr"] = group["base_lr"] * factor
        head = optimizer.param_groups[0]
        return float(head["lr"] / head["lr_factor"]) if head["lr_factor"] else 0.0

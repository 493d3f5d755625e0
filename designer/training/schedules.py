"""The learning-rate schedule applied to an optimiser (the formula is recipe.lr_multiplier).

The schedule is a pure function of the global iteration (applied before every step), so
resuming only needs the iteration number and warm-up, one-cycle and step decay compose simply.
The engine gets each phase's schedule and base rate from :func:`phase_schedule` and
:func:`phase_lr`, and :func:`plan` walks the same objects step by step, so the dashboard's
preview of a run's learning rates is the engine's own arithmetic, not a copy of it.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from designer.training.options import FINETUNE_GROUPS, TrainingOptions
from designer.training.recipe import epoch_order, finetune_factors, lr_multiplier


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


def phase_schedule(options: TrainingOptions, per_epoch: int, phase: int = 1) -> LrSchedule:
    """The schedule of ``phase`` (1, or 2 = the fine-tune recipe's whole-network phase)."""
    if options.recipe != "finetune":
        return LrSchedule(options, per_epoch)
    if phase == 1:
        return LrSchedule(options, per_epoch, options.head_epochs)
    return LrSchedule(options, per_epoch, options.epochs - options.head_epochs,
                      start=options.head_epochs * per_epoch)


def phase_lr(options: TrainingOptions, phase: int = 1) -> float:
    """The base learning rate (of a factor-1 group, the head) in ``phase``."""
    if options.recipe == "finetune" and phase == 2:
        return options.lr * options.finetune_lr_ratio
    return options.lr


def iterations_per_epoch(train_images: int, options: TrainingOptions) -> int:
    """Optimiser steps per epoch for ``train_images`` (the loop's own batching and its rule for
    a last batch too small to train)."""
    if not (isinstance(train_images, int) and train_images > 0):
        raise ValueError(f"train_images must be a positive whole number (got {train_images!r})")
    return len(epoch_order(train_images, options.batch_size, options.seed, 1, True))


@dataclass(frozen=True)
class SchedulePlan:
    """The learning rate (of the head) before steps ``steps`` (0-based), the run's step count,
    where phase two starts (None: one phase) and the discriminative factors of phase two's layer
    groups, earliest first."""

    per_epoch: int
    total: int
    steps: list[int]
    lrs: list[float]
    phase_start: int | None
    group_factors: list[float]


def plan(options: TrainingOptions, per_epoch: int, max_points: int | None = None) -> SchedulePlan:
    """The learning rate of the steps of a run with ``options`` and ``per_epoch`` steps an epoch:
    every step, or about ``max_points`` of them (always the first, the last and both sides of
    every epoch boundary where a step decay or a phase changes the rate)."""
    if not (isinstance(per_epoch, int) and per_epoch > 0):
        raise ValueError(f"per_epoch must be a positive whole number (got {per_epoch!r})")
    if max_points is not None and not (isinstance(max_points, int) and max_points >= 2):
        raise ValueError(f"max_points must be a whole number ≥ 2 (got {max_points!r})")
    finetune = options.recipe == "finetune"
    total = per_epoch * options.epochs
    split = options.head_epochs * per_epoch if finetune else None
    phases = [(phase_schedule(options, per_epoch, p), phase_lr(options, p))
              for p in ((1, 2) if finetune else (1,))]
    steps = _sample(total, per_epoch, max_points)
    lrs = []
    for iteration in steps:
        schedule, lr = phases[1] if split is not None and iteration >= split else phases[0]
        lrs.append(lr * schedule.multiplier(iteration))
    factors: list[float] = []
    if finetune:
        body = [f"group{i}" for i in range(FINETUNE_GROUPS)]
        found = finetune_factors([*body, "head"], ["head"], {}, FINETUNE_GROUPS,
                                 options.layer_lr_decay)
        factors = [found[name] for name in body]
    return SchedulePlan(per_epoch, total, steps, lrs, split, factors)


def _sample(total: int, per_epoch: int, max_points: int | None) -> list[int]:
    if max_points is None or total <= max_points:
        return list(range(total))
    every = max(1, total // max_points)
    keep = set(range(0, total, every)) | {total - 1}
    for edge in range(per_epoch, total, per_epoch):  # jumps happen at epoch boundaries
        keep |= {edge - 1, edge}
    return sorted(keep)

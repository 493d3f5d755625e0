"""One optimiser step and one validation pass: the PyTorch inner loops, nothing else."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from designer.training.accel import Acceleration
from designer.training.batches import BatchSource
from designer.training.ddp import global_totals, shard
from designer.training.schedules import LrSchedule
from designer.training.tracking import RunningMean

#: A loss this many times the chance-level loss (ln of the number of classes) or the run's first
#: loss, whichever is larger, means the weights have blown up: no healthy run gets there.
DIVERGENCE_FACTOR = 100.0


class LossDiverged(Exception):  # noqa: N818 - an outcome, reported as reason "diverged"
    """The loss was NaN, infinite or exploding; the step was not applied."""

    def __init__(self, value: float, lr: float, start: float) -> None:
        super().__init__(f"loss {value}")
        self.value, self.lr, self.start = value, lr, start

    def describe(self, epoch: int, iteration: int, lr_setting: float) -> str:
        """'The loss became NaN at epoch 3, iteration 41: lower the learning rate (now 10), …'
        (the setting the user chose, not this iteration's scheduled value)."""
        what = (f"became {'NaN' if math.isnan(self.value) else self.value}"
                if not math.isfinite(self.value)
                else f"exploded to {self.value:.3g} (it started at {self.start:.3g})")
        return (f"The loss {what} at epoch {epoch}, iteration {iteration}: lower the learning "
                f"rate (now {lr_setting:.3g}), turn on gradient clipping, or check the data.")


@dataclass
class Stepper:
    """What every training step uses; ``step`` returns (loss, correct, count, lr)."""

    net: nn.Module
    optimizer: torch.optim.Optimizer
    schedule: LrSchedule
    accel: Acceleration
    loss_fn: nn.Module
    grad_clip: float = 0.0
    scaler: torch.amp.GradScaler | None = None
    #: MixUp/CutMix (recipe.mix_batch with its settings bound): images, labels -> mixed, soft
    mix: Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]] | None = None
    params: list[nn.Parameter] = field(init=False)
    start_loss: float | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.params = [p for g in self.optimizer.param_groups for p in g["params"]]

    def step(
        self, inputs: tuple[torch.Tensor, ...], labels: torch.Tensor, iteration: int
    ) -> tuple[float, int, int, float]:
        """Forward, loss check, backward, clip, update (the loss is checked before any weight
        changes, so a NaN never reaches the model)."""
        accel, optimizer = self.accel, self.optimizer
        lr = self.schedule.apply(optimizer, iteration)
        xs = tuple(accel.batch_to_device(t) for t in inputs)
        y = labels.to(accel.device, non_blocking=accel.device.type == "cuda")
        if self.mix is not None:  # soft targets; "correct" then means the larger share's class
            mixed, y = self.mix(xs[0], y)
            xs = (mixed, *xs[1:])
        with accel.autocast():
            logits = logits_of(self.net(*xs))
            loss = self.loss_fn(logits, _fit_targets(y, int(logits.shape[-1])))
        hard = y if y.dim() == 1 else y.argmax(1)
        correct, count = int((logits.detach().argmax(1) == hard).sum()), int(y.shape[0])
        if shard()[1] > 1:  # every process decides on the global batch's numbers
            value, correct, total = global_totals(loss, correct, count)
            loss = loss * (count * shard()[1] / total)  # DDP averages: weight by share
            count = total
        else:
            value = float(loss.item())
        self._check(value, int(logits.shape[-1]), lr)
        optimizer.zero_grad(set_to_none=True)
        if self.scaler is not None:
            self.scaler.scale(loss).backward()
            if self.grad_clip:
                self.scaler.unscale_(optimizer)
                nn.utils.clip_grad_norm_(self.params, self.grad_clip)
            self.scaler.step(optimizer)
            self.scaler.update()
        else:
            loss.backward()
            if self.grad_clip:
                nn.utils.clip_grad_norm_(self.params, self.grad_clip)
            optimizer.step()
        return value, correct, count, lr

    def _check(self, value: float, classes: int, lr: float) -> None:
        """Raise :class:`LossDiverged` for a NaN/inf loss or one far above where it started."""
        if self.start_loss is None and math.isfinite(value):
            self.start_loss = value
        start = self.start_loss if self.start_loss is not None else math.nan
        if not math.isfinite(value):
            raise LossDiverged(value, lr, start)
        if value > DIVERGENCE_FACTOR * max(start, math.log(max(classes, 2))):
            raise LossDiverged(value, lr, start)


def _fit_targets(targets: torch.Tensor, outputs: int) -> torch.Tensor:
    """Soft targets padded with zeros to the model's outputs (more outputs than data classes)."""
    missing = outputs - int(targets.shape[-1]) if targets.dim() == 2 else 0
    return nn.functional.pad(targets, (0, missing)) if missing > 0 else targets


def validation_pass(
    net: nn.Module, source: BatchSource, accel: Acceleration, check_stop: Callable[[], None]
) -> RunningMean:
    """Mean cross-entropy and accuracy over ``source`` (caller sets eval mode)."""
    mean = RunningMean()
    with torch.no_grad(), accel.autocast():
        for inputs, labels in source.batches(1):
            check_stop()
            y = labels.to(accel.device)
            logits = logits_of(net(*(accel.batch_to_device(t) for t in inputs)))
            loss = float(nn.functional.cross_entropy(logits.float(), y))
            mean.add(loss, int((logits.argmax(1) == y).sum()), int(y.shape[0]))
    return mean


def logits_of(output: Any) -> torch.Tensor:
    """The class scores of a model output (first element of a tuple, e.g. aux-head models)."""
    while isinstance(output, tuple | list):
        output = output[0]
    if not isinstance(output, torch.Tensor):
        raise TypeError(f"the model returned {type(output).__name__}, expected a tensor of logits")
    return output


class WeightedCrossEntropy(nn.Module):
    """Cross-entropy with per-class weights (recipe.class_weights), padded with zeros up to the
    model's number of outputs when the training labels do not reach the last classes."""

    def __init__(self, weight: torch.Tensor, label_smoothing: float = 0.0) -> None:
        super().__init__()
        self.register_buffer("weight", weight.float())
        self.label_smoothing = label_smoothing

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        weight: torch.Tensor = self.weight  # type: ignore[assignment]
        missing = logits.shape[-1] - weight.numel()
        if missing > 0:
            weight = nn.functional.pad(weight, (0, missing))
        return nn.functional.cross_entropy(logits, target, weight=weight.to(logits.device),
                                           label_smoothing=self.label_smoothing)

"""Learning-rate range test and a suggestion that spikes and NaNs cannot fool.

The range test trains a few dozen steps with the learning rate rising exponentially (Smith,
"Cyclical Learning Rates", 2017) on the run's own data (on cached features when the backbone is
frozen, so it takes seconds) and puts the model's weights back afterwards. The suggestion is
fastai's "valley": the longest stretch over which the (smoothed) loss keeps falling, read as a
*subsequence*, so a lone spike up or down is stepped over instead of ending or faking the
valley; the suggested rate lies two thirds of the way down it. Points after the loss turns
non-finite or blows up are dropped before anything is read.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.utils.data import Dataset

from designer.training.accel import choose
from designer.training.events import Event
from designer.training.feature_cache import CacheCancelled, CacheContext
from designer.training.options import TrainingOptions
from designer.training.params import prepare, set_train_mode
from designer.training.recipe import build_optimizer
from designer.training.sources import choose_sources

_BLOWN_UP = 4.0  # a smoothed loss this many times the lowest one ends the curve


@dataclass(frozen=True)
class Suggestion:
    """The suggested learning rate, where the valley it lies in starts and ends (indices into the
    curve), and the points actually used (after dropping the blown-up tail)."""

    lr: float
    index: int
    valley: tuple[int, int]
    used: int


@dataclass(frozen=True)
class RangeTest:
    """Learning rates tried, the loss at each (raw and smoothed), and the suggestion."""

    lrs: list[float]
    losses: list[float]
    smoothed: list[float]
    suggestion: Suggestion | None
    message: str


def smooth(losses: Sequence[float], beta: float = 0.9) -> list[float]:
    """Bias-corrected exponential moving average (as fastai plots it); a non-finite value is
    carried through as NaN without poisoning the average before it."""
    if not 0 <= beta < 1:
        raise ValueError(f"beta must be in [0, 1) (got {beta})")
    out, average, count = [], 0.0, 0
    for value in losses:
        if not math.isfinite(value):
            out.append(math.nan)
            continue
        count += 1
        average = beta * average + (1 - beta) * value
        out.append(average / (1 - beta ** count))
    return out


def suggest(lrs: Sequence[float], losses: Sequence[float]) -> Suggestion | None:
    """The valley suggestion for a range-test curve, or None when no falling stretch exists.

    ``losses`` should already be smoothed (see :func:`smooth`). The curve is cut at its first
    non-finite value and where it rises past ``4 ×`` its lowest point.
    """
    if len(lrs) != len(losses):
        raise ValueError(f"{len(lrs)} learning rates but {len(losses)} losses")
    if any(not (math.isfinite(lr) and lr > 0) for lr in lrs):
        raise ValueError("learning rates must be positive, finite numbers")
    used = _usable(losses)
    if used < 3:
        return None
    best_len = [1] * used  # longest decreasing subsequence ending at i
    start_of = list(range(used))
    end = 0
    for i in range(1, used):
        for j in range(i):
            if losses[i] < losses[j] and best_len[j] + 1 > best_len[i]:
                best_len[i], start_of[i] = best_len[j] + 1, start_of[j]
        if best_len[i] > best_len[end]:
            end = i
    if best_len[end] < 3:
        return None
    start = start_of[end]
    index = start + 2 * (end - start) // 3
    return Suggestion(float(lrs[index]), index, (start, end), used)


def _usable(losses: Sequence[float]) -> int:
    lowest = math.inf
    for i, value in enumerate(losses):
        if not math.isfinite(value):
            return i
        if value > _BLOWN_UP * lowest and lowest > 0:
            return i
        lowest = min(lowest, value)
    return len(losses)


def range_test(
    model: nn.Module, train_data: Dataset[Any], options: TrainingOptions, *,
    lr_factors: dict[str, float] | None = None, augmented: bool = False, steps: int = 60,
    start_lr: float = 1e-7, end_lr: float = 10.0, emit: Callable[[Event], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    step_done: Callable[[int, int], None] | None = None,
) -> RangeTest:
    """Run the range test on ``model`` (its weights and flags are restored afterwards).

    Uses the run's solver, weight decay, batch size and per-layer factors; stops early when the
    loss blows up. ``step_done(done, steps)`` is told after every step. Raises
    :class:`CacheCancelled` when stopped.
    """
    if not (isinstance(steps, int) and steps >= 5):
        raise ValueError(f"steps must be a whole number ≥ 5 (got {steps!r})")
    if not (0 < start_lr < end_lr and math.isfinite(end_lr)):
        raise ValueError(f"need 0 < start_lr < end_lr (got {start_lr}, {end_lr})")
    stop = should_stop or (lambda: False)
    saved = copy.deepcopy(model.state_dict())
    flags = {name: p.requires_grad for name, p in model.named_parameters()}
    modes = {m: m.training for m in model.modules()}
    accel = choose(options.replace(mixed_precision="off"), model)
    try:
        model.to(accel.device)
        trainability = prepare(model, options.lr, options.weight_decay, lr_factors)
        if not trainability.groups:
            return RangeTest([], [], [], None, "Nothing to train: every parameter is frozen.")
        ctx = CacheContext(options, accel, emit or (lambda _e: None), stop, None)
        sources = choose_sources(model, train_data, None, augmented, ctx)
        set_train_mode(model, trainability.frozen_batchnorms)
        optimizer = build_optimizer(trainability.groups, options.solver, options.lr,
                                    options.momentum)
        lrs, losses = _sweep(sources.net, sources.train, optimizer, steps, start_lr, end_lr,
                             accel.device, stop, step_done)
    finally:
        model.load_state_dict(saved)
        for name, param in model.named_parameters():
            param.requires_grad_(flags[name])
        for module, training in modes.items():
            module.train(training)
    smoothed = smooth(losses)
    found = suggest(lrs, smoothed)
    if found is None:
        message = ("No learning rate made the loss fall; check the data and labels, or try a "
                   "wider range.")
    else:
        message = f"Suggested learning rate {found.lr:.2g} (in the valley where the loss falls)."
    return RangeTest(lrs, losses, smoothed, found, message)


def _sweep(
    net: nn.Module, source: Any, optimizer: torch.optim.Optimizer, steps: int, start_lr: float,
    end_lr: float, device: torch.device, stop: Callable[[], bool],
    step_done: Callable[[int, int], None] | None,
) -> tuple[list[float], list[float]]:
    loss_fn = nn.CrossEntropyLoss()
    lrs: list[float] = []
    losses: list[float] = []
    lowest, epoch = math.inf, 1
    while len(lrs) < steps:
        for inputs, labels in source.batches(epoch):
            if stop():
                raise CacheCancelled
            lr = start_lr * (end_lr / start_lr) ** (len(lrs) / (steps - 1))
            for group in optimizer.param_groups:
                group["lr"] = lr * group.get("lr_factor", 1.0)
            optimizer.zero_grad(set_to_none=True)
            out = net(*(t.to(device) for t in inputs))
            loss = loss_fn(out, labels.to(device))
            value = float(loss.detach())
            lrs.append(lr)
            losses.append(value)
            if not math.isfinite(value) or value > _BLOWN_UP * 2 * lowest:
                return lrs, losses
            lowest = min(lowest, value)
            loss.backward()
            optimizer.step()
            if step_done is not None:
                step_done(len(lrs), steps)
            if len(lrs) >= steps:
                break
        epoch += 1
    return lrs, losses

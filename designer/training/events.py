"""What a training run reports, as small immutable records (one per kind of moment).

Epochs and iterations are counted from 1 (as shown to the user); ``iteration`` is global across
epochs. Times are seconds.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

#: "nan_loss" is only found in runs recorded before "diverged" replaced it.
FinishReason = Literal["completed", "stopped", "early_stopping", "diverged", "nan_loss", "error"]


@dataclass(frozen=True)
class Event:
    """Base of every event; :meth:`to_dict` makes it JSON-ready (CLI --json, logs)."""

    def to_dict(self) -> dict[str, Any]:
        return {"event": type(self).__name__, **asdict(self)}


@dataclass(frozen=True)
class StartEvent(Event):
    """Training is about to run its first iteration (after any feature caching)."""

    total_iterations: int
    iterations_per_epoch: int
    epochs: int
    start_iteration: int
    device: str
    precision: str
    channels_last: bool
    feature_cache: str  # "off", "memory" or "disk"
    trainable_parameters: int


@dataclass(frozen=True)
class IterationEvent(Event):
    """One optimiser step; ``loss``/``accuracy`` are this batch's, throughput is smoothed."""

    epoch: int
    iteration: int
    total_iterations: int
    loss: float
    accuracy: float
    lr: float
    images_per_second: float
    elapsed: float
    eta_seconds: float


@dataclass(frozen=True)
class ValidationEvent(Event):
    """A validation pass; train_* are averages over the iterations since the previous one."""

    iteration: int
    epoch: int
    train_loss: float
    train_acc: float
    val_loss: float
    val_acc: float
    is_best: bool = False


@dataclass(frozen=True)
class EpochEvent(Event):
    """An epoch finished; ``seconds`` covers its iterations and validations."""

    epoch: int
    iteration: int
    train_loss: float
    train_acc: float
    seconds: float
    images_per_second: float


@dataclass(frozen=True)
class CacheProgressEvent(Event):
    """Feature caching progress: ``done`` of ``total`` samples of one pass (``stage`` says which)."""

    stage: str
    done: int
    total: int


@dataclass(frozen=True)
class LogEvent(Event):
    """A line for the run log (decisions and their reasons, warnings)."""

    message: str
    level: Literal["info", "warning", "error"] = "info"


@dataclass(frozen=True)
class FinishedEvent(Event):
    """The run ended; ``message`` says why in words fit for the user."""

    reason: FinishReason
    message: str
    best_val_acc: float | None
    best_iteration: int | None
    iterations: int
    epochs_completed: int
    elapsed: float
    weights_kept: Literal["best", "last"]
    run_dir: str | None = None

"""The loop's resumable state and how it goes into, and comes back from, checkpoint.pt."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from designer.training.errors import CheckpointError
from designer.training.history import History
from designer.training.options import TrainingOptions
from designer.training.run_dir import load_checkpoint
from designer.training.tracking import BestTracker


@dataclass
class TrainingState:
    """Counters that say where the run is; ``offset`` = batches done in the current epoch."""

    history: History
    epoch: int = 0
    offset: int = 0
    iteration: int = 0
    last_validated: int = -1
    last_val_acc: float | None = None
    rng_state: torch.Tensor | None = None
    validation_pending: bool = False  # a stop interrupted a scheduled validation

    def to_checkpoint(
        self, model: nn.Module, optimizer: torch.optim.Optimizer,
        scaler: torch.amp.GradScaler | None, best: BestTracker, options: TrainingOptions,
    ) -> dict[str, Any]:
        return {
            "model": {k: v.detach().cpu() for k, v in model.state_dict().items()},
            "optimizer": optimizer.state_dict(),
            "scaler": None if scaler is None else scaler.state_dict(),
            "epoch": self.epoch,
            "offset": self.offset,
            "iteration": self.iteration,
            "last_validated": self.last_validated,
            "last_val_acc": self.last_val_acc,
            "validation_pending": self.validation_pending,
            "rng_state": torch.get_rng_state(),
            "best": best.to_dict(),
            "history": self.history.to_dict(),
            "options": options.to_dict(),
        }


def load_model_state(model: nn.Module, path: Path | str, device: torch.device) -> dict[str, Any]:
    """Load the checkpoint's weights into ``model`` (before features are cached from it)."""
    checkpoint = load_checkpoint(path, device)
    try:
        model.load_state_dict(checkpoint["model"])
    except RuntimeError as error:
        raise CheckpointError(
            f"The checkpoint in {path} does not fit this model ({error}). Resume with the "
            "model the run was started with, or start a new run."
        ) from error
    return checkpoint


def restore_training_state(
    checkpoint: dict[str, Any], optimizer: torch.optim.Optimizer,
    scaler: torch.amp.GradScaler | None, best: BestTracker,
) -> TrainingState:
    """Optimiser moments, counters, best weights and history from ``checkpoint``.

    Learning rates and weight decay come from the current options (so a resumed run may change
    them); the optimiser's moments come from the checkpoint.
    """
    fresh = [(g["base_lr"], g["lr_factor"], g["weight_decay"]) for g in optimizer.param_groups]
    try:
        optimizer.load_state_dict(checkpoint["optimizer"])
    except (ValueError, KeyError, TypeError) as error:
        raise CheckpointError(
            "The checkpoint's optimiser does not match this run (different frozen layers or "
            f"learning-rate factors: {error}). Resume with the same design, or start a new run."
        ) from error
    for group, (base_lr, factor, decay) in zip(optimizer.param_groups, fresh, strict=True):
        group["base_lr"], group["lr_factor"], group["weight_decay"] = base_lr, factor, decay
    if scaler is not None and checkpoint.get("scaler"):
        scaler.load_state_dict(checkpoint["scaler"])
    best.load(checkpoint["best"])
    return TrainingState(
        history=History.from_dict(checkpoint["history"]),
        epoch=int(checkpoint["epoch"]),
        offset=int(checkpoint["offset"]),
        iteration=int(checkpoint["iteration"]),
        last_validated=int(checkpoint["last_validated"]),
        last_val_acc=checkpoint.get("last_val_acc"),
        rng_state=checkpoint.get("rng_state"),
        validation_pending=bool(checkpoint.get("validation_pending", False)),
    )

"""What :func:`designer.training.loop.fit` returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from designer.training.events import FinishReason
from designer.training.history import History
from designer.training.run_records import status_of

if TYPE_CHECKING:
    from designer.training.feature_cache import CachedSplit


@dataclass
class FitResult:
    """Outcome of a run. ``reason`` is never an exception: failures come back as ``"error"``."""

    reason: FinishReason
    message: str
    best_val_acc: float | None = None
    best_iteration: int | None = None
    final_val_acc: float | None = None
    iterations: int = 0
    epochs_completed: int = 0
    elapsed: float = 0.0
    weights_kept: str = "last"
    history: History = field(default_factory=History)
    run_dir: Path | None = None
    device: str = "cpu"
    precision: str = "fp32"
    channels_last: bool = False
    feature_cache: str = "off"
    feature_cache_reason: str = ""
    #: the evaluation split's cached features (fit's ``evaluation_data``), when they were cached
    evaluation_features: CachedSplit | None = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        """True when training ran to its planned end (completed or stopped early on purpose)."""
        return self.reason in ("completed", "early_stopping")

    def summary(self) -> dict[str, Any]:
        """JSON-ready summary (summary.json; the CLI's --json output)."""
        return {
            "reason": self.reason,
            "status": status_of(self.reason),
            "message": self.message,
            "best_val_acc": self.best_val_acc,
            "best_iteration": self.best_iteration,
            "final_val_acc": self.final_val_acc,
            "iterations": self.iterations,
            "epochs_completed": self.epochs_completed,
            "elapsed_seconds": round(self.elapsed, 3),
            "weights_kept": self.weights_kept,
            "device": self.device,
            "precision": self.precision,
            "channels_last": self.channels_last,
            "feature_cache": self.feature_cache,
            "feature_cache_reason": self.feature_cache_reason,
            "run_dir": None if self.run_dir is None else str(self.run_dir),
        }

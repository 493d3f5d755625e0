"""Ending a run, whatever the reason: pick the weights to keep, save the run, restore the model."""

from __future__ import annotations

import logging
import time
import traceback
from typing import Any, Protocol

import torch
from torch import nn

from designer.training.accel import Acceleration
from designer.training.callbacks import CallbackList
from designer.training.ddp import shard
from designer.training.errors import CallbackError
from designer.training.events import FinishedEvent, FinishReason
from designer.training.failures import explain
from designer.training.feature_cache import FeatureCache
from designer.training.options import TrainingOptions
from designer.training.params import Trainability
from designer.training.result import FitResult
from designer.training.resume import TrainingState
from designer.training.run_dir import RunDir
from designer.training.tracking import BestTracker

log = logging.getLogger(__name__)


class RunView(Protocol):
    """What the finisher reads from the trainer."""

    state: TrainingState
    best: BestTracker
    accel: Acceleration | None
    trainability: Trainability | None
    cache: FeatureCache | None
    cache_reason: str
    setup_complete: bool

    def checkpoint_state(self) -> dict[str, Any]: ...

    def apply_average(self) -> None: ...

    def log(self, message: str, level: str = "info") -> None: ...


class Finisher:
    """Remembers how the model came in, and leaves it that way (plus trained weights)."""

    def __init__(
        self, model: nn.Module, options: TrainingOptions, run_dir: RunDir | None,
        events: CallbackList,
    ) -> None:
        self.model, self.options, self.run_dir, self.events = model, options, run_dir, events
        self.started = time.perf_counter()
        self.started_at = time.time()
        self.device = torch.device("cpu")
        self.training = model.training
        self.late_failures: list[str] = []

    def remember(self, model: nn.Module) -> None:
        first = next(iter(model.parameters()), None)
        self.device = first.device if first is not None else torch.device("cpu")
        self.training = model.training

    def elapsed(self) -> float:
        """Seconds this run has trained, including the processes it was resumed from."""
        return time.perf_counter() - self.started

    def continue_clock(self, seconds_before: float) -> None:
        """Count the time a resumed run trained before it was stopped or killed."""
        self.started -= max(0.0, seconds_before)

    def finish(self, run: RunView, reason: FinishReason, message: str) -> FitResult:
        """Save, restore and report; returns the result (raises only for on_finished failures)."""
        kept = "none"
        try:
            kept = self._save_and_keep(run, reason)
        except Exception as error:  # noqa: BLE001 - a failed save must not lose the result
            self.log_file("".join(traceback.format_exception(error)).rstrip(), "error")
            plain = explain(error, self.run_dir.path if self.run_dir else None) or \
                f"{type(error).__name__}: {error}"
            if plain not in message:
                message += f" Saving the run failed: {plain}"
            reason = "error"
        finally:
            self._restore(run)
        result = self._result(run, reason, message, kept)
        if self.run_dir is not None:
            try:
                self.run_dir.write_history(run.state.history)
                self.run_dir.write_summary({
                    **result.summary(), "started_at": _iso(self.started_at),
                    "finished_at": _iso(time.time()), "torch": torch.__version__,
                    "processes": shard()[1],
                })
            except Exception as error:  # noqa: BLE001 - a full disk: the checkpoint still counts
                self.log_file(f"could not write the summary: {type(error).__name__}: {error}",
                               "error")
        self.log_file(f"finished ({reason}): {message}", "info" if result.ok else "warning")
        failures = self.events.emit_finished(FinishedEvent(
            reason, message, result.best_val_acc, result.best_iteration, result.iterations,
            result.epochs_completed, result.elapsed, kept,  # type: ignore[arg-type]
            None if self.run_dir is None else str(self.run_dir.path),
        ))
        failures = self.late_failures + failures
        if failures:
            raise CallbackError(" ".join(failures))
        return result

    def log_file(self, message: str, level: str) -> None:
        """To run.log only (the FinishedEvent tells the callbacks); never fails."""
        if self.run_dir is None:
            log.log({"info": logging.INFO, "warning": logging.WARNING}.get(level, logging.ERROR),
                    "%s", message)
            return
        try:
            self.run_dir.log(message, level)
        except OSError:
            log.error("%s", message)

    def _log(self, run: RunView, message: str, level: str = "info") -> None:
        """Log while finishing: a failing on_log callback must not stop the run from closing."""
        try:
            run.log(message, level)
        except CallbackError as error:
            self.late_failures.append(str(error))

    def _save_and_keep(self, run: RunView, reason: FinishReason) -> str:
        """Write checkpoint and last weights, then load the best weights if asked to keep them.

        Nothing is written when setup did not finish or no iteration ran (nothing trained: a
        run never offers untrained weights; a failed resume must not overwrite the checkpoint
        it tried to resume from). Returns which weights were kept ("best", "last", "none").
        """
        ready = run.setup_complete and run.state.iteration > 0
        if self.run_dir is not None and ready:
            self.run_dir.save_checkpoint(run.checkpoint_state())
        if ready:  # with model EMA on, the kept weights are the averaged ones
            run.apply_average()
        if self.run_dir is not None and ready:
            self.run_dir.save_weights("last", self.model.state_dict(), kind="last")
        kept = "last" if ready else "none"
        if self.options.keep == "best" and run.best.state is not None:
            self.model.load_state_dict(run.best.state, strict=False)
            kept = "best"
            self._log(run, f"kept the best weights (validation accuracy {run.best.val_acc:.4f} at "
                    f"iteration {run.best.iteration})")
        elif self.options.keep == "best" and ready:
            self._log(run, "no validation ran, so the last weights are kept (best = last)")
        if self.run_dir is not None and ready:
            self.run_dir.save_weights("best", self.model.state_dict(), kind=kept)
        return kept

    def _restore(self, run: RunView) -> None:
        if run.trainability is not None:
            run.trainability.restore()
        if run.accel is not None and run.accel.channels_last:
            self.model.to(memory_format=torch.contiguous_format)
        self.model.to(self.device)
        self.model.train(self.training)
        if run.cache is not None:
            run.cache.cleanup()

    def _result(self, run: RunView, reason: FinishReason, message: str, kept: str) -> FitResult:
        accel, state = run.accel, run.state
        return FitResult(
            reason=reason, message=message, best_val_acc=run.best.val_acc,
            best_iteration=run.best.iteration, final_val_acc=state.last_val_acc,
            iterations=state.iteration, epochs_completed=state.epoch, elapsed=self.elapsed(),
            weights_kept=kept, history=state.history,
            run_dir=None if self.run_dir is None else self.run_dir.path,
            device=str(accel.device) if accel else "cpu",
            precision=accel.precision if accel else "fp32",
            channels_last=bool(accel and accel.channels_last),
            feature_cache=run.cache.storage if run.cache else "off",
            feature_cache_reason=run.cache_reason,
            evaluation_features=run.cache.evaluation if run.cache else None,
        )


def _iso(timestamp: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(timestamp))

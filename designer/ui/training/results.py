"""How a finished run is summed up for the user, in one message."""

from __future__ import annotations

from designer.project.runs import RunRecord
from designer.training.events import FinishedEvent
from designer.ui.training.message import Kind

HEADLINES = {
    "completed": "Training finished",
    "early_stopping": "Stopped early",
    "stopped": "Stopped",
    "diverged": "Training stopped: the loss diverged",
    "nan_loss": "Training stopped: the loss is not a number",
    "error": "Training failed",
}


def finish_text(run: RunRecord | None, event: FinishedEvent | None,
                failure: str | None) -> tuple[str, Kind]:
    """(message, kind) for the end of a run; `failure` is an error raised outside the engine."""
    if failure is not None:
        return failure, "error"
    if event is None:
        return "Training ended without a result; see the log.", "error"
    headline = HEADLINES.get(event.reason, event.reason)
    # the engine's message may already open with the headline ("Stopped by request at ...")
    said = event.message.lower().startswith(headline.lower())
    parts = [event.message if said else f"{headline}. {event.message}"]
    if event.best_val_acc is not None:
        parts.append(f"Best validation accuracy {100 * event.best_val_acc:.1f}\u00a0% "
                     f"(iteration {event.best_iteration}).")
    evaluation = run.evaluation if run is not None else None
    if evaluation is not None and evaluation.accuracy is not None:
        split = evaluation.split or "test"
        parts.append(f"{'Test' if split == 'test' else 'Validation'} accuracy "
                     f"{100 * evaluation.accuracy:.1f}\u00a0%.")
    if run is not None and event.reason in ("completed", "early_stopping", "stopped"):
        parts.append(f"Saved as {run.name}.")
    kind: Kind = "error" if event.reason in ("error", "diverged", "nan_loss") else "success"
    return " ".join(parts), kind

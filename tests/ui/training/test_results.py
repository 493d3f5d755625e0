"""The end-of-run message names the outcome, the best validation accuracy and what to do."""

from __future__ import annotations

from pathlib import Path

from designer.project.runs import RunEvaluation, RunRecord
from designer.training.events import FinishedEvent
from designer.training.run_records import RunInfo
from designer.ui.training.results import finish_text


def _event(reason: str, message: str, best: float | None = 0.875) -> FinishedEvent:
    return FinishedEvent(reason, message, best, 40 if best is not None else None,  # type: ignore[arg-type]
                         iterations=50, epochs_completed=5, elapsed=3.0, weights_kept="best")


def test_outcomes_are_named_with_their_numbers(tmp_path: Path) -> None:
    run = RunRecord(run_dir=tmp_path, info=RunInfo("run-7"),
                    evaluation=RunEvaluation.from_dict({"split": "val", "accuracy": 0.8}))
    text, kind = finish_text(run, _event("early_stopping", "No improvement for 3."), None)
    assert kind == "success"
    assert text.startswith("Stopped early. No improvement for 3.")
    assert "87.5\u00a0% (iteration 40)" in text and "Validation accuracy 80.0" in text
    assert "Saved as run-7." in text
    text, kind = finish_text(run, _event("stopped", "Stopped by request.", best=None), None)
    assert kind == "success" and "Best validation" not in text
    assert text.startswith("Stopped by request."), "not 'Stopped. Stopped by request.'"


def test_failures_are_errors_and_keep_the_engine_message(tmp_path: Path) -> None:
    run = RunRecord(run_dir=tmp_path, info=RunInfo("run-8"))
    text, kind = finish_text(run, _event("error", "Could not load sample #3."), None)
    assert kind == "error" and "Training failed. Could not load sample #3." in text
    assert "Saved as" not in text
    assert finish_text(None, None, "Out of memory.") == ("Out of memory.", "error")
    assert finish_text(None, None, None)[1] == "error"

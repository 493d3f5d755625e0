"""Fit a run's temperature on its validation split and save it with the run (calibration.json).

The validation images are the run's own (its split manifest and data settings), the model its
trained one; the logits are collected once, the temperature fitted by LBFGS on their NLL, and
the before/after reliability is recorded so the Evaluate page can show what changed.

Calibrating (or removing the temperature) also evaluates the run's evaluation split again, so
evaluation.json always holds the confidences predict and the exports give, with the temperature
they were computed with (designer.project.run_evaluation).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import torch

from designer.core.errors import UserError
from designer.evaluation.calibration import Reliability, fit_temperature, nll, reliability
from designer.evaluation.evaluate import collect_logits
from designer.project.run_evaluation import RunDataError, load_run_data, rewrite_evaluation
from designer.training.run_dir import RunDir
from designer.training.run_records import RunCalibration

Progress = Callable[[float, str], None]


class CalibrationError(UserError):
    """The run cannot be calibrated (no split recorded, no validation images)."""


def calibrate_run(run_dir: Path | str, *, progress: Progress | None = None,
                  cancel: Callable[[], bool] | None = None) -> RunCalibration:
    """Fit, save and return the run's temperature (CalibrationError/EvaluationError says why
    not); the weights are not changed, evaluation.json is rewritten with calibrated
    confidences."""
    folder = Path(run_dir)
    report = progress or (lambda _f, _m: None)
    report(0.0, "Loading the run's model and validation images…")
    try:
        source = load_run_data(folder)
    except RunDataError as error:
        raise CalibrationError(f"Cannot calibrate: {error}") from error
    run, design, data = source.run, source.design, source.data
    validation = data.datasets["val"]
    if len(validation) == 0:
        raise CalibrationError(f"{run.name} has no validation images: temperature scaling is "
                               "fitted on them. Train with a validation share above 0.")
    logits, labels = collect_logits(design.build(), validation, cancel=cancel,
                                    progress=lambda f, m: report(0.1 + 0.5 * f, m))
    report(0.6, "Fitting the temperature…")
    temperature = fit_temperature(logits, labels)
    before, after = _reliability(logits, labels, 1.0), _reliability(logits, labels, temperature)
    record = RunCalibration(
        temperature=temperature, split="val", images=int(labels.numel()),
        nll_before=nll(logits, labels), nll_after=nll(logits, labels, temperature),
        ece_before=before.ece, ece_after=after.ece,
        bins_before=_rows(before), bins_after=_rows(after))
    if run.evaluation is not None:
        rewrite_evaluation(source, temperature, cancel=cancel,
                           progress=lambda f, m: report(0.65 + 0.35 * f, f"calibrated {m}"))
    RunDir(folder, create=False).write_calibration(record)
    report(1.0, f"Temperature {temperature:.2f}: ECE {before.ece:.3f} → {after.ece:.3f}")
    return record


def clear_calibration(run_dir: Path | str, *, progress: Progress | None = None,
                      cancel: Callable[[], bool] | None = None) -> None:
    """Go back to the run's own probabilities (evaluation.json too, evaluated again when it
    holds calibrated ones)."""
    folder = Path(run_dir)
    RunDir(folder, create=False).clear_calibration()
    try:
        source = load_run_data(folder)
    except RunDataError:
        return  # nothing to evaluate on: the temperature is gone all the same
    evaluation = source.run.evaluation
    if evaluation is not None and evaluation.temperature != 1.0:
        rewrite_evaluation(source, 1.0, progress=progress, cancel=cancel)


def _reliability(logits: torch.Tensor, labels: torch.Tensor, temperature: float) -> Reliability:
    probs = torch.softmax(logits.double() / temperature, dim=1)
    confidence, predicted = probs.max(dim=1)
    return reliability(confidence, predicted == labels)


def _rows(result: Reliability) -> tuple[tuple[int, float, float], ...]:
    return tuple((b.count, b.confidence, b.accuracy) for b in result.bins)

"""Fit a run's temperature on its validation split and save it with the run (calibration.json).

The validation images are the run's own (its split manifest and data settings), the model its
trained one; the logits are collected once, the temperature fitted by LBFGS on their NLL, and
the before/after reliability is recorded so the Evaluate page can show what changed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import torch

from designer.core.errors import UserError
from designer.data.split import ManifestError, SplitManifest
from designer.evaluation.calibration import Reliability, fit_temperature, nll, reliability
from designer.evaluation.evaluate import collect_logits
from designer.project.data_config import DataConfig, prepare_data
from designer.project.run_model import run_design
from designer.project.runs import RunRecord
from designer.training.run_dir import RunDir
from designer.training.run_records import RunCalibration

Progress = Callable[[float, str], None]


class CalibrationError(UserError):
    """The run cannot be calibrated (no split recorded, no validation images)."""


def calibrate_run(run_dir: Path | str, *, progress: Progress | None = None,
                  cancel: Callable[[], bool] | None = None) -> RunCalibration:
    """Fit, save and return the run's temperature (CalibrationError/EvaluationError says why
    not); the run's weights and evaluation are not changed."""
    folder = Path(run_dir)
    report = progress or (lambda _f, _m: None)
    run = RunRecord.load(folder)
    manifest = run.files.read_manifest()
    if manifest is None:
        raise CalibrationError(f"{run.name} has no recorded data split, so its validation images "
                               "are unknown; train a new run to calibrate it.")
    report(0.0, "Loading the run's model and validation images…")
    design = run_design(folder)
    try:
        data = prepare_data(DataConfig.from_dict(dict(run.data)), design.info.preprocessing,
                            check_health=False, manifest=SplitManifest.from_dict(manifest))
    except ManifestError as error:
        raise CalibrationError(f"The split of {run.name} cannot be read ({error}).") from error
    validation = data.datasets["val"]
    if len(validation) == 0:
        raise CalibrationError(f"{run.name} has no validation images: temperature scaling is "
                               "fitted on them. Train with a validation share above 0.")
    logits, labels = collect_logits(design.build(), validation, cancel=cancel,
                                    progress=lambda f, m: report(0.1 + 0.8 * f, m))
    report(0.9, "Fitting the temperature…")
    temperature = fit_temperature(logits, labels)
    before, after = _reliability(logits, labels, 1.0), _reliability(logits, labels, temperature)
    record = RunCalibration(
        temperature=temperature, split="val", images=int(labels.numel()),
        nll_before=nll(logits, labels), nll_after=nll(logits, labels, temperature),
        ece_before=before.ece, ece_after=after.ece,
        bins_before=_rows(before), bins_after=_rows(after))
    RunDir(folder, create=False).write_calibration(record)
    report(1.0, f"Temperature {temperature:.2f}: ECE {before.ece:.3f} → {after.ece:.3f}")
    return record


def clear_calibration(run_dir: Path | str) -> None:
    """Go back to the run's own probabilities."""
    RunDir(Path(run_dir), create=False).clear_calibration()


def _reliability(logits: torch.Tensor, labels: torch.Tensor, temperature: float) -> Reliability:
    probs = torch.softmax(logits.double() / temperature, dim=1)
    confidence, predicted = probs.max(dim=1)
    return reliability(confidence, predicted == labels)


def _rows(result: Reliability) -> tuple[tuple[int, float, float], ...]:
    return tuple((b.count, b.confidence, b.accuracy) for b in result.bins)

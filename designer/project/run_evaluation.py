"""Evaluate a finished run again on its own evaluation split: with its current temperature
(what calibrating or removing the temperature writes back to evaluation.json), or with
test-time augmentation (shown beside the plain numbers, not saved).

evaluation.json records the temperature its confidences were computed with
(``RunEvaluation.temperature``), so the Evaluate page, top losses and the threshold slider
always show the confidences that predict and the exports give, and say so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from designer.core.errors import UserError
from designer.data.split import ManifestError, SplitManifest
from designer.evaluation import EvaluationResult, evaluate
from designer.evaluation.tta import Tta
from designer.project.data_config import DataConfig, PreparedData, prepare_data
from designer.project.run_model import run_design
from designer.project.runs import RunRecord
from designer.surgery.design import Design
from designer.training.run_dir import RunDir

Progress = Callable[[float, str], None]


class RunDataError(UserError):
    """The run's own images cannot be found again (no split recorded, unreadable split)."""


@dataclass(frozen=True)
class RunData:
    """A run's trained design and its data, split as it was when it trained."""

    run: RunRecord
    design: Design
    data: PreparedData

    @property
    def evaluation_split(self) -> str:
        """The split evaluation.json is about (test when there is one, else validation)."""
        recorded = self.run.evaluation.split if self.run.evaluation is not None else ""
        return recorded if recorded in self.data.datasets else self.data.evaluation_split


def load_run_data(run_dir: Path | str) -> RunData:
    """The run's trained model and its images (RunDataError says why not)."""
    folder = Path(run_dir)
    run = RunRecord.load(folder)
    manifest = run.files.read_manifest()
    if manifest is None:
        raise RunDataError(f"{run.name} has no recorded data split, so its images are unknown; "
                           "train a new run.")
    design = run_design(folder)
    try:
        data = prepare_data(DataConfig.from_dict(dict(run.data)), design.info.preprocessing,
                            check_health=False, manifest=SplitManifest.from_dict(manifest))
    except ManifestError as error:
        raise RunDataError(f"The split of {run.name} cannot be read ({error}).") from error
    return RunData(run, design, data)


def evaluate_again(source: RunData, *, temperature: float | None = None, tta: Tta | None = None,
                   progress: Progress | None = None,
                   cancel: Callable[[], bool] | None = None) -> EvaluationResult:
    """The run's evaluation split through its model (``temperature`` None: the run's own)."""
    split = source.evaluation_split
    dataset = source.data.datasets[split]
    if len(dataset) == 0:
        raise RunDataError(f"{source.run.name} has no {split} images to evaluate on.")
    return evaluate(source.design.build(), dataset, classes=source.data.classes,
                    temperature=source.run.temperature if temperature is None else temperature,
                    tta=tta, progress=progress, cancel=cancel)


def rewrite_evaluation(source: RunData, temperature: float, *, progress: Progress | None = None,
                       cancel: Callable[[], bool] | None = None) -> EvaluationResult:
    """Evaluate with ``temperature`` and save it as the run's evaluation.json (labelled)."""
    result = evaluate_again(source, temperature=temperature, progress=progress, cancel=cancel)
    RunDir(source.run.run_dir, create=False).write_evaluation(
        {"split": source.evaluation_split, "temperature": temperature, **result.to_dict()})
    return result

"""Transfer learning vs training from scratch: two short runs of one model, side by side.

Both runs train the whole network (nothing frozen) with the same options on the same split;
one starts from the pretrained weights, the other from random ones. They are ordinary runs of
the project, so Compare shows them too; the finder page plots their validation curves together.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from designer.core.errors import UserError
from designer.project.data_config import PreparedData
from designer.project.runs import RunRecord
from designer.project.workflow import train_design
from designer.surgery.opening import open_model
from designer.training.callbacks import Callback
from designer.training.events import EpochEvent
from designer.training.options import TrainingOptions

Progress = Callable[[float, str], None]
Cancel = Callable[[], bool]


class PretrainingError(UserError, ValueError):
    """The comparison cannot run, with what to do."""


class _EpochProgress(Callback):
    def __init__(self, progress: Progress | None, offset: float, label: str, epochs: int) -> None:
        self.progress, self.offset, self.label, self.epochs = progress, offset, label, epochs

    def on_epoch(self, event: EpochEvent) -> None:
        if self.progress is not None:
            self.progress(self.offset + 0.5 * event.epoch / self.epochs,
                          f"{self.label}: epoch {event.epoch} of {self.epochs}")


def pretrained_vs_scratch(model: str, data: PreparedData, runs_root: Path, *,
                          options: TrainingOptions | None = None, epochs: int = 5,
                          image_size: int | None = None, progress: Progress | None = None,
                          cancel: Cancel | None = None) -> tuple[RunRecord, RunRecord]:
    """(pretrained run, from-scratch run) of ``model`` for ``epochs`` epochs each."""
    if not isinstance(epochs, int) or epochs < 1:
        raise PretrainingError(f"epochs must be a whole number of at least 1, got {epochs!r}")
    base = replace(options or TrainingOptions(), epochs=epochs, feature_cache="off",
                   early_stopping_patience=0)
    runs = []
    for index, (weights, words) in enumerate((("pretrained", "pretrained"),
                                              ("none", "from scratch"))):
        if cancel is not None and cancel():
            break
        design = open_model(model, weights, input_size=image_size)
        design.replace_head(len(data.classes), class_names=data.classes)
        label = f"{model} {words}"
        runs.append(train_design(
            design, data, base, runs_root=runs_root, name=label,
            callbacks=[_EpochProgress(progress, 0.5 * index, label, epochs)],
            should_stop=cancel, measure_latency=False))
    if len(runs) < 2:
        raise PretrainingError("the comparison was cancelled before both runs trained")
    return runs[0], runs[1]

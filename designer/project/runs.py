"""A training run as the project remembers it: where it lives and what it achieved.

Everything is read through :class:`~designer.training.run_dir.RunDir` (the only code that knows
the run folder's files) into typed, read-only records, so a run survives the app being closed
or killed and the views never read the files' keys themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from designer.training.history import History
from designer.training.options import TrainingOptions
from designer.training.run_dir import RunDir
from designer.training.run_records import (
    RunCalibration,
    RunInfo,
    RunStats,
    RunStatus,
    RunSummary,
    frozen_mapping,
    number,
    text,
)

if TYPE_CHECKING:
    from designer.evaluation import EvaluationResult


@dataclass(frozen=True)
class RunEvaluation:
    """evaluation.json: the headline numbers, and the full result on demand."""

    split: str
    accuracy: float | None
    classes: tuple[str, ...]
    document: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}), repr=False)
    #: what the confidences were computed with (1: the model's own; written by calibrating)
    temperature: float = 1.0

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunEvaluation:
        classes = data.get("classes")
        temperature = number(data.get("temperature"))
        return cls(split=text(data.get("split")), accuracy=number(data.get("accuracy")),
                   classes=tuple(str(c) for c in classes) if isinstance(classes, list) else (),
                   document=frozen_mapping(data),
                   temperature=temperature if temperature is not None and temperature > 0 else 1.0)

    def result(self) -> EvaluationResult:
        """Per-class metrics, confusion matrix and predictions (raises KeyError/TypeError/
        ValueError for a damaged file)."""
        from designer.evaluation import EvaluationResult  # torch: only when a result is read

        return EvaluationResult.from_dict(dict(self.document))

    def brief(self) -> dict[str, Any]:
        """Split, accuracy, top-k accuracy and classes (the CLI's --json output)."""
        return {k: self.document.get(k) for k in ("split", "accuracy", "top_k_accuracy", "classes")}


@dataclass(frozen=True)
class RunRecord:
    """One run: identity, configuration and results (loaded from its directory)."""

    run_dir: Path
    info: RunInfo
    status: RunStatus = "interrupted"
    options: TrainingOptions | None = None
    summary: RunSummary | None = None
    history: History = field(default_factory=History, compare=False, repr=False)
    evaluation: RunEvaluation | None = None
    design: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}), repr=False)
    resumable: bool = False
    #: the temperature fitted after training (None: the model's own probabilities)
    calibration: RunCalibration | None = None

    @property
    def temperature(self) -> float:
        """What predict, the Evaluate page and exports divide the scores by (1: none)."""
        return self.calibration.temperature if self.calibration is not None else 1.0

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def model_name(self) -> str:
        return self.info.model_name

    @property
    def created(self) -> float:
        return self.info.created

    @property
    def data(self) -> Mapping[str, Any]:
        """The data settings the run trained with (DataConfig.to_dict form)."""
        return self.info.data

    @property
    def stats(self) -> RunStats:
        """Size and speed (all None until the run was evaluated)."""
        return self.info.stats or RunStats()

    @property
    def image_size(self) -> int | None:
        return self.info.image_size

    @property
    def finished(self) -> bool:
        """True when the run wrote its summary (it was not killed mid-way, nor still running)."""
        return self.summary is not None

    @property
    def failed(self) -> bool:
        return self.status == "failed"

    @property
    def best_val_acc(self) -> float | None:
        """Best validation accuracy, if the run validated."""
        return self.summary.best_val_acc if self.summary is not None else None

    @property
    def final_val_acc(self) -> float | None:
        """Validation accuracy at the end of the run."""
        return self.summary.final_val_acc if self.summary is not None else None

    @property
    def message(self) -> str:
        """How the run ended, in words."""
        if self.summary is not None:
            return self.summary.message
        if self.status == "running":
            return "still training"
        return ("interrupted before it finished; it keeps its last completed epoch and can be "
                "resumed" if self.resumable else "interrupted before it finished an epoch")

    @property
    def files(self) -> RunDir:
        """The run folder (for the readers of weights and checkpoints)."""
        return RunDir(self.run_dir, create=False)

    @classmethod
    def load(cls, run_dir: Path) -> RunRecord:
        """Read a run directory; missing files give empty sections (a run still in progress).
        Leftovers of writes that a kill interrupted are removed."""
        files = RunDir.open(run_dir)
        summary = files.read_summary()
        status = files.status(summary)
        evaluation = files.read_evaluation()
        return cls(
            run_dir=run_dir, info=files.read_info(), status=status,
            options=files.read_options(), summary=summary, history=files.read_history(),
            evaluation=RunEvaluation.from_dict(evaluation) if evaluation else None,
            design=frozen_mapping(files.read_design()),
            resumable=status in ("stopped", "interrupted") and files.has_checkpoint(),
            calibration=files.read_calibration(),
        )


def list_runs(runs_root: Path) -> list[RunRecord]:
    """Runs under `runs_root`, oldest first (folders that are not runs are ignored)."""
    if not runs_root.is_dir():
        return []
    runs = [RunRecord.load(p) for p in sorted(runs_root.iterdir()) if RunDir.is_run(p)]
    return sorted(runs, key=lambda r: (r.created, r.name))

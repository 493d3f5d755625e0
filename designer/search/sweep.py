"""Sweeps: Optuna's TPE over ranges the user picks, every trial a normal run of the project.

The study lives in a shared Optuna storage — by default a journal file in the project
(``sweeps/<study>.journal``, optuna's `JournalFileBackend`, safe for several processes), or any
RDB URL — so several processes or machines work on one study. The search space is stored in
the study, so a process that joins with no ranges of its own searches the same space.

Budgets: ``trials`` counts trials over all processes (trial numbers are handed out by the
storage in order, so exactly that many run; an interrupted trial — its process killed — is
marked so when the study is next opened, `designer.search.stale_trials`, and not counted);
``minutes`` starts no trial that the time left cannot hold (judged by the mean trial so far)
and stops a running one at the deadline.
Poor trials are pruned: each run reports its validation accuracy per epoch (MedianPruner).
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from designer.core.errors import UserError
from designer.project.data_config import prepare_data
from designer.project.project_file import Project, ProjectError, open_project
from designer.project.runs import RunRecord
from designer.project.workflow import train_design
from designer.search.stale_trials import INTERRUPTED, fail_interrupted, running
from designer.surgery.design import Design
from designer.surgery.edits import final_parametric_layer
from designer.surgery.opening import open_model
from designer.training.callbacks import Callback
from designer.training.errors import StopTraining
from designer.training.events import ValidationEvent
from designer.training.options import TrainingOptions

Progress = Callable[[float, str], None]
Cancel = Callable[[], bool]
SWEEPS_DIR = "sweeps"
#: TrainingOptions fields a sweep may set as categorical choices (besides lr and batch size)
_OPTION_FIELDS = frozenset(TrainingOptions.__dataclass_fields__) - {"lr", "batch_size"}


class SweepError(UserError, ValueError):
    """A sweep that cannot run, with what to do."""


@dataclass(frozen=True)
class SweepSpace:
    """The ranges the user picked; None leaves a setting as the project has it.

    ``freeze`` is the fraction of the layers with weights frozen from the input side
    (1.0 = the whole backbone, 0.0 = nothing frozen); the final layer is never frozen.
    ``options`` holds categorical choices for other training options (e.g. a recipe).
    """

    lr: tuple[float, float] | None = (1e-4, 1e-2)
    freeze: tuple[float, ...] | None = None
    image_size: tuple[int, ...] | None = None
    batch_size: tuple[int, ...] | None = None
    models: tuple[str, ...] | None = None
    options: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.lr is not None and not (0 < self.lr[0] < self.lr[1]):
            raise SweepError(f"the learning-rate range must be two increasing positive numbers, "
                             f"got {self.lr!r}")
        if self.freeze is not None and not all(0.0 <= f <= 1.0 for f in self.freeze):
            raise SweepError(f"freeze depths are fractions from 0 to 1, got {self.freeze!r}")
        for name, values in (("image_size", self.image_size), ("batch_size", self.batch_size)):
            if values is not None and not all(isinstance(v, int) and v > 0 for v in values):
                raise SweepError(f"{name} choices must be positive whole numbers, got {values!r}")
        choices: dict[str, tuple[Any, ...] | None] = {
            "freeze": self.freeze, "image_size": self.image_size, "batch_size": self.batch_size,
            "models": self.models, **self.options}
        for name, chosen in choices.items():
            if chosen is not None and len(chosen) == 0:
                raise SweepError(f"{name} needs at least one choice")
        unknown = set(self.options) - _OPTION_FIELDS
        if unknown:
            raise SweepError(f"{', '.join(sorted(unknown))} cannot be swept; options that can: "
                             f"{', '.join(sorted(_OPTION_FIELDS))}")
        for name, values in self.options.items():
            for value in values:
                TrainingOptions().replace(**{name: value})  # an impossible value fails here

    @property
    def empty(self) -> bool:
        return not any((self.lr, self.freeze, self.image_size, self.batch_size, self.models,
                        self.options))

    def to_dict(self) -> dict[str, Any]:
        return {"lr": list(self.lr) if self.lr else None,
                "freeze": list(self.freeze) if self.freeze is not None else None,
                "image_size": list(self.image_size) if self.image_size else None,
                "batch_size": list(self.batch_size) if self.batch_size else None,
                "models": list(self.models) if self.models else None,
                "options": {k: list(v) for k, v in self.options.items()}}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SweepSpace:
        def seq(key: str, kind: type) -> tuple[Any, ...] | None:
            value = data.get(key)
            return None if value is None else tuple(kind(v) for v in value)

        lr = data.get("lr")
        options = data.get("options") or {}
        if not isinstance(options, Mapping):
            raise SweepError("the stored sweep space is damaged (options)")
        return cls(lr=None if lr is None else (float(lr[0]), float(lr[1])),
                   freeze=seq("freeze", float), image_size=seq("image_size", int),
                   batch_size=seq("batch_size", int), models=seq("models", str),
                   options={str(k): tuple(v) for k, v in options.items()})


@dataclass(frozen=True)
class SweepBudget:
    """Trials in total (over all processes) and/or wall-clock minutes for this process."""

    trials: int | None = None
    minutes: float | None = None

    def __post_init__(self) -> None:
        if self.trials is None and self.minutes is None:
            raise SweepError("give the sweep a budget: a number of trials or minutes")
        if self.trials is not None and (not isinstance(self.trials, int) or self.trials < 1):
            raise SweepError(f"trials must be a whole number of at least 1, got {self.trials!r}")
        if self.minutes is not None and not (self.minutes > 0 and math.isfinite(self.minutes)):
            raise SweepError(f"minutes must be a positive number, got {self.minutes!r}")


@dataclass(frozen=True)
class TrialRow:
    """One trial as Compare shows it."""

    number: int
    state: str  # "complete", "pruned", "failed", "interrupted", "running"
    params: Mapping[str, Any]
    accuracy: float | None
    latency_ms: float | None
    run: str | None  # the run folder's name under the project's runs/
    note: str = ""  # why it failed or was interrupted


@dataclass(frozen=True)
class SweepSummary:
    """The study as a table, the parameter importances and the accuracy/latency Pareto front."""

    study: str
    rows: tuple[TrialRow, ...]
    importances: Mapping[str, float]
    front: tuple[int, ...]  # trial numbers on the Pareto front, fastest first
    stopped_because: str = ""

    @property
    def finished(self) -> list[TrialRow]:
        return [r for r in self.rows if r.state in ("complete", "pruned")]


def storage_url(project: Path, study: str, storage: str | None) -> str:
    """An RDB URL as given; otherwise a journal file (the default: in the project)."""
    if storage and "://" in storage:
        return storage
    path = Path(storage) if storage else project / SWEEPS_DIR / f"{study}.journal"
    return f"journal:{path}"


def _storage(url: str) -> Any:
    import optuna
    from optuna.storages.journal import JournalFileBackend

    if url.startswith("journal:"):
        path = Path(url.removeprefix("journal:"))
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise SweepError(f"cannot create {path.parent}: {error.strerror or error}") from error
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return optuna.storages.JournalStorage(JournalFileBackend(str(path)))
    return url


def load_study(project: Path, study: str, storage: str | None = None) -> Any:
    """The optuna study (created if new: maximise accuracy, TPE, median pruning)."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        handle = optuna.create_study(
            study_name=study, storage=_storage(storage_url(project, study, storage)),
            direction="maximize", load_if_exists=True,
            sampler=optuna.samplers.TPESampler(seed=None, n_startup_trials=3),
            pruner=optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=1))
    fail_interrupted(handle)
    return handle


def run_sweep(project_folder: Path, budget: SweepBudget, space: SweepSpace | None = None, *,
              study: str = "sweep", storage: str | None = None, progress: Progress | None = None,
              cancel: Cancel | None = None) -> SweepSummary:
    """Run trials of the project until the budget is spent; return the study's summary."""
    import optuna

    project = _open(project_folder)
    handle = load_study(project_folder, study, storage)
    space = _shared_space(handle, space)
    deadline = None if budget.minutes is None else time.monotonic() + 60 * budget.minutes
    durations: list[float] = []
    reason = "the trial budget is spent"
    while True:
        if cancel is not None and cancel():
            reason = "cancelled"
            break
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or (durations and left < sum(durations) / len(durations)):
                reason = "the time budget is spent"
                break
        if budget.trials is not None and trials_counted(handle) >= budget.trials:
            break
        trial = handle.ask()
        if budget.trials is not None and trials_counted(handle, before=trial.number) >= budget.trials:
            # another process took the last trial number between our check and ask
            trial.set_user_attr("not_run", "over the trial budget")
            handle.tell(trial, state=optuna.trial.TrialState.FAIL)
            break
        if progress is not None:
            total = budget.trials or "?"
            progress(min(0.99, trial.number / budget.trials) if budget.trials else 0.0,
                     f"Trial {trial.number + 1} of {total}")
        start = time.monotonic()

        def stop(deadline: float | None = deadline) -> bool:
            late = deadline is not None and time.monotonic() > deadline
            return late or (cancel is not None and cancel())

        try:
            with running(trial):  # kill -9: the next opening of the study fails the trial
                state, value = _run_trial(project, trial, space, study, stop)
        except BaseException as error:  # a bug or Ctrl-C: not "running" for ever either
            trial.set_user_attr(INTERRUPTED, f"stopped by {type(error).__name__}")
            handle.tell(trial, state=optuna.trial.TrialState.FAIL)
            raise
        handle.tell(trial, value if state == optuna.trial.TrialState.COMPLETE else None,
                    state=state)
        durations.append(time.monotonic() - start)
    if progress is not None:
        progress(1.0, f"Sweep stopped: {reason}")
    return replace(summarize(handle), stopped_because=reason)


def _open(folder: Path) -> Project:
    try:
        return open_project(folder)
    except ProjectError as error:
        raise SweepError(f"a sweep runs on a saved project: {error}") from error


def _shared_space(handle: Any, space: SweepSpace | None) -> SweepSpace:
    stored = handle.user_attrs.get("space")
    if stored is not None and space is not None and space.to_dict() != stored:
        raise SweepError(f"study {handle.study_name!r} already searches other ranges; use "
                         "another study name or join it without ranges")
    if stored is None:
        space = space or SweepSpace()
        if space.empty:
            raise SweepError("choose at least one range to sweep")
        handle.set_user_attr("space", space.to_dict())
        return space
    return SweepSpace.from_dict(stored)


def trials_counted(handle: Any, before: int | None = None) -> int:
    """Trials that count against the budget (numbered below ``before``): all but the ones told
    "not run" and the interrupted ones (a restarted sweep still runs its number of trials)."""
    return sum(1 for t in handle.get_trials(deepcopy=False)
               if "not_run" not in t.user_attrs and INTERRUPTED not in t.user_attrs
               and (before is None or t.number < before))


class _Pruning(Callback):
    """Reports validation accuracy per epoch to the trial and stops a trial optuna prunes."""

    def __init__(self, trial: Any) -> None:
        self.trial, self.pruned = trial, False

    def on_validation(self, event: ValidationEvent) -> None:
        self.trial.report(float(event.val_acc), int(event.epoch))
        if self.trial.should_prune():
            self.pruned = True
            raise StopTraining


def _run_trial(project: Project, trial: Any, space: SweepSpace, study: str,
               stop: Callable[[], bool]) -> tuple[Any, float | None]:
    """Train one run of the project with the trial's settings; (state, accuracy)."""
    import optuna

    states = optuna.trial.TrialState
    try:
        design, data, options = _trial_setup(project, trial, space)
        pruning = _Pruning(trial)
        run = train_design(design, data, options, runs_root=project.runs_root,
                           name=f"{study} #{trial.number}", callbacks=[pruning], should_stop=stop)
    except UserError as error:
        trial.set_user_attr("error", str(error))
        return states.FAIL, None
    trial.set_user_attr("run", run.run_dir.name)
    accuracy = _accuracy(run)
    if run.stats.latency_ms is not None:
        trial.set_user_attr("latency_ms", run.stats.latency_ms)
    if accuracy is not None:
        trial.set_user_attr("accuracy", accuracy)
    if pruning.pruned:
        return states.PRUNED, None
    if run.failed or accuracy is None or (run.summary is not None
                                          and run.summary.reason != "completed"):
        trial.set_user_attr("error", run.message)
        return states.FAIL, None
    return states.COMPLETE, accuracy


def _accuracy(run: RunRecord) -> float | None:
    if run.evaluation is not None and run.evaluation.accuracy is not None:
        return float(run.evaluation.accuracy)
    return run.best_val_acc


def _trial_setup(project: Project, trial: Any, space: SweepSpace
                 ) -> tuple[Design, Any, TrainingOptions]:
    options = project.options
    changes: dict[str, Any] = {}
    if space.lr is not None:
        changes["lr"] = trial.suggest_float("lr", space.lr[0], space.lr[1], log=True)
    if space.batch_size:
        changes["batch_size"] = trial.suggest_categorical("batch_size", list(space.batch_size))
    for name, values in space.options.items():
        changes[name] = trial.suggest_categorical(name, list(values))
    options = options.replace(**changes)
    config = project.data_config
    if space.image_size:
        config = replace(config, image_size=trial.suggest_categorical(
            "image_size", list(space.image_size)))
    design = project.design
    if space.models:
        model = trial.suggest_categorical("model", list(space.models))
        design = open_model(model, "pretrained", input_size=config.image_size)
        design.freeze_backbone()
    data = prepare_data(config, design.info.preprocessing, manifest=project.manifest,
                        check_health=False)
    if design.num_classes != len(data.classes) or space.models:
        design.replace_head(len(data.classes), class_names=data.classes)
    if space.freeze is not None:
        set_freeze_depth(design, trial.suggest_categorical("freeze", list(space.freeze)))
    return design, data, options


def set_freeze_depth(design: Design, fraction: float) -> None:
    """Freeze the first ``fraction`` of the layers with weights (the final layer never)."""
    head = final_parametric_layer(design.network).name
    weighted = [layer.name for layer in design.network
                if layer.op == "module" and layer.trainable_kind and layer.name != head]
    count = round(fraction * len(weighted))
    with design.transaction(f"Freeze {100 * fraction:.0f} % of the layers"):
        if weighted[count:]:
            design.set_frozen(weighted[count:], False)
        if weighted[:count]:
            design.set_frozen(weighted[:count], True)


def summarize(handle: Any) -> SweepSummary:
    """Rows, importances (when two or more trials completed) and the Pareto front."""
    import optuna

    from designer.project.run_compare import pareto_front

    names = {optuna.trial.TrialState.COMPLETE: "complete", optuna.trial.TrialState.PRUNED:
             "pruned", optuna.trial.TrialState.FAIL: "failed",
             optuna.trial.TrialState.RUNNING: "running"}
    rows = []
    for t in handle.get_trials(deepcopy=False):
        if "not_run" in t.user_attrs:
            continue
        accuracy = t.value if t.value is not None else t.user_attrs.get("accuracy")
        state = names.get(t.state, "waiting")
        if state == "failed" and (INTERRUPTED in t.user_attrs or "error" not in t.user_attrs):
            state = "interrupted"  # its process was killed or stopped, not a failed run
        rows.append(TrialRow(t.number, state, dict(t.params),
                             None if accuracy is None else float(accuracy),
                             t.user_attrs.get("latency_ms"), t.user_attrs.get("run"),
                             str(t.user_attrs.get(INTERRUPTED) or t.user_attrs.get("error")
                                 or "")))
    placed = [r for r in rows if r.state == "complete" and r.latency_ms is not None]
    front = tuple(placed[i].number for i in pareto_front(
        [(float(r.latency_ms or 0.0), float(r.accuracy or 0.0)) for r in placed]))
    return SweepSummary(handle.study_name, tuple(rows), _importances(handle), front)


def _importances(handle: Any) -> dict[str, float]:
    import optuna

    complete = handle.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    varying = {k for t in complete for k in t.params
               if len({repr(u.params.get(k)) for u in complete}) > 1}
    if len(complete) < 2 or not varying:
        return {}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return {k: float(v) for k, v in optuna.importance.get_param_importances(
                handle, params=sorted(varying)).items()}
    except (RuntimeError, ValueError):
        return {}


def studies(project: Path) -> list[str]:
    """Names of the journal-file studies kept in the project."""
    folder = project / SWEEPS_DIR
    return sorted(p.stem for p in folder.glob("*.journal")) if folder.is_dir() else []


def sweep_summary(project: Path, study: str, storage: str | None = None) -> SweepSummary:
    """The summary of an existing study (Compare's view); SweepError if there is none."""
    import optuna

    try:
        handle = optuna.load_study(study_name=study, storage=_storage(
            storage_url(project, study, storage)))
    except KeyError as error:
        raise SweepError(f"no sweep called {study!r} in {project}") from error
    fail_interrupted(handle)
    return summarize(handle)


def space_from_text(*, lr: str | None = None, freeze: str | None = None,
                    image_size: str | None = None, batch_size: str | None = None,
                    models: str | None = None, options: Sequence[str] = ()) -> SweepSpace | None:
    """A space from command-line text ("1e-4:1e-2", "0,0.5,1", "recipe=a,b"); None when no
    range is given (join the study's stored space)."""
    def split(text: str) -> list[str]:
        return [p.strip() for p in text.split(",") if p.strip()]

    try:
        lr_range = None
        if lr is not None:
            low, high = lr.split(":")
            lr_range = (float(low), float(high))
        chosen: dict[str, tuple[Any, ...]] = {}
        for item in options:
            name, _, values = item.partition("=")
            chosen[name.strip()] = tuple(_scalar(v) for v in split(values))
        given = (lr, freeze, image_size, batch_size, models, options)
        if not any(given):
            return None
        return SweepSpace(
            lr=lr_range,
            freeze=None if freeze is None else tuple(float(v) for v in split(freeze)),
            image_size=None if image_size is None else tuple(int(v) for v in split(image_size)),
            batch_size=None if batch_size is None else tuple(int(v) for v in split(batch_size)),
            models=None if models is None else tuple(split(models)), options=chosen)
    except ValueError as error:
        if isinstance(error, SweepError):
            raise
        raise SweepError(f"cannot read the sweep ranges: {error}. Write --lr 1e-4:1e-2, "
                         "--freeze 0,0.5,1, --image-size 96,128, --set recipe=a,b") from error


def _scalar(text: str) -> Any:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text

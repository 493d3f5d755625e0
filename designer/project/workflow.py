"""The transfer-learning workflow in one call: train a design on prepared data, then assess it.

Shared by the GUI's training worker, `netdesigner train` / `demo` and notebooks, so all three
produce the same run directory: the engine's files plus design.json (what was trained),
evaluation.json (per-class metrics, confusion matrix, per-sample predictions) and run.json.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import torch

from designer.core.errors import UserError
from designer.core.serialization import network_to_dict
from designer.project.cached_eval import evaluate_run
from designer.project.data_config import PreparedData
from designer.project.design_io import info_to_dict
from designer.project.run_latency import design_latency
from designer.project.runs import RunRecord
from designer.surgery.design import Design
from designer.surgery.snapshot import FrozenDesign
from designer.training.callbacks import Callback
from designer.training.feature_cache import CachedSplit
from designer.training.loop import FitResult, fit
from designer.training.options import TrainingOptions
from designer.training.run_dir import RunDir
from designer.training.run_records import RunInfo, RunStats, RunSummary


class WorkflowError(UserError, ValueError):
    """The design and the data do not fit together, with what to do."""


@dataclass(frozen=True)
class RunRequest:
    """One training run as a value: what crosses from the GUI thread to a worker.

    ``design`` is a snapshot (`Design.snapshot()`), so the user may keep editing the live design
    while this run trains what was there at Start. With ``resume_dir`` the stopped run in that
    folder continues from its checkpoint instead (its own design; ``design`` is not used).
    """

    design: FrozenDesign
    data: PreparedData
    options: TrainingOptions
    runs_root: Path
    name: str | None = None
    resume_dir: Path | None = None


def run_request(request: RunRequest, *, callbacks: Iterable[Callback] = (),
                should_stop: Callable[[], bool] | None = None) -> RunRecord:
    """Carry out ``request`` (train, or resume) and return the saved run."""
    if request.resume_dir is not None:
        return resume_run(request.resume_dir, request.data, request.options,
                          callbacks=callbacks, should_stop=should_stop)
    return train_design(request.design, request.data, request.options,
                        runs_root=request.runs_root, name=request.name, callbacks=callbacks,
                        should_stop=should_stop)


def frozen(design: Design | FrozenDesign) -> FrozenDesign:
    """The design as a snapshot (a snapshot stays as it is)."""
    return design.snapshot() if isinstance(design, Design) else design


def check_compatible(design: Design | FrozenDesign, data: PreparedData) -> None:
    """Refuse a design whose output size is not the number of classes.

    Works on a snapshot: analysing it (when the snapshot has no analysis yet) never touches the
    live design, so this is safe on a worker thread.
    """
    analysis = frozen(design).analyze()
    outputs = analysis.output_shape[-1] if analysis.output_shape else None
    classes = len(data.classes)
    if outputs != classes:
        raise WorkflowError(f"The model has {outputs} outputs but the data has {classes} classes. "
                            "Replace the final layers for these classes first (right-click the "
                            "last layer, or design.replace_head(num_classes=...)).")
    if not analysis.ok:
        first = next(i for i in analysis.issues if i.severity == "error")
        raise WorkflowError(f"The design has errors; fix them before training: {first.message}")


def new_run_dir(runs_root: Path, model_name: str) -> Path:
    """A fresh, sortable run folder name: 20261123-101500-resnet18."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    base = runs_root / f"{stamp}-{model_name}"
    candidate, index = base, 1
    while candidate.exists():
        index += 1
        candidate = base.with_name(f"{base.name}-{index}")
    return candidate


def next_colour(runs_root: Path) -> int:
    """The colour index of a new run: one after the newest run's, so runs made one after
    another never share a colour (the page maps the index onto its palette)."""
    newest: tuple[float, int] | None = None
    if runs_root.is_dir():
        for folder in runs_root.iterdir():
            if folder.is_dir() and RunDir.is_run(folder):
                info = RunDir(folder, create=False).read_info()
                if info.colour is not None and (newest is None or info.created > newest[0]):
                    newest = (info.created, info.colour)
    return 0 if newest is None else newest[1] + 1


def start_run(design: Design | FrozenDesign, data: PreparedData, runs_root: Path,
              name: str | None = None) -> tuple[Path, RunInfo]:
    """Create the run folder with what is being trained (run.json, design.json)."""
    design = frozen(design)
    check_compatible(design, data)
    run_dir = new_run_dir(runs_root, design.info.model_name)
    colour = next_colour(runs_root)
    run_dir.mkdir(parents=True)
    info = RunInfo.from_dict({"name": name or run_dir.name, "model_name": design.info.model_name,
                              "created": time.time(), "data": data.config.to_dict(),
                              "classes": data.classes, "colour": colour}, run_dir.name)
    files = RunDir(run_dir)
    files.write_info(info)
    files.write_design({"network": network_to_dict(design.document()),
                        "info": info_to_dict(design.info)})
    return run_dir, info


def finish_run(run_dir: Path, info: RunInfo, model: torch.nn.Module,
               design: Design | FrozenDesign,
               data: PreparedData, batch_size: int,
               progress: Callable[[float, str], None] | None = None,
               cached: CachedSplit | None = None, measure_latency: bool = True) -> RunRecord:
    """Evaluate the trained model (on ``cached`` features of the evaluation split when training
    cached them), record its size and (with ``measure_latency``; else ``latency_ms`` stays None,
    "not measured") its speed, and load the run back."""
    files = RunDir(run_dir)
    split = data.evaluation_split
    if len(data.datasets[split]):
        evaluation = evaluate_run(model, data.datasets[split], cached, batch_size=batch_size,
                                  classes=data.classes, progress=progress)
        files.write_evaluation({"split": split, **evaluation.to_dict()})
    latency = design_latency(network_to_dict(frozen(design).document()), model,
                             data.config.image_size or design.info.input_shape[-1]) \
        if measure_latency else None
    stats = RunStats(params=sum(p.numel() for p in model.parameters()),
                     trainable_params=sum(p.numel() for p in model.parameters()
                                          if p.requires_grad),
                     latency_ms=None if latency is None else latency.ms,
                     latency_spread_ms=None if latency is None else latency.spread_ms,
                     num_classes=len(data.classes))
    # re-read: the user may have renamed the run or written a note while it trained
    files.write_info(replace(files.read_info(), stats=stats))
    return RunRecord.load(run_dir)


def feature_store_folder(runs_root: Path) -> Path:
    """The project's persistent feature cache (beside its runs folder): later runs with the
    same frozen backbone and data reuse the features (designer.training.feature_store)."""
    return runs_root.parent / "cache" / "features"


def train_design(design: Design | FrozenDesign, data: PreparedData, options: TrainingOptions,
                 *, runs_root: Path, name: str | None = None, callbacks: Iterable[Callback] = (),
                 should_stop: Callable[[], bool] | None = None,
                 evaluate_progress: Callable[[float, str], None] | None = None,
                 measure_latency: bool = True) -> RunRecord:
    """Train `design` as it is now (a snapshot; its weights are not changed), evaluate, and
    return the saved run (its CPU latency measured unless ``measure_latency`` is False)."""
    design = frozen(design)
    run_dir, info = start_run(design, data, runs_root, name)
    model = design.build()
    result = fit(model, data.datasets["train"], data.datasets["val"] or None, options,
                 callbacks=callbacks, should_stop=should_stop, lr_factors=design.lr_factors(),
                 augmented=data.config.augment.enabled, run_dir=run_dir,
                 manifest=data.manifest.to_dict(),
                 evaluation_data=data.datasets[data.evaluation_split],
                 feature_store=feature_store_folder(runs_root))
    if result.reason == "error":
        return _failed_record(run_dir, result)
    if not RunDir.open(run_dir).has_weights("last"):  # a diverged run may have kept none
        return RunRecord.load(run_dir)
    return finish_run(run_dir, info, model, design, data, options.batch_size, evaluate_progress,
                      result.evaluation_features, measure_latency)


def resume_run(run_dir: Path, data: PreparedData, options: TrainingOptions, *,
               callbacks: Iterable[Callback] = (),
               should_stop: Callable[[], bool] | None = None) -> RunRecord:
    """Continue a stopped run in its own folder from its checkpoint (options may add epochs)."""
    from designer.project.run_model import run_design

    files = RunDir.open(run_dir)
    if not files.has_checkpoint():
        raise WorkflowError(f"{run_dir.name} has no checkpoint to resume from; start a new run.")
    design = run_design(run_dir, "last")
    info = files.read_info()
    model = design.build()
    result = fit(model, data.datasets["train"], data.datasets["val"] or None, options,
                 callbacks=callbacks, should_stop=should_stop, lr_factors=design.lr_factors(),
                 augmented=data.config.augment.enabled, run_dir=run_dir,
                 resume_from=files.checkpoint_path, manifest=data.manifest.to_dict(),
                 evaluation_data=data.datasets[data.evaluation_split],
                 feature_store=feature_store_folder(run_dir.parent))
    if result.reason == "error":
        return _failed_record(run_dir, result)
    if not files.has_weights("last"):  # a diverged run may have kept none
        return RunRecord.load(run_dir)
    return finish_run(run_dir, info, model, design, data, options.batch_size,
                      cached=result.evaluation_features)


def _failed_record(run_dir: Path, result: FitResult) -> RunRecord:
    """The failed run as saved; when the summary could not be written (a full disk), as the
    engine reported it, so the caller still shows why it failed."""
    run = RunRecord.load(run_dir)
    if run.summary is not None:
        return run
    return replace(run, summary=RunSummary.from_dict(result.summary()), status="failed")


def summary_json(run: RunRecord) -> str:
    """One JSON document describing a finished run (the CLI's --json output)."""
    return json.dumps({"run_dir": str(run.run_dir), "name": run.name, "model": run.model_name,
                       "status": run.status,
                       "summary": asdict(run.summary) if run.summary is not None else {},
                       "stats": run.stats.to_dict(),
                       "latency_measured": run.stats.latency_ms is not None,
                       "evaluation": run.evaluation.brief() if run.evaluation else {}},
                      indent=1, default=str)

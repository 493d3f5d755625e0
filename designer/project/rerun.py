"""Re-run a recorded run: same design and starting weights, data split, options, seed and choices.

The run folder holds everything (see designer.training.provenance): ``design.json`` plus the
final weights for the tensors training never changes, ``initial.safetensors`` for those it does,
``manifest.json`` (the split), ``options.json`` and ``provenance.json`` (seed, the resolved
"auto" choices, thread count, library versions, data digest). On the same CPU with the same
libraries the re-run's history and weights equal the original's bit for bit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from designer.data.split import SplitManifest
from designer.project.data_config import DataConfig, PreparedData, prepare_data
from designer.project.run_model import run_design
from designer.project.runs import RunRecord
from designer.project.workflow import WorkflowError, train_design
from designer.surgery.design import Design
from designer.training.callbacks import Callback
from designer.training.options import TrainingOptions
from designer.training.provenance import differences, rerun_options
from designer.training.run_dir import RunDir
from designer.zoo.speed import torch_threads


@dataclass(frozen=True)
class RerunPlan:
    """What a re-run trains, read from a run folder; ``notes`` say what differs from then."""

    run_dir: Path
    design: Design
    data: PreparedData
    options: TrainingOptions
    cpu_threads: int | None
    notes: tuple[str, ...]


def find_run(runs_root: Path, name: str) -> Path:
    """The run folder ``name`` inside ``runs_root`` (a folder path that is a run works too)."""
    root = runs_root.resolve()
    candidate = (root / name).resolve()
    if not candidate.is_relative_to(root):
        raise WorkflowError(f"{name!r} is not a run of this project (runs live in {root}).")
    if RunDir.is_run(candidate):
        return candidate
    direct = Path(name).resolve()
    if RunDir.is_run(direct):
        return direct
    raise WorkflowError(f"No run named {name!r} in {root}; `netdesigner runs` lists them.")


def plan_rerun(run_dir: Path) -> RerunPlan:
    """Read everything a re-run of ``run_dir`` needs; WorkflowError names what is missing."""
    files = RunDir.open(run_dir)
    record, options, manifest_data = files.read_provenance(), files.read_options(), \
        files.read_manifest()
    initial = files.initial_weights()
    if not record or options is None or manifest_data is None or initial is None:
        raise WorkflowError(f"{run_dir.name} cannot be re-run: it lacks the records a re-run "
                            "needs (runs made before re-runs were recorded, or a run that "
                            "stopped before it started training).")
    design = run_design(run_dir, "last")
    design.apply_state_dict(initial, "Starting weights of the run")
    config = DataConfig.from_dict(dict(files.read_info().data))
    data = prepare_data(config, design.info.preprocessing,
                        manifest=SplitManifest.from_dict(manifest_data))
    threads = record.get("cpu_threads")
    return RerunPlan(run_dir, design, data, rerun_options(options, record),
                     int(threads) if isinstance(threads, int) else None,
                     tuple(differences(record, manifest_data)))


def rerun(plan: RerunPlan, runs_root: Path, *, callbacks: Iterable[Callback] = (),
          should_stop: Callable[[], bool] | None = None) -> RunRecord:
    """Train ``plan`` as a new run in ``runs_root`` (on the recorded number of CPU threads)."""
    with torch_threads(plan.cpu_threads or None):
        return train_design(plan.design, plan.data, plan.options, runs_root=runs_root,
                            name=f"re-run of {plan.run_dir.name}", callbacks=callbacks,
                            should_stop=should_stop)

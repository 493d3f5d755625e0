"""Continue a run from nothing but its folder (`netdesigner resume RUN`): after a stop, a kill,
a crash or a power loss, the folder holds everything needed: the design, the data settings and
split, the options and the checkpoint of the last completed epoch."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from designer.data import SplitManifest
from designer.project.data_config import DataConfig, prepare_data
from designer.project.run_model import run_design
from designer.project.runs import RunRecord
from designer.project.workflow import WorkflowError, resume_run
from designer.training.callbacks import Callback
from designer.training.run_dir import RunDir


def resume_folder(run_dir: Path, *, epochs: int | None = None, lr: float | None = None,
                  callbacks: Iterable[Callback] = (),
                  should_stop: Callable[[], bool] | None = None) -> RunRecord:
    """Resume `run_dir` on the data and options it was trained with (`epochs` may add more,
    `lr` may change the learning rate; a finished run continues only when `epochs` is more than
    it trained)."""
    if not RunDir.is_run(run_dir):
        raise WorkflowError(f"{run_dir} is not a run folder that can be resumed (it needs the "
                            "files `netdesigner train` or the app write into a run folder).")
    run = RunRecord.load(run_dir)
    if run.status == "running":
        raise WorkflowError(f"{run.name} is being trained by another process right now.")
    if not run.files.has_checkpoint():
        raise WorkflowError(f"{run.name} cannot be resumed: it has no checkpoint (it ended "
                            "before it completed an epoch); start a new run.")
    if run.options is None:
        raise WorkflowError(f"{run.name} has no readable training options; start a new run.")
    changes = {k: v for k, v in (("epochs", epochs), ("lr", lr)) if v is not None}
    options = run.options.replace(**changes)
    manifest = run.files.read_manifest()
    design = run_design(run_dir, "last")
    data = prepare_data(DataConfig.from_dict(dict(run.data)), design.info.preprocessing,
                        manifest=SplitManifest.from_dict(manifest) if manifest else None)
    return resume_run(run_dir, data, options, callbacks=callbacks, should_stop=should_stop)

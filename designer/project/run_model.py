"""The trained model of a run: its design with the run's best (or last) weights."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from designer.project.design_io import DesignLoadError, load_design
from designer.project.runs import RunRecord
from designer.surgery.design import Design
from designer.training.errors import CheckpointError


def run_design(run_dir: Path, which: str = "best") -> Design:
    """The design trained in `run_dir`, with its `which` ("best" or "last") weights.

    An interrupted run (killed mid-way) gives the weights of its last completed epoch; a run
    that failed before it trained anything is refused rather than offering untrained weights.
    """
    run = RunRecord.load(run_dir)
    files = run.files
    if not files.design_path.is_file():
        raise DesignLoadError(f"{run_dir} is not a NetDesigner run folder (no design of the "
                              "trained model in it)")
    try:
        weights = files.trained_weights(which)
    except CheckpointError as error:
        raise DesignLoadError(f"{run_dir.name}: {error}") from error
    if weights is None:
        raise DesignLoadError(_no_weights(run))
    design = load_design(files.design_path, weights=weights)
    classes = run.evaluation.classes if run.evaluation is not None else run.info.classes
    if classes and not design.info.class_names:
        design.info = replace(design.info, class_names=tuple(classes))
    return design


def _no_weights(run: RunRecord) -> str:
    if run.status == "failed":
        return (f"{run.name} failed before it trained anything, so it has no trained weights "
                f"({run.message.rstrip('.')}). Fix the cause and start a new run.")
    if run.status == "running":
        return f"{run.name} is still training its first epoch; wait for it to save one."
    return (f"{run.name} has no trained weights: it ended before it completed an epoch. "
            "Start a new run.")

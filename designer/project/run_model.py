"""The trained model of a run: its design with the run's best (or last) weights."""

from __future__ import annotations

from pathlib import Path

from safetensors.torch import load_file

from designer.project.design_io import DesignLoadError, load_design
from designer.project.runs import DESIGN, RunRecord
from designer.surgery.design import Design


def run_design(run_dir: Path, which: str = "best") -> Design:
    """The design trained in `run_dir`, with its `which` ("best" or "last") weights."""
    if not (run_dir / DESIGN).is_file():
        raise DesignLoadError(f"{run_dir} is not a NetDesigner run folder (no {DESIGN})")
    weights_file = run_dir / f"{which}.safetensors"
    if not weights_file.is_file():
        weights_file = run_dir / "last.safetensors"
    if not weights_file.is_file():
        raise DesignLoadError(f"{run_dir} has no trained weights yet: the run did not finish an "
                              "iteration")
    design = load_design(run_dir / DESIGN, weights=load_file(str(weights_file)))
    classes = RunRecord.load(run_dir).evaluation.get("classes")
    if classes and not design.info.class_names:
        from dataclasses import replace

        design.info = replace(design.info, class_names=tuple(classes))
    return design

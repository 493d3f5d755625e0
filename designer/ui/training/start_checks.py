"""What must be true before training can start, as messages that say what to do."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from designer.project.data_config import PreparedData
from designer.surgery.snapshot import FrozenDesign

Fix = Literal["open_model", "open_data", "replace_head"]


@dataclass(frozen=True)
class StartProblem:
    """Why Start cannot proceed, and which fix the dashboard offers."""

    message: str
    fix: Fix


def start_problem(design: FrozenDesign | None, data: PreparedData | None) -> StartProblem | None:
    """The first reason training cannot start, or None.

    The worker repeats the full check (`check_compatible`); this one runs on the GUI thread and
    only catches what the user can fix here, before a thread is started for nothing. It reads
    the snapshot's analysis and never computes one (an edit's analysis may still be running in
    the background: then the worker's check decides).
    """
    if design is None:
        return StartProblem("There is no model to train. Open one in the model browser first.",
                            "open_model")
    if data is None:
        return StartProblem("There is no training data yet. Choose the images on the Data page "
                            "(a folder, or one of the samples) first.", "open_data")
    if not len(data.datasets["train"]):
        return StartProblem("The training split is empty. Give the training split a larger "
                            "share on the Data page, or add images.", "open_data")
    shape = design.analysis.output_shape if design.analysis is not None else None
    outputs, classes = (shape[-1] if shape else None), data.classes
    if outputs is not None and outputs != len(classes):
        shown = ", ".join(classes[:6]) + (", …" if len(classes) > 6 else "")
        return StartProblem(f"The model has {outputs} outputs but the data has {len(classes)} "
                            f"classes ({shown}). Replace the final layers so the model predicts "
                            "these classes.", "replace_head")
    return None

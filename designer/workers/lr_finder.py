"""The learning-rate range test as a background task (run it with `TaskRunner`).

The task trains a copy of a design snapshot, so the user may keep editing; a stop ends it at the
next step and the copy's weights are put back either way. Running out of memory becomes the
same plain sentence a training run gives.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from designer.core.errors import UserError
from designer.project.data_config import PreparedData
from designer.project.lr_range import find_learning_rate
from designer.surgery.snapshot import FrozenDesign
from designer.training.feature_cache import CacheCancelled
from designer.training.lr_finder import RangeTest
from designer.training.options import TrainingOptions
from designer.workers.task import TaskCancelled, TaskFunction
from designer.workers.training import describe_failure


class LrFinderError(UserError, RuntimeError):
    """The range test ran out of memory (the message says what to change)."""


def lr_finder_task(design: FrozenDesign, data: PreparedData,
                   options: TrainingOptions) -> TaskFunction:
    """A `TaskRunner` function returning the `RangeTest` of ``design`` on ``data``."""
    if not isinstance(design, FrozenDesign):
        raise TypeError(f"design must be a snapshot, got {type(design).__name__}")

    def task(progress: Callable[[float, str], None], cancelled: Callable[[], bool]) -> RangeTest:
        try:
            return find_learning_rate(design, data, options, progress=progress,
                                      should_stop=cancelled)
        except CacheCancelled:
            raise TaskCancelled from None
        except (MemoryError, torch.OutOfMemoryError) as error:
            raise LrFinderError(describe_failure(error).replace("while training",
                                                                 "while finding a learning rate")
                                 ) from error
    return task

"""designer.training: the training engine (pure PyTorch, no Qt).

The fit loop itself lives in :mod:`designer.training.loop` (``from designer.training.loop import
fit``) and is deliberately not imported here: the UI may import options and events from this
package, but reaches the loop only through ``designer.workers`` (an import-linter contract).
"""

from __future__ import annotations

from designer.training.callbacks import Callback, Recorder
from designer.training.errors import (
    CallbackError,
    CheckpointError,
    OptionsError,
    SampleLoadError,
    StopTraining,
    TrainingError,
)
from designer.training.events import (
    CacheProgressEvent,
    EpochEvent,
    Event,
    FinishedEvent,
    FinishReason,
    IterationEvent,
    LogEvent,
    StartEvent,
    ValidationEvent,
)
from designer.training.options import TrainingOptions

__all__ = [
    "CacheProgressEvent",
    "Callback",
    "CallbackError",
    "CheckpointError",
    "EpochEvent",
    "Event",
    "FinishReason",
    "FinishedEvent",
    "IterationEvent",
    "LogEvent",
    "OptionsError",
    "Recorder",
    "SampleLoadError",
    "StartEvent",
    "StopTraining",
    "TrainingError",
    "TrainingOptions",
    "ValidationEvent",
]

"""The learning-rate range test of a design on prepared data (the CLI's ``--find-lr`` and the
Train page's "Find learning rate…" both call this).

It trains a copy built from a snapshot, so the live design is never touched; the engine's
range test also puts that copy's weights back when it ends or is stopped.
"""

from __future__ import annotations

from collections.abc import Callable

from designer.core.errors import UserError
from designer.project.data_config import PreparedData
from designer.project.workflow import check_compatible, frozen
from designer.surgery.design import Design
from designer.surgery.snapshot import FrozenDesign
from designer.training.events import CacheProgressEvent, Event
from designer.training.lr_finder import RangeTest, range_test
from designer.training.options import TrainingOptions

Progress = Callable[[float, str], None]


class LrRangeError(UserError, ValueError):
    """The range test cannot run on this design and data, with what to do."""


def find_learning_rate(design: Design | FrozenDesign, data: PreparedData,
                       options: TrainingOptions, *, steps: int = 60,
                       progress: Progress | None = None,
                       should_stop: Callable[[], bool] | None = None) -> RangeTest:
    """Run the range test on ``design``'s training split with ``options``' solver and batch
    size; ``progress(fraction, text)`` hears feature caching then each step."""
    if not isinstance(options, TrainingOptions):
        raise TypeError(f"options must be TrainingOptions, got {type(options).__name__}")
    design = frozen(design)
    check_compatible(design, data)
    train = data.datasets["train"]
    if not len(train):
        raise LrRangeError("The training split is empty: add images to it on the Data page.")
    tell = progress or (lambda _f, _t: None)

    def on_event(event: Event) -> None:
        if isinstance(event, CacheProgressEvent) and event.total:
            tell(event.done / event.total, f"Computing the frozen layers' features "
                                           f"({event.done} of {event.total} images)")

    return range_test(design.build(), train, options, lr_factors=design.lr_factors(),
                      augmented=data.config.augment.enabled, steps=steps, emit=on_event,
                      should_stop=should_stop,
                      step_done=lambda done, total: tell(done / total, f"Trying learning rates "
                                                                       f"({done} of {total} steps)"))

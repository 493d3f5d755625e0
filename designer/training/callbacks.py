"""Callbacks receive the run's events, one no-op method per event kind (Lightning style).

Error policy, so a failing callback never goes unnoticed:

* A callback may raise :class:`~designer.training.errors.StopTraining` to ask for a cooperative
  stop: the run ends with reason ``"stopped"``, exactly like ``should_stop``.
* Any other exception stops training: the run is saved and ends with reason ``"error"`` and a
  message naming the callback, the hook and the exception. The remaining callbacks still receive
  the :class:`FinishedEvent`.
* An exception in ``on_finished`` cannot stop anything any more; every callback still gets the
  event, then ``fit`` raises :class:`~designer.training.errors.CallbackError`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, MutableSequence
from typing import TypeVar

from designer.training.errors import CallbackError, StopTraining
from designer.training.events import (
    CacheProgressEvent,
    EpochEvent,
    Event,
    FinishedEvent,
    IterationEvent,
    LogEvent,
    StartEvent,
    ValidationEvent,
)

E = TypeVar("E", bound=Event)


class Callback:
    """Subclass and override the hooks you need."""

    def on_start(self, event: StartEvent) -> None:
        """Training starts (after feature caching, before the first iteration)."""

    def on_iteration(self, event: IterationEvent) -> None:
        """After each optimiser step."""

    def on_validation(self, event: ValidationEvent) -> None:
        """After each validation pass."""

    def on_epoch(self, event: EpochEvent) -> None:
        """After each full epoch."""

    def on_cache_progress(self, event: CacheProgressEvent) -> None:
        """While features are being cached."""

    def on_log(self, event: LogEvent) -> None:
        """A line for the run log."""

    def on_finished(self, event: FinishedEvent) -> None:
        """Once, at the very end, whatever the reason."""


_HOOKS: dict[type[Event], str] = {
    StartEvent: "on_start",
    IterationEvent: "on_iteration",
    ValidationEvent: "on_validation",
    EpochEvent: "on_epoch",
    CacheProgressEvent: "on_cache_progress",
    LogEvent: "on_log",
    FinishedEvent: "on_finished",
}


class Recorder(Callback):
    """Appends every event to ``events`` (a list by default; the GUI's worker passes a deque,
    whose appends are atomic, and drains it from the GUI thread)."""

    def __init__(self, events: MutableSequence[Event] | None = None) -> None:
        self.events: MutableSequence[Event] = events if events is not None else []

    def on_start(self, event: StartEvent) -> None:
        self.events.append(event)

    def on_iteration(self, event: IterationEvent) -> None:
        self.events.append(event)

    def on_validation(self, event: ValidationEvent) -> None:
        self.events.append(event)

    def on_epoch(self, event: EpochEvent) -> None:
        self.events.append(event)

    def on_cache_progress(self, event: CacheProgressEvent) -> None:
        self.events.append(event)

    def on_log(self, event: LogEvent) -> None:
        self.events.append(event)

    def on_finished(self, event: FinishedEvent) -> None:
        self.events.append(event)

    def of_type(self, kind: type[E]) -> list[E]:
        """The recorded events of one kind, in order."""
        return [e for e in self.events if isinstance(e, kind)]


class CallbackList:
    """Delivers events to callbacks and applies the error policy in the module docstring."""

    def __init__(self, callbacks: Iterable[Callback], sinks: Iterable[Callable[[Event], None]] = ()):
        self._callbacks = list(callbacks)
        self._sinks = list(sinks)
        self.stop_requested = False

    def emit(self, event: Event) -> None:
        """Deliver ``event``; raises :class:`CallbackError` on the first callback that fails."""
        for sink in self._sinks:
            sink(event)
        hook = _HOOKS[type(event)]
        for callback in self._callbacks:
            try:
                getattr(callback, hook)(event)
            except StopTraining:
                self.stop_requested = True
            except Exception as error:
                raise CallbackError(_describe(callback, hook, error)) from error

    def emit_finished(self, event: FinishedEvent) -> list[str]:
        """Deliver the final event to everyone; returns the failures instead of stopping early."""
        for sink in self._sinks:
            sink(event)
        failures: list[str] = []
        for callback in self._callbacks:
            try:
                callback.on_finished(event)
            except Exception as error:  # noqa: BLE001 - collected and raised by fit afterwards
                failures.append(_describe(callback, "on_finished", error))
        return failures


def _describe(callback: Callback, hook: str, error: BaseException) -> str:
    return (
        f"Callback {type(callback).__name__}.{hook} raised {type(error).__name__}: {error}. "
        "Training was stopped and the run saved; fix the callback and resume."
    )

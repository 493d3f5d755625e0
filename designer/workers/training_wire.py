"""What crosses between the GUI process and its training process, and how it is pickled.

Both sides import this module and nothing from Qt (the training process must not load PySide6:
an import-linter contract in pyproject.toml holds it to that). Messages are pickled tuples sent
over a socket pair that only our two processes hold: a pickle is only ever read from that
in-memory pipe, never from a file. The pickler is the standard one (a copy of every tensor,
not torch's shared-memory reductions) with two additions, local to it: read-only mapping views
(`types.MappingProxyType`, used by design snapshots and run records) travel as plain dicts and
come back as views, and a CPU tensor's storage travels as its raw bytes (torch's own reduction
runs a legacy `torch.save` per storage: ~40 ms of Python for Lite0's 296 tensors).

The parent pickles the setup on its worker thread while the GUI thread paints. A thread that
holds the GIL that long starves the GUI thread, which gives the GIL up at every Qt call and
then waits a switch interval (5 ms) to get it back: a run request pickled in one go (~90 ms)
stalled the window 60-85 ms after Start. `dumps(..., pause_every=...)` therefore sleeps briefly
between storages once it has pickled for that long, so the GUI thread gets whole slices.

Parent -> child: a `Setup` (the request and how to run it), later possibly `STOP`.
Child -> parent: `("events", [Event, ...])`, `("log", LogRecord)`, then exactly one of
`("result", RunRecord | KFoldSummary)` or `("failed", Failure)`.
"""

from __future__ import annotations

import copyreg
import io
import pickle
import time
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import torch

from designer.core.errors import UserError
from designer.project.kfold import KFoldRequest
from designer.project.workflow import RunRequest
from designer.training.events import Event

__all__ = ["STOP", "Failure", "FoldStarted", "Setup", "describe_failure", "dumps", "loads"]

#: the parent's only message after the setup: stop before the next batch and save
STOP = ("stop",)


@dataclass(frozen=True)
class FoldStarted(Event):
    """A cross-validation began fold ``fold`` of ``k`` (1-based), as the run ``name``."""

    fold: int
    k: int
    name: str


@dataclass(frozen=True)
class Setup:
    """The one message that starts a run in a (possibly pre-started) training process."""

    request: RunRequest | KFoldRequest
    #: the GUI process's torch intra-op threads, so training uses the same number as before
    threads: int
    #: records at this level and above are forwarded to the GUI process's loggers
    log_level: int


@dataclass(frozen=True)
class Failure:
    """How a run failed outside the engine: the user's sentence, and for a bug (an error that
    is not a UserError or a file/memory problem) its type, text and the child's traceback."""

    message: str
    bug: tuple[str, str, str] | None = None


def describe_failure(error: BaseException) -> str:
    """A user-facing sentence for an exception raised outside the engine's own error handling."""
    if isinstance(error, MemoryError | torch.OutOfMemoryError):
        return ("Out of memory while training. Lower the batch size or the image size, freeze "
                "more layers, or close other programs, then start again.")
    text = str(error).strip() or type(error).__name__
    if isinstance(error, UserError):  # WorkflowError, DataConfigError, OptionsError: worded
        return text
    return f"Training could not run: {type(error).__name__}: {text}"


def _mapping_proxy(items: dict[Any, Any]) -> MappingProxyType[Any, Any]:
    return MappingProxyType(items)


def _reduce_mapping_proxy(proxy: MappingProxyType[Any, Any]) -> tuple[Any, ...]:
    return _mapping_proxy, (dict(proxy),)


def _typed_storage(data: bytearray, dtype: torch.dtype) -> torch.TypedStorage:
    """A CPU storage of ``dtype`` holding a copy of ``data`` (the inverse of `_Pickler`'s
    storage reduction)."""
    raw = torch.frombuffer(data, dtype=torch.uint8).clone() if data else torch.empty(
        0, dtype=torch.uint8)
    return torch.TypedStorage(wrap_storage=raw.untyped_storage(), dtype=dtype, _internal=True)


_DISPATCH = copyreg.dispatch_table.copy()
_DISPATCH[MappingProxyType] = _reduce_mapping_proxy


class _Pickler(pickle.Pickler):
    """The standard pickler with our dispatch table; CPU storages go as raw bytes, and with
    ``pause_every`` it sleeps ``PAUSE_S`` between storages after pickling that long."""

    def __init__(self, file: io.BytesIO, pause_every: float | None) -> None:
        super().__init__(file, protocol=5)
        self.dispatch_table = _DISPATCH | {torch.TypedStorage: self._reduce_storage}
        self._pause_every = pause_every
        self._since = time.perf_counter()

    def _reduce_storage(self, storage: torch.TypedStorage) -> tuple[Any, ...]:
        raw = storage._untyped_storage
        if raw.device.type != "cpu":
            return storage.__reduce__()  # torch's own (a GPU tensor is copied through the CPU)
        if self._pause_every is not None and time.perf_counter() - self._since > self._pause_every:
            time.sleep(PAUSE_S)  # the GIL is free meanwhile: the GUI thread runs
            self._since = time.perf_counter()
        size = raw.nbytes()
        view = torch.empty(0, dtype=torch.uint8).set_(raw, 0, (size,), (1,)).numpy().data
        return _typed_storage, (pickle.PickleBuffer(view), storage.dtype)  # bytearray in-band


#: how long `dumps(..., pause_every=...)` sleeps each time (s)
PAUSE_S = 0.004


def dumps(message: object, *, pause_every: float | None = None) -> bytes:
    """``message`` as bytes for the pipe (raises pickle.PicklingError / TypeError if it cannot
    cross, e.g. a dataset class defined inside a function). ``pause_every`` (s): sleep
    `PAUSE_S` between tensors each time pickling has run this long (a big message pickled
    beside the GUI thread)."""
    buffer = io.BytesIO()
    _Pickler(buffer, pause_every).dump(message)
    return buffer.getvalue()


def loads(data: bytes) -> Any:
    """A message received from the other end of our own pipe (never call this on file data)."""
    return pickle.loads(data)  # bytes from our own child or parent process only

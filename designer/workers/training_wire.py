"""What crosses between the GUI process and its training process, and how it is pickled.

Both sides import this module and nothing from Qt (the training process must not load PySide6:
an import-linter contract in pyproject.toml holds it to that). Messages are pickled tuples sent
over a socket pair that only our two processes hold: a pickle is only ever read from that
in-memory pipe, never from a file. The pickler is the standard one (a copy of every tensor,
not torch's shared-memory reductions) with one addition, local to it: read-only mapping views
(`types.MappingProxyType`, used by design snapshots and run records) travel as plain dicts and
come back as views.

Parent -> child: a `Setup` (the request and how to run it), later possibly `STOP`.
Child -> parent: `("events", [Event, ...])`, `("log", LogRecord)`, then exactly one of
`("result", RunRecord | KFoldSummary)` or `("failed", Failure)`.
"""

from __future__ import annotations

import copyreg
import io
import pickle
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


_DISPATCH = copyreg.dispatch_table.copy()
_DISPATCH[MappingProxyType] = _reduce_mapping_proxy


def dumps(message: object) -> bytes:
    """``message`` as bytes for the pipe (raises pickle.PicklingError / TypeError if it cannot
    cross, e.g. a dataset class defined inside a function)."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = _DISPATCH
    pickler.dump(message)
    return buffer.getvalue()


def loads(data: bytes) -> Any:
    """A message received from the other end of our own pipe (never call this on file data)."""
    return pickle.loads(data)  # bytes from our own child or parent process only

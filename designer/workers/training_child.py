"""The training process: runs one `RunRequest` / `KFoldRequest` and streams its events back.

Started by `designer.workers.training_process.TrainingProcess` (a plain ``python -c`` bootstrap,
not multiprocessing: spawning through multiprocessing would re-import the GUI's ``__main__`` in
the child). It imports the engine (torch) first and then waits for its `Setup`, so a process can
be started ahead of the click. It never imports Qt.

Why a process: the GUI thread paints in pure Python (pyqtgraph), and a training thread in the
same process holds the GIL for most of each batch, so every paint waited for it (stalls of
50-400 ms under load). Here the engine has its own interpreter; the process also lowers its own
CPU priority so that the window wins when both want a core.

It dies with the GUI process: Linux's PR_SET_PDEATHSIG, and everywhere the end of its pipe (a
reader thread sees the parent's end close). Dying like that is a kill -9 for the run: the folder
keeps every completed epoch and can be resumed (checkpoints and atomic writes see to that).
"""

from __future__ import annotations

import collections
import contextlib
import ctypes
import ctypes.util
import logging
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection

#: the first argument that makes a frozen (PyInstaller) NetDesigner act as a training process
CHILD_FLAG = "--training-process"
#: added to the process's nice value, so the window wins a contended core; mild, because under
#: a second CPU-bound program training's threads would otherwise get a small share of theirs
NICENESS = 5
#: how often buffered events go to the GUI process (s); it redraws at 20 Hz
SEND_INTERVAL_S = 0.025
_PR_SET_PDEATHSIG = 1


class _Pipe:
    """The child's end of the pipe: sends are serialised (events, log records and the result
    come from different threads)."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self._lock = threading.Lock()

    def send(self, data: bytes) -> None:
        with self._lock:
            self.connection.send_bytes(data)


class _Sender(threading.Thread):
    """Sends the engine's events every SEND_INTERVAL_S in one message (a frozen backbone's head
    trains thousands of batches a second: one message per event would cost more than the
    batch). `finish` sends the rest and returns once everything has gone."""

    def __init__(self, pipe: _Pipe, dumps: Callable[[object], bytes]) -> None:
        super().__init__(name="training-events", daemon=True)
        self.events: collections.deque[object] = collections.deque()
        self._pipe, self._dumps = pipe, dumps
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.wait(SEND_INTERVAL_S):
            self._send()

    def _send(self) -> None:
        batch = []
        while self.events:
            batch.append(self.events.popleft())
        if batch:
            self._pipe.send(self._dumps(("events", batch)))

    def finish(self) -> None:
        self._done.set()
        self.join()
        self._send()


class _Forward(logging.Handler):
    """Log records to the GUI process's loggers (their handlers decide where they go)."""

    def __init__(self, pipe: _Pipe, dumps: Callable[[object], bytes]) -> None:
        super().__init__()
        self._pipe, self._dumps = pipe, dumps

    def emit(self, record: logging.LogRecord) -> None:
        try:
            if record.exc_info:  # the traceback as text: exception objects may not pickle
                record.exc_text = self.format(record)
                record.msg, record.args, record.exc_info = record.exc_text, None, None
            else:
                record.msg, record.args = record.getMessage(), None
            self._pipe.send(self._dumps(("log", record)))
        except Exception:  # noqa: BLE001 - logging must never end the run
            self.handleError(record)


def _die_with_parent(parent: int) -> None:
    """SIGKILL this process when the parent ends (Linux), and exit now if it already has."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # no prctl: the pipe watch below still works
            pass
    if os.getppid() != parent:
        os._exit(1)


def _blind(fd: int) -> None:
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, fd)
    os.close(null)


def _watch_parent(connection: Connection, stop: threading.Event) -> None:
    """The parent's messages: STOP sets ``stop``; the end of the pipe means the GUI process is
    gone (crashed or killed), and so this process goes too, as a kill -9 would."""
    from designer.workers.training_wire import STOP, loads

    while True:
        try:
            message = loads(connection.recv_bytes())
        except (EOFError, OSError):
            os._exit(1)
        if message == STOP:
            stop.set()


def serve(fd: int, parent: int) -> None:
    """Run one request received on socket ``fd``, report how it ended, and exit."""
    _die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C in a terminal is the window's to handle
    connection = Connection(fd)
    # Processes forked from this one (data-loader workers) get /dev/null in place of the pipe,
    # so the window sees the pipe's end as soon as this process ends, whatever they do.
    os.register_at_fork(after_in_child=lambda: _blind(fd))
    # the engine first, while nobody waits (this process may be started before the click)
    import timm  # noqa: F401 - a design's modules unpickle from timm's classes (Lite0 too)
    import torch

    from designer.project.kfold import KFoldRequest, train_folds
    from designer.project.workflow import run_request
    from designer.training.callbacks import Recorder
    from designer.workers.training_wire import Failure, FoldStarted, describe_failure, dumps, loads
    from designer.workers.unexpected import is_expected

    def failure(error: Exception, *, bug: bool = True) -> Failure:
        """The user's sentence for ``error`` and, for a bug, its type, text and traceback."""
        details = (type(error).__name__, str(error), traceback.format_exc()) if bug else None
        return Failure(describe_failure(error), details)

    pipe = _Pipe(connection)
    try:
        setup = loads(connection.recv_bytes())
        # lower priority only now: a spare loads the engine at full speed before the click
        with contextlib.suppress(OSError):  # not allowed: the same priority as the window
            os.nice(NICENESS)
    except (EOFError, OSError):  # a spare process nobody needed: the window closed
        os._exit(0)
    except Exception as error:  # noqa: BLE001 - a request that cannot be read here is a bug
        pipe.send(dumps(("failed", failure(error))))
        os._exit(0)
    root = logging.getLogger()
    root.setLevel(setup.log_level)
    root.addHandler(_Forward(pipe, dumps))
    torch.set_num_threads(setup.threads)
    stop = threading.Event()
    threading.Thread(target=_watch_parent, args=(connection, stop), name="training-parent",
                     daemon=True).start()
    sender = _Sender(pipe, dumps)
    sender.start()
    request = setup.request
    recorder = Recorder(sender.events)  # type: ignore[arg-type]
    outcome: tuple[str, object]
    try:
        if isinstance(request, KFoldRequest):
            result: object = train_folds(
                request.design, request.data, request.options, request.k,
                runs_root=request.runs_root, name=request.name, callbacks=[recorder],
                should_stop=stop.is_set,
                fold_started=lambda i, k, name: sender.events.append(FoldStarted(i, k, name)))
        else:
            result = run_request(request, callbacks=[recorder], should_stop=stop.is_set)
        outcome = ("result", result)
    except Exception as error:  # noqa: BLE001 - every failure is reported to the window
        logging.getLogger(__name__).warning("training failed outside the engine:\n%s",
                                            traceback.format_exc())
        outcome = ("failed", failure(error, bug=not is_expected(error)))
    sender.finish()
    try:
        pipe.send(dumps(outcome))
    except Exception as error:  # noqa: BLE001 - a result that cannot cross is a bug to report
        pipe.send(dumps(("failed", failure(error))))
    # Exit at once: the interpreter's teardown (freeing torch one module at a time, joining
    # library threads) took seconds after a run, and everything is written and sent.
    logging.shutdown()
    os._exit(0)


def main(argv: list[str]) -> None:
    """``<fd> <parent pid>`` (what TrainingProcess passes)."""
    serve(int(argv[0]), int(argv[1]))

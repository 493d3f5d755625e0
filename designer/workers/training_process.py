"""The GUI process's handle on one training process (`designer.workers.training_child`).

`TrainingProcess` starts the child (``python -c`` with our ``sys.path``; a frozen app runs its
own executable with `CHILD_FLAG`), hands it a `Setup`, passes a stop on, and reads what it sends
back: event batches, log records, then the result or a failure. Nothing here touches Qt; the
QThread worker in designer.workers.training drives it.

A child that ends without a result (killed by the user or the system's out-of-memory killer,
crashed in native code) is described by `ended_message`; its run folder is left as a kill -9
leaves it (every completed epoch kept, resumable).

`prewarm` starts one spare child ahead of time (it imports torch and the engine: 5-25 s on a
busy 2-core laptop, where the thread used to start in 1.5 s) so that Start trains at once;
`take` hands out the spare if it is still alive, else starts a new child; `discard_spare` ends
it (window closing; it would also die with us). The app switches this on with
`enable_warm_start` (tests and scripts start a process per run and keep no idle one around).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import threading
from multiprocessing import Pipe
from pathlib import Path
from typing import Any

from designer.workers.training_child import CHILD_FLAG
from designer.workers.training_wire import STOP, Setup, dumps, loads

log = logging.getLogger(__name__)

#: the setup is pickled in slices of this long (s), the GIL left free between them
SETUP_SLICE_S = 0.003

_BOOTSTRAP = ("import sys, json; sys.path[:] = json.loads(sys.argv[1]); "
              "from designer.workers.training_child import main; main(sys.argv[2:])")


class TrainingProcess:
    """One child process that trains one request (then exits); use from one thread at a time."""

    def __init__(self) -> None:
        ours, theirs = Pipe(duplex=True)
        if getattr(sys, "frozen", False):
            command = [sys.executable, CHILD_FLAG]
        else:
            paths = json.dumps([p for p in sys.path if isinstance(p, str)])
            command = [sys.executable, "-c", _BOOTSTRAP, paths]
        command += [str(theirs.fileno()), str(os.getpid())]
        self._process = subprocess.Popen(command, pass_fds=(theirs.fileno(),),
                                         stdin=subprocess.DEVNULL, env=child_environment())
        theirs.close()
        self._connection = ours
        self._stopped = False
        self.eof = False  # the child closed its end (it exited): nothing more will arrive

    @property
    def pid(self) -> int:
        return self._process.pid

    def alive(self) -> bool:
        return self._process.poll() is None

    def start(self, setup: Setup) -> None:
        """Hand the child its run (raises if the request cannot be pickled: a bug)."""
        data = dumps(setup, pause_every=SETUP_SLICE_S)  # beside the GUI thread: in slices
        try:
            self._connection.send_bytes(data)
        except OSError:  # it died before it got the request: reported as its ending
            self.eof = True

    def stop(self) -> None:
        """Ask the run to stop before its next batch (once; a dead child is ignored)."""
        if self._stopped or self.eof:
            return
        self._stopped = True
        with contextlib.suppress(OSError):  # it has just ended: reported as its ending
            self._connection.send_bytes(dumps(STOP))

    def receive(self, timeout: float) -> list[tuple[str, Any]]:
        """The messages that arrived within ``timeout`` seconds, oldest first (sets `eof` when
        the child's end closed)."""
        messages: list[tuple[str, Any]] = []
        if self.eof:
            return messages
        try:
            if not self._connection.poll(timeout):
                return messages
            while True:
                messages.append(loads(self._connection.recv_bytes()))
                if not self._connection.poll(0):
                    break
        except (EOFError, OSError):  # OSError: it died in the middle of a message
            self.eof = True
        return messages

    def wait(self) -> int:
        """Wait for the child to exit (after `eof`) and return its exit status."""
        return self._process.wait()

    def kill(self) -> None:
        """End the child at once (SIGKILL: the run folder stays as a kill -9 leaves it)."""
        if self.alive():
            self._process.kill()

    def close(self) -> None:
        """Kill the child if it is still running and reap it; close our end of the pipe."""
        self.kill()
        self._process.wait()
        self._connection.close()


def child_environment() -> dict[str, str]:
    """Our environment, with OpenMP's idle threads sleeping instead of spinning (unless the
    user chose otherwise). Spinning workers took the cores the training thread needed whenever
    another program was busy: measured here beside one, 2-6 CPU-seconds per Lite0 batch instead
    of 0.4, ten times slower."""
    return {**os.environ, "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY", "PASSIVE")}


def ended_message(returncode: int, resumable: bool | None) -> str:
    """The one message for a training process that ended without reporting a result.

    ``resumable``: whether its run folder kept a completed epoch (None: no run folder, e.g.
    it died before the run began).
    """
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = "an unknown signal"
        how = f"killed by signal {-returncode}, {name}"
        if -returncode == signal.SIGKILL:
            how += ": the system may have run out of memory, or it was ended from outside"
    else:
        how = f"it exited with status {returncode}"
    text = f"The training process ended unexpectedly ({how})."
    if resumable:
        return (text + " The run keeps every completed epoch: press Resume to continue it. If "
                "memory was short, lower the batch size or the image size, or close other "
                "programs first.")
    if resumable is False:
        return (text + " It had not completed an epoch, so nothing of it could be kept. Lower "
                "the batch size or the image size, or close other programs, then start again.")
    return (text + " Nothing was trained. Lower the batch size or the image size, or close "
            "other programs, then start again.")


def run_folders(runs_root: Path) -> set[str]:
    """Names of the folders in ``runs_root`` now (to find the one a dead child had made)."""
    try:
        return {p.name for p in runs_root.iterdir() if p.is_dir()}
    except OSError:
        return set()


_spare_lock = threading.Lock()
_spare: TrainingProcess | None = None
_warm_start = {"enabled": False}
#: bumped by `discard_spare`: a background prewarm asked for before it starts nothing
_generation = [0]


def enable_warm_start() -> None:
    """Keep a spare process ready from now on (`prewarm_if_enabled`): the app calls this."""
    _warm_start["enabled"] = True


def prewarm_if_enabled() -> None:
    """`prewarm` if the app enabled warm starts (the Train page calls this when shown), on a
    background thread: starting a process from this one (~1 GB) blocks the caller 20-30 ms
    until the child has exec'd, a stall on the GUI thread."""
    if _warm_start["enabled"]:
        generation = _generation[0]
        threading.Thread(target=prewarm, args=(generation,), name="prewarm", daemon=True).start()


def prewarm(generation: int | None = None) -> None:
    """Start a spare training process now if there is none (it loads the engine and waits);
    with ``generation``, only if no `discard_spare` came since it was read."""
    global _spare
    with _spare_lock:
        if _spare is not None and _spare.alive():
            return
        if generation is not None and generation != _generation[0]:
            return  # the window closed meanwhile
        old, _spare = _spare, TrainingProcess()
    if old is not None:
        old.close()  # a spare that died while it waited: reap it


def take() -> TrainingProcess:
    """The spare process if one is alive (it no longer counts as the spare), else a new one."""
    global _spare
    with _spare_lock:
        spare, _spare = _spare, None
    if spare is not None and spare.alive():
        return spare
    if spare is not None:
        spare.close()
    return TrainingProcess()


def spare_pid() -> int | None:
    """The spare process's id, if one is waiting."""
    with _spare_lock:
        return None if _spare is None else _spare.pid


def discard_spare() -> None:
    """End the spare process, if any (the window is closing)."""
    global _spare
    with _spare_lock:
        spare, _spare = _spare, None
        _generation[0] += 1
    if spare is not None:
        spare.close()

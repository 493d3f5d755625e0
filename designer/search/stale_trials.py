"""Trials whose process died (kill -9, power cut) are marked failed, not left "running" for ever.

Optuna 5.0's own heartbeat (``fail_stale_trials``) only exists for RDB storages and is only
recorded inside ``study.optimize``; sweeps use ask/tell on a journal file by default. So a
running trial carries its owner (host, pid, the process's start time and the boot id) and a
heartbeat time refreshed by a background thread. When a study is opened, a running trial is
failed as "interrupted" if its owner is a process of this machine that no longer exists, or if
its heartbeat is older than `STALE_AFTER` (a process on another machine that stopped beating).
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

OWNER = "owner"
HEARTBEAT = "heartbeat"
INTERRUPTED = "interrupted"
BEAT_EVERY = 30.0  # seconds between heartbeats
STALE_AFTER = 600.0  # seconds without a heartbeat after which a trial of another host is dead


def _read(path: str) -> str:
    try:
        return Path(path).read_text("ascii").strip()
    except (OSError, UnicodeDecodeError):
        return ""


def _started(pid: int) -> str:
    """The process's start time in clock ticks since boot ('' when unknown or not running);
    with the boot id it tells a reused pid from the original process."""
    stat = _read(f"/proc/{pid}/stat")
    fields = stat.rpartition(")")[2].split()  # the name in (...) may contain spaces
    return fields[19] if len(fields) > 19 else ""


def owner() -> dict[str, Any]:
    """Who runs a trial: this process on this machine."""
    return {"host": socket.gethostname(), "pid": os.getpid(), "started": _started(os.getpid()),
            "boot": _read("/proc/sys/kernel/random/boot_id")}


def _dead(who: Any) -> bool:
    """True when ``who`` (an owner record) was a process of this machine that has ended."""
    if not isinstance(who, dict) or who.get("host") != socket.gethostname():
        return False
    pid = who.get("pid")
    if not isinstance(pid, int) or pid <= 0:
        return False
    boot = _read("/proc/sys/kernel/random/boot_id")
    if boot and who.get("boot") and who["boot"] != boot:
        return True  # the machine restarted since
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # alive, someone else's
    started = _started(pid)
    return bool(started and who.get("started") and started != who["started"])  # pid reused


@contextlib.contextmanager
def running(trial: Any) -> Iterator[None]:
    """Mark ``trial`` as this process's and keep its heartbeat while the block runs."""
    trial.set_user_attr(OWNER, owner())
    trial.set_user_attr(HEARTBEAT, time.time())
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(BEAT_EVERY):
            with contextlib.suppress(Exception):  # a storage hiccup must not end the trial
                trial.set_user_attr(HEARTBEAT, time.time())

    thread = threading.Thread(target=beat, name="sweep-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def fail_interrupted(handle: Any, now: float | None = None) -> list[int]:
    """Fail the study's running trials whose process is gone; their numbers."""
    import optuna

    now = time.time() if now is None else now
    storage = handle._storage  # optuna has no public way to end another process's trial
    failed = []
    for trial in handle.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
        beat = trial.user_attrs.get(HEARTBEAT)
        silent = isinstance(beat, int | float) and now - beat > STALE_AFTER
        if not (_dead(trial.user_attrs.get(OWNER)) or silent):
            continue
        why = ("the process running it ended before the trial finished (killed or crashed)"
               if not silent else "its process stopped reporting (no heartbeat for "
               f"{(now - float(beat)) / 60:.0f} min)")
        try:
            storage.set_trial_user_attr(trial._trial_id, INTERRUPTED, why)
            storage.set_trial_state_values(trial._trial_id,
                                           state=optuna.trial.TrialState.FAIL)
        except (optuna.exceptions.UpdateFinishedTrialError, RuntimeError):
            continue  # another process finished or failed it meanwhile
        failed.append(trial.number)
    return failed

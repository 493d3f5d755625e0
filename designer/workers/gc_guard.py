"""Keep Python's cyclic garbage collection on the GUI thread while background work runs."""

from __future__ import annotations

import gc


class GuiThreadCollection:
    """Python's cyclic garbage collection on the GUI thread only, and only the young
    generations, while background work runs.

    The collector runs on whichever thread happens to allocate when a threshold is crossed. On
    the training thread it would destroy unreachable Qt objects (old widgets, pyqtgraph items in
    reference cycles) off the GUI thread, which crashes Qt (seen here as a segfault inside
    "Garbage-collecting" in the worker). So automatic collection is paused during a run and the
    runner collects with the same thresholds from its GUI-thread timer (pyqtgraph's
    GarbageCollector does the same for a whole application). Full (generation 2) collections
    are left until the run ends: with torch and Qt loaded one takes ~260 ms here, a visible
    freeze whichever thread runs it, while generations 0 and 1 take ~2 ms.
    """

    _users = 0
    _was_enabled = True

    @classmethod
    def acquire(cls) -> None:
        if cls._users == 0:
            cls._was_enabled = gc.isenabled()
            gc.disable()
        cls._users += 1

    @classmethod
    def release(cls) -> None:
        cls._users = max(0, cls._users - 1)
        if cls._users == 0 and cls._was_enabled:
            gc.enable()

    @staticmethod
    def collect_if_due() -> None:
        """What the automatic collector would do by now, short of a full collection."""
        threshold, count = gc.get_threshold(), gc.get_count()
        if count[0] > threshold[0]:
            gc.collect(1 if count[1] > threshold[1] else 0)

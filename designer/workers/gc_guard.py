"""Keep Python's cyclic garbage collection on the GUI thread while background work runs."""

from __future__ import annotations

import gc
import sys


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

    When the last task ends, what it left is settled (`_settle`) on the GUI thread: the young
    generations are collected and, if survivors reached the old generation, everything alive
    is frozen as app.py freezes Qt and torch. Left alone, the full collection that came due
    during the task ran at the next burst of allocations, the user's next action (measured:
    477 ms inside "Expand all" on maxvit_t), scanning the whole opened design; frozen, later
    full passes scan only what is newer. A full pass here instead measured 180-660 ms inside
    the open. The fx structures of an open and an analysis are taken apart where they are
    made (surgery/fx_release.py), so little garbage is frozen with them (bench/gc_cycles.py).
    """

    _users = 0
    _was_enabled = True
    #: how much the process's allocated blocks may grow past their level at the last full
    #: pass; beyond it, the next settle that freezes unfreezes and collects everything once
    #: (a rare ~0.5 s pass at the end of a task) so cyclic garbage that was frozen with the
    #: survivors is not kept for the whole session. Blocks, not `gc.get_freeze_count()`: that
    #: walks every frozen object (35-100 ms with torch and Qt frozen, measured inside the
    #: analysis landing), `sys.getallocatedblocks()` reads the allocator's arenas (~0.3 ms).
    FULL_PASS_AFTER = 2_000_000
    _blocks_at_full: int | None = None

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
            cls._settle()
            gc.enable()

    @classmethod
    def _settle(cls) -> None:
        """Young garbage freed; if survivors reached the old generation, all frozen (no
        full pass: it would scan the whole design now, on the GUI thread).

        A frozen object is still freed by reference counting (designs are: tests/surgery/
        test_fx_release.py); one that ends in a reference cycle stays until the next full
        pass, which runs here once the process grew by `FULL_PASS_AFTER` allocated blocks
        since the last (or since the first settle)."""
        threshold, count = gc.get_threshold(), gc.get_count()
        if count[2] > 0 or count[1] > threshold[1]:
            gc.collect(1)
            gc.freeze()
            blocks = sys.getallocatedblocks()
            if cls._blocks_at_full is None or blocks < cls._blocks_at_full:
                cls._blocks_at_full = blocks  # memory was freed: grow from the lower level
            elif blocks - cls._blocks_at_full > cls.FULL_PASS_AFTER:
                gc.unfreeze()
                gc.collect()
                gc.freeze()
                cls._blocks_at_full = sys.getallocatedblocks()
        elif count[0] > threshold[0]:
            gc.collect(0)

    #: young (generation-0) passes between two generation-1 passes of `collect_if_due`
    #: (CPython's own threshold is 10). Each object that survives its first pass is scanned
    #: by one generation-1 pass whatever the rhythm, so more frequent ones cost no more in
    #: all, but each scans less: a first open's imports made 15-30 ms passes at 10.
    YOUNG_PER_MIDDLE = 3

    @classmethod
    def collect_if_due(cls) -> None:
        """What the automatic collector would do by now, short of a full collection."""
        if gc.get_count()[0] > gc.get_threshold()[0]:
            gc.collect(1 if gc.get_count()[1] >= cls.YOUNG_PER_MIDDLE else 0)

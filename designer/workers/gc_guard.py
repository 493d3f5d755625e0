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
    #: objects frozen by settles since the last full pass; past `FULL_PASS_AFTER`, the next
    #: settle unfreezes and collects everything once (a rare ~0.5 s pass at the end of a task)
    #: so cyclic garbage that was frozen with the survivors is not kept for the whole session
    FULL_PASS_AFTER = 2_000_000
    _frozen_since_full = 0

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
        pass, which runs here once `FULL_PASS_AFTER` objects have been frozen since the last."""
        threshold, count = gc.get_threshold(), gc.get_count()
        if count[2] > 0 or count[1] > threshold[1]:
            gc.collect(1)
            # what freeze moves: the old generation (the young ones are empty now). Not
            # gc.get_freeze_count() before and after: it walks every frozen object, 20-45 ms
            # each in the app at the end of a run (~570k objects spread over the heap)
            cls._frozen_since_full += len(gc.get_objects(generation=2))
            gc.freeze()
            if cls._frozen_since_full > cls.FULL_PASS_AFTER:
                gc.unfreeze()
                gc.collect()
                gc.freeze()
                cls._frozen_since_full = 0
        elif count[0] > threshold[0]:
            gc.collect(0)

    @staticmethod
    def collect_if_due() -> None:
        """What the automatic collector would do by now, short of a full collection."""
        threshold, count = gc.get_threshold(), gc.get_count()
        if count[0] > threshold[0]:
            gc.collect(1 if count[1] > threshold[1] else 0)

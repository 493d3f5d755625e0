"""The full collection that comes due while background work has the collector paused runs as
the work ends, on the releasing (GUI) thread, instead of inside the user's next action."""

from __future__ import annotations

import gc
import threading
import weakref
from collections.abc import Iterator
from typing import Any

import pytest

from designer.workers.gc_guard import GuiThreadCollection


class _Cycle:
    def __init__(self) -> None:
        self.me = self


@pytest.fixture
def passes() -> Iterator[list[tuple[int, int]]]:
    """(generation, thread id) of every collection that starts."""
    seen: list[tuple[int, int]] = []

    def record(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            seen.append((info["generation"], threading.get_ident()))

    gc.callbacks.append(record)
    yield seen
    gc.callbacks.remove(record)
    gc.unfreeze()  # what the releases froze goes back to the collector for later tests


def _work_that_makes_a_full_collection_due() -> weakref.ref[_Cycle]:
    dead = _Cycle()
    gone = weakref.ref(dead)
    gc.collect(1)  # promoted out of the young generations, as long-lived work's objects are
    del dead
    for _ in range(gc.get_threshold()[2]):  # what collect_if_due does while a task runs
        gc.collect(1)
    return gone


def test_the_full_collection_due_runs_when_the_last_user_releases(
        passes: list[tuple[int, int]]) -> None:
    assert gc.isenabled()
    GuiThreadCollection.acquire()
    GuiThreadCollection.acquire()  # a second background task
    gone = _work_that_makes_a_full_collection_due()
    passes.clear()
    GuiThreadCollection.release()
    assert not gc.isenabled() and passes == [] and gone() is not None  # one task still runs
    frozen = gc.get_freeze_count()
    survivor = _Cycle()  # what the work made and the user keeps (a design, its scene)
    GuiThreadCollection.release()
    assert gc.isenabled()
    assert (2, threading.get_ident()) in passes
    assert gone() is None  # the garbage of the work is freed as it ends, not at a later action
    assert gc.get_count()[2] == 0
    # and what survived is no longer rescanned by later full passes
    assert gc.get_freeze_count() > frozen and survivor not in gc.get_objects()


def test_no_full_collection_when_none_is_due(passes: list[tuple[int, int]]) -> None:
    gc.collect()
    GuiThreadCollection.acquire()
    passes.clear()
    GuiThreadCollection.release()
    assert gc.isenabled()
    assert all(generation < 2 for generation, _thread in passes)

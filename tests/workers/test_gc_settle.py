"""When background work ends, what it left is settled on the releasing (GUI) thread: young
garbage freed, survivors frozen, so the full collection that came due during the work does not
land inside the user's next action scanning the whole opened design."""

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


def test_the_last_release_frees_young_garbage_and_freezes_what_survived(
        passes: list[tuple[int, int]]) -> None:
    assert gc.isenabled()
    GuiThreadCollection.acquire()
    GuiThreadCollection.acquire()  # a second background task
    survivor = _Cycle()  # what the work made and the user keeps (a design, its scene)
    gc.collect(1)  # a young pass during the work (collect_if_due) moves it to the old generation
    dead = _Cycle()
    gone = weakref.ref(dead)
    del dead
    frozen = gc.get_freeze_count()
    passes.clear()
    GuiThreadCollection.release()
    assert not gc.isenabled() and passes == [] and gone() is not None  # one task still runs
    GuiThreadCollection.release()
    assert gc.isenabled()
    assert gone() is None  # the work's garbage is freed as it ends
    assert passes and all(gen < 2 and thread == threading.get_ident() for gen, thread in passes)
    # what survived is no longer rescanned by later full passes
    assert gc.get_freeze_count() > frozen and survivor not in gc.get_objects()


def test_nothing_is_frozen_when_nothing_reached_the_old_generation(
        passes: list[tuple[int, int]]) -> None:
    gc.collect()
    frozen = gc.get_freeze_count()
    GuiThreadCollection.acquire()
    passes.clear()
    GuiThreadCollection.release()
    assert gc.isenabled()
    assert gc.get_freeze_count() == frozen
    assert all(generation < 2 for generation, _thread in passes)


def test_frozen_cyclic_garbage_is_freed_once_enough_was_frozen(
        passes: list[tuple[int, int]], monkeypatch: pytest.MonkeyPatch) -> None:
    """Freezing survivors must not keep the session's cyclic garbage forever: a cycle that was
    frozen while still in use and dropped later goes at the first settle past the budget."""
    monkeypatch.setattr(GuiThreadCollection, "FULL_PASS_AFTER", 1_000)
    monkeypatch.setattr(GuiThreadCollection, "_blocks_at_full", None)
    kept = _Cycle()  # e.g. a replaced canvas scene's items, alive while the task ran
    gone = weakref.ref(kept)
    GuiThreadCollection.acquire()
    gc.collect(1)  # it reaches the old generation during the task
    monkeypatch.setattr(GuiThreadCollection, "FULL_PASS_AFTER", 10**9)
    GuiThreadCollection.release()  # frozen with the other survivors, under budget: no full pass
    assert all(generation < 2 for generation, _thread in passes)
    del kept
    gc.collect()
    assert gone() is not None, "a frozen cycle is not collected by an ordinary full pass"
    monkeypatch.setattr(GuiThreadCollection, "FULL_PASS_AFTER", 1_000)
    GuiThreadCollection.acquire()
    for _ in range(3):
        _Cycle()  # garbage of the next task
    gc.collect(1)
    holder = [_Cycle() for _ in range(5_000)]  # survivors of the next task: over the budget
    gc.collect(1)
    passes.clear()
    GuiThreadCollection.release()
    assert gone() is None, "the full pass past the budget freed the frozen cycle"
    assert any(generation == 2 for generation, _thread in passes)
    assert gc.isenabled() and holder

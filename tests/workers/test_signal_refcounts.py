"""A long session must not crash the app: each `Signal.emit()` of PySide6 6.12.0 dropped one
reference to `True` (on Python 3.11, where True and None are not immortal), so after a few
thousand emits (a training run emits per batch) Python aborted with "Fatal Python error:
bool_dealloc" — the whole test suite ended that way. The pinned PySide6 must not do it."""

from __future__ import annotations

import gc
import sys

import pytest
from PySide6.QtCore import QObject, Signal

EMITS = 300  # per signal: enough to see a drift, too few to drain True to zero


class _Emitter(QObject):
    value = Signal(object)
    bare = Signal()
    progress = Signal(float, str)


def _counts() -> tuple[int, int, int]:
    gc.collect()
    return sys.getrefcount(True), sys.getrefcount(False), sys.getrefcount(None)


@pytest.mark.skipif(sys.version_info >= (3, 12),
                    reason="True, False and None are immortal from Python 3.12 on")
def test_emitting_signals_leaves_the_singletons_reference_counts_alone(qapp: object) -> None:
    emitter = _Emitter()
    received: list[object] = []
    emitter.value.connect(received.append)
    emitter.bare.connect(lambda: received.append(True))
    emitter.progress.connect(lambda fraction, _text: received.append(fraction))
    before = _counts()
    for _ in range(EMITS):
        emitter.value.emit(None)
        emitter.bare.emit()
        emitter.progress.emit(0.5, "step")
    received.clear()
    after = _counts()
    drift = [a - b for a, b in zip(after, before, strict=True)]
    assert all(abs(d) < EMITS // 3 for d in drift), (
        f"reference counts of (True, False, None) moved by {drift} over {3 * EMITS} emits")

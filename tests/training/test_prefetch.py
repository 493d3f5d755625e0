"""The background reader of feature extraction keeps order, passes errors on and stops."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from designer.training.prefetch import prefetched


def test_items_come_out_in_order() -> None:
    assert list(prefetched(iter(range(50)))) == list(range(50))


def test_a_reader_error_is_raised_in_the_consumer_after_the_good_items() -> None:
    def items() -> Iterator[int]:
        yield 1
        yield 2
        raise OSError("disk gone")

    batches = prefetched(items())
    assert [next(batches), next(batches)] == [1, 2]
    with pytest.raises(OSError, match="disk gone"):
        next(batches)


def test_closing_the_consumer_stops_the_reader() -> None:
    produced = []

    def endless() -> Iterator[int]:
        n = 0
        while True:
            produced.append(n)
            yield n
            n += 1

    batches = prefetched(endless(), depth=2)
    assert next(batches) == 0
    batches.close()
    time.sleep(0.3)
    count = len(produced)
    time.sleep(0.3)
    assert len(produced) == count <= 5  # read at most depth ahead, then nothing more
    assert not any(t.name == "netdesigner-prefetch" for t in threading.enumerate())

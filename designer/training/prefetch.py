"""Read the next batches in a background thread while the current one computes.

Feature extraction decodes images (Pillow / torchvision.io release the GIL) and runs the frozen
backbone (torch releases the GIL) one after the other; overlapping them hides most of the
decoding time. Items come out in order, an exception in the reader is raised in the consumer,
and closing the consumer's generator (a stop, an error) ends the reader promptly.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Generator, Iterator
from typing import TypeVar

T = TypeVar("T")

_DONE = object()


def prefetched(items: Iterator[T], depth: int = 2) -> Generator[T, None, None]:
    """``items``, read ``depth`` ahead in a daemon thread."""
    if depth < 1:
        raise ValueError(f"depth must be at least 1, not {depth}")
    buffer: queue.Queue[object] = queue.Queue(maxsize=depth)
    closed = threading.Event()

    def offer(item: object) -> bool:
        while not closed.is_set():
            try:
                buffer.put(item, timeout=0.1)
            except queue.Full:
                continue
            return True
        return False

    def read() -> None:
        try:
            for item in items:
                if not offer(item):
                    return
        except BaseException as error:  # noqa: BLE001 - handed to the consumer, raised there
            offer(_Failure(error))
            return
        offer(_DONE)

    reader = threading.Thread(target=read, name="netdesigner-prefetch", daemon=True)
    reader.start()
    try:
        while True:
            item = buffer.get()
            if item is _DONE:
                return
            if isinstance(item, _Failure):
                raise item.error
            yield item  # type: ignore[misc]
    finally:
        closed.set()
        reader.join(timeout=5)


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error

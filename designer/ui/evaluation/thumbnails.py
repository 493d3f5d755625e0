"""Thumbnails decoded off the GUI thread, a chunk at a time, most wanted first.

A confusion-matrix cell can hold thousands of images; decoding them on the GUI thread would
freeze the window. The loader keeps a queue the view reorders as the user scrolls, decodes a
small chunk per background task and caches the results as QImages (safe to build off the GUI
thread, unlike QPixmaps).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence

from PIL import Image
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from designer.data import DataError, load_rgb
from designer.workers.task import TaskRunner


def pil_to_qimage(image: Image.Image) -> QImage:
    """A QImage that owns its pixels (the PIL buffer may go away)."""
    rgb = image.convert("RGB")
    data = rgb.tobytes()
    return QImage(data, rgb.width, rgb.height, 3 * rgb.width, QImage.Format.Format_RGB888).copy()


def load_thumbnail(path: str, size: int) -> QImage:
    """The image scaled to fit `size`; a null QImage when it cannot be read."""
    try:
        return pil_to_qimage(load_rgb(path, max_side=size))
    except (DataError, OSError, ValueError):
        return QImage()


class ThumbnailLoader(QObject):
    """Background thumbnail decoding with a cache and a priority queue set by the view."""

    #: a chunk was decoded: {path: QImage} (null images for unreadable files)
    loaded = Signal(dict)
    #: every requested thumbnail is in the cache
    idle = Signal()

    def __init__(self, size: int = 96, chunk: int = 24, parent: QObject | None = None,
                 max_cached: int = 3000) -> None:
        super().__init__(parent)
        self.size = size
        self._chunk = chunk
        self._max_cached = max_cached  # 3000 thumbnails of 96 px: about 80 MB
        self._cache: OrderedDict[str, QImage] = OrderedDict()
        self._queue: list[str] = []
        self._runner = TaskRunner(self)
        self._runner.succeeded.connect(self._on_chunk)
        self._runner.finished.connect(self._pump)

    def image(self, path: str) -> QImage | None:
        """The cached thumbnail, or None while it is not loaded yet."""
        return self._cache.get(path)

    @property
    def busy(self) -> bool:
        """Whether thumbnails are still being decoded."""
        return self._runner.running or bool(self._queue)

    def request(self, paths: Sequence[str]) -> None:
        """Load these (in this order) next; replaces earlier requests not started yet."""
        self._queue = [p for p in dict.fromkeys(paths) if p not in self._cache]
        self._pump()

    def shutdown(self) -> None:
        """Drop the queue and join the worker thread."""
        self._queue = []
        self._runner.shutdown()

    def _pump(self) -> None:
        if self._runner.running:
            return
        chunk = [p for p in self._queue if p not in self._cache][: self._chunk]
        if not chunk:
            self._queue = []
            self.idle.emit()
            return
        taken = set(chunk)
        self._queue = [p for p in self._queue if p not in taken]
        self._runner.start(_loader(chunk, self.size))

    def _on_chunk(self, images: object) -> None:
        assert isinstance(images, dict)
        self._cache.update(images)
        while len(self._cache) > self._max_cached:
            self._cache.popitem(last=False)  # the oldest thumbnails go first
        self.loaded.emit(images)


def _loader(paths: list[str], size: int) -> Callable[[Callable[[float, str], None],
                                                      Callable[[], bool]], dict[str, QImage]]:
    def run(progress: Callable[[float, str], None], cancelled: Callable[[], bool]) -> dict[str, QImage]:
        images: dict[str, QImage] = {}
        for i, path in enumerate(paths):
            if cancelled():
                break
            images[path] = load_thumbnail(path, size)
            progress((i + 1) / len(paths), path)
        return images

    return run

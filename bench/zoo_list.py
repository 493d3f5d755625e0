"""Time to list the zoo (~1,900 entries) and to show the model browser with every row.

Target: the browser visible with all rows in <= 0.5 s after start-up, no model built.
"Start-up" here is a process that has imported the app's libraries (torch, torchvision, Qt),
as the app has by the time the user opens the browser; the listing cache is warm (the first
listing after installing or upgrading timm reads timm's configs once: printed separately).
Run: python bench/zoo_list.py
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TARGET_S = 0.5


def _cold_listing_s() -> float:
    """First listing with an empty cache (reads timm's 1,826 pretrained configs)."""
    from designer.zoo import registry, timm_zoo

    with tempfile.TemporaryDirectory() as folder:
        saved = os.environ.get("XDG_CACHE_HOME")
        os.environ["XDG_CACHE_HOME"] = folder
        try:
            timm_zoo.timm_entries.cache_clear()
            registry._entries_of.cache_clear()
            start = time.perf_counter()
            registry.list_entries()
            return time.perf_counter() - start
        finally:
            if saved is None:
                os.environ.pop("XDG_CACHE_HOME", None)
            else:
                os.environ["XDG_CACHE_HOME"] = saved
            timm_zoo.timm_entries.cache_clear()
            registry._entries_of.cache_clear()
            registry._index_of.cache_clear()


def _warm_listing_s() -> tuple[float, int]:
    from designer.zoo import registry, timm_zoo

    registry.list_entries()  # make sure the disk cache exists
    timm_zoo.timm_entries.cache_clear()
    registry._entries_of.cache_clear()
    registry._index_of.cache_clear()
    start = time.perf_counter()
    count = len(registry.list_entries())
    return time.perf_counter() - start, count


def _browser_s() -> tuple[float, int]:
    from PySide6.QtWidgets import QApplication

    from designer.ui.session import DesignSession
    from designer.ui.zoo.browser import ModelBrowser

    app = QApplication.instance() or QApplication([])
    start = time.perf_counter()
    browser = ModelBrowser(DesignSession())
    browser.resize(1000, 700)
    browser.show()
    app.processEvents()
    browser.table.viewport().repaint()
    elapsed = time.perf_counter() - start
    rows = browser.proxy.rowCount()
    browser.shutdown()
    browser.close()
    browser.deleteLater()
    app.processEvents()
    return elapsed, rows


def main() -> None:
    import PySide6.QtWidgets  # noqa: F401 - the app has these loaded at start-up
    import torch  # noqa: F401
    import torchvision  # noqa: F401

    cold = _cold_listing_s()
    warm = [_warm_listing_s() for _ in range(3)]
    shown = [_browser_s() for _ in range(3)]
    list_s = statistics.median(t for t, _ in warm)
    browser_s = statistics.median(t for t, _ in shown)
    print(f"first listing after a timm install (cold cache): {cold:.2f} s")
    print(f"list the zoo ({warm[0][1]} entries, warm cache): {list_s:.3f} s")
    total = list_s + browser_s
    print(f"show the browser with all {shown[0][1]} rows: {browser_s:.3f} s; listing + browser "
          f"{total:.3f} s = {total / TARGET_S:.2f}x the {TARGET_S} s target")


if __name__ == "__main__":
    main()

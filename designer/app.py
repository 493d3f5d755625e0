"""Composition root of the GUI: builds the QApplication and the main window; holds no logic."""

from __future__ import annotations


def run_gui(project: str | None, model: str | None, screenshot: str | None) -> int:
    """Start the designer window (or render it to ``screenshot`` and exit)."""
    raise SystemExit("The designer window is not built yet (issue 4). Try `netdesigner --help`.")

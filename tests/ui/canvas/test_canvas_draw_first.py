"""Draw first, analyse after: an opened model is on the canvas before its analysis ends; shapes,
MACs and issues arrive from the background analysis, and an edit (or another design) made while
an analysis is in flight ends with the newer state's analysis, never the stale one.

The background analysis is held on an event (the `gate` fixture), so "before" and "after" do not
depend on how fast this machine is."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
import torch
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot
from torch import nn

from designer.core.analysis import NetworkAnalysis
from designer.surgery.design import Design
from designer.surgery.opening import open_model
from designer.ui.analyzer import AnalyzerPanel
from designer.ui.canvas import NetworkCanvas
from designer.ui.inspector import Inspector
from designer.ui.session import DesignSession

if TYPE_CHECKING:
    from conftest import Gate, OnScreen, OpenInBackground


@pytest.fixture
def canvas(on_screen: OnScreen, session: DesignSession) -> NetworkCanvas:
    return on_screen(NetworkCanvas(session), 900, 700)


def _texts(panel: Inspector) -> str:
    return " ".join(label.text() for label in panel.widget().findChildren(QLabel))


def test_the_graph_is_drawn_before_the_analysis_and_shapes_follow(
        qtbot: QtBot, session: DesignSession, canvas: NetworkCanvas, gate: Gate,
        open_bg: OpenInBackground) -> None:
    inspector = Inspector(session)
    qtbot.addWidget(inspector)
    analyzer = AnalyzerPanel(session)
    qtbot.addWidget(analyzer)
    inspector.show()  # on screen, they follow the session at the next turn of the event loop
    analyzer.show()
    open_bg(lambda: open_model("resnet18", "none", input_size=64, analyse=False))
    qtbot.waitUntil(lambda: not inspector.later.pending and not analyzer.later.pending)
    scene = canvas.scene
    shown = [ly.name for ly in session.design.network if not ly.plumbing] if session.design \
        else []
    assert len(scene.nodes) > 5, "the traced graph is on the canvas"
    assert {n for item in scene.nodes.values() for n in item.view.members} >= set(shown)
    assert session.analysis is None and session.analysing
    assert all(item.view.shape == "…" for item in scene.nodes.values()), \
        "no shape is shown before the analysis gives one"
    assert "analysing" in _texts(inspector)
    assert analyzer.issues_title.text() == "Issues: analysing…"
    assert _column(analyzer, "MACs") and set(_column(analyzer, "MACs")) == {"…"}, \
        "the table says MACs are coming, not that they are 0"
    assert set(_column(analyzer, "Output")) == {"…"}
    analyzer.table.sortByColumn(5, Qt.SortOrder.DescendingOrder)  # sorting unknowns works
    with qtbot.waitSignal(session.analysis_ready, timeout=60_000):
        gate.open()
    assert session.analysis is not None and session.analysis.output_shape == (1, 1000)
    qtbot.waitUntil(lambda: not inspector.later.pending and not analyzer.later.pending)
    assert scene.nodes["fc"].view.shape == "1000"
    assert scene.nodes["output"].view.shape == "1000"
    text = _texts(inspector)
    assert "analysing" not in text and "MACs" in text
    assert analyzer.issues_title.text() == "Issues: none"
    assert "…" not in _column(analyzer, "MACs") and "…" not in _column(analyzer, "Output")


def _column(panel: AnalyzerPanel, header: str) -> list[str]:
    """The analyzer table's texts in one column, as shown."""
    model = panel.table.model()
    column = next(c for c in range(model.columnCount())
                  if model.headerData(c, Qt.Orientation.Horizontal) == header)
    return [str(model.index(r, column).data()) for r in range(model.rowCount())]


def test_an_edit_while_the_analysis_runs_ends_with_the_edited_designs_analysis(
        qtbot: QtBot, session: DesignSession, canvas: NetworkCanvas, gate: Gate,
        open_bg: OpenInBackground) -> None:
    heard: list[NetworkAnalysis] = []
    session.analysis_ready.connect(heard.append)
    open_bg(lambda: open_model("resnet18", "none", input_size=64, analyse=False))
    qtbot.waitUntil(lambda: gate.started == 1, timeout=20_000)  # the open's analysis is held
    session.edit(lambda d: d.replace_head(7))  # the user does not wait for it
    assert canvas.scene.nodes["fc"].view.shape == "…"
    with qtbot.waitSignal(session.analysis_ready, timeout=60_000):
        gate.open()
    qtbot.waitUntil(lambda: not session.analysing, timeout=60_000)
    assert heard and all(a.output_shape == (1, 7) for a in heard), \
        "the analysis of the design before the edit was never shown"
    assert session.analysis is heard[-1]
    assert session.design is not None and session.design.cached_analysis is heard[-1]
    assert canvas.scene.nodes["output"].view.shape == "7"
    session.undo()  # undo still works after a draw-first open, and is analysed again
    qtbot.waitUntil(lambda: not session.analysing, timeout=60_000)
    assert session.analysis is not None and session.analysis.output_shape == (1, 1000)


def test_a_design_opened_while_another_is_analysed_keeps_its_own_analysis(
        qtbot: QtBot, session: DesignSession, canvas: NetworkCanvas, gate: Gate,
        open_bg: OpenInBackground) -> None:
    heard: list[NetworkAnalysis] = []
    session.analysis_ready.connect(heard.append)
    open_bg(lambda: open_model("resnet18", "none", input_size=64, analyse=False))
    qtbot.waitUntil(lambda: gate.started == 1, timeout=20_000)
    open_bg(lambda: open_model("mobilenet_v3_small", "none", input_size=32,
                                             analyse=False))
    assert "features" in " ".join(canvas.scene.nodes), "the second model is drawn at once"
    gate.open()
    qtbot.waitUntil(lambda: not session.analysing, timeout=60_000)
    assert [a.input_shape for a in heard] == [(1, 3, 32, 32)], \
        "only the shown design's analysis reached the views"
    assert session.design is not None and session.design.info.model_name == "mobilenet_v3_small"


class _SizeArithmetic(nn.Module):
    """Shape arithmetic the graph alone can judge (size, chunk, an unused result) and one it
    cannot (`torch.numel` and what is computed from it)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.fc = nn.Linear(4, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv(x)
        batch = y.size(0)
        per_image = torch.numel(y) // batch
        left, right = torch.chunk(y, 2, dim=1)
        pooled = (left + right).mean(dim=(2, 3)).reshape(batch, -1)
        _unused = y * 2
        return self.fc(pooled) + per_image * 0


def test_helper_layers_the_analysis_finds_leave_the_canvas_when_it_arrives(
        qtbot: QtBot, session: DesignSession, canvas: NetworkCanvas, gate: Gate,
        open_bg: OpenInBackground) -> None:
    eager = Design.from_module(_SizeArithmetic())
    expected = {ly.name for ly in eager.network if not ly.plumbing}
    open_bg(lambda: Design.from_module(_SizeArithmetic(), analyse=False))
    drawn = set(canvas.scene.nodes)
    assert "numel" in drawn, "the graph cannot tell numel's value is a number"
    assert not {"size", "chunk", "mul"} & drawn, "what the graph can tell is hidden at once"
    with qtbot.waitSignal(canvas.scene.rebuilt, timeout=60_000):
        gate.open()
    qtbot.waitUntil(lambda: not session.analysing, timeout=60_000)
    assert set(canvas.scene.nodes) == expected, "the same graph as an analysed import"
    assert session.design is not None
    assert {ly.name for ly in session.design.network if not ly.plumbing} == expected

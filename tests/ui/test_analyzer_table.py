"""The analyzer's layer table: clicking a header sorts (the model sorts its own rows), the
filter still narrows, a clicked row selects its layer, and a layer whose analysis failed stays
red wherever sorting puts it."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QBrush
from pytestqt.qtbot import QtBot

from designer.surgery.opening import open_model
from designer.ui.analyzer import AnalyzerPanel
from designer.ui.session import DesignSession


def _column(panel: AnalyzerPanel, title: str) -> int:
    model = panel.proxy
    return next(c for c in range(model.columnCount())
                if model.headerData(c, Qt.Orientation.Horizontal) == title)


def _shown(panel: AnalyzerPanel, column: int) -> list[object]:
    proxy = panel.proxy
    return [proxy.index(r, column).data(Qt.ItemDataRole.UserRole)
            for r in range(proxy.rowCount())]


def _click_header(qtbot: QtBot, panel: AnalyzerPanel, column: int) -> None:
    header = panel.table.horizontalHeader()
    where = QPoint(header.sectionViewportPosition(column) + header.sectionSize(column) // 2,
                   header.height() // 2)
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=where)


def test_header_clicks_sort_and_the_filter_and_selection_follow(
        qtbot: QtBot, session: DesignSession) -> None:
    panel = AnalyzerPanel(session)
    qtbot.addWidget(panel)
    panel.resize(1200, 400)
    panel.show()
    qtbot.waitExposed(panel)
    session.set_design(open_model("resnet18", input_size=32))
    qtbot.waitUntil(lambda: not panel.later.pending)  # the table follows at the next turn
    macs = _column(panel, "MACs")
    assert _shown(panel, 0) == sorted(_shown(panel, 0)), "execution order at first"
    panel.table.selectRow(3)
    picked = panel.proxy.index(3, 1).data()
    _click_header(qtbot, panel, macs)
    first = _shown(panel, macs)
    _click_header(qtbot, panel, macs)
    second = _shown(panel, macs)
    assert {tuple(first), tuple(second)} == {tuple(sorted(first)), tuple(sorted(first,
                                                                             reverse=True))}
    assert first != second and max(first) > 0  # type: ignore[type-var]
    still = [i.data() for i in panel.table.selectionModel().selectedRows(1)]
    assert still == [picked], "the selected layer stays selected when the rows move"
    biggest = panel.proxy.index(second.index(max(second)), 1)  # type: ignore[type-var]
    panel.table.clicked.emit(biggest)
    assert session.selection == [biggest.data()]
    panel.filter.setText("layer4")
    names = [panel.proxy.index(r, 1).data() for r in range(panel.proxy.rowCount())]
    assert names and all("layer4" in n for n in names)


def test_a_failed_layer_stays_red_after_sorting(qtbot: QtBot, session: DesignSession) -> None:
    panel = AnalyzerPanel(session)
    qtbot.addWidget(panel)
    session.set_design(open_model("resnet18", input_size=32))
    with qtbot.waitSignal(session.analysis_ready, timeout=60_000):
        session.edit(lambda d: d.set_params("fc", in_features=100))  # fc now mismatches
    panel.show()  # a hidden panel catches up as it is shown
    panel.table.sortByColumn(_column(panel, "MACs"), Qt.SortOrder.DescendingOrder)
    proxy = panel.proxy
    red = [proxy.index(r, 1).data() for r in range(proxy.rowCount())
           if isinstance(proxy.index(r, 1).data(Qt.ItemDataRole.ForegroundRole), QBrush)]
    assert sorted(red) == ["fc", "output"]  # fc fails; the output after it is not computed

"""The model browser: zoo table, filter, bubble chart, speed measurement and "Open".

Made for a ~380 px dock: the chart sits below the table in a splitter (collapsible, or hidden
with the Chart button) and the table scrolls sideways. Table and chart share one selection.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QItemSelectionModel,
    QModelIndex,
    QPoint,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QKeyEvent, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QMenu,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from designer.ui.session import DesignSession
from designer.ui.zoo.chart_points import chart_points
from designer.ui.zoo.filter_proxy import ALL_FAMILIES, ZooFilterProxy
from designer.ui.zoo.measure_panel import MeasurePanel
from designer.ui.zoo.open_flow import OpenFlow
from designer.ui.zoo.prompts import BrowserPrompts
from designer.ui.zoo.table_model import (
    HEADERS,
    NAME_ROLE,
    Column,
    MachineState,
    ZooTableModel,
    machine_state,
)
from designer.workers.task import TaskRunner
from designer.zoo.entry import ZooEntry
from designer.zoo.registry import list_entries

if TYPE_CHECKING:
    from designer.ui.zoo.chart import ZooChart

_MIN_NAME_WIDTH = 150
#: on screen the columns a narrow dock needs most come first (the model keeps its order)
_VISUAL_ORDER = (Column.NAME, Column.TOP1, Column.LATENCY, Column.SIZE, Column.WEIGHTS,
                 Column.PARAMS, Column.GFLOPS, Column.FAMILY)
_SAMPLE_TEXT = {Column.FAMILY: "Wide ResNet", Column.WEIGHTS: "download"}


class _ZooTableView(QTableView):
    """Table whose model-name column takes the width left over in a wide dock."""

    open_requested = Signal()

    def fit_columns(self) -> None:
        """Each column as wide as its header (or sample text); the name column gets the rest."""
        metrics = self.fontMetrics()
        header = self.horizontalHeader()
        for column in Column:
            if column == Column.NAME:
                continue
            title = str(self.model().headerData(column, Qt.Orientation.Horizontal))
            text = max(title, _SAMPLE_TEXT.get(column, ""), key=metrics.horizontalAdvance)
            self.setColumnWidth(column, metrics.horizontalAdvance(text) + 28)  # sort arrow
        others = sum(header.sectionSize(c) for c in Column
                     if c != Column.NAME and not header.isSectionHidden(c))
        self.setColumnWidth(Column.NAME, max(_MIN_NAME_WIDTH, self.viewport().width() - others))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.fit_columns()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Enter opens the current model, like a double-click."""
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.open_requested.emit()
            return
        super().keyPressEvent(event)


def _limit_spin(prefix: str, suffix: str, maximum: float, tip: str) -> QDoubleSpinBox:
    """A "no limit at 0" number box for the browser's filter row."""
    spin = QDoubleSpinBox()
    spin.setRange(0.0, maximum)
    spin.setDecimals(1)
    spin.setPrefix(prefix)
    spin.setSuffix(suffix)
    spin.setSpecialValueText(f"{prefix.strip(' ≥≤')}: any")
    spin.setToolTip(tip)
    spin.setKeyboardTracking(False)
    return spin


class ModelBrowser(QWidget):
    """Browse, compare, time and open the zoo's models."""

    #: the user asked to open a model: (model id, weights choice as given to ``open_model``)
    model_open_requested = Signal(str, object)
    #: the zoo is listed in the table (at once, or after `list_in_background`)
    listed = Signal()

    def __init__(self, session: DesignSession, parent: QWidget | None = None,
                 deferred: bool = False) -> None:
        """`deferred`: start empty; `list_in_background` fills the table later (listing the
        zoo imports torchvision, seconds the main window should not wait for)."""
        super().__init__(parent)
        self.session = session
        self.is_listed = not deferred
        self.table_model = ZooTableModel([] if deferred else None, parent=self)
        self._lister = TaskRunner(self)
        self._lister.succeeded.connect(self._fill)
        self._lister.failed.connect(lambda message, _tb: self.session.error_occurred.emit(
            f"The model list could not be read: {message}"))
        self.proxy = ZooFilterProxy(self)
        self.proxy.setSourceModel(self.table_model)
        self.prompts = BrowserPrompts(self)
        self.flow = OpenFlow(session, self.prompts, self)
        self.flow.open_requested.connect(self.model_open_requested)
        self.flow.opened.connect(self.table_model.reload_entry)
        self._build_filter_row()
        self._build_table()
        # the chart (pyqtgraph + numpy, ~0.5 s of import) comes with the list when deferred
        self.chart_box = QWidget()
        QVBoxLayout(self.chart_box).setContentsMargins(0, 0, 0, 0)
        self.chart: ZooChart | None = None
        if not deferred:
            self._make_chart()
        self.measure = MeasurePanel(self._measure_targets, self.table_model.latency,
                                    confirm_long=lambda n, s: self.prompts.confirm_long_measure(
                                        n, s))
        self.measure.measurer.measured.connect(self.table_model.set_latency)
        self._chart_timer = QTimer(self, singleShot=True, interval=0)
        self._chart_timer.timeout.connect(self._refresh_chart)
        self._layout()
        self._connect_refreshes()
        self._refresh_chart()
        self.measure.refresh_label()

    # ----- construction ----------------------------------------------------------------
    def _build_filter_row(self) -> None:
        self.filter_edit = QLineEdit()
        self.filter_edit.setToolTip("Show the models whose name or family contains this text")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self.proxy.set_text)
        self.family_combo = QComboBox()
        self.family_combo.currentIndexChanged.connect(
            lambda _i: self.proxy.set_family(str(self.family_combo.currentData())))
        self.source_combo = QComboBox()
        self.source_combo.setToolTip("Where the model comes from")
        self.license_combo = QComboBox()
        self.license_combo.setToolTip("Licence of the pretrained weights")
        self._fill_choices()
        self.top1_spin = _limit_spin("Top-1 ≥ ", " %", 99.0, "Only models whose published "
                                     "ImageNet top-1 is at least this (0: any)")
        self.params_spin = _limit_spin("Params ≤ ", " M", 5000.0, "Only models with at most "
                                       "this many million parameters (0: any)")
        for combo in (self.family_combo, self.source_combo, self.license_combo):
            # long names ("fair-noncommercial-research-license") must not widen the dock
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(8)
        for combo in (self.source_combo, self.license_combo):
            combo.currentIndexChanged.connect(self._apply_limits)
        for spin in (self.top1_spin, self.params_spin):
            spin.valueChanged.connect(self._apply_limits)

    def _fill_choices(self) -> None:
        """The filter hint and the family / source / licence choices, from the listed entries."""
        entries = self.table_model.entries()
        self.filter_edit.setPlaceholderText(
            f"Filter {len(entries):,} models" if self.is_listed else "Listing models…")
        choices = (
            (self.family_combo, "All families", ALL_FAMILIES,
             sorted({e.family for e in entries}, key=str.casefold)),
            (self.source_combo, "All sources", "", list(dict.fromkeys(e.source for e in entries))),
            (self.license_combo, "Any licence", "",
             sorted({e.license for e in entries if e.license}, key=str.casefold)),
        )
        for combo, everything, value, items in choices:
            combo.blockSignals(True)  # nothing was chosen yet: the proxy keeps "all"
            combo.clear()
            combo.addItem(everything, value)
            for item in items:
                combo.addItem(item, item)
            combo.blockSignals(False)

    def list_in_background(self) -> None:
        """List the zoo off the GUI thread, then fill the table, choices and chart."""
        if self.is_listed or self._lister.running:
            return
        def work(_progress: object, _cancelled: object) -> tuple[list[ZooEntry], MachineState]:
            entries = list_entries()
            return entries, machine_state(entries)

        self._lister.start(work)

    def _fill(self, listed: object) -> None:
        assert isinstance(listed, tuple)
        rows, state = listed
        self.table_model.set_entries(rows, state)
        self.is_listed = True
        self._make_chart()
        self._fill_choices()
        self.table.fit_columns()
        self._schedule_refresh()  # once, with the refreshes the model reset asked for
        self.listed.emit()

    def _apply_limits(self, *_args: object) -> None:
        self.proxy.set_limits(source=str(self.source_combo.currentData()),
                              license=str(self.license_combo.currentData()),
                              min_top1=self.top1_spin.value(),
                              max_params_m=self.params_spin.value())

    def _build_table(self) -> None:
        table = self.table = _ZooTableView()
        table.setModel(self.proxy)
        table.horizontalHeader().setSortIndicator(Column.NAME, Qt.SortOrder.AscendingOrder)
        table.setSortingEnabled(True)  # sorts once, by name: the source's order, so free
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setAlternatingRowColors(True)
        table.setWordWrap(False)
        table.verticalHeader().hide()
        table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 6)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setHighlightSections(False)
        for visual, column in enumerate(_VISUAL_ORDER):
            header.moveSection(header.visualIndex(column), visual)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._column_menu)
        table.fit_columns()
        table.doubleClicked.connect(lambda _index: self.open_selected())
        table.open_requested.connect(self.open_selected)
        table.selectionModel().currentRowChanged.connect(self._on_current_changed)
        table.selectionModel().selectionChanged.connect(lambda *_: self.measure.refresh_label())

    def _layout(self) -> None:
        filters = QHBoxLayout()
        filters.addWidget(self.filter_edit, 3)
        filters.addWidget(self.family_combo, 2)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.chart_box)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(True)
        self.splitter.setSizes([300, 340])
        self.open_button = QPushButton("Open…")
        self.open_button.setToolTip("Open the selected model (or double-click a row)")
        self.open_button.clicked.connect(self.open_selected)
        self.chart_button = QPushButton("Chart")
        self.chart_button.setCheckable(True)
        self.chart_button.setChecked(True)
        self.chart_button.setToolTip("Show or hide the accuracy / latency chart")
        self.chart_button.toggled.connect(self.chart_box.setVisible)
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.measure.button, 1)
        buttons.addWidget(self.chart_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(filters)
        limits = QGridLayout()  # two by two: fits the ~380 px dock
        for i, widget in enumerate((self.source_combo, self.license_combo, self.top1_spin,
                                    self.params_spin)):
            limits.addWidget(widget, i // 2, i % 2)
        layout.addLayout(limits)
        layout.addWidget(self.splitter, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.measure)

    def _connect_refreshes(self) -> None:
        for signal in (self.proxy.rowsInserted, self.proxy.rowsRemoved, self.proxy.modelReset,
                       self.proxy.layoutChanged, self.table_model.dataChanged):
            signal.connect(self._schedule_refresh)

    def _column_menu(self, pos: QPoint) -> None:
        """Right-click on the header: show or hide columns (the name column always stays)."""
        header = self.table.horizontalHeader()
        menu = QMenu(self)
        for column in _VISUAL_ORDER[1:]:
            action = menu.addAction(HEADERS[column][0])
            action.setCheckable(True)
            action.setChecked(not header.isSectionHidden(column))
            action.toggled.connect(lambda on, c=column: self._show_column(c, on))
        menu.exec(header.mapToGlobal(pos))

    def _show_column(self, column: Column, visible: bool) -> None:
        self.table.setColumnHidden(column, not visible)
        self.table.fit_columns()

    # ----- selection -------------------------------------------------------------------
    def selected_names(self) -> list[str]:
        """Model ids of the selected rows, top to bottom."""
        rows = sorted(i.row() for i in self.table.selectionModel().selectedRows())
        return [self.proxy.entry_at(row).name for row in rows]

    def current_name(self) -> str | None:
        """The model of the current row (what Open opens), or None."""
        index = self.table.currentIndex()
        return str(index.data(NAME_ROLE)) if index.isValid() else None

    def select_model(self, name: str) -> None:
        """Make ``name`` the current, only selected row and scroll to it."""
        row = self.proxy.proxy_row_of(name)
        if row < 0:
            return
        index = self.proxy.index(row, 0)
        flags = (QItemSelectionModel.SelectionFlag.ClearAndSelect
                 | QItemSelectionModel.SelectionFlag.Rows)
        self.table.selectionModel().setCurrentIndex(index, flags)
        self.table.scrollTo(index)

    def _on_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if self.chart is not None:
            self.chart.highlight(str(current.data(NAME_ROLE)) if current.isValid() else None)

    # ----- actions ---------------------------------------------------------------------
    def open_selected(self) -> bool:
        """Ask how to open the current model, then open it; False if nothing was started."""
        name = self.current_name()
        if name is None:
            return False
        return self.flow.ask_and_open(name, self.table_model.weights_status(name))

    def _measure_targets(self) -> tuple[list[str], str]:
        selected = self.selected_names()
        if len(selected) > 1:
            return selected, "selected models"
        return self.proxy.visible_names(), "models listed in the table"

    # ----- chart -----------------------------------------------------------------------
    def _schedule_refresh(self, *_args: object) -> None:
        self._chart_timer.start()

    def _make_chart(self) -> None:
        from designer.ui.zoo.chart import ZooChart  # pyqtgraph: after the window's first paint

        if self.chart is not None:
            return
        self.chart = ZooChart()
        self.chart.model_clicked.connect(self.select_model)
        layout = self.chart_box.layout()
        assert layout is not None
        layout.addWidget(self.chart)

    def _refresh_chart(self) -> None:
        if self.chart is None:
            return
        shown = [self.proxy.entry_at(row) for row in range(self.proxy.rowCount())]
        points, skipped = chart_points(shown, self.table_model.latency,
                                       self.table_model.entries())
        self.chart.set_points(points, skipped)
        self.chart.highlight(self.current_name())
        self.measure.refresh_label()

    def shutdown(self) -> None:
        """Stop a running speed measurement (window closing)."""
        self.measure.measurer.cancel()
        self.measure.measurer.runner.shutdown()
        self._lister.shutdown()

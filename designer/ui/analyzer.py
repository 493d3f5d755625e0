"""The analyzer dock: every layer's shape, params, MACs and trainability, plus the issue list.

Clicking an issue or a row selects that layer (the canvas centres it). Fed by
`session.analysis_ready`, which arrives from a background analysis after each edit.
"Profile on this machine" measures every layer's forward time in the background (batch 1 and a
chosen batch); the table shows both beside the MACs with a bar of the share of time, and the
canvas colours nodes by that share (``session.set_timings``).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, cast

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QBrush, QColor, QPainter
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from designer.core.analysis import NetworkAnalysis
from designer.core.network import Network
from designer.ui.formatting import count_text
from designer.ui.later import Later
from designer.ui.session import DesignSession
from designer.workers.task import TaskCancelled, TaskRunner

if TYPE_CHECKING:
    from designer.compress.profile import Profile

_HEADERS = ("#", "Layer", "Kind", "Output", "Params", "MACs", "ms ×1", "ms ×N", "Time",
            "Trainable")
_MS1, _MSN, _SHARE = 6, 7, 8
_NUMERIC = (0, 4, 5, _MS1, _MSN, _SHARE)
_Index = QModelIndex | QPersistentModelIndex
#: rows the column widths are fitted to (the header's resize precision; 0: the visible ones)
RESIZE_ROWS = 0


def _sort_value(value: Any, column: int) -> Any:
    """A cell's sort key; None (not analysed yet) sorts first: -1 among MACs, "" among text."""
    return value if value is not None else -1 if column == 5 else ""


class LayerTableModel(QAbstractTableModel):
    """Rows = visible layers of the document with their analysed numbers."""

    def __init__(self) -> None:
        super().__init__()
        self._rows: list[tuple[Any, ...]] = []
        self._errors: set[str] = set()  # layer names whose analysis failed
        self._profiles: tuple[Profile, Profile] | None = None
        self.max_share = 0.0
        self._order: tuple[int, Qt.SortOrder] = (0, Qt.SortOrder.AscendingOrder)

    def set_profiles(self, profiles: tuple[Profile, Profile] | None) -> None:
        """Measured times at batch 1 and batch N (None: not profiled, columns empty)."""
        self.beginResetModel()
        self._profiles = profiles
        self.max_share = max(profiles[0].shares().values(), default=0.0) if profiles else 0.0
        self._sort_rows()
        self.endResetModel()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort the rows here, in one Python sort: a sorting proxy would call `data()` from
        C++ for every comparison (~0.1 s per analysis on maxvit_t's 1,171 rows)."""
        self.layoutAboutToBeChanged.emit()
        kept = self.persistentIndexList()  # the view's selection and current row
        names = [str(self._rows[i.row()][1]) for i in kept]
        self._order = (column, order)
        self._sort_rows()
        rows = {str(row[1]): r for r, row in enumerate(self._rows)}
        self.changePersistentIndexList(
            kept, [self.index(rows[name], i.column()) for i, name in zip(kept, names, strict=True)])
        self.layoutChanged.emit()

    def _sort_rows(self) -> None:
        column, order = self._order
        if column in (_MS1, _MSN, _SHARE):
            def key(row: tuple[Any, ...]) -> Any:
                value = self._time(str(row[1]), column)
                return -1.0 if value is None else value
        else:
            def key(row: tuple[Any, ...]) -> Any:
                return _sort_value(row[column], column)
        self._rows.sort(key=key, reverse=order == Qt.SortOrder.DescendingOrder)

    def _time(self, name: str, column: int) -> float | None:
        if self._profiles is None:
            return None
        one, many = self._profiles
        if column == _MS1:
            return one.layers.get(name)
        if column == _MSN:
            return many.layers.get(name)
        return one.share(name) if name in one.layers else None

    def set_data(self, network: Network | None, analysis: NetworkAnalysis | None) -> None:
        """Replace the rows (after an edit or a new analysis)."""
        self.beginResetModel()
        self._rows, self._errors = [], set()
        if network is not None:
            for layer in network:
                if layer.plumbing:
                    continue
                info = analysis.layers.get(layer.name) if analysis else None
                trainable = "—" if layer.num_params == 0 else ("no" if layer.frozen else "yes")
                if info is not None and info.error:
                    self._errors.add(layer.name)
                pending = analysis is None  # shapes and MACs arrive with the analysis
                self._rows.append((len(self._rows) + 1, layer.name, layer.kind,
                                   info.shape_text if info else None if pending else "",
                                   info.params if info else layer.num_params,
                                   info.macs if info else None if pending else 0,
                                   None, None, None, trainable))
        self._sort_rows()
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(_HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            if section == _MSN and self._profiles is not None:
                return f"ms ×{self._profiles[1].batch}"
            return _HEADERS[section]
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.ToolTipRole:
            return {_MS1: "Measured forward time of the layer at batch 1 (median)",
                    _MSN: "Measured forward time of the layer at the chosen batch (median)",
                    _SHARE: "Share of the batch-1 forward time spent in this layer"}.get(section)
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        column = index.column()
        value = row[column]
        if column in (_MS1, _MSN, _SHARE):
            value = self._time(str(row[1]), column)
            if role == Qt.ItemDataRole.DisplayRole:
                if value is None:
                    return ""
                return f"{100 * value:.1f} %" if column == _SHARE else f"{value:.3f}"
            if role == Qt.ItemDataRole.UserRole:
                return -1.0 if value is None else value
        if role == Qt.ItemDataRole.DisplayRole:
            if value is None:
                return "…"  # not analysed yet (draw first, analyse after)
            return count_text(value) if column in (4, 5) else str(value)
        if role == Qt.ItemDataRole.UserRole:  # sort key
            return _sort_value(value, column)
        if role == Qt.ItemDataRole.ForegroundRole and row[1] in self._errors:
            return QBrush(QColor("#c0392b"))
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() in _NUMERIC:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def layer_at(self, row: int) -> str:
        """Layer name of a source row."""
        return str(self._rows[row][1])


class _FilterOnly(QSortFilterProxyModel):
    """Filters rows; sorting is passed to the source model (`LayerTableModel.sort`)."""

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        source = self.sourceModel()
        if source is not None:
            source.sort(column, order)


class _ShareBar(QStyledItemDelegate):
    """The "Time" column: a bar as long as the layer's share relative to the slowest layer."""

    def __init__(self, model: LayerTableModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = model

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        share = index.data(Qt.ItemDataRole.UserRole)
        if isinstance(share, float) and share > 0 and self._model.max_share > 0:
            rect = option.rect.adjusted(2, 3, -2, -3)
            rect.setWidth(max(1, round(rect.width() * share / self._model.max_share)))
            painter.fillRect(rect, QColor(230, 90, 60, 150))
        super().paint(painter, option, index)


def _gap_text(unattributed_ms: float) -> str:
    if unattributed_ms >= 0:
        return f"{unattributed_ms:.1f} ms unattributed"
    return f"the per-layer clocks add {-unattributed_ms:.1f} ms"


class AnalyzerPanel(QWidget):
    """Layer table with a filter, and the issues found, side by side."""

    def __init__(self, session: DesignSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.model = LayerTableModel()
        self.proxy = _FilterOnly(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterKeyColumn(-1)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.filter = QLineEdit(placeholderText="Filter layers…")
        self.filter.textChanged.connect(self.proxy.setFilterFixedString)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)  # execution order
        # fit the columns to the rows in sight only: measuring all of maxvit_t's 1,171 rows took
        # ~0.9 s of the GUI thread after every analysis
        self.table.horizontalHeader().setResizeContentsPrecision(RESIZE_ROWS)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.clicked.connect(self._on_row_clicked)
        self.table.setItemDelegateForColumn(_SHARE, _ShareBar(self.model, self.table))
        self._build_profile_row()
        self.issues = QListWidget()
        self.issues.itemClicked.connect(self._on_issue_clicked)
        self.issues_title = QLabel("Issues")
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addLayout(self.profile_row)
        left_layout.addWidget(self.profile_info)
        left_layout.addWidget(self.filter)
        left_layout.addWidget(self.table)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.issues_title)
        right_layout.addWidget(self.issues)
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(splitter)
        # the rows and issues follow the session one event-loop turn later (or when shown):
        # not inside the signals that open a model or land its analysis (see ui/later.py)
        self.later = Later(self, self._show_analysis)
        for signal in (session.analysis_ready, session.document_changed, session.design_replaced,
                       session.preview_changed):  # a model being opened: its layers, "…"
            signal.connect(self.later.request)
        session.design_replaced.connect(lambda _d: self._clear_profile())
        session.document_changed.connect(lambda _names: self._clear_profile())

    # ----- profile -----------------------------------------------------------------------
    def _build_profile_row(self) -> None:
        self.profile_button = QPushButton("Profile on this machine")
        self.profile_button.setToolTip("Measure every layer's forward time on this CPU, at batch 1 "
                                       "and the chosen batch (warm-up, then the median of repeats)")
        self.profile_button.clicked.connect(self.start_profile)
        self.batch_box = QSpinBox()
        self.batch_box.setRange(2, 256)
        self.batch_box.setValue(8)
        self.batch_box.setPrefix("and batch ")
        self.threads_box = QSpinBox()
        self.threads_box.setRange(1, max(1, os.cpu_count() or 1))
        # torch's own default is one thread per core; torch itself is not imported before the
        # first paint (start-up), so the default is taken from the core count
        self.threads_box.setValue(self.threads_box.maximum())
        self.threads_box.setSuffix(" thread(s)")
        self.threads_box.setToolTip("CPU threads to measure with. On a busy machine 1 thread "
                                    "gives steadier numbers: with several, every layer waits "
                                    "for the slowest thread")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.colour_box = QCheckBox("Colour canvas by time")
        self.colour_box.setEnabled(False)
        self.colour_box.toggled.connect(self._show_colours)
        self.profile_progress = QProgressBar()
        self.profile_progress.setRange(0, 1000)
        self.profile_progress.setMaximumWidth(160)
        self.profile_progress.hide()
        self.profile_row = QHBoxLayout()
        for widget in (self.profile_button, self.batch_box, self.threads_box, self.cancel_button,
                       self.profile_progress, self.colour_box):
            self.profile_row.addWidget(widget)
        self.profile_row.addStretch(1)
        self.profile_info = QLabel("")
        self.profile_info.setWordWrap(True)
        self.profile_info.hide()
        self.profiles: tuple[Profile, Profile] | None = None
        self.profile_runner = TaskRunner(self)
        self.profile_runner.progressed.connect(self._on_profile_progress)
        self.profile_runner.succeeded.connect(self._on_profiled)
        self.profile_runner.failed.connect(lambda m, _t: self._profile_done(f"Profile failed: {m}"))
        self.profile_runner.cancelled.connect(lambda: self._profile_done("Profile cancelled."))
        self.cancel_button.clicked.connect(self.profile_runner.cancel)

    def start_profile(self) -> None:
        """Measure the design as it is now, in the background (batch 1, then the chosen batch)."""
        design = self.session.design
        if design is None or self.profile_runner.running:
            return
        from designer.compress.profile import ProfileCancelledError, profile_snapshot, snapshot

        network, store = snapshot(design)
        size, batch = design.info.input_size, self.batch_box.value()
        threads = self.threads_box.value()

        def work(progress: Any, cancelled: Any) -> tuple[Profile, Profile]:
            try:
                one = profile_snapshot(network, store, size, batch=1, repeats=10, threads=threads,
                                       progress=lambda f, m: progress(0.5 * f, f"batch 1: {m}"),
                                       cancel=cancelled)
                many = profile_snapshot(network, store, size, batch=batch, repeats=5,
                                        threads=threads,
                                        progress=lambda f, m: progress(0.5 + 0.5 * f,
                                                                       f"batch {batch}: {m}"),
                                        cancel=cancelled)
            except ProfileCancelledError:
                raise TaskCancelled() from None
            return one, many

        self.profile_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.profile_progress.setValue(0)
        self.profile_progress.show()
        self.profile_info.setText("Profiling… the numbers are measured while other programs run, "
                                  "so keep the machine as quiet as you can.")
        self.profile_info.show()
        self.profile_runner.start(work)

    def _on_profile_progress(self, fraction: float, message: str) -> None:
        self.profile_progress.setValue(round(1000 * fraction))
        self.profile_info.setText(f"Profiling: {message}")

    def _on_profiled(self, result: object) -> None:
        assert isinstance(result, tuple)
        one, many = cast("tuple[Profile, Profile]", result)
        self.profiles = (one, many)
        self.model.set_profiles(self.profiles)
        self.table.resizeColumnsToContents()
        per_image = many.total_ms / many.batch
        self._profile_done(
            f"Batch 1: layers sum to {one.sum_ms:.1f} ms, measured forward {one.total_ms:.1f} ms "
            f"({100 * one.coverage:.0f} %: {_gap_text(one.unattributed_ms)}). "
            f"Batch {many.batch}: {many.total_ms:.1f} ms "
            f"({per_image:.1f} ms per image, {1000 / per_image:.0f} images/s). "
            f"{one.threads} CPU thread(s); median of {one.repeats} runs after {one.warmup} "
            "warm-up.")
        self.colour_box.setEnabled(True)
        self.colour_box.setChecked(True)
        self._show_colours(True)

    def _profile_done(self, text: str) -> None:
        self.profile_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.profile_progress.hide()
        self.profile_info.setText(text)
        self.profile_info.show()

    def _show_colours(self, on: bool) -> None:
        self.session.set_timings(self.profiles[0].shares() if on and self.profiles else None)

    def _clear_profile(self) -> None:
        """The design was edited or replaced: its measured times no longer apply."""
        if self.profiles is None:
            return
        self.profiles = None
        self.model.set_profiles(None)
        self.colour_box.setChecked(False)
        self.colour_box.setEnabled(False)
        self.profile_info.hide()

    def _show_analysis(self) -> None:
        design = self.session.design
        # while a model's weights build, its drawn graph (not the design it replaces) is listed
        previewing = self.session.preview is not None
        analysis = None if previewing else self.session.analysis
        self.model.set_data(self.session.shown_network, analysis)
        self.table.resizeColumnsToContents()
        self.issues.clear()
        found = list(analysis.issues) if analysis is not None else []
        visible = [i for i in found if design is None or i.layer not in design.network
                   or not design.network[i.layer].plumbing]
        for issue in visible:
            item = QListWidgetItem(f"{'⛔' if issue.severity == 'error' else '⚠'}  {issue.message}")
            item.setData(Qt.ItemDataRole.UserRole, issue.layer)
            item.setToolTip(issue.message)
            self.issues.addItem(item)
        errors = sum(1 for i in visible if i.severity == "error")
        self.issues_title.setText(f"Issues: {errors} error(s), {len(visible) - errors} "
                                  "warning(s)" if visible else "Issues: none" if analysis
                                  is not None or self.session.shown_network is None
                                  else "Issues: analysing…")

    def _on_issue_clicked(self, item: QListWidgetItem) -> None:
        self.session.select([str(item.data(Qt.ItemDataRole.UserRole))])

    def _on_row_clicked(self, index: QModelIndex) -> None:
        self.session.select([self.model.layer_at(self.proxy.mapToSource(index).row())])

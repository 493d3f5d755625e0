"""Model ▸ Analyze for compression…: per layer, what it weighs, what it holds, if it can shrink.

The numbers come from `designer.compress.analysis` (computed in the background, cancellable);
the measured batch-1 time of each layer comes from the analyzer's profile, which this dialog can
start ("Measure latency"). Sorting any column finds the heaviest or slowest layers; the totals
say the most memory INT8 and pruning can save, and how much of the measured forward time the
per-layer times do not account for.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from designer.compress.analysis import (
    PRUNE_EXAMPLE_RATIO,
    AnalysisCancelledError,
    CompressionAnalysis,
    LayerCompression,
    analyze_compression,
)
from designer.compress.profile import Profile
from designer.core.network import Network
from designer.surgery.design import Design
from designer.ui.analyzer import AnalyzerPanel
from designer.ui.formatting import bytes_text, count_text
from designer.ui.session import DesignSession
from designer.workers.task import TaskCancelled, TaskRunner

_PERCENT = f"{100 * PRUNE_EXAMPLE_RATIO:.0f} %"
HEADERS = ("#", "Layer", "Kind", "Params", "Weights", "Activations", "Prunable",
           f"Pruning {_PERCENT}\nsaves", "INT8\nsaves", "ms ×1", "Time", "Why")
_TIPS = {
    4: "Memory of the layer's weights as stored (fp32)",
    5: "Memory of the layer's output at batch 1 (fp32)",
    6: "Can structured pruning remove this layer's output channels? 'with others': only "
       "together with the layers it is tied to (residual adds, the convolution it follows)",
    7: f"Weight memory pruning {_PERCENT} of the channels saves here (the layer "
       f"keeps about (1 − {PRUNE_EXAMPLE_RATIO})² of its weights)",
    8: "Weight memory INT8 saves here (convolution and linear weights: 4 bytes → 1)",
    9: "Measured forward time of the layer at batch 1 (median; Measure latency)",
    10: "Share of the per-layer total time",
}
_NUMERIC = (0, 3, 4, 5, 7, 8, 9, 10)
_Index = QModelIndex | QPersistentModelIndex


class CompressionTableModel(QAbstractTableModel):
    """One row per layer of the analysis, with the measured time when there is a profile."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: tuple[LayerCompression, ...] = ()
        self.profile: Profile | None = None

    def set_analysis(self, analysis: CompressionAnalysis | None) -> None:
        self.beginResetModel()
        self.rows = analysis.layers if analysis is not None else ()
        self.endResetModel()

    def set_profile(self, profile: Profile | None) -> None:
        self.beginResetModel()
        self.profile = profile
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            return _TIPS.get(section)
        return None

    def value(self, row: int, column: int) -> Any:
        """The raw value of a cell (numbers for numeric columns; None: not measured)."""
        layer = self.rows[row]
        if column in (9, 10):
            if self.profile is None or layer.name not in self.profile.layers:
                return None
            return self.profile.layers[layer.name] if column == 9 \
                else self.profile.share(layer.name)
        return (row + 1, layer.name, layer.kind, layer.params, layer.weight_bytes,
                layer.activation_bytes, layer.prunable or "—", layer.prune_example_saving_bytes,
                layer.int8_saving_bytes, None, None, layer.reason)[column]

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, column = index.row(), index.column()
        value = self.value(row, column)
        if role == Qt.ItemDataRole.DisplayRole:
            return _text(column, value)
        if role == Qt.ItemDataRole.UserRole:  # sort key: numbers as numbers
            return -1.0 if value is None else value
        if role == Qt.ItemDataRole.TextAlignmentRole and column in _NUMERIC:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and column == 6:
            colour = {"yes": "#1e8449", "with others": "#b9770e", "no": "#c0392b"}.get(
                self.rows[row].prunable)
            return QBrush(QColor(colour)) if colour else None
        if role == Qt.ItemDataRole.ToolTipRole and column in (6, 11):
            return self.rows[row].reason
        return None


def _text(column: int, value: Any) -> str:
    if value is None:
        return ""
    if column == 3:
        return count_text(value) if value else ""
    if column in (4, 5, 7, 8):
        return bytes_text(int(value)) if value else ""
    if column == 9:
        return f"{value:.3f}"
    if column == 10:
        return f"{100 * value:.1f} %"
    return str(value)


def totals_text(analysis: CompressionAnalysis, profile: Profile | None) -> str:
    """The totals line: memory, the largest reductions, and the measured time left over."""
    weights = max(1, analysis.weight_bytes)
    text = (f"<b>Weights</b> {bytes_text(analysis.weight_bytes)}, <b>activations</b> at batch 1 "
            f"{bytes_text(analysis.activation_bytes)}. <b>INT8</b> saves up to "
            f"{bytes_text(analysis.int8_saving_bytes)} "
            f"({100 * analysis.int8_saving_bytes / weights:.0f} % of the weights). "
            f"<b>Pruning</b>: prunable layers hold {bytes_text(analysis.prunable_weight_bytes)} "
            f"({100 * analysis.prunable_weight_bytes / weights:.0f} %, the most pruning can "
            f"save); at {_PERCENT} of channels about "
            f"{bytes_text(analysis.prune_example_saving_bytes)}.")
    if profile is not None:
        text += (f"<br><b>Time</b> at batch 1 ({profile.threads} thread(s)): the layers sum to "
                 f"{profile.sum_ms:.1f} ms of a measured forward of {profile.total_ms:.1f} ms "
                 f"({100 * profile.coverage:.0f} %); {unattributed_text(profile)}.")
    return text


def unattributed_text(profile: Profile) -> str:
    """What the per-layer times leave out of the measured forward, in words."""
    left = profile.unattributed_ms
    if left >= 0:
        return f"{left:.1f} ms unattributed (work between layers no layer's clock sees)"
    return (f"the per-layer clocks add {-left:.1f} ms (the node-by-node run's own cost, and "
            "pauses of a busy machine)")


class CompressionDialog(QDialog):
    """The compression analysis of the current design (non-modal; refreshed on request)."""

    def __init__(self, session: DesignSession, analyzer: AnalyzerPanel | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Analyze for compression")
        self.session = session
        self.analyzer = analyzer
        self.analysis: CompressionAnalysis | None = None
        self.model = CompressionTableModel()
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(Qt.ItemDataRole.UserRole)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.clicked.connect(self._on_row_clicked)
        self.title = QLabel()
        self.totals = QLabel()
        self.totals.setWordWrap(True)
        self.totals.setTextFormat(Qt.TextFormat.RichText)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setMaximumWidth(220)
        self.status = QLabel()
        self.cancel_button = QPushButton("Cancel")
        self.refresh_button = QPushButton("Analyze again")
        self.refresh_button.setToolTip("Analyze the design as it is now (after edits)")
        self.measure_button = QPushButton("Measure latency")
        self.measure_button.setToolTip("Profile every layer on this machine (the analyzer's "
                                       "Profile on this machine) and show its time here")
        self.measure_button.setEnabled(analyzer is not None)
        row = QHBoxLayout()
        for widget in (self.refresh_button, self.measure_button, self.progress,
                       self.cancel_button, self.status):
            row.addWidget(widget)
        row.addStretch(1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addLayout(row)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.totals)
        layout.addWidget(buttons)
        self.runner = TaskRunner(self)
        self.runner.progressed.connect(self._on_progress)
        self.runner.succeeded.connect(self._on_done)
        self.runner.failed.connect(lambda m, _t: self._finish(f"Analysis failed: {m}"))
        self.runner.cancelled.connect(lambda: self._finish("Cancelled: nothing was changed."))
        self.cancel_button.clicked.connect(self.runner.cancel)
        self.refresh_button.clicked.connect(self.start)
        self.measure_button.clicked.connect(self._measure)
        if analyzer is not None:
            analyzer.profile_runner.finished.connect(self._take_profile)
            analyzer.profile_runner.progressed.connect(
                lambda f, m: self.status.setText(f"Measuring latency: {m} ({100 * f:.0f} %)"))
        session.design_replaced.connect(lambda _d: self.start() if self.isVisible() else None)
        self.resize(1340, 660)
        self._set_busy(False)

    def start(self) -> None:
        """Analyze the design as it is now, in the background."""
        design = self.session.design
        if design is None or self.runner.running:
            return
        copy = Design(Network(design.network.state().layers), dict(design.store), design.info)
        self.title.setText(f"<b>{design.info.model_name}</b>: per layer, its weights, its "
                           "output's memory, and whether structured pruning or INT8 can shrink "
                           "it. Click a row to find the layer on the canvas.")

        def work(progress: Any, cancelled: Any) -> CompressionAnalysis:
            try:
                return analyze_compression(copy, progress=progress, cancel=cancelled)
            except AnalysisCancelledError:
                raise TaskCancelled() from None

        self._set_busy(True)
        self.status.setText("Analyzing…")
        self.runner.start(work)

    def shutdown(self) -> None:
        """Stop the background analysis (dialog or window closing)."""
        self.runner.shutdown()

    def done(self, result: int) -> None:
        self.shutdown()
        super().done(result)

    def _set_busy(self, busy: bool) -> None:
        self.progress.setVisible(busy)
        self.cancel_button.setVisible(busy)
        self.cancel_button.setEnabled(busy)
        self.refresh_button.setEnabled(not busy)
        self.progress.setValue(0)

    def _on_progress(self, fraction: float, message: str) -> None:
        self.progress.setValue(round(1000 * fraction))
        self.status.setText(f"Analyzing: {message}")

    def _on_done(self, result: object) -> None:
        assert isinstance(result, CompressionAnalysis)
        self.analysis = result
        self.model.set_analysis(result)
        self._take_profile()
        self.table.resizeColumnsToContents()
        for column, widest in ((1, 210), (2, 130)):
            self.table.setColumnWidth(column, min(self.table.columnWidth(column), widest))
        self._finish(f"{len(result.layers)} layers")

    def _finish(self, text: str) -> None:
        self._set_busy(False)
        self.status.setText(text)

    def _measure(self) -> None:
        if self.analyzer is not None and not self.analyzer.profile_runner.running:
            self.analyzer.start_profile()
            self.status.setText("Measuring latency…")

    def _take_profile(self) -> None:
        """Show the analyzer's batch-1 profile (if it was measured on this design)."""
        profiles = self.analyzer.profiles if self.analyzer is not None else None
        profile = profiles[0] if profiles else None
        self.model.set_profile(profile)
        if self.analysis is not None:
            self.totals.setText(totals_text(self.analysis, profile))
        if profile is not None:
            self.status.setText(f"Latency measured: batch 1 on {profile.device}, "
                                f"{profile.threads} thread(s)")

    def _on_row_clicked(self, index: QModelIndex) -> None:
        row = self.proxy.mapToSource(index).row()
        self.session.select([self.model.rows[row].name])

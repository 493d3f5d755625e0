"""Model ▸ Prune channels…: structured pruning in the background, then a before/after table.

The pruned network opens on the canvas as a new, unsaved design (`DesignSession.open_derived`):
editable, trainable, exportable like any other; the original is kept and Undo returns to it.
"Fine-tune to recover…" is the next step: it puts a short fine-tune preset into the training
options and shows the Train page, where Start trains the pruned design through the normal path.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from designer.compress.prune import (
    PruneCancelledError,
    PruneResult,
    prune_design,
    training_batches,
)
from designer.core.network import Network
from designer.surgery.design import Design
from designer.training.options import TrainingOptions
from designer.ui.formatting import count_text
from designer.ui.workspace import Workspace
from designer.workers.task import TaskCancelled, TaskRunner

#: the recovery fine-tune: a few epochs of the whole pruned network at a small learning rate
RECOVERY_EPOCHS = 3
RECOVERY_LR = 1e-4
TAYLOR_BATCHES = 4
#: latency before/after at one CPU thread: steady on a busy machine (designer.compress.profile)
LATENCY_THREADS = 1


def recovery_options(options: TrainingOptions) -> TrainingOptions:
    """`options` turned into a short recovery fine-tune (everything else is kept)."""
    return replace(options, epochs=RECOVERY_EPOCHS, lr=RECOVERY_LR, recipe="standard",
                   warmup_epochs=0.0, schedule="cosine")


class PruneDialog(QDialog):
    """Choose the share and the importance, prune, see before/after, go on to fine-tune."""

    #: the user asked for the recovery fine-tune (the window shows the Train page)
    finetune_requested = Signal()

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Prune channels")
        self.workspace = workspace
        self.session = workspace.session
        self.pruned: PruneResult | None = None
        self.share = QSpinBox()
        self.share.setRange(5, 90)
        self.share.setSingleStep(5)
        self.share.setValue(30)
        self.share.setSuffix(" % of channels")
        self.importance = QComboBox()
        self.importance.addItem("Magnitude (L2 norm of each channel's weights)", "magnitude")
        self.importance.addItem("Taylor (weight × gradient on training images)", "taylor")
        self.data_note = QLabel()
        self.data_note.setWordWrap(True)
        self.intro = QLabel()
        self.intro.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Remove", self.share)
        form.addRow("Importance", self.importance)
        form.addRow("", self.data_note)
        self.prune_button = QPushButton("Prune")
        self.prune_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel")
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.status = QLabel()
        self.status.setWordWrap(True)
        run_row = QHBoxLayout()
        run_row.addWidget(self.prune_button)
        run_row.addWidget(self.cancel_button)
        run_row.addWidget(self.progress, 1)
        self.table = QTableWidget(3, 4)
        self.table.setHorizontalHeaderLabels(["", "Before", "After", "After ÷ before"])
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setMaximumHeight(120)
        self.table.hide()
        self.next_note = QLabel()
        self.next_note.setWordWrap(True)
        self.finetune_button = QPushButton("Fine-tune to recover…")
        self.finetune_button.setToolTip(
            f"Set the training options to a short recovery fine-tune ({RECOVERY_EPOCHS} epochs "
            f"at learning rate {RECOVERY_LR:g}) and show the Train page; press Start there")
        self.close_button = QPushButton("Close")
        end_row = QHBoxLayout()
        end_row.addStretch(1)
        end_row.addWidget(self.finetune_button)
        end_row.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addLayout(form)
        layout.addLayout(run_row)
        layout.addWidget(self.status)
        layout.addWidget(self.table)
        layout.addWidget(self.next_note)
        layout.addStretch(1)
        layout.addLayout(end_row)
        self.runner = TaskRunner(self)
        self.runner.progressed.connect(self._on_progress)
        self.runner.succeeded.connect(self._on_pruned)
        self.runner.failed.connect(lambda m, _t: self._finish(m))
        self.runner.cancelled.connect(
            lambda: self._finish("Cancelled: no design was made; the original is unchanged."))
        self.prune_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.runner.cancel)
        self.finetune_button.clicked.connect(self._finetune)
        self.close_button.clicked.connect(self.reject)
        self.importance.currentIndexChanged.connect(self._update_enabled)
        workspace.data_changed.connect(self._update_enabled)
        self.runner.finished.connect(self._update_enabled)
        self.session.design_replaced.connect(self._update_enabled)
        self.session.locked_changed.connect(self._update_enabled)
        self.resize(620, 470)
        self._describe()
        self._set_busy(False)

    def _describe(self) -> None:
        design = self.session.design
        name = design.info.model_name if design is not None else "the design"
        self.intro.setText(
            f"Remove whole channels from every prunable layer of <b>{name}</b> (torch-pruning: "
            "channels tied by residual adds and depthwise layers go together; the classifier's "
            "outputs stay). The pruned network opens as a <b>new design</b>; the original is "
            "kept and <i>Undo</i> returns to it. Accuracy drops until you fine-tune.")

    def _taylor_problem(self) -> str | None:
        """Why Taylor importance cannot run now (None: it can)."""
        data = self.workspace.data
        if data is None or len(data.datasets.get("train", ())) == 0:
            return ("Taylor importance needs a few batches of the project's training images: "
                    "choose data on the Data page first (magnitude needs none).")
        return None

    def _update_enabled(self, *_args: object) -> None:
        problem = self._taylor_problem()
        item = self.importance.model().item(1)  # type: ignore[attr-defined]
        item.setEnabled(problem is None)
        if problem is not None and self.importance.currentData() == "taylor":
            self.importance.setCurrentIndex(0)
        self.data_note.setText(problem or f"Taylor scores channels on {TAYLOR_BATCHES} batches "
                               "of the Data page's training images.")
        running = self.runner.running
        self.prune_button.setEnabled(not running and self.session.design is not None
                                     and not self.session.locked)
        shown = self.pruned is not None and self.session.design is self.pruned.design
        self.finetune_button.setEnabled(not running and shown)

    def start(self) -> None:
        """Prune a copy of the current design in the background."""
        design = self.session.design
        if design is None or self.runner.running:
            return
        if self.session.locked:
            self._finish("This design is training; prune it when the run has ended.")
            return
        copy = Design(Network(design.network.state().layers), dict(design.store), design.info)
        ratio = self.share.value() / 100
        importance = str(self.importance.currentData())
        data = self.workspace.data if importance == "taylor" else None
        dataset = data.datasets["train"] if data is not None else None

        def work(progress: Any, cancelled: Any) -> PruneResult:
            batches = training_batches(dataset, batches=TAYLOR_BATCHES) \
                if dataset is not None else ()
            try:
                return prune_design(copy, ratio, importance=importance,  # type: ignore[arg-type]
                                    batches=batches, threads=LATENCY_THREADS,
                                    progress=progress, cancel=cancelled)
            except PruneCancelledError:
                raise TaskCancelled() from None

        self.pruned = None
        self.table.hide()
        self.next_note.setText("")
        self._set_busy(True)
        self.status.setText("Pruning…")
        self.runner.start(work)

    def _set_busy(self, busy: bool) -> None:
        self.progress.setVisible(busy)
        self.progress.setValue(0)
        self.cancel_button.setVisible(busy)
        self.share.setEnabled(not busy)
        self.importance.setEnabled(not busy)
        self._update_enabled()

    def _on_progress(self, fraction: float, message: str) -> None:
        self.progress.setValue(round(1000 * fraction))
        self.status.setText(f"Pruning: {message}")

    def _finish(self, text: str) -> None:
        self._set_busy(False)
        self.status.setText(text)

    def _on_pruned(self, result: object) -> None:
        assert isinstance(result, PruneResult)
        original = self.session.design
        self.pruned = result
        self._fill_table(result)
        self.session.open_derived(result.design, f"Prune {result.ratio:.0%}")
        self._finish(f"Made <b>{result.design.info.model_name}</b> and opened it on the canvas "
                     f"({result.importance} importance).")
        name = original.info.model_name if original is not None else "the original"
        self.next_note.setText(
            "Next: fine-tune to recover the accuracy pruning cost (a few epochs of the whole "
            f"network at a small learning rate). Undo on the canvas returns to {name}; save the "
            "project to keep the pruned design.")

    def _fill_table(self, result: PruneResult) -> None:
        rows = (("Parameters", result.params_before, result.params_after, count_text),
                ("MACs", result.macs_before, result.macs_after, count_text),
                (f"Latency (ms), batch 1, {result.threads} thread{'s' if result.threads > 1 else ''}",
                 result.ms_before,
                 result.ms_after,
                 lambda v: f"{v:.2f}"))
        for row, (name, before, after, fmt) in enumerate(rows):
            ratio = f"×{after / before:.2f}" if before else ""
            for column, text in enumerate((name, fmt(before), fmt(after), ratio)):
                item = QTableWidgetItem(text)
                if column:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight |
                                          Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, column, item)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.
                                                           ResizeToContents)
        self.table.show()

    def _finetune(self) -> None:
        """Short recovery preset into the training options, then the Train page."""
        self.workspace.set_options(recovery_options(self.workspace.options))
        self.finetune_requested.emit()
        self.accept()

    def done(self, result: int) -> None:
        self.runner.shutdown()
        super().done(result)

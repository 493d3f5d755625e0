"""A preview of the whole learning-rate schedule before training, redrawn as the options change.

The numbers come from designer.training.schedules.plan, which walks the very schedule objects
the engine steps with (warm-up, step / cosine / one-cycle, both phases of the fine-tune recipe),
so what is drawn is what the run will do. Phase two's earlier layer groups are drawn at their
discriminative factors, dashed.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from designer.training.options import TrainingOptions
from designer.training.schedules import SchedulePlan, iterations_per_epoch, plan
from designer.ui.plot_style import AXIS, style_axes

HEAD = QColor(44, 140, 60)
GROUPS = [QColor(120, 80, 170), QColor(150, 110, 190), QColor(180, 145, 210),
          QColor(205, 180, 228)]
PHASE_LINE = QColor(123, 31, 162)
#: points drawn at most (the plan samples the steps, keeping every jump; ~1 per pixel)
MAX_POINTS = 1500
#: steps per epoch assumed before any data is prepared
ASSUMED_PER_EPOCH = 100


class SchedulePreview(QWidget):
    """The planned learning rate per step (x in epochs), with a one-line summary under it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = pg.PlotWidget(background="w")
        item = self.plot.getPlotItem()
        item.setLabel("bottom", "Epoch")
        item.setLabel("left", "Learning rate")
        style_axes(item)
        item.showGrid(x=True, y=True, alpha=0.15)
        item.setMenuEnabled(False)
        item.hideButtons()
        item.setMouseEnabled(x=False, y=False)
        self.legend = item.addLegend(offset=(-6, 6), labelTextColor=AXIS,
                                     brush=pg.mkBrush(255, 255, 255, 220))
        self.head = item.plot(pen=pg.mkPen(HEAD, width=2), name="Learning rate")
        self.groups = [item.plot(pen=pg.mkPen(colour, width=1.5, style=Qt.PenStyle.DashLine))
                       for colour in GROUPS]
        self.phase = pg.InfiniteLine(angle=90, pen=pg.mkPen(PHASE_LINE, style=Qt.PenStyle.DashLine),
                                     label="phase 2: all layers",
                                     labelOpts={"position": 0.9, "color": PHASE_LINE,
                                                "fill": (255, 255, 255, 200)})
        item.addItem(self.phase)
        self.phase.hide()
        self.log_axis = QCheckBox("Log scale")
        self.log_axis.setToolTip("Show the learning rate on a logarithmic axis (the fine-tune "
                                 "recipe's layer groups span decades).")
        self.log_axis.toggled.connect(lambda on: item.setLogMode(x=False, y=on))
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        top = QHBoxLayout()
        top.addWidget(QLabel("<b>Planned learning rate</b> — what Start will use, step by step"),
                         1)
        top.addWidget(self.log_axis)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.summary)
        self._options: TrainingOptions | None = None
        self._train_images: int | None = None
        #: the plan drawn now (tests compare it with the engine's steps)
        self.current: SchedulePlan | None = None

    def set_options(self, options: TrainingOptions) -> None:
        """Redraw for new options (the form's, whenever they are valid)."""
        self._options = options
        self._redraw()

    def set_train_images(self, count: int | None) -> None:
        """The training split's size (None: no data prepared yet)."""
        self._train_images = count if count else None
        self._redraw()

    def _redraw(self) -> None:
        options = self._options
        if options is None:
            return
        per_epoch = iterations_per_epoch(self._train_images, options) \
            if self._train_images else ASSUMED_PER_EPOCH
        found = self.current = plan(options, per_epoch, MAX_POINTS)
        epochs = [step / per_epoch for step in found.steps]
        self.head.setData(epochs, found.lrs)
        self.legend.clear()
        if found.phase_start is not None:
            self.legend.addItem(self.head, "Head (new last layers)")
            second = [i for i, s in enumerate(found.steps) if s >= found.phase_start]
            for index, (curve, factor) in enumerate(zip(self.groups, found.group_factors,
                                                        strict=True)):
                curve.setData([epochs[i] for i in second], [found.lrs[i] * factor for i in second])
                curve.show()
                self.legend.addItem(curve, f"{_GROUP_NAMES[index]} ×{factor:.2g}")
            self.phase.setValue(found.phase_start / per_epoch)
            self.phase.show()
        else:
            self.legend.addItem(self.head, "Learning rate")
            for curve in self.groups:
                curve.hide()
            self.phase.hide()
        self.plot.getPlotItem().setXRange(0, options.epochs, padding=0.01)
        self.summary.setText(_summary(options, found, self._train_images))


_GROUP_NAMES = ("Earliest layers", "Early-middle layers", "Late-middle layers", "Latest layers")


def _summary(options: TrainingOptions, found: SchedulePlan, images: int | None) -> str:
    """'10 epochs × 12 steps = 120 steps (from 384 training images, batch 32); …'."""
    where = (f"{images:,} training images, batch {options.batch_size}"
             if images else "steps per epoch assumed: prepare the data for the real count")
    parts = [f"{_epochs(options.epochs)} × {found.per_epoch} steps = {found.total:,} steps "
             f"({where})."]
    peak = max(found.lrs) if found.lrs else options.lr
    parts.append(f"Highest rate {peak:.2g}, last {found.lrs[-1]:.2g}." if found.lrs else "")
    if options.warmup_epochs and options.schedule != "onecycle":
        parts.append(f"Warm-up over {_epochs(options.warmup_epochs)}.")
    if found.phase_start is not None:
        low = min(found.group_factors, default=1.0)
        parts.append(f"Head only for {_epochs(options.head_epochs)}, then all layers at "
                     f"{options.finetune_lr_ratio:g}× (earliest layers a further {low:.2g}×).")
    return " ".join(p for p in parts if p)


def _epochs(count: float) -> str:
    return f"{count:g} epoch" + ("" if count == 1 else "s")

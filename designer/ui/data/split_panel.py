"""Train/validation/test percentages that always add up to 100, the seed and a per-class cap."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QWidget,
)

from designer.project.data_config import DataConfig

SPLIT_NAMES = ("Training", "Validation", "Test")
_SHORT = ("Train", "Val", "Test")
#: Which other fields give way, in order, when one percentage is edited.
_ABSORBERS = {0: (2, 1), 1: (2, 0), 2: (1, 0)}


def balance(values: tuple[int, int, int], index: int, value: int) -> tuple[int, int, int]:
    """Set one percentage and adjust the others so all three add up to 100 (training ≥ 1)."""
    out = list(values)
    out[index] = value
    excess = sum(out) - 100
    for j in _ABSORBERS[index]:
        if excess == 0:
            break
        new = min(100, max(1 if j == 0 else 0, out[j] - excess))
        excess -= out[j] - new
        out[j] = new
    out[index] -= excess
    return out[0], out[1], out[2]


def percentages(fractions: tuple[float, float, float]) -> tuple[int, int, int]:
    """Whole percentages for fractions (rounded, then balanced to 100)."""
    values = [round(f * 100) for f in fractions]
    return balance((values[0], values[1], values[2]), 0, 100 - values[1] - values[2])


class SplitPanel(QGroupBox):
    """Percent spin boxes kept at a total of 100, seed, optional images-per-class cap."""

    #: the user changed a split setting
    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Split", parent)
        tips = ("Images the model learns from",
                "Images checked after every epoch (for choosing the best epoch)",
                "Images kept aside for the final, unbiased assessment (0 % to skip)")
        self.spins: list[QSpinBox] = []
        row = QHBoxLayout()
        for i, (name, tip) in enumerate(zip(SPLIT_NAMES, tips, strict=True)):
            spin = QSpinBox()
            spin.setRange(1 if i == 0 else 0, 100 if i == 0 else 99)
            spin.setSuffix(" %")
            spin.setToolTip(f"{name}: {tip}")
            spin.setAccessibleName(f"{name} percentage")
            spin.valueChanged.connect(lambda v, i=i: self._on_percent(i, v))
            label = QLabel(_SHORT[i])
            label.setToolTip(tip)
            row.addWidget(label)
            row.addWidget(spin, 1)
            self.spins.append(spin)
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setToolTip("Random seed of the split: the same seed gives the same split")
        self.seed.valueChanged.connect(self.changed)
        self.cap_check = QCheckBox("At most")
        self.cap_check.setToolTip("Use only some images per class (quick experiments)")
        self.cap = QSpinBox()
        self.cap.setRange(1, 1_000_000)
        self.cap.setValue(100)
        self.cap.setSuffix(" images per class")
        self.cap.setToolTip(self.cap_check.toolTip())
        self.cap.setEnabled(False)
        self.cap_check.toggled.connect(self.cap.setEnabled)
        self.cap_check.toggled.connect(self.changed)
        self.cap.valueChanged.connect(self._on_cap)
        cap_row = QHBoxLayout()
        cap_row.addWidget(self.cap_check)
        cap_row.addWidget(self.cap, 1)
        self.counts = QLabel()
        self.counts.setWordWrap(True)
        self.counts.setStyleSheet("color: #555")
        form = QFormLayout(self)
        form.addRow(row)
        form.addRow("Seed", self.seed)
        form.addRow("Limit", cap_row)
        form.addRow(self.counts)
        self.set_config(DataConfig())

    @property
    def values(self) -> tuple[int, int, int]:
        """The three percentages."""
        return self.spins[0].value(), self.spins[1].value(), self.spins[2].value()

    def set_percentages(self, train: int, val: int, test: int) -> None:
        """Set all three at once (they must add up to 100); emits `changed` once."""
        if train + val + test != 100:
            raise ValueError(f"percentages must add up to 100, got {train + val + test}")
        self._show((train, val, test))
        self.changed.emit()

    def apply_to(self, config: DataConfig) -> DataConfig:
        """`config` with this panel's split settings."""
        fractions = tuple(v / 100 for v in self.values)
        cap = self.cap.value() if self.cap_check.isChecked() else None
        return replace(config, fractions=(fractions[0], fractions[1], fractions[2]),
                       seed=self.seed.value(), cap=cap)

    def set_config(self, config: DataConfig) -> None:
        """Show a config's split settings without emitting `changed`."""
        self._show(percentages(config.fractions))
        for widget, value in ((self.seed, config.seed), (self.cap, config.cap or self.cap.value())):
            widget.blockSignals(True)
            widget.setValue(value)
            widget.blockSignals(False)
        self.cap_check.blockSignals(True)
        self.cap_check.setChecked(config.cap is not None)
        self.cap.setEnabled(config.cap is not None)
        self.cap_check.blockSignals(False)

    def set_counts(self, counts: dict[str, int], folders_define_split: bool) -> None:
        """Show how many images each split got (after preparing)."""
        text = " · ".join(f"{name.lower()} {counts.get(key, 0)}"
                          for name, key in zip(SPLIT_NAMES, ("train", "val", "test"), strict=True))
        if folders_define_split:
            text += ("\nThe folder has its own train/val/test folders: they are kept; the "
                     "percentages only take validation images out of train when there is no val.")
        self.counts.setText(text)

    def _show(self, values: tuple[int, int, int]) -> None:
        for spin, value in zip(self.spins, values, strict=True):
            spin.blockSignals(True)
            spin.setValue(value)
            spin.blockSignals(False)

    def _on_percent(self, index: int, value: int) -> None:
        self._show(balance(self.values, index, value))
        self.changed.emit()

    def _on_cap(self) -> None:
        if self.cap_check.isChecked():
            self.changed.emit()

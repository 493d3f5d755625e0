"""Small dialogs behind canvas menu entries, plus `ask_*` hooks tests can replace.

Menus call `ask_replace_head` / `ask_lr_factor` through this module, so a test answers them by
monkeypatching one function instead of fighting a modal event loop; the dialog classes are
tested directly.
"""

from __future__ import annotations

from typing import NamedTuple

from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QInputDialog,
    QLabel,
    QPlainTextEdit,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)


class HeadChoice(NamedTuple):
    """What the user asked for: the arguments of `Design.replace_head` (unpacks as a tuple)."""

    num_classes: int
    class_names: tuple[str, ...] = ()
    dropout: float = 0.0


class ReplaceHeadDialog(QDialog):
    """Number of classes or class names (one per line), and optional dropout before the head."""

    def __init__(self, parent: QWidget | None = None, classes: int | None = None,
                 names: tuple[str, ...] = ()) -> None:
        super().__init__(parent)
        self.setWindowTitle("Replace final layers")
        self.by_count = QRadioButton("Number of classes")
        self.by_names = QRadioButton("Class names, one per line")
        group = QButtonGroup(self)
        group.addButton(self.by_count)
        group.addButton(self.by_names)
        self.count = QSpinBox()
        self.count.setRange(2, 100_000)  # one class is no classifier (Design refuses it)
        self.count.setValue(classes or 2)
        self.names = QPlainTextEdit("\n".join(names))
        self.names.setPlaceholderText("cat\ndog\nbird")
        self.names.setMaximumHeight(120)
        self.dropout = QDoubleSpinBox()
        self.dropout.setRange(0.0, 0.9)
        self.dropout.setSingleStep(0.1)
        self.dropout.setDecimals(2)
        self.dropout.setSpecialValueText("none")
        self.message = QLabel()
        self.message.setStyleSheet("color: #c62828")
        self.message.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self._lay_out()
        (self.by_names if names else self.by_count).setChecked(True)
        for signal in (self.by_count.toggled, self.count.valueChanged, self.names.textChanged):
            signal.connect(self._check)
        self._check()

    def _lay_out(self) -> None:
        form = QFormLayout()
        form.addRow(self.by_count, self.count)
        form.addRow(self.by_names)
        form.addRow(self.names)
        form.addRow("Dropout before the new layer", self.dropout)
        layout = QVBoxLayout(self)
        intro = QLabel("The final layer is replaced by a new, untrained one with one output per "
                       "class; every other pretrained weight is kept.")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)

    def class_names(self) -> tuple[str, ...]:
        """The typed names, blank lines and surrounding spaces removed."""
        return tuple(line.strip() for line in self.names.toPlainText().splitlines() if line.strip())

    def problem(self) -> str:
        """Why the current input cannot be used ('' when it can)."""
        if self.by_count.isChecked():
            return ""
        names = self.class_names()
        if not names:
            return "Type at least one class name, one per line."
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            return f"Each class name must be different: {', '.join(repeated)} appears twice."
        return ""

    def choice(self) -> HeadChoice | None:
        """The valid choice, or None while the input has a problem."""
        if self.problem():
            return None
        dropout = float(self.dropout.value())
        if self.by_count.isChecked():
            return HeadChoice(int(self.count.value()), (), dropout)
        names = self.class_names()
        return HeadChoice(len(names), names, dropout)

    def _check(self) -> None:
        self.count.setEnabled(self.by_count.isChecked())
        self.names.setEnabled(self.by_names.isChecked())
        problem = self.problem()
        self.message.setText(problem)
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(not problem)


def ask_replace_head(parent: QWidget | None, classes: int | None = None,
                     names: tuple[str, ...] = ()) -> HeadChoice | None:
    """Run the replace-head dialog; None when cancelled."""
    dialog = ReplaceHeadDialog(parent, classes, names)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return dialog.choice()


def ask_lr_factor(parent: QWidget | None, current: float = 1.0) -> float | None:
    """Ask for a learning-rate factor ≥ 0; None when cancelled."""
    value, ok = QInputDialog.getDouble(
        parent, "Learning-rate factor",
        "Multiply the learning rate of the selected layers by\n"
        "(1 = normal, 0.1 = change pretrained weights gently, 0 = do not train):",
        current, 0.0, 1000.0, 3)
    return float(value) if ok else None

"""The preview of "apply to files": every move listed before anything happens."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from designer.audit.apply_files import ApplyPlan


class ApplyPreview(QDialog):
    """Lists ``plan``'s moves; accepting it means "move these files"."""

    def __init__(self, plan: ApplyPlan, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        version = "the original" if plan.version is None else f"v{plan.version}"
        self.setWindowTitle(f"Apply dataset version {version} to the files")
        self.resize(900, 520)
        header = QLabel(f"In <b>{plan.root}</b>: {plan.summary()}")
        header.setWordWrap(True)
        self.table = QTableWidget(len(plan.moves) + len(plan.missing), 3)
        self.table.setHorizontalHeaderLabels(["what", "from", "to"])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the buttons keep the keyboard
        rows = [("relabel" if m.reason == "relabel" else "exclude", m.source, m.target)
                for m in plan.moves]
        rows += [("not found", path, "(left alone)") for path in plan.missing]
        for r, cells in enumerate(rows):
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.table.setItem(r, c, item)
        head = self.table.horizontalHeader()
        head.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        head.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        head.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.move_button = buttons.addButton(f"Move {len(plan.moves)} file(s)",
                                             QDialogButtonBox.ButtonRole.AcceptRole)
        self.move_button.setEnabled(bool(plan.moves))
        self.move_button.setDefault(True)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(header)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)

"""Name and note of the highlighted run, editable, so runs can be told apart by what they were for."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget

from designer.project.runs import RunRecord
from designer.training.run_dir import MAX_NAME, RunDir

_ERROR = "color: #b00020"


class RunLabelEditor(QWidget):
    """Two fields and a Save button; saving writes run.json and emits the updated run."""

    #: the run was renamed or its note changed (payload: the updated RunRecord)
    labelled = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.run: RunRecord | None = None
        self.name = QLineEdit()
        self.name.setMaxLength(MAX_NAME)
        self.name.setPlaceholderText("a name that says what this run tried")
        self.note = QLineEdit()
        self.note.setPlaceholderText("a note (optional)")
        self.save_button = QPushButton("Save name")
        self.save_button.setToolTip("Store the name and note in the run's folder (run.json).")
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet(_ERROR)
        self.error.hide()
        note_row = QHBoxLayout()
        note_row.addWidget(self.note, 1)
        note_row.addWidget(self.save_button)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Name", self.name)
        form.addRow("Note", note_row)
        form.addRow(self.error)
        self.save_button.clicked.connect(self.save)
        self.name.returnPressed.connect(self.save)
        self.note.returnPressed.connect(self.save)
        self.set_run(None)

    def set_run(self, run: RunRecord | None) -> None:
        """Show `run`'s name and note (None: nothing highlighted; the fields are disabled)."""
        self.run = run
        self.name.setText(run.name if run is not None else "")
        self.note.setText(run.info.note if run is not None else "")
        self.error.hide()
        for widget in (self.name, self.note, self.save_button):
            widget.setEnabled(run is not None)

    def save(self) -> None:
        run = self.run
        if run is None:
            return
        try:
            info = RunDir(run.run_dir, create=False).write_label(self.name.text(), self.note.text())
        except (ValueError, OSError) as error:
            self.error.setText(f"Could not save the name: {error}")
            self.error.show()
            return
        self.error.hide()
        self.run = replace(run, info=info)
        self.labelled.emit(self.run)

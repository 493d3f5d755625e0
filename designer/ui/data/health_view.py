"""The health report: warnings, skipped files with reasons, duplicates/leakage, conversions."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from designer.data import HealthReport

#: Rows shown per table (the full report below lists everything).
MAX_ROWS = 1000
_OK_STYLE = "color: #1d6b2a"
_WARN_STYLE = ("background: #fff4d6; border: 1px solid #e0c070; border-radius: 3px; "
               "padding: 4px; color: #6a4b00")


def _table(headers: Sequence[str], tip: str) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(list(headers))
    table.verticalHeader().hide()
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setWordWrap(False)
    table.setToolTip(tip)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setStretchLastSection(True)
    return table


def _fill(table: QTableWidget, rows: list[list[str]]) -> None:
    rows = rows[:MAX_ROWS]  # a table of thousands would stall the GUI; the report has them all
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            item = QTableWidgetItem(text)
            item.setToolTip(text)
            table.setItem(r, c, item)
    table.resizeColumnsToContents()


def _skipped_title(report: HealthReport) -> str:
    """'Skipped files (3) and folders (1)', with a note when the table is cut short."""
    folders = sum(b.is_folder for b in report.bad_files)
    files = len(report.bad_files) - folders
    if not report.bad_files:
        return "<b>Skipped files (0)</b> — none, every file decoded"
    title = f"<b>Skipped files ({files})" + (f" and folders ({folders})" if folders else "") + "</b>"
    if len(report.bad_files) > MAX_ROWS:
        title += f" — the first {MAX_ROWS} are listed, the full report has them all"
    return title


class HealthTab(QWidget):
    """What the check of every file found, and what to do about it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.warnings = QLabel()
        self.warnings.setWordWrap(True)
        self.bad_title = QLabel()
        self.bad_files = _table(("File or folder", "Problem", "Kind"),
                                "Files and folders left out of training; fix or delete them and "
                                "re-scan")
        self.dup_title = QLabel()
        self.duplicates = _table(("Files", "Splits", "Classes", "Problem"),
                                 "Files with identical contents")
        self.report = QPlainTextEdit()
        self.report.setReadOnly(True)
        self.report.setToolTip("The full report (select and copy)")
        layout = QVBoxLayout(self)
        layout.addWidget(self.warnings)
        layout.addWidget(self.bad_title)
        layout.addWidget(self.bad_files, 2)
        layout.addWidget(self.dup_title)
        layout.addWidget(self.duplicates, 1)
        layout.addWidget(QLabel("<b>Full report</b>"))
        layout.addWidget(self.report, 2)
        layout.addStretch(0)
        self.show_report(None)

    def show_report(self, report: HealthReport | None) -> None:
        """Fill the views from `report` (None: nothing checked yet)."""
        if report is None:
            self.warnings.setStyleSheet("")
            self.warnings.setText("No health report yet: prepare the data first.")
            _fill(self.bad_files, [])
            _fill(self.duplicates, [])
            self.bad_files.hide()
            self.duplicates.hide()
            self.bad_title.setText("<b>Skipped files</b>")
            self.dup_title.setText("<b>Duplicates</b>")
            self.report.setPlainText("")
            return
        self._show_warnings(report)
        skipped = sorted(report.bad_files, key=lambda b: not b.is_folder)  # folders first
        _fill(self.bad_files, [[report.display_path(b.path) + ("/" if b.is_folder else ""),
                                b.reason, b.kind.replace("_", " ")] for b in skipped])
        self.bad_files.setVisible(bool(skipped))
        self.bad_title.setText(_skipped_title(report))
        rows = []
        for group in report.duplicates:
            problem = ("leakage across splits" if group.leakage else "duplicate") + (
                ", different classes" if group.label_conflict else "")
            rows.append([", ".join(report.display_path(p) for p in group.paths),
                         ", ".join(group.splits), ", ".join(sorted(set(group.classes))), problem])
        _fill(self.duplicates, rows)
        self.duplicates.setVisible(bool(rows))
        leaks = len(report.leakage)
        self.dup_title.setText(f"<b>Duplicates ({len(report.duplicates)} groups, {leaks} across "
                               "splits)</b>" if report.duplicates else
                               "<b>Duplicates</b> — none, no two files are identical")
        self.report.setPlainText("\n".join(report.summary_lines()))

    def _show_warnings(self, report: HealthReport) -> None:
        notes = list(report.warnings)
        converted = [line for line in report.summary_lines() if line.startswith("converted to RGB")]
        if converted:
            notes.append(f"ℹ {converted[0][0].upper()}{converted[0][1:]}; training sees these "
                         "images as the thumbnails show them")
        if not report.warnings:
            self.warnings.setStyleSheet(_OK_STYLE)
            head = f"✓ {report.checked} files checked, no problems found."
            self.warnings.setText("\n".join([head, *notes]))
            return
        self.warnings.setStyleSheet(_WARN_STYLE)
        self.warnings.setText("\n".join(f"⚠ {w}" if not w.startswith("ℹ") else w for w in notes))

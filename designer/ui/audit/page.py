"""Audit page: run the data audit in the background, map every image, act on the suspects.

Relabel / exclude / mark reviewed never touch the user's files: each saves a new dataset version
in the project (designer.project.dataset_versions) and sets the workspace's data config, which
the Data page prepares again; Undo goes back to the previous version. Only "Apply to files…"
moves files, after a preview, and "Undo apply" moves them back (designer.audit.apply_files).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from designer.audit import AuditFeatures, AuditReport, audit_features
from designer.audit.apply_files import is_applied_version
from designer.audit.embedding import embed_2d
from designer.audit.sources import features_for
from designer.data import SplitManifest
from designer.project.data_config import DataConfig, record_edits, undo_edits
from designer.ui.audit.embedding_map import COLOURINGS, EmbeddingMap, category_colours, ramp
from designer.ui.audit.file_actions import FileActions
from designer.ui.audit.gallery import SelectionGallery
from designer.ui.workspace import Workspace
from designer.workers.task import TaskRunner

_COLUMNS = ("#", "severity", "split", "given", "suggested", "status", "why", "image")


@dataclass(frozen=True)
class AuditResult:
    """What the background task hands back."""

    features: AuditFeatures
    report: AuditReport
    coords: np.ndarray
    method: str


def _run_audit(source: str, manifest: SplitManifest | None, run: Path | None, store: Path,
               progress: Callable[[float, str], None], cancel: Callable[[], bool]) -> AuditResult:
    features = features_for(source, run=run, manifest=manifest, store=store,
                            progress=lambda f, m: progress(0.8 * f, m), cancel=cancel)
    report = audit_features(features, cancel=cancel, progress=lambda f, m: progress(0.8 + 0.18 * f, m))
    coords, method = embed_2d(features.matrix, method="pca")
    return AuditResult(features, report, coords, method)


class AuditPage(QWidget):
    """Map + suspects; all computing happens in `TaskRunner`s."""

    def __init__(self, workspace: Workspace, parent: QWidget | None = None, *,
                 umap: bool = True) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.umap = umap  # False: keep the PCA map (UMAP's first run compiles for a minute)
        self.result: AuditResult | None = None
        self.runner = TaskRunner(self)
        self.runner.progressed.connect(lambda f, m: self.status.setText(f"{100 * f:.0f} %  {m}"))
        self.runner.succeeded.connect(self._on_audited)
        self.runner.failed.connect(lambda message, _trace: self._finish(message))
        self.runner.cancelled.connect(lambda: self._finish("Audit cancelled."))
        self.mapper = TaskRunner(self)
        self.mapper.succeeded.connect(self._on_umap)
        self.mapper.failed.connect(lambda message, _t: self.map_note.setText(f"map: PCA ({message})"))
        self.files = FileActions(workspace, self)  # apply to files / undo apply
        self._build()
        self.files.message.connect(lambda text: self.status.setText(text))
        self.files.moved.connect(self._on_moved)
        self.files.busy_changed.connect(lambda: self._enable_actions())
        workspace.data_config_changed.connect(lambda _c: self._show_version())
        workspace.runs_changed.connect(self._fill_models)
        self._fill_models()
        self._show_version()

    # ----- layout ------------------------------------------------------------------------
    def _build(self) -> None:
        self.model = QComboBox()
        self.model.setToolTip("Features from the pretrained backbone (before any training) or "
                              "from a finished run's trained model")
        self.start = QPushButton("Run audit")
        self.start.clicked.connect(self.run_audit)
        self.cancel = QPushButton("Cancel")
        self.cancel.setEnabled(False)
        self.cancel.clicked.connect(self.runner.cancel)
        self.status = QLabel("Find likely label mistakes, duplicates across splits, outliers "
                             "and poor images. Your image folders are never changed.")
        self.status.setWordWrap(True)  # a long status must not widen the page past a laptop screen
        self.status.setMinimumWidth(160)
        self.colour = QComboBox()
        self.colour.addItems([c.capitalize() for c in COLOURINGS])
        self.colour.currentIndexChanged.connect(lambda _i: self._recolour())
        top = QHBoxLayout()
        for w in (QLabel("Features from:"), self.model, self.start, self.cancel):
            top.addWidget(w)
        top.addWidget(self.status, 1)
        top.addWidget(QLabel("Colour by:"))
        top.addWidget(self.colour)

        self.map = EmbeddingMap()
        self.map.selection_changed.connect(self._on_map_selection)
        self.map_note = QLabel("")
        self.map_note.setWordWrap(True)
        self.gallery = SelectionGallery()
        self.selection_note = QLabel("")
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        lv.addWidget(self.map, 1)
        lv.addWidget(self.map_note)
        lv.addWidget(self.selection_note)
        lv.addWidget(self.gallery)

        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.table = QTableWidget(0, len(_COLUMNS))
        self.table.setHorizontalHeaderLabels(list(_COLUMNS))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(6, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._on_table_selection)
        self.target = QComboBox()
        self.relabel = QPushButton("Relabel as")
        self.relabel.clicked.connect(self._relabel)
        self.exclude = QPushButton("Exclude")
        self.exclude.clicked.connect(lambda: self._edit("exclude"))
        self.reviewed = QPushButton("Mark reviewed")
        self.reviewed.clicked.connect(lambda: self._edit("review"))
        self.undo = QPushButton("Undo data change")
        self.undo.clicked.connect(self._undo)
        self.version = QLabel("")
        self.version.setWordWrap(True)
        self.hide_reviewed = QCheckBox("Hide reviewed")
        self.hide_reviewed.setToolTip("Hide the suspects marked as reviewed")
        self.hide_reviewed.toggled.connect(lambda _on: self._show_status())
        self.apply_files = QPushButton("Apply to files…")
        self.apply_files.setToolTip("Move the relabelled images into their class folders and "
                                    "the excluded ones into a .netdesigner folder inside the data "
                                    "folder (preview first; nothing is deleted)")
        self.apply_files.clicked.connect(self.files.apply_to_files)
        self.undo_apply = QPushButton("Undo apply")
        self.undo_apply.setToolTip("Move every file of the last apply back where it was")
        self.undo_apply.clicked.connect(self.files.undo_apply)
        actions = QHBoxLayout()
        for w in (self.relabel, self.target, self.exclude, self.reviewed, self.undo):
            actions.addWidget(w)
        actions.addStretch(1)
        versions = QHBoxLayout()
        versions.addWidget(self.version, 1)
        versions.addWidget(self.apply_files)
        versions.addWidget(self.undo_apply)
        right = QWidget()
        rv = QVBoxLayout(right)
        rv.setContentsMargins(0, 0, 0, 0)
        heading = QHBoxLayout()
        heading.addWidget(self.summary, 1)
        heading.addWidget(self.hide_reviewed)
        rv.addLayout(heading)
        rv.addWidget(self.table, 1)
        rv.addLayout(actions)
        rv.addLayout(versions)

        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setSizes([520, 820])
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(split, 1)
        self._enable_actions()

    def _fill_models(self) -> None:
        current = self.model.currentData()
        self.model.clear()
        self.model.addItem("Pretrained backbone (bundled Lite0)", None)
        for run in self.workspace.runs:
            if run.finished and not run.failed:
                self.model.addItem(f"Run {run.name} (trained)", run.run_dir)
        index = self.model.findData(current)
        self.model.setCurrentIndex(max(index, 0))

    # ----- audit -------------------------------------------------------------------------
    def run_audit(self) -> None:
        """Start the audit of the current data in the background."""
        if self.runner.running:
            return
        config = self.workspace.data_config
        data = self.workspace.data
        manifest = data.manifest if data is not None else None
        run = self.model.currentData()
        self.start.setEnabled(False)
        self.cancel.setEnabled(True)
        self.status.setText("Starting the audit…")
        store = self.workspace.project_dir / "cache" / "features"  # shared with training
        self.runner.start(lambda progress, cancel: _run_audit(config.source, manifest, run, store,
                                                              progress, cancel))

    def _finish(self, text: str) -> None:
        self.start.setEnabled(True)
        self.cancel.setEnabled(False)
        self.status.setText(text)

    def _on_audited(self, result: object) -> None:
        assert isinstance(result, AuditResult)
        self.result = result
        report = result.report
        self._finish(f"{report.images} images audited with {report.source}: "
                     f"{len(report.suspects)} suspects, {report.leaks} leak(s).")
        self.summary.setText(
            f"Linear head, {report.folds}-fold cross-validated: {100 * report.cv_accuracy:.1f} %. "
            "Label quality per class: " + ", ".join(f"{c} {q:.2f}" for c, q, _n in report.class_quality)
            + (". Classes mixed up: " + ", ".join(f"{a}/{b} ({n})" for a, b, n, _j in report.overlaps[:3])
               if report.overlaps else ""))
        self.target.clear()
        self.target.addItems(report.classes)
        root = result.features.manifest.root
        captions = [f"{p} · {report.classes[g]}" for p, g in
                    zip(result.features.paths, result.features.labels.tolist(), strict=True)]
        self.map.show_points(result.coords, [str(root / p) for p in result.features.paths], captions)
        self.map_note.setText("map: PCA (UMAP is being computed…)" if self.umap else "map: PCA")
        self._recolour()
        self._fill_table()
        if self.umap and not self.mapper.running:
            matrix = result.features.matrix
            self.mapper.start(lambda _p, _c: embed_2d(matrix, method="umap"))

    def _on_umap(self, value: object) -> None:
        assert isinstance(value, tuple)
        coords: np.ndarray = value[0]
        method: str = value[1]
        if self.result is not None and len(coords) == len(self.result.coords):
            self.map.coords = coords
            self.map.plot.enableAutoRange()
            self.map_note.setText(f"map: {method.upper()} of the features")
            self._recolour()

    def _recolour(self) -> None:
        if self.result is None:
            return
        report, features = self.result.report, self.result.features
        given = self.current_labels()
        how = COLOURINGS[self.colour.currentIndex()]
        if how == "class":
            groups, colours = given, category_colours(given, report.classes)
        elif how == "split":
            groups = features.splits
            colours = category_colours(groups, ["train", "val", "test"])
        elif how == "predicted":
            groups = [report.classes[p] for p in report.predicted]
            colours = category_colours(groups, report.classes)
        elif how == "correctness":
            right = [report.classes[p] == g for p, g in zip(report.predicted, given, strict=True)]
            groups = ["agrees with label" if r else "disagrees" for r in right]
            colours = ramp([1.0 if r else 0.0 for r in right])
        else:
            groups = [f"confidence {'≥' if c >= 0.5 else '<'} 0.5" for c in report.confidence]
            colours = ramp(report.confidence)
        self.map.colour_by(groups, colours)

    def current_labels(self) -> list[str]:
        """Each image's class in the current dataset version (relabels applied)."""
        assert self.result is not None
        relabelled = self.workspace.data_config.edits.relabelled
        classes = self.result.report.classes
        return [relabelled.get(p, classes[g]) for p, g in
                zip(self.result.features.paths, self.result.features.labels.tolist(), strict=True)]

    # ----- suspects ----------------------------------------------------------------------
    def _row_of(self) -> dict[str, int]:
        assert self.result is not None
        return {p: i for i, p in enumerate(self.result.features.paths)}

    def _fill_table(self) -> None:
        assert self.result is not None
        suspects = self.result.report.suspects
        self.table.setRowCount(len(suspects))
        for r, s in enumerate(suspects):
            why = "; ".join(f"{x.kind}: {x.text}" for x in s.reasons)
            cells = (str(r + 1), f"{s.severity:.2f}", s.split, s.given, s.suggested or "", "",
                     why, s.path)
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(why if c == 6 else text)
                self.table.setItem(r, c, item)
        self._show_status()

    def _show_status(self) -> None:
        edits = self.workspace.data_config.edits
        for r in range(self.table.rowCount()):
            path = self._cell(r, 7)
            status = (f"→ {edits.relabelled[path]}" if path in edits.relabelled else
                      "excluded" if path in edits.excluded else
                      "reviewed" if path in edits.reviewed else "")
            item = self.table.item(r, 5)
            if item is not None:
                item.setText(status)
            self.table.setRowHidden(r, self.hide_reviewed.isChecked() and path in edits.reviewed)

    def _cell(self, row: int, column: int) -> str:
        item = self.table.item(row, column)
        return item.text() if item is not None else ""

    def selected_paths(self) -> list[str]:
        """Paths of the selected images (map or list)."""
        if self.result is None:
            return []
        return [self.result.features.paths[i] for i in self.map.selected]

    def _on_table_selection(self) -> None:
        if self.result is None:
            return
        rows = self._row_of()
        chosen = [rows[self._cell(i.row(), 7)] for i in self.table.selectionModel().selectedRows()]
        self.map.select(chosen)
        self._show_gallery(chosen)

    def _on_map_selection(self, rows: list[int]) -> None:
        self._show_gallery(rows)

    def _show_gallery(self, rows: list[int]) -> None:
        self._enable_actions()
        if self.result is None:
            self.gallery.show_images([])
            self.selection_note.setText("")
            return
        features, classes = self.result.features, self.result.report.classes
        edits = self.workspace.data_config.edits
        labels = self.current_labels()
        images = []
        for i in rows:
            path, given = features.paths[i], classes[int(features.labels[i])]
            mark = " ✓" if path in edits.reviewed else ""
            under = ("excluded" if path in edits.excluded else
                     f"was {given}" if path in edits.relabelled else features.splits[i])
            images.append((str(features.manifest.root / path), f"{labels[i]}{mark}\n{under}",
                           f"{path}\nlabel now: {labels[i]} (at the audit: {given}); "
                           f"{features.splits[i]} split"))
        self.gallery.show_images(images)
        more = f", the first {len(images[:200])} shown" if len(images) > 200 else ""
        self.selection_note.setText(f"{len(rows)} image(s) selected{more}: labels as in the "
                                    "current dataset version" if rows else "")

    def _enable_actions(self) -> None:
        has = bool(self.map.selected)
        busy = self.files.running
        for button in (self.relabel, self.exclude, self.reviewed):
            button.setEnabled(has and not busy)
        self.undo.setEnabled(self.workspace.data_config.dataset_version is not None and not busy)
        self.apply_files.setEnabled(self.files.can_apply())
        self.undo_apply.setEnabled(self.files.can_undo())

    # ----- actions: a new dataset version each ------------------------------------------
    def _relabel(self) -> None:
        self._edit("relabel", self.target.currentText())

    def _edit(self, action: str, class_name: str = "") -> None:
        paths = self.selected_paths()
        if not paths or self.result is None:
            return
        config = self.workspace.data_config
        if action == "relabel":
            edits = config.edits.relabel(paths, class_name)
        elif action == "exclude":
            edits = config.edits.exclude(paths)
        else:
            edits = config.edits.review(paths)
        data = self.workspace.data
        manifest = data.manifest if data is not None else self.result.features.manifest
        try:
            new = record_edits(config, edits, manifest, self.workspace.project_dir,
                               note=f"{action} {len(paths)} image(s) from the audit")
        except (OSError, ValueError) as error:
            self.status.setText(f"Could not save the change: {error}")
            return
        self._apply(new, f"{action}: {len(paths)} image(s)")

    def _undo(self) -> None:
        if is_applied_version(self.workspace.data_config, self.workspace.project_dir):
            self.status.setText("This version was written to the files: use Undo apply to move "
                                "them back first.")
            return
        try:
            previous = undo_edits(self.workspace.data_config, self.workspace.project_dir)
        except (OSError, ValueError) as error:
            self.status.setText(f"Could not undo: {error}")
            return
        self._apply(previous, "undone")

    def _apply(self, config: DataConfig, what: str) -> None:
        self.workspace.set_data_config(config)
        self._show_status()
        self._show_version()
        self._recolour()
        self._show_gallery(self.map.selected)
        self.status.setText(f"Data version {config.dataset_version or 'original'}: {what}. "
                            "The image files are unchanged.")

    def _on_moved(self, config: object, what: str) -> None:
        """Files moved: the audit's paths are out of date, so its map and list go."""
        assert isinstance(config, DataConfig)
        self.result = None
        self.map.show_points(np.zeros((0, 2)), [], [])
        self.map.colour_by([], [])
        self.table.setRowCount(0)
        self.summary.setText("")
        self.map_note.setText("")
        self._show_gallery([])
        self.workspace.set_data_config(config)
        self._show_version()
        self.status.setText(f"Data version {config.dataset_version or 'original'}: {what}. "
                            "Run the audit again to see the folder as it is now.")

    def _show_version(self) -> None:
        config = self.workspace.data_config
        number = "original (as scanned)" if config.dataset_version is None else f"v{config.dataset_version}"
        what = config.edits.summary()
        if is_applied_version(config, self.workspace.project_dir):
            what = f"the files hold it (Apply to files); {what}"
        self.version.setText(f"Dataset version: {number} — {what}")
        self._enable_actions()

    def shutdown(self) -> None:
        """Join the worker threads (window closing)."""
        self.runner.shutdown()
        self.mapper.shutdown()
        self.files.shutdown()
        self.gallery.shutdown()

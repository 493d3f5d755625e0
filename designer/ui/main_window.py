"""The designer window: docks around the canvas, menus, toolbar, status bar.

A composition of views over one `DesignSession`; it computes nothing itself.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings, Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QMainWindow,
    QMessageBox,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from designer.core.grouping import BLOCK_PREFIX
from designer.ui.analyzer import AnalyzerPanel
from designer.ui.banner import MessageBanner
from designer.ui.canvas import NetworkCanvas
from designer.ui.formatting import count_text
from designer.ui.inspector import Inspector
from designer.ui.library import LayerLibrary
from designer.ui.session import DesignSession
from designer.ui.zoo import ModelBrowser

APP_TITLE = "NetDesigner"


class MainWindow(QMainWindow):
    """Model browser (left), canvas (centre), inspector + library (right), analyzer (bottom)."""

    def __init__(self, session: DesignSession | None = None) -> None:
        super().__init__()
        self.session = session or DesignSession(self)
        self.setWindowTitle(APP_TITLE)
        self.resize(1500, 920)
        self.banner = MessageBanner()
        self.canvas = NetworkCanvas(self.session)
        centre = QWidget()
        centre_layout = QVBoxLayout(centre)
        centre_layout.setContentsMargins(0, 0, 0, 0)
        centre_layout.setSpacing(2)
        centre_layout.addWidget(self.banner)
        centre_layout.addWidget(self.canvas, 1)
        self.setCentralWidget(centre)
        self.browser = ModelBrowser(self.session)
        self.inspector = Inspector(self.session)
        self.library = LayerLibrary(self.session)
        self.analyzer = AnalyzerPanel(self.session)
        self.docks = {
            "browser": self._dock("Model browser", self.browser, Qt.DockWidgetArea.LeftDockWidgetArea),
            "inspector": self._dock("Inspector", self.inspector, Qt.DockWidgetArea.RightDockWidgetArea),
            "library": self._dock("Layer library", self.library, Qt.DockWidgetArea.RightDockWidgetArea),
            "analyzer": self._dock("Analyzer", self.analyzer, Qt.DockWidgetArea.BottomDockWidgetArea),
        }
        self.resizeDocks([self.docks["browser"], self.docks["inspector"]], [430, 320],
                         Qt.Orientation.Horizontal)
        self.resizeDocks([self.docks["analyzer"]], [230], Qt.Orientation.Vertical)
        self._build_actions()
        self._build_status_bar()
        self.session.error_occurred.connect(self.banner.show_message)
        self.session.status.connect(lambda text: self.statusBar().showMessage(text, 5000))
        self.session.history_changed.connect(self._update_undo_actions)
        self.session.analysis_ready.connect(self._update_counts)
        self.session.selection_changed.connect(self._update_selection_label)
        self.session.design_replaced.connect(self._on_design_replaced)
        self.session.locked_changed.connect(self._update_undo_actions)
        self._restore_layout()

    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(title.replace(" ", "_").lower())
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    # ----- actions and menus -------------------------------------------------------------
    def _action(self, text: str, slot: object,
                shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
                tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setStatusTip(tip)
        action.setToolTip(tip or text)
        action.triggered.connect(slot)
        return action

    def _build_actions(self) -> None:
        s = self.session
        self.undo_action = self._action("Undo", s.undo, QKeySequence.StandardKey.Undo)
        self.redo_action = self._action("Redo", s.redo, "Ctrl+Shift+Z")
        self.replace_head_action = self._action(
            "Replace final layers…", self._replace_head, "Ctrl+Shift+H",
            "Replace the classifier for your number of classes, keeping all other weights")
        self.freeze_backbone_action = self._action(
            "Freeze backbone", lambda: s.edit(lambda d: d.freeze_backbone()), "Ctrl+Shift+F",
            "Freeze every layer before the final layer")
        self.unfreeze_all_action = self._action(
            "Unfreeze all", lambda: s.edit(lambda d: d.set_frozen(
                [ly.name for ly in d.network if ly.frozen], False, "Unfreeze all")))
        self.quit_action = self._action("Quit", self.close, QKeySequence.StandardKey.Quit)
        file_menu = self.menuBar().addMenu("&File")
        file_menu.addAction(self._action("Open model…", self._focus_browser, "Ctrl+O",
                                         "Choose a pretrained model in the model browser"))
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        edit_menu = self.menuBar().addMenu("&Edit")
        edit_menu.addAction(self.undo_action)
        edit_menu.addAction(self.redo_action)
        model_menu = self.menuBar().addMenu("&Model")
        for action in (self.replace_head_action, self.freeze_backbone_action,
                       self.unfreeze_all_action):
            model_menu.addAction(action)
        view_menu = self.menuBar().addMenu("&View")
        for dock in self.docks.values():
            view_menu.addAction(dock.toggleViewAction())
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction(self._action("About NetDesigner", self._about))
        toolbar = QToolBar("Main")
        toolbar.setObjectName("main_toolbar")
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        items: list[QAction | None] = [self.undo_action, self.redo_action, None,
                                       self.replace_head_action, self.freeze_backbone_action,
                                       self.unfreeze_all_action]
        for item in items:
            if item is None:
                toolbar.addSeparator()
            else:
                toolbar.addAction(item)
        self.addToolBar(toolbar)
        self._update_undo_actions()

    def _build_status_bar(self) -> None:
        self.params_label = QLabel()
        self.selection_label = QLabel()
        self.statusBar().addPermanentWidget(self.selection_label)
        self.statusBar().addPermanentWidget(self.params_label)

    # ----- reactions ---------------------------------------------------------------------
    def _update_undo_actions(self, *_args: object) -> None:
        design = self.session.design
        history = design.history if design else None
        locked = self.session.locked
        self.undo_action.setEnabled(bool(history and history.can_undo) and not locked)
        self.redo_action.setEnabled(bool(history and history.can_redo) and not locked)
        self.undo_action.setText(f"Undo {history.undo_label}" if history and history.can_undo
                                 else "Undo")
        self.redo_action.setText(f"Redo {history.redo_label}" if history and history.can_redo
                                 else "Redo")
        for action in (self.replace_head_action, self.freeze_backbone_action,
                       self.unfreeze_all_action):
            action.setEnabled(design is not None and not locked)

    def _update_counts(self, *_args: object) -> None:
        analysis = self.session.analysis
        if analysis is None:
            self.params_label.setText("")
            return
        self.params_label.setText(
            f"Params: {count_text(analysis.total_params)} total, "
            f"{count_text(analysis.trainable_params)} trainable")
        self.params_label.setToolTip(f"{analysis.total_params:,} parameters, "
                                     f"{analysis.trainable_params:,} trainable")

    def _update_selection_label(self, names: list[str]) -> None:
        if not names:
            self.selection_label.setText("")
        elif len(names) == 1:
            self.selection_label.setText(f"Selected: {names[0].removeprefix(BLOCK_PREFIX)}")
        else:
            self.selection_label.setText(f"Selected: {len(names)} layers")

    def _on_design_replaced(self, *_args: object) -> None:
        design = self.session.design
        if design is not None:
            self.setWindowTitle(f"{design.info.model_name} — {APP_TITLE}")
        self._update_undo_actions()
        self._update_counts()

    def _replace_head(self) -> None:
        from designer.ui.canvas.dialogs import ask_replace_head

        design = self.session.design
        if design is None:
            return
        answer = ask_replace_head(self, len(design.info.class_names) or None,
                                  design.info.class_names)
        if answer is not None:
            self.session.edit(lambda d: d.replace_head(
                answer.num_classes, class_names=answer.class_names, dropout=answer.dropout))

    def _focus_browser(self) -> None:
        self.docks["browser"].show()
        self.docks["browser"].raise_()
        self.browser.setFocus()

    def _about(self) -> None:
        QMessageBox.about(self, "About NetDesigner",
                          "NetDesigner — point-and-click transfer learning for PyTorch.\n"
                          "Pick a pretrained model, edit it as a graph, retrain, assess, "
                          "compare and export.")

    # ----- layout persistence ------------------------------------------------------------
    def _restore_layout(self) -> None:
        settings = QSettings("NetDesigner", "NetDesigner")
        geometry = settings.value("window/geometry")
        state = settings.value("window/state")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        if isinstance(state, QByteArray):
            self.restoreState(state)

    def closeEvent(self, event: QCloseEvent) -> None:
        settings = QSettings("NetDesigner", "NetDesigner")
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("window/state", self.saveState())
        self.session.shutdown()
        super().closeEvent(event)

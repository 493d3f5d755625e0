"""The designer window: docks around the canvas, menus, toolbar, status bar.

A composition of views over one `DesignSession`; it computes nothing itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QSettings, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication
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
from designer.ui.actions import WINDOW_TABLE, build_actions, design_actions
from designer.ui.analyzer import AnalyzerPanel
from designer.ui.banner import MessageBanner
from designer.ui.canvas import NetworkCanvas
from designer.ui.first_paint import after_first_paint
from designer.ui.formatting import count_text
from designer.ui.inspector import Inspector
from designer.ui.library import LayerLibrary
from designer.ui.pages import PAGE_IMPORTS, WorkflowPages, import_modules, workflow_pages
from designer.ui.project_controller import ProjectController
from designer.ui.session import DesignSession
from designer.ui.workspace import Workspace
from designer.ui.zoo import ModelBrowser
from designer.workers.task import TaskRunner

if TYPE_CHECKING:
    from designer.core.network import NetworkState
    from designer.project.runs import RunRecord
    from designer.surgery.design import Design

APP_TITLE = "NetDesigner"
#: the model a new window or File ▸ New project starts with (works offline)
START_MODEL = "efficientnet_lite0_bundled"


class MainWindow(QMainWindow):
    """Model browser (left), canvas (centre), inspector + library (right), analyzer (bottom)."""

    #: every workflow page is built (at once, or after the first paint with `deferred_pages`)
    pages_ready = Signal()

    def __init__(self, session: DesignSession | None = None, restore_layout: bool = True,
                 deferred_pages: bool = False) -> None:
        """`deferred_pages`: start with placeholders and build the workflow pages after the
        first paint, their imports (torch, seconds) on a worker thread (what the app does)."""
        super().__init__()
        self.session = session or DesignSession(self)
        self.setWindowTitle(APP_TITLE)
        self.banner = MessageBanner()
        self.canvas = NetworkCanvas(self.session)
        centre = QWidget()
        centre_layout = QVBoxLayout(centre)
        centre_layout.setContentsMargins(0, 0, 0, 0)
        centre_layout.setSpacing(2)
        centre_layout.addWidget(self.banner)
        centre_layout.addWidget(self.canvas, 1)
        self.workspace = Workspace(self.session)
        self.pages = WorkflowPages()
        self.pages.add_page(centre, "1 · Design")
        self._add_workflow_pages(deferred_pages)
        self.pages.currentChanged.connect(self._on_page_changed)
        self.setCentralWidget(self.pages)
        self.projects = ProjectController(self.workspace, parent=self)
        # the zoo listing imports torchvision (seconds): listed once the window is on screen
        self.browser = ModelBrowser(self.session, deferred=True)
        after_first_paint(self, self.browser.list_in_background)
        self.inspector = Inspector(self.session)
        self.library = LayerLibrary(self.session)
        self.analyzer = AnalyzerPanel(self.session)
        self.docks = {
            "browser": self._dock("Model browser", self.browser, Qt.DockWidgetArea.LeftDockWidgetArea),
            "inspector": self._dock("Inspector", self.inspector, Qt.DockWidgetArea.RightDockWidgetArea),
            "library": self._dock("Layer library", self.library, Qt.DockWidgetArea.RightDockWidgetArea),
            "analyzer": self._dock("Analyzer", self.analyzer, Qt.DockWidgetArea.BottomDockWidgetArea),
        }
        self.fit_screen()
        self._build_page_bar()
        self._build_actions()
        self._build_status_bar()
        self.session.error_occurred.connect(self.banner.show_message)
        self.session.status.connect(lambda text: self.statusBar().showMessage(text, 5000))
        self.session.history_changed.connect(self._on_design_replaced)
        self.session.analysis_ready.connect(self._update_counts)
        self.session.design_replaced.connect(self._update_counts)
        self.session.preview_changed.connect(self._update_counts)
        self.session.selection_changed.connect(self._update_selection_label)
        self.session.design_replaced.connect(self._on_design_replaced)
        self.workspace.data_config_changed.connect(self._on_design_replaced)
        self.workspace.options_changed.connect(self._on_design_replaced)
        if restore_layout:
            self._restore_layout()

    def fit_screen(self, room: QSize | None = None) -> None:
        """Start at 1500×920, or maximised where the screen has less room (`room`: the screen's
        available size). On a short screen (a 1366×768 laptop) the inspector and the layer
        library share the right column as tabs, so a layer's settings and Apply fit."""
        wanted = QSize(1500, 920)
        if room is None:
            if self.screen() is None or QGuiApplication.platformName() == "offscreen":
                room = wanted  # no real screen to fit (tests, --screenshot)
            else:
                room = self.screen().availableGeometry().size()
        self.resize(wanted.boundedTo(room))
        if room.width() < wanted.width() or room.height() < wanted.height():
            self.setWindowState(Qt.WindowState.WindowMaximized)
        short = room.height() < 900
        inspector, library = self.docks["inspector"], self.docks["library"]
        if short:
            self.tabifyDockWidget(inspector, library)
            inspector.raise_()
        self.resizeDocks([self.docks["browser"], inspector],
                         [380 if short else 430, 300 if short else 320], Qt.Orientation.Horizontal)
        self.resizeDocks([self.docks["analyzer"]], [170 if short else 230],
                         Qt.Orientation.Vertical)
        if not short:
            self.resizeDocks([inspector, library], [560, 360], Qt.Orientation.Vertical)

    def _add_workflow_pages(self, deferred: bool) -> None:
        """Data, Train, Evaluate, Compare and Audit, in workflow order: now, or placeholders
        now and the pages after the first paint."""
        self._page_imports: TaskRunner | None = None
        self.pages.page_built.connect(self._on_page_built)
        for title, factory in workflow_pages(self.workspace):
            self.pages.add_pending(title, factory)
        if deferred:
            after_first_paint(self, self._import_page_modules)
        else:
            self.pages.build_all()
            self.pages_ready.emit()

    def _import_page_modules(self) -> None:
        """Load what the pages import on a worker thread, then build them one per turn of the
        event loop (the window stays live; a page clicked meanwhile says it is preparing)."""
        self._page_imports = TaskRunner(self)
        self._page_imports.finished.connect(self._build_next_page)
        self._page_imports.start(lambda _progress, _cancelled: import_modules(PAGE_IMPORTS))

    def _build_next_page(self) -> None:
        if self.pages.build_next():
            QTimer.singleShot(0, self._build_next_page)
        elif not self.pages.pending:
            self.pages_ready.emit()

    def _on_page_built(self, page: QWidget) -> None:
        requested = getattr(page, "page_requested", None)
        if requested is not None:
            requested.connect(self.show_page)

    def show_page(self, name: str) -> None:
        """Switch to the page whose title contains `name` ("Design", "Data", ...)."""
        for index in range(self.pages.count()):
            if name.lower() in self.pages.tabText(index).lower():
                self.pages.setCurrentIndex(index)
                return

    def _on_page_changed(self, index: int) -> None:
        """The design docks belong to the Design page; hide them elsewhere, restore after."""
        on_design = index == 0
        if not on_design and not hasattr(self, "_dock_visibility"):
            self._dock_visibility = {k: d.isVisible() for k, d in self.docks.items()}
            for dock in self.docks.values():
                dock.hide()
        elif on_design and hasattr(self, "_dock_visibility"):
            for key, visible in self._dock_visibility.items():
                self.docks[key].setVisible(visible)
            del self._dock_visibility

    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(title.replace(" ", "_").lower())
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    # ----- actions and menus -------------------------------------------------------------
    def _build_actions(self) -> None:
        """Menus and toolbar from the action tables (designer.ui.actions)."""
        self.commands = design_actions(self.session, self.workspace)
        self.window_commands = build_actions(WINDOW_TABLE, self, self)
        self.undo_action = self.commands["undo"]
        self.redo_action = self.commands["redo"]
        self.replace_head_action = self.commands["replace_head"]
        self.freeze_backbone_action = self.commands["freeze_backbone"]
        self.unfreeze_all_action = self.commands["unfreeze_all"]
        self.quit_action = self.window_commands["quit"]
        self.new_project_action = self.window_commands["new_project"]
        file_menu = self.menuBar().addMenu("&File")
        for action_id in ("new_project", "open_model", "open_model_file", None, "open_project", "recent",
                          "save_project", "save_project_as", None, "export_model",
                          "generate_script", None, "quit"):
            if action_id is None:
                file_menu.addSeparator()
            elif action_id == "recent":
                self.recent_menu = file_menu.addMenu("Recent projects")
                self.recent_menu.aboutToShow.connect(self._fill_recent)
            else:
                file_menu.addAction(self.window_commands[action_id])
        edit_menu = self.menuBar().addMenu("&Edit")
        edit_menu.addAction(self.undo_action)
        edit_menu.addAction(self.redo_action)
        edit_menu.addSeparator()
        for action_id in ("freeze", "unfreeze", "set_lr_factor", "delete"):
            edit_menu.addAction(self.commands[action_id])
        model_menu = self.menuBar().addMenu("&Model")
        for action_id in ("replace_head", "fit_head_to_data", "freeze_backbone", "unfreeze_all",
                          "load_script_weights"):
            model_menu.addAction(self.commands[action_id])
        model_menu.addAction(self.window_commands["find_model"])
        model_menu.addSeparator()
        model_menu.addAction(self.window_commands["analyze_compression"])
        model_menu.addAction(self.window_commands["prune"])
        view_menu = self.menuBar().addMenu("&View")
        for dock in self.docks.values():
            view_menu.addAction(dock.toggleViewAction())
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction(self.window_commands["about"])
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

    def _build_page_bar(self) -> None:
        """The page tabs, first in the top toolbar row: the same place on every page."""
        bar = QToolBar("Pages")
        bar.setObjectName("page_toolbar")
        bar.setMovable(False)
        bar.addWidget(self.pages.switcher)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)

    def _build_status_bar(self) -> None:
        self.params_label = QLabel()
        self.selection_label = QLabel()
        self.statusBar().addPermanentWidget(self.selection_label)
        self.statusBar().addPermanentWidget(self.params_label)

    # ----- reactions ---------------------------------------------------------------------
    def _update_counts(self, *_args: object) -> None:
        analysis = self.session.analysis
        if self.session.preview is not None:  # the drawing is of the model being opened
            self.params_label.setText("Params: building the weights…")
            self.params_label.setToolTip("")
            return
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
            dirty = " *" if self.projects.has_unsaved_changes() else ""
            self.setWindowTitle(f"{design.info.model_name}{dirty} — "
                                f"{self.workspace.project_dir.name} — {APP_TITLE}")
        self._update_counts()

    def open_export(self, script: bool = False) -> None:
        """The Export dialog: on the Design page for the current design, elsewhere for the run
        the Evaluate page shows (the newest, unless the user chose another)."""
        from designer.ui.evaluation import EvaluationPage
        from designer.ui.export import ExportDialog

        self.pages.build_all()
        pages = [self.pages.widget(i) for i in range(self.pages.count())]
        run = None if self.pages.currentIndex() == 0 else next(
            (p.run for p in pages if isinstance(p, EvaluationPage)), None)
        ExportDialog(self.workspace, run, script=script, parent=self).exec()

    def open_start_model(self, name: str | None = None) -> None:
        """Open `name` (default: the bundled offline model) in the background."""
        model = name or START_MODEL
        weights = "bundled" if model.endswith("_bundled") else "none"

        def opener(progress: Callable[[float, str], None], cancelled: Callable[[], bool],
                   show: Callable[[NetworkState], None]) -> Design:
            from designer.ui.zoo.opening import open_model  # imports torch when called

            return open_model(model, weights, progress=progress, cancel=cancelled, analyse=False,
                              preview=show)

        self.session.open_with_preview(opener)

    def open_model_finder(self) -> None:
        """Model ▸ Find a model for my data: the finder dialog (designer.ui.search)."""
        from designer.ui.search import FinderDialog

        dialog = FinderDialog(self.workspace, parent=self)
        dialog.open_requested.connect(self._open_from_finder)
        dialog.runs_added.connect(self._add_runs)
        dialog.resize(1300, 720)
        dialog.show()

    def open_compression_analysis(self) -> None:
        """Model ▸ Analyze for compression: the per-layer table (designer.ui.compress)."""
        from designer.ui.compress import CompressionDialog

        if self.session.design is None:
            self.banner.show_message("Open a model first.")
            return
        dialog = getattr(self, "compression_dialog", None)
        if dialog is None:
            dialog = self.compression_dialog = CompressionDialog(self.session, self.analyzer, self)
        dialog.show()
        dialog.raise_()
        dialog.start()

    def open_pruning(self) -> None:
        """Model ▸ Prune channels: prune into a new design, then offer the recovery fine-tune."""
        from designer.ui.compress import PruneDialog

        if self.session.design is None:
            self.banner.show_message("Open a model first.")
            return
        dialog = PruneDialog(self.workspace, self)
        dialog.finetune_requested.connect(lambda: self.show_page("Train"))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()

    def _open_from_finder(self, opener: Callable[..., Design]) -> None:
        self.session.open_in_background(opener)
        self.show_page("Design")

    def _add_runs(self, runs: Iterable[RunRecord]) -> None:
        for run in runs:
            self.workspace.add_run(run)

    def new_project(self) -> None:
        """File ▸ New project: a fresh project with the start model (after asking to save)."""
        if self.projects.new_project():
            self.open_start_model()

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        folders = self.projects.recent()
        if not folders:
            self.recent_menu.addAction("(none)").setEnabled(False)
        for folder in folders:
            self.recent_menu.addAction(str(folder), partial(self.projects.open, folder))

    def focus_browser(self) -> None:
        """Show and focus the model browser (File ▸ Open model…)."""
        self.docks["browser"].show()
        self.docks["browser"].raise_()
        self.browser.setFocus()

    def open_model_file(self) -> None:
        """File ▸ Open model file…: import a file of the user's own (designer/ui/import_flow)."""
        from designer.ui.import_flow import ImportFlow, ImportPrompts

        if getattr(self, "import_flow", None) is None:
            self.import_flow = ImportFlow(self.session, ImportPrompts(self), self)
        self.import_flow.ask_and_open()

    def about(self) -> None:
        """Help ▸ About."""
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
        if not self.projects.confirm_unsaved("quitting"):
            event.ignore()
            return
        self.pages.setCurrentIndex(0)  # saves the Design page's docks, not hidden ones
        settings = QSettings("NetDesigner", "NetDesigner")
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("window/state", self.saveState())
        self.session.shutdown()
        self.browser.shutdown()
        if getattr(self, "compression_dialog", None) is not None:
            self.compression_dialog.shutdown()
        if self._page_imports is not None:  # closed while the pages' imports still ran
            self._page_imports.finished.disconnect(self._build_next_page)
            self._page_imports.shutdown()
            self._page_imports = None
        for page in (self.pages.widget(i) for i in range(self.pages.count())):
            shutdown = getattr(page, "shutdown", None)
            if callable(shutdown):
                shutdown()
        self.projects.close()
        super().closeEvent(event)

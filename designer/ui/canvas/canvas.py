"""`NetworkCanvas`: the centre widget of the main window (graph view, toolbar, find box)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QSizePolicy, QToolBar, QVBoxLayout, QWidget

from designer.ui.canvas.find import FindBox
from designer.ui.canvas.scene import NetworkScene
from designer.ui.canvas.view import NetworkView
from designer.ui.session import DesignSession

#: how to get around the canvas; none of it is visible on screen otherwise
NAVIGATION_HINT = ("Pan: middle-drag or Space+drag · Zoom: Ctrl+wheel or +/− · Select: drag on "
                   "the background · Open or close a block: double-click it (or its frame)")


class NetworkCanvas(QWidget):
    """The layer graph of `session`'s design with zoom, fit, expand/collapse and find."""

    def __init__(self, session: DesignSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.scene = NetworkScene(session, self)
        self.view = NetworkView(self.scene, self)
        self.toolbar = QToolBar("Canvas", self)
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.find_box = FindBox(self)
        self.find_box.setMaximumWidth(280)
        self.actions_by_name: dict[str, QAction] = {}
        self._make_actions()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.view, 1)
        for widget in (self.view, self.view.viewport()):  # shown in the status bar on hover
            widget.setStatusTip(NAVIGATION_HINT)
        self.find_box.set_network(self.scene.network)
        self.find_box.closed.connect(lambda: self.view.setFocus())
        self.find_box.chosen.connect(self._on_found)
        self.find_box.not_found.connect(self._on_not_found)
        self.find_box.textEdited.connect(lambda _t: self.find_box.setStyleSheet(""))
        # names change with the document, not with expanding or collapsing blocks
        session.design_replaced.connect(lambda _d: self.find_box.set_network(self.scene.network))
        session.preview_changed.connect(lambda _n: self.find_box.set_network(self.scene.network))
        session.document_changed.connect(
            lambda names: self.find_box.set_network(self.scene.network) if names is None else None)

    def _make_actions(self) -> None:
        scene, view = self.scene, self.view
        self._action("zoom_in", "+", "Zoom in (Ctrl+wheel, +)", view.zoom_in, QKeySequence.StandardKey.ZoomIn)
        self._action("zoom_out", "−", "Zoom out (Ctrl+wheel, −)", view.zoom_out,
                     QKeySequence.StandardKey.ZoomOut)
        self._action("fit", "Fit", "Show the whole network (F)", view.fit)
        self.toolbar.addSeparator()
        self._action("expand_all", "Expand all", "Show every layer", scene.expand_all)
        self._action("collapse_all", "Collapse all", "Fold every block into one node",
                     scene.collapse_all)
        self.toolbar.addSeparator()
        self._action("find", "Find", "Find a layer by name (Ctrl+F)", self.open_find,
                     QKeySequence.StandardKey.Find)
        spacer = QWidget(self.toolbar)
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.toolbar.addWidget(spacer)
        self.toolbar.addWidget(self.find_box)

    def _action(self, name: str, text: str, tip: str, slot: Callable[[], None],
                keys: QKeySequence.StandardKey | None = None) -> QAction:
        action = QAction(text, self)
        action.setToolTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        if keys is not None:
            action.setShortcut(QKeySequence(keys))
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.addAction(action)
        self.toolbar.addAction(action)
        self.actions_by_name[name] = action
        return action

    # ----- conveniences for the main window (menus, --screenshot) ---------------------------
    def fit(self) -> None:
        """Show the whole network (labels may shrink to titles on deep networks)."""
        self.view.fit()

    def show_opening(self) -> None:
        """The view a newly opened design gets: all of it if readable, else its top."""
        self.view.show_opening()

    def find_layer(self, name: str) -> bool:
        """Select and centre a layer or block by name (False if there is none)."""
        return self.view.find_layer(name)

    def open_find(self) -> None:
        """Put the cursor in the find box with its text selected, ready to type."""
        self.find_box.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.find_box.selectAll()

    def _on_found(self, name: str) -> None:
        self.find_box.setStyleSheet("")
        self.view.find_layer(name)

    def _on_not_found(self, text: str) -> None:
        self.find_box.setStyleSheet("QLineEdit { background: #fde2e2; }")
        self.session.status.emit(f"No layer or block matches “{text}”")

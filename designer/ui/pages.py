"""The workflow pages after Design (Data, Train, Evaluate, Compare, Audit), in workflow order.

The pages import torch and friends (seconds), so the window can start with placeholders and
build the real pages after its first paint (`add_pending` + `build_next`), current page first.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QSizePolicy, QTabBar, QTabWidget, QVBoxLayout, QWidget

from designer.ui.workspace import Workspace

PageFactory = Callable[[], QWidget]

#: what the pages import (torch, the engine, evaluation, the audit's cleanlab, the plots'
#: pyqtgraph): loaded on a worker thread before the pages are built, so building them does not
#: freeze the window for seconds of import. Module code only: no widget is made there (Qt
#: objects belong to the GUI thread; pyqtgraph's import defines classes and connects a slot).
#: networkx first: the start model's graph (drawn from the graph cache) waits for it alone.
PAGE_IMPORTS = ("networkx", "torch", "torchvision", "pyqtgraph", "designer.data", "designer.training",
                "designer.evaluation", "designer.project", "designer.audit", "designer.export")


def import_modules(names: tuple[str, ...]) -> None:
    """Import `names` (our own fixed list, never names read from a file)."""
    for name in names:
        importlib.import_module(name)


def workflow_pages(workspace: Workspace) -> list[tuple[str, PageFactory]]:
    """(tab title, page factory) for Data, Train, Evaluate, Compare and Audit, in order."""

    def data() -> QWidget:
        from designer.ui.data import DataPage
        return DataPage(workspace)

    def train() -> QWidget:
        from designer.ui.training import TrainingDashboard
        return TrainingDashboard(workspace)

    def evaluate() -> QWidget:
        from designer.ui.evaluation import EvaluationPage
        return EvaluationPage(workspace)

    def compare() -> QWidget:
        from designer.ui.compare import ComparePage
        return ComparePage(workspace)

    def audit() -> QWidget:
        from designer.ui.audit import AuditPage
        return AuditPage(workspace)

    return [("2 · Data", data), ("3 · Train", train), ("4 · Evaluate", evaluate),
            ("5 · Compare", compare), ("6 · Audit", audit)]


class PendingPage(QWidget):
    """Stands in for a page until it is built: says so instead of showing an empty page."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        name = title.split("·")[-1].strip()
        self.label = QLabel(f"Preparing the {name} page…")
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.label.setEnabled(False)
        layout = QVBoxLayout(self)
        layout.addWidget(self.label)


class WorkflowPages(QTabWidget):
    """The pages of the window, switched by `switcher`, a tab bar the window puts in its top
    toolbar row so the tabs stay in one place whichever docks a page shows.

    A stacked widget is as large as its largest page; hidden pages are sized `Ignored` here so
    each page needs only its own room (the Data page must not widen the Design page, issue 12).
    """

    #: a placeholder was replaced by its page
    page_built = Signal(QWidget)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._pending: dict[PendingPage, PageFactory] = {}
        self.setDocumentMode(True)
        self.tabBar().hide()
        self.switcher = QTabBar()
        self.switcher.setObjectName("page_tabs")
        self.switcher.setDocumentMode(True)
        self.switcher.setExpanding(False)
        self.switcher.setDrawBase(False)
        self._policies: dict[int, QSizePolicy] = {}
        self.switcher.currentChanged.connect(self.setCurrentIndex)
        self.currentChanged.connect(self._on_current_changed)

    def add_page(self, page: QWidget, title: str) -> int:
        """Append a page and its tab."""
        self._policies[id(page)] = page.sizePolicy()
        index = self.addTab(page, title)
        self.switcher.addTab(title)
        self._on_current_changed(self.currentIndex())
        return index

    def _on_current_changed(self, index: int) -> None:
        self.switcher.setCurrentIndex(index)
        ignored = QSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        for i in range(self.count()):
            page = self.widget(i)
            if page is None:
                continue
            page.setSizePolicy(self._policies.get(id(page), page.sizePolicy()) if i == index
                               else ignored)
        self.updateGeometry()

    # ----- pages built after the first paint ----------------------------------------------
    def add_pending(self, title: str, factory: PageFactory) -> int:
        """Append a placeholder tab whose page `factory` builds later (`build_next`)."""
        if not callable(factory):
            raise TypeError(f"factory must be callable, not {type(factory).__name__}")
        placeholder = PendingPage(title)
        self._pending[placeholder] = factory
        return self.add_page(placeholder, title)

    @property
    def pending(self) -> int:
        """How many pages are still placeholders."""
        return len(self._pending)

    def build_next(self) -> bool:
        """Build one placeholder's page, the shown one first; True while more are left."""
        if not self._pending:
            return False
        current = self.currentWidget()
        placeholder = current if isinstance(current, PendingPage) and current in self._pending \
            else next(iter(self._pending))
        self._build(placeholder)
        return bool(self._pending)

    def build_all(self) -> None:
        """Build every page still pending (before something needs them all, e.g. Export)."""
        while self.build_next():
            pass

    def _build(self, placeholder: PendingPage) -> None:
        factory = self._pending.pop(placeholder)
        index = self.indexOf(placeholder)
        title = self.tabText(index)
        try:
            page = factory()
        except Exception:
            placeholder.label.setText(f"The {title.split('·')[-1].strip()} page could not be "
                                      "built; the log has the details.")
            raise
        shown = self.currentIndex()
        self._policies[id(page)] = page.sizePolicy()
        self.blockSignals(True)  # the same page stays shown: no page change to report
        try:
            self.removeTab(index)
            self.insertTab(index, page, title)
            self.setCurrentIndex(shown)
        finally:
            self.blockSignals(False)
        self._policies.pop(id(placeholder), None)
        placeholder.deleteLater()
        self._on_current_changed(self.currentIndex())
        self.page_built.emit(page)

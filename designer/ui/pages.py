"""The workflow pages after Design (Data, Train, Evaluate, Compare), in workflow order."""

from __future__ import annotations

from PySide6.QtWidgets import QSizePolicy, QTabBar, QTabWidget, QWidget

from designer.ui.workspace import Workspace


def workflow_pages(workspace: Workspace) -> list[tuple[str, QWidget]]:
    """(tab title, page) for Data, Train, Evaluate and Compare, in workflow order."""
    from designer.ui.audit import AuditPage
    from designer.ui.compare import ComparePage
    from designer.ui.data import DataPage
    from designer.ui.evaluation import EvaluationPage
    from designer.ui.training import TrainingDashboard

    return [("2 · Data", DataPage(workspace)), ("3 · Train", TrainingDashboard(workspace)),
            ("4 · Evaluate", EvaluationPage(workspace)), ("5 · Compare", ComparePage(workspace)),
            ("6 · Audit", AuditPage(workspace))]


class WorkflowPages(QTabWidget):
    """The pages of the window, switched by `switcher`, a tab bar the window puts in its top
    toolbar row so the tabs stay in one place whichever docks a page shows.

    A stacked widget is as large as its largest page; hidden pages are sized `Ignored` here so
    each page needs only its own room (the Data page must not widen the Design page, issue 12).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
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

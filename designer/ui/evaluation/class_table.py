"""Per-class precision, recall, F1 and support as a sortable table."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QWidget

from designer.evaluation import ClassMetrics
from designer.ui.evaluation.sortable import SortableTable, number_item, text_item

HEADERS = ("Class", "Precision", "Recall", "F1", "Support")


class ClassMetricsTable(SortableTable):
    """One row per class; sorting by F1 puts the weakest classes on top."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(HEADERS, parent)
        self.setToolTip("Precision: of the images predicted as this class, the share that are it.\n"
                        "Recall: of the images of this class, the share found.\n"
                        "F1: their harmonic mean. Support: images of this class evaluated.")

    def set_metrics(self, metrics: Sequence[ClassMetrics]) -> None:
        self.set_rows([
            [text_item(m.name), number_item(m.precision, f"{m.precision:.3f}"),
             number_item(m.recall, f"{m.recall:.3f}"), number_item(m.f1, f"{m.f1:.3f}"),
             number_item(m.support, str(m.support))]
            for m in metrics
        ])

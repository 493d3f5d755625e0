"""A small horizontal bar chart of one image's top-k labels and probabilities."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

_TOP = QColor(33, 102, 172)
_REST = QColor(140, 170, 205)
_TRACK = QColor(236, 236, 236)
_TEXT = QColor(30, 30, 30)


class TopKBars(QWidget):
    """Label, bar (0..100 %) and percentage per row, best first."""

    def __init__(self, pairs: Sequence[tuple[str, float]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pairs = [(str(label), float(p)) for label, p in pairs]
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setToolTip("\n".join(f"{label}: {p:.2%}" for label, p in self.pairs))

    def _row_height(self) -> int:
        return self.fontMetrics().height() + 6

    def sizeHint(self) -> QSize:
        return QSize(320, self._row_height() * max(1, len(self.pairs)))

    def minimumSizeHint(self) -> QSize:
        return QSize(180, self.sizeHint().height())

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        metrics = self.fontMetrics()
        row = self._row_height()
        label_width = min(max((metrics.horizontalAdvance(n) for n, _ in self.pairs), default=0) + 8,
                          self.width() // 3)
        value_width = metrics.horizontalAdvance("100.0 %") + 6
        bar_width = max(10, self.width() - label_width - value_width)
        for i, (label, p) in enumerate(self.pairs):
            y = i * row
            text_rect = QRect(0, y, label_width - 6, row)
            painter.setPen(_TEXT)
            elided = metrics.elidedText(label, Qt.TextElideMode.ElideRight, text_rect.width())
            painter.drawText(text_rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                             elided)
            track = QRect(label_width, y + 3, bar_width, row - 6)
            painter.fillRect(track, _TRACK)
            painter.fillRect(QRect(track.x(), track.y(), round(bar_width * max(0.0, min(1.0, p))),
                                   track.height()), _TOP if i == 0 else _REST)
            painter.setPen(_TEXT)
            painter.drawText(QRect(label_width + bar_width + 6, y, value_width, row),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, f"{p:.1%}")

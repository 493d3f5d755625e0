"""The find box: type part of a layer or block name, Enter selects and centres it."""

from __future__ import annotations

from PySide6.QtCore import QStringListModel, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QCompleter, QLineEdit, QWidget

from designer.core.grouping import all_groups
from designer.core.network import Network


def searchable_names(network: Network) -> list[str]:
    """Names worth finding: shown layers, then block paths."""
    layers = [ly.name for ly in network if not ly.plumbing]
    return layers + sorted(all_groups(network))


def best_match(names: list[str], text: str) -> str | None:
    """Exact name, else case-insensitive exact, else the first name containing the text."""
    text = text.strip()
    if not text:
        return None
    if text in names:
        return text
    lowered = text.lower()
    exact = [n for n in names if n.lower() == lowered]
    if exact:
        return exact[0]
    return next((n for n in names if lowered in n.lower()), None)


class FindBox(QLineEdit):
    """A line edit with completion over the network's layer names."""

    #: a name was chosen (Enter or a completion picked)
    chosen = Signal(str)
    #: nothing matches the typed text
    not_found = Signal(str)
    #: Escape: the user is done searching
    closed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setPlaceholderText("Find layer (Ctrl+F)…")
        self.setClearButtonEnabled(True)
        self._names: list[str] = []
        self._model = QStringListModel(self)
        completer = QCompleter(self._model, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setMaxVisibleItems(14)
        completer.activated.connect(self._choose)
        self.setCompleter(completer)
        self.returnPressed.connect(lambda: self._choose(self.text()))

    def set_network(self, network: Network | None) -> None:
        """Complete over this network's names."""
        self._names = searchable_names(network) if network is not None else []
        self._model.setStringList(self._names)

    def _choose(self, text: str) -> None:
        match = best_match(self._names, text)
        if match is None:
            self.not_found.emit(text)
            return
        self.chosen.emit(match)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.clear()
            self.closed.emit()
            return
        super().keyPressEvent(event)

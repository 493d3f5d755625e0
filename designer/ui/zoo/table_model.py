"""The zoo as a Qt table: one row per model, numbers kept as numbers for sorting.

Display text is formatted for reading ("11.7", "—"); ``SORT_ROLE`` returns the raw value
(or None when unknown) so the proxy sorts 1.2 M params before 11.7 M, not alphabetically.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from designer.zoo.entry import ZooEntry
from designer.zoo.registry import list_entries, weights_status
from designer.zoo.speed import cached_latencies

Index = QModelIndex | QPersistentModelIndex

SORT_ROLE = Qt.ItemDataRole.UserRole
ENTRY_ROLE = Qt.ItemDataRole.UserRole + 1
NAME_ROLE = Qt.ItemDataRole.UserRole + 2
MISSING = "—"


class Column(enum.IntEnum):
    """Table columns, in display order."""

    NAME = 0
    FAMILY = 1
    PARAMS = 2
    GFLOPS = 3
    TOP1 = 4
    SIZE = 5
    WEIGHTS = 6
    LATENCY = 7


HEADERS = {
    Column.NAME: ("Model", "Model name (hover for notes, input size, recipe and license)"),
    Column.FAMILY: ("Family", "Architecture family"),
    Column.PARAMS: ("Params (M)", "Parameters, in millions"),
    Column.GFLOPS: ("GFLOPs", "Giga multiply-adds for one image at the model's input size"),
    Column.TOP1: ("Top-1 (%)", "ImageNet-1k top-1 accuracy of the pretrained weights"),
    Column.SIZE: ("Size (MB)", "Size of the pretrained weights file"),
    Column.WEIGHTS: ("Weights", "bundled: installed with the app; cached: downloaded before; "
                                "download: fetched once when you open it with pretrained weights"),
    Column.LATENCY: ("Latency (ms)", "One image on one thread of this machine's CPU (fastest "
                                     "of 10 runs), measured here; "
                                     "'—' until you press Measure speed"),
}

_NUMERIC = {Column.PARAMS, Column.GFLOPS, Column.TOP1, Column.SIZE, Column.LATENCY}


#: weights status and measured latency per model name (see `machine_state`)
MachineState = tuple[dict[str, str], dict[str, float]]


def machine_state(entries: Sequence[ZooEntry]) -> MachineState:
    """Which weights are on this machine and which latencies were measured here: a file check
    per model (~1 s for the whole zoo on a busy machine), so the browser reads it off the GUI
    thread with the list."""
    return {e.name: weights_status(e) for e in entries}, cached_latencies(entries)


class ZooTableModel(QAbstractTableModel):
    """Read-only table of zoo entries plus what this machine knows (cache, latency)."""

    def __init__(self, entries: Sequence[ZooEntry] | None = None,
                 parent: Any = None) -> None:
        super().__init__(parent)
        self._entries: list[ZooEntry] = []
        self._rows: dict[str, int] = {}
        self._latency: dict[str, float] = {}
        self._status: dict[str, str] = {}
        self.set_entries(list_entries() if entries is None else entries)

    def set_entries(self, entries: Sequence[ZooEntry], state: MachineState | None = None) -> None:
        """Show `entries` (the browser lists the zoo in the background and fills in after);
        `state`: their `machine_state`, when it was read off the GUI thread already."""
        self.beginResetModel()
        # by display name: the browser's default order needs no sort (see ZooFilterProxy.sort)
        self._entries = sorted(entries, key=lambda e: e.display_name.casefold())
        self._rows = {e.name: row for row, e in enumerate(self._entries)}
        if state is not None:
            self._status, self._latency = state
        self.endResetModel()
        if state is None:
            self.reload_machine_state()

    # ----- access ----------------------------------------------------------------------
    def entries(self) -> list[ZooEntry]:
        """All entries, in model order."""
        return list(self._entries)

    def entry(self, row: int) -> ZooEntry:
        """The entry shown in ``row``."""
        return self._entries[row]

    def row_of(self, name: str) -> int:
        """Row of the model called ``name`` (its id), or -1."""
        return self._rows.get(name, -1)

    def latency(self, name: str) -> float | None:
        """Measured latency in ms, or None."""
        return self._latency.get(name)

    def set_latency(self, name: str, ms: float) -> None:
        """Show a fresh measurement (the zoo's speed cache already stored it)."""
        row = self.row_of(name)
        if row < 0:
            return
        self._latency[name] = ms
        index = self.index(row, Column.LATENCY)
        self.dataChanged.emit(index, index)

    def reload_entry(self, name: str) -> None:
        """Re-read one model's weights status and latency (it was just opened: its weights may
        have been downloaded). Only a change is announced: every `dataChanged` redraws the
        chart, and re-reading the whole zoo costs a file check per model."""
        row = self.row_of(name)
        if row < 0:
            return
        status, latency = machine_state([self._entries[row]])
        if status.get(name) == self._status.get(name) and \
                latency.get(name) == self._latency.get(name):
            return
        self._status[name] = status[name]
        if name in latency:
            self._latency[name] = latency[name]
        self.dataChanged.emit(self.index(row, Column.WEIGHTS), self.index(row, Column.LATENCY))

    def weights_status(self, name: str) -> str:
        """'bundled', 'cached', 'download' (or 'missing' for an uninstalled bundle)."""
        return self._status.get(name, "download")

    def reload_machine_state(self) -> None:
        """Re-read cached weights and latencies (after a download or a measurement elsewhere)."""
        self._status, self._latency = machine_state(self._entries)
        if self._entries:
            self.dataChanged.emit(self.index(0, Column.WEIGHTS),
                                  self.index(len(self._entries) - 1, Column.LATENCY))

    # ----- Qt model API ----------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._entries)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(Column):
            return None
        title, tip = HEADERS[Column(section)]
        if role == Qt.ItemDataRole.DisplayRole:
            return title
        if role == Qt.ItemDataRole.ToolTipRole:
            return tip
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._entries):
            return None
        entry = self._entries[index.row()]
        column = Column(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(entry, column)
        if role == SORT_ROLE:
            return self._value(entry, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return entry_tooltip(entry, self.weights_status(entry.name))
        if role == Qt.ItemDataRole.TextAlignmentRole and column in _NUMERIC:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == ENTRY_ROLE:
            return entry
        if role == NAME_ROLE:
            return entry.name
        return None

    def sort_value(self, row: int, column: int) -> Any:
        """What sorting compares for a cell (None = unknown), without a ``data()`` call."""
        return self._value(self._entries[row], Column(column))

    def _value(self, entry: ZooEntry, column: Column) -> Any:
        """The raw value of a cell: what sorting compares (None = unknown)."""
        if column == Column.NAME:
            return entry.display_name.casefold()
        if column == Column.FAMILY:
            return entry.family.casefold()
        if column == Column.PARAMS:
            return None if entry.num_params is None else entry.num_params / 1e6
        if column == Column.WEIGHTS:
            return self.weights_status(entry.name)
        if column == Column.LATENCY:
            return self._latency.get(entry.name)
        return {Column.GFLOPS: entry.gflops, Column.TOP1: entry.acc1,
                Column.SIZE: entry.file_size_mb}[column]

    def _text(self, entry: ZooEntry, column: Column) -> str:
        if column == Column.NAME:
            return entry.display_name
        if column == Column.FAMILY:
            return entry.family
        if column == Column.WEIGHTS:
            return self.weights_status(entry.name)
        value = self._value(entry, column)
        if value is None:
            return MISSING
        digits = {Column.PARAMS: 1, Column.GFLOPS: 2, Column.TOP1: 1, Column.SIZE: 1,
                  Column.LATENCY: 1}[column]
        return f"{value:,.{digits}f}"


def entry_tooltip(entry: ZooEntry, status: str) -> str:
    """Rich-text tooltip: what the model is, its input, where its weights come from."""
    size = entry.preprocessing.crop_size
    lines = [f"<b>{_esc(entry.display_name)}</b> <code>{_esc(entry.name)}</code>",
             f"Input: {size}×{size} px (resize {entry.preprocessing.resize_size})",
             f"Weights: {_esc(entry.weights_label or 'none')} — {status}"]
    if entry.source == "timm":
        lines.append(f"Architecture: {_esc(entry.architecture)} · trained on "
                     f"{_esc(entry.pretraining or 'not stated')} · licence {_esc(entry.license)}")
        top5 = "" if entry.acc5 is None else f", top-5 {entry.acc5:.1f} %"
        lines.append(f"ImageNet top-1: {'not published' if entry.acc1 is None else f'{entry.acc1:.1f} %'}"
                     f"{top5} ({_esc(entry.metrics_source)})")
        if entry.hf_repo:
            lines.append(f"Weights: Hugging Face {_esc(entry.hf_repo)}")
    if entry.view_only:
        lines.append(f"<b>View only</b>: {_esc(entry.view_only)}")
    if entry.notes:
        lines.append(_esc(entry.notes))
    if not entry.has_pretrained_head:
        lines.append("No pretrained classifier head: replace the head before predicting.")
    if entry.recipe_url:
        lines.append(f"Recipe: {_esc(entry.recipe_url)}")
    if entry.license_url:
        lines.append(f"License: {_esc(entry.license_url)}")
    return "<p>" + "<br>".join(lines) + "</p>"


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

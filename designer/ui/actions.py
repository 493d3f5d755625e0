"""The app's commands as tables, built once into shared `QAction`s.

Each `ActionSpec` says what a command is called, its shortcut and tip, when it is enabled and
what it runs. `DESIGN_TABLE` holds the commands on the open design: `DesignActions` turns it into
one `QAction` per id for a session, and the main menus, the toolbar, the canvas context menus,
the inspector and the pages' banners all add *these* actions (`design_actions(session)[id]`),
so the text, the default choices and the enabled state are decided here, once: editing
commands are disabled while the design is locked (training) and when they would change nothing
(Freeze on frozen layers), and the selection commands follow the session's selection.
`WINDOW_TABLE` holds the window's own commands (projects, export, quit), always enabled.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication

from designer.core.network import Network
from designer.ui.script_weights import ScriptWeightsLoader
from designer.ui.session import DesignSession

if TYPE_CHECKING:
    from designer.surgery.design import Design
    from designer.ui.project_controller import ProjectController
    from designer.ui.workspace import Workspace

LOCKED_TIP = "Locked while this design trains"
C = TypeVar("C")


@dataclass(frozen=True)
class ActionSpec(Generic[C]):
    """One command run on a context `C`: how it looks, when it is enabled, what it runs."""

    id: str
    text: str
    run: Callable[[C], object]
    shortcut: QKeySequence.StandardKey | str | None = None
    tip: str = ""
    #: for design commands, besides "a design is open and not locked"; None: always
    enabled_when: Callable[[C, Design], bool] | None = None
    #: text that depends on the state (undo label, selection size); None: `text`
    text_for: Callable[[C, Design], str] | None = None


def build_actions(table: Iterable[ActionSpec[C]], context: C,
                  parent: QObject) -> dict[str, QAction]:
    """One QAction per spec, running it on `context` when triggered."""
    actions: dict[str, QAction] = {}
    for spec in table:
        action = QAction(spec.text, parent)
        if spec.shortcut is not None:
            action.setShortcut(QKeySequence(spec.shortcut))
        action.setStatusTip(spec.tip)
        action.setToolTip(spec.tip or spec.text)
        action.triggered.connect(lambda _checked=False, s=spec: s.run(context))
        actions[spec.id] = action
    return actions


# ----- predicates: would the command change anything? -----------------------------------
def would_set_frozen(network: Network, names: list[str], frozen: bool) -> bool:
    """Whether setting `frozen` on `names` changes at least one layer."""
    return any(n in network and network[n].frozen != frozen for n in names)


def _deletable(network: Network, names: list[str]) -> list[str]:
    return [n for n in names if n in network and network[n].op not in ("input", "output")]


def _count_text(verb: str, count: int) -> str:
    return verb if count <= 1 else f"{verb} {count} layers"


# ----- the tables -------------------------------------------------------------------------
DESIGN_TABLE: tuple[ActionSpec[DesignActions], ...] = (
    ActionSpec("undo", "Undo", lambda a: a.session.undo(), QKeySequence.StandardKey.Undo,
               enabled_when=lambda a, d: d.history.can_undo or a.session.can_return_to_origin,
               text_for=lambda a, d: f"Undo {d.history.undo_label}" if d.history.can_undo
               else f"Undo {a.session.origin_label}" if a.session.can_return_to_origin
               else "Undo"),
    ActionSpec("redo", "Redo", lambda a: a.session.redo(), "Ctrl+Shift+Z",
               enabled_when=lambda _a, d: d.history.can_redo,
               text_for=lambda _a, d: f"Redo {d.history.redo_label}" if d.history.can_redo
               else "Redo"),
    ActionSpec("replace_head", "Replace final layers…", lambda a: a.ask_replace_head(),
               "Ctrl+Shift+H",
               "Replace the classifier for your number of classes, keeping all other weights"),
    ActionSpec("fit_head_to_data", "Replace final layers for the data's classes",
               lambda a: a.fit_head_to_data(), None,
               "Give the model one output per class of the data on the Data page",
               enabled_when=lambda a, _d: bool(a.data_classes())),
    ActionSpec("freeze_backbone", "Freeze backbone",
               lambda a: a.session.edit(lambda d: d.freeze_backbone()), "Ctrl+Shift+F",
               "Freeze every layer before the final layer",
               enabled_when=lambda a, d: would_set_frozen(d.network, a.backbone(), True)),
    ActionSpec("unfreeze_all", "Unfreeze all",
               lambda a: a.session.edit(lambda d: d.set_frozen(
                   [ly.name for ly in d.network if ly.frozen], False, "Unfreeze all")), None,
               "Make every layer trainable again",
               enabled_when=lambda _a, d: any(ly.frozen for ly in d.network)),
    ActionSpec("freeze", "Freeze", lambda a: a.edit_selection(
        lambda d, names: d.set_frozen(names, True)), None,
               "Keep the weights of the selected layers fixed while training",
               enabled_when=lambda a, d: would_set_frozen(d.network, a.selection(), True),
               text_for=lambda a, _d: _count_text("Freeze", len(a.selection()))),
    ActionSpec("unfreeze", "Unfreeze", lambda a: a.edit_selection(
        lambda d, names: d.set_frozen(names, False)), None,
               "Train the selected layers' weights again",
               enabled_when=lambda a, d: would_set_frozen(d.network, a.selection(), False),
               text_for=lambda a, _d: _count_text("Unfreeze", len(a.selection()))),
    ActionSpec("load_script_weights", "Load weights trained by train.py…",
               lambda a: a.script_weights.ask_and_load(), None,
               "Load the trained.safetensors a generated training script wrote into this design"),
    ActionSpec("set_lr_factor", "Set learning-rate factor…", lambda a: a.ask_lr_factor(), None,
               "Multiply the learning rate of the selected layers' weights",
               enabled_when=lambda a, _d: bool(a.selection())),
    ActionSpec("delete", "Delete", lambda a: a.edit_selection(
        lambda d, names: d.delete_layers(_deletable(d.network, names))), None,
               "Delete the selected layers; their consumers read their input instead",
               enabled_when=lambda a, d: bool(_deletable(d.network, a.selection())),
               text_for=lambda a, d: _count_text("Delete",
                                                 len(_deletable(d.network, a.selection())))),
)


class DesignActions(QObject):
    """One `QAction` per `DESIGN_TABLE` entry for a session, enabled and worded in one place."""

    session: DesignSession
    workspace: Workspace | None
    script_weights: ScriptWeightsLoader

    def __init__(self, session: DesignSession, workspace: Workspace | None = None) -> None:
        super().__init__(session)
        self.session = session
        self.workspace = workspace
        self.actions = build_actions(DESIGN_TABLE, self, self)
        self.script_weights = ScriptWeightsLoader(session)
        self._backbone: tuple[object, list[str]] = (None, [])
        for signal in (session.design_replaced, session.document_changed,
                       session.history_changed, session.selection_changed,
                       session.locked_changed, session.analysis_ready):
            signal.connect(self.refresh)
        self.refresh()

    def __getitem__(self, action_id: str) -> QAction:
        return self.actions[action_id]

    def use_workspace(self, workspace: Workspace) -> None:
        """Take default classes from this workspace's data (and follow its changes)."""
        if self.workspace is not workspace:
            self.workspace = workspace
            workspace.data_changed.connect(self.refresh)
            self.refresh()

    # ----- state -------------------------------------------------------------------------
    def refresh(self, *_args: object) -> None:
        """Recompute every action's enabled state and text (cheap: a few set lookups)."""
        design, locked = self.session.design, self.session.locked
        for spec in DESIGN_TABLE:
            action = self.actions[spec.id]
            if design is None:
                action.setEnabled(False)
                action.setText(spec.text)
                continue
            action.setText(spec.text_for(self, design) if spec.text_for else spec.text)
            action.setEnabled(not locked and (spec.enabled_when is None or
                                              spec.enabled_when(self, design)))
            action.setToolTip(LOCKED_TIP if locked else spec.tip or spec.text)

    def selection(self) -> list[str]:
        """The layers the selection commands act on."""
        design = self.session.design
        if design is None:
            return []
        return [n for n in self.session.selection if n in design.network]

    def backbone(self) -> list[str]:
        """Weighted layers before the final layer (what Freeze backbone freezes), cached per
        network structure: walking a 500-layer graph on every selection change costs ~10 ms."""
        design = self.session.design
        if design is None:
            return []
        graph = design.network.graph  # a new object after every structural edit
        if self._backbone[0] is not graph:
            from designer.surgery import edits  # loaded with the design (torch)

            try:
                head = edits.final_parametric_layer(design.network)
                names = [n for n in design.network.upstream(head.name)
                         if design.network[n].num_params > 0]
            except edits.EditError:
                names = []
            self._backbone = (graph, names)
        return self._backbone[1]

    def data_classes(self) -> list[str]:
        """Class names of the data the Data page shows ([] when there is none)."""
        data = self.workspace.data if self.workspace is not None else None
        return list(data.classes) if data is not None else []

    def default_head(self) -> tuple[int | None, tuple[str, ...]]:
        """The one default for "Replace final layers…": the data's classes when there are
        any, else the current output width and class names."""
        classes = self.data_classes()
        if classes:
            return len(classes), tuple(classes)
        design, analysis = self.session.design, self.session.analysis
        names = design.info.class_names if design is not None else ()
        shape = analysis.output_shape if analysis is not None else None
        return (shape[-1] if shape else len(names) or None), names

    # ----- what the commands run -----------------------------------------------------------
    def edit_selection(self, edit: Callable[[Design, list[str]], object]) -> object:
        """Apply `edit` to the selected layers as one edit."""
        names = self.selection()
        return self.session.edit(lambda d: edit(d, names)) if names else None

    def ask_replace_head(self) -> None:
        """Ask for the new classes (pre-filled with the default) and replace the head."""
        from designer.ui.canvas import dialogs

        if self.session.design is None:
            return
        count, names = self.default_head()
        choice = dialogs.ask_replace_head(QApplication.activeWindow(), count, names)
        if choice is not None:
            self.session.edit(lambda d: d.replace_head(
                choice.num_classes, class_names=choice.class_names, dropout=choice.dropout))

    def fit_head_to_data(self) -> str | None:
        """Give the model one output per class of the data; the new head's name, or None."""
        classes = self.data_classes()
        if not classes:
            return None
        head = self.session.edit(lambda d: d.replace_head(len(classes), class_names=classes))
        return head if isinstance(head, str) else None

    def ask_lr_factor(self) -> None:
        """Ask for a factor (starting from the first selected layer's) and apply it."""
        from designer.ui.canvas import dialogs

        names, design = self.selection(), self.session.design
        if not names or design is None:
            return
        factor = dialogs.ask_lr_factor(QApplication.activeWindow(),
                                       design.network[names[0]].lr_factor)
        if factor is not None:
            self.session.edit(lambda d: d.set_lr_factor(names, factor))


_BY_SESSION: weakref.WeakKeyDictionary[DesignSession, DesignActions] = \
    weakref.WeakKeyDictionary()


def design_actions(session: DesignSession, workspace: Workspace | None = None) -> DesignActions:
    """The one `DesignActions` of `session` (created on first use)."""
    actions = _BY_SESSION.get(session)
    if actions is None:
        actions = _BY_SESSION[session] = DesignActions(session)
    if workspace is not None:
        actions.use_workspace(workspace)
    return actions


class WindowCommands(Protocol):
    """What the window's commands run on (the main window)."""

    projects: ProjectController

    def new_project(self) -> None:
        """File ▸ New project."""

    def focus_browser(self) -> None:
        """Show the model browser."""

    def open_model_file(self) -> None:
        """File ▸ Open model file… (.pt2, Python, ONNX, TorchScript, weights)."""

    def open_export(self, script: bool = False) -> None:
        """The Export dialog (or the script generator)."""

    def about(self) -> None:
        """Help ▸ About."""

    def open_model_finder(self) -> None:
        """Model ▸ Find a model for my data (designer.ui.search)."""

    def open_compression_analysis(self) -> None:
        """Model ▸ Analyze for compression (designer.ui.compress)."""

    def open_pruning(self) -> None:
        """Model ▸ Prune channels (designer.ui.compress)."""

    def close(self) -> bool:
        """Quit (asks about unsaved changes)."""


WINDOW_TABLE: tuple[ActionSpec[WindowCommands], ...] = (
    ActionSpec("new_project", "New project", lambda w: w.new_project(),
               QKeySequence.StandardKey.New,
               "Start an empty project (asks to save unsaved changes)"),
    ActionSpec("open_model", "Open model…", lambda w: w.focus_browser(), "Ctrl+M",
               "Choose a pretrained model in the model browser"),
    ActionSpec("open_model_file", "Open model file…", lambda w: w.open_model_file(),
               "Ctrl+Shift+O", "Import your own model: a torch.export .pt2, a Python class, an "
               "ONNX file (experimental), TorchScript or a weights file, with an import report"),
    ActionSpec("open_project", "Open project…", lambda w: w.projects.open(),
               QKeySequence.StandardKey.Open),
    ActionSpec("save_project", "Save project", lambda w: w.projects.save(),
               QKeySequence.StandardKey.Save),
    ActionSpec("save_project_as", "Save project as…", lambda w: w.projects.save_as(),
               "Ctrl+Shift+S"),
    ActionSpec("export_model", "Export model…", lambda w: w.open_export(False), "Ctrl+E",
               "Save the model as safetensors, ONNX, .pt2 or TorchScript, checked against the "
               "app's outputs"),
    ActionSpec("generate_script", "Generate PyTorch script…", lambda w: w.open_export(True),
               None, "Write train.py with the weights and the data split"),
    ActionSpec("quit", "Quit", lambda w: w.close(), QKeySequence.StandardKey.Quit),
    ActionSpec("about", "About NetDesigner", lambda w: w.about()),
    ActionSpec("find_model", "Find a model for my data…", lambda w: w.open_model_finder(), None,
               "Probe a shortlist of pretrained models on your data: accuracy vs speed"),
    ActionSpec("analyze_compression", "Analyze for compression…",
               lambda w: w.open_compression_analysis(), None,
               "Per layer: parameters, weight and activation memory, what pruning and INT8 can "
               "save, and the measured time"),
    ActionSpec("prune", "Prune channels…", lambda w: w.open_pruning(), None,
               "Remove a share of every layer's channels; the smaller network opens as a new "
               "design (Undo returns to this one)"),
)

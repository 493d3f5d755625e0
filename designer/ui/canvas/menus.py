"""Right-click menus of the canvas: surgery on layers and blocks, view commands on the background.

Commands that act on the selection (Freeze, Unfreeze, learning-rate factor, Delete) and
"Replace final layers…" are the shared actions of `designer.ui.actions` (right-clicking a node
selects it first), so they read and enable exactly as in the main menus. The entries that depend
on the clicked node (Freeze up to here, Insert after, Replace with, blocks) are built here and
are enabled only when they would change something and the design is not locked. An edge offers
"Insert layer here" (what dropping a library layer on it does). Every edit goes
through `session.edit`. `exec_menu` is looked up at call time so tests can pick an entry without
a modal loop.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPoint
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu

from designer.core.catalog import catalog_by_category
from designer.core.categories import CATEGORIES
from designer.core.network import Network
from designer.ui.actions import design_actions, would_set_frozen
from designer.ui.canvas import blocks
from designer.ui.canvas.node_item import LayerItem

if TYPE_CHECKING:
    from designer.surgery.design import Design
    from designer.ui.canvas.edge_item import EdgeItem
    from designer.ui.canvas.frame_item import BlockFrame
    from designer.ui.canvas.view import NetworkView


def exec_menu(menu: QMenu, pos: QPoint) -> None:
    """Show a menu modally at a global position (tests replace this)."""
    menu.exec(pos)


def _edit(view: NetworkView, action: Callable[[Design], Any]) -> Callable[[], Any]:
    return lambda: view.session.edit(action)


#: marks menu entries that change the design (disabled while the session is locked)
EDITS = "edits the design"


def _add(menu: QMenu, text: str, slot: Callable[[], Any], enabled: bool = True,
         tip: str = "", edit: bool = False) -> QAction:
    action = menu.addAction(text)
    action.triggered.connect(lambda _checked=False: slot())
    action.setEnabled(enabled)
    if tip:
        action.setToolTip(tip)
    if edit:
        action.setData(EDITS)
    return action


def _lock(menu: QMenu, view: NetworkView) -> QMenu:
    """While the design trains, editing entries stay visible but disabled (the shared actions
    disable themselves)."""
    if view.session.locked:
        for action in menu.actions():
            if action.data() == EDITS:
                action.setEnabled(False)
                action.setToolTip("Locked while this design trains")
    return menu


def _shared(menu: QMenu, view: NetworkView, *action_ids: str) -> None:
    actions = design_actions(view.session)
    for action_id in action_ids:
        menu.addAction(actions[action_id])


def node_menu(view: NetworkView, item: LayerItem) -> QMenu:
    """Menu for a node: a layer, or a collapsed block."""
    if item.view.is_block:
        return block_menu(view, item)
    return layer_menu(view, item)


def layer_menu(view: NetworkView, item: LayerItem) -> QMenu:
    """Surgery on one layer (freeze/LR entries act on every selected layer)."""
    menu = QMenu(view)
    menu.setToolTipsVisible(True)
    name = item.view.last
    network = view.network_scene.network
    assert network is not None
    layer = network[name]
    editable = layer.op not in ("input", "output")
    _shared(menu, view, "replace_head")
    menu.addSeparator()
    _shared(menu, view, "freeze", "unfreeze")
    _up_to_and_from(menu, view, network, up_to=name, from_=name)
    _shared(menu, view, "set_lr_factor")
    menu.addSeparator()
    _catalog_menu(menu, "Insert layer after", view,
                  lambda kind: _insert(view, name, kind), layer.op != "output")
    _catalog_menu(menu, "Replace with", view,
                  lambda kind: view.session.edit(lambda d: d.replace_layer(name, kind)), editable)
    _shared(menu, view, "delete")
    groups = blocks.enclosing(layer.group) if editable else []
    if groups:
        menu.addSeparator()
    for group in reversed(groups[-3:]):
        _add(menu, f"Collapse block {group}",
             lambda g=group: view.toggle_block(g, expand=False))  # type: ignore[misc]
    return _lock(menu, view)


def block_menu(view: NetworkView, item: LayerItem) -> QMenu:
    """A collapsed block: open it, or freeze it as a whole."""
    menu = QMenu(view)
    path = item.view.block_path
    names = _selected(view, item)
    whole = names == list(item.view.members)
    network = view.network_scene.network
    assert network is not None
    _add(menu, "Expand block", lambda: view.toggle_block(path, expand=True))
    menu.addSeparator()
    _add(menu, "Freeze block" if whole else f"Freeze {len(names)} layers",
         _edit(view, lambda d: d.set_frozen(names, True, f"Freeze {_what(path, names, whole)}")),
         would_set_frozen(network, names, True), edit=True)
    _add(menu, "Unfreeze block" if whole else f"Unfreeze {len(names)} layers",
         _edit(view, lambda d: d.set_frozen(names, False, f"Unfreeze {_what(path, names, whole)}")),
         would_set_frozen(network, names, False), edit=True)
    last, first = item.view.last, item.view.first
    _up_to_and_from(menu, view, network, up_to=last, from_=first)
    _shared(menu, view, "set_lr_factor")
    menu.addSeparator()
    _catalog_menu(menu, "Insert layer after", view, lambda kind: _insert(view, last, kind), True)
    _shared(menu, view, "replace_head")
    outer = blocks.enclosing(path)[:-1]
    if outer:
        _add(menu, f"Collapse block {outer[-1]}", lambda: view.toggle_block(outer[-1], expand=False))
    return _lock(menu, view)


def edge_menu(view: NetworkView, edge: EdgeItem) -> QMenu:
    """An edge: insert a library layer between the two nodes it joins (as a drop there does),
    then the background's view commands."""
    menu = QMenu(view)
    menu.setToolTipsVisible(True)
    _catalog_menu(menu, "Insert layer here", view,
                  lambda kind: view.drops.insert(kind, edge), True)
    menu.addSeparator()
    return _view_entries(menu, view)


def background_menu(view: NetworkView, frame: BlockFrame | None = None) -> QMenu:
    """View commands (and collapsing the block whose frame was clicked)."""
    return _view_entries(QMenu(view), view, frame)


def _view_entries(menu: QMenu, view: NetworkView, frame: BlockFrame | None = None) -> QMenu:
    scene = view.network_scene
    has_design = scene.network is not None
    _add(menu, "Fit", view.fit, has_design)
    _add(menu, "Expand all", scene.expand_all, has_design)
    _add(menu, "Collapse all", scene.collapse_all, has_design)
    _add(menu, "Auto-arrange", scene.auto_arrange, has_design)
    if frame is not None:
        menu.addSeparator()
        path = frame.path
        _add(menu, f"Collapse block {path}", lambda: view.toggle_block(path, expand=False))
    menu.addSeparator()
    _shared(menu, view, "replace_head")
    return _lock(menu, view)


def _up_to_and_from(menu: QMenu, view: NetworkView, network: Network, up_to: str,
                    from_: str) -> None:
    """"Freeze up to here" / "Unfreeze from here", enabled when they would change something."""
    _add(menu, "Freeze up to here", _edit(view, lambda d: d.freeze(up_to=up_to)),
         would_set_frozen(network, [up_to, *network.upstream(up_to)], True),
         tip="Freeze this layer and every layer before it", edit=True)
    _add(menu, "Unfreeze from here", _edit(view, lambda d: d.unfreeze(from_=from_)),
         would_set_frozen(network, [from_, *network.downstream(from_)], False),
         tip="Unfreeze this layer and every layer after it", edit=True)


def _catalog_menu(menu: QMenu, title: str, view: NetworkView, pick: Callable[[str], Any],
                  enabled: bool) -> QMenu:
    """A submenu of the layer library, grouped by category."""
    sub = menu.addMenu(title)
    sub.setEnabled(enabled)
    sub.menuAction().setData(EDITS)
    sub.setToolTipsVisible(True)
    for category, kinds in catalog_by_category().items():
        group = sub.addMenu(CATEGORIES.get(category, ("", category.title()))[1])
        group.setToolTipsVisible(True)
        for kind in kinds:
            _add(group, kind.name, lambda k=kind.name: pick(k),  # type: ignore[misc]
                 tip=kind.description)
    return sub


def _selected(view: NetworkView, item: LayerItem) -> list[str]:
    """The layers a menu acts on: the selection if the item is part of it, else the item."""
    names = view.network_scene.selected_layers()
    return names if item.isSelected() and names else list(item.view.members)


def _what(path: str, names: list[str], whole: bool) -> str:
    return f"block {path}" if whole else f"{len(names)} layers"


def _insert(view: NetworkView, after: str, kind: str) -> None:
    name = view.session.edit(lambda d: d.insert_layer(after, kind))
    if isinstance(name, str):
        view.session.select([name])


def delete_selected(view: NetworkView) -> None:
    """Delete the selected layers (input and output are kept): the shared Delete action."""
    design_actions(view.session)["delete"].trigger()

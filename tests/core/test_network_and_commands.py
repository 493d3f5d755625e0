"""The document and its undo history, without torch."""

from __future__ import annotations

import pytest

from designer.core.catalog import CATALOG, catalog_kind
from designer.core.commands import CommandStack, SnapshotCommand
from designer.core.layers import Layer, Ref
from designer.core.network import Network, NetworkError


def _chain() -> Network:
    return Network([
        Layer("x", "input", "x", "input", "input"),
        Layer("conv", "module", "conv", "Conv2d", "conv", args=(Ref("x"),), num_params=10),
        Layer("relu", "module", "relu", "ReLU", "activation", args=(Ref("conv"),)),
        Layer("output", "output", "output", "output", "output", args=(Ref("relu"),)),
    ])


def test_graph_follows_arguments() -> None:
    network = _chain()
    assert list(network.graph.edges) == [("x", "conv"), ("conv", "relu"), ("relu", "output")]
    assert network.upstream("relu") == {"x", "conv"}
    assert network.consumers("conv") == ["relu"]


def test_layer_reading_a_later_layer_is_rejected() -> None:
    network = _chain()
    bad = [network["x"], network["relu"], network["conv"], network["output"]]
    with pytest.raises(NetworkError, match="does not come before it"):
        network.set_layers(bad)
    assert network.names == ["x", "conv", "relu", "output"]


def test_attribute_update_emits_the_changed_names() -> None:
    network = _chain()
    seen: list[object] = []
    network.changed.connect(seen.append)
    network.update([network["conv"].with_changes(frozen=True)])
    assert seen == [{"conv"}]
    assert network["conv"].frozen


def test_snapshot_command_undo_redo_and_failed_edit() -> None:
    network = _chain()
    stack = CommandStack()

    def freeze() -> None:
        network.update([network["conv"].with_changes(frozen=True)])

    stack.push(SnapshotCommand("Freeze conv", network.state, network.restore, freeze))
    assert stack.undo_label == "Freeze conv"
    assert stack.undo() and not network["conv"].frozen
    assert stack.redo() and network["conv"].frozen

    def broken() -> None:
        network.update([network["relu"].with_changes(frozen=True)])
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        stack.push(SnapshotCommand("Broken", network.state, network.restore, broken))
    assert not network["relu"].frozen, "a failed edit must leave the document as it was"
    assert stack.undo_label == "Freeze conv"


def test_catalog_validates_values_with_clear_messages() -> None:
    linear = catalog_kind("Linear")
    assert linear is not None
    assert linear.validate({"in_features": "12", "out_features": 3})["in_features"] == 12
    with pytest.raises(ValueError, match="out_features must be at least 1"):
        linear.validate({"out_features": 0})
    with pytest.raises(ValueError, match="whole number"):
        linear.validate({"out_features": "ten"})
    dropout = catalog_kind("Dropout")
    assert dropout is not None
    with pytest.raises(ValueError, match="at most 1"):
        dropout.validate({"p": 1.5})
    assert {k.category for k in CATALOG} >= {"conv", "linear", "norm", "activation", "pool"}


def test_serialization_round_trip_and_newer_version_refused() -> None:
    import json

    from designer.core.serialization import FormatError, network_from_dict, network_to_dict

    network = _chain()
    network.update([network["conv"].with_changes(params={"kernel_size": (3, 3)}, frozen=True)])
    data = json.loads(json.dumps(network_to_dict(network)))
    again = network_from_dict(data)
    assert list(again) == list(network)
    data["version"] = 99
    with pytest.raises(FormatError, match="newer NetDesigner"):
        network_from_dict(data)


def test_collapsed_blocks_and_layout() -> None:
    from designer.core.grouping import default_collapsed, visible_graph
    from designer.core.layout import layered_positions

    layers = [Layer("x", "input", "x", "input", "input")]
    previous = "x"
    for block in range(3):
        for i in range(3):
            name = f"b{block}_l{i}"
            layers.append(Layer(name, "module", f"b{block}.l{i}", "Conv2d", "conv",
                                args=(Ref(previous),), group=f"b{block}"))
            previous = name
    layers.append(Layer("output", "output", "output", "output", "output", args=(Ref(previous),)))
    network = Network(layers)
    collapsed = visible_graph(network, {"b0", "b1", "b2"})
    assert list(collapsed.graph.edges) == [("x", "block:b0"), ("block:b0", "block:b1"),
                                           ("block:b1", "block:b2"), ("block:b2", "output")]
    assert collapsed.node_of_layer("b1_l2") == "block:b1"
    assert default_collapsed(network, max_nodes=8) == {"b0", "b1", "b2"}
    rows = [row for _, row in layered_positions(visible_graph(network, set()).graph).values()]
    assert sorted(rows) == list(range(11))


def test_constant_sources_sit_just_above_their_reader() -> None:
    import networkx as nx

    from designer.core.layout import layered_positions

    graph = nx.DiGraph([("x", "a"), ("a", "b"), ("b", "c"), ("token", "c")])
    rows = {node: row for node, (_col, row) in layered_positions(graph).items()}
    assert rows["x"] == 0
    assert rows["token"] == rows["c"] - 1


def test_batch_merges_one_gestures_changes_and_drops_them_when_it_fails() -> None:
    network = _chain()
    seen: list[object] = []
    network.changed.connect(seen.append)
    with network.batch():
        network.update([network["conv"].with_changes(frozen=True)])
        with network.batch():  # nested: joins the outer batch
            network.update([network["relu"].with_changes(frozen=True)])
        assert seen == [], "nothing is announced before the gesture ends"
    assert seen == [{"conv", "relu"}]
    with network.batch():
        network.update([network["conv"].with_changes(frozen=False)])
        network.set_layers(list(network))  # a structural change absorbs attribute changes
    assert seen[-1] is None and len(seen) == 2
    state = network.state()

    def failing_gesture() -> None:
        with network.batch():
            network.update([network["relu"].with_changes(frozen=False)])
            network.restore(state)  # the owner puts the state back, then the error propagates
            raise RuntimeError("halfway")

    with pytest.raises(RuntimeError):
        failing_gesture()
    assert len(seen) == 2, "a failed gesture announces nothing"


def test_trim_drops_the_oldest_commands_first() -> None:
    network = _chain()
    stack = CommandStack()
    for name in ("conv", "relu"):
        stack.push(SnapshotCommand(f"Freeze {name}", network.state, network.restore,
                                   lambda n=name: network.update(  # type: ignore[misc]
                                       [network[n].with_changes(frozen=True)])))
    stack.undo()
    assert stack.trim(lambda kept: len(kept) > 1) == 1
    assert not stack.can_undo and stack.redo_label == "Freeze relu"
    assert stack.trim(lambda kept: len(kept) > 0) == 1 and not stack.can_redo


def test_documents_and_visible_graphs_load_networkx_only_when_a_graph_is_read() -> None:
    """networkx costs a few hundred ms of start-up: the window's empty canvas (a document, its
    visible graph, the layout module) must not import it; the first graph read does."""
    import subprocess
    import sys

    probe = (
        "import sys\n"
        "from designer.core.grouping import visible_graph\n"
        "from designer.core.layers import Layer, Ref\n"
        "from designer.core.layout import layered_positions\n"
        "from designer.core.network import Network\n"
        "empty = visible_graph(Network(), ())\n"
        "net = Network([Layer('x', 'input', 'x', 'input', 'input'),\n"
        "               Layer('output', 'output', 'output', 'output', 'output',\n"
        "                     args=(Ref('x'),))])\n"
        "shown = visible_graph(net, ())\n"
        "before = 'networkx' in sys.modules\n"
        "edges = list(shown.graph.edges)\n"
        "print(before, 'networkx' in sys.modules, edges, layered_positions(empty.graph))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split(" ", 2)[:2] == ["False", "True"]
    assert "[('x', 'output')] {}" in done.stdout

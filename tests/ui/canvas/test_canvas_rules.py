"""The canvas's Qt-free rules: opening blocks, where drops insert, find matching, node states."""

from __future__ import annotations

from typing import TYPE_CHECKING

from designer.core.grouping import visible_graph
from designer.core.network import Network
from designer.ui.canvas import blocks, targets
from designer.ui.canvas.find import best_match, searchable_names
from designer.ui.canvas.nodes import FROZEN, NOT_FROZEN, PARTLY_FROZEN, describe

if TYPE_CHECKING:
    from conftest import Imported


def _network(imported: Imported) -> Network:
    return Network(imported.state.layers)


def test_expanding_opens_one_level_and_small_sub_blocks_with_it(resnet18_import: Imported) -> None:
    network = _network(resnet18_import)
    top = blocks.collapse_all(network)
    assert top == {"layer1", "layer2", "layer3", "layer4"}
    opened = blocks.expand(network, top, "layer2")
    assert opened == {"layer1", "layer2.0", "layer2.1", "layer3", "layer4"}
    inner = blocks.expand(network, opened, "layer2.0")
    assert "layer2.0.downsample" not in inner, "a 2-layer sub-block opens with its parent"
    shown = visible_graph(network, inner).graph
    assert "layer2_0_downsample_0" in shown and "block:layer2.1" in shown


def test_reveal_opens_only_what_hides_a_layer(resnet18_import: Imported) -> None:
    network = _network(resnet18_import)
    collapsed = blocks.reveal(network, blocks.collapse_all(network), "layer3_1_conv2")
    assert blocks.owner(network["layer3_1_conv2"].group, collapsed) is None
    assert {"layer1", "layer2", "layer4", "layer3.0"} <= collapsed
    assert blocks.reveal(network, collapsed, "no_such_layer") == collapsed


def test_collapsing_forgets_the_blocks_inside(resnet18_import: Imported) -> None:
    assert blocks.collapse({"layer1.0", "layer1.1", "layer2.0"}, "layer1") == {"layer1", "layer2.0"}


def test_edge_insert_point_follows_the_drawn_dataflow(resnet18_import: Imported) -> None:
    network = _network(resnet18_import)
    shown = visible_graph(network, {"layer1.0", "layer1.1"})
    point = targets.on_edge(network, shown.members["block:layer1.0"],
                            shown.members["block:layer1.1"])
    assert point == targets.InsertPoint("layer1_0_relu_1", None)
    # maxpool feeds both the first conv and the residual add of layer1.0: an edge into the
    # expanded conv must not reroute the residual branch
    flat = visible_graph(network, set())
    assert targets.on_edge(network, ["maxpool"], ["layer1_0_conv1"]) == \
        targets.InsertPoint("maxpool", "layer1_0_conv1")
    assert ("maxpool", "add") in flat.graph.edges
    assert targets.on_node(["a", "b"]) == targets.InsertPoint("b")


def test_find_prefers_exact_names_then_parts(resnet18_import: Imported) -> None:
    names = searchable_names(_network(resnet18_import))
    assert "layer1.0" in names and "conv1" in names
    assert best_match(names, "conv1") == "conv1"
    assert best_match(names, "CONV1") == "conv1"
    assert best_match(names, "downsample") == "layer2_0_downsample_0"
    assert best_match(names, "  ") is None
    assert best_match(names, "nothing_like_it") is None


def test_block_frozen_state_counts_weighted_layers(resnet18_import: Imported) -> None:
    network = _network(resnet18_import)
    members = [ly.name for ly in network.layers_of_group("layer1.0") if not ly.plumbing]
    key = "block:layer1.0"
    assert describe(network, key, members, None).frozen == NOT_FROZEN
    weighted = [n for n in members if network[n].num_params > 0]
    network.update([network[weighted[0]].with_changes(frozen=True)])
    assert describe(network, key, members, None).frozen == PARTLY_FROZEN
    network.update([network[n].with_changes(frozen=True) for n in weighted])
    assert describe(network, key, members, None).frozen == FROZEN, "ReLUs/adds do not count"
    assert describe(network, key, members, None).shape == "…", "no analysis yet"

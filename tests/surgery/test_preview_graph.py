"""The graph drawn while a model's weights are built (`preview_graph`, traced from the
architecture built on the meta device) is exactly the graph of the design that then arrives;
where the meta device cannot build or trace a model there is no preview, and opening it works
as before."""

from __future__ import annotations

import pytest

from designer.core.network import NetworkState
from designer.surgery.opening import open_model, preview_graph


@pytest.mark.parametrize("name", [
    "resnet18",
    "efficientnet_lite0_bundled",  # timm's tf_efficientnet_lite0
    "maxvit_t",  # buffers read through views (fx constants): found by storage on meta
])
def test_the_preview_is_the_graph_of_the_opened_design(name: str) -> None:
    previewed = preview_graph(name)
    assert previewed is not None
    weights = "bundled" if name.endswith("_bundled") else "none"
    design = open_model(name, weights, analyse=False)
    assert previewed == design.network.state()
    assert [ly.name for ly in previewed.layers] == design.network.names
    assert set(design.network.graph.edges()) == {
        (ref, ly.name) for ly in previewed.layers for ref in ly.inputs}


def test_a_model_the_meta_device_cannot_build_has_no_preview_and_still_opens() -> None:
    # torchvision's RegNet reads tensor values while it is constructed (`.tolist()`)
    assert preview_graph("regnet_y_400mf") is None
    shown: list[NetworkState] = []
    design = open_model("regnet_y_400mf", analyse=False, preview=shown.append)
    assert shown == []
    assert len(design.network) > 100


def test_open_model_hands_the_preview_over_before_it_builds() -> None:
    order: list[str] = []

    def show(graph: NetworkState) -> None:
        order.append(f"preview of {len(graph.layers)} layers")

    design = open_model("resnet18", analyse=False, preview=show)
    order.append("design")
    assert order == [f"preview of {len(design.network)} layers", "design"]


def test_a_cancelled_open_shows_no_preview() -> None:
    from designer.zoo.errors import CancelledError

    shown: list[NetworkState] = []
    with pytest.raises(CancelledError):
        open_model("resnet18", analyse=False, preview=shown.append, cancel=lambda: True)
    assert shown == []

"""Opening and analysing a model leaves (almost) nothing for Python's cyclic collector: the fx
graph, tracer and analysis module are taken apart where they are made, so a closed design's
weights are freed at once and a later full collection has little to do on the GUI thread."""

from __future__ import annotations

import collections
import gc
import weakref
from collections.abc import Iterator

import pytest
import torch
from torch import nn

from designer.core.layers import Layer
from designer.surgery.opening import open_model
from designer.surgery.trace import network_from_module


@pytest.fixture
def no_automatic_gc() -> Iterator[None]:
    gc.collect()
    was = gc.isenabled()
    gc.disable()
    yield
    if was:
        gc.enable()


def _left_in_cycles() -> collections.Counter[str]:
    """Types of the objects only the cyclic collector would free, right now."""
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        gc.collect()
        found = collections.Counter(type(o).__name__ for o in gc.garbage
                                    if not isinstance(o, type))
        found.update("weights" for o in gc.garbage if isinstance(o, nn.Module | torch.Tensor))
        found.update("layers" for o in gc.garbage if isinstance(o, Layer))
    finally:
        gc.garbage.clear()
        gc.set_debug(0)
    return found


def test_an_opened_and_analysed_model_leaves_no_fx_graph_or_weights_in_cycles(
        no_automatic_gc: None) -> None:
    open_model("resnet18", "none", input_size=64)  # one-off import-time objects first
    gc.collect()
    design = open_model("resnet18", "none", input_size=64)
    assert design.analyze().output_shape == (1, 1000)
    del design
    found = _left_in_cycles()
    # before (s4, collector off as here): 5,158 objects per resnet18 open + analysis (modules
    # with their OrderedDicts, Parameters, fx Nodes: the whole model waited for a full
    # collection; maxvit_t 86,030). Now ~1,430: torch's own closures (recursive pytree
    # helpers, the code generator's, which keep the analysis graph's 70 unlinked nodes)
    assert found["weights"] == 0 and found["layers"] == 0, found.most_common(10)
    assert found["OrderedDict"] < 20 and found["Node"] < 100, found.most_common(10)
    assert sum(found.values()) < 2500, found.most_common(10)


class _Unpacks(nn.Module):
    """Unpacks a traced shape (`b, c, h, w = x.shape`), as maxvit_t and swin do."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = self.conv(x).shape
        return x.reshape(b, -1)[:, : c * h * w]


def test_a_traced_module_is_freed_by_reference_counting(no_automatic_gc: None) -> None:
    module = _Unpacks()
    alive = weakref.ref(module)
    network, store = network_from_module(module, copy_module=False)
    assert "conv" in store and any(layer.target == "getitem" or "getitem" in layer.name
                                   for layer in network)
    del module, network, store
    # the tracer, its patcher, the fx graph and torch's unpacking frame kept the module (and
    # the trace's call stack) in cycles until a full collection
    assert alive() is None
    assert _left_in_cycles()["frame"] == 0

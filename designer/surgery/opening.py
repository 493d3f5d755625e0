"""Open a zoo model as a design: build it (with the requested weights), trace it, describe it.

Building a model initialises its weights (resnet50: half a second, vit_b_16: two), so the
graph can be shown first: `preview_graph` builds the same architecture on the meta device
(shapes only, no memory, no init) and traces that, and `open_model(preview=...)` hands it
over before it builds the real one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from designer.core.network import NetworkState
from designer.surgery import plumbing
from designer.surgery.design import Design, DesignInfo
from designer.surgery.modules import seeded_init
from designer.surgery.trace import network_from_module
from designer.zoo.conventions import classifier_paths, stages
from designer.zoo.registry import WeightsChoice, create_model, get_entry, source_of

log = logging.getLogger(__name__)


def open_model(name: str, weights: WeightsChoice = "none", *,
               progress: Callable[[float, str], None] | None = None,
               cancel: Callable[[], bool] | None = None, input_size: int | None = None,
               analyse: bool = True,
               preview: Callable[[NetworkState], None] | None = None) -> Design:
    """A design of zoo model `name` with weights "none", "pretrained", "bundled" or a file.

    `input_size` overrides the model's crop size for analysis (e.g. small images).
    `analyse=False` returns it traced but not analysed (the GUI draws it at once and analyses
    it in the background: `Design.__init__`). `preview` is called first with the model's graph
    (`preview_graph`) unless that cannot be made on the meta device; the design returned is
    traced from the real module, whatever the preview showed.
    """
    entry = get_entry(name)
    if preview is not None:
        graph = preview_graph(name)
        if graph is not None and not (cancel is not None and cancel()):
            preview(graph)
    module = create_seeded(name, weights, progress=progress, cancel=cancel)
    info = DesignInfo(
        model_name=entry.name, source=entry.source,
        weights=str(weights), class_names=tuple(entry.categories) if weights != "none" else (),
        preprocessing=entry.preprocessing,
        input_size=input_size or entry.preprocessing.crop_size,
        **conventions_of(module),
    )
    # the module was built here and nothing else holds it: the design takes it without a copy
    network, store = network_from_module(module, copy_module=False)
    return Design(network, store, info, analyse=analyse)


def preview_graph(name: str) -> NetworkState | None:
    """The graph `open_model(name)` will show, from the architecture built on the meta device
    (milliseconds: no weights are made or initialised); None when the model cannot be built or
    traced there (e.g. its constructor reads tensor values): then only the real build can say."""
    entry = get_entry(name)
    try:
        with torch.device("meta"):
            module = source_of(entry).build(entry)
        network, _store = network_from_module(module, copy_module=False)
    except Exception:  # any failure on meta only means: no preview
        log.info("no meta-device preview of %s", name, exc_info=True)
        return None
    plumbing.hide_from_graph(network)
    return network.state()


def create_seeded(name: str, weights: WeightsChoice = "none", *,
                  progress: Callable[[float, str], None] | None = None,
                  cancel: Callable[[], bool] | None = None) -> nn.Module:
    """The module `open_model` builds (eval mode), without tracing it into a design: random
    weights ("none") are the same everywhere and in every use."""
    with seeded_init("open_model", get_entry(name).name):
        return create_model(name, weights=weights, progress=progress, cancel=cancel)


def conventions_of(module: nn.Module) -> dict[str, Any]:
    """DesignInfo fields a model declares about itself: its head(s) and stage boundaries."""
    return {"head": classifier_paths(module),
            "stages": tuple((stage.label, stage.module) for stage in stages(module))}


def from_module(module: nn.Module, *, input_size: int = 224, name: str = "custom") -> Design:
    """A design of any traceable module (the module itself is never modified)."""
    return Design.from_module(module, DesignInfo(model_name=name, input_size=input_size,
                                                 **conventions_of(module)))

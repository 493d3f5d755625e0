"""The background analysis runs the graph node by node without generating and compiling the
network's Python source: `compile()` holds the GIL for its whole length (~40 ms for maxvit_t),
and while it does, the window cannot paint or answer. The numbers it gives are the same as
running the module that `build_module` compiles."""

from __future__ import annotations

import pytest
import torch
import torchvision
from torch.fx import graph_module

from designer.core.network import Network
from designer.surgery.analysis import analyze
from designer.surgery.build import build_module
from designer.surgery.design import Design, DesignInfo


def test_the_analysis_compiles_no_source_and_matches_the_compiled_module(
        monkeypatch: pytest.MonkeyPatch) -> None:
    torch.manual_seed(0)
    design = Design.from_module(torchvision.models.resnet18(weights=None).eval(),
                                DesignInfo(model_name="resnet18", input_size=64), analyse=False)
    compiled: list[str] = []
    real = graph_module._exec_with_source

    def counting(src: str, *args: object, **kwargs: object) -> None:
        compiled.append(src)
        real(src, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(graph_module, "_exec_with_source", counting)
    analysis = analyze(Network(design.network.state().layers), dict(design.store),
                       design.info.input_shape)
    assert compiled == [], "the analysis generated and compiled Python source"
    module = build_module(design.network, dict(design.store), copy_weights=False)
    assert compiled, "building the runnable module does compile (the counter works)"
    with torch.no_grad():
        out = module(torch.zeros(design.info.input_shape))
    assert analysis.output_shape == tuple(out.shape) == (1, 1000)
    assert analysis.layers["fc"].shape == (1, 1000) and analysis.total_macs > 0

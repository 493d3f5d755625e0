"""The torch.fx tracer that keeps train/eval behaviour out of the graph.

With fx's default tracer, 22 torchvision models bake `self.training` into the graph as a
constant (stochastic depth, shifted-window attention): a graph traced in eval mode would then
train with those layers silently switched off. Keeping such modules as leaves makes the graph
identical in both modes. timm registers its own untraceable layers and functions; we honour them.
"""

from __future__ import annotations

import torch
from torch import fx, nn


def _mode_dependent_leaves() -> tuple[type[nn.Module], ...]:
    from torchvision.models.swin_transformer import (
        ShiftedWindowAttention,
        ShiftedWindowAttentionV2,
    )
    from torchvision.ops import StochasticDepth

    return (StochasticDepth, ShiftedWindowAttention, ShiftedWindowAttentionV2)


def _timm_leaves_and_functions() -> tuple[tuple[type[nn.Module], ...], tuple[object, ...]]:
    try:
        from timm.layers import _fx as timm_fx
    except ImportError:  # timm is optional for tracing plain torchvision models
        return (), ()
    return tuple(timm_fx.get_notrace_modules()), tuple(timm_fx.get_notrace_functions())


class DesignTracer(fx.Tracer):
    """fx tracer whose leaves include every module whose code branches on `self.training`."""

    def __init__(self) -> None:
        timm_leaves, timm_functions = _timm_leaves_and_functions()
        super().__init__(autowrap_functions=timm_functions)  # type: ignore[arg-type]
        self._extra_leaves = _mode_dependent_leaves() + timm_leaves

    def is_leaf_module(self, m: nn.Module, module_qualified_name: str) -> bool:
        """Leaf when fx would be (torch.nn layers) or when the module is mode-dependent."""
        if isinstance(m, self._extra_leaves):
            return True
        return super().is_leaf_module(m, module_qualified_name)


def trace_graph(module: nn.Module) -> fx.Graph:
    """Trace `module` (in eval mode, so aux heads that only exist in training are dropped)."""
    was_training = module.training
    module.eval()
    try:
        with torch.no_grad():
            return DesignTracer().trace(module)
    finally:
        module.train(was_training)

"""Compression analysis: per layer, what it weighs, what it holds in memory, and if it can shrink.

For every layer: parameters, weight memory (fp32 as stored), activation memory (its output at
batch 1), and whether structured pruning can remove its output channels, with the reason when
it cannot or only together with other layers (torch-pruning's dependency graph: residual adds
tie channels together, a depthwise convolution follows its input, the classifier's outputs are
the classes). The totals give the most memory INT8 can save (conv/linear weights to 1 byte) and
the most pruning can save (the weights of prunable layers), plus the estimate at 30 % channels.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from designer.surgery.design import Design

PRUNE_EXAMPLE_RATIO = 0.3
Progress = Callable[[float, str], None]
Cancel = Callable[[], bool]


class AnalysisCancelledError(RuntimeError):
    """The user cancelled the compression analysis; nothing was returned."""


@dataclass(frozen=True)
class LayerCompression:
    """One layer's row of the compression analysis."""

    name: str
    kind: str
    params: int
    weight_bytes: int
    activation_bytes: int
    prunable: str  # "yes" | "with others" | "no" | "" (no weights)
    reason: str
    #: bytes INT8 saves on this layer's weight (conv/linear weights to 1 byte each)
    int8_saving_bytes: int = 0

    @property
    def prune_example_saving_bytes(self) -> int:
        """Bytes pruning `PRUNE_EXAMPLE_RATIO` of channels saves here (0 if not prunable)."""
        if self.prunable not in ("yes", "with others"):
            return 0
        return round(self.weight_bytes * (1 - (1 - PRUNE_EXAMPLE_RATIO) ** 2))


@dataclass(frozen=True)
class CompressionAnalysis:
    """Per-layer rows and the largest memory reductions available."""

    layers: tuple[LayerCompression, ...]
    weight_bytes: int
    activation_bytes: int
    int8_saving_bytes: int
    prunable_weight_bytes: int

    @property
    def prune_example_saving_bytes(self) -> int:
        """Estimate at 30 % of channels: a layer keeps (1 − r)² of its in×out weights."""
        return sum(row.prune_example_saving_bytes for row in self.layers)

    def summary(self) -> str:
        mb = 1e6
        return (f"weights {self.weight_bytes / mb:.1f} MB, activations at batch 1 "
                f"{self.activation_bytes / mb:.1f} MB. INT8 saves up to "
                f"{self.int8_saving_bytes / mb:.1f} MB "
                f"({100 * self.int8_saving_bytes / max(1, self.weight_bytes):.0f} % of weights); "
                f"prunable layers hold {self.prunable_weight_bytes / mb:.1f} MB "
                f"({100 * self.prunable_weight_bytes / max(1, self.weight_bytes):.0f} %), about "
                f"{self.prune_example_saving_bytes / mb:.1f} MB saved at "
                f"{100 * PRUNE_EXAMPLE_RATIO:.0f} % of channels")


def analyze_compression(design: Design, *, progress: Progress | None = None,
                        cancel: Cancel | None = None) -> CompressionAnalysis:
    """The compression analysis of `design` as it is now (its weights are not changed).

    `cancel` is checked between layers; a cancelled analysis raises
    :class:`AnalysisCancelledError` and returns nothing.
    """
    import torch_pruning as tp

    if not isinstance(design, Design):
        raise TypeError(f"design must be a Design, got {type(design).__name__}")
    report = progress or (lambda _f, _m: None)
    stop = cancel or (lambda: False)
    report(0.0, "building the channel dependency graph")
    model = design.build()
    analysis = design.analyze()
    modules = dict(model.named_modules())
    x = torch.randn(design.info.input_shape)
    graph = tp.DependencyGraph().build_dependency(model, example_inputs=x)
    classes = design.num_classes
    last = last_heavy_module(model)
    names = {id(m): n for n, m in modules.items()}
    rows: list[LayerCompression] = []
    seen: set[int] = set()
    layers = [layer for layer in design.network if not layer.plumbing]
    for index, layer in enumerate(layers):
        if stop():
            raise AnalysisCancelledError("compression analysis cancelled")
        report(0.2 + 0.8 * index / max(1, len(layers)), f"layer {index + 1} of {len(layers)}")
        info = analysis.layers.get(layer.name)
        module = modules.get(layer.target) if layer.op == "module" else None
        shared = module is not None and id(module) in seen
        if module is not None:
            seen.add(id(module))
        weights = 0 if shared or module is None else sum(
            p.numel() * p.element_size() for p in module.parameters(recurse=False))
        prunable, reason = _prunability(module, graph, tp, last, classes, names)
        int8 = module.weight.numel() * (module.weight.element_size() - 1) \
            if weights and isinstance(module, nn.Conv2d | nn.Linear) else 0
        rows.append(LayerCompression(layer.name, layer.kind, info.params if info else 0, weights,
                                     info.activation_bytes if info else 0, prunable, reason, int8))
    report(1.0, "done")
    total = sum(r.weight_bytes for r in rows)
    int8 = sum(r.int8_saving_bytes for r in rows)
    prunable_bytes = sum(r.weight_bytes for r in rows if r.prunable in ("yes", "with others"))
    return CompressionAnalysis(tuple(rows), total, sum(r.activation_bytes for r in rows), int8,
                               prunable_bytes)


def last_heavy_module(model: nn.Module) -> nn.Module | None:
    """The last convolution or linear layer the forward runs (the classifier), found in the
    graph's execution order: a traced module registers its modules in another order."""
    graph = getattr(model, "graph", None)
    if graph is not None:
        for node in reversed(graph.nodes):
            if node.op == "call_module":
                module = model.get_submodule(str(node.target))
                if isinstance(module, nn.Conv2d | nn.Linear):
                    return module
    heavy = [m for m in model.modules() if isinstance(m, nn.Conv2d | nn.Linear)]
    return heavy[-1] if heavy else None


def _prunability(module: nn.Module | None, graph: Any, tp: Any, last: nn.Module | None,
                 classes: int | None, names: dict[int, str]) -> tuple[str, str]:
    if module is None or not any(True for _ in module.parameters(recurse=False)):
        return "", "no weights"
    if not isinstance(module, nn.Conv2d | nn.Linear):
        return "with others", "follows the layer before it"
    if module is last or (isinstance(module, nn.Linear) and module.out_features == classes):
        return "no", "its outputs are the classes"
    if isinstance(module, nn.Conv2d) and module.groups > 1 and \
            module.groups == module.in_channels == module.out_channels:
        return "with others", "depthwise: follows its input's channels"
    handler = tp.prune_conv_out_channels if isinstance(module, nn.Conv2d) \
        else tp.prune_linear_out_channels
    group = graph.get_pruning_group(module, handler, idxs=[0])
    outputs = (tp.prune_conv_out_channels, tp.prune_linear_out_channels)
    coupled = sorted({names.get(id(dep.target.module), "?") for dep, _idxs in group
                      if dep.handler in outputs and dep.target.module is not module})
    if coupled:
        shown = ", ".join(coupled[:3]) + (" …" if len(coupled) > 3 else "")
        return "with others", f"tied by a residual add to {shown}"
    return "yes", "output channels can be removed"

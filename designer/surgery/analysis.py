"""Shapes, parameters, cost and issues of a document, computed without real activations.

The network runs once, node by node, on the meta device, on a copy of the modules whose weights
are meta tensors of the same shape: even vit_h_14 costs no memory, maxvit_t (1,655 nodes)
analyses in a fraction of a second, and the design's own tensors are never touched, so an
analysis can run in the background while the user edits or trains. A node that fails
becomes an `Issue` on that layer; nothing is raised to the caller.
"""

from __future__ import annotations

import copy
from typing import Any

import torch
from torch import fx, nn
from torch.utils.flop_counter import FlopCounterMode

from designer.core.analysis import Issue, LayerInfo, NetworkAnalysis
from designer.core.catalog import catalog_kind
from designer.core.network import Network
from designer.surgery.build import build_for_interpreter
from designer.surgery.fx_release import release_graph
from designer.surgery.store import Store


class _UpstreamError(RuntimeError):
    """A layer could not run because a layer it reads failed."""


class _Recorder(fx.Interpreter):
    """Runs the graph node by node, recording each output or the error it raised."""

    def __init__(self, module: nn.Module, graph: fx.Graph, counter: FlopCounterMode) -> None:
        super().__init__(module, garbage_collect_values=False, graph=graph)
        self.outputs: dict[str, Any] = {}
        self.errors: dict[str, str] = {}
        self.macs: dict[str, int] = {}
        self._counter = counter

    def run_node(self, n: fx.Node) -> Any:
        """Run one node; an exception is stored and replaced by a sentinel for its users."""
        if any(isinstance(self.env.get(a), _UpstreamError) for a in n.all_input_nodes):
            result: Any = _UpstreamError(n.name)
        else:
            before = self._counter.get_total_flops()
            try:
                result = super().run_node(n)
            except Exception as error:  # noqa: BLE001 - any op may reject the shapes it gets
                self.errors[n.name] = self._size_mismatch(n) or _short_error(error)
                result = _UpstreamError(n.name)
            self.macs[n.name] = (self._counter.get_total_flops() - before) // 2
        self.outputs[n.name] = result
        return result

    def _size_mismatch(self, n: fx.Node) -> str:
        """The failure in plain words when a layer gets a different size than it expects
        (instead of torch's "mat1 and mat2 shapes cannot be multiplied"), or ""."""
        if n.op != "call_module" or not n.all_input_nodes:
            return ""
        module = self.fetch_attr(str(n.target))
        source = n.all_input_nodes[0]
        value = self.env.get(source)
        if not isinstance(value, torch.Tensor) or value.dim() < 2:
            return ""
        if isinstance(module, nn.Linear):
            expected, got, unit, param = module.in_features, value.shape[-1], "inputs", \
                "in_features"
        elif isinstance(module, nn.Conv2d) and value.dim() == 4:
            expected, got, unit, param = module.in_channels, value.shape[1], "input channels", \
                "in_channels"
        elif isinstance(module, nn.BatchNorm2d | nn.BatchNorm1d):
            expected, got, unit, param = module.num_features, value.shape[1], "features", \
                "num_features"
        else:
            return ""
        if expected == got:
            return ""
        return (f"{n.name} expects {expected} {unit}, but {source.name} gives {got}. Set "
                f"{n.name}'s {param} to {got} in the inspector, or make {source.name} give "
                f"{expected}.")

    def output(self, target: Any, args: Any, kwargs: Any) -> Any:
        """The output node just passes its argument through."""
        return args[0] if args else None


def _meta_store(network: Network, store: Store) -> Store:
    """The store's modules deep-copied with every parameter and buffer replaced by a meta tensor.

    deepcopy's memo maps each original tensor to its meta twin, so no weight data is copied and
    tensors shared between modules stay shared.
    """
    used = {layer.target for layer in network if layer.op in ("module", "constant")}
    memo: dict[int, Any] = {}
    for target in used & set(store):
        item = store[target]
        tensors = [*item.parameters(), *item.buffers()] if isinstance(item, nn.Module) else (
            [item] if isinstance(item, nn.Parameter) else [])
        for tensor in tensors:
            meta = torch.empty_like(tensor, device="meta")
            memo[id(tensor)] = nn.Parameter(meta, tensor.requires_grad) \
                if isinstance(tensor, nn.Parameter) else meta
    return copy.deepcopy({t: store[t] for t in used & set(store)}, memo)


def analyze(network: Network, store: Store, input_shape: tuple[int, ...]) -> NetworkAnalysis:
    """Analyse the document for one input of `input_shape` (batch dimension included)."""
    issues: list[Issue] = _structural_issues(network)
    try:
        module, graph = build_for_interpreter(network, _meta_store(network, store))
    except Exception as error:  # noqa: BLE001 - a broken document is reported, never raised
        return NetworkAnalysis(issues=(*issues, Issue(network.output().name, str(error))),
                               input_shape=input_shape)
    try:
        with FlopCounterMode(display=False) as counter:
            recorder = _Recorder(module, graph, counter)
            inputs = [torch.empty(input_shape, device="meta") for _ in network.inputs()]
            with torch.no_grad():
                recorder.run(*inputs)
        return _summarise(network, store, recorder, issues, input_shape)
    finally:  # the result is plain data: free the fx structures without the collector
        release_graph(graph)


def _summarise(network: Network, store: Store, recorder: _Recorder, issues: list[Issue],
               input_shape: tuple[int, ...]) -> NetworkAnalysis:
    infos: dict[str, LayerInfo] = {}
    counted: set[str] = set()
    total = trainable = 0
    for layer in network:
        value = recorder.outputs.get(layer.name)
        params = 0
        if layer.op in ("module", "constant") and layer.target not in counted:
            counted.add(layer.target)
            params = layer.num_params
            total += params
            trainable += 0 if layer.frozen else params
        error = recorder.errors.get(layer.name, "")
        if error:
            issues.append(Issue(layer.name, f"{layer.name} ({layer.kind}): {error}"))
        infos[layer.name] = _layer_info(layer.name, value, params, 0 if layer.frozen else params,
                                        recorder.macs.get(layer.name, 0), error)
    output_value = recorder.outputs.get(network.output().name)
    return NetworkAnalysis(
        layers=infos, issues=tuple(issues), input_shape=input_shape,
        output_shape=tuple(output_value.shape) if isinstance(output_value, torch.Tensor) else None,
        total_params=total, trainable_params=trainable,
        total_macs=sum(recorder.macs.values()),
        activation_bytes=sum(i.activation_bytes for i in infos.values()),
    )


def _layer_info(name: str, value: Any, params: int, trainable: int, macs: int,
                error: str) -> LayerInfo:
    if isinstance(value, torch.Tensor):
        return LayerInfo(name, tuple(value.shape), str(value.dtype).removeprefix("torch."), True,
                         params, trainable, macs, value.numel() * value.element_size(), error)
    not_run = isinstance(value, _UpstreamError)
    return LayerInfo(name, None, "", not_run, params, trainable, macs, 0,
                     error or ("not computed: an earlier layer failed" if not_run else ""))


def _structural_issues(network: Network) -> list[Issue]:
    """Issues visible without running: dead ends, invalid hyper-parameters, mixed freezing."""
    issues: list[Issue] = []
    output = network.output().name
    feeding = network.upstream(output)
    for layer in network:
        if layer.op not in ("output", "constant") and layer.name not in feeding and not layer.plumbing:
            issues.append(Issue(layer.name, f"{layer.name} is not connected to the output: its "
                                "result is never used", "warning"))
        kind = catalog_kind(layer.kind) if layer.op == "module" else None
        if kind is not None:
            try:
                kind.validate({k: v for k, v in layer.params.items() if kind.spec(k)})
            except ValueError as error:
                issues.append(Issue(layer.name, f"{layer.name}: {error}"))
    return issues


def _short_error(error: Exception) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return text[:300]

"""Split an fx graph into a frozen prefix (run once, cached) and a trainable suffix.

A node belongs to the prefix when its value can be computed once and reused every epoch: it
uses no trainable parameter, is not stochastic or batch-dependent in training mode (Dropout,
stochastic depth, BatchNorm that updates its statistics, random ops), and all its inputs are in
the prefix too. Prefix nodes that feed a suffix node are the *boundary*: the prefix returns
them, the suffix takes them as inputs. Both halves share the original modules, so training the
suffix trains the original model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import fx, nn

_RANDOM_OPS = (
    "rand", "randn", "randint", "rand_like", "randn_like", "randint_like", "randperm",
    "bernoulli", "bernoulli_", "normal", "normal_", "uniform_", "multinomial", "exponential_",
)
_DROP_ATTRS = ("drop_prob", "drop_rate", "dropout", "attention_dropout", "dropout_p")


@dataclass
class GraphSplit:
    """``suffix(*prefix(x)) == model(x)``; ``boundary`` names the tensors passed between them."""

    prefix: fx.GraphModule
    suffix: fx.GraphModule
    boundary: list[str]


def split_frozen_prefix(gm: fx.GraphModule) -> tuple[GraphSplit | None, str]:
    """The split, or None and the reason there is nothing worth caching.

    Decide with the model in the mode it will train in (frozen BatchNorm already in eval mode).
    """
    placeholders = [n for n in gm.graph.nodes if n.op == "placeholder"]
    if len(placeholders) != 1:
        return None, f"the model takes {len(placeholders)} inputs; caching needs exactly one"
    cacheable, depends = _classify(gm)
    boundary = [
        node for node in gm.graph.nodes
        if cacheable.get(node) and depends.get(node)
        and any(not cacheable.get(user, False) for user in node.users)
    ]
    if all(node.op == "placeholder" for node in boundary):
        return None, ("nothing before the first trainable (or random) layer is frozen, "
                      "so there is nothing to cache")
    if not any(not cacheable.get(n, False) for n in gm.graph.nodes if n.op != "output"):
        return None, "no trainable layer is reached by the input"
    prefix = _build_prefix(gm, cacheable, boundary)
    suffix = _build_suffix(gm, cacheable, depends, boundary)
    return GraphSplit(prefix, suffix, [n.name for n in boundary]), ""


def _classify(gm: fx.GraphModule) -> tuple[dict[fx.Node, bool], dict[fx.Node, bool]]:
    """Per node: can it be cached, and does it depend on the input?"""
    cacheable: dict[fx.Node, bool] = {}
    depends: dict[fx.Node, bool] = {}
    for node in gm.graph.nodes:
        if node.op == "output":
            continue
        inputs = node.all_input_nodes
        depends[node] = node.op == "placeholder" or any(depends[i] for i in inputs)
        cacheable[node] = (
            all(cacheable[i] for i in inputs)
            and not _uses_trainable(gm, node)
            and not _is_stochastic(gm, node)
        )
    return cacheable, depends


def _uses_trainable(gm: fx.GraphModule, node: fx.Node) -> bool:
    if node.op not in ("call_module", "get_attr"):
        return False
    target: Any = gm
    for atom in str(node.target).split("."):
        target = getattr(target, atom)
    if isinstance(target, nn.Module):
        return any(p.requires_grad for p in target.parameters())
    return isinstance(target, torch.Tensor) and target.requires_grad


def _is_stochastic(gm: fx.GraphModule, node: fx.Node) -> bool:
    """Would this node give a different value each epoch (or depend on the batch) when training?"""
    if node.op == "call_module":
        return any(_module_is_stochastic(m) for m in gm.get_submodule(str(node.target)).modules())
    if node.op not in ("call_function", "call_method"):
        return False
    name = str(getattr(node.target, "__name__", node.target)).lower()
    if name in _RANDOM_OPS:
        return True
    if "dropout" in name or "stochastic_depth" in name or "batch_norm" in name:
        return _training_flag(node) is not False
    return False


def _training_flag(node: fx.Node) -> bool | None:
    """The baked ``training=`` argument of a functional dropout/batch_norm call, if any."""
    for key in ("training", "train"):
        if key in node.kwargs:
            return bool(node.kwargs[key])
    bools = [a for a in node.args if isinstance(a, bool)]
    return bools[0] if bools else None


def _module_is_stochastic(module: nn.Module) -> bool:
    if not module.training:
        return False
    if isinstance(module, nn.modules.dropout._DropoutNd):
        return module.p > 0
    if isinstance(module, nn.modules.batchnorm._BatchNorm):
        return True  # normalises with batch statistics and updates running stats
    kind = type(module).__name__.lower()
    if ("drop" in kind or "stochastic" in kind) and float(getattr(module, "p", 0) or 0) > 0:
        return True
    return any(
        isinstance(getattr(module, a, None), float) and getattr(module, a) > 0 for a in _DROP_ATTRS
    )


def _build_prefix(
    gm: fx.GraphModule, cacheable: dict[fx.Node, bool], boundary: list[fx.Node]
) -> fx.GraphModule:
    graph = fx.Graph()
    env: dict[fx.Node, fx.Node] = {}
    for node in gm.graph.nodes:
        if cacheable.get(node):
            env[node] = graph.node_copy(node, lambda n: env[n])
    graph.output(tuple(env[b] for b in boundary))
    prefix = fx.GraphModule(gm, graph, class_name="CachedPrefix")
    prefix.graph.eliminate_dead_code()
    prefix.recompile()
    return prefix


def _build_suffix(
    gm: fx.GraphModule, cacheable: dict[fx.Node, bool], depends: dict[fx.Node, bool],
    boundary: list[fx.Node],
) -> fx.GraphModule:
    graph = fx.Graph()
    env: dict[fx.Node, fx.Node] = {b: graph.placeholder(b.name) for b in boundary}
    for node in gm.graph.nodes:
        if node in env or node.op == "placeholder":
            continue
        # Trainable nodes, the output, and input-independent constants (cheap to recompute).
        if node.op == "output" or not cacheable[node] or not depends[node]:
            env[node] = graph.node_copy(node, lambda n: env[n])
    suffix = fx.GraphModule(gm, graph, class_name="TrainableSuffix")
    suffix.graph.eliminate_dead_code()
    suffix.recompile()
    return suffix

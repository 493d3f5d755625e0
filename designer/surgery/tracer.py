"""The torch.fx tracer that keeps train/eval behaviour out of the graph.

With fx's default tracer, 22 torchvision models bake `self.training` into the graph as a
constant (stochastic depth, shifted-window attention): a graph traced in eval mode would then
train with those layers silently switched off. Keeping such modules as leaves makes the graph
identical in both modes. timm registers its own untraceable layers and functions; we honour them.

While fx traces, it patches `nn.Module.__call__` and `__getattr__` for the whole process. A model
opened in the background would otherwise capture every module that another thread runs at the
same time (the training loop, the augmentation preview's transforms.v2 modules) and break it
with "module is not installed as a submodule". The tracer therefore records only the calls of
the thread that traces; other threads run their modules as if nothing were patched.
"""

from __future__ import annotations

import bisect
import dis
import inspect
import threading
from collections.abc import Callable, Iterator
from typing import Any

import torch
from torch import fx, nn

from designer.surgery.fx_release import release_tracer


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


_READS_TRAINING: dict[type, bool] = {}


def _reads_training(cls: type[nn.Module], has_children: bool) -> bool:
    """A module without children whose forward reads ``self.training`` (timm's DropPath,
    DropBlock): traced through, its train-mode branch would be baked out of the graph."""
    if has_children or cls.__module__.startswith("torch.nn"):
        return False
    if cls not in _READS_TRAINING:
        try:
            _READS_TRAINING[cls] = "self.training" in inspect.getsource(cls.forward)
        except (OSError, TypeError):
            _READS_TRAINING[cls] = False
    return _READS_TRAINING[cls]


def _iter_proxy(self: fx.Proxy) -> Iterator[Any]:
    """fx's `Proxy.__iter__` without its self-made reference cycle: torch's keeps its own frame
    in a local, which holds the whole call stack of the trace (every module, the layers being
    built: ~60k objects on maxvit_t, which unpacks shapes) until a full garbage collection."""
    frame = inspect.currentframe()
    try:
        caller = frame.f_back if frame is not None else None
        if caller is not None:  # `a, b = proxy` unpacks into a known number of proxies
            code = list(dis.get_instructions(caller.f_code))
            at = bisect.bisect_left(code, caller.f_lasti, key=lambda i: i.offset)
            if at < len(code) and code[at].opname == "UNPACK_SEQUENCE":
                return (self[i] for i in range(code[at].argval))  # type: ignore[index]
        return self.tracer.iter(self)
    finally:
        del frame, caller


def _attribute(self: fx.Proxy, name: str) -> fx.proxy.Attribute:
    return _Attribute(self, name)


class _Proxy(fx.Proxy):
    """The proxies `DesignTracer` makes: fx's, iterated without a reference cycle."""

    __iter__ = _iter_proxy
    __getattr__ = _attribute


class _Attribute(fx.proxy.Attribute):
    """`proxy.shape` and the like, iterated without a reference cycle (see `_iter_proxy`)."""

    __iter__ = _iter_proxy
    __getattr__ = _attribute


class DesignTracer(fx.Tracer):
    """fx tracer whose leaves include every module whose code branches on `self.training`."""

    def __init__(self) -> None:
        timm_leaves, timm_functions = _timm_leaves_and_functions()
        super().__init__(autowrap_functions=timm_functions)  # type: ignore[arg-type]
        self._extra_leaves = _mode_dependent_leaves() + timm_leaves

    def trace(self, root: nn.Module | Callable[..., Any],
              concrete_args: dict[str, Any] | None = None) -> fx.Graph:
        """Trace `root`, recording only this thread's module calls."""
        self._thread = threading.get_ident()
        return super().trace(root, concrete_args)

    def proxy(self, node: fx.Node) -> fx.Proxy:
        return _Proxy(node, self)

    def _foreign(self) -> bool:
        return threading.get_ident() != getattr(self, "_thread", None)

    def call_module(self, m: nn.Module, forward: Callable[..., Any], args: tuple[Any, ...],
                    kwargs: dict[str, Any]) -> Any:
        """Record the call, unless another thread runs a module while we trace."""
        if self._foreign():
            return forward(*args, **kwargs)
        # the patcher of this trace: its patches and their closures form a cycle with it and
        # this tracer, which release_tracer breaks (torch keeps no other reference to it)
        self._patcher = getattr(fx._symbolic_trace, "CURRENT_PATCHER", None)
        return super().call_module(m, forward, args, kwargs)

    def getattr(self, attr: str, attr_val: Any, parameter_proxy_cache: dict[str, Any]) -> Any:
        """Proxy parameters read while tracing; other threads get the plain attribute."""
        if self._foreign():
            return attr_val
        return super().getattr(attr, attr_val, parameter_proxy_cache)

    def is_leaf_module(self, m: nn.Module, module_qualified_name: str) -> bool:
        """Leaf when fx would be (torch.nn layers) or when the module is mode-dependent."""
        if isinstance(m, self._extra_leaves) or getattr(m, "designer_opaque", False) is True \
                or _reads_training(type(m), bool(m._modules)):
            return True  # mode-dependent, or an importer's opaque node (surgery/opaque.py)
        return super().is_leaf_module(m, module_qualified_name)


def trace_graph(module: nn.Module) -> fx.Graph:
    """Trace `module` (in eval mode, so aux heads that only exist in training are dropped)."""
    was_training = module.training
    module.eval()
    tracer = DesignTracer()
    try:
        with torch.no_grad():
            return tracer.trace(module)
    finally:
        release_tracer(tracer)
        module.train(was_training)

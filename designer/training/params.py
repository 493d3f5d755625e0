"""Which parameters train, at which learning rate, and which BatchNorm layers stay frozen.

The document (designer.surgery) marks frozen parameters with ``requires_grad=False`` and gives
per-parameter learning-rate factors; this module turns both into optimiser parameter groups.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from torch import nn

_BATCHNORM = nn.modules.batchnorm._BatchNorm


def lr_factor(name: str, factors: Mapping[str, float]) -> float:
    """Factor of parameter ``name``: an exact key, else the longest module-prefix key, else 1.

    Prefix keys let a caller give one factor per layer ("layer4" covers "layer4.0.conv1.weight").
    """
    if name in factors:
        return float(factors[name])
    parts = name.split(".")
    for end in range(len(parts) - 1, 0, -1):
        prefix = ".".join(parts[:end])
        if prefix in factors:
            return float(factors[prefix])
    return 1.0


@dataclass
class Trainability:
    """Optimiser groups plus what had to be changed on the model to train it (undone by restore)."""

    groups: list[dict[str, Any]]
    trainable_names: list[str]
    frozen_names: list[str]
    frozen_batchnorms: list[str]
    _zero_factor: list[nn.Parameter] = field(default_factory=list)

    @property
    def trainable_count(self) -> int:
        """Number of trainable scalars (shown at start)."""
        return sum(p.numel() for g in self.groups for p in g["params"])

    def restore(self) -> None:
        """Give factor-0 parameters their ``requires_grad`` back (they were frozen for the run)."""
        for param in self._zero_factor:
            param.requires_grad_(True)
        self._zero_factor.clear()


def prepare(
    model: nn.Module, lr: float, weight_decay: float, factors: Mapping[str, float] | None
) -> Trainability:
    """Group trainable parameters by learning-rate factor and by whether they decay.

    Parameters with ``requires_grad=False`` are left out; factor 0 means frozen for this run (it
    is switched off so no gradient is computed, and :meth:`Trainability.restore` switches it back).
    Biases and norm scales (1-D tensors) get no weight decay: decaying them only hurts accuracy.
    """
    factors = factors or {}
    buckets: dict[tuple[float, bool], list[nn.Parameter]] = {}
    trainable: list[str] = []
    frozen: list[str] = []
    zero: list[nn.Parameter] = []
    for name, param in model.named_parameters():
        factor = lr_factor(name, factors)
        if param.requires_grad and factor <= 0:
            param.requires_grad_(False)
            zero.append(param)
        if not param.requires_grad:
            frozen.append(name)
            continue
        trainable.append(name)
        buckets.setdefault((factor, param.dim() > 1), []).append(param)
    groups = [
        {
            "params": params,
            "lr": lr * factor,
            "base_lr": lr * factor,
            "lr_factor": factor,
            "weight_decay": weight_decay if decays else 0.0,
        }
        for (factor, decays), params in buckets.items()
    ]
    return Trainability(groups, trainable, frozen, frozen_batchnorm_names(model), zero)


def frozen_batchnorm_names(model: nn.Module) -> list[str]:
    """BatchNorm layers whose parameters are all frozen: their running statistics must not drift.

    A BatchNorm without affine parameters has nothing to freeze and keeps training its statistics.
    """
    names = []
    for name, module in model.named_modules():
        params = list(module.parameters(recurse=False))
        if isinstance(module, _BATCHNORM) and params and not any(p.requires_grad for p in params):
            names.append(name)
    return names


def set_train_mode(model: nn.Module, frozen_batchnorms: list[str]) -> None:
    """``model.train()`` except the frozen BatchNorm layers, which stay in eval mode."""
    model.train()
    for name in frozen_batchnorms:
        model.get_submodule(name).eval()

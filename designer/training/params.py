"""Which parameters train, at which learning rate, and which BatchNorm layers stay frozen.

The document (designer.surgery) marks frozen parameters with ``requires_grad=False`` and gives
per-parameter learning-rate factors; this module turns both into optimiser parameter groups.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from torch import nn

from designer.training.recipe import (
    frozen_batchnorm_names,
    lr_factor,
    parameter_groups,
    set_train_mode,
)

__all__ = ["Trainability", "frozen_batchnorm_names", "lr_factor", "prepare", "set_train_mode"]


@dataclass
class Trainability:
    """Optimiser groups plus what had to be changed on the model to train it (undone by restore)."""

    groups: list[dict[str, Any]]
    trainable_names: list[str]
    frozen_names: list[str]
    frozen_batchnorms: list[str]
    _zero_factor: list[nn.Parameter] = field(default_factory=list)
    #: flags to put back at the end (set when a recipe unfroze layers the design froze)
    original_flags: list[tuple[nn.Parameter, bool]] = field(default_factory=list)

    @property
    def trainable_count(self) -> int:
        """Number of trainable scalars (shown at start)."""
        return sum(p.numel() for g in self.groups for p in g["params"])

    def restore(self) -> None:
        """Give factor-0 parameters their ``requires_grad`` back (they were frozen for the run),
        and layers a recipe unfroze their frozen state."""
        for param in self._zero_factor:
            param.requires_grad_(True)
        self._zero_factor.clear()
        for param, flag in self.original_flags:
            param.requires_grad_(flag)
        self.original_flags.clear()


def prepare(
    model: nn.Module, lr: float, weight_decay: float, factors: Mapping[str, float] | None
) -> Trainability:
    """Optimiser groups (recipe.parameter_groups) plus what was changed to get them.

    Factor 0 means frozen for this run: the parameter is switched off so no gradient is
    computed, and :meth:`Trainability.restore` switches it back.
    """
    factors = dict(factors or {})
    zero = [p for n, p in model.named_parameters() if p.requires_grad and lr_factor(n, factors) <= 0]
    groups = parameter_groups(model, lr, weight_decay, factors)
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    frozen = [n for n, p in model.named_parameters() if not p.requires_grad]
    return Trainability(groups, trainable, frozen, frozen_batchnorm_names(model), zero)

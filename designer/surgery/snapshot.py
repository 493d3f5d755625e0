"""`FrozenDesign`: a design as it was at one moment, safe to hand to another thread.

`Design.snapshot()` takes it on the GUI thread in microseconds: the document's state (a tuple of
immutable layers), the module store copied by reference (edits swap module objects and never
change tensors in place, so the references stay valid while the user keeps editing), the
design's info and its last analysis. A worker builds and trains from the snapshot; nothing it
does reads or writes the live `Design`, so no lock or wait is needed for safety.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
from torch import fx, nn

from designer.core.analysis import NetworkAnalysis
from designer.core.layers import Layer
from designer.core.network import Network, NetworkState
from designer.surgery.analysis import analyze
from designer.surgery.build import build_module

if TYPE_CHECKING:
    from designer.surgery.design import DesignInfo

StoreItem = nn.Module | torch.Tensor


@dataclass(frozen=True)
class FrozenDesign:
    """An immutable view of a design: what to train, with the same reading API as `Design`."""

    network: NetworkState
    store: Mapping[str, StoreItem]
    info: DesignInfo
    analysis: NetworkAnalysis | None = None

    def document(self) -> Network:
        """A private `Network` of this state (nobody else holds or observes it)."""
        return Network(self.network.layers)

    def analyze(self) -> NetworkAnalysis:
        """The analysis taken with the snapshot, or one computed now on this state."""
        if self.analysis is not None:
            return self.analysis
        return analyze(self.document(), dict(self.store), self.info.input_shape)

    @property
    def num_classes(self) -> int | None:
        """Size of the output (classes), when the analysis knows it."""
        shape = self.analyze().output_shape
        return shape[-1] if shape else None

    def build(self, *, copy_weights: bool = True) -> fx.GraphModule:
        """A runnable nn.Module (eval mode) with frozen layers' requires_grad switched off."""
        return build_module(self.document(), dict(self.store), copy_weights=copy_weights).eval()

    def lr_factors(self) -> dict[str, float]:
        """Learning-rate factor per parameter name, for layers whose factor is not 1."""
        return lr_factors_of(self.network.layers, self.store)


def lr_factors_of(layers: Iterable[Layer], store: Mapping[str, StoreItem]) -> dict[str, float]:
    """Learning-rate factor per parameter name of ``layers`` whose factor is not 1."""
    factors: dict[str, float] = {}
    for layer in layers:
        if layer.op == "module" and layer.lr_factor != 1.0:
            module = store[layer.target]
            assert isinstance(module, nn.Module)
            for key, _ in module.named_parameters():
                factors[f"{layer.target}.{key}"] = layer.lr_factor
    return factors

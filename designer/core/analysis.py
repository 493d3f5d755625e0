"""Results of analysing a network: per-layer shapes, parameters, cost, and the issue list.

Pure data (computed by `designer.surgery.analysis`), so views, the CLI and tests can read it
without torch.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Issue:
    """A problem found in the network, pointing at the layer that causes it."""

    layer: str
    message: str
    severity: str = "error"  # "error" | "warning"


@dataclass(frozen=True)
class LayerInfo:
    """What analysis found for one layer."""

    name: str
    shape: tuple[int, ...] | None = None  # output shape for batch size 1; None if not a tensor
    dtype: str = ""
    is_tensor: bool = True
    params: int = 0
    trainable_params: int = 0
    macs: int = 0  # multiply-accumulates for one sample (torchvision's "GFLOPS" unit)
    activation_bytes: int = 0
    error: str = ""

    @property
    def shape_text(self) -> str:
        """Shape as the canvas shows it, without the batch dimension: '64×56×56'."""
        if self.error:
            return "error"
        if self.shape is None:
            return "" if not self.is_tensor else "?"
        return "×".join(str(d) for d in self.shape[1:]) or "scalar"


@dataclass(frozen=True)
class NetworkAnalysis:
    """The whole analysis of one document state."""

    layers: dict[str, LayerInfo] = field(default_factory=dict)
    issues: tuple[Issue, ...] = ()
    input_shape: tuple[int, ...] = ()
    output_shape: tuple[int, ...] | None = None
    total_params: int = 0
    trainable_params: int = 0
    total_macs: int = 0
    activation_bytes: int = 0

    @property
    def ok(self) -> bool:
        """True when there is no error (warnings allowed)."""
        return not any(issue.severity == "error" for issue in self.issues)

    def issues_for(self, layer: str) -> list[Issue]:
        """Issues attached to one layer."""
        return [issue for issue in self.issues if issue.layer == layer]

    @property
    def frozen_params(self) -> int:
        """Parameters that training will not change."""
        return self.total_params - self.trainable_params

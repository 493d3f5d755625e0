"""A calibrated run's temperature, carried into an export.

Graph formats (TorchScript, ONNX, .pt2) get the division in the model itself: whoever deploys
the file takes the softmax of its output and gets calibrated probabilities, with nothing to
read first (the metadata records the temperature with ``in_outputs: true`` so nobody divides
twice). A safetensors file holds weights only, whose names must stay those of the design, so
there the metadata carries the temperature with ``in_outputs: false``.
"""

from __future__ import annotations

import math
from typing import Any

from torch import Tensor, nn

from designer.export.errors import ExportError


class TemperatureScaled(nn.Module):
    """``model(x) / temperature`` (the first output when the model returns several)."""

    def __init__(self, model: nn.Module, temperature: float) -> None:
        super().__init__()
        self.model = model
        self.temperature = float(temperature)

    def forward(self, x: Tensor) -> Any:
        out = self.model(x)
        if isinstance(out, tuple | list):
            return type(out)([out[0] / self.temperature, *out[1:]])
        return out / self.temperature


def calibrated(model: nn.Module, fmt: str, temperature: float
               ) -> tuple[nn.Module, dict[str, object] | None]:
    """(the model to export, the calibration metadata) for ``temperature`` (1: unchanged)."""
    if isinstance(temperature, bool) or not isinstance(temperature, int | float) \
            or not math.isfinite(temperature) or temperature <= 0:
        raise ExportError(f"the temperature must be a number above 0, not {temperature!r}")
    if temperature == 1:
        return model, None
    if fmt == "safetensors":
        return model, {"temperature": float(temperature), "in_outputs": False}
    return TemperatureScaled(model, temperature), {"temperature": float(temperature),
                                                   "in_outputs": True}

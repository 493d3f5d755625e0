"""Exports with parity checks: safetensors, TorchScript, ONNX, torch.export (.pt2).

Every export writes into a staging folder next to the target, loads the artefact back
(onnxruntime for ONNX), compares its outputs with the app's model at batch sizes 1 and 3, and only
then moves it into place. Pure PyTorch: no Qt.
"""

from __future__ import annotations

from designer.export.bundle import (
    SUFFIXES,
    Format,
    LoadedExport,
    detect_format,
    load_exported,
)
from designer.export.errors import ExportCancelledError, ExportError
from designer.export.formats import export_model
from designer.export.parity import DEFAULT_ATOL, DEFAULT_RTOL
from designer.export.report import ExportReport

FORMATS: tuple[Format, ...] = ("safetensors", "torchscript", "onnx", "pt2")

__all__ = [
    "DEFAULT_ATOL",
    "DEFAULT_RTOL",
    "FORMATS",
    "SUFFIXES",
    "ExportCancelledError",
    "ExportError",
    "ExportReport",
    "Format",
    "LoadedExport",
    "detect_format",
    "export_model",
    "load_exported",
]

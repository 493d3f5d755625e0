"""Exports with parity checks: safetensors, TorchScript, ONNX, torch.export (.pt2).

``export_model(model, fmt, out_path, example_input=...)`` works on any ``nn.Module`` (the design's
``fx.GraphModule`` included) and never touches it: it exports a deep copy in eval mode on the CPU.

Decisions worth knowing:

- Every export writes into a hidden staging folder next to ``out_path``, loads the artefact back
  (onnxruntime for ONNX, ``torch.export.load``, ``torch.jit.load``, or the weights into a copy of
  the model for safetensors), compares outputs with the model at batch 1 and 3 (the example rows
  topped up with seeded noise), and only then renames it into place. Any failure removes the
  staging folder and raises ExportError; a file already at ``out_path`` survives a failed export.
- Tolerance: every output element must satisfy ``|got - ref| <= atol + rtol·|ref|`` with
  atol = rtol = 1e-4 by default (measured differences are 0 to ~4e-5); ``max_abs_diff`` is always
  reported.
- safetensors is one file plus ``labels.json`` / ``preprocessing.json`` side files in the same
  folder (the same JSON is also in the file's header, so the .safetensors alone is complete).
  Other formats embed them: TorchScript/.pt2 as archive extra files, ONNX as ``metadata_props``.
- OpenVINO IR (.xml + .bin) is checked on OpenVINO's CPU runtime (fp32) and its latency measured
  beside the PyTorch model's.
- ONNX: ``dynamo=True`` (opset 18) first, legacy exporter (opset 17) as fallback; batch is dynamic
  in ONNX and .pt2; TorchScript is always reported as deprecated.

Pure PyTorch: no Qt.
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

FORMATS: tuple[Format, ...] = ("safetensors", "torchscript", "onnx", "pt2", "openvino")

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

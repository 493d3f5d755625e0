"""Make a trained design small and fast where it runs, with every claim measured.

- ``int8``: ONNX Runtime static quantization (QDQ, per-channel weights) calibrated on training
  images, then before/after on the validation split; refuses to call a model INT8 when its heavy
  layers (Conv/MatMul/Gemm) still run in float.
- ``onnx_ops``: counts which heavy operators are quantized, in the file and in what ONNX Runtime
  actually runs after its graph optimisations.
Latency everywhere is ``designer.export.timing.measure`` (interleaved, warm-up, median).

Pure PyTorch/ONNX Runtime: no Qt.
"""

from __future__ import annotations

from designer.compress.int8 import INT8_SUFFIX, MIN_INT8_SHARE, Int8Report, quantize_int8
from designer.compress.onnx_ops import OpCount, count_file_ops, count_runtime_ops

__all__ = [
    "INT8_SUFFIX",
    "MIN_INT8_SHARE",
    "Int8Report",
    "OpCount",
    "count_file_ops",
    "count_runtime_ops",
    "quantize_int8",
]

"""Which heavy operators of an ONNX model are really INT8.

Two views: in the QDQ file a Conv/MatMul/Gemm counts as quantized when both its input and its
weight come out of a DequantizeLinear (ONNX Runtime then fuses the pattern into an integer
kernel); in the graph ONNX Runtime actually runs (its optimised model, saved by the session)
the heavy float kernels that are left are counted against the integer ones. The second view is
the one that decides whether a model may be called INT8.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

HEAVY_FLOAT = frozenset({"Conv", "MatMul", "Gemm", "FusedConv", "FusedMatMul", "FusedGemm",
                         "ConvTranspose", "NchwcConv"})
HEAVY_INT8 = frozenset({"QLinearConv", "QLinearMatMul", "QGemm", "ConvInteger", "MatMulInteger",
                        "MatMulIntegerToFloat", "DynamicQuantizeMatMul", "QAttention"})


@dataclass(frozen=True)
class OpCount:
    """Heavy operators (conv/matmul/gemm) that are quantized vs still float."""

    quantized: int
    floating: int
    float_nodes: tuple[str, ...] = field(default=())
    histogram: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return self.quantized + self.floating

    @property
    def share(self) -> float:
        """Fraction of heavy operators that are quantized (0 when there are none)."""
        return self.quantized / self.total if self.total else 0.0

    def to_dict(self) -> dict[str, object]:
        return {"quantized": self.quantized, "float": self.floating, "share": self.share,
                "float_nodes": list(self.float_nodes), "histogram": dict(self.histogram)}


def count_file_ops(path: str | Path) -> OpCount:
    """Heavy operators of the file whose activation and weight inputs are both dequantized."""
    import onnx

    graph = onnx.load(str(path), load_external_data=False).graph
    producer = {out: node.op_type for node in graph.node for out in node.output}
    quantized, floating, names = 0, 0, []
    for node in graph.node:
        if node.op_type not in HEAVY_FLOAT:
            continue
        fed = [producer.get(name) == "DequantizeLinear" for name in node.input[:2]]
        if len(fed) == 2 and all(fed):
            quantized += 1
        else:
            floating += 1
            names.append(node.name or node.op_type)
    histogram = Counter(node.op_type for node in graph.node)
    return OpCount(quantized, floating, tuple(names), dict(histogram))


def count_runtime_ops(path: str | Path) -> OpCount:
    """Heavy kernels in the graph ONNX Runtime's CPU provider runs after its optimisations."""
    import onnx
    import onnxruntime

    with tempfile.TemporaryDirectory(prefix="netdesigner-ort-") as scratch:
        optimised = Path(scratch) / "optimised.onnx"
        options = onnxruntime.SessionOptions()
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
        options.optimized_model_filepath = str(optimised)
        options.log_severity_level = 3
        onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        graph = onnx.load(str(optimised), load_external_data=False).graph
    histogram = Counter(node.op_type for node in graph.node)
    floating = [node.name or node.op_type for node in graph.node if node.op_type in HEAVY_FLOAT]
    quantized = sum(1 for node in graph.node if node.op_type in HEAVY_INT8)
    return OpCount(quantized, len(floating), tuple(floating), dict(histogram))

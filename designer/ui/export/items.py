"""The things the Export dialog can write, in the words the dialog uses. No Qt."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from designer.export.codegen import SCRIPT_NAME, SPLIT_NAME, WEIGHTS_NAME
from designer.export.metadata import LABELS_FILE, PREPROCESSING_FILE
from designer.project.export_source import export_path

SCRIPT = "script"


@dataclass(frozen=True)
class Item:
    """One row of the dialog: a model format, or the training script bundle."""

    key: str  # an export Format, or SCRIPT
    title: str
    detail: str

    def file_names(self, model_name: str, has_labels: bool) -> list[str]:
        """The files this item writes into the folder (the first is the one to open)."""
        if self.key == SCRIPT:
            return [SCRIPT_NAME, WEIGHTS_NAME, SPLIT_NAME]
        names = [export_path("", model_name, self.key).name]  # type: ignore[arg-type]
        if self.key == "openvino":
            names.append(str(Path(names[0]).with_suffix(".bin")))
        if self.key == "safetensors":
            names += [LABELS_FILE] if has_labels else []
            names += [PREPROCESSING_FILE]
        return names


ITEMS: tuple[Item, ...] = (
    Item("safetensors", "safetensors weights",
         "weights with labels.json and preprocessing.json, to load into the same network "
         "in PyTorch"),
    Item("onnx", "ONNX (.onnx)",
         "any batch size; runs in ONNX Runtime, OpenVINO, TensorRT and most deployment tools"),
    Item("openvino", "OpenVINO IR (.xml + .bin)",
         "for Intel CPUs, GPUs and NPUs; checked on OpenVINO's CPU runtime, with its latency"),
    Item("onnx-int8", "INT8 ONNX (.int8.onnx)",
         "about 4× smaller, calibrated on training images; refused unless the conv/matmul "
         "layers really run in INT8; accuracy before/after on the validation images"),
    Item("pt2", "torch.export (.pt2)",
         "the whole network and weights for PyTorch 2 (torch.export.load), no Python code needed"),
    Item("torchscript", "TorchScript (.pt)",
         "for LibTorch (C++) and older deployments; PyTorch has deprecated TorchScript"),
    Item(SCRIPT, "PyTorch training script",
         "train.py with weights.safetensors and split.json: trains this network again in "
         "plain PyTorch"),
)
BY_KEY = {item.key: item for item in ITEMS}
#: Checked when the dialog opens for "Export model…"
DEFAULT_EXPORTS = ("safetensors", "onnx")

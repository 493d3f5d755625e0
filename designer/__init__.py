"""NetDesigner: point-and-click transfer learning for PyTorch.

The Python API shared by the GUI, the CLI and notebooks::

    import designer
    design = designer.open_model("resnet18", weights="pretrained")
    design.replace_head(num_classes=5)
    design.freeze(up_to="layer3_1_relu_1")
    model = design.build()
    result = designer.open_file("mynet.pt2")  # .pt2, .py + name=, .onnx, TorchScript, weights
    print(result.report.text())

Importing `designer` is cheap; torch is imported on first use of these names.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["Design", "from_module", "open_file", "open_model"]


def __getattr__(name: str) -> Any:
    if name in ("open_model", "from_module"):
        from designer.surgery import opening

        return getattr(opening, name)
    if name == "open_file":
        from designer.surgery.import_file import open_file

        return open_file
    if name == "Design":
        from designer.surgery.design import Design

        return Design
    raise AttributeError(f"module 'designer' has no attribute {name!r}")

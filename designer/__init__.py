"""NetDesigner: point-and-click transfer learning for PyTorch.

The Python API shared by the GUI, the CLI and notebooks::

    import designer
    design = designer.open_model("resnet18", weights="pretrained")
    design.replace_head(num_classes=5)
    design.freeze(up_to="layer3_1_relu_1")
    model = design.build()

Importing `designer` is cheap; torch is imported on first use of these names.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["Design", "from_module", "open_model"]


def __getattr__(name: str) -> Any:
    if name in ("open_model", "from_module"):
        from designer.surgery import opening

        return getattr(opening, name)
    if name == "Design":
        from designer.surgery.design import Design

        return Design
    raise AttributeError(f"module 'designer' has no attribute {name!r}")

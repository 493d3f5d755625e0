"""NetDesigner: point-and-click transfer learning for PyTorch."""

__version__ = "0.1.0"

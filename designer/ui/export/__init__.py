"""The Export dialog: a run or the current design as model files and a PyTorch training script.

Reached from File ▸ Export model… / Generate PyTorch script… and from the Evaluate page's
Export button for the run shown there. The work itself is `designer.project.export_source`.
"""

from __future__ import annotations

from designer.ui.export.dialog import ExportDialog

__all__ = ["ExportDialog"]

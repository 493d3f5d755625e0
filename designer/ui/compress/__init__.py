"""Compression in the app: the per-layer compression analysis and structured pruning dialogs
(the work itself is `designer.compress`, run in the background through `workers.TaskRunner`)."""

from designer.ui.compress.analysis_dialog import CompressionDialog
from designer.ui.compress.prune_dialog import PruneDialog

__all__ = ["CompressionDialog", "PruneDialog"]

"""Views of the search package: the model finder dialog and (in Compare) sweeps."""

from designer.ui.search.finder_dialog import FinderDialog

__all__ = ["FinderDialog"]

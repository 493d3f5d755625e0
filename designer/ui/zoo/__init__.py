"""The model browser: compare the zoo's models, time them on this machine and open one."""

from __future__ import annotations

from designer.ui.zoo.browser import ModelBrowser
from designer.ui.zoo.open_dialog import OpenModelDialog
from designer.ui.zoo.prompts import BrowserPrompts, OfflineChoice
from designer.ui.zoo.table_model import Column, ZooTableModel

__all__ = ["BrowserPrompts", "Column", "ModelBrowser", "OfflineChoice", "OpenModelDialog",
           "ZooTableModel"]

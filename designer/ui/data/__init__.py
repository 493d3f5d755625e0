"""The Data page: choose, split, check and augment the images a design trains on."""

from __future__ import annotations

from designer.ui.data.page import DataPage

__all__ = ["DataPage"]

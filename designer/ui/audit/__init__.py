"""The Audit page: embedding map and ranked suspects with relabel / exclude / reviewed."""

from designer.ui.audit.page import AuditPage

__all__ = ["AuditPage"]

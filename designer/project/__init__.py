"""designer.project."""

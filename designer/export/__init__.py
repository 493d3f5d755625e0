"""designer.export."""

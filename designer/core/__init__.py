"""designer.core."""

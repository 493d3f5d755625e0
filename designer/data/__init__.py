"""designer.data."""

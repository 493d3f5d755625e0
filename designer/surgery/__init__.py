"""designer.surgery."""

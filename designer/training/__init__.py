"""designer.training."""

"""designer.evaluation."""

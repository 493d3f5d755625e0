"""designer.workers."""

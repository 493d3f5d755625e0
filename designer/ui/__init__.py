"""designer.ui."""

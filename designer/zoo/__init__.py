"""designer.zoo."""

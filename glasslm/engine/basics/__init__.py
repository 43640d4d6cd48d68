"""TODO story."""

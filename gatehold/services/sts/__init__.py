"""AWS STS: one module per group of operations."""

"""allowance."""

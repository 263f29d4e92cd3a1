"""The start screen (SPEC A6)."""

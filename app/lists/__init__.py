"""Distribution lists (SPEC L1)."""

"""Events: press conferences, trips, interview rounds (SPEC L2)."""

"""Health and status of the service (SPEC A8): `/healthz` for monitors and load balancers."""

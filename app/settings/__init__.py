"""Settings the administrator changes at run time (security policy, limits), kept in the
database so that every web and worker process sees the same values (SPEC O6)."""

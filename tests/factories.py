"""Test data built through the same services the application uses."""

from __future__ import annotations

import itertools

from app.users.services import create_user

_counter = itertools.count(1)
PASSWORD = "Korrekt-Pferd-42!"


def user(role="user", password=PASSWORD, name=None, email=None, **fields):
    """Create a user with a known password; returns (user, password)."""
    n = next(_counter)
    roles = (role,) if isinstance(role, str) else tuple(role)
    created, _ = create_user(
        email or f"user{n}@test-agentur.example",
        name or f"Test User {n}",
        roles=roles,
        password=password,
    )
    for key, value in fields.items():
        setattr(created, key, value)
    if fields:
        created.save()
    return created, password

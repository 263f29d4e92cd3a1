"""The export tests use the contacts tests' data (Alpha full, Beta read, Gamma hidden)."""

from tests.contacts.conftest import world  # noqa: F401

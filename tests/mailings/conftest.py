"""The mailings tests use the contacts tests' data."""

from tests.contacts.conftest import world  # noqa: F401

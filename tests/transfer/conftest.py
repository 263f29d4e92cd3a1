"""The import tests use the contacts tests' data and the files of tests/data/."""

from pathlib import Path

from tests.contacts.conftest import world  # noqa: F401

DATA = Path(__file__).resolve().parent.parent / "data"

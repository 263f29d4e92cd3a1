"""Fixtures of the client tests: rights for the signed-in user, and the test-only scoped
model `Note` with its routes (tests/clients/notes.py)."""

from __future__ import annotations

import pytest

from app.extensions import db
from tests import factories
from tests.clients.notes import Note
from tests.clients.notes import bp as notes_bp


@pytest.fixture
def notes(app):
    """The `test_note` table and the /test-notes/ routes, for this test only."""
    app.register_blueprint(notes_bp)
    with app.app_context():
        db.connect(reuse_if_open=True)
        db.create_tables([Note])
    yield Note
    with app.app_context():
        db.connect(reuse_if_open=True)
        db.drop_tables([Note])


@pytest.fixture
def grant(app):
    """grant(user, client, right) from outside a request."""

    def _grant(user, client, right):
        with app.app_context():
            factories.grant(user, client, right)

    return _grant


@pytest.fixture
def make_client(app):
    """make_client(name) → a new client, created from outside a request."""

    def _make(name=None, description=""):
        with app.app_context():
            return factories.new_client(name, description)

    return _make

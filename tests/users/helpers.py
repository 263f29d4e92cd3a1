"""Helpers shared by the user administration tests."""

import json
import re

from app.audit.models import AuditEntry
from tests.conftest import csrf_token

ONE_TIME_RE = re.compile(r"(?:One-time password|Einmalpasswort): (\S+)")


def post(client, path, data=None, form_path=None, **kwargs):
    """POST with the session's CSRF token, read from a real form of the admin area."""
    token = csrf_token(client, form_path or "/admin/users/new")
    return client.post(path, data={**(data or {}), "csrf_token": token}, **kwargs)


def invite_data(**overrides):
    data = {
        "name": "Lena Huber",
        "email": "lena.huber@test-agentur.example",
        "language": "en",
        "active": "y",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def one_time_password(message) -> str:
    body = message.get_body(preferencelist=("plain",)).get_content()
    match = ONE_TIME_RE.search(body)
    assert match, body
    return match.group(1)


def sign_in(client, email, password):
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf_token(client)},
    )


def audit_entries(action):
    return [
        (entry, json.loads(entry.changes), json.loads(entry.details))
        for entry in AuditEntry.select().where(AuditEntry.action == action).order_by(AuditEntry.seq)
    ]

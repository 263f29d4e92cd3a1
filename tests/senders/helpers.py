"""Helpers shared by the sender tests."""

from tests.conftest import csrf_token


def post(client, path, data=None, **kwargs):
    """POST with the session's CSRF token, read from a real form of the sender screens."""
    token = csrf_token(client, "/admin/senders/new")
    return client.post(path, data={**(data or {}), "csrf_token": token}, **kwargs)


def sender_data(**overrides):
    data = {
        "display_name": "Pressestelle Muster AG",
        "address": "presse@muster-ag.example",
        "reply_to": "",
    }
    data.update(overrides)
    return data

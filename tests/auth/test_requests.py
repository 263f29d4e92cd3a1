"""Requests (SPEC S6): CSRF everywhere, security headers on every kind of response,
plain error pages, signed task messages."""

import logging
import re

import pytest

from app.security import CSP, SECURITY_HEADERS
from tests import factories
from tests.auth.helpers import login
from tests.conftest import csrf_token

HEADERS = dict(SECURITY_HEADERS)


def _assert_headers(response):
    for name, value in HEADERS.items():
        assert response.headers.get(name) == value, (name, response.status_code)
    assert "HX-Request" in response.headers.get("Vary", "")


def test_csp_is_strict():
    for part in (
        "default-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "script-src 'self'",
        "style-src 'self'",
    ):
        assert part in CSP
    assert "unsafe" not in CSP


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        ("/", {}, 200),  # page
        ("/", {"HX-Request": "true"}, 200),  # htmx request
        ("/static/css/depesche.css", {}, 200),  # file
        ("/does-not-exist", {}, 404),  # error
        ("/admin/", {}, 403),  # error
    ],
)
def test_every_header_on_every_kind_of_response(client, login_as, path, headers, status):
    login_as()
    with client.get(path, headers=headers) as response:
        assert response.status_code == status
        _assert_headers(response)
        if path != "/static/css/depesche.css":
            assert response.headers["Cache-Control"] == "no-store"


def test_headers_on_anonymous_pages_and_json(client):
    for path in ("/login", "/healthz"):
        _assert_headers(client.get(path))


def test_hsts_and_host_cookie_behind_tls(config):
    from app import create_app

    app = create_app({**config, "COOKIE_SECURE": True})
    response = app.test_client().get("/login", base_url="https://depesche.example")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-depesche=") and "Secure" in cookie and "Path=/" in cookie
    assert "Domain" not in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_form_post_without_csrf_token_is_refused(client, login_as):
    login_as()
    response = client.post("/account/sessions/end-others")
    assert response.status_code == 400
    assert "could not be understood" in response.get_data(as_text=True)


def test_htmx_post_carries_the_token_in_a_header(client, login_as):
    login_as()
    page = client.get("/").get_data(as_text=True)
    token = re.search(r'hx-headers=\'\{"X-CSRFToken": "([^"]+)"\}\'', page).group(1)
    refused = client.post("/account/sessions/end-others", headers={"HX-Request": "true"})
    assert refused.status_code == 400
    accepted = client.post(
        "/account/sessions/end-others", headers={"HX-Request": "true", "X-CSRFToken": token}
    )
    assert accepted.status_code == 302


def test_errors_show_a_reference_and_never_a_traceback(app, client, login_as, caplog):
    @app.route("/boom")
    def boom():
        raise RuntimeError("secret internals")

    boom.permission = "user"
    login_as()
    with caplog.at_level(logging.ERROR, logger="depesche.errors"):
        response = client.get("/boom")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "secret internals" not in html and "Traceback" not in html
    reference = re.search(r"Reference: ([0-9a-f]{8})", html).group(1)
    assert reference in caplog.text  # operators find it in the log


def test_views_accept_only_their_own_fields(app, client, login_as):
    """Mass assignment: extra fields in a post change nothing."""
    from app.users.models import User

    user = login_as()
    client.post(
        "/account/password",
        data={
            "current_password": factories.PASSWORD,
            "new_password": "Neu-Und-Gut-71",
            "confirm": "Neu-Und-Gut-71",
            "is_administrator": "y",
            "active": "",
            "csrf_token": csrf_token(client, "/account/password"),
        },
    )
    with app.app_context():
        fresh = User.get_by_id(user.id)
        assert not fresh.is_administrator and fresh.active


def test_task_messages_are_signed(app_ctx):
    from app.extensions import huey

    message = huey.serializer.serialize({"task": "x"})
    assert huey.serializer.deserialize(message) == {"task": "x"}
    forged = message[:-1] + (b"0" if message[-1:] != b"0" else b"1")
    with pytest.raises(ValueError):
        huey.serializer.deserialize(forged)


def test_logs_never_contain_passwords_codes_or_cookies(app, client, outbox, caplog):
    with app.app_context():
        user, password = factories.user(totp=True)
        code = factories.totp_code()
    with caplog.at_level(logging.DEBUG):
        login(client, user.email, "Falsch-Passwort-9!")
        login(client, user.email, password)
        client.post(
            "/login/verify", data={"code": code, "csrf_token": csrf_token(client, "/login/verify")}
        )
        client.post(
            "/login/forgot",
            data={"email": user.email, "csrf_token": csrf_token(client, "/login/forgot")},
        )
        client.get("/")
    cookie = client.get_cookie("depesche_session").value
    one_time = re.search(
        r"(?:One-time password|Einmalpasswort): (\S+)", outbox[-1].get_content()
    ).group(1)
    # everything the application and its libraries log, but the test's own SMTP server
    text = "\n".join(
        record.getMessage() for record in caplog.records if not record.name.startswith("mail.log")
    )
    assert "SELECT" in text  # the capture did see the debug output
    for secret in (password, "Falsch-Passwort-9!", code, cookie, one_time):
        assert secret not in text

"""Every page needs a signed-in user; every response carries the security headers."""

import re

from app.security import CSP

PUBLIC = {
    "auth.login",
    "auth.logout",
    "auth.verify",
    "auth.resend_code",
    "auth.forgot",
    "users.language",
    "status.healthz",
    "unsubscribe.unsubscribe",  # the signed link in every mailing message (RFC 8058)
    "static",
    # opt-in tracking: reached from recipients' mail programs (signed links)
    "tracking.opened",
    "tracking.clicked",
}


def _routes(app):
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:int:)?[^>]+>", "1", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method, path


def test_every_route_but_the_public_ones_requires_login(app, client):
    app.config["WTF_CSRF_ENABLED"] = False  # reach the guard, not the CSRF check
    checked = 0
    for endpoint, method, path in _routes(app):
        if endpoint in PUBLIC:
            continue
        response = client.open(path, method=method)
        assert response.status_code == 302, (endpoint, method, response.status_code)
        assert response.headers["Location"].startswith("/login"), endpoint
        checked += 1
    assert checked >= 2
    # every public endpoint is one we meant to make public
    public = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if getattr(app.view_functions[rule.endpoint], "permission", None) == "public"
    }
    assert public <= PUBLIC


def test_every_view_declares_its_permission(app):
    from app.security import PERMISSIONS

    undeclared = [
        endpoint
        for endpoint, view in app.view_functions.items()
        if endpoint != "static" and getattr(view, "permission", None) not in PERMISSIONS
    ]
    assert undeclared == []


def test_htmx_request_is_sent_to_login_with_hx_redirect(client):
    response = client.get("/", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == "/login"


def test_security_headers_on_pages_and_static_files(client, login_as):
    for path in ("/login", "/static/css/depesche.css"):
        with client.get(path) as response:
            assert response.status_code == 200
            assert response.headers["Content-Security-Policy"] == CSP
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            assert response.headers["X-Frame-Options"] == "DENY"
    assert "'unsafe-inline'" not in CSP and "script-src 'self'" in CSP
    login_as()
    assert client.get("/").headers["Cache-Control"] == "no-store"


def test_no_inline_script_or_style_in_pages(client, login_as):
    login_as()
    for path in ("/", "/account/password"):
        html = client.get(path).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), path
        assert "<style" not in html and " style=" not in html, path
        assert "//cdn" not in html and "https://" not in html, path


def test_session_cookie_flags(app, client, login_as):
    login_as()
    cookie = client.get_cookie("depesche_session")
    assert cookie.http_only
    assert cookie.same_site == "Lax"


def test_secure_cookies_and_hsts_when_configured(config):
    from app import create_app

    application = create_app({**config, "COOKIE_SECURE": True})
    response = application.test_client().get("/login")
    assert "Secure" in response.headers["Set-Cookie"]
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")

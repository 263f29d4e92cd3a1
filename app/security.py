"""Request guards and response headers that apply to every page (SPEC S5, S6).

Every view requires a signed-in user unless it is marked `@public`; a user who must
replace a one-time password can reach nothing else until it is done.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, redirect, request, url_for
from flask_login import current_user

from app.htmx import hx_redirect, is_htmx

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}

# Endpoints a user with a one-time password may still reach.
PASSWORD_CHANGE_ENDPOINTS = {"auth.change_password", "auth.logout", "users.language", "static"}


def public(view):
    """Mark a view as reachable without signing in."""
    view.public = True
    return view


def safe_next(target: str | None) -> str | None:
    """Only a path on this site is a safe place to return to after sign-in."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    return target


def _to(endpoint: str, **values):
    url = url_for(endpoint, **values)
    return hx_redirect(url) if is_htmx() else redirect(url)


def init_security(app) -> None:
    @app.before_request
    def require_login():
        if request.endpoint is None:  # 404s and the like: let Flask answer
            return None
        view = current_app.view_functions.get(request.endpoint)
        if request.endpoint == "static" or getattr(view, "public", False):
            return None
        if not current_user.is_authenticated:
            target = request.full_path if request.method == "GET" else None
            target = target.rstrip("?") if target else None
            return _to("auth.login", next=target) if target != "/" else _to("auth.login")
        if current_user.must_change_password and request.endpoint not in PASSWORD_CHANGE_ENDPOINTS:
            return _to("auth.change_password")
        return None

    @app.after_request
    def security_headers(response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if app.config["COOKIE_SECURE"]:
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
        if current_user and current_user.is_authenticated:
            # Pages with personal data must not be kept by shared caches or the back button.
            response.headers.setdefault("Cache-Control", "no-store")
        response.vary.add("Cookie")
        return response

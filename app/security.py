"""Request guards and response headers that apply to every page (SPEC S5, S6).

Every view declares the permission it needs (`@requires(...)`, `@public`, `@signed_in`,
`@administrator_only`); the guard enforces it before the view runs, and a view without a
declaration is refused. A user who must replace a one-time password reaches nothing else.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, current_app, redirect, request, url_for
from flask_login import current_user

from app.htmx import hx_redirect, is_htmx

CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}

# Endpoints a user with a one-time or expired password may still reach.
PASSWORD_CHANGE_ENDPOINTS = {"auth.change_password", "auth.logout", "users.language", "static"}
# Endpoints a user who must set up a second factor may still reach.
SECOND_FACTOR_SETUP_ENDPOINTS = PASSWORD_CHANGE_ENDPOINTS | {
    "account.security",
    "account.setup_totp",
    "account.use_email_codes",
    "account.reauthenticate",
    "account.recovery_codes",
}


# What a view may require. Every view declares one (deny by default: a view without a
# declaration answers 403, and a test fails on it).
PERMISSIONS = {
    "public": lambda user: True,  # reachable without signing in
    "user": lambda user: True,  # any signed-in user
    "administrator": lambda user: user.is_administrator,
    "license_manager": lambda user: user.is_license_manager,
    "lists": lambda user: user.may_manage_lists,  # create and delete lists and mailings (M9)
    "dispatch": lambda user: user.may_send,  # send mailings (M9)
}


def requires(permission: str):
    """Declare what a view needs: 'public', 'user', 'administrator', 'license_manager',
    'lists', 'dispatch'."""
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")

    def decorate(view):
        view.permission = permission
        return view

    return decorate


public = requires("public")
signed_in = requires("user")
administrator_only = requires("administrator")


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
        permission = "public" if request.endpoint == "static" else getattr(view, "permission", None)
        if permission == "public":
            return None
        if not current_user.is_authenticated:
            target = request.full_path if request.method == "GET" else None
            target = target.rstrip("?") if target else None
            return _to("auth.login", next=target) if target != "/" else _to("auth.login")
        if current_user.must_change_password and request.endpoint not in PASSWORD_CHANGE_ENDPOINTS:
            return _to("auth.change_password")
        if request.endpoint not in SECOND_FACTOR_SETUP_ENDPOINTS:
            from app.auth.twofactor import needs_setup

            if needs_setup(current_user):
                return _to("account.security")
        if permission is None or not PERMISSIONS[permission](current_user):
            abort(403)
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
        response.vary.add("HX-Request")  # the same URL answers a page or a partial
        return response

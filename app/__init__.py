"""Depesche: the application factory."""

from __future__ import annotations

import os

from flask import Flask, has_request_context, request, session
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from app import config as config_module
from app.config import ROOT

__version__ = "0.1.0"


def create_app(config: dict | None = None) -> Flask:
    """Build the app: configuration → extensions → blueprints → CLI.

    `config` overrides every other source (tests use it). Raises config.ConfigError,
    naming the setting, when a setting is missing or unusable.
    """
    settings = config_module.load(config)
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        instance_path=settings["DATA_DIR"],
    )
    app.config.update(settings)
    app.config.update(
        # __Host-: only over HTTPS, for this host, path / (browsers enforce it)
        SESSION_COOKIE_NAME="__Host-depesche" if settings["COOKIE_SECURE"] else "depesche_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=app.config["COOKIE_SECURE"],
        BABEL_TRANSLATION_DIRECTORIES=str(ROOT / "translations"),
        BABEL_DEFAULT_LOCALE=app.config["DEFAULT_LOCALE"],
        BABEL_DEFAULT_TIMEZONE=app.config["DEFAULT_TIMEZONE"],
        MAX_CONTENT_LENGTH=64 * 1024 * 1024,
    )
    if app.config["TRUSTED_PROXIES"]:
        app.wsgi_app = ProxyFix(
            app.wsgi_app,
            x_for=app.config["TRUSTED_PROXIES"],
            x_proto=app.config["TRUSTED_PROXIES"],
            x_host=app.config["TRUSTED_PROXIES"],
        )

    _init_extensions(app)
    _register_blueprints(app)
    _init_templates(app)

    from app.errors import init_errors
    from app.security import init_security

    init_security(app)
    init_errors(app)
    return app


def select_locale() -> str:
    """The user's own choice, else the choice made before sign-in, else the browser's.

    Outside a request (the command line, tasks) the environment's LC_ALL/LC_MESSAGES/LANG
    decides, and English is the default there.
    """
    languages = _app_languages()
    if not has_request_context():
        for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
            value = os.environ.get(name, "")
            if value:
                code = value.split("_")[0].split(".")[0].lower()
                return code if code in languages else "en"
        return "en"
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    if session.get("locale") in languages:
        return session["locale"]
    from flask import current_app

    return request.accept_languages.best_match(languages) or current_app.config["DEFAULT_LOCALE"]


def select_timezone() -> str | None:
    if current_user and current_user.is_authenticated:
        return current_user.timezone
    return None


def _app_languages():
    from flask import current_app

    return current_app.config["LANGUAGES"]


def _init_extensions(app: Flask) -> None:
    from app.extensions import babel, csrf, init_db, init_huey, init_limiter, login_manager

    init_db(app)
    init_huey(app)
    init_limiter(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "basic"

    from app.auth import sessions

    @login_manager.user_loader
    def load_user(token):
        user = sessions.load(token)
        if user is not None:
            user.session_cookie_token = token
        return user

    # Import every feature's tasks so that immediate mode and the consumer know them.
    import app.worker  # noqa: F401


def _register_blueprints(app: Flask) -> None:
    from app.admin.views import bp as admin_bp
    from app.audit.views import bp as audit_bp
    from app.auth.account import bp as account_bp
    from app.auth.views import bp as auth_bp
    from app.blacklist.admin_views import bp as blacklist_admin_bp
    from app.bounces.admin_views import bp as bounces_admin_bp
    from app.bounces.views import bp as bounces_bp
    from app.clients.views import bp as clients_bp
    from app.contacts.views import bp as contacts_bp
    from app.events.views import bp as events_bp
    from app.exports.views import bp as exports_bp
    from app.home.views import bp as home_bp
    from app.lists.views import bp as lists_bp
    from app.mailings.public_views import bp as unsubscribe_bp
    from app.mailings.report_views import bp as mailing_reports_bp
    from app.mailings.tracking_views import bp as tracking_bp
    from app.mailings.views import bp as mailings_bp
    from app.outlets.views import bp as outlets_bp
    from app.senders.admin_views import bp as sender_admin_bp
    from app.settings.views import bp as settings_bp
    from app.status.admin_views import bp as status_admin_bp
    from app.status.views import bp as status_bp
    from app.transfer.views import bp as transfer_bp
    from app.users.admin_views import bp as user_admin_bp
    from app.users.views import bp as users_bp

    for bp in (
        auth_bp,
        account_bp,
        home_bp,
        contacts_bp,
        lists_bp,
        events_bp,
        bounces_bp,
        mailings_bp,
        unsubscribe_bp,
        mailing_reports_bp,
        tracking_bp,
        exports_bp,
        transfer_bp,
        outlets_bp,
        status_bp,
        users_bp,
        admin_bp,
        user_admin_bp,
        audit_bp,
        settings_bp,
        clients_bp,
        status_admin_bp,
        blacklist_admin_bp,
        bounces_admin_bp,
        sender_admin_bp,
    ):
        app.register_blueprint(bp)


def _init_templates(app: Flask) -> None:
    from flask_babel import format_datetime, format_number, get_locale

    from app import htmx
    from app.auth.lockout import is_locked
    from app.fragments import fragment
    from app.i18n import install_template_gettext
    from app.nav import nav_items
    from app.status.models import NOTICE_LEVELS
    from app.status.notices import current as current_notices
    from app.users.models import ROLE_LABELS

    app.jinja_env.policies["ext.i18n.trimmed"] = True
    install_template_gettext(app)
    app.jinja_env.globals.update(
        nav_items=nav_items,
        is_partial=htmx.is_partial,
        current_locale=lambda: str(get_locale()),
        format_datetime=format_datetime,
        format_number=format_number,
        role_labels=ROLE_LABELS,
        is_locked=is_locked,
        current_notices=current_notices,
        notice_levels=NOTICE_LEVELS,
        fragment=fragment,
    )
    app.jinja_env.globals["app_version"] = __version__

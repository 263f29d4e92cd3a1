"""The shared extension objects, created unbound at import and bound in `create_app`.

Models and tasks import `db` and `huey` from here at module level; `init_*` points them at
the configured backends. One process serves one configuration at a time.
"""

from __future__ import annotations

import functools
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect
from huey import Huey
from huey.serializer import SignedSerializer
from huey.storage import PriorityRedisExpireStorage, SqliteStorage
from peewee import DatabaseProxy, SqliteDatabase
from playhouse.pool import PooledPostgresqlDatabase

db = DatabaseProxy()
babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()
# Per source address (behind DEPESCHE_TRUSTED_PROXIES: the forwarded client address).
limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=False)

# Tasks are registered on this object at import time; `init_huey` gives it its storage.
huey = Huey("depesche", immediate=True, utc=True)

# Priorities for huey tasks: higher runs first. Premium mailings go before standard ones.
PRIORITY_STANDARD = 0
PRIORITY_PREMIUM = 10

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 10000,
    "synchronous": "normal",
    "cache_size": -32000,
}


def make_database(url: str):
    """Build the peewee database for a checked DATABASE_URL (see app.config)."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        # IMMEDIATE: a writing transaction takes the write lock when it begins, so that two
        # writers wait for each other instead of failing on a stale snapshot.
        return SqliteDatabase(
            unquote(url[len("sqlite:///") :]), pragmas=SQLITE_PRAGMAS, lock_type="IMMEDIATE"
        )
    return PooledPostgresqlDatabase(
        unquote(parts.path.lstrip("/")),
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        host=parts.hostname,
        port=parts.port,
        max_connections=32,
        stale_timeout=300,
        timeout=10,
    )


def init_db(app) -> None:
    database = make_database(app.config["DATABASE_URL"])
    if isinstance(database, SqliteDatabase):
        Path(database.database).parent.mkdir(parents=True, exist_ok=True)
    db.initialize(database)
    app.extensions["peewee"] = database

    # One request = one connection and short transactions; the connection is handed
    # back (or closed, for SQLite) when the request ends.
    @app.before_request
    def _connect():
        db.connect(reuse_if_open=True)

    @app.teardown_appcontext
    def _close(exc):
        if not db.is_closed():
            db.close()


def init_huey(app) -> None:
    """Point the huey object at Redis (with priorities) or the SQLite queue file."""
    huey.name = app.config["QUEUE_NAME"]
    huey._immediate = bool(app.config["HUEY_IMMEDIATE"])
    if app.config["REDIS_URL"]:
        huey.storage_class = PriorityRedisExpireStorage
        huey.storage_kwargs = {"url": app.config["REDIS_URL"], "expire_time": 7 * 86400}
    else:
        huey.storage_class = SqliteStorage
        huey.storage_kwargs = {"filename": str(Path(app.config["DATA_DIR"]) / "queue.db")}
    # Task messages are signed: a forged message on a shared Redis is refused.
    huey.serializer = SignedSerializer(secret=app.config["SECRET_KEY"], salt="depesche-tasks")
    huey.storage = huey.create_storage()
    huey.flask_app = app


def task(**options):
    """Declare a huey task that runs inside an application context with its own connection.

    Tasks take ids, not objects, and call a service; see DESIGN.md. `priority` is
    PRIORITY_STANDARD unless given.
    """
    options.setdefault("priority", PRIORITY_STANDARD)

    def decorator(func):
        @functools.wraps(func)
        def run_in_app(*args, **kwargs):
            from flask import has_app_context

            if has_app_context():  # immediate mode inside a request or a test
                return func(*args, **kwargs)
            with huey.flask_app.app_context():
                db.connect(reuse_if_open=True)
                return func(*args, **kwargs)

        return huey.task(**options)(run_in_app)

    return decorator


def init_limiter(app) -> None:
    """Counters in Redis when configured (shared by all web processes), else in memory."""
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["REDIS_URL"] or "memory://")
    app.config.setdefault("RATELIMIT_KEY_PREFIX", f"{app.config['QUEUE_NAME']}-limits")
    limiter.init_app(app)

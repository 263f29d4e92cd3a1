"""Checks of what the application depends on; each answers (ok, detail)."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

from flask import current_app

from app.extensions import db, huey
from app.models import pending_migrations
from app.status.tasks import last_heartbeat

MIN_FREE_BYTES = 100 * 1024 * 1024


def check_database() -> dict:
    try:
        db.execute_sql("SELECT 1").fetchone()
        pending = pending_migrations()
    except Exception as exc:  # any driver error means "not usable", with its reason
        return {"ok": False, "error": _reason(exc)}
    result = {"ok": not pending, "backend": "postgresql" if _is_postgres() else "sqlite"}
    if pending:
        result["error"] = f"{len(pending)} migration(s) pending: run depesche init-db"
    return result


def check_queue() -> dict:
    backend = "redis" if current_app.config["REDIS_URL"] else "sqlite"
    if huey.immediate:
        backend = "immediate"
    try:
        size = huey.pending_count()
        beat = last_heartbeat()
    except Exception as exc:
        return {"ok": False, "backend": backend, "error": _reason(exc)}
    result = {"ok": True, "backend": backend, "pending": size}
    result["worker_seen_seconds_ago"] = round(time.time() - beat) if beat else None
    return result


def check_data_dir() -> dict:
    path = Path(current_app.config["DATA_DIR"])
    try:
        with tempfile.NamedTemporaryFile(dir=path, prefix=".healthz-"):
            pass
        free = shutil.disk_usage(path).free
    except OSError as exc:
        return {"ok": False, "error": exc.strerror or str(exc)}
    ok = free >= MIN_FREE_BYTES and os.access(path, os.W_OK)
    result = {"ok": ok, "free_bytes": free}
    if not ok:
        result["error"] = "less than 100 MB free"
    return result


def check_mail_relay(timeout: float = 3) -> dict:
    """Whether the relay of DEPESCHE_SMTP_URL accepts a connection (and the sign-in) now;
    for the status pages only, not for /healthz (a slow relay must not slow monitors)."""
    from app.mail import smtp_connection

    try:
        with smtp_connection(timeout=timeout) as connection:
            connection.noop()
    except Exception as exc:  # any failure (refused, timeout, TLS, sign-in) is "not usable"
        return {"ok": False, "error": _reason(exc)}
    return {"ok": True}


def health() -> dict:
    """The checks; `status` is "fail" when the app cannot serve. The backup state is
    reported beside them but does not fail the check: a load balancer must not take a
    working app out of service because last night's backup failed (the status page and
    `depesche-backup status` raise that alarm)."""
    from app.status.backups import summary

    checks = {"database": check_database(), "queue": check_queue(), "data_dir": check_data_dir()}
    checks["status"] = "ok" if all(c["ok"] for c in checks.values()) else "fail"
    checks["backup"] = summary(current_app.config["DATA_DIR"])
    return checks


def _is_postgres() -> bool:
    from peewee import PostgresqlDatabase

    return isinstance(db.obj, PostgresqlDatabase)


def _reason(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]

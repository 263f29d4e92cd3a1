"""Shared fixtures (DESIGN rule 7).

The backend is chosen by the environment, so that `make test` can run the whole suite
twice: once embedded (SQLite, huey's SQLite queue) and once against services
(DEPESCHE_TEST_POSTGRES=postgresql://…/postgres and DEPESCHE_TEST_REDIS=redis://…).
A PostgreSQL run creates its own database and drops it at the end.
"""

from __future__ import annotations

import email
import email.policy
import os
import re
import subprocess
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from app import create_app, i18n
from app.extensions import db, make_database
from app.models import all_models, upgrade
from tests import factories

PG_ADMIN_URL = os.environ.get("DEPESCHE_TEST_POSTGRES")
REDIS_URL = os.environ.get("DEPESCHE_TEST_REDIS")
RUN_ID = uuid.uuid4().hex[:10]


def backend() -> str:
    return "postgresql" if PG_ADMIN_URL else "sqlite"


def pytest_report_header(config):
    return f"depesche backends: database={backend()}, queue={'redis' if REDIS_URL else 'sqlite'}"


@contextmanager
def postgres_database(prefix="depesche_test"):
    """A new, empty PostgreSQL database for the duration of the block; yields its URL."""
    import psycopg2

    name = f"{prefix}_{RUN_ID}_{uuid.uuid4().hex[:6]}"
    admin = psycopg2.connect(PG_ADMIN_URL)
    admin.autocommit = True
    try:
        with admin.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
        parts = urlsplit(PG_ADMIN_URL)
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogues():
    """The app reads compiled catalogues; compile the current .po files once per run."""
    i18n.compile_catalogues()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """One migrated database per test session (per worker under xdist)."""
    if PG_ADMIN_URL:
        with postgres_database() as url:
            upgrade(make_database(url))
            yield url
    else:
        path = tmp_path_factory.mktemp("db") / "depesche.db"
        url = f"sqlite:///{path}"
        upgrade(make_database(url))
        yield url


class _Sink:
    """aiosmtpd handler that keeps every message it receives, parsed."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        message.raw = envelope.content  # the bytes as they arrived (DKIM checks need them)
        message.envelope_from = envelope.mail_from
        message.envelope_to = list(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted for delivery"


@pytest.fixture(scope="session")
def smtp_server():
    """A real SMTP server on a free local port for the whole session."""
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = _Sink()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield controller, handler
    controller.stop()


@pytest.fixture
def outbox(smtp_server):
    """The messages delivered during this test (parsed `email.message.EmailMessage`s)."""
    _, handler = smtp_server
    handler.messages.clear()
    return handler.messages


@pytest.fixture
def clock():
    """The application clock, movable with clock.advance(minutes=…); reset after the test."""
    from app import clock as app_clock

    yield app_clock
    app_clock.reset()


@pytest.fixture
def config(tmp_path, database_url, smtp_server):
    settings = {
        "DATA_DIR": str(tmp_path / "data"),
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-key-" + "x" * 32,
        "HUEY_IMMEDIATE": True,
        # fresh counters for every test's app (a shared Redis would count across tests)
        "RATELIMIT_STORAGE_URI": "memory://",
        "QUEUE_NAME": f"depesche-test-{RUN_ID}",
        "SMTP_URL": f"smtp://127.0.0.1:{smtp_server[0].port}",
    }
    if REDIS_URL:
        settings["REDIS_URL"] = REDIS_URL
    return settings


def _empty_tables():
    with db.atomic():
        for model in reversed(all_models()):
            model.delete().execute()


@pytest.fixture
def app(config):
    application = create_app(config)
    application.config.update(TESTING=True)
    yield application
    with application.app_context():
        db.connect(reuse_if_open=True)
        _empty_tables()
        db.close()
    if hasattr(db.obj, "close_all"):  # a PostgreSQL pool: give its connections back
        db.obj.close_all()


@pytest.fixture
def app_ctx(app):
    with app.app_context():
        db.connect(reuse_if_open=True)
        yield app


@pytest.fixture
def client(app):
    """A browser without a session whose language is English unless a test says otherwise."""
    test_client = app.test_client()
    test_client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return test_client


CSRF_RE = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"'
)


def csrf_token(client, path="/login") -> str:
    """The CSRF token of the client's session, read from a real form."""
    html = client.get(path).get_data(as_text=True)
    match = CSRF_RE.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1) or match.group(2)


@pytest.fixture
def login_as(app, client):
    """Sign the test client in as a new user with the given role; returns the user."""

    def _login(role="user", **fields):
        with app.app_context():
            user, password = factories.user(role=role, **fields)
        token = csrf_token(client)
        response = client.post(
            "/login", data={"email": user.email, "password": password, "csrf_token": token}
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        if response.headers["Location"] == "/login/verify":
            with app.app_context():
                code = factories.totp_code()
            response = client.post(
                "/login/verify",
                data={"code": code, "csrf_token": csrf_token(client, "/login/verify")},
            )
            assert response.status_code == 302, response.get_data(as_text=True)
        return user

    return _login


DEPESCHE = str(Path(sys.executable).with_name("depesche"))


def run_cli(env, *args, input=None, timeout=60):
    """Run the `depesche` command as an operator would, as a real process."""
    return subprocess.run(
        [DEPESCHE, *args], env=env, input=input, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture
def cli_env(config):
    """Environment for a command-line process on the test session's database and queue."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEPESCHE_")}
    env.update(
        LANG="C.UTF-8",
        DEPESCHE_DATA_DIR=config["DATA_DIR"],
        DEPESCHE_DATABASE_URL=config["DATABASE_URL"],
        DEPESCHE_SECRET_KEY=config["SECRET_KEY"],
        DEPESCHE_QUEUE_NAME=config["QUEUE_NAME"],
    )
    if REDIS_URL:
        env["DEPESCHE_REDIS_URL"] = REDIS_URL
    return env


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser/" in str(Path(item.fspath)).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)

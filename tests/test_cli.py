"""The `depesche` command: run as operators run it, as a real process where it matters."""

import json
import os
import subprocess
import time
import urllib.request

import pytest

from app.users.models import User
from tests.conftest import DEPESCHE, run_cli
from tests.mailings.workers import free_port, wait_for


def run(env, *args, input=None, timeout=60):
    return run_cli(
        {**env, "LANG": env.get("LANG_FOR_TEST", "C.UTF-8")}, *args, input=input, timeout=timeout
    )


def test_init_db_is_idempotent(tmp_path):
    env = {**os.environ, "DEPESCHE_DATA_DIR": str(tmp_path)}
    env.pop("DEPESCHE_DATABASE_URL", None)
    first = run(env, "init-db")
    assert first.returncode == 0, first.stderr
    from app.models import migration_names

    head = migration_names()[-1]
    assert "applied 0001_initial" in first.stdout
    assert f"applied {head}" in first.stdout
    second = run(env, "init-db")
    assert second.returncode == 0
    assert "applied" not in second.stdout
    assert f"schema at {head}" in second.stdout
    assert (tmp_path / "depesche.db").exists()


def test_create_user_prints_the_one_time_password_once(app, cli_env):
    result = run(
        cli_env,
        "create-user",
        "Chefin@Agentur.example",
        "--name",
        "Eva Chefin",
        "--role",
        "administrator",
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "created user chefin@agentur.example (administrator)"
    password = lines[1].removeprefix("one-time password: ")
    assert len(password) >= 12
    with app.app_context():
        user = User.get(User.email == "chefin@agentur.example")
        assert user.is_administrator and user.must_change_password
        assert password not in user.password_hash
    # the one-time password works at the sign-in form
    from tests.conftest import csrf_token

    client = app.test_client()
    response = client.post(
        "/login",
        data={"email": user.email, "password": password, "csrf_token": csrf_token(client)},
    )
    assert response.headers["Location"] == "/account/password"


def test_create_user_with_password_from_stdin_prints_no_secret(app, cli_env):
    result = run(
        cli_env,
        "create-user",
        "lena@agentur.example",
        "--name",
        "Lena Huber",
        "--role",
        "user",
        "--role",
        "license_manager",
        "--password-stdin",
        input="Sicheres-Passwort-9\n",
    )
    assert result.returncode == 0, result.stderr
    assert "Sicheres-Passwort-9" not in result.stdout + result.stderr
    assert "one-time" not in result.stdout
    with app.app_context():
        user = User.get(User.email == "lena@agentur.example")
        assert user.is_license_manager and not user.must_change_password


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["kein-at-zeichen", "--name", "X"], None, "is not valid"),
        (["a@agentur.example", "--name", "X", "--password-stdin"], "kurz\n", "at least 8"),
        (["a@agentur.example", "--name", "X", "--password-stdin"], "\n", "no password"),
        (["a@agentur.example", "--name", "X", "--role", "boss"], None, "Invalid value"),
    ],
)
def test_create_user_refuses_bad_input(app, cli_env, args, stdin, message):
    result = run(cli_env, "create-user", *args, input=stdin)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    with app.app_context():
        assert not User.select().exists()


def test_command_line_speaks_german_when_the_locale_says_so(app, cli_env):
    result = run(
        {**cli_env, "LANG_FOR_TEST": "de_DE.UTF-8"},
        "create-user",
        "a@agentur.example",
        "--name",
        "X",
        "--password-stdin",
        input="kurz\n",
    )
    assert result.returncode == 1
    assert "Das Passwort muss mindestens 8 Zeichen haben." in result.stderr


def test_create_user_twice_is_refused(app, cli_env):
    assert run(cli_env, "create-user", "x@agentur.example", "--name", "X").returncode == 0
    again = run(cli_env, "create-user", "X@agentur.example", "--name", "X")
    assert again.returncode == 1
    assert "exists already" in again.stderr


def test_set_password_replaces_it_and_ends_sessions(app, cli_env):
    from tests import factories

    with app.app_context():
        user, _ = factories.user()
        token = user.session_token
    result = run(cli_env, "set-password", user.email)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1].startswith("one-time password: ")
    with app.app_context():
        changed = User.get_by_id(user.id)
        assert changed.must_change_password and changed.session_token != token
    unknown = run(cli_env, "set-password", "niemand@agentur.example")
    assert unknown.returncode == 1 and "no user" in unknown.stderr


def test_demo_data_is_deterministic_and_loaded_once(app, cli_env):
    from app.demo import load_demo_data

    with app.app_context():
        first = load_demo_data(seed=7)
        names = [u.name for u in first.users]
        clients = [c.name for c in first.clients]
    result = run(cli_env, "demo-data", "--if-empty")
    assert result.returncode == 0
    assert "nothing loaded" in result.stdout
    again = run(cli_env, "demo-data")
    assert again.returncode == 1 and "loaded already" in again.stderr
    # the same seed gives the same agency in a fresh database
    with app.app_context():
        for model in (User,):
            model.delete().execute()
        from app.clients.models import Client

        Client.delete().execute()
        second = load_demo_data(seed=7)
        assert [u.name for u in second.users] == names
        assert [c.name for c in second.clients] == clients
        assert len(set(names)) == len(names) == 8
        assert second.admin_email == "admin@pr-agentur.example"


def test_demo_data_command_prints_the_administrator_credentials(app, cli_env):
    result = run(cli_env, "demo-data", "--seed", "3")
    assert result.returncode == 0, result.stderr
    assert "demo administrator: admin@pr-agentur.example" in result.stdout
    password = next(
        line.split(":", 1)[1].strip()
        for line in result.stdout.splitlines()
        if line.startswith("one-time password:")
    )
    from app.auth.passwords import verify_password

    with app.app_context():
        admin = User.get(User.email == "admin@pr-agentur.example")
        assert verify_password(admin.password_hash, password)


def test_translate_compile(cli_env):
    result = run(cli_env, "translate", "compile")
    assert result.returncode == 0, result.stderr
    assert "compiled translations/de/LC_MESSAGES/messages.mo" in result.stdout


def test_serve_runs_gunicorn_and_answers(app, cli_env):
    port = free_port()
    proc = subprocess.Popen(
        [DEPESCHE, "serve", "--port", str(port), "--workers", "1"],
        env=cli_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:

        def healthz():
            try:
                url = f"http://127.0.0.1:{port}/healthz"
                with urllib.request.urlopen(url, timeout=2) as r:  # noqa: S310
                    return json.load(r)
            except OSError:
                return None

        body = wait_for(healthz)
        assert body and body["status"] == "ok"
        request = urllib.request.Request(f"http://127.0.0.1:{port}/login")
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 (http only)
            assert response.status == 200
            assert "gunicorn" in response.headers["Server"]
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=30)
    assert "Booting worker" in output


def test_worker_consumes_tasks_from_the_queue(app, cli_env):
    """A real consumer process takes a task that this process put on the shared queue."""
    from app.extensions import huey
    from app.status.tasks import heartbeat, last_heartbeat

    huey.immediate = False
    try:
        proc = subprocess.Popen(
            [DEPESCHE, "worker", "--workers", "1", "--no-periodic"],
            env={**cli_env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            before = time.time()
            heartbeat()
            assert wait_for(lambda: (last_heartbeat() or 0) >= before), "task not consumed"
        finally:
            proc.send_signal(2)  # SIGINT: graceful shutdown
            output, _ = proc.communicate(timeout=30)
        assert proc.returncode == 0, output
    finally:
        huey.immediate = True

"""/healthz: the state of database, queue and data directory for monitors."""

import socket

from app import create_app


def test_healthz_is_public_and_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] and body["queue"]["ok"] and body["data_dir"]["ok"]


def test_healthz_fails_on_a_database_without_schema(config, tmp_path):
    app = create_app({**config, "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "fail"
    assert body["database"]["ok"] is False
    assert "depesche init-db" in body["database"]["error"]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_healthz_fails_when_the_queue_is_unreachable(config):
    app = create_app(
        {**config, "HUEY_IMMEDIATE": False, "REDIS_URL": f"redis://127.0.0.1:{_closed_port()}/0"}
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["queue"]["ok"] is False and body["queue"]["backend"] == "redis"
    assert body["database"]["ok"] is True

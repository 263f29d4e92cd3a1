"""/healthz: the state of database, queue and data directory for monitors; the system
status page with the backups' state."""

import json
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

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


def _write_status(app, status):
    (Path(app.config["DATA_DIR"]) / "backup-status.json").write_text(json.dumps(status))


def _ok(**delta):
    return {"last_run": _ago(**delta), "last_result": "ok", "last_success": _ago(**delta)}


def _ago(**delta):
    return (datetime.now(UTC) - timedelta(**delta)).isoformat(timespec="seconds")


def test_backup_state_in_healthz_without_failing_it(app, client):
    no_backup = client.get("/healthz")
    assert no_backup.status_code == 200
    assert no_backup.json["backup"] == {"ok": False, "sites": {"A": None}}
    _write_status(
        app,
        {
            "sites": ["A", "B"],
            "create": {
                "A": {
                    "last_run": _ago(hours=2),
                    "last_result": "ok",
                    "last_success": _ago(hours=2),
                },
                "B": {"last_run": _ago(hours=1), "last_result": "failed", "detail": "timeout"},
            },
        },
    )
    answer = client.get("/healthz").json
    assert answer["status"] == "ok" and answer["backup"]["ok"] is False
    assert answer["backup"]["sites"]["B"] is None and answer["backup"]["sites"]["A"]


def test_status_page_shows_each_site_and_the_alarm(app, client, login_as):
    login_as("administrator")
    _write_status(
        app,
        {
            "sites": ["A", "B"],
            "create": {
                "A": {
                    "last_run": _ago(hours=3),
                    "last_result": "ok",
                    "last_success": _ago(hours=3),
                },
                "B": {
                    "last_run": _ago(hours=1),
                    "last_result": "failed",
                    "detail": "Connection closed by remote host",
                    "last_success": _ago(hours=30),
                },
            },
            "drill": {"A": {"last_run": _ago(days=2), "last_result": "ok", "detail": ""}},
        },
    )
    html = client.get("/admin/status/").get_data(as_text=True)
    assert "Site B: no successful backup in the last 26 hours." in html
    assert "Site A: no successful" not in html
    assert "Connection closed by remote host" in html
    assert "System status" in client.get("/admin/").get_data(as_text=True)
    _write_status(app, {"create": {"A": {"last_success": _ago(hours=1), "last_result": "ok"}}})
    calm = client.get("/admin/status/").get_data(as_text=True)
    assert 'role="alert"' not in calm


def test_status_page_is_for_administrators_only(client, login_as):
    login_as("user")
    assert client.get("/admin/status/").status_code == 403


def test_a_damaged_status_file_counts_as_no_backup(app, client):
    (Path(app.config["DATA_DIR"]) / "backup-status.json").write_text("{not json")
    assert client.get("/healthz").json["backup"]["ok"] is False

"""Fixtures for the backup tool: an instance with demo data, two throw-away repositories,
and borg confined to temporary directories (never ~/.config/borg)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import run_cli


@pytest.fixture
def borg_env(tmp_path, monkeypatch):
    """borg's passphrase and directories for this test only, in os.environ (for the
    in-process calls) and returned (for the command-line calls)."""
    values = {
        "BORG_PASSPHRASE": "throw-away-test-passphrase",
        "BORG_BASE_DIR": str(tmp_path / "borg-base"),
        "BORG_CONFIG_DIR": str(tmp_path / "borg-base" / "config"),
        "BORG_CACHE_DIR": str(tmp_path / "borg-base" / "cache"),
        "BORG_SECURITY_DIR": str(tmp_path / "borg-base" / "security"),
        "BORG_RELOCATED_REPO_ACCESS_IS_OK": "yes",
        "HOME": str(tmp_path / "home"),  # borgmatic keeps its check times under ~
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return values


@pytest.fixture
def instance(app, tmp_path, borg_env, cli_env):
    """The test app's instance with demo data and a few media files, and its backup sites."""
    from app.demo import load_demo_data
    from app.extensions import db

    with app.app_context():
        db.connect(reuse_if_open=True)
        load_demo_data()
        db.close()
    data_dir = Path(app.config["DATA_DIR"])
    (data_dir / "media" / "2024").mkdir(parents=True)
    (data_dir / "media" / "2024" / "kit.pdf").write_bytes(os.urandom(200_000))
    (data_dir / "media" / "logo.svg").write_text("<svg/>")
    env = {**cli_env, **borg_env}
    env["DEPESCHE_BACKUP_SITE_A"] = str(tmp_path / "site-a" / "repo")
    env["DEPESCHE_BACKUP_SITE_B"] = str(tmp_path / "site-b" / "repo")
    return env


@pytest.fixture
def disposable(instance, tmp_path):
    """An instance of its own (SQLite in its data directory, demo data, two sites) that
    may be destroyed: never the test session's shared database."""
    env = {k: v for k, v in instance.items() if k != "DEPESCHE_DATABASE_URL"}
    env["DEPESCHE_DATA_DIR"] = str(tmp_path / "doomed")
    env["DEPESCHE_BACKUP_SITE_A"] = str(tmp_path / "doomed-a" / "repo")
    env["DEPESCHE_BACKUP_SITE_B"] = str(tmp_path / "doomed-b" / "repo")
    for args in (("init-db",), ("demo-data", "--contacts", "50")):
        done = run_cli(env, *args, timeout=300)
        assert done.returncode == 0, done.stderr
    return env

"""Configuration: sources, their order, and one clear line for every unusable setting."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app import config as cfg
from app import create_app

DEPESCHE = str(Path(sys.executable).with_name("depesche"))


def test_defaults_give_a_working_embedded_setup(tmp_path):
    settings = cfg.load({"DATA_DIR": str(tmp_path)}, environ={})
    assert settings["DATABASE_URL"] == f"sqlite:///{tmp_path / 'depesche.db'}"
    assert settings["REDIS_URL"] is None
    # a secret key is generated once, kept private in the data directory and reused
    key_file = tmp_path / cfg.SECRET_KEY_FILE
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert cfg.load({"DATA_DIR": str(tmp_path)}, environ={})["SECRET_KEY"] == settings["SECRET_KEY"]


def test_environment_overrides_instance_file(tmp_path):
    (tmp_path / cfg.INSTANCE_FILE).write_text(
        'SMTP_URL = "smtp://mail.example:2525"\nDEFAULT_LOCALE = "en"\n'
    )
    env = {"DEPESCHE_DATA_DIR": str(tmp_path), "DEPESCHE_DEFAULT_LOCALE": "de"}
    settings = cfg.load(environ=env)
    assert settings["SMTP_URL"] == "smtp://mail.example:2525"
    assert settings["DEFAULT_LOCALE"] == "de"


@pytest.mark.parametrize(
    ("env", "setting"),
    [
        ({"DEPESCHE_DATABASE_URL": "mysql://localhost/x"}, "DEPESCHE_DATABASE_URL"),
        ({"DEPESCHE_DATABASE_URL": "postgresql://localhost"}, "DEPESCHE_DATABASE_URL"),
        ({"DEPESCHE_DATABASE_URL": "sqlite:relative.db"}, "DEPESCHE_DATABASE_URL"),
        ({"DEPESCHE_REDIS_URL": "http://localhost"}, "DEPESCHE_REDIS_URL"),
        ({"DEPESCHE_SMTP_URL": "localhost:25"}, "DEPESCHE_SMTP_URL"),
        ({"DEPESCHE_SMTP_URL": "smtp://localhost:notaport"}, "DEPESCHE_SMTP_URL"),
        ({"DEPESCHE_SECRET_KEY": "short"}, "DEPESCHE_SECRET_KEY"),
        ({"DEPESCHE_COOKIE_SECURE": "perhaps"}, "DEPESCHE_COOKIE_SECURE"),
        ({"DEPESCHE_TRUSTED_PROXIES": "one"}, "DEPESCHE_TRUSTED_PROXIES"),
        ({"DEPESCHE_DEFAULT_LOCALE": "fr"}, "DEPESCHE_DEFAULT_LOCALE"),
        ({"DEPESCHE_DEFAULT_TIMEZONE": "Mars/Olympus"}, "DEPESCHE_DEFAULT_TIMEZONE"),
    ],
)
def test_unusable_setting_is_named(tmp_path, env, setting):
    with pytest.raises(cfg.ConfigError) as info:
        cfg.load(environ={"DEPESCHE_DATA_DIR": str(tmp_path), **env})
    assert info.value.setting == setting


def test_unwritable_data_dir_is_named(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(cfg.ConfigError) as info:
        cfg.load(environ={"DEPESCHE_DATA_DIR": str(blocker / "sub")})
    assert info.value.setting == "DEPESCHE_DATA_DIR"


def test_instance_file_typo_is_refused(tmp_path):
    (tmp_path / cfg.INSTANCE_FILE).write_text('SMTP_ULR = "smtp://x:25"\n')
    with pytest.raises(cfg.ConfigError, match="SMTP_ULR"):
        cfg.load(environ={"DEPESCHE_DATA_DIR": str(tmp_path)})


def test_broken_instance_file_is_named(tmp_path):
    (tmp_path / cfg.INSTANCE_FILE).write_text("SMTP_URL = \n")
    with pytest.raises(cfg.ConfigError, match="cannot read the instance file"):
        cfg.load(environ={"DEPESCHE_DATA_DIR": str(tmp_path)})


def test_factory_raises_config_error(tmp_path):
    with pytest.raises(cfg.ConfigError):
        create_app({"DATA_DIR": str(tmp_path), "DATABASE_URL": "oracle://x/y"})


def test_command_line_prints_one_line_not_a_traceback(tmp_path):
    env = {**os.environ, "DEPESCHE_DATA_DIR": str(tmp_path), "DEPESCHE_SMTP_URL": "bogus"}
    result = subprocess.run(
        [DEPESCHE, "init-db"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "DEPESCHE_SMTP_URL" in lines[0]
    assert "Traceback" not in result.stderr

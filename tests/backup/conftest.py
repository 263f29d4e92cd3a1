"""Fixtures for the backup tool: an instance with demo data, two throw-away repositories,
and borg confined to temporary directories (never ~/.config/borg)."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from tests.conftest import run_cli

SSHD = shutil.which("sshd") or "/usr/sbin/sshd"


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


class SshSite:
    """A throw-away sshd of the test's own on a free localhost port, with a generated host
    key and one authorised test key; borg reaches a site through it as through any other
    machine (`borg serve` runs on the far side, here the same machine)."""

    def __init__(self, directory: Path):
        from tests.mailings.workers import free_port, wait_for

        self.directory = directory
        directory.mkdir(mode=0o700)
        self.port = free_port()
        self.user = pwd.getpwuid(os.getuid()).pw_name
        host_key, client_key = directory / "host_key", directory / "client_key"
        for key in (host_key, client_key):
            subprocess.run(  # noqa: S603, S607
                ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True
            )
        (directory / "authorized_keys").write_text(client_key.with_suffix(".pub").read_text())
        host_public = " ".join(host_key.with_suffix(".pub").read_text().split()[:2])
        known_hosts = directory / "known_hosts"
        known_hosts.write_text(f"[127.0.0.1]:{self.port} {host_public}\n")
        config = directory / "sshd_config"
        config.write_text(
            f"Port {self.port}\nListenAddress 127.0.0.1\nHostKey {host_key}\n"
            f"PidFile {directory / 'sshd.pid'}\n"
            f"AuthorizedKeysFile {directory / 'authorized_keys'}\n"
            "AuthenticationMethods publickey\nPasswordAuthentication no\n"
            "KbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\n"
            "StrictModes no\nUsePAM no\nPrintMotd no\n"
        )
        self.log = directory / "sshd.log"
        with self.log.open("w") as log:
            self.process = subprocess.Popen(  # noqa: S603
                [SSHD, "-D", "-e", "-f", str(config)], stdout=log, stderr=subprocess.STDOUT
            )
        if not wait_for(self._listening, timeout=30):
            self.stop()
            raise RuntimeError(f"sshd did not start: {self.log.read_text()}")
        # what an operator puts in backup.env for a site reached over SSH (README)
        self.env = {
            "BORG_RSH": f"ssh -F /dev/null -i {client_key} -o IdentitiesOnly=yes "
            f"-o UserKnownHostsFile={known_hosts} -o StrictHostKeyChecking=yes "
            "-o BatchMode=yes -o ConnectTimeout=10"
        }

    def url(self, path: Path) -> str:
        return f"ssh://{self.user}@127.0.0.1:{self.port}{path}"

    def _listening(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
            return True
        except OSError:
            return self.process.poll() is not None  # ended: stop waiting, say why below

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


@pytest.fixture
def ssh_site(tmp_path):
    if not Path(SSHD).exists():
        pytest.skip(
            "no sshd for the SSH site test (Debian: openssh-server; `make backup-deps` "
            "installs it as root)"
        )
    if os.geteuid() == 0:
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation
    site = SshSite(tmp_path / "sshd")
    if site.process.poll() is not None:
        reason = site.log.read_text().strip()[-300:]
        if os.geteuid() != 0:
            pytest.skip(f"sshd does not run without root here: {reason}")
        raise RuntimeError(f"sshd did not start: {reason}")
    yield site
    site.stop()

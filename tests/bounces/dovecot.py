"""A throw-away Dovecot IMAP server for the bounce mailbox tests: its own configuration,
users file and maildir in a temporary directory, on a free local port, plaintext login on
127.0.0.1 only. Debian's dovecot-imapd (`make test` installs it through .ci/system-deps)."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USER, PASSWORD = "bounces@agentur.example", "Bounce-Pass!1"


def available() -> str:
    """'' when a Dovecot can be started here, else the reason it cannot."""
    if not os.path.exists(DOVECOT):
        return "dovecot is not installed (Debian package dovecot-imapd; make test installs it)"
    if not os.path.exists("/usr/lib/dovecot/imap"):
        return "dovecot's IMAP server is not installed (Debian package dovecot-imapd)"
    return ""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Dovecot:
    directory: Path
    port: int
    process: subprocess.Popen

    def url(self, folder="INBOX", user=USER, password=PASSWORD) -> str:
        from urllib.parse import quote

        return f"imap://{quote(user)}:{quote(password)}@127.0.0.1:{self.port}/{quote(folder)}"

    def client(self):
        from imapclient import IMAPClient

        client = IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=10)
        client.login(USER, PASSWORD)
        return client

    def log(self) -> str:
        path = self.directory / "dovecot.log"
        return path.read_text() if path.exists() else ""


def _config(directory: Path, port: int) -> str:
    if os.geteuid() == 0:  # as root Dovecot drops to its own users
        internal, login, mail_user = "dovecot", "dovenull", "dovecot"
        chroot = ""
    else:  # as anyone else everything runs as that user, without chroots
        internal = login = mail_user = pwd.getpwuid(os.geteuid()).pw_name
        chroot = "\n".join(
            f"service {name} {{\n  chroot =\n}}" for name in ("imap-login", "anvil", "auth")
        )
    return f"""
base_dir = {directory}/run
state_dir = {directory}/state
instance_name = depesche-test-{port}
log_path = {directory}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{directory}/mail/%n
default_internal_user = {internal}
default_login_user = {login}
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {directory}/users
}}
userdb {{
  driver = static
  args = uid={mail_user} gid={pwd.getpwnam(mail_user).pw_gid} home={directory}/mail/%n
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service stats {{
  inet_listener http {{
    port = 0
  }}
}}
{chroot}
"""


def start() -> Dovecot:
    directory = Path(tempfile.mkdtemp(prefix="depesche-dovecot-"))
    directory.chmod(0o755)  # Dovecot's unprivileged processes must reach the maildir
    for name in ("run", "state", "mail"):
        (directory / name).mkdir()
    (directory / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
    if os.geteuid() == 0:
        shutil.chown(directory / "mail", "dovecot", "dovecot")
    port = _free_port()
    (directory / "dovecot.conf").write_text(_config(directory, port))
    process = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(directory / "dovecot.conf")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    server = Dovecot(directory, port, process)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read().decode(errors="replace")
            stop(server)
            raise RuntimeError(f"dovecot did not start: {output} {server.log()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return server
        except OSError:
            time.sleep(0.1)
    stop(server)
    raise RuntimeError(f"dovecot did not listen on port {port}: {server.log()}")


def stop(server: Dovecot) -> None:
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()
    if server.process.stdout is not None:
        server.process.stdout.close()
    shutil.rmtree(server.directory, ignore_errors=True)

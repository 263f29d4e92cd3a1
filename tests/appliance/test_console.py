"""The operator console `appliance/depesche-ctl` (SPEC O3), run as a real process in a
temporary root: every system path points into tmp_path (DEPESCHE_CTL_ROOT and friends),
the operating-system tools that cannot run here (systemctl, postconf, postmap, hostnamectl,
networkctl, nginx, apt-get, journalctl, whiptail, ...) are stub scripts on PATH that log
their calls. The app (`depesche`) and the backup tool are the real ones, on the test
session's database.

Not marked `appliance`: these run in `make test`. The booted checks are in test_booted.py.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import pty
import select
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest

from tests.conftest import DEPESCHE

ROOT = Path(__file__).resolve().parents[2]
CTL = ROOT / "appliance" / "depesche-ctl"

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="depesche-ctl runs as root (it switches to the app's user)"
)

# Tools that change the machine: stubs that log their arguments (one call per line).
STUBS = {
    "systemctl": 'case "$1" in is-active) echo active ;; esac',
    "postconf": "",
    "postmap": 'touch "$1.db"',
    "postqueue": "",
    "hostnamectl": "",
    "networkctl": "",
    "nginx": "",
    "apt-get": "",
    "unattended-upgrade": "",
    "timedatectl": "",
    "certbot": "",
    "dpkg-query": "printf 'nginx\\t1.22.1-9\\npostfix\\t3.7.11-0+deb12u1\\n'",
    "journalctl": (
        "echo 'Jan 01 depesche-web[1]: sign-in failed for lena.huber@agentur.example "
        "from 203.0.113.77'\n"
        "echo 'Jan 01 depesche-worker[2]: relay said: password=Journal-Secret-77 rejected'"
    ),
}


class Console:
    def __init__(self, tmp_path: Path, env_values: dict[str, str]):
        self.root = tmp_path / "root"
        self.calls = tmp_path / "calls.log"
        stubs = tmp_path / "stubs"
        stubs.mkdir()
        for name, body in STUBS.items():
            script = stubs / name
            script.write_text(f'#!/bin/sh\necho "{name} $*" >> {self.calls}\n{body}\n')
            script.chmod(0o755)
        self.stubs = stubs
        r = self.root
        for d in ("etc/depesche", "etc/nginx/depesche", "etc/postfix", "etc/systemd/network",
                  "etc/systemd/system", "var/lib/depesche-firstboot", "var/lib/depesche",
                  "var/lib/depesche-backup", "root"):  # fmt: skip
            (r / d).mkdir(parents=True, exist_ok=True)
        self.conf = r / "etc/depesche"
        self.nginx = r / "etc/nginx/depesche"
        self.postfix = r / "etc/postfix"
        (r / "etc/hostname").write_text("depesche\n")
        (r / "etc/hosts").write_text(
            "127.0.0.1\tlocalhost\n127.0.1.1\tdepesche.localdomain depesche\n"
        )
        (r / "etc/systemd/network/80-depesche-dhcp.network").write_text(
            "[Match]\nName=en* eth*\n\n[Network]\nDHCP=yes\n"
        )
        (r / "etc/systemd/system/depesche-web.service").write_text("[Service]\nUser=depesche\n")
        (self.postfix / "main.cf").write_text("inet_interfaces = loopback-only\n")
        for name in ("app.conf", "setup-pending.conf"):
            (self.nginx / name).write_text(f"# {name}\n")
        os.symlink("setup-pending.conf", self.nginx / "mode.conf")
        (r / "var/lib/depesche-firstboot/done").touch()
        lines = [f"{k}={v}" for k, v in env_values.items()]
        (self.conf / "depesche.env").write_text("\n".join(lines) + "\n")
        self.conf.joinpath("depesche.env").chmod(0o640)
        (self.conf / "backup.env").write_text(f"DEPESCHE_PYTHON={sys.executable}\n")
        self.env = {
            "PATH": f"{stubs}:/usr/sbin:/usr/bin:/sbin:/bin",
            "LANG": "C.UTF-8",
            "HOME": str(tmp_path),
            "DEPESCHE_CTL_ROOT": str(r),
            "DEPESCHE_APP": str(ROOT),
            "DEPESCHE_APP_CLI": DEPESCHE,
            "DEPESCHE_APP_PYTHON": sys.executable,
            "DEPESCHE_APP_USER": "root",
            "DEPESCHE_BACKUP_USER": "root",
            "DEPESCHE_GROUP": "root",
            "DEPESCHE_HEALTH_URL": "http://127.0.0.1:9/healthz",
            "DEPESCHE_CTL_INSTALL": str(tmp_path / "installed-ctl"),
        }

    def run(self, *args, input=None, env=None, timeout=120):
        return subprocess.run(
            [str(CTL), *args],
            env={**self.env, **(env or {})},
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def logged(self) -> list[str]:
        return self.calls.read_text().splitlines() if self.calls.exists() else []


@pytest.fixture
def console(tmp_path, cli_env, smtp_server):
    values = {k: v for k, v in cli_env.items() if k.startswith("DEPESCHE_")}
    values["DEPESCHE_SMTP_URL"] = f"smtp://127.0.0.1:{smtp_server[0].port}"
    values["DEPESCHE_MAIL_FROM"] = '"Depesche <depesche@depesche>"'
    values["PYTHONPATH"] = str(ROOT)  # this checkout's app, as /opt/depesche is on the appliance
    return Console(tmp_path, values)


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_setup_non_interactive_writes_the_right_files(console, app, outbox):
    from app.users.models import User

    result = console.run(
        "setup", "--non-interactive", "--hostname", "Presse.Example.org",
        "--network", "static", "--interface", "ens3", "--address", "192.0.2.10/24",
        "--gateway", "192.0.2.1", "--dns", "192.0.2.53,192.0.2.54",
        "--tls", "self-signed", "--timezone", "Europe/Berlin",
        "--smtp-relay", "smtp.example.org", "--smtp-user", "relay-user",
        "--test-mail-to", "ops@example.org",
        "--admin-email", "chefin@agentur.example", "--admin-name", "Eva Chefin",
        "--skip-backups",
        env={"DEPESCHE_SETUP_SMTP_PASSWORD": "Relay-Secret-1"},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    r = console.root
    assert (r / "etc/hostname").read_text() == "presse\n"
    assert "127.0.1.1\tpresse.example.org presse" in (r / "etc/hosts").read_text()
    network = r / "etc/systemd/network/70-depesche-static.network"
    assert mode(network) == 0o644
    text = network.read_text()
    assert "Name=ens3" in text and "Address=192.0.2.10/24" in text
    assert "Gateway=192.0.2.1" in text and "DNS=192.0.2.54" in text
    # TLS: a new certificate for the new name, key readable by root only
    key, crt = console.nginx / "tls.key", console.nginx / "tls.crt"
    assert mode(key) == 0o600 and mode(crt) == 0o644
    subject = subprocess.run(
        ["openssl", "x509", "-in", crt, "-noout", "-subject", "-ext", "subjectAltName"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "presse.example.org" in subject and "DNS:presse" in subject
    assert os.readlink(r / "etc/localtime") == "/usr/share/zoneinfo/Europe/Berlin"
    assert (r / "etc/timezone").read_text() == "Europe/Berlin\n"
    # the relay: credentials only in a 0600 file, TLS enforced with a password
    sasl = console.postfix / "sasl_passwd"
    assert mode(sasl) == 0o600
    assert sasl.read_text() == "[smtp.example.org]:587 relay-user:Relay-Secret-1\n"
    calls = console.logged()
    assert "postconf -e relayhost=[smtp.example.org]:587" in calls
    assert "postconf -e smtp_tls_security_level=encrypt" in calls
    assert f"postmap {sasl}" in calls
    assert "hostnamectl set-hostname presse" in calls
    assert "postconf -e myhostname=presse.example.org" in calls
    assert "networkctl reload" in calls
    assert "Relay-Secret-1" not in result.stdout + result.stderr
    # the test message went through the app's system-mail path
    assert [m["To"] for m in outbox] == ["ops@example.org"]
    env = console.conf / "depesche.env"
    assert mode(env) == 0o640
    assert 'DEPESCHE_MAIL_FROM="Depesche <depesche@presse.example.org>"' in env.read_text()
    # the first administrator, with a one-time password shown once
    assert "One-time password (shown once): " in result.stdout
    with app.app_context():
        user = User.get(User.email == "chefin@agentur.example")
        assert user.is_administrator and user.must_change_password
    # the web app is let out
    assert os.readlink(console.nginx / "mode.conf") == "app.conf"
    assert "systemctl restart nginx.service" in calls
    assert "backup sites skipped" in result.stdout


def test_setup_asks_and_asks_again_after_bad_answers(console, app):
    from app.users.models import User

    answers = [
        "presse.example.org",  # host name
        "",  # network: keep
        "",  # TLS: self-signed (the name changed)
        "Mars/Olymp",  # time zone: refused, asked again
        "Europe/Vienna",
        "",  # relay: none
        "",  # no test message
        "kein-at",  # administrator: refused, asked again
        "chefin@agentur.example",
        "Eva Chefin",
        "",  # backup site A: skipped
    ]
    result = console.run("setup", input="\n".join(answers) + "\n")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "unknown time zone 'Mars/Olymp'" in result.stderr
    assert "invalid e-mail address 'kein-at'" in result.stderr
    assert "Time zone [Etc/UTC]: " in result.stdout
    assert (console.root / "etc/timezone").read_text() == "Europe/Vienna\n"
    assert (console.postfix / "sasl_passwd").read_text() == ""
    assert "postconf -e relayhost=" in console.logged()
    assert not (console.root / "etc/systemd/network/70-depesche-static.network").exists()
    with app.app_context():
        assert User.get(User.email == "chefin@agentur.example").name == "Eva Chefin"
    assert os.readlink(console.nginx / "mode.conf") == "app.conf"


def test_setup_with_backup_sites_exports_the_keys(console, app, tmp_path):
    args = [
        "setup", "--non-interactive", "--admin-email", "chefin@agentur.example",
        "--backup-site-a", str(tmp_path / "site-a" / "repo"),
        "--backup-site-b", str(tmp_path / "site-b" / "repo"),
    ]  # fmt: skip
    # without the acknowledgement nothing happens at all
    refused = console.run(*args)
    assert refused.returncode == 2
    assert "--acknowledge-keys" in refused.stderr
    assert os.readlink(console.nginx / "mode.conf") == "setup-pending.conf"
    assert not (console.conf / "backup-passphrase").exists()

    env = {"DEPESCHE_BACKUP_HOME": str(tmp_path / "backup-home")}
    result = console.run(*args, "--acknowledge-keys", env=env, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    backup_env = (console.conf / "backup.env").read_text()
    assert f"DEPESCHE_BACKUP_SITE_A={tmp_path}/site-a/repo" in backup_env
    passphrase = console.conf / "backup-passphrase"
    assert mode(passphrase) == 0o400
    assert passphrase.read_text().strip() in result.stdout  # shown once, to be stored away
    keys = console.root / "root" / "depesche-backup-keys"
    assert mode(keys) == 0o700
    exported = sorted(p.name for p in keys.iterdir())
    assert exported == ["depesche-site-A.borg-key", "depesche-site-B.borg-key"]
    assert all(mode(p) == 0o600 for p in keys.iterdir())
    assert "BORG_KEY" in (keys / "depesche-site-A.borg-key").read_text()
    assert (console.root / "var/lib/depesche-ctl/backup-keys-acknowledged").exists()
    assert os.readlink(console.nginx / "mode.conf") == "app.conf"


def _key_pair(directory: Path, name: str) -> tuple[Path, Path]:
    key, crt = directory / f"{name}.key", directory / f"{name}.crt"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-days", "30", "-subj", f"/CN={name}.example.org",
         "-keyout", key, "-out", crt],
        capture_output=True, check=True,
    )  # fmt: skip
    return crt, key


def test_tls_own_certificate_must_match_its_key(console, tmp_path):
    crt1, key1 = _key_pair(tmp_path, "one")
    crt2, key2 = _key_pair(tmp_path, "two")
    (console.nginx / "tls.crt").write_text("old certificate")
    refused = console.run("tls", "install", str(crt1), str(key2))
    assert refused.returncode == 2
    assert "do not belong together: nothing was changed" in refused.stderr
    assert (console.nginx / "tls.crt").read_text() == "old certificate"
    assert not any(c.startswith("nginx") for c in console.logged())
    german = console.run("tls", "install", str(crt1), str(key2), env={"LANG": "de_DE.UTF-8"})
    assert "gehören nicht zusammen" in german.stderr
    not_a_key = console.run("tls", "install", str(crt1), str(crt2))
    assert not_a_key.returncode == 2 and "no unencrypted PEM private key" in not_a_key.stderr

    installed = console.run("tls", "install", str(crt1), str(key1))
    assert installed.returncode == 0, installed.stderr
    assert (console.nginx / "tls.crt").read_text() == crt1.read_text()
    assert mode(console.nginx / "tls.key") == 0o600
    assert console.logged()[-2:] == ["nginx -t -q", "systemctl reload-or-restart nginx.service"]
    shown = console.run("tls", "show")
    assert "one.example.org" in shown.stdout


SECRETS = {
    "secret_key": "SecretKey-4b1f9c0e7d",
    "db_password": "DbPass-77aa31",
    "redis_password": "RedisPass-0c9d",
    "smtp_password": "Relay-Secret-1",
    "passphrase": "Borg-Passphrase-19",
    "tls_key_marker": "PRIVATE KEY",
    "email": "lena.huber@agentur.example",
    "client_ip": "203.0.113.77",
    "journal_password": "Journal-Secret-77",
}


def test_support_bundle_contains_no_secret_or_personal_data(console, tmp_path):
    s = SECRETS
    (console.conf / "depesche.env").write_text(
        "DEPESCHE_DATA_DIR=/var/lib/depesche\n"
        f"DEPESCHE_DATABASE_URL=postgresql://depesche:{s['db_password']}@127.0.0.1:5432/depesche\n"
        f"DEPESCHE_REDIS_URL=redis://:{s['redis_password']}@127.0.0.1:6379/0\n"
        f"DEPESCHE_SECRET_KEY={s['secret_key']}\n"
        'DEPESCHE_MAIL_FROM="Depesche <depesche@presse.example.org>"\n'
    )
    (console.conf / "backup.env").write_text(
        f"DEPESCHE_PYTHON={sys.executable}\nDEPESCHE_BACKUP_SITE_A=/srv/backup/a\n"
        f"DEPESCHE_DATABASE_URL=postgresql://depesche:{s['db_password']}@127.0.0.1/depesche\n"
        f"BORG_PASSPHRASE={s['passphrase']}\n"
    )
    (console.conf / "backup-passphrase").write_text(s["passphrase"] + "\n")
    (console.postfix / "sasl_passwd").write_text(f"[smtp.example.org]:587 u:{s['smtp_password']}\n")
    _key_pair(tmp_path, "bundle")
    (console.nginx / "tls.crt").write_text((tmp_path / "bundle.crt").read_text())
    (console.nginx / "tls.key").write_text((tmp_path / "bundle.key").read_text())
    (console.root / "var/lib/depesche/depesche.db").write_text("the database")
    out = tmp_path / "bundle.tar.gz"
    result = console.run("support-bundle", "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert mode(out) == 0o600
    with tarfile.open(out) as tar:
        members = {m.name.split("/", 1)[1]: tar.extractfile(m).read().decode() for m in tar}
    assert {
        "status.txt", "journal.txt", "versions.txt", "tls-certificate.txt",
        "etc/depesche/depesche.env", "etc/depesche/backup.env", "etc/postfix/main.cf",
        "etc/nginx/depesche/app.conf", "etc/systemd/system/depesche-web.service",
    } <= set(members)  # fmt: skip
    assert not any("sasl" in n or n.endswith((".key", ".db")) for n in members)
    everything = "\n".join(members.values())
    for name, secret in SECRETS.items():
        assert secret not in everything, name
    # what support needs is still there
    env = members["etc/depesche/depesche.env"]
    assert "DEPESCHE_SECRET_KEY=***" in env
    assert "postgresql://depesche:***@127.0.0.1:5432/depesche" in env
    assert "sign-in failed for <e-mail> from <ip>" in members["journal.txt"]
    assert "Services" in members["status.txt"] and "nginx\t1.22.1-9" in members["versions.txt"]
    assert "bundle.example.org" in members["tls-certificate.txt"]


def test_admin_reset_gives_a_new_password_and_removes_the_second_factor(console, app):
    from app.auth.passwords import verify_password
    from app.users.models import User
    from tests import factories

    with app.app_context():
        user, old_password = factories.user(role="administrator")
        assert user.second_factor == "totp"
    result = console.run("admin-reset", user.email.upper())
    assert result.returncode == 0, result.stdout + result.stderr
    line = next(x for x in result.stdout.splitlines() if "one-time password" in x)
    one_time = line.rsplit(": ", 1)[1]
    assert "second factor was removed" in result.stdout
    with app.app_context():
        changed = User.get_by_id(user.id)
        assert changed.second_factor is None and changed.must_change_password
        assert verify_password(changed.password_hash, one_time)
        assert not verify_password(changed.password_hash, old_password)

    unknown = console.run("admin-reset", "niemand@agentur.example")
    assert unknown.returncode == 1
    assert "no user with the e-mail address niemand@agentur.example" in unknown.stderr
    bad = console.run("admin-reset", "kein-at-zeichen")
    assert bad.returncode == 2 and "invalid e-mail address 'kein-at-zeichen'" in bad.stderr


def test_update_refuses_when_the_backup_fails(console, tmp_path):
    tarball = tmp_path / "depesche-new.tar.gz"
    with tarfile.open(tarball, "w:gz") as tar:
        tar.add(ROOT / "pyproject.toml", "depesche/pyproject.toml")
    with (console.conf / "backup.env").open("a") as f:
        f.write("DEPESCHE_BACKUP_SITE_A=/dev/null/no-such-site\n")
    result = console.run(
        "update", "--tarball", str(tarball),
        env={"DEPESCHE_BACKUP_HOME": str(tmp_path / "backup-home")},
    )  # fmt: skip
    assert result.returncode == 1
    assert "no update without a backup. Nothing was changed." in result.stderr
    calls = console.logged()
    assert not any(c.startswith(("apt-get", "unattended-upgrade", "systemctl")) for c in calls)
    missing = console.run("update", "--tarball", str(tmp_path / "nope.tar.gz"))
    assert missing.returncode == 2 and "does not exist" in missing.stderr


@pytest.mark.parametrize(
    ("args", "lang", "message"),
    [
        (["frobnicate"], "C.UTF-8", "unknown command: frobnicate"),
        (["frobnicate"], "de_DE.UTF-8", "unbekannter Befehl: frobnicate"),
        (["setup", "--non-interactive", "--hostname", "bad_host!"], "C.UTF-8",
         "invalid host name 'bad_host!'"),
        (["setup", "--non-interactive", "--hostname", "presse..example"], "de_DE.UTF-8",
         "ungültiger Hostname"),
        (["setup", "--non-interactive", "--admin-email", "kein-at"], "C.UTF-8",
         "invalid e-mail address 'kein-at'"),
        (["setup", "--non-interactive"], "C.UTF-8", "--admin-email is required"),
        (["setup", "--non-interactive", "--admin-email", "a@b.example", "--timezone", "Mars/Olymp",
          "--skip-backups"], "C.UTF-8", "unknown time zone 'Mars/Olymp'"),
        (["setup", "--non-interactive", "--admin-email", "a@b.example", "--network", "static",
          "--address", "192.0.2.10/24", "--gateway", "198.51.100.1", "--skip-backups"],
         "C.UTF-8", "gateway 198.51.100.1 is not in 192.0.2.0/24"),
        (["smtp", "test", "nobody"], "C.UTF-8", "invalid e-mail address 'nobody'"),
        (["admin-reset"], "C.UTF-8", "the following arguments are required: email"),
    ],
)  # fmt: skip
def test_bad_input_is_refused_with_exit_status_two(console, args, lang, message):
    before = (console.root / "etc/hostname").read_text()
    result = console.run(*args, env={"LANG": lang})
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert (console.root / "etc/hostname").read_text() == before
    assert console.logged() == []


def test_notice_goes_to_the_app(console, app):
    posted = console.run("notice", "post", "Wartung heute ab 22 Uhr", "--level", "warning")
    assert posted.returncode == 0, posted.stderr
    listed = console.run("notice", "list")
    assert "warning" in listed.stdout and "Wartung heute ab 22 Uhr" in listed.stdout
    assert console.run("notice").returncode == 2


def _load_ctl():
    loader = importlib.machinery.SourceFileLoader("depesche_ctl", str(CTL))
    spec = importlib.util.spec_from_loader("depesche_ctl", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def test_menu_entries_dispatch_to_valid_subcommands():
    ctl = _load_ctl()
    answers = {
        "p_cert": "/etc/c.pem", "p_key": "/etc/k.pem", "p_acme_domain": "presse.example.org",
        "p_relay": "smtp.example.org:587", "p_smtp_user": "relay", "p_test_to": "a@b.example",
        "p_admin_email": "a@b.example", "p_notice": "Wartung", "p_notice_id": "3",
        "p_unit": "", "p_tarball": "", "p_backup_args": "restore latest --site B",
    }  # fmt: skip
    for tag in ctl.MENU:
        assert tag in ("language", "quit") or ctl.MESSAGES["m_" + tag]
        if tag in ("language", "quit"):
            continue
        argv = ctl.menu_command(tag, answers.get)
        assert argv, tag
        ctl.parser().parse_args(argv)  # raises UsageError for anything the console refuses
    assert ctl.menu_command("smtp_set", answers.get) == [
        "smtp", "set", "smtp.example.org:587", "--user", "relay"
    ]  # fmt: skip
    assert ctl.menu_command("backup_other", answers.get) == [
        "backup", "restore", "latest", "--site", "B"
    ]  # fmt: skip
    assert ctl.menu_command("admin_reset", lambda key: None) is None  # cancelled
    assert ctl.menu_command("notice_post", lambda key: "") is None  # nothing entered


def test_menu_runs_the_chosen_subcommand_in_german(console, tmp_path):
    """whiptail is a stub here (no terminal): it answers 'tls_show', then 'quit', and logs
    the menu it was asked to draw."""
    crt, key = _key_pair(tmp_path, "menu")
    (console.nginx / "tls.crt").write_text(crt.read_text())
    answers = tmp_path / "answers"
    answers.write_text("tls_show\nquit\n")
    stub = console.stubs / "whiptail"
    stub.write_text(
        f'#!/bin/sh\necho "whiptail $*" >> {console.calls}\n'
        f"head -n 1 {answers} >&2\nsed -i 1d {answers}\n"
    )
    stub.chmod(0o755)
    result = console.run("menu", env={"LANG": "de_DE.UTF-8"}, input="")
    assert result.returncode == 0, result.stderr
    assert "menu.example.org" in result.stdout  # the output of `tls show`
    menus = [c for c in console.logged() if c.startswith("whiptail")]
    assert len(menus) == 2
    assert "Zustand der Appliance" in menus[0] and "Einrichtungsassistent" in menus[0]


@pytest.mark.skipif(shutil.which("whiptail") is None, reason="Debian package whiptail")
def test_menu_draws_with_the_real_whiptail_and_runs_a_choice(console, tmp_path):
    """In a pseudo-terminal: the German menu, two steps down to "TLS: show", Enter, the
    certificate's subject, Enter back to the menu, Escape leaves."""
    crt, _ = _key_pair(tmp_path, "pty")
    (console.nginx / "tls.crt").write_text(crt.read_text())
    pid, fd = pty.fork()
    if pid == 0:  # the child: depesche-ctl menu on the terminal
        env = {**console.env, "LANG": "de_DE.UTF-8", "TERM": "xterm"}
        try:
            os.execve(str(CTL), [str(CTL), "menu"], env)  # noqa: S606
        finally:
            os._exit(127)

    def read_until(marker: bytes, seconds=30) -> bytes:
        out, end = b"", time.monotonic() + seconds
        while marker not in out and time.monotonic() < end:
            if select.select([fd], [], [], 0.5)[0]:
                try:
                    out += os.read(fd, 65536)
                except OSError:
                    break
        return out

    try:
        assert b"Einrichtungsassistent" in read_until(b"Einrichtungsassistent")
        os.write(fd, b"\x1b[B\x1b[B\r")  # down, down, Enter: "TLS: Zertifikat anzeigen"
        shown = read_until(b"Enter: zur")
        assert b"pty.example.org" in shown
        os.write(fd, b"\r")
        read_until(b"Einrichtungsassistent")
        os.write(fd, b"\x1b")
        time.sleep(0.5)
        os.write(fd, b"\x1b")
        _, status = os.waitpid(pid, 0)
    finally:
        os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0


def test_smtp_test_reports_a_refusing_relay(console):
    env_file = console.conf / "depesche.env"
    env_file.write_text(env_file.read_text() + "DEPESCHE_SMTP_URL=smtp://127.0.0.1:9\n")
    result = console.run("smtp", "test", "ops@example.org")
    assert result.returncode == 1
    assert "the test message failed: " in result.stderr
    assert "the mail relay refused the test message" in result.stderr

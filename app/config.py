"""Configuration: defaults, then the instance file, then DEPESCHE_* environment variables.

Every setting that can be wrong is checked here, once, at start-up. A bad value raises
`ConfigError`, which names the setting; the command line prints it as one line and exits,
so an operator never has to read a traceback to find a typo in a setting.
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
INSTANCE_FILE = "depesche.toml"
SECRET_KEY_FILE = "secret_key"  # noqa: S105 (a file name)

# Settings an operator may set in the environment (DEPESCHE_<NAME>) or the instance file
# (<NAME> = value). Anything else in the instance file is refused as a typo.
ENV_SETTINGS = {
    "SECRET_KEY": str,
    "DATABASE_URL": str,
    "REDIS_URL": str,
    "DATA_DIR": str,
    "SMTP_URL": str,
    "MAIL_FROM": str,
    "COOKIE_SECURE": bool,
    "DEFAULT_LOCALE": str,
    "DEFAULT_TIMEZONE": str,
    "TRUSTED_PROXIES": int,
    "QUEUE_NAME": str,
    # Sender domains (SPEC M1): what SPF must allow, and where the DNS check asks.
    "SENDING_IPS": str,
    "SPF_INCLUDE": str,
    "DNS_NAMESERVERS": str,
    "DNS_PORT": int,
    "IMPORT_MAX_ROWS": int,
    # Mailings (SPEC M4, M7): the address the app is reached at (unsubscribe links in
    # messages), and the domain of the VERP return paths (bounces+TOKEN@BOUNCE_DOMAIN).
    "PUBLIC_URL": str,
    "BOUNCE_DOMAIN": str,
    "DISPATCH_BATCH": int,
    "DISPATCH_CONNECTIONS": int,
    # Bounce mailbox (SPEC M7), read every few minutes when set:
    # imaps://USER:PASSWORD@HOST:993/FOLDER (or imap+starttls://, or imap:// on localhost);
    # processed messages are moved to BOUNCE_IMAP_DONE_FOLDER, or deleted when it is empty.
    "BOUNCE_IMAP_URL": str,
    "BOUNCE_IMAP_DONE_FOLDER": str,
}

DEFAULTS = {
    "SECRET_KEY": None,
    "DATABASE_URL": None,  # None: SQLite file in DATA_DIR
    "REDIS_URL": None,  # None: huey on SQLite in DATA_DIR
    "DATA_DIR": "./instance",
    "SMTP_URL": "smtp://127.0.0.1:25",
    "MAIL_FROM": "Depesche <depesche@localhost>",
    "COOKIE_SECURE": False,
    "DEFAULT_LOCALE": "de",
    "DEFAULT_TIMEZONE": "Europe/Berlin",
    "TRUSTED_PROXIES": 0,
    "HUEY_IMMEDIATE": False,
    "QUEUE_NAME": "depesche",  # several installations may share one Redis
    "IMPORT_MAX_ROWS": 200_000,  # rows of one imported sheet (memory: about 1 KB per row)
    "LANGUAGES": ("de", "en"),
    "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
    # Sign-in, code and reset requests per source address (slows password spraying).
    "AUTH_RATE_LIMIT": "10 per minute; 100 per hour",
    # The public addresses mail leaves from (comma-separated), and/or the relay's SPF domain
    # to include; the SPF suggestion of a sender domain is built from them.
    "SENDING_IPS": "",
    "SPF_INCLUDE": "",
    # Empty: the system's resolvers (/etc/resolv.conf). Tests point it at a local server.
    "DNS_NAMESERVERS": "",
    "DNS_PORT": 53,
    "DNS_LIFETIME": 3.0,  # seconds for all lookups of one domain check together
    "PUBLIC_URL": "http://localhost:5000",
    "BOUNCE_DOMAIN": "",  # empty: each sender's own domain
    "BOUNCE_IMAP_URL": "",  # empty: bounces come only through `depesche bounces pipe`
    "BOUNCE_IMAP_DONE_FOLDER": "",
    "BOUNCE_IMAP_TIMEOUT": 30.0,
    "BOUNCE_FETCH_MAX": 500,  # messages read per run
    # Dispatch (SPEC M4): recipients per batch task, and the retries of a recipient whose
    # message the relay deferred (4xx, connection lost): base × 2^(attempt-1), at most an
    # hour apart, until MAX_ATTEMPTS; then the recipient counts as failed.
    "DISPATCH_BATCH": 1000,
    "DISPATCH_CONNECTIONS": 4,  # to the relay at once, each in its own thread
    "DISPATCH_RETRY_BASE": 60.0,
    "DISPATCH_MAX_ATTEMPTS": 8,
    "DISPATCH_SMTP_TIMEOUT": 60.0,
}

TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off", ""}


class ConfigError(Exception):
    """A setting is missing or unusable; `setting` names it as the operator writes it."""

    def __init__(self, setting: str, message: str):
        super().__init__(f"{setting}: {message}")
        self.setting = setting


def _coerce(name: str, kind: type, value):
    setting = f"DEPESCHE_{name}"
    if kind is bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in TRUE:
            return True
        if text in FALSE:
            return False
        raise ConfigError(setting, f"expected yes or no, got {value!r}")
    if kind is int:
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ConfigError(setting, f"expected a whole number, got {value!r}") from None
    return str(value)


def _read_instance_file(path: Path) -> dict:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(str(path), f"cannot read the instance file ({exc})") from None
    unknown = sorted(set(data) - set(ENV_SETTINGS))
    if unknown:
        raise ConfigError(str(path), f"unknown setting {unknown[0]!r}")
    return {k: _coerce(k, ENV_SETTINGS[k], v) for k, v in data.items()}


def load(overrides: dict | None = None, environ=None) -> dict:
    """Return the checked configuration as a dict for `app.config.update`."""
    environ = os.environ if environ is None else environ
    overrides = dict(overrides or {})
    config = dict(DEFAULTS)

    env = {
        k: _coerce(k, kind, environ[f"DEPESCHE_{k}"])
        for k, kind in ENV_SETTINGS.items()
        if f"DEPESCHE_{k}" in environ
    }
    # The data directory decides where the instance file is, so it is resolved first.
    data_dir = overrides.get("DATA_DIR") or env.get("DATA_DIR") or config["DATA_DIR"]
    config["DATA_DIR"] = str(_prepare_data_dir(data_dir))
    config.update(_read_instance_file(Path(config["DATA_DIR"]) / INSTANCE_FILE))
    config.update(env)
    config.update(overrides)
    config["DATA_DIR"] = str(_prepare_data_dir(config["DATA_DIR"]))
    _check(config)
    return config


def _prepare_data_dir(value) -> Path:
    path = Path(value).expanduser()
    if not path.is_absolute():
        path = Path.cwd() / path
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError("DEPESCHE_DATA_DIR", f"cannot create {path} ({exc.strerror})") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise ConfigError("DEPESCHE_DATA_DIR", f"{path} is not writable")
    return path.resolve()


def _check(config: dict) -> None:
    data_dir = Path(config["DATA_DIR"])
    config["SECRET_KEY"] = config["SECRET_KEY"] or _stored_secret_key(data_dir)
    if len(config["SECRET_KEY"]) < 32:
        raise ConfigError("DEPESCHE_SECRET_KEY", "must be at least 32 characters long")

    url = config["DATABASE_URL"] or f"sqlite:///{data_dir / 'depesche.db'}"
    scheme = urlsplit(url).scheme
    if scheme not in ("sqlite", "postgresql", "postgres"):
        raise ConfigError(
            "DEPESCHE_DATABASE_URL",
            f"unsupported scheme {scheme!r}; use sqlite:///PATH or postgresql://USER@HOST/NAME",
        )
    if scheme == "sqlite" and not url.startswith("sqlite:///"):
        raise ConfigError("DEPESCHE_DATABASE_URL", "a SQLite URL needs a path: sqlite:///PATH")
    if scheme != "sqlite" and not urlsplit(url).path.strip("/"):
        raise ConfigError("DEPESCHE_DATABASE_URL", "names no database (postgresql://HOST/NAME)")
    config["DATABASE_URL"] = url

    if config["REDIS_URL"]:
        parts = urlsplit(config["REDIS_URL"])
        if parts.scheme not in ("redis", "rediss", "unix") or not (parts.hostname or parts.path):
            raise ConfigError("DEPESCHE_REDIS_URL", "expected redis://HOST:PORT/DB")

    smtp = urlsplit(config["SMTP_URL"])
    try:
        port = smtp.port
    except ValueError:
        port = -1
    if smtp.scheme not in ("smtp", "smtps", "smtp+starttls") or not smtp.hostname or port == -1:
        raise ConfigError(
            "DEPESCHE_SMTP_URL", "expected smtp://HOST:PORT (or smtps://, smtp+starttls://)"
        )

    if config["DEFAULT_LOCALE"] not in config["LANGUAGES"]:
        raise ConfigError(
            "DEPESCHE_DEFAULT_LOCALE", f"must be one of {', '.join(config['LANGUAGES'])}"
        )
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(config["DEFAULT_TIMEZONE"])
    except Exception:
        raise ConfigError("DEPESCHE_DEFAULT_TIMEZONE", "unknown time zone") from None
    if config["TRUSTED_PROXIES"] < 0:
        raise ConfigError("DEPESCHE_TRUSTED_PROXIES", "must not be negative")
    _check_sending(config)
    _check_mailings(config)


HOSTNAME_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9_]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def _ip_list(config: dict, name: str) -> None:
    for value in filter(None, (v.strip() for v in config[name].split(","))):
        try:
            ipaddress.ip_address(value)
        except ValueError:
            raise ConfigError(f"DEPESCHE_{name}", f"{value!r} is not an IP address") from None


def _check_sending(config: dict) -> None:
    _ip_list(config, "SENDING_IPS")
    _ip_list(config, "DNS_NAMESERVERS")
    include = config["SPF_INCLUDE"].strip().lower()
    if include and not HOSTNAME_RE.match(include):
        raise ConfigError("DEPESCHE_SPF_INCLUDE", f"{include!r} is not a domain name")
    if not 0 < config["DNS_PORT"] < 65536:
        raise ConfigError("DEPESCHE_DNS_PORT", "expected a port between 1 and 65535")


def _check_mailings(config: dict) -> None:
    url = config["PUBLIC_URL"].strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
        raise ConfigError("DEPESCHE_PUBLIC_URL", "expected https://HOST (or http://HOST:PORT)")
    config["PUBLIC_URL"] = url
    domain = config["BOUNCE_DOMAIN"].strip().lower()
    if domain and not HOSTNAME_RE.match(domain):
        raise ConfigError("DEPESCHE_BOUNCE_DOMAIN", f"{domain!r} is not a domain name")
    config["BOUNCE_DOMAIN"] = domain
    if not 1 <= config["DISPATCH_BATCH"] <= 10_000:
        raise ConfigError("DEPESCHE_DISPATCH_BATCH", "expected 1 to 10000 recipients per batch")
    if not 1 <= config["DISPATCH_CONNECTIONS"] <= 16:
        raise ConfigError("DEPESCHE_DISPATCH_CONNECTIONS", "expected 1 to 16 connections")
    _check_bounce_mailbox(config)


IMAP_SCHEMES = {"imap": 143, "imap+starttls": 143, "imaps": 993}
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


def _check_bounce_mailbox(config: dict) -> None:
    url = config["BOUNCE_IMAP_URL"].strip()
    config["BOUNCE_IMAP_URL"] = url
    config["BOUNCE_IMAP_DONE_FOLDER"] = config["BOUNCE_IMAP_DONE_FOLDER"].strip()
    if not url:
        return
    expected = "expected imaps://USER:PASSWORD@HOST:993/FOLDER (or imap+starttls://)"
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 (raises for a port that is no number)
    except ValueError:
        raise ConfigError("DEPESCHE_BOUNCE_IMAP_URL", expected) from None
    if parts.scheme not in IMAP_SCHEMES or not parts.hostname:
        raise ConfigError("DEPESCHE_BOUNCE_IMAP_URL", expected)
    if not parts.username or not parts.password:
        raise ConfigError("DEPESCHE_BOUNCE_IMAP_URL", "names no user and password")
    if parts.scheme == "imap" and parts.hostname not in LOCAL_HOSTS:
        raise ConfigError(
            "DEPESCHE_BOUNCE_IMAP_URL",
            "imap:// sends the password in clear: only for localhost; use imaps:// or "
            "imap+starttls://",
        )


def _stored_secret_key(data_dir: Path) -> str:
    """Read the secret key kept in the data directory, creating it on first start.

    The embedded default must run without any setting; production sets
    DEPESCHE_SECRET_KEY so that several machines share one key.
    """
    path = data_dir / SECRET_KEY_FILE
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    key = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process started at the same moment and won
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key + "\n")
    return key

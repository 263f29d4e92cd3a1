"""The bounce mailbox (SPEC M7): read the messages of one IMAP folder, hand each to
`services.intake`, then move it to the done folder or delete it. A message whose intake
fails (the database is away) stays where it is and is read again next time."""

from __future__ import annotations

import logging
import ssl
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from flask import current_app
from imapclient import IMAPClient

from app.bounces import services

log = logging.getLogger(__name__)
BATCH = 25  # messages fetched per IMAP command


class MailboxError(RuntimeError):
    """The mailbox cannot be read (connection, sign-in, folder); the message says why."""


@dataclass
class FetchResult:
    read: int = 0
    outcomes: dict = field(default_factory=dict)  # outcome → count
    failed: int = 0  # left in the mailbox for the next run
    left: int = 0  # beyond this run's maximum

    def summary(self) -> str:
        counts = [f"{k}={v}" for k, v in sorted(self.outcomes.items())]
        parts = [f"read={self.read}", *counts, f"failed={self.failed}", f"left={self.left}"]
        return " ".join(parts)


def _connect(url: str, timeout: float) -> tuple[IMAPClient, str]:
    parts = urlsplit(url)
    scheme = parts.scheme
    port = parts.port or (993 if scheme == "imaps" else 143)
    context = ssl.create_default_context()
    client = IMAPClient(
        parts.hostname, port=port, ssl=scheme == "imaps", ssl_context=context, timeout=timeout
    )
    if scheme == "imap+starttls":
        client.starttls(context)
    client.login(unquote(parts.username or ""), unquote(parts.password or ""))
    folder = unquote(parts.path.lstrip("/")) or "INBOX"
    return client, folder


def fetch(url: str | None = None, done_folder: str | None = None, limit: int | None = None):
    """Read the bounce mailbox once; returns a FetchResult. MailboxError when the mailbox
    cannot be reached or opened."""
    config = current_app.config
    url = url or config["BOUNCE_IMAP_URL"]
    if not url:
        raise MailboxError("no bounce mailbox configured (DEPESCHE_BOUNCE_IMAP_URL)")
    done_folder = config["BOUNCE_IMAP_DONE_FOLDER"] if done_folder is None else done_folder
    limit = limit or config["BOUNCE_FETCH_MAX"]
    try:
        client, folder = _connect(url, config["BOUNCE_IMAP_TIMEOUT"])
    except (OSError, IMAPClient.Error) as exc:
        raise MailboxError(f"cannot sign in to the bounce mailbox: {exc}") from None
    result = FetchResult()
    try:
        try:
            client.select_folder(folder)
            if done_folder and not client.folder_exists(done_folder):
                client.create_folder(done_folder)
        except IMAPClient.Error as exc:
            raise MailboxError(f"cannot open the folder {folder!r}: {exc}") from None
        uids = sorted(client.search(["NOT", "DELETED"]))
        result.left = max(0, len(uids) - limit)
        uids = uids[:limit]
        for start in range(0, len(uids), BATCH):
            _batch(client, uids[start : start + BATCH], done_folder, result)
        if not done_folder or not client.has_capability("MOVE"):
            client.expunge()
    finally:
        try:
            client.logout()
        except Exception:  # noqa: BLE001 (the connection may be gone already)
            log.debug("IMAP logout failed", exc_info=True)
    return result


def _batch(client: IMAPClient, uids: list, done_folder: str, result: FetchResult) -> None:
    done = []
    for uid, data in client.fetch(uids, ["BODY.PEEK[]"]).items():
        raw = data.get(b"BODY[]") or b""
        result.read += 1
        try:
            outcome = services.intake(raw, None, source="imap")
        except Exception:  # the database is away, or worse: leave it for the next run
            log.exception("bounce intake failed; the message stays in the mailbox")
            result.failed += 1
            continue
        result.outcomes[outcome.outcome] = result.outcomes.get(outcome.outcome, 0) + 1
        done.append(uid)
    if not done:
        return
    if done_folder:
        if client.has_capability("MOVE"):
            client.move(done, done_folder)
            return
        client.copy(done, done_folder)
    client.delete_messages(done)

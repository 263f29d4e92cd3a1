"""Dispatch of mailings (SPEC M4, M5): from the confirmed pre-send check to the relay.

Confirming writes one `MailingRecipient` row per recipient (state "queued") and starts a
chain of batch tasks. A batch holds the relay lease (one batch at a time, so the relay's
rate limits hold across worker threads), takes the due recipients in order, and for each:

    build and sign the message
    commit: the previous recipient's outcome, and this recipient "sending"
    SMTP transaction (pipelined where the relay offers it)
    → its outcome is committed with the next recipient's "sending" (or at the batch's end)

so every message costs one commit, and a worker killed at any moment leaves at most the
one recipient whose transaction was open in "sending". When the consumer starts again,
`recover` marks such recipients "uncertain" — the relay may have taken their message, so
they are reported, never sent twice — and resumes every unfinished mailing.

Deferrals (4xx, a lost connection) retry with exponential back-off; 5xx is final. A
premium mailing's batches go first: huey's priority orders the queue, and a standard
batch that finds a premium mailing waiting steps aside before it takes the lease.
"""

from __future__ import annotations

import datetime
import json
import logging
import queue
import secrets
import threading
import time
import weakref
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from peewee import SqliteDatabase, fn

from app.clock import utcnow
from app.contacts.models import Outlet, Person, PersonOutlet
from app.crypto import keyed_hash
from app.extensions import PRIORITY_PREMIUM, PRIORITY_STANDARD, db
from app.mail import tls_context
from app.mailings.content import values_for
from app.mailings.message import MessageTemplate
from app.mailings.models import PENDING, DispatchLease, Mailing, MailingRecipient
from app.mailings.relay import Relay, RelayUnavailable
from app.mailings.services import MailingError

log = logging.getLogger(__name__)

LEASE = "relay"
LEASE_TTL = timedelta(seconds=120)
HEARTBEAT = 20  # seconds between heartbeats (and lease renewals) within a batch
BATCH_SECONDS = 30  # a batch ends after this long, so premium mailings get their turn
STALLED = timedelta(minutes=3)  # a chain this late is assumed lost and restarted
YIELD = timedelta(seconds=2)  # a standard batch that stepped aside tries again after this
MAX_BACKOFF = 3600.0
UNSUBSCRIBE = "unsubscribe"


# -- links and addresses ------------------------------------------------------------


def unsubscribe_signature(token: str) -> str:
    return keyed_hash(UNSUBSCRIBE, token)[:32]


def unsubscribe_url(token: str) -> str:
    base = current_app.config["PUBLIC_URL"]
    return f"{base}/u/{token}/{unsubscribe_signature(token)}"


def return_path(token: str, sender_address: str) -> str:
    """The VERP return path of one recipient's message: bounces+TOKEN@BOUNCE_DOMAIN."""
    domain = current_app.config["BOUNCE_DOMAIN"] or sender_address.rpartition("@")[2]
    return f"bounces+{token}@{domain}"


def new_token() -> str:
    return secrets.token_hex(10)


# -- starting, cancelling, resending --------------------------------------------------


def _require_dispatch_right(user) -> None:
    if not getattr(user, "may_send", False):
        raise MailingError({"send": _("You do not have the right to send mailings.")})


def start(user, mailing_id, *, send_at=None, expected_recipients: int | None = None) -> Mailing:
    """Confirm the pre-send check: the mailing goes out now, or at `send_at` (UTC).
    `expected_recipients` is the count the user saw; if the recipients changed since,
    the user is asked to look again."""
    from app.audit.services import record
    from app.mailings import presend
    from app.mailings.tracking import enabled as tracking_enabled

    _require_dispatch_right(user)
    mailing = Mailing.get_writable_or_403(user, mailing_id)
    check = presend.run(user, mailing)
    if check.problems:
        raise MailingError({"check": " ".join(check.problems)})
    recipients = check.resolution.recipients
    if expected_recipients is not None and expected_recipients != len(recipients):
        raise MailingError(
            {"check": _("The recipients have changed since the check. Please check again.")}
        )
    now = utcnow()
    if send_at is not None and send_at <= now:
        send_at = None
    state = "scheduled" if send_at else "sending"
    token = new_token()
    with db.atomic():
        changed = (
            Mailing.update(
                state=state,
                send_at=send_at,
                sent_by=user.id,
                started_at=None if send_at else now,
                dispatch_token=token,
                heartbeat_at=send_at or now,
                recipients_total=len(recipients),
                bytes_total=check.total_bytes,
                tracking=tracking_enabled(),
                check_summary=json.dumps(check.summary()),
                updated_at=now,
            )
            .where((Mailing.id == mailing.id) & (Mailing.state == "draft"))
            .execute()
        )
        if changed != 1:
            raise MailingError({"state": _("This mailing has already been sent.")})
        _insert_recipients(mailing.id, recipients, now)
        record(
            "mailing.send",
            target_type="mailing",
            target_id=mailing.id,
            target_label=mailing.subject,
            client_id=mailing.client_id,
            details={
                "recipients": len(recipients),
                "send_at": send_at.isoformat() if send_at else None,
                "priority": mailing.priority,
            },
        )
    mailing = Mailing.get_by_id(mailing.id)
    enqueue(mailing, eta=send_at)
    return mailing


def _insert_recipients(mailing_id: int, recipients, now) -> None:
    """One "queued" row per recipient, through the imports' bulk insert (COPY on
    PostgreSQL, reused multi-row statements on SQLite): peewee's insert_many built each
    500-row statement node by node, most of the confirmation's time for 10,000 recipients
    (tests/bench/dispatch.py). The columns not named here get their fields' defaults."""
    from app.transfer.services import bulk_insert

    named = (
        MailingRecipient.mailing,
        MailingRecipient.person,
        MailingRecipient.address,
        MailingRecipient.token,
        MailingRecipient.queued_at,
        MailingRecipient.updated_at,
    )
    rest = [
        field
        for field in MailingRecipient._meta.sorted_fields
        if field.default is not None and all(field is not f for f in named)
    ]
    defaults = tuple(f.default() if callable(f.default) else f.default for f in rest)
    rows = [
        (mailing_id, r.person_id, r.address, new_token(), now, now, *defaults) for r in recipients
    ]
    bulk_insert(MailingRecipient, (*named, *rest), rows)


def cancel(user, mailing_id) -> int:
    """Stop a scheduled or running mailing; returns the number of recipients who will not
    get it. A message in the middle of its SMTP transaction still completes."""
    from app.audit.services import record

    _require_dispatch_right(user)
    mailing = Mailing.get_writable_or_403(user, mailing_id)
    now = utcnow()
    with db.atomic():
        changed = (
            Mailing.update(state="cancelled", cancelled_at=now, dispatch_token="", updated_at=now)
            .where((Mailing.id == mailing.id) & Mailing.state.in_(("scheduled", "sending")))
            .execute()
        )
        if changed != 1:
            raise MailingError(
                {"state": _("Only a scheduled or running mailing can be cancelled.")}
            )
        stopped = (
            MailingRecipient.update(state="cancelled", updated_at=now, next_attempt_at=None)
            .where((MailingRecipient.mailing == mailing.id) & MailingRecipient.state.in_(PENDING))
            .execute()
        )
        record(
            "mailing.cancel",
            target_type="mailing",
            target_id=mailing.id,
            target_label=mailing.subject,
            client_id=mailing.client_id,
            details={"not_sent": stopped},
        )
    return stopped


def resend(user, mailing_id, person_id) -> MailingRecipient:
    """Send a mailing once more to a person at their current primary address (after the
    address was corrected, M7). The person must still be a possible recipient."""
    from app.audit.services import record
    from app.lists.recipients import REASONS, resolve

    _require_dispatch_right(user)
    mailing = Mailing.get_writable_or_403(user, mailing_id)
    if mailing.state not in ("sending", "sent"):
        raise MailingError({"state": _("Only a sent mailing can be sent again.")})
    person = Person.get_visible_or_404(user, person_id)
    resolution = resolve(user, person_ids=[person.id], client_id=mailing.client_id)
    if not resolution.recipients:
        reason = next(iter(resolution.removed), "no_address")
        raise MailingError(
            {"person": _("This contact cannot receive it: %(reason)s.", reason=REASONS[reason])}
        )
    address = resolution.recipients[0].address
    taken = (
        MailingRecipient.select()
        .where(
            (MailingRecipient.mailing == mailing.id)
            & (MailingRecipient.address == address)
            & MailingRecipient.state.in_(("queued", "sending", "sent", "deferred", "uncertain"))
        )
        .exists()
    )
    if taken:
        raise MailingError(
            {"person": _("%(address)s already receives this mailing.", address=address)}
        )
    now = utcnow()
    with db.atomic():
        recipient = MailingRecipient.create(
            mailing=mailing.id, person=person.id, address=address, token=new_token()
        )
        Mailing.update(
            state="sending",
            finished_at=None,
            dispatch_token=new_token(),
            heartbeat_at=now,
            recipients_total=Mailing.recipients_total + 1,
        ).where(Mailing.id == mailing.id).execute()
        record(
            "mailing.resend",
            target_type="mailing",
            target_id=mailing.id,
            target_label=mailing.subject,
            client_id=mailing.client_id,
            details={"person_id": person.id},
        )
    enqueue(Mailing.get_by_id(mailing.id))
    return MailingRecipient.get_by_id(recipient.id)


# -- the chain of batch tasks ---------------------------------------------------------


def enqueue(mailing: Mailing, eta=None) -> None:
    """Queue the mailing's next batch (at `eta`, UTC) with the mailing's priority."""
    from app.mailings.tasks import send_batch

    priority = PRIORITY_PREMIUM if mailing.priority == "premium" else PRIORITY_STANDARD
    args = (mailing.id, mailing.dispatch_token)
    if eta is None:
        send_batch.huey.enqueue(send_batch.s(*args, priority=priority))
    else:
        send_batch.schedule(args=args, eta=eta, priority=priority)


def step(mailing_id: int, token: str) -> str:
    """One batch of the mailing's chain, then the next one queued; returns what happened
    ("stale", "stopped", "yield", "more", "later", "done")."""
    outcome, eta = run_batch(mailing_id, token)
    if outcome in ("more", "later", "yield"):
        mailing = Mailing.get_or_none(Mailing.id == mailing_id)
        if mailing is not None and mailing.dispatch_token == token:
            Mailing.update(heartbeat_at=eta or utcnow()).where(Mailing.id == mailing_id).execute()
            enqueue(mailing, eta=eta)
    return outcome


def run_batch(mailing_id: int, token: str):
    mailing = Mailing.get_or_none(Mailing.id == mailing_id)
    if mailing is None or not token or mailing.dispatch_token != token:
        return "stale", None
    now = utcnow()
    if mailing.state == "scheduled":
        if mailing.send_at and mailing.send_at > now:
            return "later", mailing.send_at
        Mailing.update(state="sending", started_at=now, heartbeat_at=now).where(
            (Mailing.id == mailing.id) & (Mailing.state == "scheduled")
        ).execute()
        mailing = Mailing.get_by_id(mailing.id)
    if mailing.state != "sending":
        return "stopped", None
    if _premium_waiting(mailing):
        return "yield", now + YIELD
    holder = secrets.token_hex(8)
    if not _acquire(holder):
        return "yield", now + YIELD
    try:
        room = _hourly_room(now)
        if room is not None and room <= 0:
            return "later", _hour_frees_at(now)
        limit = current_app.config["DISPATCH_BATCH"]
        due = list(_due(mailing.id, now).limit(limit if room is None else min(limit, room)))
        if due:
            Batch(mailing, due, holder).run()
    finally:
        _release(holder)
    return _next(mailing.id)


def _due(mailing_id, now):
    return (
        MailingRecipient.select()
        .where(
            (MailingRecipient.mailing == mailing_id)
            & MailingRecipient.state.in_(PENDING)
            & (
                MailingRecipient.next_attempt_at.is_null()
                | (MailingRecipient.next_attempt_at <= now)
            )
        )
        .order_by(MailingRecipient.id)
    )


def _next(mailing_id):
    """After a batch: more now, later (the next deferred retry), or done."""
    now = utcnow()
    if _due(mailing_id, now).exists():
        return "more", None
    waiting = (
        MailingRecipient.select(fn.MIN(MailingRecipient.next_attempt_at))
        .where((MailingRecipient.mailing == mailing_id) & MailingRecipient.state.in_(PENDING))
        .scalar()
    )
    if waiting is not None:
        return "later", waiting
    Mailing.update(state="sent", finished_at=now, updated_at=now, heartbeat_at=None).where(
        (Mailing.id == mailing_id) & (Mailing.state == "sending")
    ).execute()
    return "done", None


def _premium_waiting(mailing) -> bool:
    if mailing.priority == "premium":
        return False
    now = utcnow()
    return (
        MailingRecipient.select(MailingRecipient.id)
        .join(Mailing)
        .where(
            (Mailing.priority == "premium")
            & (Mailing.state == "sending")
            & MailingRecipient.state.in_(PENDING)
            & (
                MailingRecipient.next_attempt_at.is_null()
                | (MailingRecipient.next_attempt_at <= now)
            )
        )
        .exists()
    )


def _acquire(holder: str) -> bool:
    now = utcnow()
    DispatchLease.insert(name=LEASE, holder="", expires_at=None).on_conflict_ignore().execute()
    taken = (
        DispatchLease.update(holder=holder, expires_at=now + LEASE_TTL)
        .where(
            (DispatchLease.name == LEASE)
            & (DispatchLease.expires_at.is_null() | (DispatchLease.expires_at < now))
        )
        .execute()
    )
    return taken == 1


def _renew(holder: str) -> None:
    DispatchLease.update(expires_at=utcnow() + LEASE_TTL).where(
        (DispatchLease.name == LEASE) & (DispatchLease.holder == holder)
    ).execute()


def _release(holder: str) -> None:
    DispatchLease.update(expires_at=None, holder="").where(
        (DispatchLease.name == LEASE) & (DispatchLease.holder == holder)
    ).execute()


def _hourly_room(now) -> int | None:
    from app.settings.services import get

    per_hour = get("relay_per_hour")
    if not per_hour:
        return None
    sent = MailingRecipient.select().where(MailingRecipient.sent_at > now - timedelta(hours=1))
    return per_hour - sent.count()


def _hour_frees_at(now):
    oldest = (
        MailingRecipient.select(fn.MIN(MailingRecipient.sent_at))
        .where(MailingRecipient.sent_at > now - timedelta(hours=1))
        .scalar()
    )
    return (oldest or now) + timedelta(hours=1, seconds=1)


def backoff(attempts: int) -> float:
    """Seconds until the next attempt after `attempts` failed ones."""
    base = float(current_app.config["DISPATCH_RETRY_BASE"])
    return min(base * 2 ** max(attempts - 1, 0), MAX_BACKOFF)


@dataclass
class Outcome:
    recipient_id: int
    fields: dict


class Batch:
    """One batch: the due recipients of one mailing over one relay connection."""

    def __init__(self, mailing: Mailing, due: list[MailingRecipient], holder: str):
        from app.senders.dkim import signer_for

        self.mailing = mailing
        self.due = due
        self.holder = holder
        sender = mailing.sender
        self.sender_address = sender.address
        self.signer = signer_for(sender.domain.name)
        self.template = MessageTemplate(mailing, sender=str(sender), reply_to=sender.reply_to)
        self.persons = self._persons([r.person_id for r in due if r.person_id])
        self.max_attempts = current_app.config["DISPATCH_MAX_ATTEMPTS"]
        self.footers: dict[str, tuple[str, str]] = {}

    @staticmethod
    def _persons(ids):
        persons = {p.id: p for p in Person.select().where(Person.id.in_(ids))}
        outlets: dict[int, str] = {}
        links = (
            PersonOutlet.select(PersonOutlet.person, Outlet.name)
            .join(Outlet)
            .where(PersonOutlet.person.in_(ids))
            .order_by(Outlet.name, Outlet.id)
            .tuples()
        )
        for person_id, name in links:
            outlets.setdefault(person_id, name)
        return {pid: (p, outlets.get(pid, "")) for pid, p in persons.items()}

    def _footer(self, lang: str, url: str) -> tuple[str, str]:
        if lang not in self.footers:
            with force_locale(lang):
                line = _("You receive this message as a member of the press.")
                stop = _("Unsubscribe from further press releases")
            self.footers[lang] = (line, stop)
        line, stop = self.footers[lang]
        text = f"\n\n-- \n{line}\n{stop}: {url}\n"
        html = (
            '<hr style="border:none;border-top:1px solid #ccc;margin-top:2em">'
            f'<p style="font-size:12px;color:#666">{line} '
            f'<a href="{url}">{stop}</a></p>'
        )
        return text, html

    def message(self, recipient: MailingRecipient) -> tuple[bytes, str]:
        person, outlet = self.persons.get(recipient.person_id, (None, ""))
        values = values_for(person, outlet) if person else {}
        lang = person.language if person and person.language in ("de", "en") else "de"
        url = unsubscribe_url(recipient.token)
        text_footer, html_footer = self._footer(lang, url)
        name = f"{person.first_name} {person.last_name}".strip() if person else ""
        message_id = self.template.message_id()
        raw = self.template.render(
            values,
            to=recipient.address,
            to_name=name,
            message_id=message_id,
            headers={
                "List-Unsubscribe": f"<{url}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
            text_footer=text_footer,
            html_footer=html_footer,
            html_filter=self._tracking(recipient.token) if self.mailing.tracking else None,
        )
        return self.signer.sign(raw, crlf=True), message_id

    @staticmethod
    def _tracking(token: str):
        from app.mailings.tracking import rewrite_html

        return lambda body: rewrite_html(body, token)

    def _deferral(self, recipient, attempts: int, code, text: str) -> dict:
        now = utcnow()
        fields = {"smtp_code": code, "smtp_response": text[:500], "updated_at": now}
        if attempts >= self.max_attempts:
            return fields | {"state": "failed", "next_attempt_at": None}
        return fields | {
            "state": "deferred",
            "next_attempt_at": now + timedelta(seconds=backoff(attempts)),
        }

    def run(self) -> None:
        """Send over DISPATCH_CONNECTIONS connections at once, each in its own thread with
        its own database connection: while one waits for the relay's answer, another
        builds, signs and records — so the relay is kept busy (tests/bench/dispatch.py)."""
        from app.settings.services import get

        todo: queue.SimpleQueue = queue.SimpleQueue()
        for recipient in self.due:
            todo.put(recipient)
        self.stop = threading.Event()
        self.tls = tls_context()  # one for all the batch's connections
        self.pacing = Pacing(get("relay_per_second"))
        self.deadline = time.monotonic() + BATCH_SECONDS
        self.last_beat = time.monotonic()
        self.beat_lock = threading.Lock()
        app = current_app._get_current_object()
        count = max(1, min(current_app.config["DISPATCH_CONNECTIONS"], len(self.due)))
        errors: list[BaseException] = []
        threads = [
            threading.Thread(
                target=self._connection,
                args=(app, todo, errors),
                name=f"dispatch-{n}",
                daemon=True,
            )
            for n in range(count - 1)
        ]
        for thread in threads:
            thread.start()
        try:
            self._converse(todo)  # this thread is one of the connections
        except BaseException:
            self.stop.set()
            raise
        finally:
            for thread in threads:
                thread.join()
        if errors:
            raise errors[0]

    def _connection(self, app, todo, errors) -> None:
        try:
            with app.app_context():
                db.connect(reuse_if_open=True)
                try:
                    self._converse(todo)
                finally:
                    db.close()
        except BaseException as exc:  # re-raised by the batch's own thread
            self.stop.set()
            errors.append(exc)

    def _defer_all(self, todo, error: str) -> None:
        """The relay cannot be reached: every recipient left in `todo` waits for a retry."""
        with db.atomic():
            while not todo.empty():
                try:
                    r = todo.get_nowait()
                except queue.Empty:
                    break
                fields = self._deferral(r, r.attempts + 1, None, error)
                fields["attempts"] = r.attempts + 1
                MailingRecipient.update(**fields).where(
                    (MailingRecipient.id == r.id) & MailingRecipient.state.in_(PENDING)
                ).execute()

    def _converse(self, todo: queue.SimpleQueue) -> None:
        try:
            relay = Relay(timeout=current_app.config["DISPATCH_SMTP_TIMEOUT"], context=self.tls)
        except RelayUnavailable as exc:
            log.warning("mailing %s: relay unavailable: %s", self.mailing.id, exc)
            self._defer_all(todo, str(exc))
            return
        outcome: Outcome | None = None
        try:
            while not self.stop.is_set() and time.monotonic() < self.deadline:
                try:
                    recipient = todo.get_nowait()
                except queue.Empty:
                    break
                raw, message_id = self.message(recipient)
                self.pacing.wait()
                attempts = recipient.attempts + 1
                claimed = record_and_claim(
                    outcome.fields | {"id": outcome.recipient_id} if outcome else None,
                    {
                        "id": recipient.id,
                        "attempts": attempts,
                        "message_id": message_id,
                        "size": len(raw),
                        "updated_at": utcnow(),
                    },
                )
                outcome = None
                self._heartbeat()
                if not claimed:  # cancelled meanwhile
                    continue
                envelope_from = return_path(recipient.token, self.sender_address)
                try:
                    code, text = relay.send(envelope_from, recipient.address, raw)
                except RelayUnavailable as exc:
                    fields = self._deferral(recipient, attempts, exc.code, str(exc))
                    outcome = Outcome(recipient.id, fields)
                    log.warning("mailing %s: relay connection lost: %s", self.mailing.id, exc)
                    return
                if 200 <= code < 300:
                    now = utcnow()
                    fields = {"state": "sent", "sent_at": now, "updated_at": now}
                    fields |= {"smtp_code": code, "smtp_response": text, "next_attempt_at": None}
                elif 400 <= code < 500:
                    fields = self._deferral(recipient, attempts, code, text)
                else:
                    fields = {"state": "failed", "smtp_code": code, "smtp_response": text}
                    fields |= {"updated_at": utcnow(), "next_attempt_at": None}
                outcome = Outcome(recipient.id, fields)
        finally:
            if outcome is not None:
                with db.atomic():
                    OUTCOME.run(outcome.fields | {"id": outcome.recipient_id})
            relay.close()

    def _heartbeat(self) -> None:
        """Every HEARTBEAT seconds: the lease renewed, the mailing's heartbeat moved."""
        with self.beat_lock:
            if time.monotonic() - self.last_beat <= HEARTBEAT:
                return
            self.last_beat = time.monotonic()
        with db.atomic():
            _renew(self.holder)
            Mailing.update(heartbeat_at=utcnow()).where(Mailing.id == self.mailing.id).execute()


class Pacing:
    """At most `per_second` messages a second over all of a batch's connections."""

    def __init__(self, per_second: int):
        self.interval = 1.0 / per_second if per_second else 0.0
        self.next = time.monotonic()
        self.lock = threading.Lock()

    def wait(self) -> None:
        if not self.interval:
            return
        with self.lock:
            now = time.monotonic()
            slot = max(self.next, now)
            self.next = slot + self.interval
        if slot > now:
            time.sleep(slot - now)


class Statement:
    """An UPDATE compiled by peewee once and run many times with other values: per message
    the dispatch runs two statements, and compiling a peewee query costs more than SQLite
    takes to run it. `markers` are values unique to this query that stand for the
    parameters named by their keys; `run(values)` returns the number of rows changed."""

    def __init__(self, build):
        self.build = build
        self.compiled = None

    def _compile(self):
        markers = {
            "id": -700001,
            "attempts": -700002,
            "size": -700003,
            "smtp_code": -700004,
            "message_id": "\x00message_id",
            "state": "\x00state",
            "smtp_response": "\x00smtp_response",
            "updated_at": datetime.datetime(1901, 1, 1, 1, 1, 1),
            "sent_at": datetime.datetime(1901, 2, 2, 2, 2, 2),
            "next_attempt_at": datetime.datetime(1901, 3, 3, 3, 3, 3),
        }
        sql, params = self.build(markers).sql()
        slots = {}
        for name, marker in markers.items():
            hits = [i for i, value in enumerate(params) if value == marker]
            if len(hits) == 1:
                slots[name] = hits[0]
        return sql, params, slots, id(db.obj)

    def bind(self, values: dict) -> tuple[str, list]:
        """The SQL and its parameters for these values."""
        if self.compiled is None or self.compiled[3] != id(db.obj):
            self.compiled = self._compile()
        sql, params, slots, _ = self.compiled
        params = list(params)
        for name, slot in slots.items():
            params[slot] = values.get(name)
        return sql, params

    def run(self, values: dict) -> int:
        sql, params = self.bind(values)
        return db.execute_sql(sql, params).rowcount


def record_and_claim(outcome: dict | None, claim: dict) -> int:
    """In one transaction: the previous recipient's outcome, and this recipient "sending"
    (returns 1 if it was still due). On PostgreSQL both go to the server as one prepared
    statement (`BOTH`): one round trip, one implicit transaction, no parsing or planning."""
    if outcome is not None and not isinstance(db.obj, SqliteDatabase) and not db.in_transaction():
        return BOTH.run(outcome, claim)
    with db.atomic():
        if outcome is not None:
            OUTCOME.run(outcome)
        return CLAIM.run(claim)


class Prepared:
    """On PostgreSQL: the outcome's UPDATE and the claim's UPDATE as one statement (the
    outcome a data-modifying WITH, which runs whether or not the claim reads it), prepared
    once per database connection and then run by EXECUTE with the values only — per
    message the server neither parses nor plans, and takes one statement instead of two."""

    NAME = "depesche_record_and_claim"

    def __init__(self):
        self.sql = None
        self.ready: weakref.WeakSet = weakref.WeakSet()  # connections that have it
        self.lock = threading.Lock()

    def _statement(self) -> tuple[str, int]:
        outcome, outcome_params = OUTCOME.bind({})
        claim, claim_params = CLAIM.bind({})
        both = f"WITH outcome AS ({outcome} RETURNING 1) {claim}"
        count = len(outcome_params) + len(claim_params)
        if "%%" in both or both.count("%s") != count:
            raise RuntimeError("record_and_claim: unexpected statement shape")
        parts = both.split("%s")
        numbered = parts[0] + "".join(f"${n}{part}" for n, part in enumerate(parts[1:], 1))
        return f"PREPARE {self.NAME} AS {numbered}", count

    def run(self, outcome: dict, claim: dict) -> int:
        with self.lock:
            if self.sql is None or self.sql[2] != id(db.obj):
                prepare, count = self._statement()
                arguments = ", ".join(["%s"] * count)
                self.sql = (prepare, f"EXECUTE {self.NAME}({arguments})", id(db.obj))
                self.ready = weakref.WeakSet()
            prepare, execute, _ = self.sql
        connection = db.connection()
        if connection not in self.ready:
            db.execute_sql(prepare)
            self.ready.add(connection)
        params = OUTCOME.bind(outcome)[1] + CLAIM.bind(claim)[1]
        return db.execute_sql(execute, params).rowcount


BOTH = Prepared()


CLAIM = Statement(
    lambda m: MailingRecipient.update(
        state="sending",
        attempts=m["attempts"],
        message_id=m["message_id"],
        size=m["size"],
        updated_at=m["updated_at"],
    ).where((MailingRecipient.id == m["id"]) & MailingRecipient.state.in_(PENDING))
)
OUTCOME = Statement(
    lambda m: MailingRecipient.update(
        state=m["state"],
        sent_at=m["sent_at"],
        updated_at=m["updated_at"],
        smtp_code=m["smtp_code"],
        smtp_response=m["smtp_response"],
        next_attempt_at=m["next_attempt_at"],
    ).where((MailingRecipient.id == m["id"]) & (MailingRecipient.state == "sending"))
)


# -- recovery -------------------------------------------------------------------------


def recover() -> dict:
    """When the worker starts: no batch runs, so a recipient left "sending" was caught in
    its SMTP transaction by a crash — "uncertain", never sent again. Leases are cleared and
    every unfinished mailing resumed."""
    now = utcnow()
    with db.atomic():
        uncertain = (
            MailingRecipient.update(
                state="uncertain",
                updated_at=now,
                smtp_response="the worker stopped during the SMTP transaction",
            )
            .where(MailingRecipient.state == "sending")
            .execute()
        )
        DispatchLease.delete().execute()
    resumed = pump(stalled=timedelta(0))
    if uncertain or resumed:
        log.warning("dispatch recovery: %s uncertain, %s mailings resumed", uncertain, resumed)
    return {"uncertain": uncertain, "resumed": resumed}


def pump(stalled: timedelta = STALLED) -> int:
    """Restart the chains of mailings that should be moving but are not (a task lost with
    the queue, a crash): sending or scheduled mailings whose next expected step is more
    than `stalled` overdue. Each gets a new chain token, so a late old task stops."""
    now = utcnow()
    late = Mailing.select().where(
        Mailing.state.in_(("sending", "scheduled"))
        & (Mailing.heartbeat_at.is_null() | (Mailing.heartbeat_at <= now - stalled))
    )
    count = 0
    for mailing in late:
        token = new_token()
        Mailing.update(dispatch_token=token, heartbeat_at=now).where(
            Mailing.id == mailing.id
        ).execute()
        mailing.dispatch_token = token
        eta = mailing.send_at if mailing.state == "scheduled" and mailing.send_at > now else None
        enqueue(mailing, eta=eta)
        count += 1
    return count


# -- unsubscribing --------------------------------------------------------------------


def recipient_for_link(token: str, signature: str) -> MailingRecipient | None:
    """The recipient of an unsubscribe link, if its signature is ours."""
    import hmac

    if not (token and signature) or len(token) > 32:
        return None
    if not hmac.compare_digest(unsubscribe_signature(token), signature):
        return None
    return MailingRecipient.get_or_none(MailingRecipient.token == token)


def unsubscribe(recipient: MailingRecipient) -> bool:
    """Put the recipient's address on the blacklist; True if this was new."""
    from app.audit.services import record
    from app.blacklist.services import add

    if recipient.unsubscribed_at is not None:
        return False
    now = utcnow()
    with db.atomic():
        changed = (
            MailingRecipient.update(state="unsubscribed", unsubscribed_at=now, updated_at=now)
            .where(
                (MailingRecipient.id == recipient.id) & MailingRecipient.unsubscribed_at.is_null()
            )
            .execute()
        )
        if not changed:
            return False
        add(None, recipient.address, "unsubscribe", note=f"mailing {recipient.mailing_id}")
        mailing = Mailing.get_by_id(recipient.mailing_id)
        record(
            "mailing.unsubscribe",
            target_type="person",
            target_id=recipient.person_id,
            target_label="",
            client_id=mailing.client_id,
            details={"mailing_id": mailing.id},
        )
    return True

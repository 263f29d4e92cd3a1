"""Exports (SPEC L4, L5): a distribution list's members as .xlsx, and the full data export
run by the worker with its job record, its file under `DATA_DIR/exports/` and its expiry.

Every export is recorded in the audit trail with what was exported and how much, never
with the data itself."""

from __future__ import annotations

import datetime
import logging
import os
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from peewee import JOIN

from app.clock import utcnow
from app.contacts.models import Person
from app.exports import full
from app.exports.models import ExportJob
from app.exports.persons import PERSON_COLUMNS, chosen_columns, person_rows
from app.exports.xlsx import Column, write_xlsx
from app.lists import services as lists

log = logging.getLogger(__name__)

KEEP_DAYS = 7  # a full export's file is deleted after this, or when a newer one is ready
STALE_HOURS = 12  # a job queued or running this long was lost (worker stopped): failed


class ExportError(ValueError):
    """An export cannot be made as asked; the message is translated."""


# --- a list's members (L4) ------------------------------------------------------------


def member_counts(user, lst) -> tuple[int, int]:
    """How many of the list's members an export takes, and how many blocked members it
    leaves out (restriction of processing, SPEC C9)."""
    query = lists.members(user, lst).order_by()
    blocked = query.where(Person.blocked == True).count()  # noqa: E712
    return query.count() - blocked, blocked


def member_ids(user, lst) -> list[int]:
    """The ids of the list's members that go into an export, by name (a plain list of
    integers: about 3 MB for 100,000; the rows themselves are loaded in batches)."""
    query = (
        lists.members(user, lst)
        .select(Person.id)
        .where(Person.blocked == False)  # noqa: E712
        .order_by(Person.last_name, Person.first_name, Person.id)
    )
    return [pid for (pid,) in query.tuples().iterator()]


def export_list(user, lst, column_keys, target) -> int:
    """Write the list's members with the chosen columns (in the order given) to `target`;
    returns the number of rows. Blocked persons are left out. Audited."""
    from app.audit.services import record

    columns = chosen_columns(column_keys)
    if not columns:
        raise ExportError(_("Please choose at least one column."))
    ids = member_ids(user, lst)
    blocked = member_counts(user, lst)[1]
    rows = write_xlsx(target, columns, person_rows(user, ids), title=lst.name)
    record(
        "distribution_list.export",
        lst,
        details={
            "format": "xlsx",
            "rows": rows,
            "columns": [c.key for c in columns],
            "blocked_left_out": blocked,
        },
    )
    return rows


def _invited(user, event):
    from app.events.services import participants

    return participants(user, event).order_by(Person.last_name, Person.first_name, Person.id)


def invitation_counts(user, event) -> tuple[int, int]:
    """How many invited persons an export takes, and how many blocked ones it leaves out."""
    query = _invited(user, event).order_by()
    blocked = query.where(Person.blocked == True).count()  # noqa: E712
    return query.count() - blocked, blocked


def export_event(user, event, column_keys, target) -> int:
    """The event's invited persons with the chosen columns, then their answer and note;
    blocked persons left out. Audited."""
    from app.audit.services import record
    from app.events.models import RSVP_STATES, Invitation

    columns = chosen_columns(column_keys)
    if not columns:
        raise ExportError(_("Please choose at least one column."))
    invitations = {
        pid: (state, note)
        for pid, state, note in _invited(user, event)
        .select(Invitation.person, Invitation.state, Invitation.note)
        .where(Person.blocked == False)  # noqa: E712
        .tuples()
    }
    ids = list(invitations)

    def answers_of(chunk):
        return {
            pid: {"state": str(RSVP_STATES[invitations[pid][0]]), "note": invitations[pid][1]}
            for pid in chunk
        }

    columns = [
        *columns,
        Column("rsvp", _l("Answer"), lambda r: r.extra.get("state", ""), 12),
        Column("rsvp_note", _l("Note"), lambda r: r.extra.get("note", ""), 24),
    ]
    rows = write_xlsx(target, columns, person_rows(user, ids, answers_of), title=event.title)
    record(
        "event.export",
        event,
        details={"format": "xlsx", "rows": rows, "columns": [c.key for c in columns]},
    )
    return rows


# --- a mailing's recipients with their delivery state (L4, M6) -----------------------


def _local(moment):
    """A stored UTC time in the user's time zone, for a spreadsheet cell."""
    from flask_babel import to_user_timezone

    return to_user_timezone(moment) if moment else None


def _delivery(key, label, value, width=18):
    return Column(key, label, lambda r: value(r.extra) if r.extra else None, width)


def _recipient_state(extra):
    from app.mailings.models import RECIPIENT_STATES

    return str(RECIPIENT_STATES.get(extra["state"], extra["state"]))


DELIVERY_COLUMNS = [
    _delivery("address", _l("Address used"), lambda e: e["address"], 30),
    _delivery("delivery_state", _l("Delivery state"), _recipient_state, 16),
    _delivery("smtp_code", _l("SMTP code"), lambda e: e["smtp_code"], 8),
    _delivery("smtp_response", _l("Relay's answer"), lambda e: e["smtp_response"], 40),
    _delivery("sent_at", _l("Sent"), lambda e: _local(e["sent_at"]), 17),
    _delivery("bounce_code", _l("Bounce code"), lambda e: e["bounce_code"], 10),
    _delivery("bounce_reason", _l("Bounce reason"), lambda e: e["bounce_reason"], 40),
    _delivery("unsubscribed_at", _l("Unsubscribed"), lambda e: _local(e["unsubscribed_at"]), 17),
]
TRACKING_COLUMNS = [
    _delivery("opened_at", _l("First opened"), lambda e: _local(e["opened_at"]), 17),
    _delivery("opens", _l("Opens"), lambda e: e["opens"], 8),
    _delivery("clicked_at", _l("First clicked"), lambda e: _local(e["clicked_at"]), 17),
    _delivery("clicks", _l("Clicks"), lambda e: e["clicks"], 8),
]
MAILING_DEFAULT_COLUMNS = (
    "salutation",
    "first_name",
    "last_name",
    "outlets",
    "address",
    "delivery_state",
    "sent_at",
    "bounce_reason",
)


def mailing_columns(mailing) -> list[Column]:
    """What a mailing's recipient export offers: the person columns, the delivery columns
    and, for a mailing with tracking, the opens and clicks."""
    from app.mailings.reports import shows_tracking

    extra = TRACKING_COLUMNS if shows_tracking(mailing) else []
    return [*PERSON_COLUMNS, *DELIVERY_COLUMNS, *extra]


def _recipients(mailing):
    from app.mailings.models import MailingRecipient

    return MailingRecipient.select().where(MailingRecipient.mailing == mailing.id)


def recipient_counts(user, mailing) -> tuple[int, int, int]:
    """How many recipients an export takes; how many it leaves out because their contact
    is blocked (SPEC C9), and because the contact no longer exists (deleted or erased)."""
    from app.mailings.models import MailingRecipient as R

    rows = list(
        _recipients(mailing)
        .select(R.id, Person.blocked, Person.erased_at)
        .join(Person, JOIN.LEFT_OUTER, on=(R.person == Person.id))
        .tuples()
    )
    gone = sum(1 for _, blocked, erased in rows if blocked is None or erased is not None)
    blocked = sum(1 for _, b, erased in rows if b and erased is None)
    return len(rows) - gone - blocked, blocked, gone


def export_mailing(user, mailing, column_keys, target) -> int:
    """The mailing's recipients — the chosen person and delivery columns, in the order
    given — by address; recipients whose contact is blocked or gone are left out (an
    export is a new processing of the person's data). Audited."""
    from app.audit.services import record
    from app.mailings.models import MailingRecipient as R

    columns = chosen_columns(column_keys, mailing_columns(mailing))
    if not columns:
        raise ExportError(_("Please choose at least one column."))
    ids = list(
        dict.fromkeys(
            pid
            for (pid,) in _recipients(mailing)
            .select(R.person)
            .join(Person, on=(R.person == Person.id))
            .where((Person.blocked == False) & Person.erased_at.is_null())  # noqa: E712
            .order_by(R.address, R.id)
            .tuples()
            .iterator()
        )
    )
    fields = (
        "address", "state", "smtp_code", "smtp_response", "sent_at", "bounce_code",
        "bounce_reason", "unsubscribed_at", "opened_at", "opens", "clicked_at", "clicks",
    )  # fmt: skip

    def delivery_of(chunk):
        found = {}
        for row in (
            _recipients(mailing)
            .select(R.person, *(getattr(R, f) for f in fields))
            .where(R.person.in_(chunk))
            .order_by(R.id)
            .tuples()
        ):
            found.setdefault(row[0], dict(zip(fields, row[1:], strict=True)))
        return found

    blocked, gone = recipient_counts(user, mailing)[1:]
    rows = write_xlsx(
        target, columns, person_rows(user, ids, delivery_of), title=mailing.subject or "Mailing"
    )
    record(
        "mailing.export",
        mailing,
        details={
            "format": "xlsx",
            "rows": rows,
            "columns": [c.key for c in columns],
            "blocked_left_out": blocked,
            "without_contact_left_out": gone,
        },
    )
    return rows


# --- the full data export (L5) --------------------------------------------------------


def export_dir() -> Path:
    directory = Path(current_app.config["DATA_DIR"]) / "exports"
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    return directory


def file_path(job: ExportJob) -> Path | None:
    """The job's ZIP if it is ready and still there."""
    if job.state != "done" or not job.file_name:
        return None
    path = export_dir() / job.file_name
    return path if path.is_file() else None


def active_job() -> ExportJob | None:
    return (
        ExportJob.select()
        .where(ExportJob.state.in_(["queued", "running"]))
        .order_by(ExportJob.id.desc())
        .first()
    )


def start_full_export(user) -> ExportJob:
    """Queue a full export for an administrator; one at a time."""
    from app.audit.services import record
    from app.exports.tasks import full_export

    purge()
    if active_job() is not None:
        raise ExportError(_("An export is already being made. Please wait until it is ready."))
    job = ExportJob.create(kind="full", user=user.id)
    record("export.full_request", target_type="export_job", target_id=job.id, target_label="")
    full_export(job.id)
    return ExportJob.get_by_id(job.id)


def run_full_export(job_id: int) -> None:
    """The worker's part: write the ZIP, keep the job's progress, audit the result."""
    from app.audit.services import Actor, record

    job = ExportJob.get_or_none(ExportJob.id == job_id)
    if job is None or job.state != "queued":
        return
    now = utcnow()
    ExportJob.update(state="running", started_at=now, progress=0).where(
        ExportJob.id == job.id
    ).execute()
    user = job.user
    actor = Actor(user.id, f"{user.name} <{user.email}>") if user else None
    name = f"depesche-export-{now:%Y%m%d-%H%M%S}-{job.id}.zip"
    target = export_dir() / name
    partial = export_dir() / f".{name}.partial"

    def progress(percent: int, step: str) -> None:
        ExportJob.update(progress=percent, step=step[:120]).where(ExportJob.id == job.id).execute()

    heading = f"Made {now:%Y-%m-%d %H:%M} UTC for {user.name if user else 'an administrator'}"
    try:
        summary = full.write_zip(partial, progress, f"{heading} (export {job.id}).")
        os.chmod(partial, 0o600)
        os.replace(partial, target)
    except Exception as exc:
        log.exception("full export %s failed", job.id)
        full.remove(partial)
        ExportJob.update(
            state="failed", finished_at=utcnow(), error=f"{type(exc).__name__}: {exc}"[:2000]
        ).where(ExportJob.id == job.id).execute()
        return
    size = target.stat().st_size
    ExportJob.update(
        state="done",
        progress=100,
        step="",
        file_name=name,
        file_sha256=full.sha256_of(target),
        file_size=size,
        finished_at=utcnow(),
    ).where(ExportJob.id == job.id).execute()
    record(
        "export.full",
        target_type="export_job",
        target_id=job.id,
        target_label="",
        details={
            "rows": sum(summary["tables"].values()),
            "tables": len(summary["tables"]),
            "files": summary["files"],
            "bytes": size,
        },
        actor=actor,
    )
    # only the newest export is kept: the older ones' files go now
    for older in ExportJob.select().where((ExportJob.state == "done") & (ExportJob.id != job.id)):
        _expire(older)


def _expire(job: ExportJob) -> None:
    if job.file_name:
        full.remove(export_dir() / job.file_name)
    ExportJob.update(state="expired").where(ExportJob.id == job.id).execute()


def purge(now: datetime.datetime | None = None) -> int:
    """Delete the files of exports older than KEEP_DAYS; a job queued or running for more
    than STALE_HOURS was lost with its worker and counts as failed. Returns how many files
    went."""
    now = now or utcnow()
    expired = 0
    for job in ExportJob.select().where(
        (ExportJob.state == "done")
        & (ExportJob.finished_at < now - datetime.timedelta(days=KEEP_DAYS))
    ):
        _expire(job)
        expired += 1
    ExportJob.update(
        state="failed", finished_at=now, error="interrupted: the worker stopped"
    ).where(
        ExportJob.state.in_(["queued", "running"])
        & (ExportJob.created_at < now - datetime.timedelta(hours=STALE_HOURS))
    ).execute()
    return expired


def record_download(job: ExportJob) -> None:
    from app.audit.services import record

    record(
        "export.full_download",
        target_type="export_job",
        target_id=job.id,
        target_label="",
        details={"file": job.file_name, "sha256": job.file_sha256},
    )

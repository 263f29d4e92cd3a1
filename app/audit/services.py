"""Writing and verifying the audit trail."""

from __future__ import annotations

import datetime
import decimal
import getpass
import hashlib
import json
from dataclasses import dataclass

from flask import has_request_context, request
from flask_login import current_user

from app.audit.models import GENESIS_HASH, AuditEntry, AuditHead
from app.extensions import db

# Fields never written to the trail, whatever the model.
SECRET_FIELDS = {
    "password_hash",
    "session_token",
    "totp_secret",
    "totp_last_step",
    "code_hash",
    "token_hash",
}


def _jsonable(value):
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    return value


def snapshot(instance) -> dict:
    """The audited fields of a model instance as JSON-friendly values."""
    excluded = SECRET_FIELDS | set(getattr(instance, "AUDIT_EXCLUDE", ()))
    data = {}
    for name in instance._meta.fields:
        if name not in excluded and name != "id":
            data[name] = _jsonable(instance.__data__.get(name))  # a foreign key: its id
    return data


def changes_between(before: dict, after: dict) -> dict:
    """{field: [old, new]} for every field whose value differs."""
    return {k: [before.get(k), after.get(k)] for k in after if before.get(k) != after.get(k)}


@dataclass(frozen=True)
class Actor:
    id: int | None
    name: str


def current_actor() -> Actor:
    """The signed-in user, or the operating-system user on the command line."""
    if has_request_context() and current_user and current_user.is_authenticated:
        return Actor(current_user.id, f"{current_user.name} <{current_user.email}>")
    try:
        os_user = getpass.getuser()
    except Exception:  # no login name (containers); the trail still says where it came from
        os_user = "unknown"
    return Actor(None, f"system ({os_user})")


def payload_digest(entry: AuditEntry) -> str:
    """The digest of what an entry says about its target: label, changes, details."""
    payload = [entry.target_label, entry.changes, entry.details]
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _canonical(entry: AuditEntry) -> bytes:
    if entry.version == 1:  # entries written before the payload digest existed
        content = [
            entry.seq,
            entry.created_at.isoformat(timespec="microseconds"),
            entry.actor_id,
            entry.actor_name,
            entry.action,
            entry.target_type,
            entry.target_id,
            entry.target_label,
            entry.client_id,
            entry.changes,
            entry.details,
            entry.source_address,
            entry.user_agent,
            entry.prev_hash,
        ]
    else:
        content = [
            entry.version,
            entry.seq,
            entry.created_at.isoformat(timespec="microseconds"),
            entry.actor_id,
            entry.actor_name,
            entry.action,
            entry.target_type,
            entry.target_id,
            entry.payload_sha256,
            entry.client_id,
            entry.source_address,
            entry.user_agent,
            entry.prev_hash,
        ]
    return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode()


def entry_hash(entry: AuditEntry) -> str:
    return hashlib.sha256(_canonical(entry)).hexdigest()


def _entry(
    actor: Actor,
    action: str,
    target=None,
    *,
    target_type: str | None = None,
    target_id: int | None = None,
    target_label: str | None = None,
    changes: dict | None = None,
    details: dict | None = None,
    client_id: int | None = None,
) -> AuditEntry:
    """An entry not yet chained (no seq, no hashes)."""
    if target is not None:
        target_type = target_type or target._meta.table_name
        target_id = target_id if target_id is not None else target.id
        target_label = target_label if target_label is not None else str(target)
        if client_id is None:
            client_id = getattr(target, "client_id", None)
    address, agent = "", ""
    if has_request_context():
        address = request.remote_addr or ""
        agent = (request.user_agent.string or "")[:254]
    return AuditEntry(
        actor_id=actor.id,
        actor_name=actor.name[:254],
        action=action,
        target_type=target_type,
        target_id=target_id,
        target_label=(target_label or "")[:254],
        client_id=client_id,
        changes=json.dumps(changes or {}, ensure_ascii=False, sort_keys=True, default=str),
        details=json.dumps(details or {}, ensure_ascii=False, sort_keys=True, default=str),
        source_address=address[:64],
        user_agent=agent,
        version=2,
    )


def record_many(events: list[dict], *, actor: Actor | None = None) -> list[AuditEntry]:
    """Append one entry per event (the keyword arguments of `record`, `action` among them),
    in the order given, inside the caller's transaction (or one of its own): the chain's
    head is taken once for all of them, and they are written in one statement (a bulk
    load of 300 outlets no longer takes 300 turns of the head)."""
    if not events:
        return []
    actor = actor or current_actor()
    entries = [_entry(actor, **event) for event in events]
    with db.atomic():
        # Taking the head row first serialises appends: the chain cannot fork.
        AuditHead.update(seq=AuditHead.seq + len(entries)).where(AuditHead.id == 1).execute()
        head = AuditHead.get_or_none(AuditHead.id == 1)
        if head is None:
            head = AuditHead.create(id=1, seq=len(entries), last_hash=GENESIS_HASH)
        previous = head.last_hash
        for seq, entry in enumerate(entries, start=head.seq - len(entries) + 1):
            entry.seq, entry.prev_hash = seq, previous
            entry.payload_sha256 = payload_digest(entry)
            entry.hash = previous = entry_hash(entry)
        if len(entries) == 1:
            entries[0].save()  # its id, for the callers of `record`
        else:
            AuditEntry.bulk_create(entries, batch_size=200)
        AuditHead.update(last_hash=previous).where(AuditHead.id == 1).execute()
    return entries


def record(action: str, target=None, *, actor: Actor | None = None, **fields) -> AuditEntry:
    """Append one entry, inside the caller's transaction (or one of its own). `fields`:
    target_type, target_id, target_label (else taken from `target`), changes, details,
    client_id."""
    return record_many([{"action": action, "target": target, **fields}], actor=actor)[0]


def create_event(instance, origin: str = "manual", **kwargs) -> dict:
    """The event (for `record_many`) of `instance` having been created, with its origin."""
    return {
        "action": f"{instance._meta.table_name}.create",
        "target": instance,
        "changes": {k: [None, v] for k, v in snapshot(instance).items()},
        "details": {"origin": origin, **kwargs.pop("details", {})},
        **kwargs,
    }


def record_create(instance, origin: str = "manual", **kwargs) -> AuditEntry:
    actor = kwargs.pop("actor", None)
    return record_many([create_event(instance, origin, **kwargs)], actor=actor)[0]


def record_update(instance, before: dict, **kwargs) -> AuditEntry | None:
    """Record the fields that changed since `before` (a snapshot); nothing if none did."""
    changes = changes_between(before, snapshot(instance))
    if not changes:
        return None
    return record(f"{instance._meta.table_name}.update", instance, changes=changes, **kwargs)


def record_delete(instance, **kwargs) -> AuditEntry:
    return record(
        f"{instance._meta.table_name}.delete",
        instance,
        changes={k: [v, None] for k, v in snapshot(instance).items()},
        **kwargs,
    )


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    broken_seq: int | None = None
    reason: str = ""


def verify(batch: int = 2000) -> VerifyResult:
    """Recompute the chain from the first entry; name the first entry that does not fit."""
    expected_prev, expected_seq, checked = GENESIS_HASH, 1, 0
    last_seq = 0
    while True:
        rows = list(
            AuditEntry.select()
            .where(AuditEntry.seq > last_seq)
            .order_by(AuditEntry.seq)
            .limit(batch)
        )
        if not rows:
            break
        for entry in rows:
            if entry.seq != expected_seq:
                return VerifyResult(False, checked, expected_seq, "entry missing")
            if entry.prev_hash != expected_prev:
                return VerifyResult(False, checked, entry.seq, "link to the previous entry broken")
            if entry_hash(entry) != entry.hash:
                return VerifyResult(False, checked, entry.seq, "content changed")
            if (
                entry.version != 1
                and entry.redacted_at is None
                and payload_digest(entry) != entry.payload_sha256
            ):
                return VerifyResult(False, checked, entry.seq, "content changed")
            expected_prev, expected_seq, checked = entry.hash, entry.seq + 1, checked + 1
        last_seq = rows[-1].seq
    head = AuditHead.get_or_none(AuditHead.id == 1)
    if head is not None and (head.seq != checked or head.last_hash != expected_prev):
        return VerifyResult(False, checked, checked + 1, "entries removed from the end")
    return VerifyResult(True, checked)


def redact_target(target_type: str, target_id: int) -> int:
    """Blank what the trail says about one record (its label, the values of its changes,
    the details) for an erasure (C9): the field names and the events stay, the personal
    data goes. The chain still verifies, since it holds only the payload's digest; the
    digest of a blanked entry is not checked any more. Entries written before version 2
    hold their payload in the chain itself and cannot be blanked; returns how many were."""
    from app.clock import utcnow

    done = 0
    entries = AuditEntry.select().where(
        (AuditEntry.target_type == target_type)
        & (AuditEntry.target_id == target_id)
        & (AuditEntry.version >= 2)
        & AuditEntry.redacted_at.is_null()
    )
    for entry in entries:
        fields = sorted(json.loads(entry.changes or "{}"))
        AuditEntry.update(
            target_label="",
            changes=json.dumps({name: [None, None] for name in fields}, sort_keys=True),
            details="{}",
            redacted_at=utcnow(),
        ).where(AuditEntry.id == entry.id).execute()
        done += 1
    return done

"""Reading the audit trail (SPEC S7): filters and keyset paging for the administrator's
screen. Nothing here writes; the trail is only ever appended to by app.audit.services."""

from __future__ import annotations

import datetime
import json
import re
from dataclasses import dataclass, field

from app.audit.models import AuditEntry

PAGE_SIZE = 50
VALUE_LENGTH = 80  # longer values are cut in the list; the entry itself keeps them whole


@dataclass
class Filters:
    action: str = ""
    actor: str = ""  # "" any, "system" the command line, else a user id
    target_type: str = ""
    text: str = ""  # part of the target's label
    start: datetime.datetime | None = None  # UTC, inclusive
    end: datetime.datetime | None = None  # UTC, exclusive


@dataclass
class Page:
    entries: list = field(default_factory=list)
    newer: int | None = None  # pass as `after` for the next newer page
    older: int | None = None  # pass as `before` for the next older page
    is_first: bool = True


def filtered(filters: Filters):
    query = AuditEntry.select()
    if filters.action:
        query = query.where(AuditEntry.action == filters.action)
    if filters.actor == "system":
        query = query.where(AuditEntry.actor_id.is_null())
    elif filters.actor.isdigit():
        query = query.where(AuditEntry.actor_id == int(filters.actor))
    if filters.target_type:
        query = query.where(AuditEntry.target_type == filters.target_type)
    if filters.text:
        query = query.where(AuditEntry.target_label.contains(filters.text))
    if filters.start:
        query = query.where(AuditEntry.created_at >= filters.start)
    if filters.end:
        query = query.where(AuditEntry.created_at < filters.end)
    return query


def page(filters: Filters, before: int | None = None, after: int | None = None) -> Page:
    """One page of matching entries, newest first. Keyset paging on the unique `seq`: a page
    costs the same however deep into the trail it lies, and entries appended meanwhile do
    not shift the pages."""
    query = filtered(filters)
    if after is not None:
        rows = list(
            query.where(AuditEntry.seq > after).order_by(AuditEntry.seq).limit(PAGE_SIZE + 1)
        )
        if not rows:  # nothing newer any more: show the newest page
            return page(filters)
        more_newer = len(rows) > PAGE_SIZE
        entries = list(reversed(rows[:PAGE_SIZE]))
        more_older = query.where(AuditEntry.seq < entries[-1].seq).exists()
    else:
        older_part = query if before is None else query.where(AuditEntry.seq < before)
        rows = list(older_part.order_by(AuditEntry.seq.desc()).limit(PAGE_SIZE + 1))
        more_older = len(rows) > PAGE_SIZE
        entries = rows[:PAGE_SIZE]
        more_newer = before is not None and (
            query.where(AuditEntry.seq > entries[0].seq).exists()
            if entries
            else query.where(AuditEntry.seq >= before).exists()
        )
    return Page(
        entries=entries,
        newer=entries[0].seq if entries and more_newer else None,
        older=entries[-1].seq if entries and more_older else None,
        is_first=not more_newer,
    )


def distinct_actions() -> list[str]:
    query = AuditEntry.select(AuditEntry.action).distinct().order_by(AuditEntry.action)
    return [action for (action,) in query.tuples()]


def distinct_target_types() -> list[str]:
    return [
        t
        for (t,) in AuditEntry.select(AuditEntry.target_type)
        .where(AuditEntry.target_type.is_null(False))
        .distinct()
        .order_by(AuditEntry.target_type)
        .tuples()
    ]


ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?$")


def _shown(value):
    """A value as the list shows it: booleans and times (UTC, as stored by snapshot) stay
    typed so the template can render them in the reader's language and time zone; anything
    else becomes text, cut to VALUE_LENGTH."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and ISO_DATETIME.match(value):
        return datetime.datetime.fromisoformat(value)
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= VALUE_LENGTH else text[: VALUE_LENGTH - 1] + "…"


def changes_of(entry: AuditEntry) -> list[tuple[str, object, object]]:
    """(field, old, new) of an entry for the list; fields empty before and after (a
    creation lists every column) are left out."""
    try:
        data = json.loads(entry.changes or "{}")
    except ValueError:
        return []
    rows = []
    for name, pair in sorted(data.items()):
        old, new = pair if isinstance(pair, list) and len(pair) == 2 else (None, pair)
        if old is None and new is None:
            continue
        rows.append((name, _shown(old), _shown(new)))
    return rows


def details_of(entry: AuditEntry) -> list[tuple[str, object]]:
    try:
        data = json.loads(entry.details or "{}")
    except ValueError:
        return []
    return [(k, _shown(v)) for k, v in sorted(data.items())]

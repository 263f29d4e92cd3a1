"""Imports of persons (SPEC L3): a checked upload becomes an `ImportJob`; the user picks the
sheet, maps the columns, sees a checked preview and chooses what happens with duplicates;
`run_import` (the huey task, or `depesche import`) then reads the file in batches of
`BATCH_SIZE` rows and plans each while a thread writes the one before: each batch one
transaction with bulk inserts, its search text, its list members, its rejected and skipped
rows, the job's counters and one audit entry — so a failure leaves the finished batches
and a report that says exactly what they hold."""

from __future__ import annotations

import datetime
import io
import itertools
import json
import logging
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from flask import abort, current_app
from flask_babel import force_locale, format_number
from flask_babel import gettext as _
from peewee import BooleanField, CharField, ForeignKeyField, IntegerField, TextField, fn

from app import files
from app.clients.models import FULL
from app.clients.scoping import require_client
from app.clock import utcnow
from app.contacts.models import (
    Person,
    PersonEmail,
    PersonOutlet,
    PersonPhone,
    PersonTopic,
)
from app.contacts.search import is_postgres, name_key
from app.contacts.services import EDITABLE_FIELDS, search_text
from app.extensions import db
from app.lists.models import DistributionList
from app.outlets.models import Outlet
from app.transfer import converting, reading, writing
from app.transfer import mapping as maps
from app.transfer.models import ON_DUPLICATE, ImportIssue, ImportJob
from app.transfer.reading import ImportFileError

log = logging.getLogger("depesche.imports")

BATCH_SIZE = 1000  # rows per transaction
# batches written at once: PostgreSQL's server checks keys and fills indexes on two cores
# (D42); SQLite has one writer at a time
WRITERS = {True: 2, False: 1}
INSERT_CHUNK = 200  # rows per INSERT statement (SQLite's variable limit)
PREVIEW_ROWS = 20
PERSON_DEFAULTS = {name: Person._meta.fields[name].default for name in EDITABLE_FIELDS}
PERSON_COLUMNS = (
    Person.client,
    *(Person._meta.fields[name] for name in EDITABLE_FIELDS),
    Person.blocked,
    Person.blocked_reason,
    Person.origin,
    Person.origin_file,
    Person.origin_row,
    Person.search_text,
    Person.name_key,
    Person.created_at,
    Person.updated_at,
)
ISSUE_COLUMNS = (
    ImportIssue.job,
    ImportIssue.row,
    ImportIssue.kind,
    ImportIssue.reason,
    ImportIssue.summary,
)
_STATEMENTS: dict[tuple, str] = {}
_PLAIN_FIELDS = (CharField, TextField, IntegerField, BooleanField, ForeignKeyField)


def _same(value):
    return value


def _nothing() -> None:
    pass


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_AS_TEXT = (CharField, TextField, IntegerField, ForeignKeyField)  # str() is COPY's text


def _copy_raw(value) -> str:
    """A value (not NULL) as COPY's text before escaping."""
    if value is True or value is False:
        return "t" if value else "f"
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    return str(value)


def _copy_slowly(fields, row) -> str:
    return "\t".join(
        "\\N" if v is None else _copy_raw(v).translate(_COPY_ESCAPES)
        for v in (field.db_value(value) for field, value in zip(fields, row, strict=True))
    )


def _copy_lines(fields, rows, tail=()) -> str:
    """The rows in COPY's text format. Text, numbers and keys are joined as they are and
    each line escaped at once (converting value by value was a third of the import's CPU);
    other columns (booleans, times) are converted first, and a row with a NULL goes value
    by value. `tail` holds values of further `fields` that are the same in every row
    (defaults): made once and added to each line."""
    if tail:
        end = "\t" + _copy_slowly(fields[len(fields) - len(tail) :], tail)
        fields = fields[: len(fields) - len(tail)]
    else:
        end = ""
    special = [i for i, field in enumerate(fields) if not isinstance(field, _AS_TEXT)]
    lines = []
    for row in rows:
        if None in row:
            lines.append(_copy_slowly(fields, row) + end)
            continue
        if special:
            row = list(row)
            for i in special:
                row[i] = _copy_raw(fields[i].db_value(row[i]))
        # the whole row at once, its values joined by NUL, which PostgreSQL cannot store in
        # text (a value with NUL fails its batch either way): every NUL is a separator.
        # str.replace finds nothing quickly; translate looks up every character.
        line = "\x00".join(map(str, row))
        if "\\" in line:
            line = line.replace("\\", "\\\\")
        lines.append(
            line.replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
            .replace("\x00", "\t")
            + end
        )
    if rows and lines[0] != _copy_slowly(fields, rows[0]) + end:  # not database values
        raise ValueError("COPY rows must hold database values")
    lines.append("")
    return "\n".join(lines)


def _sequence_values(model, count: int) -> list[int]:
    """`count` new primary keys of `model` from its sequence (PostgreSQL; a sequence is not
    transactional, so any connection may take them)."""
    pk = model._meta.primary_key
    cursor = db.execute_sql(
        "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
        (model._meta.table_name, pk.column_name, count),
    )
    return [row[0] for row in cursor.fetchall()]


def copy_text(model, fields, rows, tail=()) -> tuple:
    """(COPY statement, its data) of `rows` into `model`'s `fields` (PostgreSQL); the last
    `len(tail)` fields take the values of `tail` in every row."""
    from psycopg2 import sql

    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(model._meta.table_name),
        sql.SQL(", ").join(sql.Identifier(field.column_name) for field in fields),
    )
    return statement, _copy_lines(list(fields), rows, tuple(tail))


def send_copy(statement, text: str) -> None:
    # in one read: psycopg2 takes the interpreter lock again for every piece it reads, and
    # the importer's other threads hold it most of the time (8 KB pieces: ~0.3 s slower)
    db.cursor().copy_expert(statement, io.StringIO(text), size=max(8192, len(text)))


def _copy(model, fields, rows, returning=()) -> list[tuple]:
    """PostgreSQL: the rows through COPY, several times faster than INSERT statements (no
    statement to parse per 200 rows). New primary keys are taken from the table's sequence
    first when `returning` asks for them (COPY returns nothing)."""
    fields = list(fields)
    if returning:
        ids = _sequence_values(model, len(rows))
        fields = [model._meta.primary_key, *fields]
        rows = [(new_id, *row) for new_id, row in zip(ids, rows, strict=True)]
    send_copy(*copy_text(model, fields, rows))
    # by identity: a peewee field's == builds an expression
    positions = [next(i for i, f in enumerate(fields) if f is field) for field in returning]
    return [tuple(row[i] for i in positions) for row in rows] if returning else []


def bulk_insert(model, fields, rows, returning=()) -> list[tuple]:
    """INSERT `rows` (tuples in the order of `fields`) in statements of INSERT_CHUNK rows.
    peewee builds each statement once per shape (database, columns, number of rows) and the
    rows' parameters are converted by the fields themselves: building a 200-row statement
    node by node costs more than running it. Returns the `returning` columns' rows."""
    if is_postgres() and rows:
        return _copy(model, fields, rows, returning)
    result = []
    # Text, numbers and keys pass as they are (peewee's own conversion would return them
    # unchanged); the first statement of each shape checks that against peewee's.
    converters = [_same if isinstance(field, _PLAIN_FIELDS) else field.db_value for field in fields]
    converting = any(convert is not _same for convert in converters)
    for start_at in range(0, len(rows), INSERT_CHUNK):
        chunk = rows[start_at : start_at + INSERT_CHUNK]
        if converting:
            params = [
                convert(value)
                for row in chunk
                for convert, value in zip(converters, row, strict=True)
            ]
        else:
            params = list(itertools.chain.from_iterable(chunk))
        key = (type(db.obj), model, tuple(fields), tuple(returning), len(chunk))
        statement = _STATEMENTS.get(key)
        if statement is None:
            query = model.insert_many(chunk, fields=list(fields))
            if returning:
                query = query.returning(*returning)
            statement, built = query.sql()
            if list(built) != params:  # defaults or conversions of its own: let peewee run it
                log.warning("bulk insert into %s: statement not reusable", model.__name__)
                rows_back = query.tuples().execute() if returning else query.execute()
                result.extend(rows_back if returning else [])
                continue
            _STATEMENTS[key] = statement
        cursor = db.execute_sql(statement, params)
        if returning:
            result.extend(tuple(row) for row in cursor.fetchall())
    return result


# --- preparing a job -----------------------------------------------------------------------


def _info(job) -> reading.FileInfo:
    return reading.inspect(files.path_for(job.file_sha256))


def _check_rows(sheet: reading.SheetInfo) -> None:
    limit = reading.max_rows()
    if sheet.rows - 1 > limit:
        raise ImportFileError(
            _(
                "The sheet has %(rows)s rows; at most %(limit)s can be imported at once. "
                "Please split the file.",
                rows=format_number(sheet.rows),
                limit=format_number(limit),
            )
        )


def _read_header(job, info: reading.FileInfo) -> None:
    """Find the header row of the job's sheet, its columns and their fields."""
    sheet = info.sheet(job.sheet)
    _check_rows(sheet)
    path = files.path_for(job.file_sha256)
    first = reading.first_rows(path, info, job.sheet, reading.HEADER_SCAN)
    index = maps.find_header(first)
    header = first[index] if first else []
    if len(header) > reading.MAX_COLUMNS:
        raise ImportFileError(_("The sheet has more than %(n)d columns.", n=reading.MAX_COLUMNS))
    if not any(header):
        raise ImportFileError(_("The sheet is empty."))
    job.header_row = index + 1
    job.columns = json.dumps(maps.headers_of(header), ensure_ascii=False)
    job.mapping = json.dumps(maps.auto_mapping(header))
    job.total = max(sheet.rows - job.header_row, 0)


def create_job(user, client_id, stream, filename: str) -> ImportJob:
    """Store an uploaded file and check it; the job starts with the first sheet and the
    mapping found from its headers. ImportFileError for a file that cannot be imported
    (its bytes are then released again); 404/403 without full access to the client."""
    client = require_client(user, client_id, FULL)
    try:
        stored = files.save(stream, filename, reading.MAX_UPLOAD)
    except files.FileTooLarge:
        raise ImportFileError(too_large_message()) from None
    except files.EmptyFile:
        raise ImportFileError(_("The file is empty.")) from None
    try:
        info = reading.inspect(files.path_for(stored.sha256))
        job = ImportJob(
            client=client.id,
            user=user.id,
            file_sha256=stored.sha256,
            file_name=stored.name,
            file_size=stored.size,
            kind=info.kind,
            sheet=info.sheets[0].name,
            encoding=info.encoding,
            delimiter=info.delimiter,
        )
        _read_header(job, info)
    except ImportFileError:
        files.release(stored.sha256)
        raise
    with db.atomic():
        job.save()
        from app.audit.services import record

        record("import_job.create", job, details={"file": job.file_name, "size": job.file_size})
    return job


def too_large_message() -> str:
    return _(
        "The file is larger than %(mb)d MB. Please split it into smaller files.",
        mb=reading.MAX_UPLOAD // (1024 * 1024),
    )


def _editable(user, job_id) -> ImportJob:
    """A job that has not started yet, for changing: hidden 404, read only 403."""
    job = ImportJob.get_writable_or_403(user, job_id)
    if job.state != "new":
        abort(409)
    return job


def sheets(job) -> list[reading.SheetInfo]:
    return _info(job).sheets if job.kind == "xlsx" else []


def choose_sheet(user, job_id, name: str) -> ImportJob:
    job = _editable(user, job_id)
    info = _info(job)
    info.sheet(name)  # known?
    job.sheet = name
    _read_header(job, info)
    job.save()
    return job


def columns(job) -> list[str]:
    return json.loads(job.columns)


def job_mapping(job) -> dict[int, str]:
    return {int(k): v for k, v in json.loads(job.mapping).items()}


def importable_lists(user, job):
    """The static lists of the job's client the user may add members to."""
    return (
        DistributionList.writable_by(user)
        .where((DistributionList.client == job.client_id) & (DistributionList.kind == "static"))
        .order_by(fn.LOWER(DistributionList.name))
    )


class MappingError(ValueError):
    def __init__(self, errors: dict):
        self.errors = {k: str(v) for k, v in errors.items()}
        super().__init__("; ".join(self.errors.values()))


def save_mapping(user, job_id, wanted: dict, on_duplicate: str, list_id=None) -> ImportJob:
    """Set the columns' fields (each field at most once; a last name is needed), the
    duplicate rule and the target list (a static list of the job's client)."""
    job = _editable(user, job_id)
    count = len(columns(job))
    result, errors = {}, {}
    for key, name in wanted.items():
        try:
            index = int(key)
        except (TypeError, ValueError):
            continue
        if not name or not 0 <= index < count:
            continue
        if name not in maps.FIELDS:
            errors["mapping"] = _("Unknown field.")
        elif name in result.values():
            errors["mapping"] = _("%(field)s is chosen for two columns.", field=maps.FIELDS[name])
        result[index] = name
    if "last_name" not in result.values() and "mapping" not in errors:
        errors["mapping"] = _("Please choose the column with the last name.")
    if on_duplicate not in ON_DUPLICATE:
        errors["on_duplicate"] = _("Please choose what happens with duplicates.")
    target = None
    if list_id:
        target = importable_lists(user, job).where(DistributionList.id == list_id).first()
        if target is None:
            errors["list"] = _("Please choose a fixed list of the client.")
    job.mapping = json.dumps(result)
    job.on_duplicate = on_duplicate if on_duplicate in ON_DUPLICATE else job.on_duplicate
    job.target_list = target.id if target else None
    if errors:
        raise MappingError(errors)
    job.save()
    return job


# PostgreSQL: one probe of the address index per address. Given `address IN (500 texts)`
# it read the whole table instead (a seq scan is costed below 500 index probes until
# person_email has ~200,000 rows: 18 ms against 0.8 ms at 100,000, the server's busiest
# statement of an import); OFFSET 0 keeps the lateral subquery from becoming a join the
# planner could turn into the same scan.
_ADDRESS_PROBES = (
    "SELECT wanted.address, found.person_id FROM unnest(%s::text[]) AS wanted(address) "
    "CROSS JOIN LATERAL (SELECT person_id FROM person_email "
    "WHERE person_email.address = wanted.address OFFSET 0) AS found"
)


def _existing(user, client_id: int, addresses) -> dict[str, int]:
    """{address: person id} of the client's persons (visible to the user) with one of the
    addresses as any of their e-mail addresses; the lowest id wins."""
    found: dict[str, int] = {}
    addresses = sorted(set(addresses))
    for start in range(0, len(addresses), 500):
        chunk = addresses[start : start + 500]
        # the address index first (any client), then the scoping base on those few ids:
        # one plan that stays cheap however many persons the client has
        if is_postgres():
            pairs = db.execute_sql(_ADDRESS_PROBES, (chunk,)).fetchall()
        else:
            pairs = list(
                PersonEmail.select(PersonEmail.address, PersonEmail.person)
                .where(PersonEmail.address.in_(chunk))
                .tuples()
            )
        if not pairs:
            continue
        ids = {person_id for _address, person_id in pairs}
        allowed = {
            person.id
            for person in Person.visible_to(user, Person.id).where(
                Person.id.in_(list(ids)) & (Person.client == client_id) & Person.erased_at.is_null()
            )
        }
        for address, person_id in sorted(pairs, key=lambda pair: pair[1]):
            if person_id in allowed:
                found.setdefault(address, person_id)
    return found


@dataclass
class PreviewRow:
    row: maps.Row
    cells: list[str]
    note: str  # what will happen: new, duplicate …


def preview(user, job) -> list[PreviewRow]:
    """The first rows after the header, each checked as the import will check it."""
    info = _info(job)
    path = files.path_for(job.file_sha256)
    mapping = job_mapping(job)
    first = reading.first_rows(path, info, job.sheet, job.header_row + PREVIEW_ROWS)
    converted = []
    for offset, cells in enumerate(first[job.header_row :]):
        row = maps.convert(job.header_row + offset + 1, cells, mapping)
        if row is not None:
            converted.append((row, cells))
    existing = _existing(user, job.client_id, [r.key for r, _c in converted if r.key])
    seen: dict[str, int] = {}
    result = []
    for row, cells in converted:
        if row.errors:
            note = row.reason
        elif row.key and row.key in seen:
            note = _("Same e-mail address as row %(row)d.", row=seen[row.key])
        elif row.key and row.key in existing:
            note = _("A contact with this e-mail address exists already.")
        else:
            note = ""
        if row.key and not row.errors:
            seen.setdefault(row.key, row.number)
        result.append(PreviewRow(row, cells, note))
    return result


def start(user, job_id, locale: str = "") -> ImportJob:
    """Queue the import (the huey task); its messages will be in `locale` (the screen's)."""
    from app.transfer.tasks import run_import_task

    job = _editable(user, job_id)
    if "last_name" not in job_mapping(job).values():
        raise MappingError({"mapping": _("Please choose the column with the last name.")})
    ImportJob.update(state="queued", locale=locale[:8]).where(ImportJob.id == job.id).execute()
    run_import_task(job.id)
    return ImportJob.get_by_id(job.id)


# --- running -------------------------------------------------------------------------------


def actor_of(user):
    """The audit trail names the user who started the import, also in the worker."""
    from app.audit.services import Actor, current_actor

    if user is None:
        return current_actor()
    return Actor(user.id, f"{user.name} <{user.email}>")


class Importer:
    """Runs one job batch by batch (see the module docstring): `plan` in the importer's
    thread, `write` in the writer's (writing.BatchWriter), one batch behind."""

    def __init__(self, job: ImportJob, user):
        self.job, self.user = job, user
        self.client_id = job.client_id
        self.mapping = job_mapping(job)
        self.policy = job.on_duplicate
        self.seen: dict[str, tuple[int, int | None]] = {}  # address: (row, person id)
        self.outlets: dict[str, tuple[int, str]] = {}  # lower name: (id, name)
        self.topics: dict[str, tuple[int, str]] = {}
        self.target = None
        self.settle = _nothing  # run_import: wait for the writers
        self.turn = _nothing  # run_import: wait until the batch before is committed
        if job.target_list_id:
            self.target = (
                importable_lists(user, job).where(DistributionList.id == job.target_list_id).first()
            )
            if self.target is None:
                raise ImportFileError(_("The chosen list is no longer available."))

    # one batch ----------------------------------------------------------------------------

    def plan(self, numbered_rows, converted=None) -> Plan:
        """What one batch of (row number, cells) will do: its rows checked against the file
        so far and the database, its new persons made ready for writing as far as they can
        be (`Plan.ready`). Runs in the importer's thread while the writer writes the batch
        before; `self.settle()` waits for the writer when a person id written there is
        needed here."""
        if converted is None:
            converted = [
                maps.convert(number, cells, self.mapping) for number, cells in numbered_rows
            ]
        rows, issues = [], []
        for row in converted:
            if row is None:
                continue
            if row.errors:
                issues.append(self._issue(row, "rejected", row.reason))
            else:
                rows.append(row)
        existing = _existing(
            self.user, self.client_id, [r.key for r in rows if r.key and r.key not in self.seen]
        )
        creates: list[maps.Row] = []
        pending: dict[str, maps.Row] = {}  # address: row to be created in this batch
        updates: dict[int, list[maps.Row]] = {}
        for row in rows:
            key = row.key
            if key and (key in self.seen or key in pending):
                first_row, person_id = self.seen.get(key, (None, None))
                first_row = first_row or pending[key].number
                if self.policy == "skip":
                    issues.append(
                        self._issue(
                            row, "skipped", _("Same e-mail address as row %(row)d.", row=first_row)
                        )
                    )
                    continue
                if self.policy == "update":
                    if key in pending:
                        _merge(pending[key], row)
                    else:
                        if person_id is None:  # created by a batch still being written
                            self.settle()
                            person_id = self.seen[key][1]
                        updates.setdefault(person_id, []).append(row)
                    continue
            elif key and key in existing:
                if self.policy == "skip":
                    issues.append(
                        self._issue(
                            row,
                            "skipped",
                            _("A contact with this e-mail address exists already."),
                        )
                    )
                    self.seen[key] = (row.number, existing[key])
                    continue
                if self.policy == "update":
                    updates.setdefault(existing[key], []).append(row)
                    self.seen[key] = (row.number, existing[key])
                    continue
            creates.append(row)
            if key and key not in pending and key not in self.seen:
                pending[key] = row
        for row in creates:  # the writer puts in the person's id
            if row.key and row.key not in self.seen:
                self.seen[row.key] = (row.number, None)
        return Plan(numbered_rows, creates, updates, issues, self._ready(creates))

    def write(self, plan: Plan) -> dict:
        """Write one planned batch in one transaction; its counts."""
        creates, updates, issues = plan.creates, plan.updates, plan.issues
        merged_rows = sum(len(r.merged) for r in creates)
        with db.atomic():
            if plan.ready is None or updates:
                # outlets or topics to find or create, existing persons to change: only
                # after the batch before is committed (no duplicates, no lock waits in turn)
                self.turn()
            created = self._create(creates, plan.ready)
            for row in creates:
                if self.seen.get(row.key) == (row.number, None):
                    self.seen[row.key] = (row.number, created[row.number])
            self.turn()  # the rest (audit entries, counters) in file order
            updated_ids = self._update(updates)
            member_ids = list(created.values()) + updated_ids
            if self.target is not None and member_ids:
                from app.lists.services import add_members

                add_members(self.user, self.target.id, member_ids)
            bulk_insert(ImportIssue, ISSUE_COLUMNS, issues)
            counts = {
                "created": len(created),
                "updated": sum(len(r) for r in updates.values()) + merged_rows,
                "skipped": sum(1 for i in issues if i[2] == "skipped"),
                "rejected": sum(1 for i in issues if i[2] == "rejected"),
            }
            from app.audit.services import record

            record(
                "import_job.batch",
                self.job,
                actor=actor_of(self.user),
                details={
                    **counts,
                    "created_ids": list(created.values()),
                    "updated_ids": updated_ids,
                },
            )
            ImportJob.update(
                created=ImportJob.created + counts["created"],
                updated=ImportJob.updated + counts["updated"],
                skipped=ImportJob.skipped + counts["skipped"],
                rejected=ImportJob.rejected + counts["rejected"],
                processed=ImportJob.processed + len(plan.numbered_rows),
            ).where(ImportJob.id == self.job.id).execute()
        return counts

    def _issue(self, row, kind, reason) -> tuple:
        return (self.job.id, row.number, kind, reason[:2000], row.summary)

    def _origin(self, row) -> dict:
        return {
            "origin": "import",
            "origin_file": self.job.file_name[:254],
            "origin_row": row.number,
        }

    def _outlet(self, name: str) -> tuple[int, str] | None:
        if not name:
            return None
        key = name.lower()
        if key not in self.outlets:
            self._find_outlets([(name, None)])
        return self.outlets[key]

    def _find_outlets(self, named) -> None:
        """Find the outlets of (name, row number) pairs not known yet within the client (any
        case; the oldest of a name) and create those missing in one go, with the file and
        the first row naming each as their origin (a new press list names hundreds)."""
        wanted: dict[str, tuple[str, int | None]] = {}
        for name, number in named:
            key = name.lower()
            if name and key not in self.outlets and key not in wanted:
                wanted[key] = (name, number)
        if not wanted:
            return
        keys = list(wanted)
        for start in range(0, len(keys), INSERT_CHUNK):
            found = (
                Outlet.writable_by(self.user, Outlet.id, Outlet.name)
                .where(
                    (Outlet.client == self.client_id)
                    & fn.LOWER(Outlet.name).in_(keys[start : start + INSERT_CHUNK])
                )
                .order_by(Outlet.id.desc())  # the oldest of a name last, so it stays
                .tuples()
            )
            for outlet_id, name in found:
                self.outlets[name.lower()] = (outlet_id, name)
        missing = [wanted[key] for key in keys if key not in self.outlets]
        if missing:
            from app.outlets.services import create_outlets

            created = create_outlets(
                self.user,
                self.client_id,
                [{"name": name} for name, _ in missing],
                origin="import",
                origin_file=self.job.file_name,
                origin_rows=[number for _, number in missing],
            )
            for outlet in created:
                self.outlets[outlet.name.lower()] = (outlet.id, outlet.name)

    def _topic(self, name: str) -> tuple[int, str]:
        key = name.lower()
        if key not in self.topics:
            from app.contacts.services import topic_named

            topic = topic_named(self.user, self.client_id, name)
            self.topics[key] = (topic.id, topic.name)
        return self.topics[key]

    def _ready(self, creates) -> Ready | None:
        """The batch's new persons made ready for writing, in the importer's thread: their
        rows, links and (PostgreSQL) the COPY texts with ids from the sequence. None when an
        outlet or topic of theirs is not known yet: the writer finds or creates it in the
        batch's transaction and makes the rows itself."""
        if not creates:
            return None
        outlets, topics = self.outlets, self.topics
        for row in creates:
            if (row.outlet and row.outlet.lower() not in outlets) or any(
                name.lower() not in topics for name in row.topics
            ):
                return None
        ready = self._records(creates)
        if is_postgres():
            ready.ids = _sequence_values(Person, len(creates))
            numbers = [row.number for row in creates]
            ids = dict(zip(numbers, ready.ids, strict=True))
            persons = [(i, *record) for i, record in zip(ready.ids, ready.records, strict=True)]
            ready.copies = [
                copy_text(Person, (Person.id, *PERSON_COLUMNS), persons),
                *(
                    copy_text(model, fields, rows)
                    for model, fields, rows in _link_rows(ready.links, ids)
                    if rows
                ),
            ]
        return ready

    def _records(self, creates) -> Ready:
        """The person rows (PERSON_COLUMNS) and their links of the rows to create."""
        now = utcnow()
        records, links = [], {}
        for row in creates:
            values = {**PERSON_DEFAULTS, **row.values}
            phone = values.pop("phone", "")
            outlet = self._outlet(row.outlet)
            topics = [self._topic(t) for t in row.topics]
            links[row.number] = (row.emails, phone, outlet, topics, values)
            outlet_names, topic_names = [outlet[1]] if outlet else [], [t[1] for t in topics]
            if (
                row.prepared
                and not row.merged
                and outlet_names == ([row.outlet] if row.outlet else [])
                and topic_names == row.topics
            ):
                text, key = row.prepared  # computed from the same values while converting
            else:
                text = search_text(values, row.emails, outlet_names, topic_names)
                key = name_key(values["last_name"])
            records.append(
                (
                    self.client_id,
                    *(values[name] for name in EDITABLE_FIELDS),
                    False,
                    "",
                    "import",
                    self.job.file_name[:254],
                    row.number,
                    text,
                    key,
                    now,
                    now,
                )
            )
        return Ready(records, links)

    def _create(self, creates, ready: Ready | None = None) -> dict[int, int]:
        """Insert the new persons with their addresses, numbers, outlet and topics in bulk,
        as `ready` made them ahead (else here); {row number: person id}."""
        if not creates:
            return {}
        if ready is None:
            self._find_outlets((row.outlet, row.number) for row in creates)
            ready = self._records(creates)
        if ready.copies is not None:  # PostgreSQL, ids and texts made ahead
            for statement, text in ready.copies:
                send_copy(statement, text)
            return dict(zip((row.number for row in creates), ready.ids, strict=True))
        returned = bulk_insert(
            Person, PERSON_COLUMNS, ready.records, (Person.id, Person.origin_row)
        )
        ids = {origin_row: person_id for person_id, origin_row in returned}
        for model, fields, rows in _link_rows(ready.links, ids):
            bulk_insert(model, fields, rows)
        return ids

    def _update(self, updates: dict[int, list]) -> list[int]:
        """Change existing persons through the contacts service (audited per person): the
        row's non-empty values win; addresses, outlet and topics are added."""
        from app.contacts.services import reindex, update_person

        done = []
        for person_id, rows in updates.items():
            values, addresses, outlet, topics, last = {}, [], "", [], rows[-1]
            for row in rows:
                values.update({k: v for k, v in row.values.items() if v})
                addresses += row.emails
                outlet = row.outlet or outlet
                topics += row.topics
            values.pop("email", None)
            update_person(self.user, person_id, **values)
            Person.update(**self._origin(last)).where(Person.id == person_id).execute()
            present = {
                a
                for (a,) in PersonEmail.select(PersonEmail.address)
                .where(PersonEmail.person == person_id)
                .tuples()
            }
            for address in dict.fromkeys(addresses):
                if address not in present:
                    PersonEmail.create(person=person_id, address=address, is_primary=False)
            found = self._outlet(outlet)
            if found and not PersonOutlet.get_or_none(person=person_id, outlet=found[0]):
                PersonOutlet.create(
                    person=person_id,
                    outlet=found[0],
                    position=values.get("position", ""),
                    department=values.get("department", ""),
                )
            for name in dict.fromkeys(topics):
                topic_id = self._topic(name)[0]
                if not PersonTopic.get_or_none(person=person_id, topic=topic_id):
                    PersonTopic.create(person=person_id, topic=topic_id)
            done.append(person_id)
        reindex(done)
        return done


def _merge(into: maps.Row, row: maps.Row) -> None:
    """A later row of the same address completes the row that creates the person."""
    into.values.update({k: v for k, v in row.values.items() if v})
    into.emails = list(dict.fromkeys(into.emails + row.emails))
    into.outlet = row.outlet or into.outlet
    into.topics = list(dict.fromkeys(into.topics + row.topics))
    into.merged.append(row.number)


@dataclass
class Ready:
    """New persons made ready for writing (Importer._ready): their rows (PERSON_COLUMNS),
    {row number: (addresses, phone, outlet, topics, values)}, and on PostgreSQL their ids
    and the COPY statements with their texts."""

    records: list[tuple]
    links: dict[int, tuple]
    ids: list[int] | None = None
    copies: list[tuple] | None = None


@dataclass
class Plan:
    """One batch as the importer planned it for the writer."""

    numbered_rows: list[tuple[int, list[str]]]
    creates: list[maps.Row]
    updates: dict[int, list[maps.Row]]
    issues: list[tuple]
    ready: Ready | None = None


EMAIL_COLUMNS = (PersonEmail.person, PersonEmail.address, PersonEmail.is_primary)
PHONE_COLUMNS = (PersonPhone.person, PersonPhone.number, PersonPhone.kind, PersonPhone.is_primary)
OUTLET_COLUMNS = (
    PersonOutlet.person,
    PersonOutlet.outlet,
    PersonOutlet.position,
    PersonOutlet.department,
)
TOPIC_COLUMNS = (PersonTopic.person, PersonTopic.topic)


def _link_rows(links: dict[int, tuple], ids: dict[int, int]) -> list[tuple]:
    """(model, columns, rows) of the new persons' addresses, numbers, outlets and topics."""
    emails, phones, outlet_links, topic_links = [], [], [], []
    for number, (addresses, phone, outlet, topics, values) in links.items():
        person_id = ids[number]
        for position, address in enumerate(addresses):
            emails.append((person_id, address, position == 0))
        if phone:
            phones.append((person_id, phone, "office", True))
        if outlet:
            outlet_links.append((person_id, outlet[0], values["position"], values["department"]))
        for topic in dict.fromkeys(t[0] for t in topics):
            topic_links.append((person_id, topic))
    return [
        (PersonEmail, EMAIL_COLUMNS, emails),
        (PersonPhone, PHONE_COLUMNS, phones),
        (PersonOutlet, OUTLET_COLUMNS, outlet_links),
        (PersonTopic, TOPIC_COLUMNS, topic_links),
    ]


def _analyze() -> None:
    """PostgreSQL plans the duplicate lookup from table statistics, which a bulk import
    into an empty table makes wrong at once (it then scans every person of the client for
    each batch); refresh them early, while that is cheap."""
    if is_postgres():
        db.execute_sql("ANALYZE person, person_email")


def _prepare(row: maps.Row) -> None:
    """The search text and name key of a row as it stands, computed in the converting
    thread; `_create` takes them unless the row changed or its outlet or topics are stored
    under other names."""
    values = {**PERSON_DEFAULTS, **row.values}
    outlets = [row.outlet] if row.outlet else []
    row.prepared = (
        search_text(values, row.emails, outlets, row.topics),
        name_key(values["last_name"]),
    )


def _data_rows(job):
    """(row number, cells) of every row below the header, streamed by the fast reader."""
    path = files.path_for(job.file_sha256)
    source = reading.rows(path, job.kind, job.sheet, job.encoding, job.delimiter)
    for number, cells in enumerate(source, start=1):
        if number > job.header_row:
            yield number, cells


def _stopped(job, batch, exc) -> ImportFileError:
    log.error("import %s failed in rows %s-%s", job.id, batch[0][0], batch[-1][0], exc_info=exc)
    return ImportFileError(
        _(
            "The import stopped in rows %(first)d to %(last)d, which were not "
            "imported (%(reason)s). The rows before them are imported.",
            first=batch[0][0],
            last=batch[-1][0],
            reason=type(exc).__name__,
        )
    )


def _run_batches(job, importer, batches, writer) -> None:
    """Plan each converted batch here and hand it to the writer. Whatever stops the import,
    the batches handed on before are written (or fail) first, so that the first failure in
    file order is the one reported, and the report holds exactly the committed batches."""
    try:
        for converted in batches:
            batch = converted.numbered_rows
            try:
                if converted.error is not None:
                    raise converted.error
                plan = importer.plan(batch, converted.rows)
            except writing.WriteFailed:
                raise
            except Exception as exc:
                writer.drain()
                if isinstance(exc, ImportFileError):
                    raise
                raise _stopped(job, batch, exc) from None
            writer.put(plan)
        writer.drain()
    except writing.WriteFailed as failed:
        if isinstance(failed.error, ImportFileError):
            raise failed.error from None
        raise _stopped(job, failed.item.numbered_rows, failed.error) from None
    except ImportFileError:
        raise
    except Exception:  # the reader failed: the batches before it are written first
        try:
            writer.drain()
        except writing.WriteFailed as failed:
            raise _stopped(job, failed.item.numbered_rows, failed.error) from None
        raise


def run_import(job_id: int, progress=None) -> ImportJob:
    """Run a queued job to its end (done or failed, with the reason); never raises for a
    bad file or row. `progress(rows)` is called after each batch (the command line)."""
    job = ImportJob.get_or_none(ImportJob.id == job_id)
    if job is None or job.state != "queued":
        return job
    ImportJob.update(state="running", started_at=utcnow()).where(ImportJob.id == job.id).execute()
    user = job.user
    locale = job.locale or (user.locale if user else None) or current_app.config["DEFAULT_LOCALE"]
    error = ""
    with force_locale(locale):
        try:
            if user is None or not user.active:
                raise ImportFileError(_("The user who started the import no longer exists."))
            try:
                require_client(user, job.client_id, FULL)
            except Exception:
                raise ImportFileError(_("You no longer have full access to this client.")) from None
            # the stored file cannot change (its name is its digest) and was checked at
            # upload; only a row limit lowered since then is applied again
            _check_rows(reading.SheetInfo(job.sheet, job.total + job.header_row))
            importer = Importer(job, user)
            batches = converting.converted_batches(
                _data_rows(job), BATCH_SIZE, importer.mapping, locale, _prepare
            )
            written = itertools.count(1)

            def after(plan):  # in the writer's thread, after the batch's commit
                if next(written) in (1, 5):  # cheap while the table is small
                    _analyze()
                if progress:
                    progress(len(plan.numbered_rows))

            # a failed batch stops the converting thread at once
            with (
                closing(batches),
                writing.BatchWriter(
                    importer.write, locale, after, WRITERS[is_postgres()]
                ) as writer,
            ):
                importer.settle, importer.turn = writer.drain, writer.turn
                _run_batches(job, importer, batches, writer)
        except ImportFileError as exc:
            error = str(exc)
        except Exception as exc:  # the reader itself failed (a damaged file)
            log.exception("import %s failed", job.id)
            error = _("The file could not be read to its end (%(reason)s).", reason=str(exc)[:200])
    job = ImportJob.get_by_id(job.id)
    job.state, job.error, job.finished_at = ("failed" if error else "done"), error, utcnow()
    if not error:
        job.total = job.processed  # the scan counted rows, blank ones in between too
    ImportJob.update(
        state=job.state, error=job.error, finished_at=job.finished_at, total=job.total
    ).where(ImportJob.id == job.id).execute()
    from app.audit.services import record

    record(
        "import_job.finish",
        job,
        details={
            "state": job.state,
            "created": job.created,
            "updated": job.updated,
            "skipped": job.skipped,
            "rejected": job.rejected,
            "error": job.error,
        },
        actor=actor_of(user),
    )
    return job


# --- the report ----------------------------------------------------------------------------


def write_report(job, target) -> None:
    """The report as .xlsx into `target` (a path or a binary file): a summary sheet and
    every rejected or skipped row with its number and reason. Cells are written as text,
    so nothing in them can become a formula."""
    import xlsxwriter

    from app.transfer.models import STATES

    workbook = xlsxwriter.Workbook(
        str(target) if isinstance(target, Path | str) else target,
        {"constant_memory": True, "in_memory": not isinstance(target, Path | str)},
    )
    bold = workbook.add_format({"bold": True})
    summary = workbook.add_worksheet(_("Summary"))
    summary.set_column(0, 0, 24)
    summary.set_column(1, 1, 60)
    lines = [
        (_("File"), job.file_name),
        (_("State"), str(STATES.get(job.state, job.state))),
        (_("Created"), job.created),
        (_("Updated"), job.updated),
        (_("Skipped"), job.skipped),
        (_("Rejected"), job.rejected),
        (_("Error"), job.error),
    ]
    for number, (label, value) in enumerate(lines):
        summary.write_string(number, 0, label, bold)
        if isinstance(value, int):
            summary.write_number(number, 1, value)
        else:
            summary.write_string(number, 1, value or "")
    sheet = workbook.add_worksheet(_("Rows"))
    sheet.set_column(0, 1, 12)
    sheet.set_column(2, 2, 40)
    sheet.set_column(3, 3, 80)
    for col, label in enumerate((_("Row"), _("Result"), _("Contact"), _("Reason"))):
        sheet.write_string(0, col, label, bold)
    kinds = {"rejected": _("rejected"), "skipped": _("skipped")}
    query = job.issues.order_by(ImportIssue.row, ImportIssue.id).tuples()
    query = query.select(ImportIssue.row, ImportIssue.kind, ImportIssue.summary, ImportIssue.reason)
    for number, (row, kind, summary_text, reason) in enumerate(query.iterator(), start=1):
        sheet.write_number(number, 0, row)
        sheet.write_string(number, 1, kinds.get(kind, kind))
        sheet.write_string(number, 2, summary_text)
        sheet.write_string(number, 3, reason)
    workbook.close()


KEEP_DAYS = 30  # the file and the report's rows of a finished import
ABANDONED_HOURS = 24  # an upload whose wizard was never finished
STALE_HOURS = 6  # a job queued or running this long was lost with its worker


def purge(now: datetime.datetime | None = None) -> dict:
    """Delete what imports leave behind (run daily by the worker): uploads abandoned in the
    wizard (the job and its file), and KEEP_DAYS after an import its file and the rows of
    its report, which hold the rejected rows' personal data — the job itself stays with its
    counts. A job queued or running for STALE_HOURS counts as failed. Returns counts."""
    now = now or utcnow()
    result = {"abandoned": 0, "expired": 0, "stale": 0}
    result["stale"] = (
        ImportJob.update(state="failed", finished_at=now, error="interrupted: the worker stopped")
        .where(
            ImportJob.state.in_(["queued", "running"])
            & (ImportJob.created_at < now - datetime.timedelta(hours=STALE_HOURS))
        )
        .execute()
    )
    for job in ImportJob.select().where(
        (ImportJob.state == "new")
        & (ImportJob.created_at < now - datetime.timedelta(hours=ABANDONED_HOURS))
    ):
        with db.atomic():
            job.delete_instance(recursive=True)
        files.release(job.file_sha256)
        result["abandoned"] += 1
    for job in ImportJob.select().where(
        ImportJob.state.in_(["done", "failed"])
        & ImportJob.purged_at.is_null()
        & (ImportJob.finished_at < now - datetime.timedelta(days=KEEP_DAYS))
    ):
        with db.atomic():
            ImportIssue.delete().where(ImportIssue.job == job.id).execute()
            ImportJob.update(purged_at=now, file_sha256="").where(ImportJob.id == job.id).execute()
        files.release(job.file_sha256)
        result["expired"] += 1
    return result

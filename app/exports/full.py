"""The full data export's ZIP (SPEC L5): every table of the organisation as a flat CSV file,
the file store's documents, and a README.txt that lists them.

Like the backup (backup/depesche_backup/snapshot.py) it enumerates `app.models.all_models()`
and reads the tables directly, across all clients: the full export is the organisation's
data for its administrator, not a user's view of it. Secret columns are left out
(`excluded_columns`). Rows are read in key order in batches (`BATCH`) and written as they
come, so the memory used does not grow with the tables.
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import decimal
import io
import os
import zipfile
from collections.abc import Callable
from pathlib import Path

from peewee import ForeignKeyField

from app import files
from app.audit.services import SECRET_FIELDS

BATCH = 2000
# Secrets that are named differently from the audit trail's SECRET_FIELDS: the TOTP state's
# encrypted secret and its last step, and a session's generation (it is the user's session
# token, app/auth/sessions.py).
SECRET_COLUMNS = {
    ("totp_state", "secret"),
    ("totp_state", "last_step"),
    ("user_session", "generation"),
}
# What each table holds, for the README; a new model adds its line (a test checks).
DESCRIPTIONS = {
    "client": "Clients (Mandanten); client-owned records name theirs in client_id.",
    "user": "User accounts: name, e-mail, roles and rights, language; no password hashes.",
    "client_right": "Each user's right on each client: full or read (no row: hidden).",
    "audit_entry": "The audit trail: who did what to which record, hash-chained.",
    "audit_head": "The audit trail's head: the last sequence number and hash.",
    "setting": "Run-time settings (key, JSON value).",
    "login_attempt": "Sign-in attempts with their outcome, address and browser.",
    "user_session": "Signed-in sessions (times, address, browser; no tokens).",
    "password_history": "When users changed their passwords (no hashes).",
    "recovery_code": "Second-factor recovery codes: whether and when used (no codes).",
    "login_challenge": "Second sign-in steps in progress (no codes or tokens).",
    "totp_state": "Which users have an authenticator app set up (no secrets).",
    "password_reset": "Password resets by an administrator (no hashes).",
    "outlet": "Media outlets.",
    "outlet_department": "Editorial departments of the outlets.",
    "topic": "Topics (tags) of persons and outlets, per client.",
    "person": "Persons (journalists and other contacts); erased persons are blank rows.",
    "person_email": "E-mail addresses of the persons (person_id).",
    "person_phone": "Phone numbers of the persons (person_id).",
    "person_outlet": "Which person works for which outlet, with position and department.",
    "person_topic": "Topics of the persons.",
    "outlet_topic": "Topics of the outlets.",
    "history_entry": "Contact history: notes, calls and documents (file_sha256 names the "
    "document's file under files/).",
    "not_duplicate": "Pairs of persons marked as not being duplicates.",
    "distribution_list": "Distribution lists (a saved search in `search` for dynamic ones).",
    "list_member": "The fixed members of the distribution lists.",
    "export_job": "Full data exports like this one.",
}


def excluded_columns(model) -> list[str]:
    """The columns of a model's table that never leave the system."""
    table = model._meta.table_name
    return [
        f.column_name
        for f in model._meta.sorted_fields
        if f.name in SECRET_FIELDS or (table, f.name) in SECRET_COLUMNS
    ]


def exported_fields(model) -> list:
    excluded = set(excluded_columns(model))
    return [f for f in model._meta.sorted_fields if f.column_name not in excluded]


def description(model) -> str:
    table = model._meta.table_name
    if table in DESCRIPTIONS:
        return DESCRIPTIONS[table]
    doc = (model.__doc__ or "").strip()
    return " ".join(doc.split("\n\n")[0].split()) if doc else ""


def cell(value) -> str:
    """A value as CSV text: empty for NULL, ISO 8601 for times, true/false, else str()."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return format(value, "f")
    if isinstance(value, bytes | memoryview):  # PostgreSQL's driver gives memoryviews
        return bytes(value).hex()
    return str(value)


def table_rows(model, batch: int = BATCH):
    """Every row of a table (exported columns only), in key order, `batch` at a time."""
    fields = exported_fields(model)
    pk = model._meta.primary_key
    position = fields.index(pk)
    last = None
    while True:
        query = model.select(*fields).order_by(pk).limit(batch)
        if last is not None:
            query = query.where(pk > last)
        rows = list(query.tuples())
        if not rows:
            return
        yield from rows
        last = rows[-1][position]


def stored_files(root: Path) -> list[Path]:
    """The file store's files (files/ab/<sha256>), not its temporary uploads."""
    if not root.is_dir():
        return []
    found = []
    for sub in sorted(root.iterdir()):
        if sub.is_dir() and len(sub.name) == 2:
            found.extend(
                p for p in sorted(sub.iterdir()) if p.is_file() and files.DIGEST.match(p.name)
            )
    return found


def write_zip(target: Path, progress: Callable[[int, str], None], heading: str) -> dict:
    """Write the export to `target`; `progress(percent, step)` is told as it goes. Returns
    the row count per table and the number and bytes of the files."""
    from app.models import all_models

    models = all_models()
    counts = {m._meta.table_name: m.select().count() for m in models}
    store = stored_files(files.root())
    total = sum(counts.values()) + len(store) + 1
    done, reported = 0, -1

    def advance(units: int, step: str) -> None:
        nonlocal done, reported
        done += units
        percent = min(99, done * 100 // total)
        if percent != reported:
            reported = percent
            progress(percent, step)

    written = {}
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for model in models:
            table = model._meta.table_name
            advance(0, table)
            fields = exported_fields(model)
            info = zipfile.ZipInfo(f"tables/{table}.csv", _now_tuple())
            info.compress_type = zipfile.ZIP_DEFLATED
            with (
                archive.open(info, "w", force_zip64=True) as raw,
                io.TextIOWrapper(raw, encoding="utf-8", newline="") as text,
            ):
                writer = csv.writer(text)
                writer.writerow([f.column_name for f in fields])
                rows = 0
                for row in table_rows(model):
                    writer.writerow([cell(v) for v in row])
                    rows += 1
                    if rows % BATCH == 0:
                        advance(BATCH, table)
                advance(rows % BATCH, table)
            written[table] = rows
        size = 0
        for path in store:
            relative = f"files/{path.parent.name}/{path.name}"
            archive.write(path, relative, compress_type=zipfile.ZIP_STORED)
            size += path.stat().st_size
            advance(1, "files")
        readme = _readme(heading, models, written, len(store), size)
        archive.writestr("README.txt", readme)
    return {"tables": written, "files": len(store), "file_bytes": size}


def _now_tuple():
    now = datetime.datetime.now()
    return (now.year, now.month, now.day, now.hour, now.minute, now.second)


def _readme(heading: str, models, written: dict, file_count: int, file_bytes: int) -> str:
    lines = [
        "Depesche: full data export",
        "=" * 26,
        "",
        heading,
        "",
        "This ZIP holds every table of the organisation as a CSV file (tables/), the stored",
        "documents (files/) and this README. Every client's data is included.",
        "",
        "CSV files: UTF-8 without byte-order mark, comma-separated, fields quoted where",
        "needed, one header row with the column names of the database. Ids are kept, so the",
        "relations can be rebuilt: below each table, 'links' names the table whose id each",
        "of its reference columns holds (author_id -> user: the id of a row of user.csv).",
        "audit_entry names its record by target_type (a table) and target_id. Empty means",
        "no value (NULL); times are ISO 8601 in UTC; yes/no values are true/false.",
        "The cells are written exactly as stored and NOT neutralised against formula",
        "injection: this is a data export for programs. A text beginning with =, +, - or @",
        "may be taken for a formula by a spreadsheet: import the files as text, do not open",
        "them by double-click.",
        "",
        "Left out for security: password hashes, session tokens and generations, TOTP secrets,",
        "recovery, reset and sign-in code hashes.",
        "",
        "Tables",
        "------",
    ]
    width = max(len(f"tables/{m._meta.table_name}.csv") for m in models)
    for model in models:
        table = model._meta.table_name
        left_out = excluded_columns(model)
        lines.append(
            f"{f'tables/{table}.csv':<{width}}  {written.get(table, 0):>9} rows  "
            f"{description(model)}"
        )
        links = [
            f"{f.column_name} -> {f.rel_model._meta.table_name}"
            for f in model._meta.sorted_fields
            if isinstance(f, ForeignKeyField)
        ]
        indent = " " * (width + 18)
        if links:
            lines.append(f"{indent}links: {', '.join(links)}")
        if left_out:
            lines.append(f"{indent}columns left out: {', '.join(left_out)}")
    lines += [
        "",
        "Files",
        "-----",
        f"files/ab/<sha256>  {file_count} files, {file_bytes} bytes: the stored documents,",
        "each named by the SHA-256 digest of its content (the folder is its first two",
        "characters). history_entry.csv says which person each belongs to (file_sha256) and",
        "its original name and type (file_name, file_type).",
        "",
    ]
    return "\n".join(lines)


def sha256_of(path: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)

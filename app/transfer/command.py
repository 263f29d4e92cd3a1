"""`depesche import FILE`: the wizard's import for administrators and scripts. The found
columns are taken as they are; the import runs in this process, with a progress bar on a
terminal, and the per-row report is written beside the file (FILE without its suffix,
plus `.report.xlsx`)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from peewee import fn

from app.clients.models import FULL, Client
from app.clients.services import client_ids_for
from app.transfer import services
from app.transfer.models import ImportJob
from app.transfer.reading import ImportFileError
from app.users.models import User


class CommandError(Exception):
    """One line for the operator."""


def _client(name: str | None) -> Client:
    query = Client.select().where(Client.active == True)  # noqa: E712 (SQL)
    if name:
        client = query.where(fn.LOWER(Client.name) == name.strip().lower()).first()
        if client is None:
            raise CommandError(f"no active client named {name!r}")
        return client
    clients = list(query.limit(2))
    if len(clients) != 1:
        raise CommandError("several clients exist: name one with --client")
    return clients[0]


def _user(email: str | None, client: Client) -> User:
    """The user in whose name the import runs: --user, else the first active administrator
    with full access to the client."""
    from app.users.services import find_user

    if email:
        user = find_user(email)
        if user is None or not user.active:
            raise CommandError(f"no active user with the e-mail address {email}")
    else:
        user = next(
            (
                u
                for u in User.select()
                .where((User.is_administrator == True) & (User.active == True))  # noqa: E712
                .order_by(User.id)
                if client.id in {r.client_id for r in client_ids_for(u, FULL)}
            ),
            None,
        )
        if user is None:
            raise CommandError(
                f"no active administrator has full access to {client.name}: name a user "
                "with --user, or grant the access (depesche grant)"
            )
    if client.id not in {r.client_id for r in client_ids_for(user, FULL)}:
        raise CommandError(f"{user.email} has no full access to {client.name}")
    return user


def report_path(path: Path) -> Path:
    return path.with_name(path.stem + ".report.xlsx")


def run(path, client_name=None, list_name=None, on_duplicate="skip", sheet=None, email=None):
    """Import the file; returns the finished job. CommandError for anything that stops it
    before it starts (a file that cannot be read, an unknown client, list or sheet)."""
    path = Path(path)
    if not path.is_file() or not os.access(path, os.R_OK):
        raise CommandError(f"cannot read {path}: no such readable file")
    client = _client(client_name)
    user = _user(email, client)
    try:
        with open(path, "rb") as handle:
            job = services.create_job(user, client.id, handle, path.name)
        if sheet:
            job = services.choose_sheet(user, job.id, sheet)
        list_id = None
        if list_name:
            target = (
                services.importable_lists(user, job)
                .where(fn.LOWER(services.DistributionList.name) == list_name.strip().lower())
                .first()
            )
            if target is None:
                raise CommandError(f"{client.name} has no fixed list named {list_name!r}")
            list_id = target.id
        services.save_mapping(
            user,
            job.id,
            {str(k): v for k, v in services.job_mapping(job).items()},
            on_duplicate,
            list_id,
        )
    except ImportFileError as exc:
        raise CommandError(f"{path}: {exc}") from None
    except services.MappingError as exc:
        found = ", ".join(h for h in services.columns(job) if h)
        raise CommandError(f"{path}: {exc} (headers found: {found})") from None
    ImportJob.update(state="queued").where(ImportJob.id == job.id).execute()
    job = ImportJob.get_by_id(job.id)
    if sys.stdout.isatty():
        with click.progressbar(length=max(job.total, 1), label=path.name) as bar:
            job = services.run_import(job.id, progress=bar.update)
    else:
        job = services.run_import(job.id)
    services.write_report(job, report_path(path))
    return job

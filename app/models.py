"""The data layer's base: one `BaseModel`, the list of all models, and schema migrations.

Migrations are explicit, numbered scripts in `app/migrations/` run by peewee's own
migration runner (playhouse.migrations). Each script freezes the models it creates, so an
old database upgrades in place whatever the current models look like; a test proves that
head equals the current models (see docs/decisions.md).
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from peewee import Model
from playhouse.migrations import Migration, Runner

from app.extensions import db

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
MIGRATIONS_TABLE = "schema_migration"


class BaseModel(Model):
    class Meta:
        database = db
        legacy_table_names = False


def __getattr__(name):
    # `from app.models import ClientScoped`: the base of every client-owned model (SPEC A3,
    # docs/architecture.md "Client scoping"). It lives in app.clients.scoping because it
    # needs the Client model, which needs BaseModel from here; loaded on first use.
    if name == "ClientScoped":
        from app.clients.scoping import ClientScoped

        return ClientScoped
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def all_models() -> list[type[BaseModel]]:
    """Every model of the application, in dependency order."""
    from app.audit.models import AuditEntry, AuditHead
    from app.auth.models import (
        LoginAttempt,
        LoginChallenge,
        PasswordHistory,
        PasswordReset,
        RecoveryCode,
        TotpState,
        UserSession,
    )
    from app.blacklist.models import BlacklistEntry
    from app.bounces.models import AddressBounce, BounceMessage
    from app.clients.models import Client, ClientRight
    from app.contacts.models import (
        HistoryEntry,
        NotDuplicate,
        OutletTopic,
        Person,
        PersonEmail,
        PersonOutlet,
        PersonPhone,
        PersonTopic,
        Topic,
    )
    from app.events.models import Event, Invitation
    from app.exports.models import ExportJob
    from app.lists.models import DistributionList, ListMember
    from app.mailings.models import (
        DispatchLease,
        Mailing,
        MailingAttachment,
        MailingRecipient,
        MailingSource,
    )
    from app.outlets.models import Outlet, OutletDepartment
    from app.senders.models import DkimKey, SenderAccount, SenderDomain, SenderUser
    from app.settings.models import Setting
    from app.status.models import Notice
    from app.transfer.models import ImportIssue, ImportJob
    from app.users.models import User

    return [
        Client,
        User,
        ClientRight,
        AuditEntry,
        AuditHead,
        Setting,
        LoginAttempt,
        UserSession,
        PasswordHistory,
        RecoveryCode,
        LoginChallenge,
        TotpState,
        PasswordReset,
        Outlet,
        OutletDepartment,
        Topic,
        Person,
        PersonEmail,
        PersonPhone,
        PersonOutlet,
        PersonTopic,
        OutletTopic,
        HistoryEntry,
        NotDuplicate,
        DistributionList,
        ListMember,
        Event,
        Invitation,
        Notice,
        BlacklistEntry,
        SenderDomain,
        DkimKey,
        SenderAccount,
        SenderUser,
        Mailing,
        MailingAttachment,
        MailingSource,
        MailingRecipient,
        DispatchLease,
        BounceMessage,
        AddressBounce,
        ExportJob,
        ImportJob,
        ImportIssue,
    ]


@contextmanager
def connected(database=None):
    """Use the database's connection, opening one only if none is open (and closing only
    the one opened here, so a request's connection survives)."""
    database = database or db.obj
    opened = database.connect(reuse_if_open=True)
    try:
        yield database
    finally:
        if opened:
            database.close()


def migration_runner(database=None) -> Runner:
    return Runner(database or db.obj, str(MIGRATIONS_DIR), table_name=MIGRATIONS_TABLE)


def migration_names() -> list[str]:
    """Every migration shipped with this release, oldest first; the last one is head."""
    return [m.name for m in Migration.load_directory(str(MIGRATIONS_DIR))]


def upgrade(database=None) -> list[str]:
    """Bring the schema to head; returns the names of the migrations applied now."""
    with connected(database) as database:
        return migration_runner(database).up()


def schema_revision(database=None) -> str | None:
    """Name of the last applied migration, or None for an empty database."""
    with connected(database) as database:
        applied = [m.name for m in migration_runner(database).status() if m.applied]
    return applied[-1] if applied else None


def pending_migrations(database=None) -> list[str]:
    with connected(database) as database:
        return [m.name for m in migration_runner(database).status() if not m.applied and m.path]

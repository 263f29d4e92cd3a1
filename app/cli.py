"""The `depesche` command: administration and operation of one installation."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import FlaskGroup

from app.config import ConfigError

EX_TEMPFAIL = 75  # sysexits.h: the MTA keeps the message and tries again later


def _create_app():
    from app import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def cli():
    """Depesche: press-relations workbench. Settings come from DEPESCHE_* variables and
    DATA_DIR/depesche.toml (see README)."""


def main(argv=None) -> None:
    """Console-script entry point: a bad setting is one line on stderr, never a traceback."""
    from app import config

    try:
        config.load()
        cli.main(args=argv, prog_name="depesche")
    except ConfigError as exc:
        click.echo(f"depesche: configuration error: {exc}", err=True)
        # the MTA's pipe keeps the bounce and retries on 75; on 2 it would return it
        args = list(sys.argv[1:] if argv is None else argv)
        sys.exit(EX_TEMPFAIL if args[:2] == ["bounces", "pipe"] else 2)


@cli.command("init-db")
def init_db_command():
    """Create the schema or bring it up to date (safe to run again)."""
    from app.models import schema_revision, upgrade

    applied = upgrade()
    for name in applied:
        click.echo(f"applied {name}")
    click.echo(f"schema at {schema_revision()}")


def _read_password_stdin() -> str:
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise click.UsageError("--password-stdin: no password on standard input")
    return password


@cli.command("create-user")
@click.argument("email")
@click.option("--name", required=True, help="Full name as shown in the application.")
@click.option(
    "--role",
    "roles",
    multiple=True,
    default=("user",),
    show_default=True,
    type=click.Choice(["administrator", "license_manager", "user"]),
    help="May be given more than once: one person may hold several roles.",
)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option(
    "--grant",
    "grants",
    multiple=True,
    metavar="CLIENT=RIGHT",
    help="Right on a client: full, read or hidden; '*' stands for every client. "
    "May be given more than once.",
)
def create_user_command(email, name, roles, password_stdin, grants):
    """Create a user. Without --password-stdin a one-time password is printed once; it
    must be replaced at the first sign-in."""
    from app.clients.services import ClientError, apply_grants, parse_grant
    from app.extensions import db
    from app.users.services import UserError, create_user

    try:
        for spec in grants:  # a wrong grant stops everything before the user exists
            parse_grant(spec)
    except ClientError as exc:
        raise click.ClickException("; ".join(exc.messages)) from None
    password = _read_password_stdin() if password_stdin else None
    try:
        with db.atomic():
            user, one_time = create_user(email, name, roles=roles, password=password)
            granted = apply_grants(user, grants)
    except (UserError, ClientError) as exc:
        raise click.ClickException("; ".join(exc.messages)) from None
    click.echo(f"created user {user.email} ({', '.join(user.roles)})")
    _echo_grants(granted)
    if one_time:
        click.echo(f"one-time password: {one_time}")


def _echo_grants(granted) -> None:
    for client, right, changed in granted:
        click.echo(f"{client.name}: {right}" + ("" if changed else " (unchanged)"))


@cli.command("grant")
@click.argument("email")
@click.argument("grants", nargs=-1, required=True, metavar="CLIENT=RIGHT...")
def grant_command(email, grants):
    """Set a user's rights on clients: full, read or hidden; '*' stands for every client,
    e.g. depesche grant lena@agentur.example '*=read' 'Nordlicht AG=full'. Later grants
    win over earlier ones; all are applied or none."""
    from app.clients.services import ClientError, apply_grants
    from app.users.services import find_user

    user = find_user(email)
    if user is None:
        raise click.ClickException(f"no user with the e-mail address {email}")
    try:
        granted = apply_grants(user, grants)
    except ClientError as exc:
        raise click.ClickException("; ".join(exc.messages)) from None
    click.echo(f"rights of {user.email}:")
    _echo_grants(granted)


@cli.command("create-client")
@click.argument("name")
@click.option("--description", default="", help="Business area, or the partner's full name.")
def create_client_command(name, description):
    """Create a client (Mandant). Nobody has a right on it until granted (depesche grant)."""
    from app.clients.services import ClientError, create_client

    try:
        client = create_client(name, description, origin="cli")
    except ClientError as exc:
        raise click.ClickException("; ".join(exc.messages)) from None
    click.echo(f"created client {client.name} (id {client.id})")


@cli.command("export-all")
@click.argument("target", type=click.Path(dir_okay=False, writable=True))
def export_all_command(target):
    """Write the organisation's full data export (every table as CSV, the documents, a
    README) to TARGET as one ZIP — what an administrator downloads at /admin/export, for
    the operator (the hand-over at the end of a contract)."""
    from pathlib import Path

    from app.audit.services import record
    from app.exports import full

    path = Path(target)
    if path.exists():
        raise click.ClickException(f"{path} exists already; choose a new file name")
    partial = path.with_name(path.name + ".partial")
    try:
        summary = full.write_zip(partial, lambda units, step: None, "Hand-over export.")
        partial.replace(path)
    except BaseException:
        full.remove(partial)
        raise
    digest = full.sha256_of(path)
    rows = sum(summary["tables"].values())
    record("export.full_cli", details={"rows": rows, "files": summary["files"], "sha256": digest})
    click.echo(
        f"wrote {path}: {len(summary['tables'])} tables, {rows} rows, "
        f"{summary['files']} files; sha256 {digest}"
    )


@cli.group("notice")
def notice_group():
    """Notices for every user on the status page and as a banner (maintenance, outages)."""


@notice_group.command("post")
@click.argument("text")
@click.option(
    "--level", type=click.Choice(["info", "warning", "outage"]), default="info", show_default=True
)
@click.option(
    "--hours",
    type=click.FloatRange(min=0, min_open=True),
    help="End the notice after this many hours (default: until withdrawn).",
)
def notice_post(text, level, hours):
    """Post a notice now."""
    from app.status.notices import post

    try:
        notice = post(text, level, hours)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"notice {notice.id} posted ({level})")


@notice_group.command("list")
def notice_list():
    """The notices in force now."""
    from app.status.notices import current, forget

    forget()
    for notice in current():
        until = f" until {notice.ends_at:%Y-%m-%d %H:%M} UTC" if notice.ends_at else ""
        click.echo(f"{notice.id}\t{notice.level}{until}\t{notice.text}")


@notice_group.command("withdraw")
@click.argument("notice_id", type=int, required=False)
@click.option("--all", "everything", is_flag=True, help="Withdraw every current notice.")
def notice_withdraw(notice_id, everything):
    """End a notice (by its id) or all of them now."""
    from app.status.notices import withdraw

    if notice_id is None and not everything:
        raise click.UsageError("name a notice id or use --all")
    done = withdraw(None if everything else notice_id)
    if not done:
        raise click.ClickException("no such current notice")
    click.echo(f"{done} notice(s) withdrawn")


@cli.command("import")
@click.argument("path", metavar="FILE", type=click.Path(dir_okay=False))
@click.option("--client", "client_name", help="Client by name (default: the only one).")
@click.option("--list", "list_name", help="Also put the contacts on this fixed list.")
@click.option(
    "--on-duplicate",
    type=click.Choice(["skip", "update", "create"]),
    default="skip",
    show_default=True,
    help="A row whose e-mail address a contact of the client (or an earlier row) has.",
)
@click.option("--sheet", help="Sheet of a workbook (default: the first).")
@click.option(
    "--user",
    "email",
    help="Import in this user's name (default: the first administrator with full access).",
)
def import_command(path, client_name, list_name, on_duplicate, sheet, email):
    """Import contacts from an .xlsx or .csv file, with the columns found from its headers.
    The per-row report is written beside the file (NAME.report.xlsx); the last line is
    created=N updated=N skipped=N rejected=N. Exit status 1 if the file cannot be read or
    the import fails."""
    from pathlib import Path

    from app.transfer.command import CommandError, report_path, run

    try:
        job = run(path, client_name, list_name, on_duplicate, sheet, email)
    except CommandError as exc:
        raise click.ClickException(str(exc)) from None
    if job.error:
        click.echo(f"import failed: {job.error}", err=True)
    click.echo(f"report: {report_path(Path(path))}")
    click.echo(
        f"created={job.created} updated={job.updated} skipped={job.skipped} rejected={job.rejected}"
    )
    if job.state != "done":
        sys.exit(1)


@cli.command("set-password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def set_password_command(email, password_stdin):
    """Reset a user's password (for an administrator who locked themselves out). Without
    --password-stdin a one-time password is printed once. All sessions of the user end."""
    from app.users.services import UserError, find_user, set_password

    user = find_user(email)
    if user is None:
        raise click.ClickException(f"no user with the e-mail address {email}")
    password = _read_password_stdin() if password_stdin else None
    try:
        one_time = set_password(user, password)
    except UserError as exc:
        raise click.ClickException("; ".join(exc.messages)) from None
    click.echo(f"password of {user.email} replaced")
    if one_time:
        click.echo(f"one-time password: {one_time}")


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int, help="Web processes.")
@click.option("--threads", default=4, show_default=True, type=int, help="Threads per process.")
def serve_command(host, port, workers, threads):
    """Serve the web application with gunicorn (production mode)."""
    from app.server import serve

    serve(current_app._get_current_object(), host, port, workers, threads)


@cli.command("worker")
@click.option("--workers", default=2, show_default=True, type=int, help="Worker threads.")
@click.option("--no-periodic", is_flag=True, help="Do not run periodic jobs here.")
def worker_command(workers, no_periodic):
    """Run the task-queue consumer (huey). Stop with SIGINT for a graceful shutdown."""
    from app.server import run_worker

    run_worker(current_app._get_current_object(), workers, periodic=not no_periodic)


@cli.command("demo-data")
@click.option("--seed", default=1, show_default=True, type=int, help="Same seed, same data.")
@click.option(
    "--contacts",
    default=0,
    show_default=True,
    type=click.IntRange(0, 2_000_000),
    help="Number of journalists to create (with a tenth as many outlets).",
)
@click.option("--if-empty", is_flag=True, help="Do nothing if the database holds users already.")
def demo_data_command(seed, if_empty, contacts):
    """Fill the database with realistic demo data (German, Austrian and Swiss PR)."""
    from app.demo import DemoDataError, load_demo_data

    try:
        report = load_demo_data(seed=seed, if_empty=if_empty, contacts=contacts)
    except DemoDataError as exc:
        raise click.ClickException(str(exc)) from None
    if report is None:
        click.echo(
            "demo data: the database holds users already, nothing loaded "
            "(a forgotten password: depesche set-password EMAIL)"
        )
        return
    for line in report.lines():
        click.echo(line)


@cli.group("translate")
def translate_group():
    """Maintain the German and English message catalogues."""


@translate_group.command("extract")
def translate_extract():
    """Collect every translatable string into translations/messages.pot."""
    from app import i18n

    click.echo(i18n.extract())


@translate_group.command("update")
def translate_update():
    """Extract, then merge new strings into the de and en catalogues."""
    from app import i18n

    i18n.extract()
    for line in i18n.update():
        click.echo(line)


@translate_group.command("compile")
def translate_compile():
    """Compile the catalogues (.po → .mo) for use by the application."""
    from app import i18n

    for line in i18n.compile_catalogues():
        click.echo(line)


@cli.group("audit")
def audit_group():
    """The audit trail."""


@audit_group.command("verify")
def audit_verify():
    """Recompute the hash chain of the audit trail; exit 1 naming the first broken entry."""
    from app.audit.services import verify

    result = verify()
    if not result.ok:
        raise click.ClickException(
            f"audit trail broken at entry {result.broken_seq}: {result.reason} "
            f"({result.checked} entries before it are intact)"
        )
    click.echo(f"audit trail intact: {result.checked} entries")


@cli.command("unlock")
@click.argument("email")
def unlock_command(email):
    """Lift a sign-in lock (after too many failed attempts)."""
    from app.auth.lockout import unlock
    from app.users.services import find_user

    user = find_user(email)
    if user is None:
        raise click.ClickException(f"no user with the e-mail address {email}")
    unlock(user)
    click.echo(f"{user.email} can sign in again")


@cli.command("reset-second-factor")
@click.argument("email")
def reset_second_factor_command(email):
    """Remove a user's second factor and recovery codes (a lost phone). Where a second
    factor is required, the user sets up a new one right after the next sign-in."""
    from app.auth.twofactor import reset
    from app.users.services import find_user

    user = find_user(email)
    if user is None:
        raise click.ClickException(f"no user with the e-mail address {email}")
    reset(user)
    click.echo(f"second factor of {user.email} removed")


@cli.command("send-test-mail")
@click.argument("to")
def send_test_mail_command(to):
    """Send one test message now through the system-mail path (DEPESCHE_SMTP_URL): what
    invitations and sign-in codes take. Used by `depesche-ctl smtp test`."""
    from email.utils import parseaddr

    from flask_babel import gettext as _

    from app.mail import MailError, send_mail

    address = parseaddr(to)[1]
    if "@" not in address or address != to.strip():
        raise click.UsageError(f"not an e-mail address: {to}")
    try:
        send_mail(
            address,
            _("Depesche: test message"),
            _(
                "This test message was sent by the Depesche appliance's console. "
                "If you can read it, the mail relay works."
            ),
        )
    except MailError as exc:
        raise click.ClickException(f"the mail relay refused the test message: {exc}") from None
    click.echo(f"test message to {address} handed to the relay")


@cli.group("bounces")
def bounces_group():
    """Bounce intake (SPEC M7): from the MTA's pipe transport or the bounce mailbox."""


@bounces_group.command("pipe")
@click.option(
    "--recipient",
    "recipient",
    metavar="ADDR",
    help="The envelope recipient (bounces+TOKEN@domain), as the MTA gives it.",
)
@click.argument("legacy_recipient", required=False, metavar="[ADDR]")
def bounces_pipe(recipient, legacy_recipient):
    """Take in one bounce message from standard input. Exit status 0 when it was handled
    (applied, ignored as an automatic reply, or kept for review), 75 (EX_TEMPFAIL) when the
    database cannot be reached, so that the MTA keeps the message and retries."""
    import logging

    from app.bounces.services import UNAVAILABLE, intake

    raw = sys.stdin.buffer.read()
    try:
        result = intake(raw, recipient or legacy_recipient, source="pipe")
    except UNAVAILABLE as exc:
        click.echo(
            f"depesche bounces pipe: database unavailable, try again later ({exc})", err=True
        )
        sys.exit(EX_TEMPFAIL)
    except Exception as exc:  # never lose a bounce: the MTA keeps it
        logging.getLogger(__name__).exception("bounce intake failed")
        click.echo(f"depesche bounces pipe: {type(exc).__name__}; try again later", err=True)
        sys.exit(EX_TEMPFAIL)
    click.echo(f"{result.outcome} {result.address} {result.status}".rstrip())


@bounces_group.command("fetch")
def bounces_fetch():
    """Read the bounce mailbox (DEPESCHE_BOUNCE_IMAP_URL) once, as the worker does every
    five minutes. Exit status 1 when the mailbox cannot be read."""
    from app.bounces.mailbox import MailboxError, fetch

    try:
        result = fetch()
    except MailboxError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(result.summary())
    if result.failed:
        sys.exit(1)
